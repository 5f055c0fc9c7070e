"""One checker, two callers (issue 15 §2): for every refusal the run raises on an input value, ``indicators run
--check`` raises it too, with the same line (input, file, pixel or row, value, fix).  Each case runs both commands
on the same broken copy of the sample country; both must exit 2 with no traceback, no output and unchanged inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import problem_line


def set_pixel(path: Path, row: int, col: int, value: float) -> None:
    """Write *value* into one cell of band 1 of a GeoTIFF (in place, everything else unchanged)."""
    import rasterio

    with rasterio.open(path, "r+") as r:
        a = r.read(1)
        a[row, col] = value
        r.write(a, 1)


def set_netcdf(path: Path, variable: str, index: tuple[int, ...], value: float) -> None:
    import xarray as xr

    with xr.open_dataset(path) as ds:
        ds = ds.load()
    ds[variable].values[index] = value
    ds.to_netcdf(path)


def replace_line(path: Path, old_start: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith(old_start))
    lines[i] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _raster(rel, row, col, value):
    return lambda c: set_pixel(c.data / rel, row, col, value)


CASES = {
    # raster values outside what is physically possible (specs: parameters: plausibility)
    "population_negative": (_raster("population/population_total_2010.tif", 10, 12, -5),
                            ["inputs.population_total[2010]", "population_total_2010.tif", "row 10, column 12", "-5"]),
    "population_female_negative": (_raster("population/population_female_2000.tif", 40, 50, -1),
                                   ["inputs.population_female[2000]", "row 40, column 50", "-1"]),
    "population_too_dense": (_raster("population/population_male_2020.tif", 40, 50, 3e38),
                             ["inputs.population_male[2020]", "row 40, column 50", "3e+38", "person/km2"]),
    "soc_1e30": (_raster("soc/soc_reference_2000.tif", 10, 12, 1e30),
                 ["inputs.soc_reference", "soc_reference_2000.tif", "row 10, column 12", "1e+30", "<= 1000"]),
    "soc_negative": (_raster("soc/soc_reference_2000.tif", 40, 50, -3),
                     ["inputs.soc_reference", "row 40, column 50", "-3"]),
    "soc_nan_without_nodata": (_raster("soc/soc_reference_2000.tif", 40, 50, np.nan),
                               ["inputs.soc_reference", "soc_reference_2000.tif", "NaN", "row 40, column 50",
                                "declare nodata"]),
    "land_cover_code_outside_legend": (_raster("land_cover/esa_cci_lc_2010.tif", 10, 12, 7),
                                       ["inputs.land_cover[2010]", "esa_cci_lc_2010.tif", "row 10, column 12",
                                        "legend", "is 7"]),
    "land_cover_code_255": (_raster("land_cover/esa_cci_lc_2023.tif", 215, 287, 255),
                            ["inputs.land_cover[2023]", "row 215, column 287", "is 255"]),
    "lpd_code_9": (_raster("productivity/lpd_report_1_2004_2019.tif", 40, 50, 9),
                   ["inputs.lpd[report_1]", "lpd_report_1_2004_2019.tif", "row 40, column 50", "is 9"]),
    "precipitation_negative": (lambda c: set_netcdf(c.data / "climate" / "precip_monthly.nc", "precip", (5, 2, 3), -12.0),
                               ["inputs.precipitation", "precip_monthly.nc", "row 2, column 3", "-12"]),
    "pet_above_max": (lambda c: set_netcdf(c.data / "climate" / "pet_monthly.nc", "pet", (7, 1, 1), 50000.0),
                      ["inputs.pet", "pet_monthly.nc", "row 1, column 1", "50000"]),
    # table values
    "population_national_negative": (
        lambda c: replace_line(c.data / "tables" / "population_national.csv", "2000,female", "2000,female,-1255574,persons"),
        ["inputs.population_national", "population_national.csv", "line 2", "population", "-1.25557e+06"]),
    "exchange_rate_zero": (lambda c: replace_line(c.data / "tables" / "exchange_rates.csv", "2016,EUR", "2016,EUR,0"),
                           ["inputs.exchange_rates", "exchange_rates.csv", "lcu_per_usd"]),
    "red_list_bounds_swapped": (
        lambda c: replace_line(c.data / "tables" / "so4_2_red_list.csv", "2000,", "2000,0.9120,0.9210,0.9010"),
        ["inputs.so4_2_red_list", "so4_2_red_list.csv", "rli_lower"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_refuses_what_the_run_refuses(case, country, capsys):
    breaks, words = CASES[case]
    breaks(country)
    _, checked = country.run(capsys, "--check")
    _, ran = country.run(capsys)
    at_check = problem_line(checked, *words)
    at_run = problem_line(ran, *words)
    assert at_check == at_run

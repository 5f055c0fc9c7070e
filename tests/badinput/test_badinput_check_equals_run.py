"""One checker, two callers (issue 15 §2): for every refusal the run raises on an input value, ``indicators run
--check`` raises it too, with the same line (input, file, pixel or row, value, fix): implausible values, and what a
stage's computation refuses (a poverty line's PPP year, a year missing from a series, a flow without an amount, a
DVI component without a range, a population or land-cover year a period needs, the SOC reference year), which the
stage's check asks the compute module's own function.  Each case runs both commands on the same broken copy of the
sample country; both must exit 2 with no traceback, no output and unchanged inputs."""

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


def _table_line(rel, old_start, new):
    """The first line of ``tables/<rel>`` starting with *old_start* replaced by *new*."""
    return lambda c: replace_line(c.data / "tables" / rel, old_start, new)


def _without_rows(rel, keep):
    """``tables/<rel>`` without the data rows *keep* refuses (comment and header lines kept)."""
    def change(c):
        p = c.data / "tables" / rel
        lines = p.read_text(encoding="utf-8").splitlines()
        p.write_text("\n".join(ln for ln in lines if ln.startswith("#") or "," not in ln or keep(ln)) + "\n",
                     encoding="utf-8")
    return change


def _configured(edit, *more):
    """The configuration changed by *edit* (a function of its mapping), then the files by *more*."""
    def change(c):
        edit(c.config)
        c.save()
        for m in more:
            m(c)
    return change


def _parameters(**blocks):
    return lambda cfg: cfg.setdefault("parameters", {}).update(blocks)


NO_GAPS = _parameters(series={"allow_gaps": False})
INFRASTRUCTURAL = ("drinking_water", "renewable_water_per_capita", "irrigated_area")


def _one_value(rel, factors, value):
    """Every row of *factors* in ``tables/<rel>`` (a long DVI factor table) holding *value*."""
    def change(c):
        p = c.data / "tables" / rel
        lines = p.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        f, v = header.index("factor"), header.index("value")
        out = [lines[0]]
        for ln in lines[1:]:
            parts = ln.split(",")
            if parts[f] in factors:
                parts[v] = str(value)
            out.append(",".join(parts))
        p.write_text("\n".join(out) + "\n", encoding="utf-8")
    return change


def _only_sex_years(name, years, indicators=None):
    def edit(cfg):
        cfg["inputs"][name]["years"] = list(years)
        if indicators:
            cfg["indicators"] = list(indicators)
    return edit


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
    # ---- what a stage's computation refuses, checked by the function it calls (issue 15 §2)
    # SO2-1: a poverty estimate at another PPP year than the edition's line, or without its PPP year
    "poverty_ppp_year_2017": (
        _table_line("so2_1_poverty.csv", "2000,national,below_poverty_line",
                    "2000,national,below_poverty_line,23.6,percent,3.00,2017"),
        ["inputs.so2_1_poverty", "so2_1_poverty.csv", "line 3", "column 'ppp_year'", "(2017 PPP)", "(2021 PPP)"]),
    "poverty_ppp_year_not_stated": (
        _table_line("so2_1_poverty.csv", "2000,national,below_poverty_line",
                    "2000,national,below_poverty_line,23.6,percent,3.00,"),
        ["inputs.so2_1_poverty", "so2_1_poverty.csv", "line 3", "column 'ppp_year'", "not stated", "2021 PPP"]),
    # series with a missing year, where the specs allow no gaps
    "poverty_year_missing": (
        _configured(NO_GAPS, _without_rows("so2_1_poverty.csv", lambda ln: not ln.startswith("2010,national,gini"))),
        ["inputs.so2_1_poverty", "so2_1_poverty.csv", "column 'year'", "year(s) 2010 missing", "'gini'", "allow_gaps"]),
    "water_year_missing": (
        _configured(NO_GAPS, _without_rows("so2_2_water.csv", lambda ln: not ln.startswith("2007,national,urban"))),
        ["inputs.so2_2_water", "so2_2_water.csv", "column 'year'", "year(s) 2007 missing", "'urban'", "allow_gaps"]),
    "red_list_year_missing": (
        _configured(NO_GAPS, _without_rows("so4_2_red_list.csv", lambda ln: not ln.startswith("2005,"))),
        ["inputs.so4_2_red_list", "so4_2_red_list.csv", "column 'year'", "year(s) 2005 missing", "allow_gaps"]),
    "kba_coverage_year_missing": (  # the reported SO4-3 figure is read when no KBA polygons are configured
        _configured(lambda cfg: (NO_GAPS(cfg), cfg["inputs"].pop("kba"), cfg["inputs"].pop("protected_areas")),
                    _without_rows("so4_3_kba_coverage.csv", lambda ln: not ln.startswith("2012,"))),
        ["inputs.so4_3_kba_coverage", "so4_3_kba_coverage.csv", "year(s) 2012 missing"]),
    # SO5: a flow with neither a committed nor a disbursed amount
    "flow_without_amount": (
        _table_line("so5_flows.csv", "SO5-1,received,2016,Donor A",
                    "SO5-1,received,2016,Donor A,Rangeland restoration programme,,,USD,principal,agriculture,bilateral,"
                    "ODA,grant,"),
        ["inputs.so5_flows", "so5_flows.csv", "line 3", "column 'amount_committed'", "neither a committed nor a disbursed"]),
    # SO3-3: a DVI component without a factor, or whose every factor holds one value (no min-max range, D9)
    "dvi_component_without_factor": (
        _without_rows("dvi_factors_national.csv", lambda ln: ln.split(",")[1] not in INFRASTRUCTURAL),
        ["inputs.dvi_factors_national", "dvi_factors_national.csv", "'infrastructural'", "at least one factor"]),
    "dvi_component_of_one_value": (
        _one_value("dvi_factors_units.csv", INFRASTRUCTURAL, 50),
        ["inputs.dvi_factors_units", "dvi_factors_units.csv", "infrastructural component", "single value"]),
    # SO2-3: the population of a period's last year, without the nearest-year fill; a sex map without the year the
    # run reads the total for (SO2-3's periods and SO3-2's four-year epochs)
    "population_year_of_a_period_missing": (
        _configured(lambda cfg: (_parameters(drought_exposure={"population_year_fill": "none"})(cfg),
                                 cfg.update(indicators=["SO2-3"]))),
        ["inputs.population_total", "years 2019, 2023 are needed (by SO2-3", "population_year_fill is 'none'",
         "lists 2000, 2005, 2010, 2015, 2020"]),
    "population_female_without_the_total_year": (
        _configured(_only_sex_years("population_female", [2000, 2005, 2010, 2015])),
        ["inputs.population_female", "years 2020 are needed", "SO2-3", "SO3-2", "lists 2000, 2005, 2010, 2015"]),
    # SO1: the SOC reference year after the first SOC year of the periods; a land-cover year a period needs
    "soc_reference_year_after_the_periods": (
        _configured(_parameters(soc={"reference_year": 2001})),
        ["soc.reference_year 2001", "after 2000", "set soc.reference_year"]),
    "land_cover_year_of_a_period_missing": (
        _configured(lambda cfg: cfg["inputs"]["land_cover"].update(years=[y for y in range(2000, 2024) if y != 2019])),
        ["inputs.land_cover", "years 2019 are needed", "SO1-1", "2000-2018, 2020-2023"]),
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


def test_the_run_reads_each_raster_inputs_values_once(country, monkeypatch):
    """The run's checks before computing read no raster values (``prepare(sample_rasters=False)``: files, units and
    rules only), its every-cell check reads each configured raster once; ``--check`` (``prepare``) reads a block
    sample of each. Counted on the sample country through the one value checker, plausibility.raster_findings."""
    from indicators import plausibility
    from indicators.config.loading import load_config
    from indicators.engine import compute_run, prepare

    calls: list[int | None] = []
    real = plausibility.raster_findings

    def counting(*args, **kwargs):
        calls.append(kwargs.get("max_blocks"))
        return real(*args, **kwargs)

    monkeypatch.setattr(plausibility, "raster_findings", counting)
    loaded = load_config(country.save())
    prepare(loaded, sample_rasters=False)
    assert calls == []
    prepare(loaded)
    sampled = len(calls)
    assert sampled > 0 and set(calls) == {plausibility.CHECK_BLOCKS}
    calls.clear()
    compute_run(loaded, quiet=True)
    assert len(calls) == sampled and set(calls) == {None}  # every raster file once, every cell

"""Rasters whose grid, bands, CRS or type are not what the run needs; NetCDF time axes that are not monthly series;
table inputs that do not fit together; raster values outside the declared plausibility at more places."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from .conftest import problem_line
from .test_badinput_check_equals_run import replace_line, set_pixel


def rewrite_tif(path: Path, *, data=None, transform=None, crs="keep", dtype=None, count=None) -> None:
    """Rewrite a GeoTIFF with some of its properties changed (the rest as it was)."""
    import rasterio

    with rasterio.open(path) as r:
        profile = r.profile.copy()
        tags = r.tags()
        a = r.read()
    if data is not None:
        a = data(a)
    if count is not None:
        a = np.concatenate([a] * count)[:count]
    profile.update(height=a.shape[1], width=a.shape[2], count=a.shape[0])
    if transform is not None:
        profile["transform"] = transform(profile["transform"])
    if crs != "keep":
        profile["crs"] = crs
    if dtype is not None:
        profile["dtype"] = dtype
        a = a.astype(dtype)
    path.unlink()
    with rasterio.open(path, "w", **profile) as w:
        w.write(a)
        w.update_tags(**tags)


def rewrite_nc(path: Path, change) -> None:
    import xarray as xr

    with xr.open_dataset(path) as ds:
        ds = ds.load()
    out = change(ds)
    path.unlink()
    out.to_netcdf(path)


def half_pixel(t):
    from affine import Affine

    return Affine(t.a, t.b, t.c + t.a / 2, t.d, t.e, t.f)


def one_row(t):
    from affine import Affine

    return Affine(t.a, t.b, t.c, t.d, t.e, t.f + t.e)


LC = "land_cover/esa_cci_lc_2010.tif"
POP = "population/population_total_2010.tif"
SOC = "soc/soc_reference_2000.tif"
LPD = "productivity/lpd_baseline_2000_2015.tif"
PRE = "climate/precip_monthly.nc"
PET = "climate/pet_monthly.nc"


def tif(rel, **kw):
    return lambda c: rewrite_tif(c.data / rel, **kw)


def nc(rel, change):
    return lambda c: rewrite_nc(c.data / rel, change)


def months_dropped(ds, *idx):
    return ds.isel(time=[i for i in range(ds.sizes["time"]) if i not in idx])


def months_duplicated(ds, i):
    order = list(range(ds.sizes["time"]))
    order.insert(i + 1, i)
    return ds.isel(time=order)


def months_swapped(ds, i):
    order = list(range(ds.sizes["time"]))
    order[i], order[i + 1] = order[i + 1], order[i]
    return ds.isel(time=order)


def annual(ds):
    return ds.resample(time="YS").sum()


def config(change):
    def apply(c):
        change(c.config)
        c.save()
    return apply


def csv(rel, start, new):
    return lambda c: replace_line(c.data / "tables" / rel, start, new)


def pixel(rel, row, col, value):
    return lambda c: set_pixel(c.data / rel, row, col, value)


def _drop_lpd_period(cfg):
    del cfg["inputs"]["lpd"]["path"]["report_2"]


CASES = {
    # ---- grids, bands, CRS, types
    "land_cover_half_pixel_off": (tif(LC, transform=half_pixel), ["inputs.", "esa_cci_lc_2010.tif"]),
    "population_half_pixel_off": (tif(POP, transform=half_pixel), ["inputs.", "population_total_2010.tif"]),
    "soc_one_row_off": (tif(SOC, transform=one_row), ["inputs.", "soc_reference_2000.tif"]),
    "lpd_one_row_off": (tif(LPD, transform=one_row), ["inputs.", "lpd_baseline_2000_2015.tif"]),
    "population_one_row_fewer": (tif(POP, data=lambda a: a[:, :-1]), ["inputs.", "population_total_2010.tif"]),
    "soc_one_column_fewer": (tif(SOC, data=lambda a: a[:, :, :-1]), ["inputs.", "soc_reference_2000.tif"]),
    "land_cover_two_bands": (tif(LC, count=2), ["inputs.land_cover[2010]", "esa_cci_lc_2010.tif", "band"]),
    "soc_two_bands": (tif(SOC, count=2), ["inputs.soc_reference", "soc_reference_2000.tif", "band"]),
    "population_two_bands": (tif(POP, count=2), ["inputs.population_total[2010]", "band"]),
    "land_cover_without_crs": (tif(LC, crs=None), ["inputs.", "esa_cci_lc_2010.tif", "CRS"]),
    "soc_without_crs": (tif(SOC, crs=None), ["inputs.", "soc_reference_2000.tif", "CRS"]),
    "land_cover_other_crs": (tif(LC, crs="EPSG:3857"), ["inputs.", "esa_cci_lc_2010.tif"]),
    "land_cover_float": (tif(LC, dtype="float32", data=lambda a: a + 0.5),
                         ["inputs.land_cover[2010]", "esa_cci_lc_2010.tif"]),
    "lpd_float": (tif(LPD, dtype="float32", data=lambda a: a + 0.25), ["inputs.lpd[baseline]", "lpd_baseline_2000_2015.tif"]),
    # ---- NetCDF time axes
    "precipitation_month_missing": (nc(PRE, lambda d: months_dropped(d, 100)), ["inputs.precipitation", "precip_monthly.nc"]),
    "precipitation_year_of_months_missing": (nc(PRE, lambda d: months_dropped(d, *range(120, 132))),
                                             ["inputs.precipitation", "precip_monthly.nc"]),
    "precipitation_unsorted": (nc(PRE, lambda d: months_swapped(d, 50)), ["inputs.precipitation", "precip_monthly.nc"]),
    "precipitation_month_duplicated": (nc(PRE, lambda d: months_duplicated(d, 70)),
                                       ["inputs.precipitation", "precip_monthly.nc"]),
    "precipitation_annual": (nc(PRE, annual), ["inputs.precipitation", "precip_monthly.nc"]),
    "pet_month_missing": (nc(PET, lambda d: months_dropped(d, 200)), ["inputs.pet", "pet_monthly.nc"]),
    "pet_unsorted": (nc(PET, lambda d: months_swapped(d, 10)), ["inputs.pet", "pet_monthly.nc"]),
    "pet_annual": (nc(PET, annual), ["inputs.pet", "pet_monthly.nc"]),
    "precipitation_all_nan": (nc(PRE, lambda d: d.assign(precip=d.precip * np.nan)),
                              ["inputs.precipitation", "precip_monthly.nc", "NaN"]),
    # ---- a file with no value at all (the real cause behind "total land area is 0")
    "lpd_all_nodata": (tif(LPD, data=lambda a: a * 0), ["inputs.lpd[baseline]", "lpd_baseline_2000_2015.tif",
                                                        "every cell", "nodata"]),
    "soc_all_nodata": (tif(SOC, data=lambda a: a * 0 - 9999), ["inputs.soc_reference", "soc_reference_2000.tif",
                                                               "every cell", "nodata"]),
    # ---- per-period inputs
    "lpd_missing_for_one_period": (config(_drop_lpd_period), ["inputs.lpd", "report_2"]),
    # ---- tables that do not fit together
    "exchange_rate_year_missing": (csv("exchange_rates.csv", "2016,EUR", "2099,EUR,0.9"),
                                   ["inputs.exchange_rates", "exchange_rates.csv"]),
    "exchange_rate_unknown_currency": (csv("exchange_rates.csv", "2016,EUR", "2016,EUX,0.9"),
                                       ["inputs.", "EUR"]),
    "exchange_rate_negative_xof": (csv("exchange_rates.csv", "2016,XOF", "2016,XOF,-592.79"),
                                   ["inputs.exchange_rates", "exchange_rates.csv", "lcu_per_usd"]),
    "red_list_year_2099": (csv("so4_2_red_list.csv", "2000,", "2099,0.9120,0.9010,0.9210"),
                           ["inputs.so4_2_red_list", "so4_2_red_list.csv", "2099"]),
    "red_list_lower_negative": (csv("so4_2_red_list.csv", "2000,", "2000,0.9120,-0.1,0.9210"),
                                ["inputs.so4_2_red_list", "so4_2_red_list.csv", "rli_lower"]),
    "so5_flow_year_2099": (csv("so5_flows.csv", "SO5-1,received,2016,Donor A",
                               "SO5-1,received,2099,Donor A,Rangeland restoration programme,,1200000,USD,principal,"
                               "agriculture,bilateral,ODA,grant,"),
                           ["inputs.so5_flows", "so5_flows.csv", "2099"]),
    "poverty_year_2099": (csv("so2_1_poverty.csv", "2000,national,below_poverty_line",
                              "2099,national,below_poverty_line,23.6,percent,3.00,2021"),
                          ["inputs.so2_1_poverty", "so2_1_poverty.csv", "2099"]),
    "water_year_2099": (csv("so2_2_water.csv", "2000,national,total", "2099,national,total,64.2,percent"),
                        ["inputs.so2_2_water", "so2_2_water.csv", "2099"]),
    "kba_coverage_year_2099": (csv("so4_3_kba_coverage.csv", "2000,", "2099,21.0,percent"),
                               ["inputs.so4_3_kba_coverage", "so4_3_kba_coverage.csv", "2099"]),
    "population_national_too_late": (csv("population_national.csv", "2000,female", "2099,female,1255574,persons"),
                                     ["inputs.population_national", "population_national.csv"]),
    # ---- the value and the key as written, in words ("is outside above 0", "1.9 1", "np.int64(2001)" before)
    "exchange_rate_zero": (csv("exchange_rates.csv", "2016,EUR", "2016,EUR,0"),
                           ["inputs.exchange_rates", "lcu_per_usd", "value 0 is not above 0"]),
    "red_list_above_one": (csv("so4_2_red_list.csv", "2001,", "2001,1.9099,0.8989,0.9189"),
                           ["inputs.so4_2_red_list", "'rli': value 1.9099 is outside the allowed range [0, 1]"]),
    "kba_coverage_year_twice": (csv("so4_3_kba_coverage.csv", "2001,", "2000,21.9,percent"),
                                ["inputs.so4_3_kba_coverage", "year 2000 appears more than once"]),
    # ---- DVI factor values outside their declared range (min-max normalisation stretched the others around them)
    "dvi_literacy_184_percent": (csv("dvi_factors_national.csv", "2000,literacy_rate,84.3",
                                     "2000,literacy_rate,184.3,percent,total"),
                                 ["inputs.dvi_factors_national", "literacy_rate", "184.3", "0 to 100"]),
    "dvi_unit_literacy_negative": (csv("dvi_factors_units.csv", "XAV-01,2000,literacy_rate,78.1",
                                      "XAV-01,2000,literacy_rate,-0.781,percent,total"),
                                  ["inputs.dvi_factors_units", "literacy_rate", "XAV-01", "-0.781"]),
    "dvi_life_expectancy_negative": (csv("dvi_factors_national.csv", "2000,life_expectancy,67.5",
                                         "2000,life_expectancy,-67.5,year,total"),
                                     ["inputs.dvi_factors_national", "life_expectancy", "-67.5"]),
    # ---- raster values at more places (the first/last block, other years and periods)
    "population_negative_first_cell": (pixel("population/population_total_2000.tif", 0, 0, -1),
                                       ["inputs.population_total[2000]", "row 0, column 0"]),
    "population_negative_last_cell": (pixel("population/population_total_2020.tif", 215, 287, -1),
                                      ["inputs.population_total[2020]", "row 215, column 287"]),
    "population_male_negative": (pixel("population/population_male_2005.tif", 100, 100, -2),
                                 ["inputs.population_male[2005]", "row 100, column 100"]),
    "population_inf": (pixel("population/population_total_2015.tif", 60, 60, np.inf),
                       ["inputs.population_total[2015]", "row 60, column 60", "inf"]),
    "soc_inf": (pixel(SOC, 60, 60, np.inf), ["inputs.soc_reference", "row 60, column 60", "inf"]),
    "soc_just_above_max": (pixel(SOC, 60, 61, 1000.5), ["inputs.soc_reference", "row 60, column 61", "1000.5"]),
    "soc_nan_first_cell": (pixel(SOC, 0, 0, np.nan), ["inputs.soc_reference", "NaN", "row 0, column 0"]),
    "land_cover_code_in_2000": (pixel("land_cover/esa_cci_lc_2000.tif", 30, 30, 99),
                                ["inputs.land_cover[2000]", "row 30, column 30", "is 99"]),
    "land_cover_code_1": (pixel("land_cover/esa_cci_lc_2015.tif", 31, 30, 1),
                          ["inputs.land_cover[2015]", "row 31, column 30", "is 1"]),
    "lpd_code_6_baseline": (pixel(LPD, 20, 20, 6), ["inputs.lpd[baseline]", "row 20, column 20", "is 6"]),
    "lpd_code_255_report_2": (pixel("productivity/lpd_report_2_2008_2023.tif", 21, 20, 255),
                              ["inputs.lpd[report_2]", "row 21, column 20", "is 255"]),
    # a zone with no climate factor became nodata in SO1-3 and changed its areas and stocks without a word
    "climate_zone_13": (pixel("soc/ipcc_climate_zones.tif", 40, 41, 13),
                        ["inputs.climate_zones", "row 40, column 41", "is 13", "(0-12)"]),
    "climate_zone_99_first_cell": (pixel("soc/ipcc_climate_zones.tif", 0, 0, 99),
                                   ["inputs.climate_zones", "row 0, column 0", "is 99"]),
    "pet_negative": (lambda c: _nc_value(c.data / PET, "pet", (3, 4, 5), -1.0), ["inputs.pet", "row 4, column 5", "-1"]),
    "precipitation_above_max": (lambda c: _nc_value(c.data / PRE, "precip", (300, 0, 0), 20000.0),
                                ["inputs.precipitation", "row 0, column 0", "20000"]),
}


def _nc_value(path, variable, index, value):
    from .test_badinput_check_equals_run import set_netcdf

    set_netcdf(path, variable, index, value)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_refused(case, country, capsys):
    """The run refuses it with one line naming the input, and ``--check`` refuses it with the same line."""
    breaks, words = CASES[case]
    breaks(country)
    _, checked = country.run(capsys, "--check")
    _, ran = country.run(capsys)
    assert problem_line(checked, *words) == problem_line(ran, *words)


def test_files_of_one_input_off_the_grid_are_one_line(country, capsys):
    # a series shifted as a whole is one problem: one line per input, saying how many of its files are off the grid
    for year in (2005, 2010, 2015):
        rewrite_tif(country.data / f"population/population_total_{year}.tif", transform=half_pixel)
    _, checked = country.run(capsys, "--check")
    _, ran = country.run(capsys)
    lines = [ln for ln in checked.splitlines() if "not on the same grid" in ln]
    assert len(lines) == 1, checked
    assert "population_total_2005.tif" in lines[0] and "(3 of the 5 files of inputs.population_total" in lines[0]
    assert "align: nearest|average on inputs.population_total" in lines[0] and "align enabled" not in lines[0]
    assert lines == [ln for ln in ran.splitlines() if "not on the same grid" in ln]

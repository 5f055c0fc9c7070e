"""More broken input files, by kind: rasters (types, NaN, a file given for another input, empty files), NetCDF series
(no time axis, truncated, months missing, grids), vectors (KBA layer, antimeridian, empty layers, no CRS) and CSV
tables (missing columns, words for numbers, duplicate years, values outside their range).  ``run --check`` and the
run refuse each with the same line naming the input, its file and what to fix."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import shapely

from .conftest import refused_alike
from .test_badinput_check_equals_run import replace_line, set_netcdf, set_pixel
from .test_badinput_grids_axes_tables import half_pixel, rewrite_nc, rewrite_tif
from .test_badinput_vectors import _edit


def _copy(src, dst):
    return lambda c: shutil.copyfile(c.data / src, c.data / dst)


def _tif(rel, **kw):
    return lambda c: rewrite_tif(c.data / rel, **kw)


def _nc(rel, change):
    return lambda c: rewrite_nc(c.data / rel, change)


def _truncate(rel, size):
    def cut(c):
        p = c.data / rel
        p.write_bytes(p.read_bytes()[:size])
    return cut


def _vector(rel, change, layer=None):
    return lambda c: _edit(c.data / rel, layer=layer, g=change)


def _first_feature(make):
    def change(gdf):
        gdf = gdf.copy()
        gdf.loc[gdf.index[0], "geometry"] = make(gdf.geometry.iloc[0])
        return gdf
    return change


def _across_the_antimeridian(_geom):
    """A strip from 179.5 E to 179.5 W at the sample's latitudes: read naively it spans the globe (and the rasters)."""
    return shapely.Polygon([(179.5, 45.0), (-179.5, 45.0), (-179.5, 45.5), (179.5, 45.5)])


def _csv(rel, start, new):
    return lambda c: replace_line(c.data / "tables" / rel, start, new)


def _csv_header(rel, old, new):
    def change(c):
        p = c.data / "tables" / rel
        p.write_text(p.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return change


PRE, PET = "climate/precip_monthly.nc", "climate/pet_monthly.nc"
KBA, ADMIN, BOUNDARY = "vectors/kba.gpkg", "vectors/admin_units.gpkg", "vectors/boundary.gpkg"

CASES = {
    # ---- rasters
    "population stored as int16 with negative counts": (
        _tif("population/population_total_2005.tif", dtype="int16", data=lambda a: np.where(a > 0, a, -3)),
        ["inputs.population_total[2005]", "population_total_2005.tif", "not plausible", "is -3 person"]),
    "population NaN without nodata": (
        lambda c: set_pixel(c.data / "population/population_total_2005.tif", 40, 50, np.nan),
        ["inputs.population_total[2005]", "NaN", "row 40, column 50", "declare nodata"]),
    "DVI above 1": (lambda c: set_pixel(c.data / "vulnerability/dvi_2018.tif", 40, 50, 7.0),
                    ["inputs.dvi", "dvi_2018.tif", "row 40, column 50", "<= 1)", "is 7;"]),
    "DVI without CRS": (_tif("vulnerability/dvi_2018.tif", crs=None), ["inputs.dvi", "dvi_2018.tif has no CRS", "gdal_edit.py"]),
    "climate zones half a pixel off": (_tif("soc/ipcc_climate_zones.tif", transform=half_pixel),
                                       ["inputs.climate_zones (ipcc_climate_zones.tif)", "not on the same grid"]),
    "land cover given as LPD": (_copy("land_cover/esa_cci_lc_2010.tif", "productivity/lpd_report_1_2004_2019.tif"),
                                ["inputs.lpd[report_1]", "lpd_report_1_2004_2019.tif", "legend (1, 2, 3, 4, 5)"]),
    "NetCDF given as SOC": (_copy(PRE, "soc/soc_reference_2000.tif"), ["inputs.soc_reference", "soc_reference_2000.tif"]),
    "CSV given as land cover": (_copy("tables/exchange_rates.csv", "land_cover/esa_cci_lc_2012.tif"),
                                ["inputs.land_cover[2012]", "esa_cci_lc_2012.tif", "cannot open", "as a raster"]),
    "empty GeoTIFF": (lambda c: (c.data / "population/population_total_2000.tif").write_bytes(b""),
                      ["inputs.population_total[2000]", "population_total_2000.tif", "cannot open"]),
    # ---- NetCDF series
    "precipitation without a time axis": (_nc(PRE, lambda d: d.isel(time=0, drop=True)),
                                          ["inputs.precipitation", "precip_monthly.nc has no 'time' axis", "rename"]),
    "precipitation time axis named t": (_nc(PRE, lambda d: d.rename(time="t")),
                                        ["inputs.precipitation", "precip_monthly.nc has no 'time' axis", "'time'"]),
    "pet truncated": (_truncate(PET, 2048), ["inputs.pet", "pet_monthly.nc", "cannot be read as NetCDF"]),
    "pet without its first year": (_nc(PET, lambda d: d.isel(time=slice(12, None))), ["inputs.pet", "pet_monthly.nc", "1981"]),
    "pet all NaN": (_nc(PET, lambda d: d.assign(pet=d.pet * np.nan)), ["inputs.pet", "pet_monthly.nc", "NaN", "declare nodata"]),
    "precipitation on another grid than pet": (
        _nc(PRE, lambda d: d.assign_coords(x=d.x + 30) if "x" in d.coords else d.assign_coords(lon=d.lon + 30)),
        ["inputs.pet", "not on the grid of inputs.precipitation", "resample"]),
    "precipitation infinite": (lambda c: set_netcdf(c.data / PRE, "precip", (10, 3, 3), np.inf),
                               ["inputs.precipitation", "precip_monthly.nc", "row 3, column 3", "is inf"]),
    "precipitation first month twice": (_nc(PRE, lambda d: d.isel(time=[0, 0] + list(range(1, d.sizes["time"])))),
                                        ["inputs.precipitation", "1981-01 appears twice", "remove the duplicate"]),
    # ---- vectors
    "KBA ids duplicated": (_vector(KBA, lambda g: g.assign(kba_id=[g.kba_id.iloc[0]] * len(g))),
                           ["inputs.kba (kba.gpkg)", "'kba_id'", "more than once"]),
    "KBA as points": (_vector(KBA, lambda g: g.set_geometry(g.geometry.centroid)),
                      ["inputs.kba (kba.gpkg)", "Point is not a polygon"]),
    "KBA without CRS": (_vector(KBA, lambda g: g.set_crs(None, allow_override=True)), ["inputs.kba (kba.gpkg)", "no CRS"]),
    "KBA with an empty geometry": (_vector(KBA, _first_feature(lambda s: shapely.Polygon())),
                                   ["inputs.kba (kba.gpkg)", "missing or empty"]),
    "admin units without CRS": (_vector(ADMIN, lambda g: g.set_crs(None, allow_override=True), layer="admin_units"),
                                ["country.admin_units", "admin_units.gpkg", "has no CRS"]),
    "admin unit across the antimeridian": (_vector(ADMIN, _first_feature(_across_the_antimeridian), layer="admin_units"),
                                           ["country.admin_units", "['XAV-01']", "lie outside the extent"]),
    "boundary across the antimeridian": (_vector(BOUNDARY, _first_feature(_across_the_antimeridian)),
                                         ["country.boundary", "lie outside the extent"]),
    "boundary with no feature": (_vector(BOUNDARY, lambda g: g.iloc[:0]), ["country.boundary", "holds no features"]),
    "boundary truncated": (_truncate(BOUNDARY, 1000), ["country.boundary", "boundary.gpkg", "cannot read"]),
    # ---- CSV tables
    "exchange rates without the rate column": (_csv_header("exchange_rates.csv", "year,currency,lcu_per_usd", "year,currency,rate"),
                                               ["inputs.exchange_rates", "exchange_rates.csv", "lcu_per_usd"]),
    "exchange rate a word": (_csv("exchange_rates.csv", "2016,EUR", "2016,EUR,zero point nine"),
                             ["inputs.exchange_rates", "exchange_rates.csv", "lcu_per_usd"]),
    "national population without its value column": (
        _csv_header("population_national.csv", "year,sex,population,unit", "year,sex,value,unit"),
        ["inputs.population_national", "population_national.csv", "population"]),
    "national population a word": (_csv("population_national.csv", "2000,female", "2000,female,lots,persons"),
                                   ["inputs.population_national", "population_national.csv", "'lots' is not a number"]),
    "red list index a word": (_csv("so4_2_red_list.csv", "2000,", "2000,high,0.9010,0.9210"),
                              ["inputs.so4_2_red_list", "so4_2_red_list.csv", "rli"]),
    "red list year twice": (_csv("so4_2_red_list.csv", "2001,", "2000,0.9120,0.9010,0.9210"),
                            ["inputs.so4_2_red_list", "so4_2_red_list.csv", "2000"]),
    "red list bounds columns renamed": (_csv_header("so4_2_red_list.csv", "year,rli,rli_lower,rli_upper", "year,rli,lower,upper"),
                                        ["inputs.so4_2_red_list", "so4_2_red_list.csv", "rli_lower"]),
    "water access above 100 percent": (_csv("so2_2_water.csv", "2000,national,total", "2000,national,total,164.2,percent"),
                                       ["inputs.so2_2_water", "so2_2_water.csv", "164.2"]),
    "poverty in km": (_csv("so2_1_poverty.csv", "2000,national,below_poverty_line",
                           "2000,national,below_poverty_line,23.6,km,3.00,2021"),
                      ["inputs.so2_1_poverty", "so2_1_poverty.csv", "km"]),
    "KBA coverage negative": (_csv("so4_3_kba_coverage.csv", "2000,", "2000,-21.0,percent"),
                              ["inputs.so4_3_kba_coverage", "so4_3_kba_coverage.csv", "-21"]),
    "flow amount negative": (_csv("so5_flows.csv", "SO5-1,received,2016,Donor A",
                                  "SO5-1,received,2016,Donor A,Rangeland restoration programme,,-1200000,USD,principal,"
                                  "agriculture,bilateral,ODA,grant,"), ["inputs.so5_flows", "so5_flows.csv", "-1.2e+06"]),
    "DVI factor misspelt": (_csv("dvi_factors_national.csv", "2000,literacy_rate,84.3", "2000,literacy_rat,84.3,percent,total"),
                            ["inputs.dvi_factors_national", "dvi_factors_national.csv", "literacy_rat"]),
    "DVI factor of a unit that does not exist": (_csv("dvi_factors_units.csv", "XAV-01,2000,literacy_rate,78.1",
                                                      "XAV-99,2000,literacy_rate,78.1,percent,total"),
                                                 ["inputs.dvi_factors_units", "dvi_factors_units.csv", "XAV-99",
                                                  "not ids of the admin units", "correct the id"]),
    # a control character in a free text (a flow's title): openpyxl refused it after the whole run (traceback, exit 1)
    "flow title with a control character": (_csv("so5_flows.csv", "SO5-1,received,2016,Donor A",
                                                 "SO5-1,received,2016,Donor A,Rangeland\x07restoration,,1200000,USD,principal,"
                                                 "agriculture,bilateral,ODA,grant,"),
                                            ["inputs.so5_flows", "so5_flows.csv", "line 3", "column 'title'",
                                             "control character U+0007", "remove it"]),
    # an unknown sex was left out of CP-1.T2 and the percentages by sex without a word
    "national population of an unknown sex": (_csv("population_national.csv", "2000,female", "2000,femme,1255574,persons"),
                                              ["inputs.population_national", "population_national.csv", "data row 1",
                                               "(year 2000)", "'femme' is not one of ['total', 'female', 'male']"]),
    "national population of a year and sex twice": (_csv("population_national.csv", "2000,male", "2000,Female,1184304,persons"),
                                                     ["inputs.population_national", "population_national.csv",
                                                      "year 2000 and sex 'female' appear twice"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_file(case, country, capsys):
    breaks, words = CASES[case]
    country.save()
    breaks(country)
    refused_alike(country, capsys, *words)

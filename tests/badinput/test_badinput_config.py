"""Run configurations: unknown keys, wrong types, years the edition does not have, periods, path templates, choices
the specs do not define.  Each case breaks one thing in the sample country's configuration; ``run --check`` and the
run refuse it with the same line naming the field and the fix (exit 2, no traceback, no output, inputs unchanged)."""

from __future__ import annotations

import pytest

from .conftest import refused_alike


def _set(*keys, value):
    """A change of the configuration: the value at *keys* (a path of mapping keys) becomes *value*."""
    def change(cfg):
        d = cfg
        for k in keys[:-1]:
            d = d[k]
        d[keys[-1]] = value
    return change


def _rename_input(old, new):
    def change(cfg):
        cfg["inputs"][new] = cfg["inputs"].pop(old)
    return change


def _extra_lpd_period(cfg):
    cfg["inputs"]["lpd"]["path"]["report_3"] = cfg["inputs"]["lpd"]["path"]["report_2"]


def _misspelt_lpd_period(cfg):
    paths = cfg["inputs"]["lpd"]["path"]
    paths["reprot_1"] = paths.pop("report_1")


CASES = {
    # unknown keys (a misspelling never silently ignored)
    "unknown top-level key": (_set("indicator", value="all"), ["indicator: unknown field", "check the spelling"]),
    "unknown input field": (_set("inputs", "soc_reference", "unit", value="t/ha"),
                            ["inputs.soc_reference.unit: unknown field"]),
    "unknown country field": (_set("country", "boundry", value="vectors/boundary.gpkg"), ["country.boundry: unknown field"]),
    "misspelt input name": (_rename_input("soc_reference", "soc_referense"),
                            ["inputs.soc_referense", "did you mean 'soc_reference'"]),
    "unknown parameter block": (_set("parameters", value={"socc": {"climate_factor": 0.8}}),
                                ["unknown parameter block 'socc'", "use one of"]),
    "unknown parameter": (_set("parameters", value={"soc": {"climate_factr": 0.8}}),
                          ["soc.climate_factr", "unknown field", "correct its spelling"]),
    # wrong types
    "years not a year": (_set("inputs", "land_cover", "years", value="twothousand"),
                         ["inputs.land_cover.years", "'twothousand'", "write 2000, 2000-2023"]),
    "path a list": (_set("inputs", "soc_reference", "path", value=["soc/a.tif"]), ["inputs.soc_reference.path", "is not a text"]),
    "nodata a word": (_set("inputs", "lpd", "nodata", value="zero"), ["inputs.lpd.nodata", "'zero' is not a number"]),
    "parameter of the wrong type": (_set("parameters", value={"soc": {"climate_factor": "high"}}),
                                    ["soc.climate_factor", "valid number", "'high'"]),
    "overlay of another country": (_set("country", "iso3", value="KEN"),
                                   ["overlay", "overlay of XAV", "country.iso3 is KEN", "use the overlay written for KEN"]),
    "iso3 lower case": (_set("country", "iso3", value="xav"), ["country.iso3", "'xav'", "three capital letters"]),
    "land area negative": (_set("country", "land_area_km2", value=-5), ["country.land_area_km2", "greater than 0"]),
    "scale factor zero": (_set("inputs", "ndvi", "scale_factor", value=0), ["inputs.ndvi.scale_factor", "greater than 0"]),
    "band 0": (_set("inputs", "soc_reference", "band", value=0), ["inputs.soc_reference.band", "start at 1"]),
    "band beyond the file": (_set("inputs", "soc_reference", "band", value=3),
                             ["inputs.soc_reference", "has 1 band(s), band 3 does not exist"]),
    "align not a method": (_set("inputs", "precipitation", "align", value="bilinear"),
                           ["inputs.precipitation.align", "'bilinear'", "'nearest' or 'average'"]),
    "kind not the file's": (_set("inputs", "soc_reference", "kind", value="table"),
                            ["inputs.soc_reference", "table file but a raster is needed"]),
    # years and periods
    "year range reversed": (_set("inputs", "land_cover", "years", value="2023-2000"),
                            ["inputs.land_cover.years", "ends before it starts"]),
    "land cover without the baseline year": (_set("inputs", "land_cover", "years", value="2005-2023"),
                                             ["inputs.land_cover", "years 2000 are needed", "add those years"]),
    "precipitation without the calibration years": (_set("inputs", "precipitation", "years", value="1990-2023"),
                                                    ["inputs.precipitation", "1981-1989 are needed", "by SO3-1"]),
    "a population year without its file": (_set("inputs", "population_total", "years", value=[2000, 2005, 2010, 2015, 2025]),
                                           ["inputs.population_total[2025]", "population_total_2025.tif", "does not exist"]),
    "lpd for a period of no edition": (_extra_lpd_period, ["inputs.lpd", "'report_3' is no period", "report_2: …"]),
    "lpd period misspelt": (_misspelt_lpd_period, ["inputs.lpd", "'reprot_1' is no period", "give one file per period"]),
    "edition not defined": (_set("edition", value="2031"), ["edition '2031' is not defined", "2022, 2026"]),
    # path templates
    "template without {year}": (_set("inputs", "land_cover", "path", value="land_cover/esa_cci_lc_2010.tif"),
                                ["inputs.land_cover", "1 band(s) but 24 years", "{year} path"]),
    "template with a misspelt field": (_set("inputs", "land_cover", "path", value="land_cover/esa_cci_lc_{yeer}.tif"),
                                       ["inputs.land_cover", "esa_cci_lc_{yeer}.tif does not exist", "correct the path"]),
    "template unbalanced": (_set("inputs", "land_cover", "path", value="land_cover/esa_cci_lc_{year.tif"),
                            ["inputs.land_cover", "does not exist"]),
    # choices the specs and files do not have
    "indicator unknown": (_set("indicators", value=["SO9-1"]), ["'SO9-1' is not an indicator", "known: SO1-1"]),
    "indicator twice": (_set("indicators", value=["SO1-1", "so1-1"]), ["indicators: SO1-1 listed twice"]),
    "profile unknown": (_set("profile", value="trends_earht"), ["profile 'trends_earht' is not defined", "trends_earth"]),
    "overlay file missing": (_set("overlay", value="overlay_nothere.yaml"), ["overlay_nothere.yaml does not exist"]),
    "specs folder missing": (_set("specs", value="specs_nothere"), ["specs_nothere", "no such file or directory"]),
    "units of another dimension": (_set("inputs", "soc_reference", "units", value="mm/month"),
                                   ["inputs.soc_reference", "'mm/month' has dimension", "set inputs.soc_reference.units"]),
    "units that do not parse": (_set("inputs", "precipitation", "units", value="mm per moon"),
                                ["precip_monthly.nc", "'mm per moon' does not parse"]),
    "netcdf variable of pet missing": (_set("inputs", "pet", "variable", value="evap"),
                                       ["inputs.pet", "has no variable 'evap'", "set variable:"]),
    "admin id field missing": (_set("country", "admin_units", "id_field", value="unit_code"),
                               ["country.admin_units", "no field 'unit_code'", "fields: name, unit_id"]),
    "admin layer missing": (_set("country", "admin_units", "layer", value="units"),
                            ["country.admin_units", "Layer 'units' could not be opened"]),
    "kba id field missing": (_set("inputs", "kba", "id_field", value="kba_code"), ["inputs.kba", "no field 'kba_code'"]),
    "establishment year field missing": (_set("inputs", "protected_areas", "fields", value={"establishment_year": "YEAR"}),
                                         ["inputs.protected_areas", "no field 'YEAR'", "STATUS_YR"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_configuration(case, country, capsys):
    change, words = CASES[case]
    change(country.config)
    country.save()
    refused_alike(country, capsys, *words)

"""Years that cannot be (issue 15 §1: years within the edition): a protected area established in the future or
before the first plausible year, and every table input's years (the SO2, SO3-3 factor, SO4, SO5 tables, the national
population, exchange rates) before the first plausible year or after the edition, as the specs declare them
(``parameters: plausibility``, ``years: edition`` and ``first_year``).  ``run --check`` and the run refuse each
with the same line naming the input, the file and row or feature, the year and the fix."""

from __future__ import annotations

import pytest

from .conftest import refused_alike
from .test_badinput_more_inputs import _csv
from .test_badinput_vectors import _edit

FUTURE = "is in the future"
EARLY = "the first plausible year the specs declare"


def _added(rel, after, row):
    """*row* added after the line starting with *after* (the table keeps its other rows: one problem only)."""
    def change(c):
        p = c.data / "tables" / rel
        lines = p.read_text(encoding="utf-8").splitlines()
        i = next(k for k, ln in enumerate(lines) if ln.startswith(after))
        p.write_text("\n".join(lines[:i + 1] + [row] + lines[i + 1:]) + "\n", encoding="utf-8")
    return change


def _established(wdpa_id, year):
    """The protected area *wdpa_id* of the sample gets establishment year *year* (WDPA-like ``STATUS_YR``)."""
    def change(c):
        def g(gdf):
            gdf = gdf.copy()
            gdf.loc[gdf["wdpa_id"] == wdpa_id, "STATUS_YR"] = year
            return gdf
        _edit(c.data / "vectors" / "protected_areas.gpkg", g=g)
    return change


PA = ["inputs.protected_areas (protected_areas.gpkg)", "field 'STATUS_YR'", "correct the establishment year"]

CASES = {
    # ---- protected areas (SO4-3 from polygons): the establishment year decides in which years an area counts
    "protected area established in 2099": (_established(102, 2099), [*PA, "wdpa_id 102", "year 2099", FUTURE]),
    "protected area established in 85": (_established(104, 85), [*PA, "wdpa_id 104", "year 85", "before 1800", EARLY]),
    "protected area established in 1799": (_established(101, 1799), [*PA, "wdpa_id 101", "year 1799", "before 1800"]),
    # ---- table years before the first plausible year (a year written short or in the wrong century)
    "red list year 93": (_csv("so4_2_red_list.csv", "2000,", "93,0.9120,0.9010,0.9210"),
                         ["inputs.so4_2_red_list", "so4_2_red_list.csv", "column 'year'", "year 93", EARLY]),
    "flow year 1016": (_csv("so5_flows.csv", "SO5-1,received,2016,Donor A",
                            "SO5-1,received,1016,Donor A,Rangeland restoration programme,,1200000,USD,principal,"
                            "agriculture,bilateral,ODA,grant,"),
                       ["inputs.so5_flows", "so5_flows.csv", "column 'year'", "year 1016", EARLY]),
    "exchange rate year 1916": (_added("exchange_rates.csv", "2016,EUR", "1916,EUR,0.9"),
                                ["inputs.exchange_rates", "exchange_rates.csv", "column 'year'", "year 1916", EARLY]),
    "poverty year 1066": (_csv("so2_1_poverty.csv", "2000,national,below_poverty_line",
                               "1066,national,below_poverty_line,23.6,percent,3.00,2021"),
                          ["inputs.so2_1_poverty", "so2_1_poverty.csv", "column 'year'", "year 1066", EARLY]),
    "water year 201": (_csv("so2_2_water.csv", "2000,national,total", "201,national,total,64.2,percent"),
                       ["inputs.so2_2_water", "so2_2_water.csv", "column 'year'", "year 201", EARLY]),
    "KBA coverage year 1900": (_csv("so4_3_kba_coverage.csv", "2000,", "1900,21.0,percent"),
                               ["inputs.so4_3_kba_coverage", "so4_3_kba_coverage.csv", "year 1900", EARLY]),
    "national population year 1949": (_csv("population_national.csv", "2000,female", "1949,female,1255574,persons"),
                                      ["inputs.population_national", "population_national.csv", "year 1949", EARLY]),
    # ---- the poverty line's PPP year is a year too
    "poverty PPP year 2099": (_csv("so2_1_poverty.csv", "2000,national,below_poverty_line",
                                   "2000,national,below_poverty_line,23.6,percent,3.00,2099"),
                              ["inputs.so2_1_poverty", "so2_1_poverty.csv", "column 'ppp_year'", "year 2099", FUTURE]),
    "poverty PPP year 21": (_csv("so2_1_poverty.csv", "2000,national,below_poverty_line",
                                 "2000,national,below_poverty_line,23.6,percent,3.00,21"),
                            ["inputs.so2_1_poverty", "so2_1_poverty.csv", "column 'ppp_year'", "year 21", EARLY]),
    # ---- the DVI factor tables (SO3-3): a row of another year enters the min-max range every year is normalised over
    "DVI factor year 2099": (_csv("dvi_factors_national.csv", "2000,literacy_rate,84.3", "2099,literacy_rate,84.3,percent,total"),
                             ["inputs.dvi_factors_national", "dvi_factors_national.csv", "column 'year'", "year 2099", FUTURE]),
    "DVI factor year 1066": (_csv("dvi_factors_national.csv", "2000,literacy_rate,84.3", "1066,literacy_rate,84.3,percent,total"),
                             ["inputs.dvi_factors_national", "dvi_factors_national.csv", "year 1066", EARLY]),
    "DVI unit factor year 2099": (_csv("dvi_factors_units.csv", "XAV-01,2000,literacy_rate,78.1",
                                       "XAV-01,2099,literacy_rate,78.1,percent,total"),
                                  ["inputs.dvi_factors_units", "dvi_factors_units.csv", "column 'year'", "year 2099", FUTURE]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_implausible_year_refused(case, country, capsys):
    """Exit 2 from `run --check` and the run, the same one line, no traceback, no output, inputs unchanged."""
    country.save()
    CASES[case][0](country)
    refused_alike(country, capsys, *CASES[case][1])

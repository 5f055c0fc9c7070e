"""The committed sample tables and polygons run through their indicators."""

from __future__ import annotations

import geopandas as gpd
import pytest

from indicators.so2.people import drinking_water_indicator, poverty_indicator, poverty_table_schema, water_table_schema
from indicators.so4.protected_areas import coverage_table_schema, kba_protected_coverage, kba_protected_coverage_from_table
from indicators.so4.red_list import red_list_index_indicator, red_list_table_schema
from indicators.so5.finance import EXCHANGE_RATE_SCHEMA, flows_table_schema, future_support_narrative, narrative_table_schema, resource_flows_indicator
from indicators.tables import read_table

from .conftest import TREND

TABLES = "sample_data/tables"
SERIES = dict(years=(2000, 2023), allow_gaps=False, **TREND)


@pytest.fixture
def sample(repo_root):
    return repo_root / "sample_data"


def test_sample_tables_run(sample):
    t = sample / "tables"
    pov = poverty_indicator(read_table(t / "so2_1_poverty.csv", poverty_table_schema((0, 100))), edition="2026",
                            poverty_line_usd_per_day=3.0, ppp_year=2021, value_range=(0, 100), **SERIES)
    assert set(pov["series"]["scope"]) == {"national", "affected areas"}
    assert pov["series"].attrs["provenance"]["inputs"]["table"].endswith("so2_1_poverty.csv")
    # the 2022 edition's series (USD 1.90/day, 2011 PPP): fewer people below the lower line, the same Gini index
    pov22 = poverty_indicator(read_table(t / "so2_1_poverty_2022.csv", poverty_table_schema((0, 100))), edition="2022",
                              poverty_line_usd_per_day=1.9, ppp_year=2011, value_range=(0, 100), **SERIES)
    s26, s22 = (x["series"].set_index(["scope", "year"]).sort_index() for x in (pov, pov22))
    assert (s22["below_poverty_line_pct"] < s26["below_poverty_line_pct"]).all()
    assert s22["gini_index"].dropna().equals(s26["gini_index"].dropna())
    wat = drinking_water_indicator(read_table(t / "so2_2_water.csv", water_table_schema((0, 100))), value_range=(0, 100), **SERIES)
    assert wat["checks"].empty  # the sample total is a population-weighted mean of urban and rural
    rli = red_list_index_indicator(read_table(t / "so4_2_red_list.csv", red_list_table_schema((0, 1))), value_range=(0, 1), **SERIES)
    assert rli["trend"]["trend"].iloc[0] == "declining"
    cov = kba_protected_coverage_from_table(read_table(t / "so4_3_kba_coverage.csv", coverage_table_schema((0, 100))),
                                            value_range=(0, 100), **SERIES)
    assert len(cov["series"]) == 24
    weights = {"principal": 1.0, "significant": 1.0, "not_targeted": 0.0}
    fin = resource_flows_indicator(read_table(t / "so5_flows.csv", flows_table_schema(tuple(weights))),
                                   exchange_rates=read_table(t / "exchange_rates.csv", EXCHANGE_RATE_SCHEMA),
                                   rio_marker_weights=weights, unmarked_weight=1.0, **TREND)
    assert set(fin["series"]["indicator"]) == {"SO5-1", "SO5-2", "SO5-3"}
    items = {"SO5-5.1": "a", "SO5-5.2": "b", "SO5-5.3": "c"}
    nar = future_support_narrative(read_table(t / "so5_5_narrative.csv", narrative_table_schema(tuple(items))), sub_items=items)
    assert nar["reported"].all()


def test_sample_polygons(sample):
    kba = gpd.read_file(sample / "vectors" / "kba.gpkg")
    pa = gpd.read_file(sample / "vectors" / "protected_areas.gpkg")
    assert kba.total_bounds[0] >= 10.0 and kba.total_bounds[2] <= 13.0 and kba.total_bounds[1] >= 44.0 and kba.total_bounds[3] <= 46.5
    assert pa.total_bounds[0] >= 10.0 and pa.total_bounds[2] <= 13.0 and pa.total_bounds[1] >= 44.0 and pa.total_bounds[3] <= 46.5
    assert (~pa.is_valid).sum() == 1
    res = kba_protected_coverage(kba, pa, years=list(range(2000, 2024)), kba_id_field="kba_id", establishment_year_field="STATUS_YR",
                                 protected_area_id_field="wdpa_id", unknown_year="exclude", unknown_year_values=[0], area_crs=None, **TREND)
    per = res["per_kba"].set_index(["kba_id", "year"])["coverage_pct"]
    # KBA-01 spans lon 10.40-10.80; PA 101 (1990) covers 10.40-10.60 over its whole latitude range: about half
    assert per[("KBA-01", 2000)] == pytest.approx(50.0, abs=0.1)
    # PA 102 (2005) adds 10.60-10.70 over lat 45.80-46.00, i.e. 1/4 × 2/3 of the KBA: about 16.7 % more
    assert per[("KBA-01", 2005)] == pytest.approx(50.0 + 100.0 / 6.0, abs=0.2)
    assert per[("KBA-04", 2023)] == 0.0
    assert res["repairs"]["feature"].tolist() == [105]
    assert res["excluded"]["wdpa_id"].tolist() == [106]

"""SO4-1 carbon stock reporting table and SO4-2 Red List Index."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from indicators.errors import InputError
from indicators.so4.carbon import carbon_stock_indicator
from indicators.so4.red_list import red_list_index_indicator

from .conftest import TREND


def _stocks():
    # two classes, three years; stocks in tonnes, areas in km²
    return pd.DataFrame({
        "class_code": [1, 3, 1, 3, 1, 3],
        "class_name": ["Tree-covered", "Cropland"] * 3,
        "year": [2000, 2000, 2015, 2015, 2019, 2019],
        "stock_t": [1000.0, 500.0, 900.0, 500.0, 800.0, 400.0],
        "area_km2": [2.0, 1.0, 2.0, 1.0, 2.0, 1.0],
    })


def test_carbon_totals_and_change_by_hand():
    res = carbon_stock_indicator(_stocks(), periods=[(2000, 2015), (2000, 2019)], **TREND)
    s = res["series"]
    tot = s[s["class_name"] == "total"].set_index("year")
    assert tot["stock_t"].to_dict() == {2000: 1500.0, 2015: 1400.0, 2019: 1200.0}
    assert tot["class_code"].isna().all()
    # 1000 t on 2 km² = 200 ha -> 5 t/ha
    tree2000 = s[(s["class_code"] == 1) & (s["year"] == 2000)].iloc[0]
    assert tree2000["stock_t_per_ha"] == pytest.approx(5.0)
    ch = res["change"].set_index(["period_start", "period_end", "class_name"])
    row = ch.loc[(2000, 2019, "total")]
    assert row["change_t"] == -300.0 and row["change_pct"] == pytest.approx(-20.0)
    assert ch.loc[(2000, 2015, "Cropland"), "change_pct"] == 0.0
    tr = res["trend"].set_index("class_name")
    assert tr.loc["total", "trend"] == "declining"
    assert res["series"].attrs["units"]["stock_t"] == "t"


def test_carbon_consecutive_periods_by_default_and_zero_start():
    df = _stocks()
    df.loc[df["class_code"] == 3, "stock_t"] = [0.0, 10.0, 10.0]
    res = carbon_stock_indicator(df.drop(columns="area_km2"), periods=None, **TREND)
    ch = res["change"]
    assert sorted(set(zip(ch["period_start"], ch["period_end"]))) == [(2000, 2015), (2015, 2019)]
    crop = ch[(ch["class_name"] == "Cropland") & (ch["period_start"] == 2000)].iloc[0]
    assert crop["change_t"] == 10.0 and math.isnan(crop["change_pct"])
    assert "stock_t_per_ha" not in res["series"].columns


def test_carbon_missing_class_year_and_period_year():
    with pytest.raises(InputError, match=r"\(3, 2019\)"):
        carbon_stock_indicator(_stocks().iloc[:-1], periods=None, **TREND)
    with pytest.raises(InputError, match="2010"):
        carbon_stock_indicator(_stocks(), periods=[(2000, 2010)], **TREND)
    bad = _stocks()
    bad.loc[2, "stock_t"] = -1.0
    with pytest.raises(InputError, match=r"line 4, column 'stock_t'"):
        carbon_stock_indicator(bad, periods=None, **TREND)
    bad = _stocks()
    bad.loc[4, "class_name"] = "Forest"
    with pytest.raises(InputError, match="several names"):
        carbon_stock_indicator(bad, periods=None, **TREND)


def _rli(years, values):
    return pd.DataFrame({"year": years, "rli": values, "rli_lower": [v - 0.01 for v in values],
                         "rli_upper": [v + 0.01 for v in values]})


def test_red_list_series_complete_and_trend():
    res = red_list_index_indicator(_rli([2000, 2001, 2002], [0.90, 0.85, 0.80]), value_range=(0, 1), years=(2000, 2002),
                                   allow_gaps=False, **TREND)
    assert res["series"]["rli"].tolist() == [0.90, 0.85, 0.80]
    assert res["trend"]["trend"].iloc[0] == "declining"
    assert res["gaps"].empty


def test_red_list_bounds_must_be_ordered(write_csv):
    from indicators.tables import read_table
    from indicators.so4.red_list import red_list_table_schema

    path = write_csv("rli.csv", "year,rli,rli_lower,rli_upper\n2000,0.9,0.89,0.91\n2001,0.9,0.92,0.95")
    with pytest.raises(InputError) as err:  # refused when read (so `run --check` refuses it too)
        read_table(path, red_list_table_schema((0, 1)))
    assert str(path) in str(err.value) and "line 3, column 'rli_lower'" in str(err.value)
    df = _rli([2000], [0.9])
    df.loc[0, "rli_upper"] = 0.8
    with pytest.raises(InputError, match="column 'rli_upper'"):
        red_list_index_indicator(df, value_range=(0, 1), years=None, allow_gaps=False, **TREND)


def test_red_list_out_of_range_and_gaps():
    with pytest.raises(InputError, match=r"line 3, column 'rli'.*outside the allowed range \[0, 1\]"):
        red_list_index_indicator(_rli([2000, 2001], [0.9, 1.2]), value_range=(0, 1), years=None, allow_gaps=False, **TREND)
    df = _rli([2000, 2002, 2003], [0.9, 0.9, 0.9])
    with pytest.raises(InputError, match=r"2001, 2004-2005 missing"):
        red_list_index_indicator(df, value_range=(0, 1), years=(2000, 2005), allow_gaps=False, **TREND)
    res = red_list_index_indicator(df, value_range=(0, 1), years=(2000, 2005), allow_gaps=True, **TREND)
    assert res["gaps"]["missing_year"].tolist() == [2001, 2004, 2005]

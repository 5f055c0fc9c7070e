"""SO2-1 poverty / Gini and SO2-2 drinking water from tables."""

from __future__ import annotations

import pandas as pd
import pytest

from indicators.errors import InputError
from indicators.so2.people import drinking_water_indicator, poverty_indicator
from indicators.tables import read_table
from indicators.so2.people import poverty_table_schema

from .conftest import TREND

EDITION_2026 = {"edition": "2026", "poverty_line_usd_per_day": 3.00, "ppp_year": 2021}
EDITION_2022 = {"edition": "2022", "poverty_line_usd_per_day": 1.90, "ppp_year": 2011}


def _poverty(values, *, line=3.00, ppp=2021, start=2016):
    rows = []
    for k, v in enumerate(values):
        rows.append({"year": start + k, "metric": "below_poverty_line", "value": v, "unit": "percent",
                     "poverty_line_usd_per_day": line, "ppp_year": ppp})
        rows.append({"year": start + k, "metric": "gini", "value": 0.40, "unit": "1",
                     "poverty_line_usd_per_day": None, "ppp_year": None})
    return pd.DataFrame(rows)


def test_poverty_series_and_trend_by_hand():
    res = poverty_indicator(_poverty([20.0, 18.0, 16.0, 14.0]), **EDITION_2026, value_range=(0, 100), years=(2016, 2019),
                            allow_gaps=False, **TREND)
    s = res["series"]
    assert s.columns.tolist() == ["scope", "year", "below_poverty_line_pct", "gini_index"]
    assert s["below_poverty_line_pct"].tolist() == [20.0, 18.0, 16.0, 14.0]
    assert s["gini_index"].tolist() == [40.0] * 4  # coefficient 0.40 -> index 40
    assert (s["scope"] == "national").all()
    tr = res["trend"].set_index("metric")
    assert tr.loc["below_poverty_line", "trend"] == "declining"
    assert tr.loc["gini", "trend"] == "stable"
    assert tr.loc["below_poverty_line", "extra_sens_slope_per_year"] == pytest.approx(-2.0)
    prov = s.attrs["provenance"]
    assert prov["indicator"] == "SO2-1" and prov["parameters"]["poverty_line_usd_per_day"] == 3.0
    assert s.attrs["units"]["below_poverty_line_pct"] == "percent"


def test_poverty_line_must_match_the_edition(write_csv):
    path = write_csv("pov.csv", """
        year,metric,value,unit,poverty_line_usd_per_day,ppp_year
        2016,below_poverty_line,20,percent,3.00,2021
        2017,below_poverty_line,19,percent,1.90,2011
    """)
    t = read_table(path, poverty_table_schema((0, 100)))
    with pytest.raises(InputError) as err:
        poverty_indicator(t, **EDITION_2026, value_range=(0, 100), years=None, allow_gaps=False, **TREND)
    msg = str(err.value)
    assert str(path) in msg and "line 3" in msg and "column 'poverty_line_usd_per_day'" in msg and "2026" in msg
    # the 2022 edition accepts the 1.90 line, and then rejects the 3.00 row (line 2)
    with pytest.raises(InputError, match="line 2"):
        poverty_indicator(t, **EDITION_2022, value_range=(0, 100), years=None, allow_gaps=False, **TREND)


def test_poverty_row_without_line_is_rejected():
    df = _poverty([20.0, 19.0])
    df.loc[0, "ppp_year"] = None
    with pytest.raises(InputError, match=r"line 2, column 'ppp_year'.*not stated"):
        poverty_indicator(df, **EDITION_2026, value_range=(0, 100), years=None, allow_gaps=False, **TREND)


def test_poverty_missing_years_error_or_gaps():
    df = _poverty([20.0, 18.0, 17.0]).query("year != 2017")
    with pytest.raises(InputError, match="2017"):
        poverty_indicator(df, **EDITION_2026, value_range=(0, 100), years=None, allow_gaps=False, **TREND)
    res = poverty_indicator(df, **EDITION_2026, value_range=(0, 100), years=(2016, 2019), allow_gaps=True, **TREND)
    gaps = res["gaps"]
    assert sorted(gaps["missing_year"]) == [2017, 2017, 2019, 2019]  # both metrics


def test_affected_areas_are_a_separate_series():
    df = pd.concat([_poverty([20.0, 19.0]), _poverty([30.0, 35.0]).assign(scope="affected areas")])
    df["scope"] = df["scope"].fillna("national")
    res = poverty_indicator(df, **EDITION_2026, value_range=(0, 100), years=None, allow_gaps=False, **TREND)
    s = res["series"].set_index(["scope", "year"])
    assert s.loc[("affected areas", 2017), "below_poverty_line_pct"] == 35.0
    tr = res["trend"].set_index(["scope", "metric"])
    assert tr.loc[("affected areas", "below_poverty_line"), "trend"] == "increasing"


def _water(rows):
    return pd.DataFrame([{"year": y, "area_type": a, "value": v, "unit": "percent"} for y, a, v in rows])


def test_water_series_wide_and_consistency_check():
    rows = [(2016, "total", 60.0), (2016, "urban", 80.0), (2016, "rural", 40.0),
            (2017, "total", 85.0), (2017, "urban", 82.0), (2017, "rural", 42.0)]
    res = drinking_water_indicator(_water(rows), value_range=(0, 100), years=(2016, 2017), allow_gaps=False, **TREND)
    s = res["series"]
    assert s.columns.tolist() == ["scope", "year", "safely_managed_water_total_pct", "safely_managed_water_urban_pct",
                                  "safely_managed_water_rural_pct"]
    assert s["safely_managed_water_rural_pct"].tolist() == [40.0, 42.0]
    # 2017: total 85 lies outside [42, 82], flagged; 2016 is fine
    assert res["checks"]["year"].tolist() == [2017]
    tr = res["trend"].set_index("area_type")
    assert tr.loc["urban", "trend"] == "stable"  # change 2 on a level of 81: below 5 %
    assert tr.loc["total", "trend"] == "increasing"


def test_water_value_out_of_range_names_row():
    rows = [(2016, "total", 60.0), (2016, "urban", 101.0), (2016, "rural", 40.0)]
    with pytest.raises(InputError, match=r"line 3, column 'value'.*outside the allowed range"):
        drinking_water_indicator(_water(rows), value_range=(0, 100), years=None, allow_gaps=False, **TREND)

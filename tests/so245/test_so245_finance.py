"""SO5: currency conversion year by year, Rio-marker weighting, Tier 1 trend, SO5-5 narrative."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from indicators.errors import InputError
from indicators.so5.finance import (
    EXCHANGE_RATE_SCHEMA,
    flows_table_schema,
    future_support_narrative,
    resource_flows_indicator,
)
from indicators.tables import read_table

from .conftest import TREND

WEIGHTS = {"principal": 1.0, "significant": 1.0, "not targeted": 0.0}
RATES = pd.DataFrame({"year": [2016, 2017, 2016], "currency": ["EUR", "EUR", "XOF"], "lcu_per_usd": [0.8, 0.5, 500.0]})


def _run(flows, rates=RATES, weights=WEIGHTS, unmarked=1.0):
    return resource_flows_indicator(flows, exchange_rates=rates, rio_marker_weights=weights, unmarked_weight=unmarked, **TREND)


def test_conversion_uses_each_years_rate():
    flows = pd.DataFrame({"indicator": ["SO5-1", "SO 5-1", "SO5-2"], "direction": ["received"] * 2 + ["domestic"],
                          "year": [2016, 2017, 2016], "amount_disbursed": [1000.0, 1000.0, 1_000_000.0],
                          "currency": ["EUR", "eur", "XOF"], "rio_marker": ["principal", "principal", None]})
    res = _run(flows)
    f = res["flows"]
    assert f["amount_disbursed_usd"].tolist() == pytest.approx([1250.0, 2000.0, 2000.0])
    assert f["lcu_per_usd"].tolist() == [0.8, 0.5, 500.0]
    assert f["indicator"].tolist() == ["SO5-1", "SO5-1", "SO5-2"]
    s = res["series"].set_index(["indicator", "year"])
    assert s.loc[("SO5-1", 2017), "disbursed_usd"] == pytest.approx(2000.0)
    assert math.isnan(s.loc[("SO5-1", 2016), "committed_usd"])  # no committed figure: missing, not 0
    assert res["series"].attrs["units"]["disbursed_usd"] == "USD"


def test_rio_marker_weights_are_configurable():
    flows = pd.DataFrame({"indicator": ["SO5-1"] * 3, "direction": ["provided"] * 3, "year": [2016] * 3,
                          "amount_committed": [100.0, 200.0, 400.0], "currency": ["USD"] * 3,
                          "rio_marker": ["Principal", "significant", "not targeted"]})
    default = _run(flows)["series"]["committed_usd"].iloc[0]
    assert default == pytest.approx(300.0)  # principal and significant at 100 %, not targeted at 0
    half = _run(flows, weights={"principal": 1.0, "significant": 0.4, "not_targeted": 0.0})["series"]["committed_usd"].iloc[0]
    assert half == pytest.approx(100.0 + 80.0)
    with pytest.raises(InputError, match="outside \\[0, 1\\]"):
        _run(flows, weights={"principal": 100.0, "significant": 1.0, "not targeted": 0.0})


def test_tier1_trend_per_indicator_direction_and_amount():
    flows = pd.DataFrame({"indicator": ["SO5-1"] * 4, "direction": ["received"] * 4, "year": [2016, 2017, 2018, 2019],
                          "amount_disbursed": [100.0, 200.0, 300.0, 400.0], "amount_committed": [500.0] * 4,
                          "currency": ["USD"] * 4, "rio_marker": ["principal"] * 4})
    tr = _run(flows)["trend"].set_index("series")
    assert tr.loc["disbursed_usd", "trend"] == "increasing"
    assert tr.loc["committed_usd", "trend"] == "stable"
    assert tr.loc["disbursed_usd", "extra_sens_slope_per_year"] == pytest.approx(100.0)


def _flows_file(write_csv, currency="EUR", year=2016):
    return write_csv("flows.csv", f"""
        # flows
        indicator,direction,year,amount_committed,amount_disbursed,currency,rio_marker
        SO5-1,received,2016,,100,USD,principal
        SO5-1,received,{year},50,,{currency},significant
    """)


def test_unknown_currency_names_file_line_and_column(write_csv):
    rates_path = write_csv("rates.csv", "year,currency,lcu_per_usd\n2016,EUR,0.8\n2017,EUR,0.5")
    rates = read_table(rates_path, EXCHANGE_RATE_SCHEMA)
    path = _flows_file(write_csv, currency="GBP")
    flows = read_table(path, flows_table_schema(("principal", "significant", "not_targeted")))
    with pytest.raises(InputError) as err:
        _run(flows, rates=rates)
    msg = str(err.value)
    assert str(path) in msg and "line 4, column 'currency'" in msg and "'GBP'" in msg and str(rates_path) in msg


def test_missing_rate_year_and_malformed_code(write_csv):
    rates = RATES
    flows = read_table(_flows_file(write_csv, year=2019), flows_table_schema(("principal", "significant", "not_targeted")))
    with pytest.raises(InputError, match=r"line 4, column 'year'.*no EUR exchange rate for 2019"):
        _run(flows, rates=rates)
    flows.loc[1, "currency"] = "EURO"
    flows.loc[1, "year"] = 2016
    with pytest.raises(InputError, match=r"line 4, column 'currency'.*not an ISO 4217"):
        _run(flows, rates=rates)


def test_bad_rate_table_and_rows_without_amount(write_csv):
    bad_rates = write_csv("r.csv", "year,currency,lcu_per_usd\n2016,EUR,-0.8")
    with pytest.raises(InputError, match=r"line 2, column 'lcu_per_usd'"):
        read_table(bad_rates, EXCHANGE_RATE_SCHEMA)
    flows = pd.DataFrame({"indicator": ["SO5-1"], "direction": ["received"], "year": [2016], "currency": ["USD"]})
    with pytest.raises(InputError, match="neither a committed nor a disbursed amount"):
        _run(flows)
    flows = pd.DataFrame({"indicator": ["SO5-9"], "direction": ["received"], "year": [2016], "currency": ["USD"],
                          "amount_disbursed": [1.0]})
    with pytest.raises(InputError, match=r"column 'indicator'.*'SO5-9' is not one of"):
        _run(flows)


def test_narrative_lists_every_sub_item():
    items = {"SO5-5.1": "planned domestic", "SO 5-5.2": "planned international", "SO5-5.3": "resources needed"}
    out = future_support_narrative(pd.DataFrame({"sub_item": ["so5-5.3"], "text": ["USD 4 million a year"]}), sub_items=items)
    assert out["sub_item"].tolist() == ["SO5-5.1", "SO5-5.2", "SO5-5.3"]
    assert out["reported"].tolist() == [False, False, True]
    assert out.loc[2, "text"] == "USD 4 million a year"
    with pytest.raises(InputError, match="'SO5-5.4' is not one of"):
        future_support_narrative(pd.DataFrame({"sub_item": ["SO5-5.4"], "text": ["x"]}), sub_items=items)
    with pytest.raises(InputError, match=r"column 'text'.*empty"):
        future_support_narrative(pd.DataFrame({"sub_item": ["SO5-5.1"], "text": [""]}), sub_items=items)

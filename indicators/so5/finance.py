"""SO5: financial and non-financial resources (SO5-1 … SO5-4 flows in USD, SO5-5 narrative).

Tier 1 is a qualitative trend (increasing / stable / declining) per indicator
and direction; Tier 2 is the activity table with its 16 parameters, amounts in
USD (methodology Part B §1.2, SO5 rows, and the Tier note below the table).

Flows table (one activity per row); required columns ``indicator`` (SO5-1 …
SO5-4, ``SO 5-1`` accepted), ``direction`` (provided / received / domestic),
``year``, ``amount_committed`` and/or ``amount_disbursed`` (at least one per row;
committed and disbursed are never added together), ``currency`` (ISO 4217
code); optional ``rio_marker`` (desertification Rio marker: principal /
significant / not targeted; empty = not screened), ``amount_mobilized`` (same
currency) and the descriptive Tier 2 columns of :data:`DESCRIPTIVE_COLUMNS`.

Exchange-rate table: ``year, currency, lcu_per_usd`` (units of the currency per
US dollar, annual average, e.g. World Bank PA.NUS.FCRF); an amount is converted
with its own year's rate: ``amount_usd = amount / lcu_per_usd``.

Rio-marker weighting: each flow is counted at ``weight × amount_usd``, the weight
looked up by its marker (the manual's default counts principal and significant
at 100 %; the weights come from the spec).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import InputError
from ..tables import (
    Column,
    TableSchema,
    canonical_code,
    cell_error,
    finish,
    provenance,
    series_trends,
    source_of,
    validate_table,
)

FLOW_INDICATORS = ("SO5-1", "SO5-2", "SO5-3", "SO5-4")
DIRECTIONS = ("provided", "received", "domestic")

#: Tier 2 descriptive parameters, passed through unchanged
DESCRIPTIVE_COLUMNS = (
    "counterpart", "title", "sector", "capacity_building", "technology_transfer", "gender_equality",
    "channel", "flow_type", "financial_instrument", "use_impact_results", "additional_information",
)

_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _token(text: str) -> str:
    return "_".join(text.lower().replace("-", " ").split())


def _upper(text: str) -> str:
    return text.strip().upper()


def flows_table_schema(rio_markers: tuple[str, ...]) -> TableSchema:
    """Schema of the SO5 flows table; *rio_markers* are the markers the weights define."""
    return TableSchema(
        title="SO5 resource flows",
        columns=(
            Column("indicator", "str", choices=FLOW_INDICATORS, normalize=canonical_code, description="the indicator (SO5-1 … SO5-4)"),
            Column("direction", "str", choices=DIRECTIONS, normalize=_token, description="provided, received or domestic"),
            Column("year", "int", description="the year of the activity"),
            Column("amount_committed", "float", required=False, nullable=True, valid_range=(0, None), description="the committed amount"),
            Column("amount_disbursed", "float", required=False, nullable=True, valid_range=(0, None), description="the disbursed amount"),
            Column("currency", "str", normalize=_upper, description="the ISO 4217 currency code of the amounts (e.g. USD, EUR)"),
            Column("rio_marker", "str", required=False, nullable=True, choices=rio_markers, normalize=_token,
                   description="the desertification Rio marker"),
            Column("amount_mobilized", "float", required=False, nullable=True, valid_range=(0, None),
                   description="the private amount mobilised by the public intervention"),
            *(Column(c, "str", required=False, nullable=True) for c in DESCRIPTIVE_COLUMNS),
        ),
    )


EXCHANGE_RATE_SCHEMA = TableSchema(
    title="exchange rates",
    columns=(
        Column("year", "int", description="the year"),
        Column("currency", "str", normalize=_upper, description="the ISO 4217 currency code"),
        Column("lcu_per_usd", "float", valid_range=(0, None), min_exclusive=True, description="units of the currency per US dollar (annual average)"),
    ),
    key=("year", "currency"),
)


def convert_to_usd(
    table: pd.DataFrame,
    exchange_rates: pd.DataFrame,
    *,
    amount_columns: tuple[str, ...],
) -> pd.DataFrame:
    """Convert *amount_columns* of *table* (with ``year`` and ``currency``) to USD, year by year.

    Adds ``<column>_usd`` for each amount column and ``lcu_per_usd`` (1 for USD).

    Raises
    ------
    InputError
        Naming the flows file, line and column for a malformed or unknown
        currency or a year without a rate.
    """
    rates = validate_table(exchange_rates, EXCHANGE_RATE_SCHEMA)
    for i, cur in enumerate(rates["currency"]):
        if not _CURRENCY.match(cur):
            raise cell_error(rates, i, "currency", f"{cur!r} is not an ISO 4217 code", "use a three-letter code such as EUR or XOF")
        if cur == "USD" and not np.isclose(rates.at[i, "lcu_per_usd"], 1.0):
            raise cell_error(rates, i, "lcu_per_usd", f"the USD rate is {rates.at[i, 'lcu_per_usd']:g}", "the rate of USD per USD is 1; remove the row or set it to 1")
    lookup = {(int(y), c): float(r) for y, c, r in rates[["year", "currency"]].assign(r=rates["lcu_per_usd"]).itertuples(index=False)}
    known = set(rates["currency"])
    rate_src = source_of(rates)
    out = table.copy()
    factors = np.empty(len(out))
    for i, (year, cur) in enumerate(zip(out["year"], out["currency"])):
        if not _CURRENCY.match(str(cur)):
            raise cell_error(out, i, "currency", f"{cur!r} is not an ISO 4217 currency code", "use a three-letter code such as USD, EUR or XOF")
        if cur == "USD":
            factors[i] = 1.0
            continue
        if cur not in known:
            raise cell_error(out, i, "currency", f"unknown currency {cur!r}: {rate_src} has no rates for it (it has {sorted(known)})",
                             f"add annual {cur} rates to {rate_src}, or give the amount in USD")
        rate = lookup.get((int(year), cur))
        if rate is None:
            have = sorted(y for (y, c) in lookup if c == cur)
            raise cell_error(out, i, "year", f"no {cur} exchange rate for {int(year)} in {rate_src} (years with rates: {have})",
                             f"add the {int(year)} {cur} rate to {rate_src}")
        factors[i] = rate
    out["lcu_per_usd"] = factors
    for col in amount_columns:
        out[f"{col}_usd"] = out[col].to_numpy(dtype="float64") / factors
    out.attrs = dict(table.attrs)
    out.attrs["exchange_rates_source"] = rate_src
    return out


def flows_in_usd(table: pd.DataFrame, exchange_rates: pd.DataFrame, *, rio_marker_weights: Mapping[str, float],
                 unmarked_weight: float) -> pd.DataFrame:
    """The flows table validated and converted to USD as :func:`resource_flows_indicator` uses it: every refusal
    of the computation (weights outside [0, 1], bad cells, a row with neither amount, an unknown currency or a year
    without a rate), so a stage checks the tables before anything is computed with the function the computation
    calls. Adds ``amount_*_usd`` and ``lcu_per_usd`` (:func:`convert_to_usd`)."""
    weights = {_token(k): float(v) for k, v in rio_marker_weights.items()}
    for name, w in {**weights, "unmarked_weight": float(unmarked_weight)}.items():
        if not 0.0 <= w <= 1.0:
            raise InputError(f"Rio-marker weight {name!r} = {w:g} is outside [0, 1]; weights are the share of an amount counted")
    t = validate_table(table, flows_table_schema(tuple(weights)))
    for i, (c, d) in enumerate(zip(t["amount_committed"], t["amount_disbursed"])):
        if np.isnan(c) and np.isnan(d):
            raise cell_error(t, i, "amount_committed", "neither a committed nor a disbursed amount is given",
                             "enter amount_committed and/or amount_disbursed")
    return convert_to_usd(t, exchange_rates, amount_columns=("amount_committed", "amount_disbursed", "amount_mobilized"))


def resource_flows_indicator(
    table: pd.DataFrame,
    *,
    exchange_rates: pd.DataFrame,
    rio_marker_weights: Mapping[str, float],
    unmarked_weight: float,
    trend_tolerance: float,
    trend_method: Literal["sen", "endpoints"],
) -> dict[str, pd.DataFrame]:
    """SO5-1 … SO5-4: resources in USD, Rio-marker weighted, per indicator, direction and year; Tier 1 trend.

    Parameters
    ----------
    table : pandas.DataFrame
        Flows table (module docstring).
    exchange_rates : pandas.DataFrame
        ``year, currency, lcu_per_usd``.
    rio_marker_weights : mapping of str to float
        Share of an amount counted for each Rio marker (e.g. principal 1.0,
        significant 1.0, not_targeted 0.0), fractions in [0, 1].
    unmarked_weight : float
        Share counted for a flow without a marker (e.g. domestic budget lines).
    trend_tolerance, trend_method
        Qualitative trend settings.

    Returns
    -------
    dict of DataFrame
        ``"flows"``: the Tier 2 rows with ``amount_*_usd``, ``lcu_per_usd``,
        ``rio_weight`` and ``counted_committed_usd``/``counted_disbursed_usd``;
        ``"series"``: ``indicator, direction, year, committed_usd,
        disbursed_usd, mobilized_usd, n_flows`` (weighted sums);
        ``"trend"``: Tier 1 trend per indicator, direction and amount kind
        (``series`` = committed_usd or disbursed_usd).

    Raises
    ------
    InputError
        Bad cells, a row with neither amount, an unknown currency or a year
        without a rate (naming file, line and column), weights out of [0, 1].
    """
    weights = {_token(k): float(v) for k, v in rio_marker_weights.items()}
    flows = flows_in_usd(table, exchange_rates, rio_marker_weights=rio_marker_weights, unmarked_weight=unmarked_weight)
    flows["rio_weight"] = [weights[m] if isinstance(m, str) else float(unmarked_weight) for m in flows["rio_marker"]]
    flows["counted_committed_usd"] = flows["amount_committed_usd"] * flows["rio_weight"]
    flows["counted_disbursed_usd"] = flows["amount_disbursed_usd"] * flows["rio_weight"]
    flows["counted_mobilized_usd"] = flows["amount_mobilized_usd"] * flows["rio_weight"]

    # min_count=1: a year whose flows give no committed figure is missing, not zero
    series = flows.groupby(["indicator", "direction", "year"], as_index=False).agg(
        committed_usd=("counted_committed_usd", lambda s: s.sum(min_count=1)),
        disbursed_usd=("counted_disbursed_usd", lambda s: s.sum(min_count=1)),
        mobilized_usd=("counted_mobilized_usd", lambda s: s.sum(min_count=1)),
        n_flows=("year", "size"),
    )
    series["year"] = series["year"].astype("int64")
    long = series.melt(id_vars=["indicator", "direction", "year"], value_vars=["committed_usd", "disbursed_usd"], var_name="amount", value_name="usd")
    long = long.dropna(subset=["usd"])
    trend = series_trends(long, value="usd", by=("indicator", "direction", "amount"), tolerance=trend_tolerance, method=trend_method)
    trend["series"] = trend["amount"]
    trend = trend.drop(columns="amount")

    params = dict(rio_marker_weights=weights, unmarked_weight=float(unmarked_weight), trend_tolerance=trend_tolerance, trend_method=trend_method)
    prov = provenance("SO5", "indicators.so5.finance:resource_flows_indicator", parameters=params,
                      inputs={"table": source_of(flows), "exchange_rates": flows.attrs.get("exchange_rates_source", "")},
                      methodology="methodology.md Part B §1.2 (SO5 rows and Tier note)",
                      notes=["amount_usd = amount / lcu_per_usd of the flow's year", "committed and disbursed amounts are summed separately"])
    usd = {c: "USD" for c in ("amount_committed_usd", "amount_disbursed_usd", "amount_mobilized_usd", "counted_committed_usd",
                              "counted_disbursed_usd", "counted_mobilized_usd", "committed_usd", "disbursed_usd", "mobilized_usd")}
    flows_out = flows.drop(columns=[c for c in flows.columns if c.startswith("_")])
    return {
        "flows": finish(flows_out, units={**usd, "lcu_per_usd": "currency unit per USD", "rio_weight": "1"}, prov=prov),
        "series": finish(series, units=usd, prov=prov),
        "trend": finish(trend, units={"first_value": "USD", "last_value": "USD", "extra_sens_slope_per_year": "USD/year"}, prov=prov),
    }


def narrative_table_schema(sub_items: tuple[str, ...]) -> TableSchema:
    """Schema of the SO5-5 narrative table: ``sub_item, text``."""
    return TableSchema(
        title="SO5-5 future support narrative",
        columns=(
            Column("sub_item", "str", choices=sub_items, normalize=canonical_code, description="the sub-item (e.g. SO5-5.1)"),
            Column("text", "str", description="the narrative text"),
        ),
        key=("sub_item",),
    )


def future_support_narrative(table: pd.DataFrame, *, sub_items: Mapping[str, str]) -> pd.DataFrame:
    """SO5-5: the narrative answers, one row per sub-item, in the framework's order.

    Parameters
    ----------
    table : pandas.DataFrame
        ``sub_item, text``; one row per answered sub-item.
    sub_items : mapping of str to str
        Sub-item code → title, from the spec (SO5-5.1 planned domestic public
        and private resources, SO5-5.2 planned international resources,
        SO5-5.3 resources needed).

    Returns
    -------
    pandas.DataFrame
        ``sub_item, title, text, reported`` for every sub-item (``reported``
        False and empty text where the table has no answer).
    """
    codes = {canonical_code(k): v for k, v in sub_items.items()}
    t = validate_table(table, narrative_table_schema(tuple(codes)))
    answers = dict(zip(t["sub_item"], t["text"]))
    out = pd.DataFrame(
        [{"sub_item": c, "title": title, "text": answers.get(c, ""), "reported": c in answers} for c, title in codes.items()],
        columns=["sub_item", "title", "text", "reported"],
    )
    prov = provenance("SO5-5", "indicators.so5.finance:future_support_narrative", parameters={"sub_items": codes},
                      inputs={"table": source_of(t)}, methodology="methodology.md Part B §1.2 (SO 5-5)")
    return finish(out, units={}, prov=prov)

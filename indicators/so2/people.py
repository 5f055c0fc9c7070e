"""SO2-1 (poverty or income inequality) and SO2-2 (safely managed drinking water) from national tables.

Both indicators are national statistics (SDG 1.1.1 / World Bank SI.POV.GINI and
SDG 6.1.1) reported as annual series, nationally and, where a Party has them,
for affected areas or other sub-national scopes.  The reporting asks for the
values and a qualitative reading of the change (tables SO2-1.T3, SO2-2.T2);
methodology Part B §1.2 and §3.5.

Input tables (long format, one value per row, with its unit):

* SO2-1: ``year, scope, metric, value, unit, poverty_line_usd_per_day, ppp_year``;
  ``metric`` is ``below_poverty_line`` (percent of the population) or ``gini``
  (Gini index 0–100, unit ``percent``; a 0–1 coefficient is given with unit
  ``1``).  Poverty rows state the line they were measured at, which must be
  the edition's line (USD 1.90/day at 2011 PPP in 2022, USD 3.00/day at 2021 PPP
  in 2026: methodology Part B §5 item 8).
* SO2-2: ``year, scope, area_type, value, unit`` with ``area_type`` total, urban
  or rural.

``scope`` is optional (default ``national``); any other label (``affected
areas``, a region) is a separate series.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from ..tables import (
    Column,
    TableSchema,
    cell_error,
    check_years,
    finish,
    provenance,
    series_trends,
    source_of,
    validate_table,
)

POVERTY_METRICS = ("below_poverty_line", "gini")
WATER_AREA_TYPES = ("total", "urban", "rural")

#: reporting column of each SO2-1 metric, with its unit
POVERTY_COLUMNS = {"below_poverty_line": "below_poverty_line_pct", "gini": "gini_index"}
WATER_COLUMNS = {"total": "safely_managed_water_total_pct", "urban": "safely_managed_water_urban_pct", "rural": "safely_managed_water_rural_pct"}


def _lower(text: str) -> str:
    return "_".join(text.lower().split())


def poverty_table_schema(value_range: tuple[float, float]) -> TableSchema:
    """Schema of the SO2-1 input table; *value_range* (percent, inclusive) comes from the spec."""
    return TableSchema(
        title="SO2-1 poverty / income inequality",
        columns=(
            Column("year", "int", description="the year of the estimate"),
            Column("scope", "str", required=False, default="national", description="the area the value is for (national, affected areas, …)"),
            Column("metric", "str", choices=POVERTY_METRICS, normalize=_lower, description="the metric (below_poverty_line or gini)"),
            Column("value", "float", unit="percent", unit_column="unit", valid_range=value_range, description="the value"),
            Column("unit", "str", description="the unit of value (percent, or 1 for a fraction)"),
            Column("poverty_line_usd_per_day", "float", nullable=True, valid_range=(0, None), description="the poverty line in USD per day (PPP)"),
            Column("ppp_year", "int", nullable=True, description="the PPP base year of the poverty line"),
        ),
        key=("scope", "metric", "year"),
    )


def water_table_schema(value_range: tuple[float, float]) -> TableSchema:
    """Schema of the SO2-2 input table; *value_range* (percent, inclusive) comes from the spec."""
    return TableSchema(
        title="SO2-2 safely managed drinking water",
        columns=(
            Column("year", "int", description="the year of the estimate"),
            Column("scope", "str", required=False, default="national", description="the area the value is for"),
            Column("area_type", "str", choices=WATER_AREA_TYPES, normalize=_lower, description="total, urban or rural"),
            Column("value", "float", unit="percent", unit_column="unit", valid_range=value_range, description="the proportion of the population"),
            Column("unit", "str", description="the unit of value (percent)"),
        ),
        key=("scope", "area_type", "year"),
    )


def checked_poverty_table(table: pd.DataFrame, *, edition: str, poverty_line_usd_per_day: float, ppp_year: int,
                          value_range: tuple[float, float], years: tuple[int, int] | None,
                          allow_gaps: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The SO2-1 table validated as :func:`poverty_indicator` uses it, and its missing years (the ``"gaps"`` rows).

    Every refusal of the computation is here, so a stage checks a table before anything is computed with the
    very function the computation calls: a cell the schema refuses, a poverty row without its line or at another
    line or PPP year than the edition's, years missing from a series when gaps are not allowed. Parameters as
    :func:`poverty_indicator`'s.
    """
    t = validate_table(table, poverty_table_schema(value_range))
    line = float(poverty_line_usd_per_day)
    for i, row in enumerate(t.itertuples(index=False)):
        if row.metric != "below_poverty_line":
            continue
        if pd.isna(row.poverty_line_usd_per_day) or pd.isna(row.ppp_year):
            col = "poverty_line_usd_per_day" if pd.isna(row.poverty_line_usd_per_day) else "ppp_year"
            raise cell_error(t, i, col, "the poverty line of this estimate is not stated",
                             f"state the line the estimate was measured at (the {edition} edition uses USD {line:.2f}/day at {ppp_year} PPP)")
        if not np.isclose(row.poverty_line_usd_per_day, line) or int(row.ppp_year) != int(ppp_year):
            col = "poverty_line_usd_per_day" if not np.isclose(row.poverty_line_usd_per_day, line) else "ppp_year"
            raise cell_error(
                t, i, col,
                f"the estimate is at USD {row.poverty_line_usd_per_day:.2f}/day ({int(row.ppp_year)} PPP) but the {edition} edition uses USD {line:.2f}/day ({int(ppp_year)} PPP)",
                "use the series at the edition's line (SDG 1.1.1 at the current line), or report under the edition that matches",
            )
    return t, check_years(t, years=years, allow_gaps=allow_gaps, by=("scope", "metric"))


def checked_water_table(table: pd.DataFrame, *, value_range: tuple[float, float], years: tuple[int, int] | None,
                        allow_gaps: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The SO2-2 table validated as :func:`drinking_water_indicator` uses it, and its missing years (every refusal
    of the computation; see :func:`checked_poverty_table`)."""
    t = validate_table(table, water_table_schema(value_range))
    return t, check_years(t, years=years, allow_gaps=allow_gaps, by=("scope", "area_type"))


def poverty_indicator(
    table: pd.DataFrame,
    *,
    edition: str,
    poverty_line_usd_per_day: float,
    ppp_year: int,
    value_range: tuple[float, float],
    years: tuple[int, int] | None,
    allow_gaps: bool,
    trend_tolerance: float,
    trend_method: Literal["sen", "endpoints"],
) -> dict[str, pd.DataFrame]:
    """SO2-1: proportion of the population below the international poverty line and/or the Gini index.

    Parameters
    ----------
    table : pandas.DataFrame
        The SO2-1 table (module docstring), e.g. from
        ``read_table(path, poverty_table_schema(value_range))``; validated again here.
    edition : str
        Reporting edition (``"2022"`` or ``"2026"``), recorded in the provenance.
    poverty_line_usd_per_day : float
        The edition's international poverty line, USD per person per day (PPP).
    ppp_year : int
        PPP base year of that line.
    value_range : (float, float)
        Inclusive range of both metrics, percent (Gini index 0–100).
    years : (int, int) or None
        Years every series must cover (inclusive); None: each series' own span.
    allow_gaps : bool
        Report missing years (``"gaps"`` table) instead of raising.
    trend_tolerance : float
        Relative tolerance of the qualitative trend (fraction of the mean level).
    trend_method : {"sen", "endpoints"}
        How the change over the series is measured (:func:`indicators.trends.qualitative_trend`).

    Returns
    -------
    dict of DataFrame
        ``"series"``: ``scope, year, below_poverty_line_pct, gini_index`` (NaN where
        a metric is not reported); ``"trend"``: one row per scope and metric
        (:func:`indicators.tables.series_trends`); ``"gaps"``: missing years.

    Raises
    ------
    InputError
        Bad cells (file, line, column), a poverty row measured at another line
        than the edition's, or missing years when gaps are not allowed.

    Notes
    -----
    Methodology Part B §1.2 (SO 2-1) and §5 item 8; PRAIS tables SO2-1.T1–T3.
    """
    t, gaps = checked_poverty_table(table, edition=edition, poverty_line_usd_per_day=poverty_line_usd_per_day,
                                    ppp_year=ppp_year, value_range=value_range, years=years, allow_gaps=allow_gaps)
    line = float(poverty_line_usd_per_day)
    series = (
        t.pivot(index=["scope", "year"], columns="metric", values="value")
        .reindex(columns=list(POVERTY_METRICS))
        .rename(columns=POVERTY_COLUMNS)
        .reset_index()
    )
    series.columns.name = None
    series["year"] = series["year"].astype("int64")
    long = t[["scope", "metric", "year", "value"]].copy()
    trend = series_trends(long, value="value", by=("scope", "metric"), tolerance=trend_tolerance, method=trend_method)
    trend["series"] = trend["metric"].map(POVERTY_COLUMNS)
    params: dict[str, Any] = dict(edition=edition, poverty_line_usd_per_day=line, ppp_year=int(ppp_year), value_range=value_range,
                                  years=years, allow_gaps=allow_gaps, trend_tolerance=trend_tolerance, trend_method=trend_method)
    prov = provenance("SO2-1", "indicators.so2.people:poverty_indicator", parameters=params,
                      inputs={"table": source_of(t)}, methodology="methodology.md Part B §1.2 (SO 2-1), §3.5, §5 item 8")
    units = {"below_poverty_line_pct": "percent", "gini_index": "percent (Gini index 0-100)", "year": "year"}
    return {
        "series": finish(series, units=units, prov=prov),
        "trend": finish(trend, units={"first_value": "percent", "last_value": "percent", "extra_sens_slope_per_year": "percent/year"}, prov=prov),
        "gaps": finish(gaps, units={}, prov=prov),
    }


def drinking_water_indicator(
    table: pd.DataFrame,
    *,
    value_range: tuple[float, float],
    years: tuple[int, int] | None,
    allow_gaps: bool,
    trend_tolerance: float,
    trend_method: Literal["sen", "endpoints"],
) -> dict[str, pd.DataFrame]:
    """SO2-2: proportion of the population using safely managed drinking water services.

    Parameters
    ----------
    table : pandas.DataFrame
        The SO2-2 table (module docstring); validated here.
    value_range : (float, float)
        Inclusive range of the values, percent.
    years, allow_gaps, trend_tolerance, trend_method
        As in :func:`poverty_indicator`.

    Returns
    -------
    dict of DataFrame
        ``"series"``: ``scope, year, safely_managed_water_total_pct,
        safely_managed_water_urban_pct, safely_managed_water_rural_pct``;
        ``"trend"``: one row per scope and area type; ``"gaps"``: missing years;
        ``"checks"``: rows where the total lies outside the urban–rural interval
        (a population-weighted mean cannot; worth a look, not an error).

    Notes
    -----
    Methodology Part B §1.2 (SO 2-2: SDG 6.1.1, total / urban / rural); PRAIS
    tables SO2-2.T1, T2.
    """
    t, gaps = checked_water_table(table, value_range=value_range, years=years, allow_gaps=allow_gaps)
    series = (
        t.pivot(index=["scope", "year"], columns="area_type", values="value")
        .reindex(columns=list(WATER_AREA_TYPES))
        .rename(columns=WATER_COLUMNS)
        .reset_index()
    )
    series.columns.name = None
    series["year"] = series["year"].astype("int64")
    tot, urb, rur = (series[WATER_COLUMNS[a]] for a in WATER_AREA_TYPES)
    outside = (tot < np.fmin(urb, rur) - 1e-9) | (tot > np.fmax(urb, rur) + 1e-9)
    checks = series.loc[outside.fillna(False), ["scope", "year", *WATER_COLUMNS.values()]].copy()
    checks["note"] = "total outside the urban-rural interval"
    trend = series_trends(t[["scope", "area_type", "year", "value"]], value="value", by=("scope", "area_type"),
                          tolerance=trend_tolerance, method=trend_method)
    trend["series"] = trend["area_type"].map(WATER_COLUMNS)
    params = dict(value_range=value_range, years=years, allow_gaps=allow_gaps, trend_tolerance=trend_tolerance, trend_method=trend_method)
    prov = provenance("SO2-2", "indicators.so2.people:drinking_water_indicator", parameters=params,
                      inputs={"table": source_of(t)}, methodology="methodology.md Part B §1.2 (SO 2-2), §3.5")
    units = {c: "percent" for c in WATER_COLUMNS.values()} | {"year": "year"}
    return {
        "series": finish(series, units=units, prov=prov),
        "trend": finish(trend, units={"first_value": "percent", "last_value": "percent", "extra_sens_slope_per_year": "percent/year"}, prov=prov),
        "gaps": finish(gaps, units={}, prov=prov),
        "checks": finish(checks, units=units, prov=prov),
    }


"""SO4-2: the Red List Index (SDG 15.5.1) with its upper and lower bounds.

The Party reports the annual RLI series (0 = all species extinct, 1 = all Least
Concern) with its confidence bounds; the 2022 edition asks for 2000–2020, the
2026 edition for 2000–2023 (methodology Part B §1.2, SO 4-2; PRAIS tables
SO4-2.T1, T2).  Input table columns: ``year``, ``rli``, ``rli_lower``,
``rli_upper`` (all dimensionless).
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from ..tables import Column, TableSchema, cell_error, check_years, finish, provenance, series_trends, source_of, validate_table


def red_list_table_schema(value_range: tuple[float, float]) -> TableSchema:
    """Schema of the SO4-2 table; *value_range* (inclusive, dimensionless) comes from the spec."""
    return TableSchema(
        title="SO4-2 Red List Index",
        columns=(
            Column("year", "int", description="the year"),
            Column("rli", "float", unit="1", valid_range=value_range, description="the Red List Index"),
            Column("rli_lower", "float", unit="1", valid_range=value_range, description="the lower bound of the RLI"),
            Column("rli_upper", "float", unit="1", valid_range=value_range, description="the upper bound of the RLI"),
        ),
        key=("year",),
        ordered=("rli_lower", "rli", "rli_upper"),
    )


def checked_red_list_table(table: pd.DataFrame, *, value_range: tuple[float, float], years: tuple[int, int] | None,
                           allow_gaps: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The SO4-2 table validated as :func:`red_list_index_indicator` uses it, and its missing years: every refusal
    of the computation (cells, bounds not ordered, years missing when gaps are not allowed), so a stage checks the
    table before anything is computed with the function the computation calls."""
    t = validate_table(table, red_list_table_schema(value_range))
    for i, row in enumerate(t.itertuples(index=False)):
        if row.rli_lower > row.rli:
            raise cell_error(t, i, "rli_lower", f"lower bound {row.rli_lower:g} is above the RLI {row.rli:g}",
                             "check whether the bound columns are swapped")
        if row.rli_upper < row.rli:
            raise cell_error(t, i, "rli_upper", f"upper bound {row.rli_upper:g} is below the RLI {row.rli:g}",
                             "check whether the bound columns are swapped")
    return t, check_years(t, years=years, allow_gaps=allow_gaps)


def red_list_index_indicator(
    table: pd.DataFrame,
    *,
    value_range: tuple[float, float],
    years: tuple[int, int] | None,
    allow_gaps: bool,
    trend_tolerance: float,
    trend_method: Literal["sen", "endpoints"],
) -> dict[str, pd.DataFrame]:
    """SO4-2: validate and report the Red List Index series with its bounds.

    Parameters
    ----------
    table : pandas.DataFrame
        ``year, rli, rli_lower, rli_upper``.
    value_range : (float, float)
        Inclusive range of the RLI and its bounds (the index is defined on 0–1).
    years : (int, int) or None
        Years the series must cover (the edition's span); None: its own span.
    allow_gaps : bool
        Report missing years in ``"gaps"`` instead of raising.
    trend_tolerance, trend_method
        Qualitative trend settings.

    Returns
    -------
    dict of DataFrame
        ``"series"``: ``year, rli, rli_lower, rli_upper``; ``"trend"``: one row
        for the RLI; ``"gaps"``: missing years.

    Raises
    ------
    InputError
        A value outside the range, bounds not ordered
        (``rli_lower ≤ rli ≤ rli_upper``), a duplicated year, or missing years.
    """
    t, gaps = checked_red_list_table(table, value_range=value_range, years=years, allow_gaps=allow_gaps)
    series = t[["year", "rli", "rli_lower", "rli_upper"]].sort_values("year").reset_index(drop=True)
    series["year"] = series["year"].astype("int64")
    trend = series_trends(series, value="rli", tolerance=trend_tolerance, method=trend_method)
    params = dict(value_range=value_range, years=years, allow_gaps=allow_gaps, trend_tolerance=trend_tolerance, trend_method=trend_method)
    prov = provenance("SO4-2", "indicators.so4.red_list:red_list_index_indicator", parameters=params,
                      inputs={"table": source_of(t)}, methodology="methodology.md Part B §1.2 (SO 4-2), §3.5")
    units = {"rli": "1", "rli_lower": "1", "rli_upper": "1", "year": "year"}
    return {
        "series": finish(series, units=units, prov=prov),
        "trend": finish(trend, units={"first_value": "1", "last_value": "1", "extra_sens_slope_per_year": "1/year"}, prov=prov),
        "gaps": finish(gaps, units={}, prov=prov),
    }

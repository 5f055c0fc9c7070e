"""SO4-1: carbon stocks above and below ground, as reported through SO1-3.

SO4-1 is a multipurpose indicator: the Party reports the soil organic carbon
(SOC) stocks computed for SO1-3 (methodology Part B §1.2, SO 4-1 row).  This
module turns SO1's stock table (tonnes of carbon per land-cover class per year)
into the reporting table (per class and in total) and the change between
periods; it computes no stocks itself.

Input table columns: ``class_code`` (int), ``class_name``, ``year``,
``stock_t`` (tonnes of carbon, ≥ 0) and optionally ``area_km2`` (area of the
class that year), which adds the mean stock density in t/ha.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import InputError
from ..tables import Column, TableSchema, cell_error, finish, provenance, series_trends, source_of, validate_table

TOTAL = "total"

SOC_STOCK_SCHEMA = TableSchema(
    title="SO4-1 SOC stock",
    columns=(
        Column("class_code", "int", description="the land-cover class code"),
        Column("class_name", "str", description="the land-cover class name"),
        Column("year", "int", description="the year of the stock"),
        Column("stock_t", "float", unit="t", valid_range=(0, None), description="the SOC stock in tonnes of carbon"),
        Column("area_km2", "float", unit="km**2", required=False, nullable=True, valid_range=(0, None), description="the class area in km²"),
    ),
    key=("class_code", "year"),
)

#: hectares per km²
_HA_PER_KM2 = 100.0


def carbon_stock_indicator(
    soc_stocks: pd.DataFrame,
    *,
    periods: Sequence[tuple[int, int]] | None,
    trend_tolerance: float,
    trend_method: Literal["sen", "endpoints"],
) -> dict[str, pd.DataFrame]:
    """SO4-1: SOC stocks per land-cover class and in total, and their change between periods.

    Parameters
    ----------
    soc_stocks : pandas.DataFrame
        Stock table from SO1-3 (module docstring): tonnes of carbon per class per year.
    periods : sequence of (start_year, end_year), or None
        Periods over which the change is reported (e.g. the baseline and the
        reporting period of the edition spec).  None: between each pair of
        consecutive years present in the table.
    trend_tolerance, trend_method
        Qualitative trend settings (:func:`indicators.trends.qualitative_trend`).

    Returns
    -------
    dict of DataFrame
        ``"series"``: ``year, class_code, class_name, stock_t`` (+ ``area_km2``,
        ``stock_t_per_ha`` when areas are given), one row per class and a
        ``total`` row per year (class_code empty);
        ``"change"``: ``period_start, period_end, class_code, class_name,
        stock_start_t, stock_end_t, change_t, change_pct`` per class and total;
        ``"trend"``: qualitative trend of each class's and the total stock.

    Raises
    ------
    InputError
        Bad cells, a class code with two names, a class missing in some year,
        or a period year absent from the table.

    Notes
    -----
    Methodology Part B §1.2 (SO 1-3 and SO 4-1) and §2.5; change in percent is
    ``(end − start) / start × 100`` (D11), NaN when the start stock is 0.
    """
    t = validate_table(soc_stocks, SOC_STOCK_SCHEMA)
    if t.empty:
        raise InputError(f"{source_of(t)}: the SOC stock table has no rows; give one row per land-cover class and year")
    names = t.groupby("class_code")["class_name"].nunique()
    for code in names.index[names > 1]:
        pos = int(np.flatnonzero((t["class_code"] == code).to_numpy())[-1])
        raise cell_error(t, pos, "class_name", f"class {code} has several names {sorted(set(t.loc[t['class_code'] == code, 'class_name']))}",
                         "use one name per class code")
    years = sorted(int(y) for y in t["year"].unique())
    codes = sorted(int(c) for c in t["class_code"].unique())
    have = set(zip(t["class_code"].astype(int), t["year"].astype(int)))
    absent = [(c, y) for c in codes for y in years if (c, y) not in have]
    if absent:
        raise InputError(
            f"{source_of(t)}, columns 'class_code'/'year': class/year pair(s) {absent[:5]}{' …' if len(absent) > 5 else ''} missing; "
            "give every class in every year (stock 0 where the class is absent)"
        )
    has_area = "area_km2" in t.columns and t["area_km2"].notna().all()

    per_class = t[["year", "class_code", "class_name", "stock_t"] + (["area_km2"] if has_area else [])].copy()
    totals = per_class.groupby("year", as_index=False).agg({"stock_t": "sum", **({"area_km2": "sum"} if has_area else {})})
    totals["class_code"] = pd.NA
    totals["class_name"] = TOTAL
    series = pd.concat([per_class, totals[per_class.columns]], ignore_index=True)
    series["class_code"] = series["class_code"].astype("Int64")
    series["_order"] = series["class_code"].fillna(np.iinfo("int32").max).astype("int64")
    series = series.sort_values(["year", "_order"]).drop(columns="_order").reset_index(drop=True)
    if has_area:
        with np.errstate(divide="ignore", invalid="ignore"):
            series["stock_t_per_ha"] = np.where(series["area_km2"] > 0, series["stock_t"] / (series["area_km2"] * _HA_PER_KM2), np.nan)

    if periods is None:
        pairs = list(zip(years[:-1], years[1:]))
    else:
        pairs = [(int(a), int(b)) for a, b in periods]
        for a, b in pairs:
            for y in (a, b):
                if y not in years:
                    raise InputError(f"{source_of(t)}, column 'year': period {a}-{b} needs stocks for {y}, which the table lacks (years: {years}); "
                                     "add that year's stocks or change the periods in the spec")
    keyed = series.set_index(["year", "class_name"])["stock_t"]
    labels = series.drop_duplicates("class_name")[["class_code", "class_name"]]
    change_rows = []
    for a, b in pairs:
        for code, name in labels.itertuples(index=False):
            s0, s1 = float(keyed[(a, name)]), float(keyed[(b, name)])
            change_rows.append({"period_start": a, "period_end": b, "class_code": code, "class_name": name,
                                "stock_start_t": s0, "stock_end_t": s1, "change_t": s1 - s0,
                                "change_pct": (s1 - s0) / s0 * 100.0 if s0 > 0 else np.nan})
    change = pd.DataFrame(change_rows, columns=["period_start", "period_end", "class_code", "class_name", "stock_start_t",
                                                "stock_end_t", "change_t", "change_pct"])
    change["class_code"] = change["class_code"].astype("Int64")

    trend = series_trends(series, value="stock_t", by=("class_name",), tolerance=trend_tolerance, method=trend_method)
    params = dict(periods=pairs, trend_tolerance=trend_tolerance, trend_method=trend_method)
    prov = provenance("SO4-1", "indicators.so4.carbon:carbon_stock_indicator", parameters=params,
                      inputs={"soc_stocks": source_of(t)}, methodology="methodology.md Part B §1.2 (SO 1-3, SO 4-1), §2.5, D11")
    units = {"stock_t": "t", "area_km2": "km2", "stock_t_per_ha": "t/ha", "stock_start_t": "t", "stock_end_t": "t",
             "change_t": "t", "change_pct": "percent"}
    return {
        "series": finish(series, units=units, prov=prov),
        "change": finish(change, units=units, prov=prov),
        "trend": finish(trend, units={"first_value": "t", "last_value": "t", "extra_sens_slope_per_year": "t/year"}, prov=prov),
    }

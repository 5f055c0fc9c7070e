"""The report's summary page: the headline figures of each strategic objective, per period, read from the tables.

A headline is declared as data (:data:`HEADLINES`): which table, which rows
(a filter on its columns), which column holds the period and which the value.
Nothing is computed here but differences: each figure is a cell of a
reporting table, and the change is that cell minus the baseline's (the first
period's) cell, so the summary can never disagree with the tables.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .tables import Table


@dataclass(frozen=True)
class Headline:
    """One headline figure: *value* of the rows of table *table* matching *where*, one per *period*."""

    objective: str  # SO1 ... SO5
    indicator: str
    message: str  # catalogue key of its label
    table: str
    period: str  # the column naming the period (period, epoch, year)
    value: str
    where: Mapping[str, Any] = field(default_factory=dict)
    first_and_last: bool = False  # annual series: show the first and the latest year only


HEADLINES: tuple[Headline, ...] = (
    Headline("SO1", "SO1-4", "headline.land_degraded", "SO1-4.T1", "period", "percent_of_land", {"class": "degraded"}),
    Headline("SO1", "SO1-4", "headline.land_degraded_area", "SO1-4.T1", "period", "area_km2", {"class": "degraded"}),
    Headline("SO2", "SO2-3", "headline.people_degraded", "SO2-3.T1", "period", "population",
             {"level": "national", "class": "degraded"}),
    Headline("SO2", "SO2-3", "headline.women_degraded", "SO2-3.T1", "period", "female", {"level": "national", "class": "degraded"}),
    Headline("SO2", "SO2-3", "headline.men_degraded", "SO2-3.T1", "period", "male", {"level": "national", "class": "degraded"}),
    Headline("SO3", "SO3-1", "headline.land_drought", "SO3-1.epochs", "epoch", "percent_of_land", {"kind": "any_drought"}),
    # an epoch's worst year is almost always below SPI 0 somewhere (mild drought), so "any intensity" is close to 100 %
    # by construction (decision D7); the extreme class is where the epochs differ
    Headline("SO3", "SO3-1", "headline.land_extreme_drought", "SO3-1.epochs", "epoch", "percent_of_land",
             {"kind": "class", "class": 4}),
    Headline("SO3", "SO3-2", "headline.people_drought", "SO3-2.epochs", "epoch", "population",
             {"group": "total", "kind": "any_drought"}),
    Headline("SO3", "SO3-2", "headline.women_drought", "SO3-2.epochs", "epoch", "population",
             {"group": "female", "kind": "any_drought"}),
    Headline("SO3", "SO3-2", "headline.men_drought", "SO3-2.epochs", "epoch", "population",
             {"group": "male", "kind": "any_drought"}),
    Headline("SO4", "SO4-2", "headline.red_list", "SO4-2.T1", "year", "rli", first_and_last=True),
    Headline("SO4", "SO4-3", "headline.kba_protected", "SO4-3.T1", "year", "mean_coverage_pct", first_and_last=True),
    Headline("SO5", "SO5-1", "headline.finance_received", "SO5-1.series", "year", "disbursed_usd",
             {"direction": "received"}, first_and_last=True),
)


@dataclass(frozen=True)
class Figure:
    """One row of the summary: a headline's value in one period and its change since the baseline."""

    headline: Headline
    period: str
    value: float
    unit: str | None
    change: float | None  # None for the baseline itself
    direction: str | None  # "up", "down", "same"; None for the baseline


def _same(a: Any, b: Any) -> bool:
    return str(a) == str(b)


def figures(tables: Mapping[str, Table], headlines: tuple[Headline, ...] = HEADLINES) -> list[Figure]:
    """The summary's figures, in headline order; a headline whose table or rows are absent is left out."""
    out: list[Figure] = []
    for h in headlines:
        t = tables.get(h.table)
        if t is None or h.value not in t.frame.columns or h.period not in t.frame.columns:
            continue
        rows = t.frame
        if any(k not in rows.columns for k in h.where):
            continue
        for k, v in h.where.items():
            rows = rows.loc[[_same(x, v) for x in rows[k]]]  # .loc: an empty mask must select rows, not columns
        series = [(str(p), float(v)) for p, v in zip(rows[h.period], rows[h.value], strict=True)
                  if v is not None and not (isinstance(v, float) and math.isnan(v))]
        if not series:
            continue
        if h.first_and_last and len(series) > 2:
            series = [series[0], series[-1]]
        base = series[0][1]
        for i, (period, value) in enumerate(series):
            change = None if i == 0 else value - base
            direction = None if change is None else "same" if abs(change) < 1e-9 else "up" if change > 0 else "down"
            out.append(Figure(h, period, value, t.units.get(h.value), change, direction))
    return out

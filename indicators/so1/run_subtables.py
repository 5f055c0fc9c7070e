"""SO1-2.T3-T6 and SO1-3.T2-T5: the productivity and SOC sub-indicators by land-cover transition and per period.

In the 2022 manual (SO1-2 Steps 5-6, SO1-3 Step 4 and "Generate reports"): SO1-2.T3 / T4 hold the land
productivity dynamics of the main land-cover transitions (baseline / reporting period), SO1-2.T5 / T6 the land
productivity degradation (3 classes, km² and % of total land area), SO1-3.T2 / T3 the SOC stock change of each
land-cover transition and SO1-3.T4 / T5 the SOC degradation.  The baseline is the table with the lower number,
every reporting period goes in the other (a ``period`` column).  Layouts: docs/decisions.md D23, D24.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..report.tables import Table
from .encoding import NODATA

LAYOUT_NOTE = "Layout decided by the project where the manual leaves it open (docs/decisions.md, {})."
UNCHANGED = "unchanged land cover"


def transition_layer(initial: Any, final: Any) -> Any:
    """One code per land-cover transition, ``initial * 10 + final`` (classes 1-9), NODATA where either map has none."""
    code = (initial.astype("uint8") * 10 + final.astype("uint8")).where((initial != NODATA) & (final != NODATA), NODATA)
    return code.astype("uint8").rename("transition")


def transition_names(codes: Sequence[int], names: Mapping[int, str]) -> dict[int, str]:
    """Transition code → ``"<initial> → <final>"`` for every pair of *codes*."""
    return {a * 10 + b: f"{names[a]} → {names[b]}" for a in codes for b in codes}


def split_baseline(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the baseline's rows, the reporting periods' rows) of a frame with a ``period`` column."""
    base = frame["period"] == "baseline"
    return frame[base].reset_index(drop=True), frame[~base].reset_index(drop=True)


def lpd_by_transition(initial: Any, final: Any, lpd: Any, *, codes: Sequence[int], names: Mapping[int, str],
                      lpd_codes: Sequence[int], lpd_names: Mapping[int, str], outside_km2: Any,
                      compute: bool = True) -> Any:
    """Area (km²) of each LPD class on each land-cover transition of a period.

    Rows: every transition between two different classes with an area, largest first, then the land whose class
    did not change (one row) and no data; the rows partition the grid inside the boundary, so the column sums are
    SO1-2.T2's.  *outside_km2*: the area outside the boundary, or a function giving it (called when the table is
    finished).  ``compute=False``: a pending table (one pass with other tables, :func:`indicators.summarize.compute_tables`).
    """
    from .tables import cross_table
    from .tables_common import shape_pending

    pairs = transition_names(codes, names)

    def shape(x: pd.DataFrame) -> pd.DataFrame:
        x.loc["no data", "no data"] -= outside_km2() if callable(outside_km2) else outside_km2
        stable = [pairs[c * 11] for c in codes]
        changed = x.drop(index=[*stable, "no data"])
        changed = changed[changed.sum(axis=1) > 0]
        changed = changed.loc[changed.sum(axis=1).sort_values(ascending=False, kind="stable").index]
        rows = pd.concat([changed, x.loc[stable].sum().to_frame(UNCHANGED).T, x.loc[["no data"]]])
        rows.insert(len(rows.columns), "total", rows.sum(axis=1))
        rows.index.name = "transition"
        return rows.reset_index()

    return shape_pending(cross_table(transition_layer(initial, final), lpd, codes_a=list(pairs), codes_b=lpd_codes,
                                     names_a=pairs, names_b=lpd_names, compute=False), shape, compute)


def add_lpd_transition_tables(ctx: Any, frames: Mapping[str, pd.DataFrame], labels: Mapping[str, str]) -> None:
    """SO1-2.T3 (baseline) and T4 (reporting periods) from :func:`lpd_by_transition` of each period."""
    if not frames:
        return
    t = pd.concat([f.assign(period=p)[["period", *f.columns]] for p, f in frames.items()], ignore_index=True)
    units = {c: "km**2" for c in t.columns if c not in ("period", "transition")}
    note = ("Rows: the land-cover transitions between two different classes over the period's land-cover years, "
            f"largest first; '{UNCHANGED}': the land whose class did not change; the column sums are SO1-2.T2's.")
    base, rep = split_baseline(t)
    for tid, part, what in (("SO1-2.T3", base, "baseline"), ("SO1-2.T4", rep, "reporting periods")):
        ctx.add_table(Table(tid, f"Land productivity dynamics per land-cover transition ({what}), km²", part, units=units,
                            notes=[note, "Periods: " + "; ".join(f"{p} {labels[p]}" for p in dict.fromkeys(part["period"])),
                                   LAYOUT_NOTE.format("D23")]))


def add_degradation_tables(ctx: Any, summary: pd.DataFrame, ids: tuple[str, str], what: str, decision: str) -> None:
    """Baseline / reporting-period tables (``ids``) of a sub-indicator's per-period degraded / stable / improved
    summary (SO1-2.T5 / T6, SO1-3.T4 / T5): the rows of SO1-4.T1's layout, percent of SO1-1.T1's total land area."""
    base, rep = split_baseline(summary)
    units = {"area_km2": "km**2", "percent_of_land": "percent", "percent_of_land_with_data": "percent"}
    note = ("percent_of_land: of SO1-1.T1's total land area (the denominator of SO1-4.T1); "
            "percent_of_land_with_data: of the land with data.")
    for tid, part, when in ((ids[0], base, "baseline"), (ids[1], rep, "reporting periods")):
        ctx.add_table(Table(tid, f"{what} ({when}): degraded, stable and improved area, km² and % of total land area",
                            part, units={c: u for c, u in units.items() if c in part.columns},
                            notes=[note, LAYOUT_NOTE.format(decision)]))


def soc_change_by_transition(stock_initial: Any, stock_final: Any, lc_initial: Any, lc_final: Any, *,
                             codes: Sequence[int], names: Mapping[int, str], compute: bool = True) -> Any:
    """SOC stock (t) at the start and the end of a period on each land-cover transition (initial → final class).

    Rows: every transition with an area (the unchanged classes included: their stocks still change while an
    earlier conversion runs its course), ordered by the initial then the final class.  ``compute=False``: a pending
    table (one pass with other tables, :func:`indicators.summarize.compute_tables`).
    """
    from ..summarize import PendingTables
    from .tables import soc_stock_table

    pairs = transition_names(codes, names)
    trans = transition_layer(lc_initial, lc_final)

    def finish(tables: list[pd.DataFrame]) -> pd.DataFrame:
        start, end = tables
        t = pd.DataFrame({
            "initial": [names[c // 10] for c in pairs], "final": [names[c % 10] for c in pairs],
            "area_km2": start["area_km2"].to_numpy(), "soc_initial_t": start["soc_stock_t"].to_numpy(),
            "soc_final_t": end["soc_stock_t"].to_numpy(),
        })
        t["soc_change_t"] = t["soc_final_t"] - t["soc_initial_t"]
        t["soc_change_percent"] = 100.0 * t["soc_change_t"] / t["soc_initial_t"].where(t["soc_initial_t"] > 0)
        return t[t["area_km2"] > 0].reset_index(drop=True)

    pending = PendingTables((soc_stock_table(stock_initial, trans, codes=list(pairs), names=pairs, compute=False),
                             soc_stock_table(stock_final, trans, codes=list(pairs), names=pairs, compute=False)), finish)
    return pending.compute() if compute else pending


def add_soc_transition_tables(ctx: Any, frames: Mapping[str, pd.DataFrame], years: Mapping[str, tuple[int, int]]) -> None:
    """SO1-3.T2 (baseline) and T3 (reporting periods) from :func:`soc_change_by_transition` of each period."""
    if not frames:
        return
    t = pd.concat([f.assign(period=p)[["period", *f.columns]] for p, f in frames.items()], ignore_index=True)
    units = {"area_km2": "km**2", "soc_initial_t": "t", "soc_final_t": "t", "soc_change_t": "t", "soc_change_percent": "percent"}
    base, rep = split_baseline(t)
    for tid, part, what in (("SO1-3.T2", base, "baseline"), ("SO1-3.T3", rep, "reporting periods")):
        spans = "; ".join(f"{p} {years[p][0]}-{years[p][1]}" for p in dict.fromkeys(part["period"]))
        ctx.add_table(Table(tid, f"Soil organic carbon stock change per land-cover transition ({what})", part, units=units,
                            notes=[f"SOC years: {spans}. Land cover of the initial and final SOC year; stocks 0-30 cm "
                                   "summed over the cells that have one (SO1-3.T1's rule).", LAYOUT_NOTE.format("D24")]))


def add_lpd_tables(ctx: Any, periods: Sequence[Any], by_transition: Mapping[str, pd.DataFrame], tabs: Mapping[Any, Any], *,
                   la: Any, official: float | None, water_year: Mapping[str, int], total_land: Mapping[int, float]) -> None:
    """SO1-2.T3 / T4 (LPD per land-cover transition) and T5 / T6 (the productivity sub-indicator per period, from the
    pass's ``("SO1-2.summary", period)`` tables, with SO1-4.T1's land rules)."""
    from .run_areas import sdg_summary_inside

    add_lpd_transition_tables(ctx, by_transition, {p.id: f"{p.land_cover.initial}-{p.land_cover.final}" for p in periods})
    frames = []
    for p in periods:
        if ("SO1-2.summary", p.id) not in tabs:
            continue
        s = sdg_summary_inside(tabs[("SO1-2.summary", p.id)], ctx, nodata_in_denominator=la.nodata_in_denominator,
                               official=official, year=water_year[p.id], total_land_km2=total_land.get(water_year[p.id]))
        s.insert(0, "period", p.id)
        frames.append(s)
    if frames:
        add_degradation_tables(ctx, pd.concat(frames, ignore_index=True), ("SO1-2.T5", "SO1-2.T6"),
                               "Land productivity degradation (3 classes)", "D23")


def add_soc_tables(ctx: Any, periods: Sequence[Any], frames: Mapping[str, pd.DataFrame]) -> None:
    """SO1-3.T2 / T3 (SOC stock change per land-cover transition: *frames*, :func:`soc_change_by_transition` of each
    period) and T4 / T5 (the SOC sub-indicator per period: SO1-3.summary split at the baseline)."""
    add_soc_transition_tables(ctx, frames, {p.id: (p.soc.initial, p.soc.final) for p in periods})
    summary = ctx.result.tables.get("SO1-3.summary")
    if summary is not None:
        add_degradation_tables(ctx, summary.frame, ("SO1-3.T4", "SO1-3.T5"), "Soil organic carbon degradation", "D24")

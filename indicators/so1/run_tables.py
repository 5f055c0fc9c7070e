"""SO1-1 reporting tables that come from the specs (the transition matrix, its processes, the national legend).

SO1-1.T2 (degradation processes), T3 (national legend), T4a / T4b (transition matrix in the UNCCD and in the
national legend) describe the classification a country reports with, not areas: they are built from the
run's transition matrix (``SO1-1.land_cover_change``'s ``matrix`` binding), the land-cover legend and, where the
overlay declares one, the national legend nested into it. Layout decisions: docs/decisions.md#d17.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..report.tables import Table

MEANING_WORDS = {-1: "degradation", 0: "stable", 1: "improvement"}
LAYOUT_NOTE = "Layout decided by the project where the manual leaves it open (docs/decisions.md, D17)."


def meaning_word(value: float) -> str:
    """-1 / 0 / +1 of a meaning matrix as the manual's word."""
    return MEANING_WORDS[int(value)]


def matrix_meaning_table(matrix: Any, legend: Any) -> pd.DataFrame:
    """Rows the initial class, columns the final class (class names), cells degradation / stable / improvement."""
    values = matrix.as_dict()
    names = {c.code: c.name for c in legend.classes}
    rows = [{"initial": names[row.from_], **{names[col]: meaning_word(values[(row.from_, col)]) for col in matrix.columns}}
            for row in matrix.rows]
    return pd.DataFrame(rows, columns=["initial", *[names[c] for c in matrix.columns]])


def nested_matrix_table(matrix: Any, nesting: Any, child: Any, parent: Any) -> pd.DataFrame:
    """The transition matrix in a national legend: each pair of national classes takes the meaning of the pair of
    UNCCD classes they nest into (two national classes of one UNCCD class: that class's diagonal, stable)."""
    values = matrix.as_dict()
    up = nesting.mapping()
    names = {c.code: c.name for c in child.classes if c.code in up}
    codes = [c.code for c in child.classes if c.code in up]
    pname = {c.code: c.name for c in parent.classes}
    rows = [{"initial": names[a], "initial_unccd": pname[up[a]],
             **{names[b]: meaning_word(values[(up[a], up[b])]) for b in codes}} for a in codes]
    return pd.DataFrame(rows, columns=["initial", "initial_unccd", *[names[b] for b in codes]])


def national_legend_table(nesting: Any, child: Any, parent: Any) -> pd.DataFrame:
    """Each national class with the UNCCD class it nests into."""
    up = nesting.mapping()
    pname = {c.code: c.name for c in parent.classes}
    return pd.DataFrame([{"code": c.code, "name": c.name, "unccd_code": up[c.code], "unccd_class": pname[up[c.code]]}
                         for c in child.classes if c.code in up])


def process_list_table(matrix: Any, legend: Any) -> pd.DataFrame:
    """Each named process of the matrix with its meaning and the transitions (initial → final) it covers."""
    values = matrix.as_dict()
    names = {c.code: c.name for c in legend.classes}
    found: dict[str, dict[str, Any]] = {}
    for row in matrix.rows:
        for col, proc in zip(matrix.columns, row.processes or ()):
            v = values[(row.from_, col)]
            if proc is None or v == 0:
                continue
            entry = found.setdefault(proc, {"process": proc, "meaning": meaning_word(v), "transitions": []})
            entry["transitions"].append(f"{names[row.from_]} → {names[col]}")
    frame = pd.DataFrame(list(found.values()), columns=["process", "meaning", "transitions"])
    frame["transitions"] = frame["transitions"].map("; ".join)
    return frame.sort_values(["meaning", "process"], kind="stable").reset_index(drop=True)


def national_nesting(fw: Any, parent_legend_id: str) -> Any | None:
    """The nesting of the national legend into the land-cover legend: the parameters' ``land_cover.national_nesting``,
    else the one such nesting the overlay declares (None: no national legend)."""
    named = fw.parameters("land_cover").national_nesting
    if named is not None:
        return fw.nesting(named)
    found = [n for n in fw.nestings if str(n.parent_legend) == parent_legend_id and str(n.child_legend) != parent_legend_id
             and any(str(lg.id) == str(n.child_legend) for lg in fw.legends) and "national" in str(n.child_legend)]
    return found[0] if len(found) == 1 else None


def add_so1_1_spec_tables(ctx: Any) -> None:
    """SO1-1.T2, T3, T4a, T4b of the run's matrix and legends (a national legend: the overlay's nesting)."""
    fw = ctx.framework
    lcp = ctx.params("SO1-1", "land_cover")
    legend = fw.legend(lcp.legend)
    matrix = fw.binding_arguments("SO1-1.land_cover_change")["matrix"]
    src = f"Matrix {matrix.id}, legend {legend.id}."
    ctx.add_table(Table("SO1-1.T4a", "Land-cover transition matrix (UNCCD legend): meaning of each transition",
                        matrix_meaning_table(matrix, legend), notes=[src, "Rows: initial class; columns: final class.", LAYOUT_NOTE]))
    ctx.add_table(Table("SO1-1.T2", "Land-cover degradation and improvement processes of the transition matrix",
                        process_list_table(matrix, legend), notes=[src, "Areas per process and period: SO1-1.T7.", LAYOUT_NOTE]))
    nesting = national_nesting(fw, str(legend.id))
    if nesting is None:
        none = "No national legend is declared (overlay: legends and a nesting into the UNCCD legend): the UNCCD legend is listed."
        t3 = pd.DataFrame([{"code": c.code, "name": c.name, "unccd_code": c.code, "unccd_class": c.name} for c in legend.classes])
        t4b = matrix_meaning_table(matrix, legend)
        notes = [none, LAYOUT_NOTE]
    else:
        child = fw.legend(str(nesting.child_legend))
        t3 = national_legend_table(nesting, child, legend)
        t4b = nested_matrix_table(matrix, nesting, child, legend)
        notes = [f"National legend {child.id}, nested by {nesting.id}; {src}", LAYOUT_NOTE]
    ctx.add_table(Table("SO1-1.T3", "National land-cover legend and its correspondence to the UNCCD classes", t3, notes=notes))
    ctx.add_table(Table("SO1-1.T4b", "Land-cover transition matrix (national legend): meaning of each transition", t4b,
                        notes=[*notes[:-1], "Each national pair takes the meaning of the UNCCD pair it nests into.", LAYOUT_NOTE]))


def add_hotspot_tables(ctx: Any, periods: Any, reported: Any, stored: Any) -> None:
    """SO1-4.T4 (hotspots) and T5 (brightspots): candidate connected areas of degradation / improvement in each
    period's reported map (the status against the baseline), for the country to confirm (indicators/so1/hotspots.py)."""
    from ..grid import cell_area
    from .encoding import DEGRADED, IMPROVED
    from .hotspots import BLOCK_CELLS, MIN_AREA_KM2, MIN_SHARE, candidate_search

    subs = {"land_cover": "lc", "productivity": "prod", "soc": "soc"}
    rule = (f"Candidates: 8-connected blocks of {BLOCK_CELLS}x{BLOCK_CELLS} cells where the class covers at least "
            f"{MIN_SHARE:.0%} of the block's valid area, kept when the class area reaches {MIN_AREA_KM2:g} km²; "
            "centroid = area-weighted mean of the class's cell centres (CRS units). The <sub-indicator>_km2 columns "
            "are the area of the same class in each sub-indicator's map inside the candidate (the land-cover processes "
            "behind it: SO1-1.T7; the SOC change: soc_km2). For the country to confirm.")
    found: dict[int, list[pd.DataFrame]] = {DEGRADED: [], IMPROVED: []}
    for p in periods:  # both classes in one search per period (two passes over the maps)
        m = reported[p.id]
        also = {name: stored[(key, p.id)] for name, key in subs.items() if (key, p.id) in stored}
        for code, f in candidate_search(m, cell_area(m), list(found), also=also).items():
            f.insert(0, "period", p.id)
            found[code].append(f)
    for tid, code, what in (("SO1-4.T4", DEGRADED, "Hotspots"), ("SO1-4.T5", IMPROVED, "Brightspots")):
        t = pd.concat(found[code], ignore_index=True)
        if t.empty:
            t = pd.DataFrame([{"period": "all", "candidate": "none"}])
        ctx.add_table(Table(tid, f"{what}: candidate connected areas of {'degradation' if code == DEGRADED else 'improvement'} "
                            "in the reported SDG 15.3.1 map (for the country to confirm)", t,
                            units={c: "km**2" for c in t.columns if c.endswith("_km2")}, notes=[rule, LAYOUT_NOTE]))


def lpd_class_areas(cross: pd.DataFrame, *, exclude_rows: tuple[str, ...]) -> pd.DataFrame:
    """Class-area table of a cross-tabulation: the column sums (km²) over its rows less *exclude_rows*, and their share."""
    first = cross.columns[0]
    body = cross[~cross[first].isin(exclude_rows)].drop(columns=[first])
    area = body.sum(axis=0)
    total = float(area.sum())
    return pd.DataFrame({"class": [str(c) for c in area.index], "area_km2": area.to_numpy(dtype="float64"),
                         "percent": (100.0 * area / total).to_numpy(dtype="float64") if total else float("nan")})


def add_lpd_national_table(ctx: Any, periods: Any, water_name: str) -> None:
    """SO1-2.T1: area per land-productivity class, national, per period (the column sums of SO1-2.T2 less water)."""
    frames = []
    for p in periods:
        t2 = ctx.result.tables.get(f"SO1-2.T2.{p.id}")
        if t2 is None:
            continue
        f = lpd_class_areas(t2.frame, exclude_rows=(water_name,))
        f.insert(0, "period", p.id)
        frames.append(f)
    if frames:
        ctx.add_table(Table("SO1-2.T1", "Land productivity dynamics: area per class, national, per period", pd.concat(frames, ignore_index=True),
                            units={"area_km2": "km**2", "percent": "percent"},
                            notes=[f"The column sums of SO1-2.T2 over the land-cover classes other than {water_name} (its no-data "
                                   "row included); percent of that total, no data included.", LAYOUT_NOTE]))


def transitions_change_table(t6: pd.DataFrame) -> pd.DataFrame:
    """Per class: area at the start (row sums) and at the end (column sums) of a transition table, and the net change."""
    first = t6.columns[0]
    body = t6.set_index(first)
    classes = [c for c in body.columns if c != "no data"]
    start = body.loc[classes].sum(axis=1)
    end = body[classes].sum(axis=0)
    change = end - start
    return pd.DataFrame({"class": classes, "initial_km2": start.to_numpy(), "final_km2": end.to_numpy(),
                         "change_km2": change.to_numpy(),
                         "change_percent": (100.0 * change / start.where(start > 0)).to_numpy()})


def transitions_meaning_table(t6: pd.DataFrame, matrix: Any, legend: Any) -> pd.DataFrame:
    """Degraded / stable / improved / no data area of a transition table under the run's matrix (km² and % of the total)."""
    return meaning_frame(meaning_sums(t6, matrix, legend))


def meaning_sums(t6: pd.DataFrame, matrix: Any, legend: Any) -> dict[str, float]:
    """{degraded, stable, improved, no data: km²} of a transition table (first column the initial class) under
    *matrix*; no data: a transition from or to a label that is no class of *legend*."""
    values = matrix.as_dict()
    names = {c.name: c.code for c in legend.classes}
    first = t6.columns[0]
    body = t6.set_index(first)
    sums = {"degraded": 0.0, "stable": 0.0, "improved": 0.0, "no data": 0.0}
    for a in body.index:
        for b in body.columns:
            v = float(body.loc[a, b])
            if a in names and b in names:
                sums[{-1: "degraded", 0: "stable", 1: "improved"}[int(values[(names[a], names[b])])]] += v
            else:
                sums["no data"] += v
    return sums


def meaning_frame(sums: dict[str, float]) -> pd.DataFrame:
    """``class``, ``area_km2``, ``percent`` (of the sum of *sums*) of :func:`meaning_sums`."""
    total = sum(sums.values())
    return pd.DataFrame({"class": list(sums), "area_km2": list(sums.values()),
                         "percent": [100.0 * v / total if total else float("nan") for v in sums.values()]})


def add_land_cover_change_tables(ctx: Any, periods: Any, regional: Any = None) -> None:
    """SO1-1.T8 (net change per class) and T9 (degraded / stable / improved by land cover), per period, from SO1-1.T6.

    With regional matrices (D28) *regional* is the :class:`~indicators.so1.run_regions.RegionalTables`: T9 sums
    each zone's transitions under that zone's matrix (:meth:`~indicators.so1.run_regions.RegionalTables.t9`)."""
    fw = ctx.framework
    legend = fw.legend(ctx.params("SO1-1", "land_cover").legend)
    matrix = fw.binding_arguments("SO1-1.land_cover_change")["matrix"]
    t8, t9 = [], []
    for p in periods:
        t6 = ctx.result.tables.get(f"SO1-1.T6.{p.id}")
        if t6 is None:
            continue
        meaning = transitions_meaning_table(t6.frame, matrix, legend) if regional is None else regional.t9(p.id, legend)
        for out, f in ((t8, transitions_change_table(t6.frame)), (t9, meaning)):
            f.insert(0, "period", p.id)
            out.append(f)
    if t8:
        ctx.add_table(Table("SO1-1.T8", "Land-cover change per class and period (initial, final, net change), km²",
                            pd.concat(t8, ignore_index=True),
                            units={"initial_km2": "km**2", "final_km2": "km**2", "change_km2": "km**2", "change_percent": "percent"},
                            notes=["Row and column sums of SO1-1.T6 (no data excluded); change_percent of the initial area.", LAYOUT_NOTE]))
        under = (f"SO1-1.T6 under matrix {matrix.id} (SO1-1.T4a)" if regional is None else
                 f"SO1-1.T6 under matrix {matrix.id} (SO1-1.T4a) outside the regions and under each region's matrix "
                 "inside it (SO1-1.regional_matrices, per region: SO1-1.regions; D28)")
        ctx.add_table(Table("SO1-1.T9", "Land-cover degradation per period: degraded, stable, improved and no-data area",
                            pd.concat(t9, ignore_index=True), units={"area_km2": "km**2", "percent": "percent"},
                            notes=[f"{under}; no data: a transition from or to no data; "
                                   "percent of the table's total (water included).", LAYOUT_NOTE]))

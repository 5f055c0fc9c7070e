"""The reporting package: one JSON per reporting period shaped like Trends.Earth's reporting summary.

The UNCCD reporting platform imports Trends.Earth's summary JSON (``te_schemas.reporting``: a land-condition summary
with ``metadata``, ``land_condition`` and ``affected_population`` keyed by period, and a drought summary with
``tier_one`` / ``tier_two`` / ``tier_three`` keyed by year). This module reshapes the run's tables into that structure
(it computes nothing; the project does not depend on te_schemas). Filled fields: docs/reporting-package.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

SDG_NAMES = {"degraded": "Degraded", "stable": "Stable", "improved": "Improved", "no data": "No data"}
DROUGHT_NAMES = {"No drought": "Non-drought", "Mild drought": "Mild drought", "Moderate drought": "Moderate drought",
                 "Severe drought": "Severe drought", "Extreme drought": "Extreme drought", "no data": "No data"}
SEX_TYPES = {"population": "Total population", "female": "Female population", "male": "Male population"}


def area_list(rows: pd.DataFrame, name: str, names: Mapping[str, str], *, label: str = "class") -> dict[str, Any]:
    """An AreaList {name, unit "sq km", areas [{name, area}]} of the rows whose *label* is in *names*."""
    keep = rows[rows[label].astype(str).isin(list(names))]
    return {"name": name, "unit": "sq km",
            "areas": [{"name": names[str(r[label])], "area": float(r["area_km2"])} for _, r in keep.iterrows()]}


def population_lists(rows: pd.DataFrame, *, label: str = "class") -> dict[str, Any]:
    """{class: PopulationList {name, values [{name, population, type}]}} of SO2-3.T1's national rows."""
    out = {}
    for _, r in rows.iterrows():
        cls = SDG_NAMES.get(str(r[label]), str(r[label]))
        out[cls] = {"name": cls, "values": [{"name": t, "population": int(round(float(r[col]))), "type": t}
                                            for col, t in SEX_TYPES.items() if col in r and pd.notna(r[col])]}
    return out


def _frame(tables: Mapping[str, Any], tid: str) -> pd.DataFrame | None:
    t = tables.get(tid)
    return None if t is None else t.frame


def period_package(tables: Mapping[str, Any], period: str, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The summary of one reporting period (baseline, report_1, ...)."""
    land: dict[str, Any] = {}
    t1 = _frame(tables, "SO1-4.T1")
    own = _frame(tables, "SO1-4.period_assessment")
    soc = _frame(tables, "SO1-3.summary")
    if t1 is not None and period in set(t1["period"]):
        rows = t1[t1["period"] == period]
        if period == "baseline" or own is None or period not in set(own["period"]):
            land["period_assessment"] = {"sdg": {"summary": area_list(rows, "SDG 15.3.1", SDG_NAMES)}}
        else:
            land["period_assessment"] = {"sdg": {"summary": area_list(own[own["period"] == period], "SDG 15.3.1", SDG_NAMES)}}
            land["status_assessment"] = {"sdg": {"summary": area_list(rows, "SDG 15.3.1 status", SDG_NAMES)}}
    if soc is not None and period in set(soc["period"]) and "period_assessment" in land:
        land["period_assessment"]["soil_organic_carbon"] = {
            "summaries": {"all_cover_types": area_list(soc[soc["period"] == period], "Soil organic carbon", SDG_NAMES)}}
    pop = _frame(tables, "SO2-3.T1")
    population = {}
    if pop is not None:
        rows = pop[(pop["period"] == period) & (pop["level"] == "national")]
        if not rows.empty:
            population = {"summary": population_lists(rows)}
    doc: dict[str, Any] = {
        "metadata": {"title": f"{meta.get('country', '')} land condition summary, {period}", "date": meta.get("date"),
                     "software": meta.get("software"), "edition": meta.get("edition"),
                     "area_of_interest": {"name": meta.get("country")}, "affected_areas_only": False},
        "land_condition": {period: land} if land else {},
        "affected_population": {period: population} if population else {},
    }
    drought = drought_package(tables)
    if drought:
        doc["drought"] = drought
    return doc


def drought_package(tables: Mapping[str, Any]) -> dict[str, Any]:
    """tier_one {year: AreaList} (SO3-1.T1), tier_two {year: {type: PopulationList}} (SO3-2.T1-T3), tier_three (SO3-3.T1)."""
    out: dict[str, Any] = {}
    hz = _frame(tables, "SO3-1.T1")
    if hz is not None:
        hz = hz[hz["kind"] == "class"]
        out["tier_one"] = {str(y): area_list(g, "Drought hazard", DROUGHT_NAMES, label="class_name") for y, g in hz.groupby("year")}
    tier_two: dict[str, Any] = {}
    for tid, kind in (("SO3-2.T1", "Total population"), ("SO3-2.T2", "Female population"), ("SO3-2.T3", "Male population")):
        f = _frame(tables, tid)
        if f is None:
            continue
        f = f[f["kind"] == "class"]
        for y, g in f.groupby("year"):
            tier_two.setdefault(str(y), {})[kind] = {
                "name": kind, "values": [{"name": DROUGHT_NAMES.get(str(r["class_name"]), str(r["class_name"])),
                                          "population": int(round(float(r["population"]))), "type": kind}
                                         for _, r in g.iterrows()]}
    if tier_two:
        out["tier_two"] = tier_two
    dvi = _frame(tables, "SO3-3.T1")
    if dvi is not None:
        nat = dvi[(dvi["unit"] == "national") & (dvi["sex"] == "total")]
        out["tier_three"] = {str(r["year"]): {"name": "Mean value", "value": float(r["dvi"])} for _, r in nat.iterrows()}
    return out


def write_reporting_package(tables: Mapping[str, Any], out_dir: Path, meta: Mapping[str, Any]) -> list[Path]:
    """reporting/<period>.json for each period of SO1-4.T1 (nothing without it)."""
    t1 = _frame(tables, "SO1-4.T1")
    if t1 is None:
        return []
    from .. import __version__

    meta = {"software": f"unccd-indicators {__version__}", **meta}
    periods = list(dict.fromkeys(t1["period"].astype(str)))
    written = []
    (out_dir / "reporting").mkdir(exist_ok=True)
    for period in [p for p in periods if p in set(t1["period"])]:
        rel = Path("reporting") / f"{period}.json"
        (out_dir / rel).write_text(json.dumps(period_package(tables, period, meta), indent=1, ensure_ascii=False), encoding="utf-8")
        written.append(rel)
    return written

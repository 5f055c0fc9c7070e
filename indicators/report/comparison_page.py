"""comparison.html (``indicators compare``): one self-contained page from the report's jinja2 templates.

Verdicts first, then agreement (tables and maps), then the per-table differences.  The page's own strings
come from the translation catalogue (:mod:`.i18n`), numbers through the formatting layer (:mod:`.formatting`,
via :func:`.page.table_view`); maps are PNGs embedded as data URIs (the page works offline, like report.html).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .i18n import current_language, translate
from .page import _b64, _environment, table_view
from .tables import Table


def _units(frame: pd.DataFrame) -> dict[str, str]:
    """Units of a comparison table's columns: ``… %`` percent, ``…km2`` / crosstab cells km²."""
    return {str(c): "percent" for c in frame.columns if str(c).endswith("%")}


def _view(table_id: str, title: str, frame: pd.DataFrame, language: str, *, units: Mapping[str, str] | None = None,
          notes: Sequence[str] = ()) -> dict[str, Any]:
    """A table as table.html.j2 shows it; headers as written (they name A, B and B-A)."""
    t = Table(table_id, title, frame, units=dict(units if units is not None else _units(frame)), notes=list(notes))
    view = table_view(t, language)
    view["header"] = [str(c) for c in t.frame.columns]
    return view


def _wide(frame: pd.DataFrame, key: str, value: Any, row: str, col: str) -> pd.DataFrame:
    part = frame[frame[key] == value]
    wide = part.pivot(index=row, columns=col, values="area_km2")
    order_r = list(dict.fromkeys(part[row]))
    order_c = list(dict.fromkeys(part[col]))
    wide = wide.loc[order_r, order_c]
    return wide.reset_index().rename(columns={row: "A \\ B"})


def _verdict_view(verdict: pd.DataFrame, table_id: str, language: str) -> dict[str, Any]:
    """The verdict table with its verdicts in *language*."""
    v = verdict.copy()
    v["verdict"] = [translate(f"compare.verdict_{x}", language, default=x) for x in v["verdict"]]
    return _view(table_id, translate("compare.verdicts_table", language), v, language,
                 units={c: "percent" for c in v.columns if c.endswith("_percent")})


def comparison_context(names: Sequence[str], verdict: pd.DataFrame, agreement: pd.DataFrame | None,
                       lc_crosstab: pd.DataFrame | None, sdg_crosstab: pd.DataFrame | None,
                       maps: Sequence[Mapping[str, Any]], tables: Mapping[str, pd.DataFrame], language: str) -> dict[str, Any]:
    """Everything the template shows, computed here."""
    a, b = names
    agree = []
    if agreement is not None:
        agree.append(_view("agreement", translate("compare.agreement_table", language), agreement, language,
                           units={c: "km2" if "km2" in c else "percent" for c in agreement.columns if "km2" in c or "%" in c
                                  or c.endswith("_percent")}))
    if sdg_crosstab is not None:
        for p in dict.fromkeys(sdg_crosstab["period"]):
            w = _wide(sdg_crosstab, "period", p, "class_A", "class_B")
            agree.append(_view(f"sdg-crosstab-{p}", translate("compare.sdg_crosstab_table", language, period=p), w, language,
                               units={str(c): "km2" for c in w.columns[1:]}, notes=[translate("compare.sdg_crosstab_note", language)]))
    if lc_crosstab is not None:
        for y in dict.fromkeys(lc_crosstab["year"]):
            w = _wide(lc_crosstab, "year", y, "class_A", "class_B")
            agree.append(_view(f"lc-crosstab-{y}", translate("compare.lc_crosstab_table", language, year=y), w, language,
                               units={str(c): "km2" for c in w.columns[1:]}))
    return {"lang": language, "a": a, "b": b,
            "verdict": _verdict_view(verdict, "verdict", language),
            "agreement": agree,
            "maps": [{"title": m["title"], "png": _b64(m["png"]), "files": m["files"], "image": m["image"]} for m in maps],
            "differences": [_view(key, key, t, language) for key, t in tables.items()]}


#: the national rows of land_cover_agreement.csv the runs' reports show, with their units
SECTION_AGREEMENT = {"year": None, "area_both_mapped_km2": "km2", "agreement_percent": "percent"}


def report_section(names: Sequence[str], run: str, verdict: pd.DataFrame, agreement: pd.DataFrame | None, link: str,
                   language: str | None = None) -> dict[str, Any]:
    """The "National vs default data" section of run *run*'s (``"A"`` or ``"B"``) report.html: the verdicts, the
    national land-cover agreement per year and a link (*link*, relative to the report) to comparison.html."""
    language = language or current_language()
    a, b = names
    section: dict[str, Any] = {"run": f"{run} ({a if run == 'A' else b})", "a": a, "b": b, "link": link,
                               "verdict": _verdict_view(verdict, "verdict", language), "agreement": None}
    if agreement is not None:
        nat = agreement.loc[agreement["unit"] == "national", list(SECTION_AGREEMENT)].reset_index(drop=True)
        section["agreement"] = _view("agreement", translate("compare.section_agreement", language), nat,
                                     language, units={c: u for c, u in SECTION_AGREEMENT.items() if u})
    return section


def render_comparison(names: Sequence[str], verdict: pd.DataFrame, agreement: pd.DataFrame | None = None,
                      lc_crosstab: pd.DataFrame | None = None, sdg_crosstab: pd.DataFrame | None = None,
                      maps: Sequence[Mapping[str, Any]] = (), tables: Mapping[str, pd.DataFrame] | None = None, *,
                      language: str | None = None) -> str:
    """The HTML text of comparison.html in *language* (default: the current report language)."""
    language = language or current_language()
    env = _environment()

    def _(key: str, **kw: Any) -> str:
        return translate(key, language, **kw)

    ctx = comparison_context(names, verdict, agreement, lc_crosstab, sdg_crosstab, maps, tables or {}, language)
    return env.get_template("comparison.html.j2").render(**ctx, _=_)


__all__ = ["render_comparison", "comparison_context", "report_section"]

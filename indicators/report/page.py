"""report.html: one self-contained page from jinja2 templates (inline CSS, PNGs as data URIs, no script, no external URL).

The page opens with a summary (the headline figures of each objective per
period, see :mod:`.summary`), then one section per strategic objective with
its indicators' maps, charts and tables, then skipped indicators, parameters
and methodological decisions.  Every string of the page's own comes from the
translation catalogue (:mod:`.i18n`); numbers and units are shown by the one
formatting layer (:mod:`.formatting`).
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from .figures import chart_png, map_png
from .formatting import column_label, floats_formatter, format_value, quantity_of, value_formatter
from .i18n import current_language, number_format, translate
from .model import RunResult
from .rasters import nodata_of
from .summary import figures
from .tables import Table, frame_columns, holds_floats

#: tables longer than this are folded in a <details> element
LONG_TABLE_ROWS = 30


@lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("indicators.report", "templates"),
                              autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
                              trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True)


def _anchor(code: str) -> str:
    return "ind-" + re.sub(r"[^A-Za-z0-9]+", "-", code).strip("-").lower()


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


class TableRows:
    """A table's rows as the report shows them, as HTML text a chunk of rows at a time when iterated (``len`` is
    the frame's): the page is written as it is rendered, so a per-unit table of 10⁵ rows is never held as
    formatted cells.

    Each row is ``<tr>`` of ``<td>`` cells (``class="num"`` for a number shown), each cell's text formatted by
    :func:`.formatting.value_formatter` (:func:`.formatting.format_value` of a column) and escaped as the template
    would: the rows are joined here, not by a template loop per cell (which took ~10 s for the 1.3 M cells of a
    2000² run's per-unit tables), and the cells are made a column of a chunk at a time (:func:`_column_cells`).
    """

    def __init__(self, t: Table, language: str) -> None:
        self.table, self.language = t, language

    def __len__(self) -> int:
        return len(self.table.frame)

    def __iter__(self) -> Iterator[Markup]:
        t, frame = self.table, self.table.frame
        makers = [_column_cells(str(c), t.units.get(str(c)), self.language, holds_floats(frame, k))
                  for k, c in enumerate(frame.columns)]
        for a in range(0, len(frame), _ROWS_PER_CHUNK):  # the values too, a chunk at a time (Python objects)
            cells = [make(values) for make, values in zip(makers, frame_columns(frame.iloc[a:a + _ROWS_PER_CHUNK]))]
            rows = zip(*cells) if cells else [()] * len(range(a, min(len(frame), a + _ROWS_PER_CHUNK)))
            yield Markup("".join(["<tr>" + "".join(row) + "</tr>\n" for row in rows]))


#: rows joined per piece of the page
_ROWS_PER_CHUNK = 500


def _cell_html(value: Any, text: Callable[[Any], str]) -> str:
    """One ``<td>``: *value* shown by *text* (a :func:`.formatting.value_formatter`), escaped."""
    shown = text(value)
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool) or hasattr(value, "dtype") and value.dtype.kind in "iuf"
    return ('<td class="num">' if numeric and shown != "" else "<td>") + str(escape(shown)) + "</td>"


#: types whose equal values are shown alike (not float: 0.0 == -0.0; not any type: Decimal("1.0") == Decimal("1.00"))
_SHOWN_ALIKE = frozenset({str, int, bool, type(None), type(pd.NA), np.int8, np.int16, np.int32, np.int64,
                          np.uint8, np.uint16, np.uint32, np.uint64, np.bool_})


def _column_cells(column: str, unit: str | None, language: str, floats: bool) -> Callable[[list[Any]], list[str]]:
    """The ``<td>`` cells of a chunk of a column's values, as :func:`_cell_html` makes them one by one.

    *floats*: the values are Python floats only (:func:`.tables.holds_floats`), formatted a chunk at once by
    :func:`.formatting.floats_formatter`; else a value's cell is made once per distinct value (a table's names,
    classes and years repeat on every row).
    """
    if floats:
        texts = floats_formatter(column, unit, language)
        if not set("".join(number_format(language))).isdisjoint("&<>\"'"):  # marks the page escapes
            return lambda values: [_cell_html(v, value_formatter(column, unit, language)) for v in values]
        # a float's text is digits, marks, "−", "∞" or "< 0.001" (a small p-value): only the last is escaped
        return lambda values: [("<td></td>" if not x else f'<td class="num">{x}</td>' if x[0] != "<"
                                else f'<td class="num">{escape(x)}</td>') for x in texts(values)]
    text = value_formatter(column, unit, language)
    shown: dict[tuple[type, Any], str] = {}

    def cells(values: list[Any]) -> list[str]:
        out = []
        for v in values:
            if type(v) in _SHOWN_ALIKE:
                key = (type(v), v)
                cell = shown.get(key)
                if cell is None:
                    cell = shown[key] = _cell_html(v, text)
                out.append(cell)
            else:
                out.append(_cell_html(v, text))
        return out

    return cells


def table_view(t: Table, language: str) -> dict[str, Any]:
    """What the table template shows: headers with units in words, cells formatted per quantity (lazily), notes."""
    cols = [str(c) for c in t.frame.columns]
    header = [column_label(c, t.units.get(c), language) for c in cols]
    return {"id": t.id, "title": t.title, "header": header, "rows": TableRows(t, language), "notes": list(t.notes),
            "long": len(t.frame) > LONG_TABLE_ROWS}


def _param_text(value: object, language: str) -> str:
    if isinstance(value, float):
        return format_value(value, "value", None, language)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_param_text(v, language)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_param_text(v, language) for v in value)
    return str(value)


def decisions_text(path: Path | None = None) -> dict[str, tuple[str, str]]:
    """``{"D6": (title, text)}`` parsed from ``docs/decisions.md`` (empty if the file is absent)."""
    if path is None:
        from ..resources import bundled_path

        path = bundled_path("docs/decisions.md")
    if not path.is_file():
        return {}
    out: dict[str, tuple[str, str]] = {}
    for m in re.finditer(r"^## (D\d+) ([^\n]*)\n(.*?)(?=^<a id=|^## |\Z)", path.read_text(encoding="utf-8"), flags=re.M | re.S):
        out[m.group(1)] = (m.group(2).strip(), " ".join(m.group(3).split()))
    return out


def _md_inline(text: str):
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def _objective(code: str) -> str:
    return code.split("-", 1)[0]


def summary_view(result: RunResult, language: str) -> list[dict[str, Any]]:
    """The summary's rows grouped by objective, each value formatted as the table shows it."""
    groups: dict[str, list[dict[str, Any]]] = {}
    seen: set[str] = set()
    arrows = {"up": "▲", "down": "▼", "same": "="}
    for f in figures(result.tables):
        h = f.headline
        key = f"{h.message}|{h.table}|{h.value}"
        change = None
        if f.change is not None:
            change = format_value(f.change, h.value, f.unit, language)
            if not change.startswith("−") and f.direction != "same":
                change = "+" + change
            if quantity_of(h.value, f.unit).kind == "percent":
                change = translate("summary.points", language, value=change)
            else:
                change += _unit_suffix(h.value, f.unit, language)
        groups.setdefault(h.objective, []).append({
            "table": h.table, "period": f.period, "column": h.value, "raw": repr(f.value),
            "first": key not in seen, "label": translate(h.message, language), "anchor": h.table,
            "period_label": _period_label(f.period, language),
            "value": format_value(f.value, h.value, f.unit, language) + _unit_suffix(h.value, f.unit, language),
            "change": change, "direction": f.direction, "arrow": arrows.get(f.direction or "", ""),
            "direction_text": translate(f"summary.direction_{f.direction}", language) if f.direction else "",
        })
        seen.add(key)
    return [{"code": obj, "title": translate(f"objective.{obj}", language), "figures": rows} for obj, rows in sorted(groups.items())]


def _unit_suffix(column: str, unit: str | None, language: str) -> str:
    from .formatting import unit_label

    label = unit_label(column, unit, language)
    if not label:
        return ""
    return label if label == "%" and language == "en" else f"\u00a0{label}"


def _period_label(period: str, language: str) -> str:
    m = re.fullmatch(r"report_(\d+)", period)
    if m:
        return translate("period.report", language, n=m.group(1))
    if period == "baseline":
        return translate("period.baseline", language)
    return period


def report_context(result: RunResult, language: str, decisions: dict[str, tuple[str, str]],
                   comparison: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything the template shows, computed here (the template only lays it out).

    *comparison*: the "National vs default data" section ``indicators compare`` adds to each run's report
    (:func:`indicators.report.comparison_page.report_section`), or None.
    """
    computed = list(result.indicators)
    inds = []
    for ind in computed:
        maps = []
        for r in (r for r in result.rasters if r.indicator == ind):
            png = map_png(r.data, title=r.title, legend=r.legend, units=r.units, boundary=result.boundary,
                          admin=result.admin, nodata=nodata_of(r.data), language=language)
            lead = [d for d in r.data.dims if d not in ("y", "x")]
            maps.append({"title": r.title, "png": _b64(png), "lead": lead[0] if lead else None,
                         "files": f"{r.key}_<{lead[0]}>.tif" if lead else f"{r.key}.tif", "is_class": bool(r.legend)})
        charts = [{"title": c.title, "png": _b64(chart_png(c.frame, title=c.title, ylabel=c.ylabel, kind=c.kind, colors=c.colors))}
                  for c in result.charts if c.indicator == ind]
        tabs = [table_view(result.tables[k], language) for k in sorted(result.tables) if result.tables[k].indicator == ind]
        inds.append({"code": ind, "title": result.titles.get(ind, ""), "anchor": _anchor(ind), "maps": maps, "charts": charts,
                     "tables": tabs, "choices": [c for c in result.choices if c.indicator == ind]})
    objectives = []
    for obj in sorted({_objective(i["code"]) for i in inds}):
        objectives.append({"code": obj, "anchor": f"obj-{obj.lower()}", "title": translate(f"objective.{obj}", language, default=obj),
                           "code_label": translate(f"objective_short.{obj}", language, default=obj),
                           "indicators": [i for i in inds if _objective(i["code"]) == obj]})
    orphan = [table_view(result.tables[k], language) for k in sorted(result.tables) if result.tables[k].indicator not in computed]
    params = [{"indicator": ind, "name": name, "value": _param_text(result.parameters[ind][name], language)}
              for ind in sorted(result.parameters) for name in sorted(result.parameters[ind])]
    used = sorted({c.decision for c in result.choices} | set(decisions), key=lambda d: int(d[1:]) if d[1:].isdigit() else 999)
    decs = [{"code": d, "title": decisions.get(d, ("", ""))[0],
             "html": _md_inline(decisions.get(d, ("", translate("decisions.see_docs", language)))[1])} for d in used]
    return {"result": result, "lang": language, "indicators": inds, "objectives": objectives,
            "summary": summary_view(result, language), "orphan_tables": orphan, "parameters": params,
            "timings": [(k, format_value(float(v), "seconds", None, language)) for k, v in result.timings.items()],
            "decisions": decs, "comparison": comparison}


def _stream(result: RunResult, decisions: dict[str, tuple[str, str]] | None, language: str | None,
            comparison: Mapping[str, Any] | None = None) -> Any:
    """The page as a jinja2 stream: rendered piece by piece as it is written or joined."""
    language = language or current_language()
    decisions = decisions_text() if decisions is None else decisions
    ctx = report_context(result, language, decisions, comparison)
    stream = _environment().get_template("report.html.j2").stream(**ctx, _=lambda key, **kw: translate(key, language, **kw))
    stream.enable_buffering(_STREAM_PIECES)
    return stream


#: rendered pieces joined per write: a table's rows arrive as pieces of _ROWS_PER_CHUNK rows (~0.5 MB of text
#: each), so a few dozen pieces bound the buffer; 4096 pieces joined a 54 MB page at once (10000² benchmark:
#: ~250 MiB of text and its encoding held while writing report.html)
_STREAM_PIECES = 16


def render_report(result: RunResult, *, decisions: dict[str, tuple[str, str]] | None = None, language: str | None = None,
                  comparison: Mapping[str, Any] | None = None) -> str:
    """The HTML text of the report for *result*, in *language* (default: the current report language)."""
    return "".join(_stream(result, decisions, language, comparison))


def write_report(result: RunResult, path: Path, *, language: str | None = None,
                 comparison: Mapping[str, Any] | None = None) -> Path:
    """Write report.html as it is rendered (memory: the maps' PNGs and a buffer, not the page's text).

    Atomic: the page is written beside *path* and renamed onto it, so a report is complete or absent (never
    half a page, and an existing report stays as it was when rendering fails).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            _stream(result, None, language, comparison).dump(f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


__all__: Iterable[str] = ["render_report", "write_report", "decisions_text"]

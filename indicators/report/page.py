"""report.html: one self-contained page (inline CSS, PNGs as data URIs, no script, no external URL)."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable
from pathlib import Path

from .figures import chart_png, map_png
from .model import RunResult
from .rasters import nodata_of
from .tables import Table, format_float

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1d2733;background:#fff}
header{background:#23415a;color:#fff;padding:18px 28px}
header h1{margin:0 0 4px 0;font-size:24px}
main{padding:8px 28px 40px 28px;max-width:1200px}
h2{border-bottom:2px solid #23415a;padding-bottom:4px;margin-top:34px}
h3{margin-top:22px}
table{border-collapse:collapse;font-size:13px;margin:8px 0 14px 0}
th,td{border:1px solid #c8d0d8;padding:3px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#eef2f6}
img{max-width:100%;height:auto;border:1px solid #e3e7eb;margin:6px 0}
nav ul{columns:3;font-size:14px}
.muted{color:#5b6875;font-size:13px}
code{background:#f3f5f7;padding:0 3px}
.skipped td:first-child{white-space:nowrap}
.scroll{overflow-x:auto;max-width:100%}
summary{cursor:pointer;color:#23415a;margin:4px 0}
"""


#: tables longer than this are folded in a <details> element
LONG_TABLE_ROWS = 30


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _anchor(code: str) -> str:
    return "ind-" + re.sub(r"[^A-Za-z0-9]+", "-", code).strip("-").lower()


def _table_html(t: Table) -> str:
    cols = [str(c) for c in t.frame.columns]
    head = "".join(f"<th>{_e(c)}{(' [' + _e(t.units[c]) + ']') if t.units.get(c) else ''}</th>" for c in cols)
    rows = []
    for rec in t.frame.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float):
                cells.append(f'<td class="num">{_e(format_float(v))}</td>')
            elif isinstance(v, int) and not isinstance(v, bool):
                cells.append(f'<td class="num">{v}</td>')
            else:
                cells.append(f"<td>{_e('' if v is None else v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    notes = "".join(f'<p class="muted">{_e(n)}</p>' for n in t.notes)
    table = f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    if len(rows) > LONG_TABLE_ROWS:  # long tables fold away (no script: a <details> element)
        table = f"<details><summary>{len(rows)} rows: show the table</summary>{table}</details>"
    return f'<h4 id="{_e(t.id)}">{_e(t.id)}: {_e(t.title)}</h4>{table}{notes}'


def _param_text(value: object) -> str:
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_param_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_param_text(v) for v in value)
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


def _md_inline(text: str) -> str:
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(text))


def render_report(result: RunResult, *, decisions: dict[str, tuple[str, str]] | None = None) -> str:
    """The HTML text of the report for *result*."""
    decisions = decisions_text() if decisions is None else decisions
    parts: list[str] = []
    computed = [i for i in result.indicators]
    parts.append(f"<header><h1>{_e(result.country)}: UNCCD strategic framework indicators</h1>"
                 f"<div>Reporting edition {_e(result.edition)}"
                 f"{' · profile ' + _e(result.profile) if result.profile else ''}"
                 f" · {len(computed)} indicators computed, {len(result.skipped)} skipped</div></header><main>")
    # contents
    items = "".join(f'<li><a href="#{_anchor(i)}">{_e(i)} {_e(result.titles.get(i, ""))}</a></li>' for i in computed)
    parts.append(f"<nav><h2>Contents</h2><ul>{items}<li><a href=\"#skipped\">Skipped indicators</a></li>"
                 f"<li><a href=\"#parameters\">Parameters</a></li><li><a href=\"#decisions\">Methodological decisions</a></li></ul></nav>")
    for ind in computed:
        parts.append(f'<section id="{_anchor(ind)}"><h2>{_e(ind)} {_e(result.titles.get(ind, ""))}</h2>')
        for r in (r for r in result.rasters if r.indicator == ind):
            png = map_png(r.data, title=r.title, legend=r.legend, units=r.units, boundary=result.boundary,
                          admin=result.admin, nodata=nodata_of(r.data))
            lead = [d for d in r.data.dims if d not in ("y", "x")]
            files = f"{r.key}_&lt;{_e(lead[0])}&gt;.tif" if lead else f"{_e(r.key)}.tif"
            parts.append(f"<h3>{_e(r.title)}</h3>{_img(png, 'map: ' + r.title)}"
                         f'<p class="muted">File{"s, one per " + _e(lead[0]) if lead else ""}: <code>{files}</code></p>')
        for c in (c for c in result.charts if c.indicator == ind):
            parts.append(f"<h3>{_e(c.title)}</h3>" + _img(chart_png(c.frame, title=c.title, ylabel=c.ylabel, kind=c.kind, colors=c.colors), "chart: " + c.title))
        tabs = [result.tables[k] for k in sorted(result.tables) if result.tables[k].indicator == ind]
        if tabs:
            parts.append("<h3>Reporting tables</h3>" + "".join(_table_html(t) for t in tabs))
        choices = [c for c in result.choices if c.indicator == ind]
        if choices:
            lis = "".join(f'<li>{_e(c.text)} (<a href="#{c.decision.lower()}">decision {_e(c.decision)}</a>)</li>' for c in choices)
            parts.append(f"<h3>Methodological choices</h3><ul>{lis}</ul>")
        parts.append("</section>")
    # tables whose indicator has no section (e.g. shared land-area tables)
    orphan = [result.tables[k] for k in sorted(result.tables) if result.tables[k].indicator not in computed]
    if orphan:
        parts.append("<section><h2>Other tables</h2>" + "".join(_table_html(t) for t in orphan) + "</section>")
    rows = "".join(f"<tr><td>{_e(s.indicator)}</td><td>{_e(s.reason)}</td></tr>" for s in result.skipped)
    parts.append('<section id="skipped"><h2>Skipped indicators</h2>'
                 + (f'<table class="skipped"><thead><tr><th>indicator</th><th>reason</th></tr></thead><tbody>{rows}</tbody></table>' if rows else "<p>None: every indicator was computed.</p>")
                 + "</section>")
    prow = []
    for ind in sorted(result.parameters):
        for name in sorted(result.parameters[ind]):
            prow.append(f"<tr><td>{_e(ind)}</td><td><code>{_e(name)}</code></td><td>{_e(_param_text(result.parameters[ind][name]))}</td></tr>")
    parts.append('<section id="parameters"><h2>Parameters</h2><table><thead><tr><th>indicator</th><th>parameter</th><th>value</th></tr></thead>'
                 f"<tbody>{''.join(prow)}</tbody></table>")
    if result.timings:
        trow = "".join(f"<tr><td>{_e(k)}</td><td class=\"num\">{v:.2f}</td></tr>" for k, v in result.timings.items())
        parts.append(f'<p class="muted">Stage timings (s); full provenance in <code>provenance.json</code>.</p><table><tbody>{trow}</tbody></table>')
    parts.append("</section>")
    used = sorted({c.decision for c in result.choices} | set(decisions), key=lambda d: int(d[1:]) if d[1:].isdigit() else 999)
    dec = "".join(
        f'<div id="{d.lower()}"><h3>{_e(d)} {_e(decisions.get(d, ("", ""))[0])}</h3><p>{_md_inline(decisions.get(d, ("", "(see docs/decisions.md)"))[1])}</p></div>'
        for d in used)
    parts.append(f'<section id="decisions"><h2>Methodological decisions</h2>{dec}</section>')
    parts.append("</main>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(result.country)} · UNCCD indicators</title><style>{_CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


def write_report(result: RunResult, path: Path) -> Path:
    path.write_text(render_report(result), encoding="utf-8")
    return path


__all__: Iterable[str] = ["render_report", "write_report", "decisions_text"]

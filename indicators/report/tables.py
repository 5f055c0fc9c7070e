"""Reporting tables as CSV (one per table), one XLSX workbook and one JSON document.

The writers are deterministic: the same tables give the same bytes.  Floats
are rounded to :data:`DECIMALS` places and printed without trailing zeros,
keys are sorted, and the XLSX archive carries fixed timestamps, so two runs on
the same inputs can be compared with ``cmp``.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: decimal places kept in written tables (km² to 1e-6 is 1 m²)
DECIMALS = 6
# A fixed date for the XLSX archive and document properties: tables carry no timestamp.
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_XML_TIME = "1980-01-01T00:00:00Z"


@dataclass
class Table:
    """One reporting table: an id such as ``SO3-1.T1``, a title and a tidy frame.

    *units* maps a column name to its unit (``"km**2"``, ``"percent"``,
    ``"person"``); *notes* are short sentences shown under the table.
    """

    id: str
    title: str
    frame: pd.DataFrame
    units: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: the specs' declaration of the table (indicators/specs/table_model.py), attached by the run
    declaration: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # column labels are text in every output (years as "2000", not 2000)
        if any(not isinstance(c, str) for c in self.frame.columns):
            self.frame = self.frame.rename(columns={c: str(c) for c in self.frame.columns})
        self.units = {str(k): str(v) for k, v in self.units.items()}

    @property
    def indicator(self) -> str:
        """The indicator code the table belongs to (the id before the first dot)."""
        return self.id.split(".", 1)[0]


def format_float(value: float) -> str:
    """Round to DECIMALS places, drop trailing zeros, never print ``-0``; NaN is empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{round(float(value), DECIMALS):.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _cell(value: Any) -> Any:
    """A JSON/XLSX-ready scalar: rounded floats, plain ints, None for missing."""
    if value is None:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return str(value)
        v = round(float(value), DECIMALS)
        return 0.0 if v == 0 else v
    if isinstance(value, str):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def frame_to_csv(frame: pd.DataFrame) -> str:
    """CSV text of *frame* with the package's fixed float formatting and ``\\n`` line ends."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].map(format_float)
    return out.to_csv(index=False, lineterminator="\n")


def column_record(table: Table, column: str) -> dict[str, Any]:
    """A column's description for machines: its name, its unit as UDUNITS/CF text (``km2``, ``%``, ``person``,
    None when it has none), the unit as a reader sees it, and the decimals a report shows."""
    from .formatting import cf_unit, quantity_of, unit_label

    declared = table.units.get(column)
    return {"name": column, "unit": cf_unit(column, declared), "unit_label": unit_label(column, declared, "en") or None,
            "quantity": quantity_of(column, declared).kind, "decimals_shown": quantity_of(column, declared).decimals}


def table_record(table: Table) -> dict[str, Any]:
    """The JSON form of one table: title, columns with units, rows as objects (values at full precision)."""
    return {
        "title": table.title,
        "columns": [column_record(table, str(c)) for c in table.frame.columns],
        "rows": [{str(k): _cell(v) for k, v in row.items()} for row in table.frame.to_dict(orient="records")],
        "notes": list(table.notes),
    }


def tables_document(tables: Mapping[str, Table], meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The reporting-template shaped document: ``{indicator: {table id: table}}``."""
    doc: dict[str, Any] = {}
    for tid in sorted(tables):
        t = tables[tid]
        doc.setdefault(t.indicator, {})[tid] = table_record(t)
    return {"meta": dict(meta or {}), "indicators": doc}


def dumps_json(obj: Any) -> str:
    """Deterministic JSON text (sorted keys, two-space indent, trailing newline)."""
    return json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False, default=str) + "\n"


def _sheet_name(tid: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "_", tid)[:31]
    base, i = name, 1
    while name in used:
        i += 1
        name = f"{base[:28]}~{i}"
    used.add(name)
    return name


def xlsx_bytes(tables: Mapping[str, Table], *, meta: Mapping[str, Any] | None = None, language: str | None = None) -> bytes:
    """One workbook: a ``README`` sheet (each table's title, columns with units, notes), then one sheet per table
    that starts with its header row (the CSV's column names, units as cell comments), frozen under the header.

    Values keep the CSV's precision; each column's number format shows the decimals of its quantity.
    ``pandas.read_excel(path, sheet_name=None)`` gives each table back with its columns.  Timestamps are fixed.
    """
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    from .formatting import cf_unit, quantity_of, unit_label
    from .i18n import current_language, translate

    lang = language or current_language()
    meta = dict(meta or {})
    wb = Workbook()
    title = translate("xlsx.readme_title", lang, country=meta.get("country", ""), edition=meta.get("edition", ""))
    intro = translate("xlsx.readme_intro", lang)
    wb.properties.title, wb.properties.description = title, intro
    readme = wb.active
    readme.title = README_SHEET
    # the README is a table too (one row per column of every table); its title and introduction are the
    # workbook's properties and a comment on its first cell
    head = ["xlsx.sheet", "xlsx.table", "xlsx.title", "xlsx.column", "xlsx.unit", "xlsx.unit_cf", "xlsx.notes"]
    readme.append([translate(k, lang) for k in head])
    for cell in readme[1]:
        cell.font = Font(bold=True)
    readme["A1"].comment = Comment(f"{title}\n\n{intro}", "unccd-indicators", width=420, height=160)
    used: set[str] = {README_SHEET}
    if not tables:
        readme.append([translate("xlsx.no_tables", lang)])
    for tid in sorted(tables):
        t = tables[tid]
        name = _sheet_name(tid, used)
        ws = wb.create_sheet(name)
        cols = [str(c) for c in t.frame.columns]
        ws.append(cols)
        for j, c in enumerate(cols, start=1):
            cell = ws.cell(row=1, column=j)
            cell.font = Font(bold=True)
            label = unit_label(c, t.units.get(c), lang)
            if label:
                cell.comment = Comment(label, "unccd-indicators")
        formats = [_NUMBER_FORMATS.get(quantity_of(c, t.units.get(c)).decimals) for c in cols]
        for row in t.frame.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for j, fmt in enumerate(formats, start=1):
            if fmt is None:
                continue
            for (cell,) in ws.iter_rows(min_row=2, max_row=ws.max_row, min_col=j, max_col=j):
                if isinstance(cell.value, float):
                    cell.number_format = fmt
        ws.freeze_panes = "B2" if len(cols) > 1 else "A2"
        for j, c in enumerate(cols):
            readme.append([name if j == 0 else None, tid if j == 0 else None, t.title if j == 0 else None, c,
                           unit_label(c, t.units.get(c), lang) or None, cf_unit(c, t.units.get(c)),
                           " ".join(t.notes) if j == 0 and t.notes else None])
    readme.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


#: the README sheet's name (never a table id: ids look like SO1-4.T1)
README_SHEET = "README"
# number formats by decimals shown
_NUMBER_FORMATS = {0: "#,##0", 2: "#,##0.00", 3: "0.000"}


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite an OOXML archive with fixed entry times and document dates."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", rf"\g<1>{_FIXED_XML_TIME}\g<3>", text)
                body = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    return out.getvalue()


def write_tables(tables: Mapping[str, Table], out_dir: Path, *, meta: Mapping[str, Any] | None = None) -> list[Path]:
    """Write ``<indicator>/<table id>.csv`` for each table, ``tables.xlsx`` and ``tables.json``.

    Returns the paths written, relative to *out_dir*.
    """
    out_dir = Path(out_dir)
    written: list[Path] = []
    for tid in sorted(tables):
        t = tables[tid]
        rel = Path(t.indicator) / f"{tid}.csv"
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / rel).write_text(frame_to_csv(t.frame), encoding="utf-8", newline="")
        written.append(rel)
    (out_dir / "tables.xlsx").write_bytes(xlsx_bytes(tables, meta=meta))
    (out_dir / "tables.json").write_text(dumps_json(tables_document(tables, meta)), encoding="utf-8")
    written += [Path("tables.xlsx"), Path("tables.json")]
    return written

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
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

#: decimal places kept in written tables (km² to 1e-6 is 1 m²)
DECIMALS = 6
# A fixed date for the XLSX archive and document properties: tables carry no timestamp.
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_XML_TIME = "1980-01-01T00:00:00Z"
#: zlib effort of the XLSX archive's entries (Python's default is 6).  Level 1: the archive of the 10000² benchmark's
#: tables in 0.34 s instead of 0.91 s, 12.1 MB instead of 9.4 MB (issue 16; every spreadsheet reads either)
XLSX_ZIP_LEVEL = 1


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


def float_texts(values: list[float]) -> list[str]:
    """``[format_float(v) for v in values]`` of a float column's values (Python floats), in two passes over the
    column instead of a call and its checks per value (CSV writes ~0.6 M float cells in a 6000² run)."""
    texts = [f"{round(v, DECIMALS):.{DECIMALS}f}".rstrip("0").rstrip(".") for v in values]
    return ["" if v != v else "0" if t in _ZERO_TEXTS else t for v, t in zip(values, texts)]


_ZERO_TEXTS = ("-0", "")


def _cell(value: Any) -> Any:
    """A JSON/XLSX-ready scalar: rounded floats, plain ints, None for missing."""
    t = type(value)
    if t is float:  # the exact builtin types first: the writers ask for 10⁶ cells (the same results as below)
        if value != value:
            return None
        if value == math.inf or value == -math.inf:
            return str(value)
        v = round(value, DECIMALS)
        return 0.0 if v == 0 else v
    if t is str or t is int:
        return value
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


def float_cells(values: list[float]) -> list[Any]:
    """``[_cell(v) for v in values]`` of a float column's values (Python floats): one comprehension, no type tests."""
    return [None if v != v else str(v) if v in _INFINITIES else (round(v, DECIMALS) or 0.0) for v in values]


_INFINITIES = (math.inf, -math.inf)


def cell_columns(frame: pd.DataFrame) -> list[list[Any]]:
    """Each column of *frame* as :func:`_cell` values (what tables.json and the workbook write), a column at once."""
    # a str or an int is its own cell (_cell's first test), without the call
    return [float_cells(col) if holds_floats(frame, k) else [v if type(v) in _AS_IS else _cell(v) for v in col]
            for k, col in enumerate(frame_columns(frame))]


_AS_IS = frozenset({str, int})


def frame_to_csv(frame: pd.DataFrame) -> str:
    """CSV text of *frame* with the package's fixed float formatting and ``\\n`` line ends."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            s = out[col]
            out[col] = float_texts(s.tolist()) if isinstance(s.dtype, np.dtype) else s.map(format_float)
    return out.to_csv(index=False, lineterminator="\n")


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """*frame* as CSV at *path* (:func:`frame_to_csv`: the package's float formatting, ``\n`` line ends): every CSV
    the package writes, the run's tables and ``compare``'s alike."""
    Path(path).write_text(frame_to_csv(frame), encoding="utf-8", newline="")


def column_record(table: Table, column: str) -> dict[str, Any]:
    """A column's description for machines: its name, its unit as UDUNITS/CF text (``km2``, ``%``, ``person``,
    None when it has none), the unit as a reader sees it, and the decimals a report shows."""
    from .formatting import cf_unit, quantity_of, unit_label

    declared = table.units.get(column)
    return {"name": column, "unit": cf_unit(column, declared), "unit_label": unit_label(column, declared, "en") or None,
            "quantity": quantity_of(column, declared).kind, "decimals_shown": quantity_of(column, declared).decimals}


def frame_columns(frame: pd.DataFrame) -> list[list[Any]]:
    """The columns of *frame* as lists of the values ``frame.itertuples(index=False, name=None)`` gives, each
    column taken at once: pandas gives a string or categorical column's values one ``__getitem__`` at a time
    (~1 µs a cell, ~0.5 M cells a writer in a 2000² run)."""
    columns = []
    for k in range(frame.shape[1]):
        s = frame.iloc[:, k]
        if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biufcO":  # an ndarray: Series.__iter__ gives .item()s
            columns.append(s.to_numpy().tolist())
        elif isinstance(s.dtype, (pd.StringDtype, pd.CategoricalDtype)):  # str, or the dtype's missing value
            columns.append(s.to_numpy(dtype=object).tolist())
        else:  # e.g. nullable integers: numpy scalars or NA, as iterated
            columns.append(list(s))
    return columns


def holds_floats(frame: pd.DataFrame, k: int) -> bool:
    """Whether :func:`frame_columns` gives column *k* as Python floats only (a numpy float dtype): the writers
    then format it with one comprehension, not a call per value."""
    dtype = frame.dtypes.iloc[k]
    return isinstance(dtype, np.dtype) and dtype.kind == "f"


def frame_rows(frame: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    """The rows of *frame* as ``frame.itertuples(index=False, name=None)`` gives them (:func:`frame_columns`)."""
    if frame.shape[1] == 0:
        return frame.itertuples(index=False, name=None)
    return zip(*frame_columns(frame))


def _row_records(frame: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """The rows of *frame* as JSON objects, one at a time (column name -> :func:`_cell` value)."""
    cols = [str(c) for c in frame.columns]
    for row in frame_rows(frame):
        yield {k: _cell(v) for k, v in zip(cols, row)}


def table_record(table: Table) -> dict[str, Any]:
    """The JSON form of one table: title, columns with units, rows as objects (values at full precision)."""
    return {
        "title": table.title,
        "columns": [column_record(table, str(c)) for c in table.frame.columns],
        "rows": list(_row_records(table.frame)),
        "notes": list(table.notes),
    }


def tables_document(tables: Mapping[str, Table], meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The reporting-template shaped document: ``{indicator: {table id: table}}``.

    The whole document in memory; :func:`write_tables_json` writes the same text one row at a time.
    """
    doc: dict[str, Any] = {}
    for tid in sorted(tables):
        t = tables[tid]
        doc.setdefault(t.indicator, {})[tid] = table_record(t)
    return {"meta": dict(meta or {}), "indicators": doc}


def dumps_json(obj: Any) -> str:
    """Deterministic JSON text (sorted keys, two-space indent, trailing newline)."""
    return _dumps(obj) + "\n"


# what json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False, default=str) uses, made once
_ENCODER = json.JSONEncoder(sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False, default=str)


def _dumps(obj: Any, level: int = 0) -> str:
    """:func:`dumps_json`'s text of *obj* (no trailing newline) as it reads nested *level* deep in a document:
    JSON text has no raw newline inside a string, so every line after the first is indented *level* more."""
    text = _ENCODER.encode(obj)
    return text.replace("\n", "\n" + "  " * level) if level else text


def _pad(level: int) -> str:
    return "  " * level


# the values of a row in one call of the C encoder (json's C encoder is not used with an indent), joined by NUL:
# JSON text never holds a raw NUL (one inside a string is written \u0000), so the text splits back into values
_VALUES_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=str, separators=("\x00", ":"))


def _row_texts(frame: pd.DataFrame, level: int) -> Iterator[str]:
    """``_dumps(row, level)`` of each of :func:`_row_records`' rows, the same text without the indenting encoder
    (pure Python: 5 s for a 2000² run's 128 000 rows): keys sorted and encoded once, values a column of
    :data:`_JSON_CHUNK_ROWS` rows at a time (one call of the C encoder, which encodes each value on its own)."""
    cols = [str(c) for c in frame.columns]
    if not cols or len(set(cols)) < len(cols):  # (a row object would keep one of two equal names)
        for rec in _row_records(frame):
            yield _dumps(rec, level)
        return
    order = sorted(range(len(cols)), key=lambda j: cols[j])
    columns = cell_columns(frame)
    keyed = [("\n" + _pad(level + 1) + _dumps(cols[j]) + ": ", columns[j]) for j in order]
    close = "\n" + _pad(level) + "}"
    for a in range(0, len(frame), _JSON_CHUNK_ROWS):
        texts = [[key + v for v in _VALUES_ENCODER.encode(col[a:a + _JSON_CHUNK_ROWS])[1:-1].split("\x00")]
                 for key, col in keyed]
        for row in zip(*texts):
            yield "{" + ",".join(row) + close


#: rows of a column encoded per call
_JSON_CHUNK_ROWS = 2000


def write_tables_json(tables: Mapping[str, Table], path: Path, meta: Mapping[str, Any] | None = None) -> None:
    """Write ``dumps_json(tables_document(tables, meta))`` to *path* without holding the document: the
    structure is written by hand in :func:`dumps_json`'s layout (sorted keys, two-space indent) and each row
    is encoded and written on its own, so memory is one row, not every table's rows as Python objects and text."""
    by_indicator: dict[str, list[str]] = {}
    for tid in sorted(tables):
        by_indicator.setdefault(tables[tid].indicator, []).append(tid)
    with open(path, "w", encoding="utf-8") as f:
        w = f.write
        w("{\n" + _pad(1) + '"indicators": ')
        if not by_indicator:
            w("{}")
        for i, code in enumerate(sorted(by_indicator)):
            w(("{" if i == 0 else ",") + "\n" + _pad(2) + _dumps(code) + ": {")
            for j, tid in enumerate(by_indicator[code]):
                t = tables[tid]
                w(("" if j == 0 else ",") + "\n" + _pad(3) + _dumps(tid) + ": {\n")
                columns = [column_record(t, str(c)) for c in t.frame.columns]
                w(_pad(4) + '"columns": ' + _dumps(columns, 4) + ",\n")
                w(_pad(4) + '"notes": ' + _dumps(list(t.notes), 4) + ",\n")
                w(_pad(4) + '"rows": ')
                n = 0
                for n, text in enumerate(_row_texts(t.frame, 5), start=1):
                    w(("[" if n == 1 else ",") + "\n" + _pad(5) + text)
                w(("\n" + _pad(4) + "]") if n else "[]")
                w(",\n" + _pad(4) + '"title": ' + _dumps(t.title, 4) + "\n" + _pad(3) + "}")
            w("\n" + _pad(2) + "}")
        if by_indicator:
            w("\n" + _pad(1) + "}")
        w(",\n" + _pad(1) + '"meta": ' + _dumps(dict(meta or {}), 1) + "\n}\n")


def _sheet_name(tid: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "_", tid)[:31]
    base, i = name, 1
    while name in used:
        i += 1
        name = f"{base[:28]}~{i}"
    used.add(name)
    return name


def xlsx_bytes(tables: Mapping[str, Table], *, meta: Mapping[str, Any] | None = None, language: str | None = None) -> bytes:
    """The workbook of :func:`write_xlsx` as bytes."""
    buf = io.BytesIO()
    write_xlsx(tables, buf, meta=meta, language=language)
    return buf.getvalue()


def write_xlsx(tables: Mapping[str, Table], target: Path | BinaryIO, *, meta: Mapping[str, Any] | None = None,
               language: str | None = None) -> None:
    """One workbook: a ``README`` sheet (each table's title, columns with units, notes), then one sheet per table
    that starts with its header row (the CSV's column names, units as cell comments), frozen under the header.

    Values keep the CSV's precision; each column's number format shows the decimals of its quantity.
    ``pandas.read_excel(path, sheet_name=None)`` gives each table back with its columns.  Timestamps are fixed.
    The sheets are streamed (openpyxl's write-only mode): memory is one row, not a cell object per value.  A
    table's data rows are written as text by :mod:`.xlsx_rows` (the same bytes, without an openpyxl cell per
    value) into a temporary file and spliced into its sheet when the archive is normalised.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from .formatting import cf_unit, quantity_of, unit_label
    from .i18n import current_language, translate
    from .xlsx_rows import NotPlain, rows_xml

    lang = language or current_language()
    meta = dict(meta or {})
    wb = Workbook(write_only=True)
    title = translate("xlsx.readme_title", lang, country=meta.get("country", ""), edition=meta.get("edition", ""))
    intro = translate("xlsx.readme_intro", lang)
    wb.properties.title, wb.properties.description = title, intro
    bold = Font(bold=True)

    def sheet(name: str, n_rows: int, n_cols: int) -> Any:
        ws = wb.create_sheet(name)
        ws.freeze_panes = "B2" if n_cols > 1 else "A2"
        # a write-only sheet does not know its size; readers (read-only openpyxl, pandas) take it from <dimension>
        ws.calculate_dimension = lambda: f"A1:{get_column_letter(max(n_cols, 1))}{max(n_rows, 1)}"
        return ws

    def cell(ws: Any, value: Any, *, font: Font | None = None, number_format: str | None = None,
             comment: Comment | None = None) -> Any:
        c = WriteOnlyCell(ws, value=value)
        if font is not None:
            c.font = font
        if number_format is not None:
            c.number_format = number_format
        if comment is not None:
            c.comment = comment
        return c

    # the README is a table too (one row per column of every table); its title and introduction are the
    # workbook's properties and a comment on its first cell
    names: dict[str, str] = {}
    used: set[str] = {README_SHEET}
    readme_rows: list[list[Any]] = []
    for tid in sorted(tables):
        t = tables[tid]
        names[tid] = name = _sheet_name(tid, used)
        for j, c in enumerate(str(c) for c in t.frame.columns):
            readme_rows.append([name if j == 0 else None, tid if j == 0 else None, t.title if j == 0 else None, c,
                                unit_label(c, t.units.get(c), lang) or None, cf_unit(c, t.units.get(c)),
                                " ".join(t.notes) if j == 0 and t.notes else None])
    if not tables:
        readme_rows.append([translate("xlsx.no_tables", lang)])
    head = ["xlsx.sheet", "xlsx.table", "xlsx.title", "xlsx.column", "xlsx.unit", "xlsx.unit_cf", "xlsx.notes"]
    readme = sheet(README_SHEET, 1 + len(readme_rows), len(head))
    readme.freeze_panes = "A2"
    readme.append([cell(readme, translate(k, lang), font=bold,
                        comment=Comment(f"{title}\n\n{intro}", "unccd-indicators", width=420, height=160) if i == 0 else None)
                   for i, k in enumerate(head)])
    for row in readme_rows:
        readme.append(row)
    spliced: dict[Any, Any] = {}  # sheet -> temporary file of its data rows' XML
    for tid in sorted(tables):
        t = tables[tid]
        cols = [str(c) for c in t.frame.columns]
        ws = sheet(names[tid], 1 + len(t.frame), len(cols))
        labels = [unit_label(c, t.units.get(c), lang) for c in cols]
        ws.append([cell(ws, c, font=bold, comment=Comment(label, "unccd-indicators") if label else None)
                   for c, label in zip(cols, labels)])
        formats = [_NUMBER_FORMATS.get(quantity_of(c, t.units.get(c)).decimals) for c in cols]
        rows = tempfile.TemporaryFile("w+", encoding="utf-8")
        try:  # the rows as openpyxl would write them, spliced into the sheet by _normalise_zip (xlsx_rows)
            for text in rows_xml(cell_columns(t.frame), len(t.frame), formats,
                                 lambda fmt: cell(ws, 0.0, number_format=fmt).style_id):
                rows.write(text)
            spliced[ws] = rows
        except NotPlain:
            rows.close()
            for row in frame_rows(t.frame):
                values = [_cell(v) for v in row]
                ws.append([cell(ws, v, number_format=fmt) if fmt is not None and isinstance(v, float) else v
                           for v, fmt in zip(values, formats)])
    try:
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as raw:
            wb.save(raw)
            raw.seek(0)
            # the sheets' archive names, known once saved (openpyxl numbers them as it writes the workbook)
            rows_of = {ws.path.lstrip("/"): rows for ws, rows in spliced.items()}
            if isinstance(target, (str, Path)):
                with open(target, "wb") as out:
                    _normalise_zip(raw, out, rows_of)
            else:
                _normalise_zip(raw, target, rows_of)
    finally:
        for rows in spliced.values():
            rows.close()


# the workbook is kept in memory up to this size before it goes to a temporary file
_SPOOL_BYTES = 16 * 2**20


#: the README sheet's name (never a table id: ids look like SO1-4.T1)
README_SHEET = "README"
# number formats by decimals shown
_NUMBER_FORMATS = {0: "#,##0", 2: "#,##0.00", 3: "0.000"}


def _normalise_zip(src_file: BinaryIO, dst_file: BinaryIO, rows_of: Mapping[str, Any] | None = None) -> None:
    """Copy an OOXML archive with fixed entry times and document dates, one entry at a time (streamed).

    *rows_of*: archive name of a sheet -> text file of data rows to put at the end of its ``<sheetData>``
    (the sheet as openpyxl wrote it holds the header row only, so it is read whole).
    """
    rows_of = rows_of or {}
    with zipfile.ZipFile(src_file) as src, zipfile.ZipFile(dst_file, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            # the entry's own level (ZipFile.open(zi, "w") reads it there): compress_level from Python 3.13 on
            setattr(zi, "compress_level" if hasattr(zi, "compress_level") else "_compresslevel", XLSX_ZIP_LEVEL)
            zi.external_attr = 0o644 << 16
            if info.filename == "docProps/core.xml":
                text = src.read(info.filename).decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", rf"\g<1>{_FIXED_XML_TIME}\g<3>", text)
                dst.writestr(zi, text.encode("utf-8"))
                continue
            if info.filename in rows_of:
                head, tail = src.read(info.filename).decode("utf-8").split("</sheetData>", 1)
                rows = rows_of[info.filename]
                rows.seek(0)
                with dst.open(zi, "w") as out:
                    out.write(head.encode("utf-8"))
                    while chunk := rows.read(2**20):
                        out.write(chunk.encode("utf-8"))
                    out.write(("</sheetData>" + tail).encode("utf-8"))
                continue
            with src.open(info) as body, dst.open(zi, "w") as out:
                shutil.copyfileobj(body, out, 2**20)


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
        write_csv(t.frame, out_dir / rel)
        written.append(rel)
    write_xlsx(tables, out_dir / "tables.xlsx", meta=meta)
    write_tables_json(tables, out_dir / "tables.json", meta)
    written += [Path("tables.xlsx"), Path("tables.json")]
    return written

"""A workbook sheet's data rows as SpreadsheetML text, written without openpyxl's per-cell objects.

openpyxl (without lxml, as installed here) builds, styles and serialises one element per cell: about 25 µs a
cell, ~30 s of a 2000² run's write phase for the 1.3 million cells of its per-unit tables.  :func:`rows_xml`
writes the very text openpyxl writes for the values :func:`indicators.report.tables.write_xlsx` gives it
(inline strings, numbers as ``"%.16g"``, the style id of a number format), a column of a chunk of rows at a
time (the letter and style of a column, and the text of a repeated string, made once), and
``write_xlsx`` splices it into the sheet's ``<sheetData>`` when it normalises the archive.
``tests/run/test_run_write_fast_paths.py`` checks the two writers give the same bytes.

Only plain tables take this path: a string openpyxl would store otherwise (a formula ``=…``, an error code, a
character a worksheet cannot hold, one longer than a cell holds) raises :class:`NotPlain` and the caller leaves
the table to openpyxl, before any style is numbered, so openpyxl numbers them in its own order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ..text import CONTROL_CHARACTERS

# what openpyxl.cell.cell refuses (its ILLEGAL_CHARACTERS_RE: the control characters that admin unit names are
# refused for where they come in, indicators.text) or stores other than as a string (its ERROR_CODES)
_ILLEGAL = CONTROL_CHARACTERS
_ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")
_MAX_STRING = 32767
#: rows joined per chunk written
_CHUNK_ROWS = 2000


class NotPlain(ValueError):
    """A string openpyxl stores otherwise than as an inline string as it is: the table is left to openpyxl."""


def _column_letter(i: int) -> str:
    """Spreadsheet column letters of the 1-based column *i* (1 -> A, 27 -> AA)."""
    out = ""
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _escape(text: str) -> str:
    # xml.etree's _escape_cdata, which openpyxl's writer uses for a cell's text
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _string_tail(value: str) -> str:
    """A string cell's text after its ``<c r="A2"`` (the same for every cell of that string)."""
    if len(value) > _MAX_STRING or _ILLEGAL.search(value) or (len(value) > 1 and value[0] == "=") or value in _ERROR_CODES:
        raise NotPlain(value[:80])
    if value == "":
        return ' t="inlineStr" />'
    stripped = value.strip()
    # openpyxl.xml.functions.whitespace: text with outer whitespace keeps it
    space = ' xml:space="preserve"' if stripped and stripped != value else ""
    return f' t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>'


def _string_tails(column: Sequence[Any]) -> dict[str, str]:
    """:func:`_string_tail` of each distinct string of *column* (a table's names and classes repeat on every row)."""
    return {v: _string_tail(v) for v in set(v for v in column if isinstance(v, str))}


def _first_met_styles(columns: Sequence[Sequence[Any]], formats: Sequence[str | None],
                      style_id: Callable[[str], int]) -> dict[str, str]:
    """The style id of each number format a float of *columns* is shown with, asked of *style_id* in the order
    a row-by-row writer meets the formats first (the order in which openpyxl numbers the workbook's styles)."""
    first: dict[str, tuple[int, int]] = {}
    for j, (fmt, column) in enumerate(zip(formats, columns)):
        if fmt is None:
            continue
        r = next((r for r, v in enumerate(column) if isinstance(v, float)), None)
        if r is not None and (fmt not in first or (r, j) < first[fmt]):
            first[fmt] = (r, j)
    return {fmt: str(style_id(fmt)) for fmt in sorted(first, key=first.__getitem__)}


def _column_cells(values: Sequence[Any], letter: str, style: str | None, tails: Mapping[str, str],
                  first_row: int) -> list[str]:
    """The ``<c>`` elements of one column's *values* (rows from *first_row*), "" for a missing value."""
    number = f'" s="{style}" t="n"><v>' if style is not None else '" t="n"><v>'
    cells = []
    for r, v in enumerate(values, start=first_row):
        if v is None:
            cells.append("")
        elif type(v) is float:  # most cells
            cells.append(f'<c r="{letter}{r}{number}{"%.16g" % v}</v></c>')
        elif isinstance(v, str):
            cells.append(f'<c r="{letter}{r}"{tails[v]}')
        elif isinstance(v, bool):
            cells.append(f'<c r="{letter}{r}" t="b"><v>{"%.16g" % v}</v></c>')
        elif isinstance(v, float):
            cells.append(f'<c r="{letter}{r}{number}{"%.16g" % v}</v></c>')
        else:
            cells.append(f'<c r="{letter}{r}" t="n"><v>{"%.16g" % v}</v></c>')
    return cells


def rows_xml(columns: Sequence[Sequence[Any]], n_rows: int, formats: Sequence[str | None],
             style_id: Callable[[str], int], first_row: int = 2) -> Iterator[str]:
    """The ``<row>`` elements of a table's *n_rows* rows, given as *columns* (each a sequence of the cells
    ``write_xlsx`` appends: None, bool, int, float, str), numbered from *first_row*, in chunks of text.

    Raises :class:`NotPlain`, before any text, when a string is one openpyxl would not store as it is.  A float
    in a column with a number format (*formats*, one per column, None: none) is styled with ``style_id(format)``,
    asked in the order in which a row-by-row writer meets the formats: the order in which openpyxl numbers the
    workbook's styles.  The cells are made a column of :data:`_CHUNK_ROWS` rows at a time.
    """
    tails = [_string_tails(column) for column in columns]
    styles = _first_met_styles(columns, formats, style_id)
    letters = [_column_letter(j + 1) for j in range(len(columns))]
    column_styles = [styles.get(fmt) if fmt is not None else None for fmt in formats]
    for a in range(0, n_rows, _CHUNK_ROWS):
        b = min(n_rows, a + _CHUNK_ROWS)
        cells = [_column_cells(column[a:b], letter, style, tail, first_row + a)
                 for column, letter, style, tail in zip(columns, letters, column_styles, tails)]
        rows = zip(*cells) if cells else [()] * (b - a)
        yield "".join([f'<row r="{r}">' + "".join(row) + "</row>" for r, row in enumerate(rows, start=first_row + a)])

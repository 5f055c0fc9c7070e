"""A workbook sheet's data rows as SpreadsheetML text, written without openpyxl's per-cell objects.

openpyxl (without lxml, as installed here) builds, styles and serialises one element per cell: about 25 µs a
cell, ~30 s of a 2000² run's write phase for the 1.3 million cells of its per-unit tables.  :func:`rows_xml`
writes the very text openpyxl writes for the values :func:`indicators.report.tables.write_xlsx` gives it
(inline strings, numbers as ``"%.16g"``, the style id of a number format), a row at a time, and
``write_xlsx`` splices it into the sheet's ``<sheetData>`` when it normalises the archive.
``tests/run/test_run_write_fast_paths.py`` checks the two writers give the same bytes.

Only plain tables take this path: a string openpyxl would store otherwise (a formula ``=…``, an error code, a
character a worksheet cannot hold, one longer than a cell holds) raises :class:`NotPlain` and the caller leaves
the table to openpyxl.  The styles numbered up to then are numbered in openpyxl's order, so the workbook is the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

# what openpyxl.cell.cell refuses or stores other than as a string (its ILLEGAL_CHARACTERS_RE, ERROR_CODES)
_ILLEGAL = re.compile("[\x00-\x08\x0b-\x0c\x0e-\x1f]")
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


def _string_cell(ref: str, value: str) -> str:
    if len(value) > _MAX_STRING or _ILLEGAL.search(value) or (len(value) > 1 and value[0] == "=") or value in _ERROR_CODES:
        raise NotPlain(value[:80])
    if value == "":
        return f'<c r="{ref}" t="inlineStr" />'
    stripped = value.strip()
    # openpyxl.xml.functions.whitespace: text with outer whitespace keeps it
    space = ' xml:space="preserve"' if stripped and stripped != value else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{_escape(value)}</t></is></c>'


def rows_xml(values: Iterable[Sequence[Any]], formats: Sequence[str | None], style_id: Callable[[str], int],
             first_row: int = 2) -> Iterator[str]:
    """The ``<row>`` elements of the rows *values* (each a sequence of the cells ``write_xlsx`` appends: None,
    bool, int, float, str), numbered from *first_row*, in chunks of text.

    Raises :class:`NotPlain` at the first string openpyxl would not store as it is.  A float in a column with a number format (*formats*, one per column, None: none) is styled with
    ``style_id(format)``, asked the first time the format is met, row by row: the order in which openpyxl
    would number the workbook's styles.
    """
    letters = [_column_letter(j + 1) for j in range(len(formats))]
    styles: dict[str, str] = {}
    chunk: list[str] = []
    for r, row in enumerate(values, start=first_row):
        cells = [f'<row r="{r}">']
        for letter, fmt, v in zip(letters, formats, row):
            if v is None:
                continue
            ref = f"{letter}{r}"
            if isinstance(v, str):
                cells.append(_string_cell(ref, v))
            elif isinstance(v, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{"%.16g" % v}</v></c>')
            elif fmt is not None and isinstance(v, float):
                s = styles.get(fmt)
                if s is None:
                    s = styles[fmt] = str(style_id(fmt))
                cells.append(f'<c r="{ref}" s="{s}" t="n"><v>{"%.16g" % v}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="n"><v>{"%.16g" % v}</v></c>')
        cells.append("</row>")
        chunk.append("".join(cells))
        if len(chunk) >= _CHUNK_ROWS:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)

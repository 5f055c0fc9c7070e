"""The write phase's fast paths give the bytes of the slow ones (issue 16 item 3).

* the workbook's data rows written as text (indicators.report.xlsx_rows): openpyxl's per-cell objects took ~30 s
  of a 2000² run's write phase; the reference is write_xlsx with every table left to openpyxl (rows_xml refusing
  every table, as it does a non-plain one);
* tables.json's rows encoded by the C encoder (tables._row_texts): the reference is the indenting encoder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.report import xlsx_rows
from indicators.report.tables import Table, _dumps, _row_records, _row_texts, xlsx_bytes


def _all_openpyxl(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise xlsx_rows.NotPlain("reference")
        yield  # a generator, as rows_xml is

    monkeypatch.setattr(xlsx_rows, "rows_xml", refuse)


def _tables() -> dict[str, Table]:
    strings = ["a", " leading", "trailing ", "  ", "", "a & b < c > d", "ü \"q\" 'q'", "line\nbreak", "\ttab", None, "x", "=", "#"]
    n = len(strings)
    f = pd.DataFrame({"name": strings,
                      "area_km2": [1.23456789, np.nan, np.inf, -np.inf, -0.0, 1e-7, 1e20, 123456789.123456, 0.1, 2.5, 3.0, -1.0, 7.0],
                      "percent": np.linspace(-3, 3, n), "population": np.arange(n, dtype="int64") * 10**12,
                      "flag": [True, False] * (n // 2) + [True], 2000: [1.5] * n,
                      "mixed": [1, 2.5, "three", None, np.float32(0.1), np.int16(4), True, 8, 9, 10, 11, 12, 13]})
    wide = pd.DataFrame({f"c{j}": np.arange(3, dtype=float) + j / 7 for j in range(30)})  # columns past Z
    return {"SO3-2.units": Table("SO3-2.units", "units", f, units={"area_km2": "km**2", "percent": "percent",
                                                                     "population": "person"}, notes=["n"]),
            "SO1-1.T1": Table("SO1-1.T1", "no rows", f.iloc[:0]),
            "SO1-1.T2": Table("SO1-1.T2", "one column", f[["name"]]),
            "SO1-1.T3": Table("SO1-1.T3", "wide", wide, units={c: "km**2" for c in wide.columns})}


def test_rows_as_text_are_openpyxl_bytes(monkeypatch):
    tables = _tables()
    fast = xlsx_bytes(tables, meta={"country": "X"})
    _all_openpyxl(monkeypatch)
    assert fast == xlsx_bytes(tables, meta={"country": "X"})


@pytest.mark.parametrize("odd", ["=SUM(A1)", "#N/A", "bell\x07", "x" * 40000])
def test_a_string_openpyxl_stores_otherwise_leaves_the_table_to_openpyxl(monkeypatch, odd):
    t = Table("SO1-1.T1", "odd", pd.DataFrame({"name": ["plain", odd], "v": [1.5, 2.5]}), units={"v": "km**2"})
    try:
        fast = xlsx_bytes({t.id: t})
    except Exception as exc:  # openpyxl refuses it: so does the fast path's fallback
        _all_openpyxl(monkeypatch)
        with pytest.raises(type(exc)):
            xlsx_bytes({t.id: t})
        return
    _all_openpyxl(monkeypatch)
    assert fast == xlsx_bytes({t.id: t})


@pytest.mark.parametrize("level", [0, 5])
def test_json_rows_are_the_indenting_encoders_text(level):
    f = _tables()["SO3-2.units"].frame.copy()
    f["nul \x00 and ü"] = ["\x00", "a\x00b", "\"", "\\", "é", "\u2028", "", None, "x", "y", "z", "1", "2"]
    for frame in (f, f.iloc[:0], f[[]], f.rename(columns={"percent": "name"})):  # no rows, no columns, a name twice
        assert list(_row_texts(frame, level)) == [_dumps(r, level) for r in _row_records(frame)]

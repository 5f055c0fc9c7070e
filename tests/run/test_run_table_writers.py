"""The streamed table writers (tables.json, tables.xlsx): the same content as the one-shot forms, memory per row.

Issue 16: the writers held every row as Python objects (a JSON document and its text; an openpyxl cell per value),
hundreds of MiB for a country's per-unit tables.  The references here are the standard library's ``json.dumps``
of the whole document and values worked out by hand.
"""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from indicators.report.tables import Table, dumps_json, tables_document, write_tables_json, write_xlsx

NUMBER_FORMATS = {0: "#,##0", 2: "#,##0.00", 3: "0.000"}  # decimals shown -> Excel number format


def _canonical(doc) -> str:
    """The text dumps_json has always written: the standard library's one-shot encoding of the whole document."""
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _tables() -> dict[str, Table]:
    f = pd.DataFrame({"unit": ["a", "b", None, "ü"], "area_km2": [1.23456789, np.nan, np.inf, -1e-7],
                      "percent": [1.0, 2.5, np.nan, 3.0], "population": np.array([1, 2, 3, 4], dtype="int64"),
                      2000: [True, False, True, False]})
    long = "SO1-1.a_table_id_longer_than_thirty_one_characters_"
    return {"SO3-2.units": Table("SO3-2.units", 'Units "quoted"\nsecond line', f,
                                 units={"area_km2": "km**2", "percent": "percent", "population": "person"},
                                 notes=["one", "two"]),
            "SO1-1.T1": Table("SO1-1.T1", "no rows", f.iloc[:0]),
            "SO1-1.T2": Table("SO1-1.T2", "one column", f[["unit"]]),
            long + "1": Table(long + "1", "long 1", f), long + "2": Table(long + "2", "long 2", f)}


@pytest.mark.parametrize("which", ["some", "none"])
def test_streamed_json_is_the_one_shot_document_text(tmp_path, which):
    tables = _tables() if which == "some" else {}
    meta = {"country": "Testland", "edition": "2022", "profile": None}
    write_tables_json(tables, tmp_path / "tables.json", meta)
    text = (tmp_path / "tables.json").read_text(encoding="utf-8")
    assert text == _canonical(tables_document(tables, meta)) == dumps_json(tables_document(tables, meta))
    doc = json.loads(text)
    if which == "some":
        rows = doc["indicators"]["SO3-2"]["SO3-2.units"]["rows"]
        # rounded to 6 places, NaN -> null, inf as text, -1e-7 -> 0, the column 2000 named "2000"
        assert rows[0] == {"unit": "a", "area_km2": 1.234568, "percent": 1.0, "population": 1, "2000": True}
        assert rows[1]["area_km2"] is None and rows[2]["area_km2"] == "inf" and rows[3]["area_km2"] == 0.0
        assert doc["indicators"]["SO1-1"]["SO1-1.T1"]["rows"] == []
    else:
        assert doc == {"indicators": {}, "meta": meta}


def test_streamed_workbook_cells_by_hand(tmp_path):
    tables = _tables()
    write_xlsx(tables, tmp_path / "t.xlsx", meta={"country": "Testland", "edition": "2022"}, language="en")
    wb = load_workbook(tmp_path / "t.xlsx")
    long = "SO1-1.a_table_id_longer_than_thirty_one_characters_"
    assert wb.sheetnames == ["README", "SO1-1.T1", "SO1-1.T2", long[:31], long[:28] + "~2", "SO3-2.units"]
    assert wb.properties.title == "Reporting tables of Testland (edition 2022)"
    ws = wb["SO3-2.units"]
    assert ws.freeze_panes == "B2" and ws.dimensions == "A1:E5"
    head = list(ws[1])
    assert [c.value for c in head] == ["unit", "area_km2", "percent", "population", "2000"]
    assert all(c.font.b for c in head)
    assert [c.comment.text if c.comment else None for c in head] == [None, "km²", "%", "persons", None]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert rows == [["a", 1.234568, 1.0, 1, True], ["b", None, 2.5, 2, False], [None, "inf", None, 3, True],
                    ["ü", 0.0, 3.0, 4, False]]
    # area in km² shows 2 decimals; a float cell carries its column's format, text and empty cells do not
    assert ws["B2"].number_format == "#,##0.00" and ws["B4"].number_format == "General"
    assert ws["A2"].number_format == "General" and not ws["A2"].font.b
    assert wb["SO1-1.T2"].freeze_panes == "A2"
    assert [[c.value for c in r] for r in wb["SO1-1.T1"].iter_rows()] == [["unit", "area_km2", "percent", "population", "2000"]]
    readme = wb["README"]
    assert readme.freeze_panes == "A2" and readme["A1"].comment is not None and readme["A1"].font.b
    assert readme.max_row == 1 + sum(len(t.frame.columns) for t in tables.values())
    ro = load_workbook(tmp_path / "t.xlsx", read_only=True)  # read-only readers take the size from <dimension>
    assert (ro["SO3-2.units"].max_row, ro["SO3-2.units"].max_column) == (5, 5)


def test_empty_workbook_says_so(tmp_path):
    write_xlsx({}, tmp_path / "t.xlsx", language="en")
    wb = load_workbook(tmp_path / "t.xlsx")
    assert wb.sheetnames == ["README"] and wb["README"].max_row == 2 and wb["README"]["A2"].value


def _long_table(n: int) -> dict[str, Table]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"unit": [f"unit {i % 200}" for i in range(n)], "year": np.arange(n) % 20 + 2000,
                          "group": np.array(["total", "female", "male"])[np.arange(n) % 3],
                          "area_km2": rng.random(n) * 1e4, "population": rng.random(n) * 1e6, "percent": rng.random(n) * 100})
    return {"SO3-2.units": Table("SO3-2.units", "per unit", frame,
                                 units={"area_km2": "km**2", "population": "person", "percent": "percent"})}


def _traced_peak(write) -> int:
    tracemalloc.start()
    try:
        write()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_writers_hold_one_row_not_the_table(tmp_path):
    """A 10 000-row table: the writers' traced peak stays a few MiB (the one-shot forms: 16 MiB for the JSON, 26 for
    the workbook)."""
    tables = _long_table(10_000)
    assert _traced_peak(lambda: write_tables_json(tables, tmp_path / "t.json", {})) < 12 * 2**20
    assert _traced_peak(lambda: write_xlsx(tables, tmp_path / "t.xlsx")) < 12 * 2**20


def test_report_page_is_written_as_it_is_rendered(tmp_path):
    """report.html shows every row of a long table (folded); writing it holds a buffer, not the page (the rendered
    page of this table alone is ~15 MB of text, and its formatted cells would be ~180 MiB of Python objects)."""
    from indicators.report.model import RunResult
    from indicators.report.page import render_report, write_report

    n = 60_000
    result = RunResult(country="Testland", edition="2022", profile=None, indicators=["SO3-2"], tables=_long_table(n))
    path = tmp_path / "report.html"
    assert _traced_peak(lambda: write_report(result, path, language="en")) < 12 * 2**20
    text = path.read_text(encoding="utf-8")
    assert text == render_report(result, language="en")
    body = text.split('<h4 id="SO3-2.units">', 1)[1].split("</table>", 1)[0]
    assert body.count("<tr>") == n + 1 and f"<summary>{n} rows: show the table</summary>" in body
    assert "<td>unit 199</td>" in body and text.endswith("</body></html>\n")


def test_demo_json_is_its_canonical_text_and_the_workbook_holds_the_same_cells(demo_output):
    """On the demo: tables.json is exactly the one-shot encoding of what it holds; every sheet's cells are its
    table's rows (same values and types, column order), float cells in the column's number format, header bold."""
    text = (demo_output / "tables.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert text == _canonical(doc)
    wb = load_workbook(demo_output / "tables.xlsx")
    for tables in doc["indicators"].values():
        for tid, t in tables.items():
            ws = wb[tid[:31]]
            names = [c["name"] for c in t["columns"]]
            header, *rows = ws.iter_rows()
            assert [c.value for c in header] == names and all(c.font.b for c in header), tid
            assert len(rows) == len(t["rows"]), tid
            formats = [NUMBER_FORMATS.get(c["decimals_shown"], "General") for c in t["columns"]]
            for cells, want in zip(rows, t["rows"]):
                got = [c.value for c in cells] + [None] * (len(names) - len(cells))
                assert got == [want[k] for k in names], tid
                for c, fmt, k in zip(cells, formats, names):  # (a float 0.0 reads back as the int 0)
                    assert c.number_format == (fmt if isinstance(want[k], float) else "General"), (tid, c.coordinate)

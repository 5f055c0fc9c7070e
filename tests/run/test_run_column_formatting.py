"""The writers format a column at once (issue 16): the same text as the per-value formatting they replace.

* the report's cells (page.TableRows): the reference is the row-by-row loop it replaced, cell by cell through
  formatting.value_formatter;
* a float column's report texts (formatting.floats_formatter), CSV texts (tables.float_texts) and JSON/XLSX
  values (tables.float_cells): the references are value_formatter, format_float and _cell, value by value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape

from indicators.report.formatting import floats_formatter, value_formatter
from indicators.report.page import TableRows
from indicators.report.tables import Table, _cell, float_cells, float_texts, format_float, frame_rows

# the edge cases: missing, signed zeros and values that round to zero, infinities, halves, values that need
# grouping, integers stored as floats, small p-values and the bounds around them
_EDGES = [np.nan, -0.0, 0.0, -1e-9, 1e-9, -0.004, -0.005, -0.0049999, 0.005, 0.125, 2.675, -2.675, 1.0005,
          np.inf, -np.inf, 1e20, -1e20, 123456789.123456, -1234.5, 2015.0, -3.0, 0.0009999, 0.001, -0.0005,
          1e-7, 999.9995, -999.9995, 0.1 + 0.2, 1 / 3, 5e-324, 1.7976931348623157e308]


def _values() -> list[float]:
    rng = np.random.default_rng(16)
    scales = 10.0 ** rng.integers(-8, 13, 4000)
    return _EDGES + (rng.standard_normal(4000) * scales).tolist() + (np.round(rng.standard_normal(500) * 1e4, 2)).tolist()


# one column of each quantity: area, percent, people, money, carbon density, p-value, index, count, year, plain
_COLUMNS = [("area_km2", "km**2"), ("percent_of_land", "percent"), ("population", "person"), ("committed_usd", None),
            ("soc_t_per_ha", "t/ha"), ("mann_kendall_p", None), ("spei_mean", "1"), ("n_cells", None),
            ("population_year", None), ("value", None), ("slope", "percent/year")]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(("column", "unit"), _COLUMNS)
def test_a_float_column_is_shown_as_each_value_is(column, unit, language):
    values = _values()
    one = value_formatter(column, unit, language)
    assert floats_formatter(column, unit, language)(values) == [one(v) for v in values]


def test_a_float_column_is_written_as_each_value_is():
    values = _values()
    assert float_texts(values) == [format_float(v) for v in values]
    cells, reference = float_cells(values), [_cell(v) for v in values]
    assert [type(c) for c in cells] == [type(c) for c in reference]
    assert [repr(c) for c in cells] == [repr(c) for c in reference]  # -0.0 is not 0.0 here


def _rows_one_by_one(t: Table, language: str) -> str:
    """What TableRows joined before: a row at a time, a cell at a time."""
    cols = [str(c) for c in t.frame.columns]
    formats = [value_formatter(c, t.units.get(c), language) for c in cols]
    out = []
    for rec in frame_rows(t.frame):
        row = ["<tr>"]
        for fmt, v in zip(formats, rec, strict=True):
            text = fmt(v)
            numeric = isinstance(v, (int, float)) and not isinstance(v, bool) or hasattr(v, "dtype") and v.dtype.kind in "iuf"
            row += ['<td class="num">' if numeric and text != "" else "<td>", escape(text), "</td>"]
        out.append("".join(row) + "</tr>\n")
    return "".join(out)


def _table(n: int) -> Table:
    values = _values()[:n]
    strings = ["a", "a & b < c", "ü \"q\" 'q'", "", None, "x"]
    frame = pd.DataFrame({
        "name": [strings[i % len(strings)] for i in range(n)],
        "area_km2": values, "mann_kendall_p": np.abs(values), "year": np.arange(n) % 7 + 2000,
        "population_year": np.full(n, 2019.0), "flag": np.arange(n) % 3 == 0,
        "mixed": [[1, 2.5, "three", None, np.float32(0.1), np.int16(4), True, -0.0, np.nan, pd.NA][i % 10] for i in range(n)],
        "I": pd.Series([None if i % 4 == 0 else i for i in range(n)], dtype="Int64"),
        "s": pd.Series([None if i % 5 == 0 else f"u{i % 3}" for i in range(n)], dtype="str"),
        "c": pd.Series([["x", None, "y"][i % 3] for i in range(n)], dtype="category"),
        "f32": np.asarray(np.clip(values, -1e30, 1e30), dtype="float32"), 2000: np.linspace(-1, 1, n)})
    return Table("SO3-1.units", "t", frame, units={"area_km2": "km**2", "2000": "percent"})


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("n", [0, 1, 1234])  # none, one, and more than a chunk of rows
def test_report_rows_are_the_cells_one_by_one(language, n):
    t = _table(n)
    rows = TableRows(t, language)
    assert "".join(rows) == _rows_one_by_one(t, language)
    assert len(rows) == n

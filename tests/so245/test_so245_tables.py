"""indicators.tables: typed columns, units, ranges, year completeness; errors name file, line and column."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from indicators.errors import InputError, UnitError
from indicators.tables import Column, TableSchema, check_years, read_table, series_trends, validate_table

SCHEMA = TableSchema(
    title="test",
    columns=(
        Column("year", "int"),
        Column("area", "str", choices=("total", "urban"), normalize=str.lower),
        Column("value", "float", unit="percent", unit_column="unit", valid_range=(0, 100)),
        Column("unit", "str"),
        Column("note", "str", required=False, nullable=True),
    ),
    key=("area", "year"),
)


def test_reads_types_and_keeps_file_line_numbers(write_csv):
    path = write_csv("t.csv", """
        # a comment line
        year,area,value,unit

        2000,Total,12.5,percent
        2001,total,0.25,1
    """)
    t = read_table(path, SCHEMA)
    assert t.attrs["source"] == str(path)
    assert t.attrs["lines"] == [4, 5]  # header on line 2, a blank line 3
    assert t["year"].tolist() == [2000, 2001]
    assert t["area"].tolist() == ["total", "total"]
    # a fraction with unit '1' is converted to percent: 0.25 -> 25
    assert t["value"].tolist() == [12.5, 25.0]
    assert t["note"].isna().all()
    assert t.attrs["units"]["value"] == "percent"


@pytest.mark.parametrize(
    ("body", "cls", "fragments"),
    [
        ("2000,total,abc,percent", InputError, ["line 2", "column 'value'", "'abc' is not a number"]),
        ("2000.5,total,1,percent", InputError, ["line 2", "column 'year'", "not a whole number"]),
        ("2000,total,,percent", InputError, ["line 2", "column 'value'", "empty"]),
        ("2000,total,120,percent", InputError, ["line 2", "column 'value'", "outside the allowed range [0, 100]"]),
        ("2000,total,-1,percent", InputError, ["line 2", "column 'value'", "outside"]),
        ("2000,total,10,km", UnitError, ["line 2", "column 'unit'", "'km'"]),
        ("2000,total,10,furlongs per fortnight", UnitError, ["line 2", "column 'unit'"]),
        ("2000,suburban,10,percent", InputError, ["line 2", "column 'area'", "'suburban' is not one of"]),
        ("2000,total,10", InputError, ["line 2", "3 cells but the header has 4"]),
    ],
)
def test_bad_cells_name_file_line_and_column(write_csv, body, cls, fragments):
    path = write_csv("bad.csv", "year,area,value,unit\n" + body)
    with pytest.raises(cls) as err:
        read_table(path, SCHEMA)
    msg = str(err.value)
    assert str(path) in msg
    for f in fragments:
        assert f in msg, msg


def test_error_line_counts_comments_and_blank_lines(write_csv):
    path = write_csv("bad.csv", "# note\nyear,area,value,unit\n2000,total,1,percent\n\n2001,total,101,percent")
    with pytest.raises(InputError, match=r"line 5, column 'value'"):
        read_table(path, SCHEMA)


def test_missing_column_named(write_csv):
    path = write_csv("bad.csv", "year,area,value\n2000,total,1")
    with pytest.raises(InputError, match=r"lacks column\(s\) \['unit'\]"):
        read_table(path, SCHEMA)


def test_duplicate_key_names_both_lines(write_csv):
    path = write_csv("dup.csv", "year,area,value,unit\n2000,total,1,percent\n2001,total,2,percent\n2000,total,3,percent")
    with pytest.raises(InputError, match=r"lines \[2, 4\]"):
        read_table(path, SCHEMA)


def test_missing_file_and_empty_file(tmp_path, write_csv):
    with pytest.raises(InputError, match="not found"):
        read_table(tmp_path / "nope.csv", SCHEMA)
    with pytest.raises(InputError, match="empty"):
        read_table(write_csv("e.csv", "# only a comment"), SCHEMA)


def test_in_memory_tables_are_numbered_as_a_csv_would_be():
    df = pd.DataFrame({"year": [2000, 2001], "area": ["total", "total"], "value": [1.0, 200.0], "unit": ["percent"] * 2})
    with pytest.raises(InputError, match=r"<in-memory table>, line 3, column 'value'"):
        validate_table(df, SCHEMA)


def _years_table(years, area="total"):
    return pd.DataFrame({"year": years, "area": [area] * len(years), "value": [1.0] * len(years), "unit": ["percent"] * len(years)})


def test_check_years_raises_with_compact_missing_list():
    t = validate_table(_years_table([2000, 2001, 2002, 2006, 2008]), SCHEMA, source="s.csv")
    with pytest.raises(InputError) as err:
        check_years(t, years=(2000, 2009), allow_gaps=False, by=("area",))
    msg = str(err.value)
    assert "s.csv" in msg and "column 'year'" in msg
    assert "2003-2005, 2007, 2009" in msg
    assert "lines 2-6" in msg


def test_check_years_reports_gaps_when_allowed():
    t = validate_table(_years_table([2000, 2003]), SCHEMA)
    gaps = check_years(t, years=None, allow_gaps=True, by=("area",))
    assert gaps["missing_year"].tolist() == [2001, 2002]
    assert gaps["area"].tolist() == ["total", "total"]
    assert check_years(t, years=(2000, 2003), allow_gaps=True, by=("area",))["missing_year"].tolist() == [2001, 2002]


def test_series_trends_by_group():
    df = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4, "year": [1, 2, 3, 4] * 2, "v": [10, 11, 12, 13, 5, 5, 5, 5]})
    tr = series_trends(df, value="v", by=("g",), tolerance=0.05, method="sen")
    a, b = tr.iloc[0], tr.iloc[1]
    assert a["trend"] == "increasing" and b["trend"] == "stable"
    assert a["extra_sens_slope_per_year"] == pytest.approx(1.0)
    # S = 6 concordant pairs of 6 -> tau 1
    assert a["extra_mann_kendall_tau"] == pytest.approx(1.0)
    assert (a["first_year"], a["last_year"], a["n_years"]) == (1, 4, 4)
    one = series_trends(df.iloc[:1], value="v", by=("g",), tolerance=0.05, method="sen")
    assert one["trend"].iloc[0] is None and math.isnan(one["extra_sens_slope_per_year"].iloc[0])

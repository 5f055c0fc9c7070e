"""Reading a CSV table against its schema (:func:`read_table`) and checking a DataFrame against it
(:func:`validate_table`: types, units, ranges, choices, keys; :func:`check_years`: year completeness)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, UnitError
from ..text import control_character
from ..units import conversion_factor
from .schema import Column, TableSchema, cell_error, line_of, source_of


def read_table(path: str | Path, schema: TableSchema, *, encoding: str = "utf-8-sig") -> pd.DataFrame:
    """Read a CSV file and validate it against *schema*.

    Blank lines and lines whose first cell starts with ``#`` are skipped (but
    counted, so line numbers in messages match the file).  Every cell is read
    as text first and typed by :func:`validate_table`.

    Returns
    -------
    pandas.DataFrame
        Typed table with ``attrs["source"]`` (the path), ``attrs["lines"]``
        (line of each row) and ``attrs["units"]``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {schema.title} table not found; check the path in the run configuration")
    try:
        with path.open(newline="", encoding=encoding) as fh:
            reader = csv.reader(fh)
            header: list[str] | None = None
            rows: list[list[str]] = []
            lines: list[int] = []
            for record in reader:
                if not record or all(not c.strip() for c in record):
                    continue
                if record[0].lstrip().startswith("#"):
                    continue
                if header is None:
                    header = [c.strip() for c in record]
                    continue
                if len(record) != len(header):
                    raise InputError(
                        f"{path}, line {reader.line_num}: {len(record)} cells but the header has {len(header)}; "
                        "check for a missing or extra comma (quote text that contains commas)"
                    )
                rows.append([c.strip() for c in record])
                lines.append(reader.line_num)
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not readable as {encoding} text ({exc}); save the table as UTF-8 CSV") from None
    except csv.Error as exc:
        raise InputError(f"{path}: not a valid CSV file ({exc}); save the table as comma-separated UTF-8") from None
    if header is None:
        raise InputError(f"{path}: the {schema.title} table is empty; it needs a header line and data rows")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise InputError(f"{path}, line 1: column(s) {dupes} appear more than once; keep one of each")
    raw = pd.DataFrame(rows, columns=header, dtype=object)
    raw.attrs["source"] = str(path)
    raw.attrs["lines"] = lines
    return validate_table(raw, schema)


# --------------------------------------------------------------------------- validation


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, str) and value.strip() == ""


def _fmt_range(rng: tuple[float | None, float | None]) -> str:
    lo, hi = rng
    if lo is not None and hi is not None:
        return f"[{lo:g}, {hi:g}]"
    if lo is not None:
        return f">= {lo:g}"
    return f"<= {hi:g}"


def _type_cell(table: pd.DataFrame, i: int, col: Column, value: Any) -> Any:
    if col.kind == "str":
        text = str(value).strip()
        return col.normalize(text) if col.normalize else text
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise cell_error(table, i, col.name, f"{value!r} is not a number", f"enter a plain number (no units or thousands separators) for {col.description or col.name}") from None
    if not math.isfinite(number):
        raise cell_error(table, i, col.name, f"{value!r} is not a finite number", "leave the cell empty if the value is missing" if col.nullable else "enter a finite number")
    if col.kind == "int":
        if number != int(number):
            raise cell_error(table, i, col.name, f"{value!r} is not a whole number", "enter an integer (e.g. a four-digit year)")
        return int(number)
    return number


def _refuse_control_characters(table: pd.DataFrame, src: str) -> None:
    """Refuse a column name or text cell holding a control character (:mod:`indicators.text`): the texts of an input
    table go into the reporting tables, the workbook and the report, which cannot hold one."""
    for name in table.columns:
        char = control_character(name)
        if char is not None:
            raise InputError(f"{src}: the column name {str(name)!r} holds the control character {char}; remove it")
    for name in table.columns:
        if table[name].dtype != object:
            continue
        for i, value in enumerate(table[name].tolist()):
            char = control_character(value)
            if char is not None:
                raise cell_error(table, i, str(name), f"{value[:60]!r} holds the control character {char}",
                                 "remove it (the reporting tables, the workbook and the report cannot hold it)")


def validate_table(table: pd.DataFrame, schema: TableSchema, *, source: str | None = None) -> pd.DataFrame:
    """Check *table* against *schema* and return a typed copy.

    Checks, in order: required columns present; every cell of the right type
    (empty only where nullable); units parse and have the column's dimension
    (values are converted into the column's unit); values within their range;
    text values among the allowed choices; the key unique.

    Extra columns are kept unchanged.  ``attrs["source"]``/``attrs["lines"]``
    are kept (or set from *source*) and ``attrs["units"]`` is set.

    Raises
    ------
    InputError
        Naming file, line and column, and what to do.
    UnitError
        When a row's unit does not parse or has the wrong dimension.
    """
    out = table.copy()
    out.attrs = dict(table.attrs)
    if source is not None:
        out.attrs["source"] = source
    src = source_of(out)
    present = [str(c) for c in out.columns]
    missing = [c.name for c in schema.columns if c.required and c.name not in present]
    if missing:
        raise InputError(
            f"{src}: the {schema.title} table lacks column(s) {missing} (found: {present}); "
            f"add them to the header line (expected columns: {[c.name for c in schema.columns]})"
        )
    for col in schema.columns:
        if col.name not in present:
            out[col.name] = col.default
    out = out.reset_index(drop=True)
    _refuse_control_characters(out, src)

    # types and emptiness
    for col in schema.columns:
        typed: list[Any] = []
        for i, value in enumerate(out[col.name].tolist()):
            if _is_empty(value):
                if not col.nullable:
                    raise cell_error(out, i, col.name, "the cell is empty", f"enter {col.description or 'a value'}")
                typed.append(None if col.kind == "str" else np.nan)
                continue
            typed.append(_type_cell(out, i, col, value))
        if col.kind == "int":
            out[col.name] = pd.array([None if (isinstance(v, float) and math.isnan(v)) else v for v in typed], dtype="Int64")
        elif col.kind == "float":
            out[col.name] = np.asarray(typed, dtype="float64")
        else:
            out[col.name] = pd.Series(typed, dtype=object)

    units: dict[str, str] = dict(out.attrs.get("units") or {})
    # units: each row's unit converted into the column's unit
    for col in schema.columns:
        if col.unit is None:
            continue
        units[col.name] = col.unit
        if col.unit_column is None:
            continue
        factors = []
        for i, (value, unit) in enumerate(zip(out[col.name].tolist(), out[col.unit_column].tolist())):
            if unit is None or (isinstance(unit, float) and math.isnan(unit)):
                if isinstance(value, float) and math.isnan(value):
                    factors.append(1.0)
                    continue
                raise cell_error(out, i, col.unit_column, "the unit is empty", f"enter the unit of '{col.name}' (e.g. {col.unit!r})", cls=UnitError)
            text = schema.unit_aliases.get(unit, unit)
            try:
                factors.append(conversion_factor(text, col.unit))
            except UnitError as exc:
                raise cell_error(
                    out, i, col.unit_column,
                    f"unit {unit!r} cannot be used for '{col.name}' ({exc})",
                    f"give '{col.name}' in {col.unit!r} or a unit convertible to it",
                    cls=UnitError,
                ) from None
        out[col.name] = out[col.name].to_numpy(dtype="float64") * np.asarray(factors)
        out[col.unit_column] = col.unit

    # ranges and choices
    for col in schema.columns:
        if col.valid_range is not None and col.kind != "str":
            lo, hi = col.valid_range
            for i, value in enumerate(out[col.name].tolist()):
                if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                    continue
                below = lo is not None and (value <= lo if col.min_exclusive else value < lo)
                if below or (hi is not None and value > hi):
                    unit = f" {col.unit}" if col.unit and col.unit != "1" else ""  # "1": dimensionless, no unit to say
                    text = (f"value {value:g}{unit} is not above {lo:g}{unit}" if col.min_exclusive and below else
                            f"value {value:g}{unit} is outside the allowed range {_fmt_range(col.valid_range)}")
                    raise cell_error(
                        out, i, col.name,
                        text,
                        "correct the value or its unit (a fraction 0-1 given where percent is expected needs unit '1')"
                        if col.unit == "percent" else "correct the value",
                    )
        if col.choices is not None:
            allowed = set(col.choices)
            for i, value in enumerate(out[col.name].tolist()):
                if value is None:
                    continue
                if value not in allowed:
                    raise cell_error(out, i, col.name, f"{value!r} is not one of {list(col.choices)}", "use one of the listed values")

    # ordered columns (bounds around a value)
    if schema.ordered and all(c in out.columns for c in schema.ordered):
        cols = list(schema.ordered)
        for i, row in enumerate(out[cols].to_numpy(dtype="float64", na_value=np.nan)):
            for k, (a, b, va, vb) in enumerate(zip(cols, cols[1:], row, row[1:])):
                if va > vb:  # blame the outer column: the lower bound first, then the upper ones
                    raise cell_error(out, i, a if k == 0 else b,
                                     f"{a} {va:g} is above {b} {vb:g} (expected {' <= '.join(cols)})",
                                     "check whether the columns are swapped")

    # unique key
    if schema.key:
        dup = out.duplicated(list(schema.key), keep=False)
        if dup.any():
            pos = np.flatnonzero(dup.to_numpy())
            first = pos[0]
            same = [p for p in pos if all(out.at[p, k] == out.at[first, k] for k in schema.key)]
            lines = [line_of(out, p) for p in same]
            # numpy scalars as Python values: "year 2005", not "{'year': np.int64(2005)}"
            keyval = ", ".join(f"{k} {_plain(out.at[first, k])!r}" for k in schema.key)
            raise InputError(
                f"{src}, lines {lines}, columns {list(schema.key)}: {keyval} appears more than once; keep one row per {'/'.join(schema.key)}"
            )
    out.attrs["units"] = units
    return out


def check_years(
    table: pd.DataFrame,
    *,
    years: tuple[int, int] | None,
    allow_gaps: bool,
    by: Sequence[str] = (),
    column: str = "year",
) -> pd.DataFrame:
    """Check that each series (grouped *by*) covers every year of *years* (inclusive).

    With ``years=None`` each series must be contiguous between its own first and
    last year.  Missing years raise :class:`InputError` naming file, column and
    the lines of the series; with ``allow_gaps=True`` they are returned instead.

    Returns
    -------
    pandas.DataFrame
        One row per missing year: the *by* columns and ``missing_year``.
    """
    src = source_of(table)
    rows: list[dict[str, Any]] = []
    groups: Iterable[tuple[Any, pd.DataFrame]]
    groups = table.groupby(list(by), sort=True, dropna=False) if by else [((), table)]
    for key, part in groups:
        present = set(int(y) for y in part[column].dropna())
        if years is not None:
            lo, hi = int(years[0]), int(years[1])
        elif present:
            lo, hi = min(present), max(present)
        else:
            lo, hi = 0, -1
        missing = [y for y in range(lo, hi + 1) if y not in present]
        if not missing:
            continue
        keyvals = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        if not allow_gaps:
            positions = [table.index.get_loc(ix) for ix in part.index]
            span = f"lines {line_of(table, min(positions))}-{line_of(table, max(positions))}" if positions else "no rows"
            which = f" for {keyvals}" if keyvals else ""
            raise InputError(
                f"{src}, {span}, column '{column}': year(s) {_compact(missing)} missing{which} (expected every year {lo}-{hi}); "
                "add the missing rows, or allow gaps in the spec (allow_gaps: true) to have them reported instead"
            )
        for y in missing:
            rows.append({**keyvals, "missing_year": y})
    return pd.DataFrame(rows, columns=[*by, "missing_year"])


def _compact(years: Sequence[int]) -> str:
    """'2003-2005, 2009' for [2003, 2004, 2005, 2009]."""
    parts: list[str] = []
    start = prev = None
    for y in years:
        if start is None:
            start = prev = y
        elif y == prev + 1:
            prev = y
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = y
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(parts)


def _plain(value: Any) -> Any:
    """A numpy scalar as its Python value (for messages); anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value

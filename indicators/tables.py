"""Tables: the one home for reading and validating the indicators' CSV tables.

National statistics (SO2-1, SO2-2, SO4-2, the SO4-3 direct figure), finance
flows and exchange rates (SO5) and SOC stock tables (SO4-1) arrive as small
tables.  A :class:`TableSchema` declares each table's typed columns, their units
and allowed values; :func:`read_table` reads a CSV file against it and
:func:`validate_table` checks a DataFrame against it (the compute functions call
it, so a DataFrame built in code is checked exactly like a file).

Every error names the file, the row (the 1-based line number in the file, the
header being line 1) and the column, and says what to do.  The line numbers of
a file are kept in ``DataFrame.attrs["lines"]`` so that the compute functions can
point at a row too (:func:`cell_error`).

Reporting-shaped outputs carry ``attrs["units"]`` (column → unit) and
``attrs["provenance"]`` (:func:`provenance`); :func:`series_trends` gives the
qualitative trend of every series with the Mann–Kendall and Sen extras.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import InputError, UnitError
from .trends import NON_NORMATIVE, mann_kendall, qualitative_trend, sens_slope
from .units import conversion_factor

CellKind = Literal["int", "float", "str"]

#: source label used when a DataFrame did not come from a file
IN_MEMORY = "<in-memory table>"


@dataclass(frozen=True)
class Column:
    """One typed column of a table.

    Parameters
    ----------
    name : str
        Header in the file (exact, case-sensitive after stripping blanks).
    kind : {"int", "float", "str"}
        Cell type.
    unit : str, optional
        Unit of the values once read (a pint unit such as ``"percent"``).  With
        *unit_column*, every row's own unit is converted into this one.
    unit_column : str, optional
        Column holding each row's unit (e.g. ``"unit"``); values are converted to *unit*.
    required : bool
        The column must be present.  An absent optional column is filled with *default*.
    nullable : bool
        Empty cells are allowed (read as NaN / None).
    valid_range : (low, high), optional
        Inclusive bounds of the values after unit conversion; either may be None.
    min_exclusive : bool
        The lower bound is exclusive (e.g. an exchange rate must be above 0).
    choices : tuple of str, optional
        Allowed values of a text column (after *normalize*).
    normalize : callable, optional
        Applied to every non-empty text cell before checking *choices*.
    default : Any
        Value of an absent optional column.
    description : str
        What the column holds (used in messages and docs).
    """

    name: str
    kind: CellKind = "float"
    unit: str | None = None
    unit_column: str | None = None
    required: bool = True
    nullable: bool = False
    valid_range: tuple[float | None, float | None] | None = None
    min_exclusive: bool = False
    choices: tuple[str, ...] | None = None
    normalize: Callable[[str], str] | None = None
    default: Any = None
    description: str = ""


@dataclass(frozen=True)
class TableSchema:
    """The declared shape of a table: its title, columns and unique key."""

    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    unit_aliases: Mapping[str, str] = field(default_factory=dict)
    #: columns that must not decrease along a row (e.g. lower <= value <= upper)
    ordered: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def with_range(self, name: str, valid_range: tuple[float | None, float | None]) -> TableSchema:
        """A copy whose column *name* has the given inclusive range (ranges come from the specs)."""
        cols = tuple(replace(c, valid_range=tuple(valid_range)) if c.name == name else c for c in self.columns)
        if all(c.name != name for c in self.columns):
            raise KeyError(name)
        return replace(self, columns=cols)


# --------------------------------------------------------------------------- locations


def source_of(table: pd.DataFrame) -> str:
    """The file a table was read from (or a label for an in-memory table)."""
    return str(table.attrs.get("source") or IN_MEMORY)


def line_of(table: pd.DataFrame, position: int) -> int:
    """1-based line in the source file of the row at *position* (header = line 1).

    For an in-memory table the row is numbered as it would be in a CSV with a
    one-line header: position + 2.
    """
    lines = table.attrs.get("lines")
    if lines is not None and len(lines) == len(table):
        return int(lines[position])
    return position + 2


def cell_error(table: pd.DataFrame, position: int, column: str, problem: str, fix: str, *, cls: type = InputError) -> Exception:
    """An error naming file, line and column of one cell: ``<file>, line <n>, column '<c>': <problem>; <fix>``."""
    return cls(f"{source_of(table)}, line {line_of(table, position)}, column '{column}': {problem}; {fix}")


# --------------------------------------------------------------------------- reading


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
                    unit = f" {col.unit}" if col.unit else ""
                    allowed = f"above {lo:g}" if col.min_exclusive and below else f"the allowed range {_fmt_range(col.valid_range)}"
                    raise cell_error(
                        out, i, col.name,
                        f"value {value:g}{unit} is outside {allowed}",
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
            keyval = {k: out.at[first, k] for k in schema.key}
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


# --------------------------------------------------------------------------- reporting tables


def series_trends(
    table: pd.DataFrame,
    *,
    value: str,
    tolerance: float,
    method: Literal["sen", "endpoints"],
    by: Sequence[str] = (),
    year: str = "year",
) -> pd.DataFrame:
    """Qualitative trend of every series in *table* (grouped *by*), with labelled extras.

    Columns: the *by* columns, ``series`` (the value column), ``first_year``,
    ``last_year``, ``n_years``, ``first_value``, ``last_value``, ``trend``
    (increasing / stable / declining, or empty with fewer than two values),
    ``tolerance`` and ``trend_method``; then the non-normative extras
    ``extra_mann_kendall_tau``, ``extra_mann_kendall_p`` and
    ``extra_sens_slope_per_year`` (value units per year).

    The qualitative trend is :func:`indicators.trends.qualitative_trend`: the
    change over the series (Sen's slope × span, or last − first) against
    *tolerance* × the mean absolute level.
    """
    records: list[dict[str, Any]] = []
    groups = table.groupby(list(by), sort=True, dropna=False) if by else [((), table)]
    for key, part in groups:
        part = part[[year, value]].dropna().sort_values(year)
        t = part[year].to_numpy(dtype="float64")
        v = part[value].to_numpy(dtype="float64")
        mk = mann_kendall(v, years=t)
        rec = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        rec.update(
            series=value,
            first_year=int(t[0]) if t.size else None,
            last_year=int(t[-1]) if t.size else None,
            n_years=int(t.size),
            first_value=float(v[0]) if v.size else np.nan,
            last_value=float(v[-1]) if v.size else np.nan,
            trend=qualitative_trend(t, v, tolerance=tolerance, method=method),
            tolerance=float(tolerance),
            trend_method=method,
            extra_mann_kendall_tau=mk.tau,
            extra_mann_kendall_p=mk.p,
            extra_sens_slope_per_year=sens_slope(t, v),
        )
        records.append(rec)
    cols = [*by, "series", "first_year", "last_year", "n_years", "first_value", "last_value", "trend", "tolerance",
            "trend_method", "extra_mann_kendall_tau", "extra_mann_kendall_p", "extra_sens_slope_per_year"]
    out = pd.DataFrame(records, columns=cols)
    out["first_year"] = out["first_year"].astype("Int64")
    out["last_year"] = out["last_year"].astype("Int64")
    out.attrs["notes"] = {"extra_*": NON_NORMATIVE}
    return out


def provenance(
    indicator: str,
    compute: str,
    *,
    parameters: Mapping[str, Any],
    inputs: Mapping[str, str],
    methodology: str,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The provenance record attached to every reporting table (``attrs["provenance"]``).

    *inputs* maps each input's name to its source (file path or in-memory label).
    """
    from . import __version__

    return {
        "indicator": indicator,
        "compute": compute,
        "parameters": {k: _plain(v) for k, v in parameters.items()},
        "inputs": dict(inputs),
        "methodology": methodology,
        "library": f"unccd-indicators {__version__}",
        "notes": list(notes),
    }


def _plain(value: Any) -> Any:
    """Parameters as plain JSON-able values (tuples → lists, mappings → dicts)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def finish(table: pd.DataFrame, *, units: Mapping[str, str], prov: Mapping[str, Any], **extra: Any) -> pd.DataFrame:
    """Attach ``attrs["units"]`` and ``attrs["provenance"]`` (and *extra* attrs) to a reporting table."""
    table = table.reset_index(drop=True)
    table.attrs = {"units": {k: v for k, v in units.items() if k in table.columns}, "provenance": dict(prov), **extra}
    return table


def canonical_code(text: str) -> str:
    """Canonical indicator code (D1): 'SO 5-1' / 'so5-1' → 'SO5-1', 'SO 5-5.1' → 'SO5-5.1'."""
    return "".join(str(text).split()).upper()


# --------------------------------------------------------------------------- SO3-3 factor tables

#: the sexes a factor row may carry
FACTOR_SEXES = ("total", "female", "male")


def factor_table_schema(factor_ids: Sequence[str], *, unit_id_field: str | None = None) -> TableSchema:
    """Schema of a long DVI factor table: ``[<unit id>,] year, factor, value, unit[, sex]`` (SO3-3, decision D9).

    *factor_ids* are the ids of the spec factor set; any other id is an error
    naming the file, the line and the known ids.
    """
    cols = [Column(unit_id_field, "str", description="admin unit id")] if unit_id_field else []
    cols += [
        Column("year", "int", description="year of the value"),
        Column("factor", "str", choices=tuple(factor_ids), normalize=str.strip,
               description="factor id of the spec factor set"),
        Column("value", "float", description="the factor's value in the row's unit"),
        Column("unit", "str", description="unit of the value (pint spelling, e.g. percent, USD/person)"),
        Column("sex", "str", required=False, nullable=True, choices=FACTOR_SEXES, default="total",
               normalize=lambda s: s.strip().lower(), description="total, female or male"),
    ]
    key = ((unit_id_field,) if unit_id_field else ()) + ("year", "factor", "sex")
    return TableSchema("DVI factor", tuple(cols), key=key)


def read_factor_table(path: str | Path, factors: Sequence[Mapping[str, Any]], *,
                      unit_id_field: str | None = None) -> pd.DataFrame:
    """Read and check a long DVI factor table; values converted to each factor's spec unit.

    Parameters
    ----------
    path : path
        CSV with ``year, factor, value, unit`` and optionally ``sex`` (total /
        female / male) and, per admin unit, the column *unit_id_field*.
    factors : sequence of mappings
        The spec factor set's factors (``id`` and ``unit`` are used).
    unit_id_field : str, optional
        Column holding the admin unit id (per-unit tables).

    Returns
    -------
    DataFrame ``unit, year, sex, factor, value`` — ``unit`` is the admin unit id
    (``"national"`` for a national table), as :func:`indicators.so3.vulnerability.dvi_from_factors` reads it.

    Raises
    ------
    InputError
        An unknown factor id, sex or a repeated row: file, line, column and the known values.
    UnitError
        A unit that does not convert to the factor's spec unit (file, line).
    """
    spec_units = {str(f["id"]): str(f["unit"]) for f in factors}
    table = read_table(path, factor_table_schema(list(spec_units), unit_id_field=unit_id_field))
    scale = []
    for i, (fid, unit) in enumerate(zip(table["factor"], table["unit"])):
        try:
            scale.append(conversion_factor(str(unit).strip(), spec_units[fid]))
        except Exception as exc:  # noqa: BLE001 - pint's errors vary; the message carries them
            raise cell_error(table, i, "unit", f"unit {unit!r} of factor {fid!r} does not convert to its spec unit "
                             f"{spec_units[fid]!r} ({exc})", f"give {fid} in {spec_units[fid]!r} or a convertible unit",
                             cls=UnitError) from None
    out = pd.DataFrame({
        "unit": table[unit_id_field].astype(str) if unit_id_field else "national",
        "year": table["year"].astype("int64"),
        "sex": table["sex"].fillna("total").astype(str),
        "factor": table["factor"].astype(str),
        "value": table["value"].to_numpy(dtype="float64") * np.asarray(scale, dtype="float64"),
    })
    out.attrs = {"source": table.attrs.get("source"), "lines": table.attrs.get("lines"),
                 "units": {"value": "spec unit of each factor"}}
    return out

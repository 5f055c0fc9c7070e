"""The declared shape of a table (:class:`TableSchema` of typed :class:`Column`), and where a row of a table is:
its file and line (:func:`source_of`, :func:`line_of`), so that every error can name the cell (:func:`cell_error`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd

from ..errors import InputError


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

"""Reporting-table declarations: what each table of the specs is (issue 11 item 2, issue 17).

A declaration says once, in the specs, what a table holds: its id and title, what its rows and columns are, the
unit of each column, its denominator and what it summarises.  Indicators declare theirs (``indicators[].tables``),
an edition its country-profile tables (``editions[].country_profile_tables``).  The run attaches the declaration
to the table it writes (``indicators.run(...).tables[id].attrs["declaration"]``); a column's unit is
``units[column]``, else none for a ``labels`` column, else ``value_unit`` (the unit of the columns named after
classes or years, which the legend and the periods decide).

Editions renumber tables (decision D23): a declaration may belong to some editions only (``editions``) and say
which of the run's tables it is written from (``written_from``: the run's ids, which are the 2022 manual's; several
are concatenated, a per-period one may name one period, ``SO1-1.T6.baseline``).  :func:`edition_table_ids` gives
the run's id -> the edition's id, the one home of that mapping; the engine publishes the tables under it.

Only pydantic and the standard library are imported here (as in the other spec models, :mod:`indicators.specs.model`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import UnknownNameError

TABLE_ID = r"^(SO[1-5]-\d+(\.\d+)?|CP-\d+)\.[A-Za-z0-9_]+$"


class TableDeclaration(BaseModel):
    """One reporting table as the specs declare it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=TABLE_ID, description="the manual's id (SO1-1.T1, CP-1.T1) or <indicator>.<name>")
    title: str
    rows: str | None = Field(default=None, description="what one row is")
    columns: str | None = Field(default=None, description="what the columns are")
    units: Mapping[str, str] = Field(default_factory=dict, description="column → unit (pint spelling)")
    labels: tuple[str, ...] = Field(default=(), description="columns without a unit (names, codes, periods)")
    value_unit: str | None = Field(default=None, description="unit of every column neither in units nor in labels")
    per_period: bool = Field(default=False, description="written once per period, as <id>.<period>")
    denominator: str | None = Field(default=None, description="what its percentages divide by")
    summarises: str | None = Field(default=None, description="the layer or series it summarises")
    source: str | None = None
    editions: tuple[str, ...] = Field(default=(), description="the editions it belongs to (none: every edition)")
    written_from: tuple[str, ...] = Field(default=(), description="the run's tables written under this id (D23)")

    def in_edition(self, edition: str) -> bool:
        """Whether the declaration belongs to the reporting edition *edition*."""
        return not self.editions or str(edition) in self.editions

    def unit_of(self, column: str) -> str | None:
        """The declared unit of *column* (None: a label, or no unit declared)."""
        if column in self.units:
            return self.units[column]
        return None if column in self.labels else self.value_unit

    def record(self) -> dict[str, Any]:
        """The declaration as plain data (what ``df.attrs["declaration"]`` holds)."""
        out = self.model_dump(mode="json", exclude_none=True)
        out["units"] = dict(self.units)
        out["labels"] = list(self.labels)
        return out


def declaration(framework: Any, table_id: str) -> TableDeclaration | None:
    """The declaration of the table *table_id* (a per-period ``<id>.<period>`` finds ``<id>``), or None.

    Searched in the run's edition's country-profile tables and the declarations of the indicator named by the id.
    """
    code = table_id.split(".", 1)[0]
    found: dict[str, TableDeclaration] = {t.id: t for t in framework.edition_spec().country_profile_tables}
    try:
        found.update({t.id: t for t in framework.indicator(code).tables if t.in_edition(framework.edition)})
    except UnknownNameError:  # not an indicator's table (CP-1)
        pass
    if table_id in found:
        return found[table_id]
    base = table_id.rsplit(".", 1)[0]
    hit = found.get(base)
    return hit if hit is not None and hit.per_period else None


def edition_table_ids(framework: Any) -> dict[str, str]:
    """The run's table id -> the id it is written under in the run's edition (only the ids that change, D23).

    A key is a table id or a per-period table's ``<id>.<period>`` (which wins over its ``<id>``)."""
    out: dict[str, str] = {}
    for ind in framework.indicators:
        for t in ind.tables:
            if t.in_edition(framework.edition):
                out.update({src: t.id for src in t.written_from if src != t.id})
    return out


def declared_ids(declarations: Any) -> tuple[str, ...]:
    """The ids of *declarations* (country-profile tables: the ids an edition declares)."""
    return tuple(t.id for t in declarations)


def unit_mismatches(decl: TableDeclaration, columns: Any, units: Mapping[str, str]) -> list[str]:
    """Columns whose unit in a written table (*units*) differs from the declaration, one line each."""
    return [f"{decl.id}: column {c!r} has unit {units.get(str(c))!r}, the specs declare {decl.unit_of(str(c))!r}"
            for c in columns if units.get(str(c)) != decl.unit_of(str(c))]

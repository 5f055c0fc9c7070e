"""Spec models of legends, nestings, matrices, classifications, lookup tables and factor sets.

The items a parameter or a metric names by id (``legend:<id>``, ``matrix:<id>``, …), with the look-ups
the compute functions need (class codes, the nesting mapping, matrix cells with the climate factor
evaluated, classification breaks, the expanded lookup table).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal, Union

from pydantic import ConfigDict, Field

from ..errors import UnknownNameError
from .base_model import Evidence, Identifier, LegendRef, Strict


class LegendClass(Strict):
    code: int
    name: str
    key: Identifier | None = Field(default=None, description="short machine name")
    color: str | None = Field(default=None, pattern=r"^#[0-9A-Fa-f]{6}$")
    description: str | None = None


class Legend(Strict):
    id: Identifier
    name: str
    classes: tuple[LegendClass, ...]
    nodata: int | None = None
    source: str

    def codes(self) -> tuple[int, ...]:
        return tuple(c.code for c in self.classes)

    def by_code(self, code: int) -> LegendClass:
        for c in self.classes:
            if c.code == code:
                return c
        raise UnknownNameError(f"legend {self.id!r} has no class {code}")


class NestingGroup(Strict):
    parent: int
    children: tuple[int, ...]


class Nesting(Strict):
    """Every code of ``child_legend`` belongs to exactly one class of ``parent_legend``."""

    id: Identifier
    child_legend: LegendRef
    parent_legend: LegendRef
    groups: tuple[NestingGroup, ...]
    source: str
    note: str | None = None

    def mapping(self) -> dict[int, int]:
        """child code → parent code (for :func:`indicators.classes.recode`)."""
        return {child: g.parent for g in self.groups for child in g.children}


MatrixValue = Union[int, float, str]


class MatrixRow(Strict):
    from_: int = Field(alias="from")
    values: tuple[MatrixValue, ...]
    processes: tuple[str | None, ...] | None = None
    unlikely: tuple[int, ...] = Field(default=(), description="columns (codes) printed as unlikely transitions")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)


class Matrix(Strict):
    """A square table over a legend: rows are the initial class, columns the final class.

    ``kind: meaning`` holds −1/0/+1 (degradation, stable, improvement);
    ``kind: factor`` holds numbers or the symbols ``f``, ``1/f``, ``1/<number>``
    (``f`` is the climate factor of the SOC method).
    """

    id: Identifier
    name: str
    legend: LegendRef
    kind: Literal["meaning", "factor"]
    columns: tuple[int, ...]
    rows: tuple[MatrixRow, ...]
    source: str
    note: str | None = None

    def as_dict(self, f: float | None = None) -> dict[tuple[int, int], float]:
        """(initial, final) → value, with symbols evaluated for climate factor *f*."""
        return {(row.from_, col): evaluate_factor(v, f) for row in self.rows for col, v in zip(self.columns, row.values)}

    def nested(self, f: float | None = None) -> dict[int, dict[int, float]]:
        """{initial: {final: value}}, with symbols evaluated for climate factor *f*."""
        return {row.from_: {col: evaluate_factor(v, f) for col, v in zip(self.columns, row.values)} for row in self.rows}

    def value(self, initial: int, final: int, f: float | None = None) -> float:
        """The cell (initial, final); symbols are evaluated for climate factor *f*."""
        row = next((r for r in self.rows if r.from_ == initial), None)
        if row is None or final not in self.columns:
            raise UnknownNameError(f"matrix {self.id!r} has no cell ({initial}, {final})")
        return evaluate_factor(row.values[self.columns.index(final)], f)


_FACTOR_RE = re.compile(r"^(f|1/f|1/(\d+(\.\d+)?))$")


def factor_symbol_ok(value: MatrixValue) -> bool:
    return not isinstance(value, str) or bool(_FACTOR_RE.match(value.replace(" ", "")))


def evaluate_factor(value: MatrixValue, f: float | None) -> float:
    """Evaluate a matrix cell: a number, ``f``, ``1/f`` or ``1/<number>``."""
    if not isinstance(value, str):
        return float(value)
    v = value.replace(" ", "")
    if v in ("f", "1/f"):
        if f is None:
            raise ValueError(f"matrix cell {value!r} needs the climate factor f")
        return f if v == "f" else 1.0 / f
    if _FACTOR_RE.match(v):
        return 1.0 / float(v[2:])
    raise ValueError(f"matrix cell {value!r} is not a number, 'f', '1/f' or '1/<number>'")


class ClassInterval(Strict):
    code: int
    name: str
    lower: float | None = Field(description="lower bound; null = −∞")
    upper: float | None = Field(description="upper bound; null = +∞")


class Classification(Strict):
    """Classes of a continuous variable cut at thresholds.

    ``closed: right`` means every interval is (lower, upper], so a value equal to
    a threshold goes to the class below it (D6: −1 is moderate, 0 is mild);
    ``closed: left`` means [lower, upper) (Trends.Earth).  The intervals must be
    ordered, must not overlap and must cover the whole real line.
    """

    id: Identifier
    name: str
    variable: str
    unit: str
    closed: Literal["right", "left"]
    legend: LegendRef | None = None
    classes: tuple[ClassInterval, ...]
    nodata: int | None = None
    source: str
    note: str | None = None

    def breaks(self) -> tuple[tuple[float, ...], tuple[int, ...], bool]:
        """``(breaks, codes, right_closed)`` for :func:`indicators.classes.classify_by_breaks`."""
        ordered = sorted(self.classes, key=lambda c: -float("inf") if c.lower is None else c.lower)
        inner = tuple(float(c.lower) for c in ordered[1:] if c.lower is not None)
        return inner, tuple(c.code for c in ordered), self.closed == "right"


Wildcard = Literal["*"]


class LookupKey(Strict):
    name: Identifier
    legend: LegendRef
    codes: tuple[int, ...] | None = Field(default=None, description="subset of the legend's codes (default: all)")


class LookupRow(Strict):
    when: tuple[Union[int, Wildcard], ...]
    then: tuple[int, ...]
    label: str | None = None


class LookupTable(Strict):
    """A decision table: every combination of key codes is matched by exactly one row."""

    id: Identifier
    name: str
    keys: tuple[LookupKey, ...]
    outputs: tuple[LookupKey, ...]
    rows: tuple[LookupRow, ...]
    source: str
    note: str | None = None

    def expand(self, domains: Sequence[Sequence[int]], output: str | None = None) -> dict[tuple[int, ...], Any]:
        """Key combination → output code (all outputs as a tuple when several and *output* is None).

        *domains* are the codes of each key (use :meth:`Framework.lookup_mapping`,
        which takes them from the legends).
        """
        from itertools import product

        out_index = None if output is None else [o.name for o in self.outputs].index(output)
        result: dict[tuple[int, ...], Any] = {}
        for row in self.rows:
            choices = [tuple(dom) if w == "*" else (w,) for w, dom in zip(row.when, domains)]
            for combo in product(*choices):
                if out_index is not None:
                    result[combo] = row.then[out_index]
                else:
                    result[combo] = row.then[0] if len(row.then) == 1 else row.then
        return result


class Factor(Strict):
    id: Identifier
    name: str
    component: Literal["social", "economic", "infrastructural"]
    direction: Literal[1, -1] = Field(description="+1: higher value means more vulnerable; −1: less vulnerable")
    unit: str
    min: float | None = Field(None, description="lowest possible value, in unit (a value below is refused: bad input)")
    max: float | None = Field(None, description="highest possible value, in unit (e.g. 100 for a percentage)")
    core: bool = False
    sex_disaggregated: bool = False
    source: str
    evidence: tuple[Evidence, ...] = ()


class FactorSet(Strict):
    id: Identifier
    name: str
    factors: tuple[Factor, ...]
    source: str
    note: str | None = None


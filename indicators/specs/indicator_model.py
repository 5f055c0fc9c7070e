"""Spec models of the framework metadata, the strategic objectives, the indicators and their metrics."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base_model import (
    ClassificationRef,
    EditionId,
    Evidence,
    FrozenMap,
    Identifier,
    IndicatorCode,
    LegendRef,
    LookupRef,
    MatrixRef,
    ObjectiveCode,
    Strict,
)
from .table_model import TableDeclaration

#: an indicator's ``run`` when no Stage code computes it: the engine builds its stage from its metrics' bindings
GENERIC_RUN = "generic"


# --------------------------------------------------------------------------------------------
# framework metadata (decision 7/COP.13; decision 11/COP.14 and its annex)


class Criterion(Strict):
    """One criterion for the indicator set (decision 11/COP.14, annex, paragraph 1)."""

    id: Identifier
    name: str
    text: str
    source: str


class FrameworkInfo(Strict):
    id: Identifier
    title: str
    source: str
    default_edition: EditionId
    default_profile: Identifier
    hierarchy: tuple[str, ...] = Field(description="levels of the indicator set, top down")
    criteria: tuple[Criterion, ...] = Field(description="criteria for the indicator set (11/COP.14 annex §1)")
    tier_note: str = Field(description="what 'tier' means where (decision D1)")


# --------------------------------------------------------------------------------------------
# objectives, indicators, metrics


class ExpectedImpact(Strict):
    id: str = Field(pattern=r"^\d\.\d$")
    text: str


class Objective(Strict):
    code: ObjectiveCode
    title: str
    text: str
    expected_impacts: tuple[ExpectedImpact, ...]
    decision: str
    source: str
    evidence: tuple[Evidence, ...] = ()


class EditionStatus(Strict):
    status: Literal["adopted", "optional", "proposed", "reported_under"]
    decision: str | None = None
    note: str | None = None


class TierLevel(Strict):
    """A level of a tiered approach that is not the SO3 drought tier (SO3-3 assessment, SO5 reporting, IPCC)."""

    tier: int = Field(ge=1, le=3)
    description: str


class ComputeBinding(Strict):
    """Which function computes a metric, with which inputs and which spec arguments.

    ``function`` is ``"package.module:function"``.  ``inputs`` are the data
    arguments the runner supplies (arrays, tables).  ``arguments`` maps further
    keyword arguments to spec references: ``parameters:<block>[.<field>]``,
    ``legend:<id>``, ``matrix:<id>``, ``classification:<id>``,
    ``lookup_table:<id>``, ``factor_set:<id>``, ``nesting:<id>`` or
    ``edition:<field>``.

    For an indicator with ``run: generic`` (no Stage code, decision D30) the binding also says which
    run-configuration input feeds each data input (``read``: input → config input) and which of the indicator's
    declared tables the function returns (``writes``; it returns ``{table id: DataFrame}``).
    """

    function: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    inputs: tuple[Identifier, ...] = ()
    arguments: FrozenMap[str, str] = Field(default_factory=dict)
    read: FrozenMap[Identifier, Identifier] = Field(
        default_factory=dict, description="run: generic: each data input's run-configuration input (input -> config name)")
    writes: tuple[str, ...] = Field(default=(), description="run: generic: the declared tables the function returns")


Quantity = Literal["area", "fraction", "index", "population", "money", "mass_per_area", "mass", "count", "category", "narrative"]

#: the reference unit of each quantity; a metric's unit must have the same dimension
QUANTITY_UNITS: dict[str, str | None] = {
    "area": "km**2",
    "fraction": "percent",
    "index": "dimensionless",
    "population": "person",
    "money": "USD",
    "mass_per_area": "t/ha",
    "mass": "t",
    "count": "dimensionless",
    "category": None,
    "narrative": None,
}


class Metric(Strict):
    id: str = Field(pattern=r"^SO[1-5]-\d+(\.\d+)?\.[a-z][a-z0-9_]*$", description="<indicator code>.<name>")
    name: str
    kind: Literal["metric", "proxy", "derived", "qualitative"] = "metric"
    quantity: Quantity
    unit: str | None = None
    definition: str | None = None
    definition_by_edition: FrozenMap[EditionId, str] = Field(default_factory=dict)
    legend: LegendRef | None = None
    matrix: MatrixRef | None = None
    classification: ClassificationRef | None = None
    lookup_tables: tuple[LookupRef, ...] = ()
    parameters: tuple[Identifier, ...] = Field(default=(), description="parameter blocks the computation reads")
    compute: ComputeBinding | None = None
    status: Literal["planned"] | None = Field(
        default=None, description="'planned': the compute function is not written yet (validate --strict refuses it)")
    default_data: str | None = None
    source: str


class Indicator(Strict):
    code: IndicatorCode
    objective: ObjectiveCode
    name: str
    name_by_edition: FrozenMap[EditionId, str] = Field(default_factory=dict)
    parent: IndicatorCode | None = Field(default=None, description="for sub-items such as SO5-5.1")
    tier: Literal[1, 2, 3] | None = Field(default=None, description="SO3 drought tier of decision 11/COP.14 (D1)")
    tier_name: str | None = None
    candidate_metric_basis: str | None = Field(default=None, description="11/COP.14 annex table, third column")
    assessment_tiers: tuple[TierLevel, ...] = Field(default=(), description="SO3-3 vulnerability-assessment tiers")
    reporting_tiers: tuple[TierLevel, ...] = Field(default=(), description="SO5 reporting tiers")
    ipcc_tier: Literal[1, 2, 3] | None = Field(default=None, description="IPCC tier of the SOC method")
    sdg: tuple[str, ...] = ()
    sdg_relation: Literal["equal", "sub_indicator", "derived", "metric", "related", "none"] = "none"
    decision: str | None = Field(default=None, description="decision that adopted the indicator")
    status: FrozenMap[EditionId, EditionStatus]
    disaggregations: tuple[Literal["sex", "urban_rural", "land_cover_class", "drought_class", "subnational", "component"], ...] = ()
    reporting_tables: FrozenMap[EditionId, tuple[str, ...]] = Field(default_factory=dict)
    other_tables: tuple[str, ...] = Field(default=(), description="tables the run writes besides the reporting tables (same in every edition)")
    optional_tables: tuple[str, ...] = Field(default=(), description="tables the run writes only with an optional input "
                                             "or parameter (e.g. the regional matrices' tables, D28), or when the data call "
                                             "for them (missing years, repaired geometries); every edition")
    tables: tuple[TableDeclaration, ...] = Field(default=(), description="what each of its tables holds (indicators/specs/table_model.py)")
    multipurpose_of: IndicatorCode | None = None
    metrics: tuple[Metric, ...] = ()
    run: str | None = Field(default=None, pattern=r"^(generic|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$",
                            description="the stage that computes the indicator in a run: 'package.module:NAME', "
                                        "a Stage whose indicators include this one (e.g. indicators.so3.run_hazard:STAGE), "
                                        "or 'generic': the engine builds the stage from the metrics' bindings (D30)")
    source: str
    evidence: tuple[Evidence, ...] = ()
    note: str | None = None

    def other_tables_of(self, edition: str) -> tuple[str, ...]:
        """The tables it writes in *edition* besides its reporting tables: ``other_tables`` and the edition's
        non-manual ids a declaration writes a renumbered table under (``written_from``, decision D23).

        An ``other_tables`` id that the edition publishes under another id (SO1-4.change is 2026's SO1-4.T2) is
        not written under its own, so it is left out."""
        manual = set(self.reporting_tables.get(str(edition), ()))
        renamed = {src for t in self.tables if t.in_edition(edition) for src in t.written_from if src != t.id}
        moved = tuple(t.id for t in self.tables
                      if t.written_from and t.editions and t.in_edition(edition) and t.id not in manual)
        return tuple(t for t in self.other_tables if t not in renamed) + tuple(t for t in moved if t not in self.other_tables)

    def tables_of(self, edition: str) -> tuple[str, ...]:
        """Every table id it may write in *edition*: its reporting tables, its other tables and its optional
        tables (written only with an optional input or parameter, or when the data call for them)."""
        ids = (*self.reporting_tables.get(str(edition), ()), *self.other_tables_of(edition), *self.optional_tables)
        return tuple(dict.fromkeys(ids))

    @property
    def generic(self) -> bool:
        """Whether the engine builds its stage from its metrics' bindings (``run: generic``, decision D30)."""
        return self.run == GENERIC_RUN

"""The typed model of the spec format: one definition, exported as JSON Schema.

Two top-level models:

* :class:`SpecFile` is one YAML file as written (``specs/*.yaml``,
  ``specs/legends/*.yaml``, ``specs/profiles/*.yaml``, ``specs/overlays/*.yaml``).
  ``indicators schema`` prints its JSON Schema.
* :class:`Framework` is the merged, immutable result for one edition, one
  profile and optionally one national overlay, with the look-ups a runner needs
  (:meth:`Framework.indicator`, :meth:`Framework.parameters`, …).

Only pydantic and the standard library are imported here, so loading specs
never pays for xarray or dask.  Field-level checks that need one item only
(patterns, enums, types) live here; checks across items (references,
completeness of matrices, thresholds, units, compute bindings, editions) live
in :mod:`indicators.specs.validate`.
"""

from __future__ import annotations

import functools

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Annotated, Any, Literal, TypeVar, Union, overload

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from ..errors import UnknownNameError
from .table_model import TableDeclaration

SPEC_VERSION = 1

K = TypeVar("K")
V = TypeVar("V")

#: a read-only mapping (validated from any mapping, dumped as a plain dict)
FrozenMap = Annotated[Mapping[K, V], AfterValidator(lambda d: MappingProxyType(dict(d))), PlainSerializer(dict)]

_CODE_RE = re.compile(r"^SO([1-5])-(\d+)(?:\.(\d+))?$")
_OBJECTIVE_RE = re.compile(r"^SO[1-5]$")


def canonical_code(code: str) -> str:
    """Canonical spelling of an objective or indicator code (D1).

    The manual writes ``SO 1-1`` in its tables and ``SO1-1`` in table ids; both
    (and lower case) are accepted and turned into ``SO1-1``.
    """
    if not isinstance(code, str):
        return code
    return re.sub(r"\s+", "", code).upper()


IndicatorCode = Annotated[str, BeforeValidator(canonical_code), Field(pattern=_CODE_RE.pattern)]
ObjectiveCode = Annotated[str, BeforeValidator(canonical_code), Field(pattern=_OBJECTIVE_RE.pattern)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="lower-case identifier")]
EditionId = Annotated[str, Field(pattern=r"^\d{4}$", description="reporting edition, the year of the reporting cycle")]
Year = Annotated[int, Field(ge=1900, le=2100)]
YearRange = Annotated[tuple[Year, Year], Field(description="first and last year, both included")]
Evidence = Literal["PRAIS22", "PRAIS26", "TE-doc", "TE-code", "SDG-md", "SEPAL", "CI", "NOAA", "V", "M", "I", "COP"]


def _ref(kind: str, description: str = "") -> Any:
    """Field metadata marking a string as a reference to an item of *kind* (checked by the validator)."""
    return Field(description=description or f"id of a {kind}", json_schema_extra={"x-ref": kind})


LegendRef = Annotated[str, _ref("legend")]
NestingRef = Annotated[str, _ref("nesting")]
MatrixRef = Annotated[str, _ref("matrix")]
ClassificationRef = Annotated[str, _ref("classification")]
LookupRef = Annotated[str, _ref("lookup_table")]
FactorSetRef = Annotated[str, _ref("factor_set")]


class Strict(BaseModel):
    """Base of every spec model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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
# editions and periods (D2, D14)


class LandCoverYears(Strict):
    initial: Year
    final: Year


class ProductivityWindows(Strict):
    trajectory: YearRange
    state_baseline: YearRange
    state_comparison: YearRange
    performance: YearRange


class Period(Strict):
    id: Identifier
    label: str
    years: YearRange
    land_cover: LandCoverYears
    soc: LandCoverYears
    productivity: ProductivityWindows
    source: str


class PovertyLine(Strict):
    value: float = Field(gt=0)
    unit: str
    ppp_year: Year
    source: str


class DroughtYears(Strict):
    years: YearRange = Field(description="annual SO3-1/SO3-2 series")
    epoch_length: int = Field(ge=1, description="years per multi-year map (D7)")
    epochs: tuple[YearRange, ...]
    source: str


class Edition(Strict):
    id: EditionId
    title: str
    manual: str
    default: bool = False
    periods: tuple[Period, ...]
    drought: DroughtYears
    poverty_line: PovertyLine = Field(description="SO2-1 international poverty line of this edition")
    sex_percentage: Literal["share_within_exposed", "share_of_sex_total"] = Field(
        description="SO3-2 (and SO2-3) percentage by sex (D8): 2022 share of each sex among the exposed; 2026 exposed women / all women"
    )
    land_area_table: str = Field(description="reporting table holding the total land area (the SDG 15.3.1 denominator)")
    country_profile_tables: tuple[TableDeclaration, ...] = Field(
        default=(), description="country-profile tables of the edition (2026: CP-1.T1 land area, CP-1.T2 demographics)")
    source: str


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
    """

    function: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    inputs: tuple[Identifier, ...] = ()
    arguments: FrozenMap[str, str] = Field(default_factory=dict)


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
    tables: tuple[TableDeclaration, ...] = Field(default=(), description="what each of its tables holds (indicators/specs/table_model.py)")
    multipurpose_of: IndicatorCode | None = None
    metrics: tuple[Metric, ...] = ()
    run: str | None = Field(default=None, pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$",
                            description="the stage that computes the indicator in a run: 'package.module:NAME', "
                                        "a Stage whose indicators include this one (e.g. indicators.so3.run_hazard:STAGE)")
    source: str
    evidence: tuple[Evidence, ...] = ()
    note: str | None = None


# --------------------------------------------------------------------------------------------
# legends, nestings, matrices, classifications, lookup tables, factor sets


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


# --------------------------------------------------------------------------------------------
# parameter blocks (every value a country may change; the defaults live in specs/)


class Block(Strict):
    source: str = Field(description="decision or section the values come from")
    note: str | None = None


class LandCoverParams(Block):
    legend: LegendRef
    source_legend: LegendRef
    nesting: NestingRef
    transition_matrix: MatrixRef
    water_class: int


class LpdSource(Strict):
    description: str
    nodata: tuple[int, ...]


class ProductivityParams(Block):
    method: Literal["precomputed_lpd", "trends_earth", "gpg2_zscore"]
    lpd_legend: LegendRef
    lpd_source: Identifier
    lpd_sources: FrozenMap[Identifier, LpdSource]
    lpd_to_3class: LookupRef
    combination_table: LookupRef
    combination_presets: tuple[LookupRef, ...]


class TrajectoryParams(Block):
    confidence: float = Field(gt=0, lt=1)
    slope_floor: float = Field(ge=0, description="|slope| at or below this is no trend (index units per year)")
    slope_floor_unit: str
    z_cut: float = Field(gt=0)
    z_potential_cut: float = Field(gt=0)
    climate_correction: Literal["none", "restrend", "rue", "wue"]
    continuity_correction: bool = Field(description="z-score form: continuity correction of the Mann-Kendall z")


class StateParams(Block):
    baseline_years: int = Field(ge=2)
    comparison_years: int = Field(ge=1)
    z_cut: float = Field(gt=0)
    denominator: Literal["sd_over_sqrt_n", "sd"]
    decile_range_extension: float = Field(ge=0)
    class_change_threshold: int = Field(ge=1)
    min_mean_difference: float = Field(ge=0, description="in index units (NDVI); scaled to the series' units by the runner")
    n_classes: int = Field(ge=2, description="percentile classes of the Trends.Earth form (10: deciles)")
    percentile_method: Literal["linear", "lower", "higher", "nearest", "midpoint"] = Field(
        description="numpy.percentile method of the Trends.Earth form")
    ddof: Literal[0, 1] = Field(description="z-score form: delta degrees of freedom of the baseline standard deviation")


class PerformanceParams(Block):
    percentile: float = Field(gt=0, le=100)
    ratio_threshold: float = Field(gt=0, lt=1)
    tie_is_degraded: bool
    unit_definition: str
    resolution: float = Field(gt=0, description="lattice step of the per-unit percentile, in index units (NDVI)")
    exclude_values: tuple[float, ...] = Field(description="index values left out of the per-unit percentile (NDVI 0)")


class ClimateRegime(Strict):
    id: int
    name: str
    factor: float = Field(gt=0, le=1)


class SocParams(Block):
    depth_cm: int = Field(gt=0)
    transition_years: int = Field(gt=0)
    threshold_percent: float = Field(gt=0)
    inclusive: bool = Field(description="false: degraded only if the loss is MORE than the threshold (D11); true: a change of exactly the threshold counts (Trends.Earth)")
    factor_matrix: MatrixRef
    management_factor: float = Field(gt=0)
    input_factor: float = Field(gt=0)
    climate_regimes: tuple[ClimateRegime, ...]
    climate_zone_to_regime: tuple[int, ...] = Field(description="IPCC climate-zone raster code (index) → regime id; 0 = none")
    climate_factor: float | None = Field(description="one f for every cell; null = per cell from a climate-zone raster")
    water_is_nodata: bool
    zero_baseline_is_nodata: bool
    ipcc_tier: Literal[1, 2, 3]
    reference_year: Year
    period_chain: Literal["continue", "restart"] = Field(description="continue: one annual 20-year chain through every period (D11); restart: each period from the stock at its initial year with only its own maps (Trends.Earth's local step)")


class OneOutAllOutParams(Block):
    nodata_rule: Literal["degraded_wins", "any_nodata"]


class StatusParams(Block):
    matrix: LookupRef
    collapse: LookupRef
    legend: LegendRef
    apply_to_subindicators: bool


class CounterbalancingParams(Block):
    legend: LegendRef
    gains: tuple[int, ...]
    losses: tuple[int, ...]
    neutral: tuple[int, ...]


class OfficialLandArea(Strict):
    value: float = Field(gt=0)
    unit: str
    year: Year
    source: str


class LandAreaParams(Block):
    water_class: int
    water_year: Literal["baseline_initial", "each_period"]
    nodata_in_denominator: bool
    official: OfficialLandArea | None


class AreaParams(Block):
    geographic: Literal["ellipsoid_exact"]
    projected: Literal["scale_factor_or_error", "planar"]
    polygon_coverage: Literal["fractional", "centre"]
    area_unit: str


class SpiParams(Block):
    index: Literal["spi", "spei"]
    scale_months: int = Field(ge=1, le=48)
    month: int = Field(ge=1, le=12)
    calibration: YearRange
    distribution: Literal["gamma", "pearson3"]
    fit: Literal["thom", "mle", "lmoments"]
    zero_handling: Literal["mixed", "center_of_mass"]
    inverse_normal: Literal["exact", "abramowitz_stegun"]
    clip: float = Field(gt=0)
    min_nonzero: int = Field(ge=2)
    missing_month: Literal["nodata"]
    precomputed_allowed: bool


class DroughtClassParams(Block):
    classification: ClassificationRef
    legend: LegendRef
    epoch_rule: Literal["most_severe"]
    land_denominator: Literal["land_area", "all_cells"]


class DroughtExposureParams(Block):
    sex_percentage: Literal["edition", "share_within_exposed", "share_of_sex_total"]
    population_year_fill: Literal["nearest", "none"]
    water_population: Literal["keep", "zero"]
    resampling: Literal["nearest"]


class DviParams(Block):
    factor_set: FactorSetRef
    normalisation: Literal["minmax_national_series", "minmax_global"]
    component_aggregation: Literal["arithmetic_mean"]
    dvi_aggregation: Literal["equal_mean_of_components"]
    weights: FrozenMap[Identifier, float] | None
    precomputed_summary: Literal["zonal_mean", "population_weighted_mean"]
    precomputed_scale: float = Field(gt=0)


Weight = Annotated[float, Field(ge=0, le=1, description="a weight between 0 and 1")]
ValueRange = Annotated[tuple[float, float], Field(description="lowest and highest valid value, both included")]


class SeriesParams(Block):
    """Annual national series (SO2-1, SO2-2, SO3-3, SO4, SO5): gaps, plausible ranges, the qualitative trend."""

    allow_gaps: bool = Field(description="true: report missing years in a 'gaps' table; false: a missing year stops the run")
    trend_tolerance: float = Field(ge=0, description="relative change at or below which the qualitative trend is 'stable'")
    trend_method: Literal["sen", "endpoints"] = Field(description="sen: Sen's slope over the series; endpoints: first vs last value")
    percent_range: ValueRange = Field(description="valid range of a percentage in an input table")


class RedListParams(Block):
    value_range: ValueRange = Field(description="valid range of the Red List Index and its bounds")


class KbaParams(Block):
    unknown_year: Literal["error", "exclude", "always"] = Field(
        description="a protected area without a known establishment year: stop, leave it out, or count it in every year")
    unknown_year_values: tuple[int, ...] = Field(description="establishment-year values that mean 'unknown' (WDPA STATUS_YR 0)")


class So5Params(Block):
    rio_marker_weights: FrozenMap[Identifier, Weight] = Field(description="share of a flow counted per desertification Rio marker")
    unmarked_weight: Weight = Field(description="share counted of a flow without a Rio marker")


class EncodingParams(Block):
    class_dtype: Literal["uint8", "uint16", "int16"]
    class_nodata: int
    continuous_dtype: Literal["float32", "float64", "int16"]
    continuous_nodata: float | None


class ErrorRecodeParams(Block):
    apply_before_status: bool
    report_each_recode: bool


class InputPlausibility(Strict):
    """What values of one input are physically possible (issue 15: bad input never becomes a number)."""

    units: str | None = Field(None, description="unit of min/max/max_per_km2 (the input's values are in it or converted)")
    min: float | None = Field(None, description="lowest possible value (inclusive unless min_exclusive)")
    min_exclusive: bool = Field(False, description="the value must be strictly above min (e.g. an exchange rate > 0)")
    max: float | None = Field(None, description="highest possible value, inclusive")
    max_per_km2: float | None = Field(None, gt=0, description="highest possible value per km2 of the pixel (densities)")
    legend: LegendRef | None = Field(None, description="class codes must be codes of this legend or the declared nodata")
    legend_parameter: str | None = Field(None, pattern=r"^parameters:[a-z_]+\.[a-z_]+$",
                                         description="as legend, but the legend a parameter names (follows profiles and overlays)")
    columns: tuple[str, ...] = Field((), description="table columns min/max apply to (default: every numeric column but year)")
    ordered: tuple[str, ...] = Field((), description="table columns that must not decrease along a row, e.g. lower <= value <= upper")
    years: Literal["any", "edition"] = Field("any", description="'edition': no year after the edition's span and the current year (data from the future)")
    nan: Literal["refuse", "warn"] = Field("refuse", description="NaN where no nodata is declared: refuse, or count and warn")
    on_violation: Literal["refuse", "warn"] = Field("refuse", description="values outside: refuse, or count and warn")


class PlausibilityParams(Block):
    """Physical ranges and allowed codes of each input kind, by input name of the run configuration."""

    inputs: FrozenMap[str, InputPlausibility]


class Parameters(Strict):
    """All parameter blocks. In a spec file each block is optional; in a :class:`Framework` all are present."""

    land_cover: LandCoverParams | None = None
    productivity: ProductivityParams | None = None
    trajectory: TrajectoryParams | None = None
    state: StateParams | None = None
    performance: PerformanceParams | None = None
    soc: SocParams | None = None
    one_out_all_out: OneOutAllOutParams | None = None
    status: StatusParams | None = None
    counterbalancing: CounterbalancingParams | None = None
    land_area: LandAreaParams | None = None
    area: AreaParams | None = None
    spi: SpiParams | None = None
    drought_classes: DroughtClassParams | None = None
    drought_exposure: DroughtExposureParams | None = None
    dvi: DviParams | None = None
    encoding: EncodingParams | None = None
    error_recode: ErrorRecodeParams | None = None
    series: SeriesParams | None = None
    red_list: RedListParams | None = None
    kba: KbaParams | None = None
    so5: So5Params | None = None
    plausibility: PlausibilityParams | None = None


PARAMETER_BLOCKS: tuple[str, ...] = tuple(Parameters.model_fields)


# --------------------------------------------------------------------------------------------
# profiles and overlays


class ProfileInfo(Strict):
    id: Identifier
    title: str
    description: str
    source: str


class OverlayInfo(Strict):
    id: Identifier
    country: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3")
    name: str
    description: str
    source: str


# --------------------------------------------------------------------------------------------
# one file as written


class DatasetEntry(Strict):
    """A published dataset as it is distributed: enough to read it and to refuse a file that is not it."""

    id: Identifier
    name: str
    version: str
    input: str = Field(description="the run-configuration input it provides, e.g. land_cover, lpd, soc_reference")
    form: Literal["netcdf", "geotiff"]
    variable: str | None = Field(None, description="NetCDF variable (required for form netcdf)")
    dtype: str = Field(description="stored data type, e.g. uint8, int16, float32")
    units: str = Field(description="units of the values after scaling (pint/CF), '1' for classes and indices")
    scale_factor: float = Field(1.0, gt=0, description="stored value x scale_factor = value in units")
    scale_in_file: bool = Field(False, description="the published file carries the scale factor (CF attribute / GDAL band scale); a file without it is refused")
    nodata: float | None = Field(None, description="stored nodata value(s) as published")
    legend: Identifier | None = Field(None, description="legend of the stored codes (class data)")
    extra_nodata_codes: tuple[int, ...] = Field((), description="further codes meaning no data (e.g. JRC LPD 15)")
    nesting: Identifier | None = Field(None, description="nesting from the legend to the 7 UNCCD classes (land cover)")
    resampling: Literal["nearest", "sum", "average"] = Field(description="how prepare brings it onto the common grid")
    crs: str = "EPSG:4326"
    resolution: str
    coverage: str
    editions: tuple[str, ...] = Field(description="reporting editions whose default data it is (or alternative)")
    role: Literal["default", "alternative"] = "default"
    attributes: dict[str, Any] = Field(default_factory=dict, description="attributes the published file carries (checked)")
    licence: str
    citation: str
    url: str
    note: str | None = None


class SpecFile(Strict):
    """One spec file.  ``kind`` says which sections it may hold:

    * ``framework``, ``objective``, ``legends``: the default framework (merged);
    * ``profile``: a named parameter set (``profile:``, replacement items,
      ``parameter_overrides``, ``edition_overrides``);
    * ``overlay``: a country's changes (``overlay:`` plus the same sections).
    """

    spec_version: Literal[1]
    kind: Literal["framework", "objective", "legends", "profile", "overlay", "datasets"]
    framework: FrameworkInfo | None = None
    profile: ProfileInfo | None = None
    overlay: OverlayInfo | None = None
    editions: tuple[Edition, ...] = ()
    objectives: tuple[Objective, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    legends: tuple[Legend, ...] = ()
    nestings: tuple[Nesting, ...] = ()
    matrices: tuple[Matrix, ...] = ()
    classifications: tuple[Classification, ...] = ()
    lookup_tables: tuple[LookupTable, ...] = ()
    factor_sets: tuple[FactorSet, ...] = ()
    datasets: tuple[DatasetEntry, ...] = Field((), description="kind datasets: the default datasets as published")
    parameters: Parameters = Field(default_factory=Parameters)
    parameter_overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="profile/overlay: block → fields to change (merged into the defaults, then validated)"
    )
    edition_overrides: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="profile/overlay: edition id → fields to change; periods are merged by id"
    )


#: list sections of a spec file and the field that identifies their items
ITEM_SECTIONS: dict[str, str] = {
    "editions": "id",
    "objectives": "code",
    "indicators": "code",
    "legends": "id",
    "nestings": "id",
    "matrices": "id",
    "classifications": "id",
    "lookup_tables": "id",
    "factor_sets": "id",
}


# --------------------------------------------------------------------------------------------
# the merged framework


class Framework(Strict):
    """The merged framework for one edition, profile and overlay: typed and immutable.

    Build it with :func:`indicators.load_framework`.  ``dump()`` →
    ``Framework.model_validate`` gives an equal object; :meth:`spec_hash` is
    the sha256 of the canonical dump, for provenance.
    """

    spec_version: Literal[1]
    edition: EditionId
    profile: ProfileInfo
    overlay: OverlayInfo | None = None
    info: FrameworkInfo
    editions: tuple[Edition, ...]
    objectives: tuple[Objective, ...]
    indicators: tuple[Indicator, ...]
    legends: tuple[Legend, ...]
    nestings: tuple[Nesting, ...]
    matrices: tuple[Matrix, ...]
    classifications: tuple[Classification, ...]
    lookup_tables: tuple[LookupTable, ...]
    factor_sets: tuple[FactorSet, ...]
    blocks: Parameters

    # ---- look-ups -------------------------------------------------------------------------
    @staticmethod
    def _find(items: tuple[Any, ...], attr: str, key: str, what: str) -> Any:
        for item in items:
            if getattr(item, attr) == key:
                return item

        known = ", ".join(str(getattr(i, attr)) for i in items)
        raise UnknownNameError(f"no {what} {key!r}; known: {known}")

    def indicator(self, code: str) -> Indicator:
        """The progress indicator (or sub-item) *code*; ``"SO 3-1"`` is accepted for ``"SO3-1"``."""
        return self._find(self.indicators, "code", canonical_code(code), "indicator")

    def objective(self, code: str) -> Objective:
        return self._find(self.objectives, "code", canonical_code(code), "strategic objective")

    def indicators_of(self, objective: str) -> tuple[Indicator, ...]:
        code = canonical_code(objective)
        return tuple(i for i in self.indicators if i.objective == code)

    def metric(self, metric_id: str) -> Metric:
        """The metric ``<indicator code>.<name>`` (``"SO 1-1.land_cover_change"`` is accepted)."""
        wanted = re.sub(r"\s+", "", metric_id)
        wanted = "SO" + wanted[2:] if wanted[:2].lower() == "so" else wanted
        for ind in self.indicators:
            for m in ind.metrics:
                if m.id == wanted:
                    return m

        raise UnknownNameError(f"no metric {metric_id!r}; metric ids are '<indicator code>.<name>', e.g. "
                               "'SO1-4.proportion_degraded' (fw.indicator(code).metrics lists them)")

    def legend(self, legend_id: str) -> Legend:
        return self._find(self.legends, "id", legend_id, "legend")

    def nesting(self, nesting_id: str) -> Nesting:
        return self._find(self.nestings, "id", nesting_id, "nesting")

    def matrix(self, matrix_id: str) -> Matrix:
        return self._find(self.matrices, "id", matrix_id, "matrix")

    def classification(self, classification_id: str) -> Classification:
        return self._find(self.classifications, "id", classification_id, "classification")

    def lookup_table(self, table_id: str) -> LookupTable:
        return self._find(self.lookup_tables, "id", table_id, "lookup table")

    def lookup_mapping(self, table_id: str, output: str | None = None) -> dict[tuple[int, ...], Any]:
        """Expanded lookup table: key codes → output code (wildcards expanded over the key legends)."""
        table = self.lookup_table(table_id)
        domains = [k.codes if k.codes is not None else self.legend(k.legend).codes() for k in table.keys]
        return table.expand(domains, output)

    def factor_set(self, set_id: str) -> FactorSet:
        return self._find(self.factor_sets, "id", set_id, "factor set")

    @overload
    def parameters(self, block: Literal["land_cover"]) -> LandCoverParams: ...
    @overload
    def parameters(self, block: Literal["productivity"]) -> ProductivityParams: ...
    @overload
    def parameters(self, block: Literal["trajectory"]) -> TrajectoryParams: ...
    @overload
    def parameters(self, block: Literal["state"]) -> StateParams: ...
    @overload
    def parameters(self, block: Literal["performance"]) -> PerformanceParams: ...
    @overload
    def parameters(self, block: Literal["soc"]) -> SocParams: ...
    @overload
    def parameters(self, block: Literal["one_out_all_out"]) -> OneOutAllOutParams: ...
    @overload
    def parameters(self, block: Literal["status"]) -> StatusParams: ...
    @overload
    def parameters(self, block: Literal["counterbalancing"]) -> CounterbalancingParams: ...
    @overload
    def parameters(self, block: Literal["land_area"]) -> LandAreaParams: ...
    @overload
    def parameters(self, block: Literal["area"]) -> AreaParams: ...
    @overload
    def parameters(self, block: Literal["spi"]) -> SpiParams: ...
    @overload
    def parameters(self, block: Literal["drought_classes"]) -> DroughtClassParams: ...
    @overload
    def parameters(self, block: Literal["drought_exposure"]) -> DroughtExposureParams: ...
    @overload
    def parameters(self, block: Literal["dvi"]) -> DviParams: ...
    @overload
    def parameters(self, block: Literal["encoding"]) -> EncodingParams: ...
    @overload
    def parameters(self, block: Literal["error_recode"]) -> ErrorRecodeParams: ...
    @overload
    def parameters(self, block: Literal["series"]) -> SeriesParams: ...
    @overload
    def parameters(self, block: Literal["red_list"]) -> RedListParams: ...
    @overload
    def parameters(self, block: Literal["kba"]) -> KbaParams: ...
    @overload
    def parameters(self, block: Literal["so5"]) -> So5Params: ...
    @overload
    def parameters(self, block: str) -> Block: ...

    def parameters(self, block: str) -> Block:
        """The parameter block *block* (e.g. ``"spi"``, ``"soc"``) with the profile and overlay applied."""

        if block not in PARAMETER_BLOCKS:
            raise UnknownNameError(f"no parameter block {block!r}; known: {', '.join(PARAMETER_BLOCKS)}")
        value = getattr(self.blocks, block)
        if value is None:
            raise UnknownNameError(f"parameter block {block!r} is not defined in the specs")
        return value

    def edition_spec(self, edition: str | None = None) -> Edition:
        """The :class:`Edition` *edition* (default: the selected one)."""
        return self._find(self.editions, "id", str(edition or self.edition), "edition")

    def periods(self, edition: str | None = None) -> tuple[Period, ...]:
        """Baseline and reporting periods of *edition* (default: the selected one)."""
        return self.edition_spec(edition).periods

    def period(self, period_id: str, edition: str | None = None) -> Period:
        return self._find(self.periods(edition), "id", period_id, "period")

    def resolve(self, ref: str) -> Any:
        """Resolve a compute-binding reference (``matrix:<id>``, ``parameters:<block>.<field>``, …).

        A parameter field that is itself a reference (e.g. ``land_cover.transition_matrix``)
        is resolved to the object it names.
        """
        kind, _, rest = ref.partition(":")
        getters = {
            "legend": self.legend,
            "nesting": self.nesting,
            "matrix": self.matrix,
            "classification": self.classification,
            "lookup_table": self.lookup_table,
            "factor_set": self.factor_set,
        }
        if kind in getters:
            return getters[kind](rest)
        if kind == "edition":
            value: Any = self.edition_spec()
            for part in rest.split("."):
                value = getattr(value, part)
            return value
        if kind == "parameters":
            block_name, _, field = rest.partition(".")
            block = self.parameters(block_name)
            if not field:
                return block
            value = getattr(block, field)
            ref_kind = field_ref_kind(type(block), field)
            if ref_kind and isinstance(value, str):
                return getters[ref_kind](value)
            return value
        raise UnknownNameError(f"reference {ref!r}: unknown kind {kind!r}")

    def binding_arguments(self, metric_id: str) -> dict[str, Any]:
        """Keyword arguments (resolved) of a metric's compute binding, for the runner."""
        m = self.metric(metric_id)
        if m.compute is None:
            return {}
        return {name: self.resolve(ref) for name, ref in m.compute.arguments.items()}

    # ---- provenance -----------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        """Canonical JSON-compatible dump (``Framework.model_validate(fw.dump()) == fw``)."""
        return self.model_dump(mode="json", by_alias=True)

    def spec_hash(self) -> str:
        """sha256 of the canonical dump: identical specs give identical hashes."""
        text = json.dumps(self.dump(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=None)
def field_ref_kind(model: type[BaseModel], field: str) -> str | None:
    """The reference kind (``"matrix"``, ``"legend"``, …) declared on *model.field*, or None.

    Cached per (class, field): validation asks it for every field of every item, and a large
    spec has hundreds of thousands of items (benchmarks/bench_spec_size.py).
    """
    info = model.model_fields.get(field)
    if info is None:
        return None
    for meta in [info, *info.metadata]:
        extra = getattr(meta, "json_schema_extra", None)
        if isinstance(extra, dict) and "x-ref" in extra:
            return extra["x-ref"]
    # Optional[Ref] / tuple[Ref, ...]: look inside the annotation
    return _annotation_ref(info.annotation)


def _annotation_ref(annotation: Any) -> str | None:
    from typing import get_args, get_origin

    if get_origin(annotation) is Annotated:
        for meta in get_args(annotation)[1:]:
            extra = getattr(meta, "json_schema_extra", None)
            if isinstance(extra, dict) and "x-ref" in extra:
                return extra["x-ref"]
        return None
    for arg in get_args(annotation):
        kind = _annotation_ref(arg)
        if kind:
            return kind
    return None

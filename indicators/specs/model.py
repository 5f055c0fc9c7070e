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

The items these two are made of live beside this module, one concept each:
:mod:`~indicators.specs.base_model` (codes, identifiers, references, the strict base),
:mod:`~indicators.specs.indicator_model` (framework metadata, objectives, indicators, metrics),
:mod:`~indicators.specs.edition_model` (editions and periods),
:mod:`~indicators.specs.legend_model` (legends, nestings, matrices, classifications, lookup tables,
factor sets), :mod:`~indicators.specs.parameter_model` (parameter blocks) and
:mod:`~indicators.specs.table_model` (table declarations).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Literal, overload

from pydantic import Field

from ..errors import UnknownNameError
from .base_model import EditionId, Identifier, Strict, canonical_code, field_ref_kind
from .edition_model import Edition, Period
from .indicator_model import ComputeBinding, FrameworkInfo, Indicator, Metric, Objective
from .legend_model import Classification, FactorSet, Legend, LookupTable, Matrix, Nesting
from .parameter_model import (
    PARAMETER_BLOCKS,
    AreaParams,
    Block,
    CounterbalancingParams,
    DroughtClassParams,
    DroughtExposureParams,
    DviParams,
    EncodingParams,
    ErrorRecodeParams,
    KbaParams,
    LandAreaParams,
    LandCoverParams,
    OneOutAllOutParams,
    Parameters,
    PerformanceParams,
    ProductivityParams,
    RedListParams,
    SeriesParams,
    So5Params,
    SocParams,
    SpiParams,
    StateParams,
    StatusParams,
    TrajectoryParams,
)


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
    # a drought-index product published per accumulation scale (GMID): which index, which scales, where a file
    # says its scale, and the months the published time axis spans (a file outside them is another release)
    drought_index: Literal["spi", "spei"] | None = Field(
        None, description="the standardized index a precomputed drought product holds (sets spi.index of the run)")
    accumulation_months: tuple[int, ...] = Field(
        (), description="accumulation scales published, in months (one file per scale)")
    accumulation_attribute: str | None = Field(
        None, description="attribute of the variable giving a file's accumulation scale in months (checked)")
    time_coverage: tuple[int, int] | None = Field(
        None, description="first and last year of the published monthly time axis (a file outside is refused)")


class SpecFile(Strict):
    """One spec file.  ``kind`` says which sections it may hold:

    * ``framework``, ``objective``, ``legends``: the default framework (merged);
    * ``profile``: a named parameter set (``profile:``, replacement items,
      ``parameter_overrides``, ``edition_overrides``);
    * ``overlay``: a country's changes (``overlay:`` plus the same sections), its own indicators (added, never
      replacing one of the specs') and ``compute_overrides`` (a metric rebound to another function, D30).
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
    compute_overrides: dict[str, ComputeBinding] = Field(
        default_factory=dict, description="overlay: metric id → the compute binding that replaces the metric's (D30)"
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

"""Spec models of the parameter blocks: every value a country may change (the defaults live in specs/)."""

from __future__ import annotations

import numbers
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from .base_model import (
    ClassificationRef,
    FactorSetRef,
    FrozenMap,
    Identifier,
    LegendRef,
    LookupRef,
    MatrixRef,
    NestingRef,
    Strict,
    Year,
    YearRange,
)


class Block(Strict):
    source: str = Field(description="decision or section the values come from")
    note: str | None = None


#: at most this many regional transition matrices (PRAIS26 introduction: "up to five regional matrices"; D28)
MAX_REGIONAL_MATRICES = 5


def region_key(value: Any) -> Any:
    """A region id as text, the one spelling of the parameter's keys and of the region file's ids: an integer
    (also a float holding one, as a shapefile's numeric field reads) as its digits, a text as it is."""
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and float(value).is_integer():
        value = int(value)
    return str(int(value)) if isinstance(value, numbers.Integral) else value


RegionId = Annotated[str, BeforeValidator(region_key), Field(min_length=1, description="a region id of input land_cover_regions")]


class LandCoverParams(Block):
    legend: LegendRef
    source_legend: LegendRef
    nesting: NestingRef
    transition_matrix: MatrixRef
    water_class: int
    national_legend: LegendRef | None = Field(
        None, description="legend of input land_cover_national (a national legend, e.g. from an overlay)")
    national_nesting: NestingRef | None = Field(
        None, description="nesting of national_legend into `legend`; with both set, each year of input land_cover_national "
                          "replaces that year of land_cover (national data where the country has them)")
    regional_matrices: FrozenMap[RegionId, MatrixRef] | None = Field(
        None, description="region id of input land_cover_regions -> transition matrix (same form as transition_matrix) "
                          "judging the cells whose centre lies in that region; the others keep transition_matrix "
                          f"(at most {MAX_REGIONAL_MATRICES}, PRAIS26; D28)")


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
    codes_parameter: str | None = Field(None, pattern=r"^parameters:[a-z_]+\.[a-z_]+$",
                                        description="class codes must be positions of this list parameter or the declared "
                                                    "nodata (e.g. the IPCC climate zones 0-12 of soc.climate_zone_to_regime)")
    scale_parameter: str | None = Field(None, pattern=r"^parameters:[a-z_]+\.[a-z_]+$",
                                        description="a parameter the stored values are multiplied by before min/max apply "
                                                    "(e.g. parameters:dvi.precomputed_scale, 0.0001 for a DVI stored x 10 000)")
    columns: tuple[str, ...] = Field((), description="table columns min/max apply to (default: every numeric column but year)")
    ordered: tuple[str, ...] = Field((), description="table columns that must not decrease along a row, e.g. lower <= value <= upper")
    years: Literal["any", "edition"] = Field("any", description="'edition': no year after the edition's span and the current year (data from the future)")
    first_year: int | None = Field(None, ge=0, description="no year before it (a year typed short, 85 for 1985, or in the wrong century)")
    year_columns: tuple[str, ...] = Field(("year",), description="table columns holding years, checked by years and first_year "
                                                                 "(a vector input's establishment year is its role field)")
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

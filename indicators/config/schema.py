"""The run configuration's schema: the pydantic models of the YAML file, and the input names a run reads."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..specs.base_model import canonical_code

RASTER_SUFFIXES = (".tif", ".tiff", ".nc", ".nc4", ".vrt", ".img", ".grib", ".zarr")
VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml")
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx")

InputKind = Literal["raster", "vector", "table"]

#: inputs a run configuration may hold that no computation reads yet (recorded in the provenance)
RECORDED_INPUTS: tuple[str, ...] = ()

#: The input names the indicators of this version read (docs/user-guide.md §3.1), with what each holds.
#: A configured input outside this list (and outside what the run's stages need) is reported as a
#: misspelling before anything is computed, instead of being silently ignored.  It is the engine's
#: stage vocabulary (``Stage.inputs``) plus RECORDED_INPUTS; a test keeps the two equal.
INPUT_NAMES: dict[str, str] = {
    "land_cover": "land-cover maps, one per year (SO1-1, SO1-4, SO4-1; land mask of SO3)",
    "land_cover_national": "land cover in a national legend, per year: replaces those years of land_cover when the parameters "
                           "land_cover.national_legend and national_nesting name its legend and nesting (else recorded only)",
    "land_cover_regions": "regions of the regional transition matrices: polygons with an id field, each region's id bound "
                          "to a matrix by the parameter land_cover.regional_matrices (SO1-1, at most five, D28)",
    "lpd": "precomputed 5-class land productivity dynamics, one map per period (SO1-2)",
    "ndvi": "annual NDVI series to compute productivity from (SO1-2)",
    "soc_reference": "soil organic carbon stock 0-30 cm of the reference year (SO1-3, SO4-1)",
    "climate_zones": "IPCC climate zones for the SOC climate factor (SO1-3)",
    "recode_polygons": "false positive / negative polygons (D16, SO1-4)",
    "population_total": "population per pixel, by year (SO2-3, SO3-2)",
    "population_female": "female population per pixel, by year (SO2-3, SO3-2)",
    "population_male": "male population per pixel, by year (SO2-3, SO3-2)",
    "population_national": "national population totals by year and sex (SO3-2 denominators)",
    "precipitation": "monthly precipitation (SO3-1 SPI; SPEI with pet)",
    "pet": "monthly potential evapotranspiration, same grid and months as precipitation (SO3-1 SPEI)",
    "drought_index": "precomputed SPI or SPEI: a monthly series (time axis) or one map per year (SO3-1)",
    "dvi": "precomputed drought vulnerability index raster (SO3-3)",
    "dvi_factors_national": "national DVI factor table (SO3-3)",
    "dvi_factors_units": "per-unit DVI factor table (SO3-3)",
    "so2_1_poverty": "poverty / Gini table (SO2-1)",
    "so2_2_water": "safely managed drinking water table (SO2-2)",
    "so4_2_red_list": "Red List Index table (SO4-2)",
    "so4_3_kba_coverage": "KBA protected-coverage table (SO4-3)",
    "kba": "Key Biodiversity Area polygons (SO4-3)",
    "protected_areas": "protected-area polygons with establishment year (SO4-3)",
    "so5_flows": "resource flows table (SO5-1 ... SO5-4)",
    "exchange_rates": "exchange rates to USD (SO5)",
    "so5_5_narrative": "future support narrative table (SO5-5)",
}


def parse_years(value: Any) -> list[int] | None:
    """Years from ``2000``, ``[2000, 2015]``, ``"2000-2023"``, ``"2000-2015, 2019"`` or ``{start, end}``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"years must be integers, not {value!r}")
    if isinstance(value, int):
        return [value]
    if isinstance(value, Mapping):
        if set(value) != {"start", "end"}:
            raise ValueError("a year range is written {start: 2000, end: 2023}")
        return list(range(int(value["start"]), int(value["end"]) + 1))
    if isinstance(value, str):
        years: list[int] = []
        for part in value.replace(";", ",").split(","):
            part = part.strip()
            m = re.fullmatch(r"(\d{4})\s*(?:-|–|\.\.)\s*(\d{4})", part)
            if m:
                a, b = int(m.group(1)), int(m.group(2))
                if b < a:
                    raise ValueError(f"year range {part!r} ends before it starts")
                years += range(a, b + 1)
            elif re.fullmatch(r"\d{4}", part):
                years.append(int(part))
            else:
                raise ValueError(f"cannot read years from {part!r}: write 2000, 2000-2023 or a list [2000, 2015]")
        return sorted(set(years))
    if isinstance(value, (list, tuple)):
        out: list[int] = []
        for v in value:
            out += parse_years(v) or []
        return sorted(set(out))
    raise ValueError(f"cannot read years from {value!r}")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class BandSelector(_Model):
    """A band of a Trends.Earth multi-band file, by what its JSON sidecar says it holds."""

    name: str = Field(min_length=1, description="band name in the JSON sidecar, e.g. 'Land cover (7 class)'")
    year: int | None = Field(None, description="the band's metadata year (without it: one band per listed year)")
    metadata: dict[str, str | int | float] = Field(
        default_factory=dict, description="further metadata the band must carry, e.g. {type: female}")


#: inputs that define the common grid of a run, in order of preference (the reference of the grid checks)
GRID_INPUTS: tuple[str, ...] = ("land_cover", "population_total", "lpd", "ndvi", "soc_reference")

#: inputs whose ``scale_factor`` the computations apply (others would be read unscaled: refused)
SCALED_INPUTS: tuple[str, ...] = ("ndvi", "drought_index")


class InputSpec(_Model):
    """One input: a raster, vector or table file (or one file per year)."""

    path: str | dict[str, str] = Field(
        description="file path relative to the config file; may contain {year}; or a mapping year/period -> path")
    kind: InputKind | None = Field(None, description="raster | vector | table (default: from the file suffix)")
    units: str | None = Field(None, description="pint/CF unit of the values, e.g. mm/month, person, percent")
    years: list[int] | None = Field(None, description="years held: 2000-2023, [2000, 2015], or one year")
    source: str | None = Field(None, description="where the data come from (recorded in the report)")
    variable: str | None = Field(None, description="variable name in a netCDF file")
    nodata: float | None = Field(None, description="nodata value when the file does not declare one")
    scale_factor: float | None = Field(None, gt=0, description="stored value x scale_factor = value in `units` "
                                       "(CF convention; e.g. 0.0001 for NDVI stored x 10000)")
    id_field: str | None = Field(None, description="vector attribute identifying each feature")
    fields: dict[str, str] = Field(default_factory=dict,
                                   description="other attributes by role, e.g. {establishment_year: STATUS_YR}")
    band: int | BandSelector | None = Field(
        None, description="band of a multi-band raster: its number (1-based), or {name, year, metadata} as listed in "
                          "the Trends.Earth JSON beside the file")
    align: Literal["nearest", "average"] | None = Field(
        None, description="resample onto the reference grid with this method instead of requiring the same grid")

    @field_validator("years", mode="before")
    @classmethod
    def _years(cls, v: Any) -> list[int] | None:
        return parse_years(v)

    @field_validator("band")
    @classmethod
    def _band_number(cls, v: Any) -> Any:
        if isinstance(v, int) and v < 1:
            raise ValueError(f"band numbers start at 1, got {v}")
        return v

    @field_validator("path", mode="before")
    @classmethod
    def _path_keys(cls, v: Any) -> Any:
        if isinstance(v, Mapping):
            return {str(k): str(p) for k, p in v.items()}
        return v

    def listed_years(self) -> list[int]:
        """The years the input lists: ``years:`` and the year keys of a ``path:`` mapping, sorted."""
        have = set(self.years or [])
        if isinstance(self.path, Mapping):
            have |= {int(k) for k in self.path if k.isdigit()}
        return sorted(have)

    def resolved_kind(self) -> InputKind | None:
        if self.kind:
            return self.kind
        sample = self.path if isinstance(self.path, str) else next(iter(self.path.values()), "")
        suffix = Path(sample).suffix.lower()
        if suffix in RASTER_SUFFIXES:
            return "raster"
        if suffix in VECTOR_SUFFIXES:
            return "vector"
        if suffix in TABLE_SUFFIXES:
            return "table"
        return None


class AdminUnits(_Model):
    """Subnational units for per-polygon tables and map outlines."""

    path: str
    id_field: str | None = None
    name_field: str | None = None
    layer: str | None = None


class Country(_Model):
    """Whose indicators: name, boundary polygon(s), optional admin units and official land area."""

    name: str = Field(min_length=1)
    iso3: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    boundary: str = Field(description="vector file with the country's boundary polygon(s)")
    admin_units: AdminUnits | None = None
    land_area_km2: float | None = Field(None, gt=0, description="official national land area (decision D3)")


class RunOptions(_Model):
    """How to run (never what to compute)."""

    chunks: int | Literal["auto"] = Field("auto", description="dask chunk size (pixels per side) or auto")


class RunConfig(_Model):
    """The run configuration (one YAML file)."""

    country: Country
    edition: str | None = Field(None, description="reporting edition, e.g. '2026' (default: the framework's)")
    profile: str | None = Field(None, description="named parameter set in specs/profiles, e.g. trends_earth")
    overlay: str | None = Field(None, description="national overlay YAML merged on the specs")
    specs: str | None = Field(None, description="specs directory (default: the bundled specs)")
    indicators: Literal["all"] | list[str] = Field("all", description="'all' or a list of indicator codes")
    parameters: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="parameter overrides applied after the profile and overlay, by block, "
                                          "e.g. {soc: {climate_factor: 0.8}} (same blocks as an overlay's parameter_overrides)")
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    options: RunOptions = Field(default_factory=RunOptions)

    @field_validator("edition", mode="before")
    @classmethod
    def _edition_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v

    @field_validator("indicators", mode="before")
    @classmethod
    def _codes(cls, v: Any) -> Any:
        if isinstance(v, str) and v != "all":
            v = [v]
        if isinstance(v, list):
            codes = [canonical_code(str(c)) for c in v]
            twice = sorted({c for c in codes if codes.count(c) > 1})
            if twice:
                raise ValueError(f"{', '.join(twice)} listed twice")
            return codes
        return v

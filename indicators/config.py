"""Run configuration: a country's inputs, as one validated YAML file, and the up-front checks.

A run configuration says whose indicators to compute (country name, boundary,
optional admin units and official land area), under which rules (edition,
profile, national overlay) and from which files (one entry per input, with its
path, units, years and source).  :func:`load_config` validates the file with a
pydantic model; :func:`check_inputs` then opens every input's header and
collects *every* problem (missing or unreadable files, units that do not parse
or do not fit, grids that differ, years that do not cover the periods) into one
error whose message has one line per problem, before any computation starts.

Example (paths are relative to the configuration file)::

    country:
      name: Demoland
      boundary: boundary.gpkg
      admin_units: {path: admin.gpkg, id_field: code, name_field: name}
    edition: "2026"
    indicators: all            # or a list: [SO1-4, SO3-1]
    inputs:
      precipitation:
        path: precipitation.nc
        variable: precip
        units: mm/month
        years: 1981-2023
        source: CHIRPS v2.0
      land_cover:
        path: land_cover_{year}.tif
        years: [2000, 2015, 2019, 2023]
        source: ESA CCI LC
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import IndicatorsError, InputError, SpecError
from .specs.base_model import canonical_code

RASTER_SUFFIXES = (".tif", ".tiff", ".nc", ".nc4", ".vrt", ".img", ".grib", ".zarr")
VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml")
TABLE_SUFFIXES = (".csv", ".tsv", ".xlsx")

InputKind = Literal["raster", "vector", "table"]

#: inputs a run configuration may hold that no computation reads yet (recorded in the provenance)
RECORDED_INPUTS: tuple[str, ...] = ("land_cover_national",)

#: The input names the indicators of this version read (docs/user-guide.md §3.1), with what each holds.
#: A configured input outside this list (and outside what the run's stages need) is reported as a
#: misspelling before anything is computed, instead of being silently ignored.  It is the engine's
#: stage vocabulary (``Stage.inputs``) plus RECORDED_INPUTS; a test keeps the two equal.
INPUT_NAMES: dict[str, str] = {
    "land_cover": "land-cover maps, one per year (SO1-1, SO1-4, SO4-1; land mask of SO3)",
    "land_cover_national": "land cover in the national legend of the overlay (recorded; not read by a computation yet)",
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


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class LoadedConfig:
    """A validated configuration and the directory its relative paths start from."""

    config: RunConfig
    path: Path | None
    base_dir: Path

    def resolve(self, p: str) -> Path:
        """A configured path: relative ones start at :attr:`base_dir`; a URL stays a URL (a
        :class:`indicators.remote.RemotePath`, read by GDAL's virtual file systems or fsspec)."""
        from .remote import as_input_path

        return as_input_path(p, self.base_dir)


def _loc(loc: Iterable[Any]) -> str:
    return ".".join(str(x) for x in loc if not str(x).startswith("function-")) or "(top level)"


#: the forms a configuration string must have, in words (pydantic reports the bare pattern)
PATTERN_WORDS = {"^[A-Z]{3}$": "three capital letters (an ISO 3166-1 alpha-3 code such as KEN, or XAA-XZZ for a "
                                "user-assigned one)"}


def _schema_message(err: Mapping[str, Any]) -> str:
    """One schema problem in the project's words: what was given, what is expected, how to fix it."""
    kind, given = err["type"], err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see docs/user-guide.md for the fields)"
    if kind == "missing":
        return "required field is missing; add it (see docs/user-guide.md for the fields)"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"{given!r} is not valid: give {PATTERN_WORDS.get(pattern, f'a text of the form {pattern}')}"
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type", "int_from_float"):
        return f"{given!r} is not a number; give a number"
    if kind in ("bool_parsing", "bool_type"):
        return f"{given!r} is not true or false; give true or false"
    if kind in ("string_type",):
        return f"{given!r} is not a text; give a text (quote it in YAML)"
    if kind in ("literal_error", "enum"):
        return f"{given!r} is not one of the allowed values: {ctx.get('expected', '')}"
    return err["msg"].removeprefix("Value error, ")


def config_from_mapping(data: Any, *, source: str = "<run config>", base_dir: Path | None = None) -> LoadedConfig:
    """Validate a mapping as a :class:`RunConfig`; every problem becomes one line of a SpecError."""
    if not isinstance(data, Mapping):
        raise SpecError(f"{source}: a run configuration is a YAML mapping (country:, inputs:, …), got {type(data).__name__}")
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            msg = _schema_message(err)
            lines.append(f"{source}: {_loc(err['loc'])}: {msg}")
        raise SpecError(_join(lines, f"{len(lines)} problem(s) in run configuration {source}")) from None
    return LoadedConfig(cfg, None, base_dir or Path.cwd())


def load_config(path: str | Path) -> LoadedConfig:
    """Read and validate a run configuration YAML file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"run configuration {path} does not exist: pass the path of a YAML file (see `indicators demo` for a template)")
    from .safe_yaml import load

    parsed = load(path, what="run configuration")
    if parsed.duplicates:
        loc, line, first = parsed.duplicates[0]
        key = ".".join(str(k) for k in loc)
        raise SpecError(f"{path}:{line}: {key}: this key appears twice in the same mapping (first on line {first}); "
                        "YAML would keep only the last: remove or rename one of them")
    data = parsed.data
    loaded = config_from_mapping(data, source=str(path), base_dir=path.resolve().parent)
    return LoadedConfig(loaded.config, path, path.resolve().parent)


def parameter_overrides(cfg: RunConfig) -> dict[str, dict[str, Any]]:
    """The parameter overrides the run configuration applies on top of the profile and overlay.

    ``parameters:`` as written; and, under ``profile: trends_earth`` with an ``lpd``
    input and no ``ndvi``, ``productivity.method: precomputed_lpd`` (Trends.Earth's
    custom-data mode: a precomputed 5-class LPD is used as given) unless
    ``parameters`` says otherwise.
    """
    out = {k: dict(v) for k, v in cfg.parameters.items()}
    if cfg.profile == "trends_earth" and "lpd" in cfg.inputs and "ndvi" not in cfg.inputs:
        out.setdefault("productivity", {}).setdefault("method", "precomputed_lpd")
    return out


def _join(lines: list[str], head: str) -> str:
    return head + ":\n" + "\n".join(f"  - {line}" for line in lines)


# --------------------------------------------------------------------------- up-front checks


@dataclass(frozen=True)
class Requirement:
    """What a run needs of one input: its kind, a unit it must convert to, the years it must hold."""

    name: str
    kind: InputKind
    units: str | None = None  # expected (dimension-compatible) unit
    years: tuple[int, ...] = ()  # years that must be present
    needed_by: tuple[str, ...] = ()  # indicator codes
    same_grid: bool = True  # rasters: must match the reference grid unless `align` is set


class Problems:
    """Collects problems; :meth:`raise_if_any` raises them together, one line each."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        if line not in self.lines:
            self.lines.append(line)

    def __bool__(self) -> bool:
        return bool(self.lines)

    def raise_if_any(self, head: str, cls: type[IndicatorsError] = InputError) -> None:
        if self.lines:
            raise cls(_join(self.lines, f"{len(self.lines)} problem(s) {head}"))


def input_files(loaded: LoadedConfig, name: str, spec: InputSpec) -> dict[str, Path]:
    """The file of each year/period key of an input (``{"": path}`` for a single file)."""
    if isinstance(spec.path, Mapping):
        return {k: loaded.resolve(p) for k, p in spec.path.items()}
    if "{year}" in spec.path:
        return {str(y): loaded.resolve(spec.path.replace("{year}", str(y))) for y in (spec.years or [])}
    return {"": loaded.resolve(spec.path)}


def _raster_header(path: Path, variable: str | None) -> dict[str, Any]:
    import rasterio

    from .remote import RemotePath

    if isinstance(path, RemotePath) and path.suffix.lower() in (".nc", ".nc4"):
        return _remote_netcdf_header(path, variable)
    target = f"netcdf:{path}:{variable}" if variable and path.suffix.lower() in (".nc", ".nc4") else str(path)
    with rasterio.open(target) as src:
        return {"crs": src.crs, "transform": src.transform, "shape": (src.height, src.width), "count": src.count,
                "units": (src.units[0] if src.units and src.units[0] else None), "tags": src.tags()}


def _remote_netcdf_header(path: Any, variable: str | None) -> dict[str, Any]:
    """The header of a NetCDF input at a URL, read by xarray (GDAL's netCDF driver cannot read URLs)."""
    from .io import open_raster

    da = open_raster(path, variable=variable)
    lead = [d for d in da.dims if d not in ("y", "x")]
    return {"crs": da.rio.crs, "transform": da.rio.transform(recalc=True), "shape": (da.sizes["y"], da.sizes["x"]),
            "count": math.prod(da.sizes[d] for d in lead), "units": da.attrs.get("units"),
            "tags": {k: str(v) for k, v in da.attrs.items()}}


def _netcdf_years(path: Path, variable: str | None) -> list[int] | None:
    """Years covered by a netCDF file's time axis (None when there is none)."""
    from .remote import open_netcdf_dataset

    with open_netcdf_dataset(path, decode_times=True) as ds:
        if "time" not in ds.coords:
            return None
        t = ds["time"]
        try:
            return sorted({int(y) for y in t.dt.year.values})
        except (TypeError, AttributeError):
            return None


def input_name_problems(configured: Iterable[str], requirements: Mapping[str, Requirement],
                        known_names: Iterable[str] | None, src: str) -> list[str]:
    """One line per configured input that no indicator reads: a misspelling, or an input of another tool.

    *known_names* is every input name the run's stages can read; None means the
    built-in vocabulary :data:`INPUT_NAMES`, applied when the run needs only
    built-in names (a run with stages of its own is checked for near-misses only).
    """
    needed = set(requirements)
    strict = known_names is not None or (bool(needed) and needed <= set(INPUT_NAMES))
    known = sorted(set(known_names if known_names is not None else INPUT_NAMES) | needed)
    lines = []
    for name in configured:
        if name in known:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6 if strict else 0.8)
        if not strict and not close:
            continue
        hint = f"did you mean {close[0]!r}? " if close else ""
        lines.append(f"inputs.{name}: no indicator reads an input of this name; {hint}correct the name in {src} "
                     f"or remove the entry (input names: {', '.join(known)})")
    return lines


def check_inputs(loaded: LoadedConfig, requirements: Mapping[str, Requirement],
                 known_names: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Check every required input before computing; raise one InputError listing every problem.

    Checks: every configured input name is one the indicators read
    (:func:`input_name_problems`; *known_names* as there); the boundary and
    admin files exist and read; each required input is
    configured, its files exist and open, its units parse and fit the expected
    dimension, its years cover the years needed; all rasters that must share a
    grid share the reference grid (CRS, transform, shape).

    Returns the header of each raster input (``{name: {"crs", "transform", "shape", ...}}``).
    """
    from .units import check_dimension, parse_unit

    cfg = loaded.config
    problems = Problems()
    src = str(loaded.path) if loaded.path else "run config"

    def vector_ok(label: str, p: Path, field_names: Iterable[str | None] = (), layer: str | None = None) -> None:
        if not p.is_file() and not p.is_dir():
            problems.add(f"{label}: file {p} does not exist; correct the path in {src} ({_relative_note(loaded)})")
            return
        try:
            import pyogrio

            info = pyogrio.read_info(p, layer=layer)
        except Exception as exc:  # pyogrio raises several types
            problems.add(f"{label}: cannot read {p} as a vector file ({str(exc).splitlines()[0]})")
            return
        fields = set(info["fields"].tolist())
        for f in field_names:
            if f and f not in fields:
                problems.add(f"{label}: {p.name} has no field {f!r}; name one of its fields instead "
                             f"(fields: {', '.join(sorted(fields))})")
        if info.get("features", 1) == 0:
            problems.add(f"{label}: {p.name} holds no features")

    for line in input_name_problems(cfg.inputs, requirements, known_names, src):
        problems.add(line)

    vector_ok("country.boundary", loaded.resolve(cfg.country.boundary))
    if cfg.country.admin_units:
        a = cfg.country.admin_units
        vector_ok("country.admin_units", loaded.resolve(a.path), (a.id_field, a.name_field), a.layer)

    headers: dict[str, dict[str, Any]] = {}
    file_headers: list[tuple[str, dict[str, Any]]] = []  # every file of every raster input, not only the first
    for name in sorted(requirements):
        req = requirements[name]
        spec = cfg.inputs.get(name)
        label = f"inputs.{name}"
        if spec is None:
            problems.add(f"{label}: missing, needed by {', '.join(req.needed_by) or 'this run'}; add it to {src}")
            continue
        kind = spec.resolved_kind()
        if kind is None:
            problems.add(f"{label}: cannot tell the kind of {spec.path!r} from its suffix; add kind: raster|vector|table")
            continue
        if kind != req.kind:
            problems.add(f"{label}: is a {kind} file but a {req.kind} is needed")
            continue
        if isinstance(spec.path, str) and "{year}" in spec.path and not spec.years:
            problems.add(f"{label}: path has a {{year}} placeholder but no years: are listed")
            continue
        # units
        if req.units is not None:
            if spec.units is None:
                if kind != "table":
                    problems.add(f"{label}: units missing; declare them (compatible with {req.units!r})")
            else:
                try:
                    parse_unit(spec.units, where=label)
                    check_dimension(spec.units, req.units, where=label)
                except IndicatorsError as exc:
                    problems.add(f"{exc}; set {label}.units to the unit the values are in (e.g. {req.units!r})")
        # years
        if req.years:
            have = set(spec.years or [])
            if isinstance(spec.path, Mapping):
                have |= {int(k) for k in spec.path if k.isdigit()}
            missing = sorted(set(req.years) - have)
            if missing:
                problems.add(f"{label}: years {_year_text(missing)} are needed (by {', '.join(req.needed_by)}) but "
                             f"the input lists {_year_text(sorted(have)) or 'none'}; add those years (years: and their files) "
                             "or leave the indicators that need them out of indicators:")
        if spec.scale_factor is not None and name not in SCALED_INPUTS:
            problems.add(f"{label}: scale_factor is not applied to this input (only to {', '.join(SCALED_INPUTS)}); "
                         "give values in their units or convert the file, and remove scale_factor")
        # files
        files = input_files(loaded, name, spec)
        absent = [key for key, p in files.items() if not p.exists()]
        if len(absent) > 1:
            # one line per input, not one per year: a mistyped template is one mistake
            keys = _year_text([int(k) for k in absent]) if all(k.isdigit() for k in absent) else ", ".join(absent)
            problems.add(f"{label}: {len(absent)} of its {len(files)} files do not exist ({keys}; e.g. {files[absent[0]]}); "
                         f"correct the path in {src} ({_relative_note(loaded)})")
        for key, p in files.items():
            where = f"{label}{'[' + key + ']' if key else ''}"
            if not p.exists():
                if len(absent) == 1:
                    problems.add(f"{where}: file {p} does not exist; correct the path in {src} ({_relative_note(loaded)})")
                continue
            if kind == "raster":
                try:
                    h = _raster_header(p, spec.variable)
                except Exception as exc:
                    reason = None
                    if p.suffix.lower() in (".nc", ".nc4") and p.is_file():
                        from .io import netcdf_problem

                        reason = netcdf_problem(p, spec.variable)
                    if reason is None:
                        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                        if p.is_file() and "No such file" in text:
                            text = f"the file exists ({p.stat().st_size} bytes) but is not a readable raster"
                        reason = f"cannot open {p} as a raster ({text}); give a GeoTIFF or NetCDF file"
                    problems.add(f"{where}: {reason}")
                    continue
                h["path"] = p
                h["label"] = where
                headers.setdefault(name, h)
                file_headers.append((name, h))
                line = _header_problem(where, p, h, spec, single=key != "" or len(spec.years or []) <= 1)
                if line:
                    problems.add(line)
                if spec.band is not None:
                    line = _band_problem(where, p, spec, h["count"], several=key == "")
                    if line:
                        problems.add(line)
                elif key == "" and spec.years and len(spec.years) > 1 and p.suffix.lower() not in (".nc", ".nc4"):
                    if h["count"] != len(spec.years):
                        problems.add(f"{where}: {p.name} has {h['count']} band(s) but {len(spec.years)} years are listed; "
                                     "give one band per year or a {year} path")
                if key == "" and p.suffix.lower() in (".nc", ".nc4") and spec.years:
                    try:
                        nc_years = _netcdf_years(p, spec.variable)
                    except Exception as exc:
                        problems.add(f"{where}: cannot read the time axis of {p.name} ({str(exc).splitlines()[0]})")
                        nc_years = None
                    if nc_years is not None:
                        absent = sorted(set(spec.years) - set(nc_years))
                        if absent:
                            problems.add(f"{where}: {p.name} has no data for years {_year_text(absent)} listed in years:")
            elif kind == "vector":
                vector_ok(where, p, (spec.id_field, *spec.fields.values()))
            else:
                try:
                    with open(p, "rb") as f:
                        head = f.read(4096)
                    if not head.strip():
                        problems.add(f"{where}: {p.name} is empty")
                except OSError as exc:
                    problems.add(f"{where}: cannot read {p} ({exc.strerror})")

    # grids: every file of every raster that must share the grid shares the first one's (each year's file, not
    # only the first: a map of one year half a pixel off would otherwise meet the others inside a computation)
    ref_name = next((n for n in sorted(headers, key=lambda n: (n not in GRID_INPUTS, n))
                     if requirements[n].same_grid and not cfg.inputs[n].align and headers[n]["crs"] is not None), None)
    if ref_name is not None:
        from .errors import GridMismatchError
        from .grid import Grid, check_same_grid

        def grid(h: Mapping[str, Any]) -> Grid:
            from pyproj import CRS

            return Grid(CRS.from_user_input(h["crs"].to_wkt()), h["transform"], h["shape"])

        ref = headers[ref_name]
        for name, h in file_headers:
            if h is ref or h["crs"] is None or not requirements[name].same_grid or cfg.inputs[name].align:
                continue
            try:
                check_same_grid(grid(ref), grid(h), names=[f"{ref['label']} ({ref['path'].name})",
                                                           f"{h['label']} ({h['path'].name})"])
            except GridMismatchError as exc:
                problems.add(f"{exc} (or set align: nearest|average on inputs.{name})")
    if not problems:  # geometry: only once every file opens (read_polygons reads the features)
        ref = headers[ref_name] if ref_name is not None else None
        for line in _polygon_problems(loaded, ref):
            problems.add(line)
    problems.raise_if_any(f"in the inputs of {src}")
    return headers


def _header_problem(where: str, path: Path, h: Mapping[str, Any], spec: InputSpec, *, single: bool) -> str | None:
    """What a raster file's header says is wrong before a cell is read (None if nothing): no CRS, or several
    bands where the input is one map (a file of one year or period, without ``band:``)."""
    if h["crs"] is None:
        return (f"{where}: {path.name} has no CRS (coordinate reference system); the cells cannot be placed on the "
                "map: write the CRS into the file (gdal_edit.py -a_srs EPSG:...) or export it again with one")
    if (single and spec.band is None and h["count"] > 1
            and Path(str(path)).suffix.lower() not in (".nc", ".nc4")):
        return (f"{where}: {path.name} has {h['count']} bands but is one map; give a single-band file, or select the "
                f"band with band: in inputs.{where.split('.', 1)[1].split('[')[0]}")
    return None


def _band_problem(where: str, path: Path, spec: InputSpec, count: int, *, several: bool) -> str | None:
    """What is wrong with *spec*'s band selection in *path* (None if nothing): the run's own resolver."""
    from .te_bands import select_bands

    if isinstance(spec.band, int):
        if spec.band > count:
            return f"{where}: {path.name} has {count} band(s), band {spec.band} does not exist"
        if several and spec.years and len(spec.years) > 1:
            return (f"{where}: band {spec.band} is one map but {len(spec.years)} years are listed; list one year, "
                    "give one file per year ({year} in the path) or select bands by name")
        return None
    try:
        hits = select_bands(path, spec.band.model_dump(), count=count)
    except InputError as exc:
        return f"{where}: {exc}"
    years = [b.year for b in hits]
    if len(hits) > 1 or (several and spec.years and len(spec.years) > 1):
        if not several:
            return f"{where}: {len(hits)} bands match; add year: to band: so that one band is selected"
        if sorted(spec.years or []) != years:
            return (f"{where}: the bands of {path.name} matching the selection hold years {years} but years: lists "
                    f"{spec.years}; list the years the file holds or add year: to band:")
    return None


def _polygon_problems(loaded: LoadedConfig, ref: Mapping[str, Any] | None) -> list[str]:
    """The boundary and admin units read as the run reads them (:func:`indicators.io.read_polygons`: empty,
    duplicate-id, non-polygon features refused; antimeridian crossings split) and checked to overlap the
    extent of *ref*, the header of the reference grid's raster (None: no raster to check against)."""
    import warnings

    from .io import check_polygons_on_grid, read_polygons

    cfg = loaded.config
    files = [("country.boundary", loaded.resolve(cfg.country.boundary), {})]
    if cfg.country.admin_units:
        a = cfg.country.admin_units
        files.append(("country.admin_units", loaded.resolve(a.path),
                      {"id_field": a.id_field, "name_field": a.name_field, "layer": a.layer}))
    ref = ref if ref is not None and ref.get("crs") is not None else None
    lines = []
    for label, path, kwargs in files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # repairs are reported by the run itself
                gdf = read_polygons(path, **kwargs)
            if ref is not None:
                from rasterio.transform import array_bounds

                h, w = ref["shape"]
                west, south, east, north = array_bounds(h, w, ref["transform"])
                check_polygons_on_grid(gdf, ref["crs"].to_wkt(), (west, south, east, north), label=label,
                                       raster=f"the rasters ({ref['path'].name})")
        except InputError as exc:
            text = str(exc)
            lines.append(text if text.startswith(label) else f"{label}: {text}")
    return lines


def _relative_note(loaded: LoadedConfig) -> str:
    return f"relative paths start from {loaded.base_dir}"


def _year_text(years: list[int]) -> str:
    """``[2000, 2001, 2002, 2005]`` → ``2000-2002, 2005``."""
    if not years:
        return ""
    runs, start, prev = [], years[0], years[0]
    for y in years[1:] + [None]:  # type: ignore[list-item]
        if y is not None and y == prev + 1:
            prev = y
            continue
        runs.append(f"{start}-{prev}" if prev != start else f"{start}")
        if y is not None:
            start = prev = y
    return ", ".join(runs)


def resolved_config_text(loaded: LoadedConfig, *, header: str = "") -> str:
    """YAML text of the configuration with every path made absolute (re-runnable from anywhere).

    Written as ``run-config.yaml`` beside a run's outputs: the record of what
    ran, and a template for a country's own configuration.
    """
    cfg = loaded.config
    data = cfg.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    country = data["country"]
    country["boundary"] = str(loaded.resolve(cfg.country.boundary))
    if cfg.country.admin_units:
        country["admin_units"]["path"] = str(loaded.resolve(cfg.country.admin_units.path))
    for key in ("overlay", "specs"):
        value = getattr(cfg, key)
        if value and (key == "specs" or Path(value).suffix.lower() in (".yaml", ".yml")):
            data[key] = str(loaded.resolve(value))
    for name, spec in cfg.inputs.items():
        entry = data["inputs"][name]
        if isinstance(spec.path, Mapping):
            entry["path"] = {k: str(loaded.resolve(p)) for k, p in spec.path.items()}
        else:
            entry["path"] = str(loaded.resolve(spec.path))
        if spec.years and len(spec.years) > 2 and spec.years == list(range(spec.years[0], spec.years[-1] + 1)):
            entry["years"] = f"{spec.years[0]}-{spec.years[-1]}"
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)
    lines = [f"# {line}" if line else "#" for line in header.splitlines()] if header else []
    return ("\n".join(lines) + "\n" if lines else "") + body


def input_locations(loaded: LoadedConfig) -> list[tuple[str, Path, bool]]:
    """What an output directory must keep clear of: ``(label, path, inside)`` for
    :func:`indicators.report.atomic.check_output_location`.

    Every input file (boundary, admin units, each input's files), the overlay, the
    specs directory and the configuration file, which the output may neither be,
    contain nor lie inside; the configuration's folder when inputs live in it, the
    current and the home directory, which the output may neither be nor contain.
    """
    from .specs.loader import specs_dir

    cfg = loaded.config
    out: list[tuple[str, Path, bool]] = [("the country boundary", loaded.resolve(cfg.country.boundary), True)]
    if cfg.country.admin_units:
        out.append(("the admin units", loaded.resolve(cfg.country.admin_units.path), True))
    for name, spec in cfg.inputs.items():
        for key, p in input_files(loaded, name, spec).items():
            out.append((f"input {name}{'[' + key + ']' if key else ''}", p, True))
    if cfg.overlay and Path(cfg.overlay).suffix.lower() in (".yaml", ".yml"):
        out.append(("the overlay", loaded.resolve(cfg.overlay), True))
    out.append(("the specs directory", loaded.resolve(cfg.specs) if cfg.specs else specs_dir(), True))
    out = [entry for entry in out if isinstance(entry[1], Path)]  # an input at a URL is beyond a local output's reach
    if loaded.path is not None:
        config_file = loaded.path.resolve()
        out.append(("the run configuration", config_file, True))
        folder = config_file.parent
        if any(p.resolve().is_relative_to(folder) for label, p, _ in out[:-2] if label != "the specs directory"):
            # be or contain it, not lie inside it: results/ beside the configuration is the usual layout, and an
            # output that is or contains any input is refused above
            out.append(("the configuration's folder (inputs live there)", folder, False))
    out.append(("the current directory", Path.cwd(), False))
    out.append(("the home directory", Path.home(), False))
    return out

"""The up-front checks of a run's inputs: every problem found before any computation, one line each."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import IndicatorsError, InputError
from .headers import netcdf_years, raster_header
from .loading import LoadedConfig, join_lines
from .paths import input_file_paths, input_files
from .schema import GRID_INPUTS, INPUT_NAMES, SCALED_INPUTS, InputKind, InputSpec


@dataclass(frozen=True)
class Requirement:
    """What a run needs of one input: its kind, a unit it must convert to, the years it must hold."""

    name: str
    kind: InputKind
    units: str | None = None  # expected (dimension-compatible) unit
    years: tuple[int, ...] = ()  # years that must be present
    needed_by: tuple[str, ...] = ()  # indicator codes
    same_grid: bool = True  # rasters: must match the reference grid unless `align` is set
    why: tuple[str, ...] = ()  # why those years (the stages' reasons), said when one is missing


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
            raise cls(join_lines(self.lines, f"{len(self.lines)} problem(s) {head}"))


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
                 known_names: Iterable[str] | None = None, warnings: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Check every required input before computing; raise one InputError listing every problem.

    Checks: every configured input name is one the indicators read
    (:func:`input_name_problems`; *known_names* as there); the boundary and
    admin files exist and read; each required input is
    configured, its files exist and open, its units parse and fit the expected
    dimension, its years cover the years needed; all rasters that must share a
    grid share the reference grid (CRS, transform, shape).

    Returns the header of each raster input (``{name: {"crs", "transform", "shape", ...}}``). What the run goes on
    with but says (a polygon repaired or split at the antimeridian) is appended to *warnings*
    (:class:`~indicators.plausibility.InputWarning` lines).
    """
    from ..units import check_dimension, parse_unit

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
            have = spec.listed_years()
            missing = sorted(set(req.years) - set(have))
            if missing:
                why = f"; {'; '.join(req.why)}" if req.why else ""
                problems.add(f"{label}: years {_year_text(missing)} are needed (by {', '.join(req.needed_by)}{why}) but "
                             f"the input lists {_year_text(have) or 'none'}; add those years (years: and their files) "
                             "or leave the indicators that need them out of indicators:")
        if spec.scale_factor is not None and name not in SCALED_INPUTS:
            problems.add(f"{label}: scale_factor is not applied to this input (only to {', '.join(SCALED_INPUTS)}); "
                         "give values in their units or convert the file, and remove scale_factor")
        # files
        files = input_files(loaded, name, spec)
        for line in missing_file_lines(label, files, src, loaded.base_dir):
            problems.add(line)
        for key, p in files.items():
            where = f"{label}{'[' + key + ']' if key else ''}"
            if not p.exists():
                continue
            if kind == "raster":
                try:
                    h = raster_header(p, spec.variable)
                except Exception as exc:
                    reason = None
                    if p.suffix.lower() in (".nc", ".nc4") and p.is_file():
                        from ..io import netcdf_problem

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
                        nc_years = netcdf_years(p, spec.variable)
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
        from ..errors import GridMismatchError
        from ..grid import Grid, check_same_grid

        def grid(h: Mapping[str, Any]) -> Grid:
            from pyproj import CRS

            return Grid(CRS.from_user_input(h["crs"].to_wkt()), h["transform"], h["shape"])

        ref = headers[ref_name]
        off: dict[str, list[str]] = {}  # input -> the line of each of its files off the grid
        for name, h in file_headers:
            if h is ref or h["crs"] is None or not requirements[name].same_grid or cfg.inputs[name].align:
                continue
            try:
                check_same_grid(grid(ref), grid(h), names=[f"{ref['label']} ({ref['path'].name})",
                                                           f"{h['label']} ({h['path'].name})"])
            except GridMismatchError as exc:
                off.setdefault(name, []).append(f"{exc}; or set align: nearest|average on inputs.{name}")
        for name, lines in off.items():  # one line per input: a series of 24 yearly files off the grid is one problem
            files = sum(1 for n, _ in file_headers if n == name)
            problems.add(lines[0] + (f" ({len(lines)} of the {files} files of inputs.{name} are off the grid)"
                                     if len(lines) > 1 else ""))
    if not problems:  # geometry: only once every file opens (read_polygons reads the features)
        ref = headers[ref_name] if ref_name is not None else None
        for line in _polygon_problems(loaded, ref, warnings):
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
    from ..te_bands import select_bands

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


def _polygon_problems(loaded: LoadedConfig, ref: Mapping[str, Any] | None, found: list[str] | None = None) -> list[str]:
    """The boundary and admin units read as the run reads them (:func:`indicators.io.read_polygons`: empty,
    duplicate-id, non-polygon features refused; invalid geometries repaired and antimeridian crossings split, said
    in *found* as InputWarning lines) and checked to overlap the extent of *ref*, the header of the reference grid's
    raster (None: no raster to check against)."""
    import warnings

    from ..io import read_polygons
    from ..io.polygons import overlapping_units
    from ..plausibility import InputWarning

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
            with warnings.catch_warnings(record=True) as said:
                warnings.simplefilter("always", UserWarning)
                gdf = read_polygons(path, **kwargs)
            if found is not None:
                found += [InputWarning(f"{label}: {w.message}") for w in said if issubclass(w.category, UserWarning)]
            if label == "country.admin_units":
                overlap = overlapping_units(gdf)
                if overlap:
                    raise InputError(f"{label}: {path}: {overlap}")
            if ref is not None:
                polygons_on_header(gdf, ref, label=label)
        except InputError as exc:
            text = str(exc)
            lines.append(text if text.startswith(label) else f"{label}: {text}")
    return lines


def polygons_on_header(gdf: Any, ref: Mapping[str, Any], *, label: str) -> None:
    """Refuse polygons (:func:`indicators.io.read_polygons`) of which some miss the extent of the raster whose
    header is *ref* (``crs``, ``transform``, ``shape``, ``path``): an InputError naming *label*, the file and the ids."""
    from rasterio.transform import array_bounds

    from ..io import check_polygons_on_grid

    h, w = ref["shape"]
    west, south, east, north = array_bounds(h, w, ref["transform"])
    check_polygons_on_grid(gdf, ref["crs"].to_wkt(), (west, south, east, north), label=label,
                           raster=f"the rasters ({ref['path'].name})")


def _relative_note(loaded: LoadedConfig) -> str:
    return f"relative paths start from {loaded.base_dir}"


def missing_file_lines(label: str, files: Mapping[str, Path], src: str, base_dir: Path) -> list[str]:
    """The lines for an input's files that do not exist: one per file, or one for the input when several are
    missing (a mistyped ``{year}`` template is one mistake, listing the years)."""
    absent = [key for key, p in files.items() if not p.exists()]
    note = f"relative paths start from {base_dir}"
    if len(absent) > 1:
        keys = _year_text([int(k) for k in absent]) if all(k.isdigit() for k in absent) else ", ".join(absent)
        return [f"{label}: {len(absent)} of its {len(files)} files do not exist ({keys}; e.g. {files[absent[0]]}); "
                f"correct the path in {src} ({note})"]
    return [f"{label}{'[' + key + ']' if key else ''}: file {files[key]} does not exist; correct the path in {src} ({note})"
            for key in absent]


def raw_path_problems(data: Mapping[str, Any], src: str, base_dir: Path) -> list[str]:
    """Files a configuration that failed its schema names but that do not exist, so that one pass reports both
    (issue 12: schema and input problems together): the boundary, the admin units and each input whose own entry
    is valid.  Deeper checks (grids, years, units) need a valid configuration and come after it is corrected."""
    from ..remote import as_input_path

    lines: list[str] = []
    country = data.get("country") if isinstance(data.get("country"), Mapping) else {}
    admin = country.get("admin_units")
    for label, raw in (("country.boundary", country.get("boundary")),
                       ("country.admin_units", admin.get("path") if isinstance(admin, Mapping) else admin)):
        if isinstance(raw, str) and raw:
            p = as_input_path(raw, base_dir)
            if isinstance(p, Path) and not p.exists():
                lines.append(f"{label}: file {p} does not exist; correct the path in {src} (relative paths start from {base_dir})")
    inputs = data.get("inputs") if isinstance(data.get("inputs"), Mapping) else {}
    for name, raw in inputs.items():
        try:
            spec = InputSpec.model_validate(raw)
        except Exception:  # the schema's own line already names this entry
            continue
        files = {k: p for k, p in input_file_paths(spec, lambda q: as_input_path(q, base_dir)).items() if isinstance(p, Path)}
        lines += missing_file_lines(f"inputs.{name}", files, src, base_dir)
    return lines


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

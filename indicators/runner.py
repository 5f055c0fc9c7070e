"""The runner: binds a run configuration and the framework to the compute functions, stage by stage.

A :class:`Stage` computes one family of indicators (e.g. SO3-1 drought hazard)
from named inputs and from the results of earlier stages.  :func:`plan` decides
which stages run — every stage whose inputs are configured, or the ones the
configuration asks for — and lists what is skipped and why; :func:`prepare`
does every check that can fail (configuration, specs, inputs, output
directory) *before* any computation; :func:`execute` runs the stages lazily
with dask (one progress line per stage); :func:`write_outputs` hands the
finished :class:`~indicators.report.model.RunResult` to the writers, into a
temporary directory that replaces the target only when complete.

Compute functions stay pure: the runner opens the files
(:mod:`indicators.io`), takes every parameter from the framework
(:meth:`Framework.parameters`, :meth:`Framework.binding_arguments`) and records
it for the report and provenance.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import (InputKind, InputSpec, LoadedConfig, Problems, Requirement, check_inputs, input_files,
                     parameter_overrides)
from .errors import ComputeError, IndicatorsError, InputError, SpecError
from .progress import Progress
from .report.model import Chart, Choice, RasterOutput, RunResult, Skipped
from .report.tables import Table

# --------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class Need:
    """An input a stage reads: its config name, kind, a compatible unit and the years it must cover."""

    input: str
    kind: InputKind = "raster"
    units: str | None = None
    years: tuple[int, ...] = ()
    same_grid: bool = True


#: a stage's needs given the configured inputs and the framework: a list of Needs, or a skip reason
NeedsFn = Callable[[Mapping[str, InputSpec], Any], "list[Need] | str"]


@dataclass(frozen=True)
class Stage:
    """One family of indicators computed together.

    *modules* must import for the stage to run (a compute module not yet in
    this version makes the stage "not implemented"); *needs* says which inputs
    it reads (or why it cannot run with the configured ones); *after* names
    stages whose results it uses; *run* does the work on a :class:`Context`.
    """

    id: str
    title: str
    indicators: tuple[str, ...]
    modules: tuple[str, ...]
    needs: NeedsFn
    run: Callable[[Context], None]
    after: tuple[str, ...] = ()
    #: optional check of the stage's inputs before anything is computed: (loaded, framework) -> problems
    check: Callable[[LoadedConfig, Any], list[str]] | None = None
    #: every input name the stage may read (its vocabulary: a configured name no stage reads is a misspelling)
    inputs: tuple[str, ...] = ()


def _module_missing(modules: Iterable[str]) -> str | None:
    for m in modules:
        try:
            if importlib.util.find_spec(m) is None:
                return m
        except ModuleNotFoundError:
            return m
    return None


@dataclass
class Plan:
    """What a run will compute: stages in order, requirements per input, skipped indicators."""

    stages: list[Stage]
    requirements: dict[str, Requirement]
    skipped: list[Skipped]
    indicators: list[str]


def plan(loaded: LoadedConfig, framework: Any, stages: Sequence[Stage]) -> Plan:
    """Choose the stages to run and merge their input requirements.

    ``indicators: all`` runs every stage that can run and lists the others as
    skipped with a reason.  An explicit list must be computable in full: any
    requested indicator that cannot be is a problem (raised with all others).
    """
    cfg = loaded.config
    known = [i.code for i in framework.indicators]
    # sub-items (SO5-5.1 …) are reported inside their parent indicator
    top = [i.code for i in framework.indicators if not getattr(i, "parent", None)]
    requested = top if cfg.indicators == "all" else list(cfg.indicators)
    problems = Problems()
    for code in requested:
        if code not in known:
            problems.add(f"indicators: {code!r} is not an indicator of the framework (known: {', '.join(known)})")
    by_id = {s.id: s for s in stages}
    status: dict[str, str | None] = {}  # stage id -> None (runs) or skip reason
    needs_of: dict[str, list[Need]] = {}
    for s in stages:
        missing = _module_missing(s.modules)
        if missing:
            status[s.id] = f"not implemented in this version (compute module {missing} is not available)"
            continue
        blocked = next((a for a in s.after if status.get(a) is not None), None)
        if blocked:
            status[s.id] = f"needs {', '.join(by_id[blocked].indicators)}, which is skipped: {status[blocked]}"
            continue
        needs = s.needs(cfg.inputs, framework)
        if isinstance(needs, str):
            status[s.id] = needs
            continue
        absent = [n.input for n in needs if n.input not in cfg.inputs]
        if absent:
            status[s.id] = f"input{'s' if len(absent) > 1 else ''} {', '.join(absent)} not in the run configuration"
            continue
        status[s.id] = None
        needs_of[s.id] = needs

    # which stages are wanted: those producing requested indicators, plus their prerequisites
    wanted: set[str] = set()

    def want(sid: str) -> None:
        if sid in wanted:
            return
        wanted.add(sid)
        for a in by_id[sid].after:
            want(a)

    for s in stages:
        if any(c in requested for c in s.indicators) and (cfg.indicators != "all" or status[s.id] is None):
            want(s.id)
    chosen = [s for s in stages if s.id in wanted]
    skipped: list[Skipped] = []
    for s in chosen:
        if status[s.id] is not None:
            for c in s.indicators:
                if cfg.indicators == "all" or c in requested:
                    problems.add(f"indicators: {c} cannot be computed: {status[s.id]}")
    covered = {c for s in stages for c in s.indicators}
    computed = [c for c in known if any(c in s.indicators for s in chosen) and c in requested]
    for code in requested:
        if code in computed or code not in known:
            continue
        reason = next((status[s.id] for s in stages if code in s.indicators and status[s.id]), None)
        if reason is None and code not in covered:
            ind = framework.indicator(code)
            reason = (f"reported under {ind.multipurpose_of}" if getattr(ind, "multipurpose_of", None)
                      else "not implemented in this version")
        skipped.append(Skipped(code, reason or "not requested"))
    if cfg.indicators != "all":
        for sk in list(skipped):
            problems.add(f"indicators: {sk.indicator} cannot be computed: {sk.reason}")
    problems.raise_if_any(f"in the indicator selection of {loaded.path or 'the run config'}", SpecError)

    reqs: dict[str, Requirement] = {}
    for s in chosen:
        for n in needs_of[s.id]:
            prev = reqs.get(n.input)
            years = tuple(sorted(set(n.years) | set(prev.years if prev else ())))
            by = tuple(dict.fromkeys((prev.needed_by if prev else ()) + s.indicators))
            reqs[n.input] = Requirement(n.input, n.kind, n.units or (prev.units if prev else None), years, by,
                                        n.same_grid and (prev.same_grid if prev else True))
    return Plan(chosen, reqs, skipped, computed)


# --------------------------------------------------------------------------- context


class Context:
    """What a stage sees: the configuration, the framework, opened inputs, earlier results, the result."""

    def __init__(self, loaded: LoadedConfig, framework: Any, progress: Progress, result: RunResult) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.framework = framework
        self.progress = progress
        self.result = result
        self.shared: dict[str, Any] = {}  # results passed between stages
        self._rasters: dict[str, Any] = {}
        self._reference: Any = None
        self._cache: dict[str, Any] = {}
        self.skips: dict[str, str] = {}
        self.stores: list[Any] = []
        self.scratch: Path | None = None  # parent directory of intermediate rasters (see execute)

    # ---- inputs -------------------------------------------------------------------------
    def spec(self, name: str) -> InputSpec:
        return self.config.inputs[name]

    def has(self, name: str) -> bool:
        return name in self.config.inputs

    def path(self, name: str) -> Path:
        files = input_files(self.loaded, name, self.spec(name))
        if len(files) != 1:
            raise InputError(f"inputs.{name}: expected one file, got {len(files)}")
        return next(iter(files.values()))

    def raster(self, name: str, *, legend: Mapping[int, str] | None = None, long_name: str | None = None,
               year_dim: str = "year", native: bool = False) -> Any:
        """Open input *name* lazily: a (y, x) array, or (year, y, x) when it holds several years.

        With *native* the raster stays on its own grid even when the input sets ``align``
        (e.g. precipitation: the SPI is computed on its grid, the classes are aligned).
        """
        key = f"{name}:native" if native else name
        if key in self._rasters:
            return self._rasters[key]
        import xarray as xr

        from .io import open_raster

        spec = self.spec(name)
        chunks = self.config.options.chunks
        chunks = "auto" if chunks == "auto" else {"x": chunks, "y": chunks}
        kw = dict(units=None if legend is not None else spec.units, nodata=spec.nodata, variable=spec.variable,
                  legend=legend, long_name=long_name, chunks=chunks, band=spec.band)
        files = input_files(self.loaded, name, spec)
        if len(files) > 1 or (files and next(iter(files)) != ""):
            parts = []
            for key, p in files.items():
                a = open_raster(p, name=name, **kw)
                parts.append(a.expand_dims({year_dim: [int(key)] if key.isdigit() else [key]}))
            da = xr.concat(parts, dim=year_dim, combine_attrs="override")
            da.attrs["source"] = ", ".join(str(p) for p in files.values())
        else:
            p = next(iter(files.values()))
            da = open_raster(p, name=name, band_dim_name=year_dim, **kw)
            if year_dim in da.dims and spec.years and da.sizes[year_dim] == len(spec.years):
                da = da.assign_coords({year_dim: list(spec.years)})
            elif "time" in da.dims:
                pass  # netCDF series: the stage reads its time axis
            elif da.ndim == 2 and spec.years and len(spec.years) == 1:
                da = da.expand_dims({year_dim: list(spec.years)})
        if spec.align and not native:
            from .grid import align_to

            da = align_to(self.reference(), da, kind="class" if legend is not None else "continuous")
        elif self._reference is None and spec.align is None and not native and "time" not in da.dims:
            # (a raster read on its own grid, e.g. a precomputed drought index, never defines the common grid)
            self._reference = da.isel({year_dim: 0}, drop=True) if year_dim in da.dims else da
        self._rasters[key] = da
        return da

    #: inputs that define the common grid, in order of preference
    GRID_INPUTS = ("land_cover", "population_total", "lpd", "ndvi", "soc_reference")

    def reference(self) -> Any:
        """The run's common grid (a 2-D raster): the first of GRID_INPUTS that is configured."""
        if self._reference is None:
            for name in self.GRID_INPUTS:
                if self.has(name) and not self.spec(name).align:
                    if name == "land_cover":  # a class raster: opened with its legend (no units to declare)
                        self.land_cover_7()
                    else:
                        self.raster(name)
                    break
            else:
                raise InputError("no raster input defines the grid of this run (land_cover, population_total, …)")
        return self._reference

    def table_path(self, name: str) -> Path:
        return self.path(name)

    # ---- geometry -----------------------------------------------------------------------
    def polygons(self, crs: Any) -> tuple[Any, Any]:
        """Boundary and admin units as GeoDataFrames in *crs* (cached)."""
        key = f"polygons:{crs}"
        if key not in self._cache:
            from .io import read_polygons

            c = self.config.country
            boundary = read_polygons(self.loaded.resolve(c.boundary), to_crs=crs)
            admin = None
            if c.admin_units:
                a = c.admin_units
                admin = read_polygons(self.loaded.resolve(a.path), id_field=a.id_field, name_field=a.name_field,
                                      layer=a.layer, to_crs=crs)
            self._cache[key] = (boundary, admin)
            if self.result.boundary is None:
                self.result.boundary, self.result.admin = boundary, admin
        return self._cache[key]

    def land_cover_7(self) -> Any:
        """Land cover nested into the 7 UNCCD classes (year, y, x), from input ``land_cover`` (cached)."""
        if "lc7" not in self._cache:
            from .so1.land_cover import nest_land_cover

            fw = self.framework
            lc = fw.parameters("land_cover")
            source = fw.legend(lc.source_legend)
            target = fw.legend(lc.legend)
            legend = {c.code: c.name for c in source.classes}
            raw = self.raster("land_cover", legend=legend, long_name=f"land cover ({source.name})")
            nodata = [source.nodata] if source.nodata is not None else []
            self._cache["lc7"] = nest_land_cover(raw, fw.nesting(lc.nesting).model_dump(mode="json"), nodata_codes=nodata,
                                                 names={c.code: c.name for c in target.classes})
        return self._cache["lc7"]

    def land_mask(self, indicator: str, *, year: int | None = None) -> Any:
        """True on land (D3): not inland water in the baseline's first land-cover year; None without land cover.

        With the specs' ``land_area.water_year: each_period``, *year* (a period's first land-cover
        year) gives that year's water instead; without *year* it is the baseline's.
        """
        if not self.has("land_cover"):
            return None
        fw = self.framework
        la = fw.parameters("land_area")
        base = int(fw.period("baseline").land_cover.initial)
        each = la.water_year == "each_period"
        year = int(year) if each and year is not None else base
        key = f"land_mask:{year}"
        if key not in self._cache:
            lc7 = self.land_cover_7()
            if year not in [int(v) for v in lc7["year"].values]:
                which = "the baseline's first year" if year == base else "a period's first year"
                raise InputError(f"inputs.land_cover: no layer for {year}, {which}, which defines inland water (D3)")
            self._cache[key] = (lc7.sel(year=year, drop=True) != la.water_class).rename("land_mask")
        when = "each period's first land-cover year" if each else "the baseline's first land-cover year"
        self.choose(indicator, "D3", "Total land area: valid cells inside the boundary minus inland water "
                    f"(class {la.water_class} in {when}).")
        return self._cache[key]

    # ---- parameters and results -----------------------------------------------------------
    def params(self, indicator: str, block: str) -> Any:
        """The framework's parameter block *block*, recorded for *indicator* in the report."""
        value = self.framework.parameters(block)
        dumped = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
        rec = self.result.parameters.setdefault(indicator, {})
        if isinstance(dumped, Mapping):
            for k, v in dumped.items():
                if k not in ("source", "note"):
                    rec[f"{block}.{k}"] = v
        else:
            rec[block] = dumped
        return value

    def record(self, indicator: str, name: str, value: Any) -> None:
        self.result.parameters.setdefault(indicator, {})[name] = value

    def choose(self, indicator: str, decision: str, text: str) -> None:
        choice = Choice(indicator, decision, text)
        if choice not in self.result.choices:  # a helper called per period or year states its choice once
            self.result.choices.append(choice)

    def add_raster(self, out: RasterOutput) -> None:
        self.result.rasters.append(out)

    def add_table(self, table: Table) -> None:
        if table.id in self.result.tables:
            raise IndicatorsError(f"internal: table {table.id} produced twice")
        self.result.tables[table.id] = table

    def add_chart(self, chart: Chart) -> None:
        self.result.charts.append(chart)

    def compute(self, *objs: Any) -> tuple[Any, ...]:
        return self.progress.compute(*objs)

    def compute_tables(self, *items: Any) -> list[Any]:
        """:func:`indicators.summarize.compute_tables` (pending tables and other dask results in one pass), with
        the progress bar."""
        from .summarize import compute_tables

        if self.progress.quiet or self.progress.client is not None:
            return compute_tables(*items)
        from dask.diagnostics import ProgressBar

        with ProgressBar(minimum=1.0, out=self.progress.stream):
            return compute_tables(*items)

    def keep(self, store: Any) -> None:
        """Keep a :class:`~indicators.io.RasterStore` (its files back result rasters) until :func:`release`."""
        self.stores.append(store)

    def skip(self, indicator: str, reason: str) -> None:
        """Mark an indicator of the running stage as not computed (e.g. its input holds no rows for it)."""
        self.skips[indicator] = reason

    def produced(self, indicator: str) -> bool:
        r = self.result
        return (any(t.indicator == indicator for t in r.tables.values()) or any(x.indicator == indicator for x in r.rasters)
                or any(c.indicator == indicator for c in r.charts))


# --------------------------------------------------------------------------- prepare / execute / write


@dataclass
class Prepared:
    """A run that passed every up-front check: ready to execute."""

    loaded: LoadedConfig
    framework: Any
    plan: Plan
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)


def default_specs_dir() -> Path:
    """The specs directory used when the configuration names none."""
    from .specs.loader import specs_dir

    return specs_dir()


def load_run_framework(loaded: LoadedConfig) -> Any:
    """The framework for the configuration's edition, profile and overlay (SpecError if invalid)."""
    from . import load_framework

    cfg = loaded.config
    overlay = None
    if cfg.overlay:
        # a path to a file, or the id of an overlay among the specs' overlays
        p = loaded.resolve(cfg.overlay)
        overlay = p if p.suffix.lower() in (".yaml", ".yml") or p.exists() else cfg.overlay
    return load_framework(cfg.edition, cfg.profile, overlay, specs=loaded.resolve(cfg.specs) if cfg.specs else None,
                          parameters=parameter_overrides(cfg), parameters_source=f"{loaded.path or 'run config'}: parameters")


def prepare(loaded: LoadedConfig, *, stages: Sequence[Stage] | None = None, framework: Any = None) -> Prepared:
    """Every check before computing: specs, selection, inputs (all problems raised together)."""
    fw = framework if framework is not None else load_run_framework(loaded)
    stages = STAGES if stages is None else stages
    p = plan(loaded, fw, stages)
    headers = check_inputs(loaded, p.requirements, known_names=input_vocabulary(stages))
    problems = Problems()
    for stage in p.stages:
        if stage.check is not None:
            for line in stage.check(loaded, fw):
                problems.add(line)
    problems.raise_if_any(f"in the inputs of {loaded.path or 'the run config'}")
    return Prepared(loaded, fw, p, headers)


def input_vocabulary(stages: Sequence[Stage]) -> set[str] | None:
    """Every input name the stages may read, plus the inputs recorded but not read (config.RECORDED_INPUTS);
    None when a stage does not declare its inputs (then only near-misses of the built-in names are flagged)."""
    from .config import RECORDED_INPUTS

    if not stages or not all(s.inputs for s in stages):
        return None
    return {n for s in stages for n in s.inputs} | set(RECORDED_INPUTS)


def execute(prep: Prepared, *, quiet: bool = False, client: Any = None, stream: Any = None,
            scratch: str | os.PathLike | None = None) -> RunResult:
    """Run the planned stages; return the finished result (nothing written yet).

    *scratch* is where intermediate rasters go (default: the system's temporary directory); with a
    distributed *client* it must be a directory the cluster's workers can write to."""
    cfg = prep.loaded.config
    fw = prep.framework
    result = RunResult(country=cfg.country.name, edition=str(fw.edition), profile=getattr(fw.profile, "id", None))
    result.indicators = list(prep.plan.indicators)
    result.titles = {i.code: _indicator_name(i, fw) for i in fw.indicators}
    result.skipped = list(prep.plan.skipped)
    progress = Progress(len(prep.plan.stages), quiet=quiet, stream=stream, client=client)
    ctx = Context(prep.loaded, fw, progress, result)
    ctx.scratch = None if scratch is None else Path(scratch)
    t0 = time.perf_counter()
    for stage in prep.plan.stages:
        with progress.stage(stage.title):
            stage.run(ctx)
    # an indicator of a stage that produced nothing for it is skipped, with the stage's reason
    for code in list(result.indicators):
        if code in ctx.skips or not ctx.produced(code):
            result.indicators.remove(code)
            result.skipped.append(Skipped(code, ctx.skips.get(code, "none of its inputs is in the run configuration")))
    order = {i.code: n for n, i in enumerate(fw.indicators)}
    result.skipped.sort(key=lambda s: order.get(s.indicator, len(order)))
    result.timings = dict(progress.timings)
    result.timings["total compute"] = round(time.perf_counter() - t0, 3)
    # temporary files behind some result rasters: they live as long as the result, or until release(result)
    result.__dict__["_stores"] = ctx.stores
    return result


def release(result: RunResult) -> None:
    """Remove the temporary files behind the result's rasters (after writing them); the rasters are unusable then."""
    for store in result.__dict__.pop("_stores", []):
        store.close()


def _indicator_name(ind: Any, fw: Any) -> str:
    by = getattr(ind, "name_by_edition", None) or {}
    return str(by.get(str(fw.edition), ind.name))


def write_outputs(result: RunResult, prep: Prepared, out_dir: Path, *, config_text: str | None = None) -> list[Path]:
    """Write rasters, tables, report.html and provenance.json into *out_dir* (an empty directory)."""
    from .report.page import write_report
    from .report.provenance import write_json
    from .report.rasters import write_cogs
    from .report.tables import write_tables

    t0 = time.perf_counter()
    written: list[Path] = []
    for r in result.rasters:
        if r.legend:
            _check_legend_matches_flags(r)
        colors = {e.code: e.color for e in r.legend} if r.legend else None
        paths = write_cogs(r.data, out_dir / r.indicator / f"{r.name}.tif", colors=colors, extra_tags={"indicator": r.indicator})
        written += [p.relative_to(out_dir) for p in paths]
    meta = {"country": result.country, "edition": result.edition, "profile": result.profile}
    written += write_tables(result.tables, out_dir, meta=meta)
    write_report(result, out_dir / "report.html")
    written.append(Path("report.html"))
    if config_text is not None:
        (out_dir / "run-config.yaml").write_text(config_text, encoding="utf-8")
        written.append(Path("run-config.yaml"))
    result.timings["write outputs"] = round(time.perf_counter() - t0, 3)
    prov = provenance(result, prep, written)
    write_json(prov, out_dir / "provenance.json")
    written.append(Path("provenance.json"))
    return written


def provenance(result: RunResult, prep: Prepared, written: Sequence[Path]) -> dict[str, Any]:
    """The provenance record: software, specs hash, parameters, inputs with checksums, timings."""
    from .report.provenance import sha256_file, sha256_files, software_versions

    loaded, fw = prep.loaded, prep.framework
    cfg = loaded.config
    inputs: dict[str, Any] = {}
    for name in sorted(prep.plan.requirements):
        spec = cfg.inputs[name]
        files = input_files(loaded, name, spec)
        inputs[name] = {
            "files": {k or name: {"path": str(p), "sha256": sha256_file(p), "bytes": p.stat().st_size}
                      for k, p in files.items() if p.is_file()},
            "units": spec.units, "years": spec.years, "source": spec.source,
            "needed_by": list(prep.plan.requirements[name].needed_by),
        }
    geo = {"boundary": loaded.resolve(cfg.country.boundary)}
    if cfg.country.admin_units:
        geo["admin_units"] = loaded.resolve(cfg.country.admin_units.path)
    for k, p in geo.items():
        if p.is_file():
            inputs[f"country.{k}"] = {"files": {k: {"path": str(p), "sha256": sha256_file(p), "bytes": p.stat().st_size}}}
    specs_dir = loaded.resolve(cfg.specs) if cfg.specs else default_specs_dir()
    spec_files = sorted(specs_dir.rglob("*.yaml")) if specs_dir.is_dir() else []
    overlay_file = loaded.resolve(cfg.overlay) if cfg.overlay else None
    return {
        "software": software_versions(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else None,
        "config": {"path": str(loaded.path) if loaded.path else None,
                   "sha256": sha256_file(loaded.path) if loaded.path and loaded.path.is_file() else None,
                   "content": cfg.model_dump(mode="json", exclude_none=True)},
        "specs": {
            "framework_hash": fw.spec_hash() if hasattr(fw, "spec_hash") else None,
            "files_hash": sha256_files(spec_files, root=specs_dir) if spec_files else None,
            "directory": str(specs_dir),
            "edition": result.edition,
            "profile": result.profile,
            "overlay": getattr(getattr(fw, "overlay", None), "id", None),
            "overlay_sha256": sha256_file(overlay_file) if overlay_file and overlay_file.is_file() else None,
        },
        "indicators": {"computed": result.indicators,
                       "skipped": [{"indicator": s.indicator, "reason": s.reason} for s in result.skipped]},
        "parameters": result.parameters,
        "parameter_blocks": fw.blocks.model_dump(mode="json") if hasattr(fw, "blocks") else None,
        "choices": [{"indicator": c.indicator, "decision": c.decision, "text": c.text} for c in result.choices],
        "inputs": inputs,
        "outputs": sorted(str(p) for p in written),
        "timings_s": result.timings,
        "started_at": result.provenance.get("started_at"),
    }


#: how long to wait for a dask scheduler before reporting it unreachable
CONNECT_TIMEOUT = "10s"

#: GDAL block cache of a run, MiB: the stages stream their inputs once, so a larger cache only takes memory
#: (benchmarks/bench_sdg.py); a GDAL_CACHEMAX set by the user wins
GDAL_CACHE_MB = 64


@contextmanager
def gdal_cache(mb: int = GDAL_CACHE_MB) -> Iterator[None]:
    """``GDAL_CACHEMAX`` = *mb* for the duration of a run, unless the environment sets it."""
    if "GDAL_CACHEMAX" in os.environ:
        yield
        return
    os.environ["GDAL_CACHEMAX"] = str(int(mb))
    try:
        yield
    finally:
        os.environ.pop("GDAL_CACHEMAX", None)


def connect(scheduler: str | None) -> Any:
    """A dask.distributed Client for *scheduler* (an address such as tcp://host:8786), or None."""
    if not scheduler:
        return None
    try:
        from distributed import Client

        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=True)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler {scheduler}: cannot connect to the dask scheduler ({exc}); check the address") from None


def run_to_directory(loaded: LoadedConfig, out: str | os.PathLike, *, overwrite: bool = False, quiet: bool = False,
                     scheduler: str | None = None, stages: Sequence[Stage] | None = None,
                     config_text: str | None = None, stream: Any = None, framework: Any = None) -> RunResult:
    """Check everything, compute, and write *out* atomically. The whole of ``indicators run``."""
    with gdal_cache():
        return _run_to_directory(loaded, out, overwrite=overwrite, quiet=quiet, scheduler=scheduler, stages=stages,
                                 config_text=config_text, stream=stream, framework=framework)


def _run_to_directory(loaded: LoadedConfig, out: str | os.PathLike, *, overwrite: bool, quiet: bool, scheduler: str | None,
                      stages: Sequence[Stage] | None, config_text: str | None, stream: Any, framework: Any) -> RunResult:
    from datetime import datetime, timezone

    from .report.atomic import atomic_output_dir, check_output_dir

    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    check_output_dir(out, overwrite=overwrite)
    # a wrong scheduler address is reported before the inputs are read
    client = connect(scheduler)
    try:
        prep = prepare(loaded, stages=stages, framework=framework)
        # with a cluster, intermediate rasters go beside the output: workers that write the output's
        # file system can write them (the system's temporary directory is private to this machine)
        scratch = Path(out).resolve().parent if client is not None else None
        result = execute(prep, quiet=quiet, client=client, stream=stream, scratch=scratch)
        result.provenance["started_at"] = started
        if scheduler:
            result.provenance["scheduler"] = scheduler
        try:
            with atomic_output_dir(out, overwrite=overwrite) as tmp:
                write_outputs(result, prep, tmp, config_text=config_text)
        finally:
            release(result)
    finally:
        if client is not None:
            client.close()
    return result


# --------------------------------------------------------------------------- the stages of this version

STAGES: list[Stage] = []


def _stage_needs(*names: str, kind: InputKind = "table", units: str | None = None) -> NeedsFn:
    def needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need]:
        return [Need(n, kind, units, same_grid=False) for n in names]

    return needs


def _edition_span(fw: Any) -> tuple[int, int]:
    """First and last year of the edition's periods (the span annual series must cover)."""
    periods = fw.periods()
    return (min(p.years[0] for p in periods), max(p.years[1] for p in periods))


def _series(ctx: Context, indicator: str) -> Any:
    """The ``series`` parameter block (gap rule, ranges, qualitative trend), recorded for *indicator*."""
    return ctx.params(indicator, "series")


def _trend_args(p: Any) -> dict[str, Any]:
    return {"trend_tolerance": p.trend_tolerance, "trend_method": p.trend_method}


_TABLE_TITLES = {
    "series": "Annual series", "trend": "Qualitative trend (Tier 1) with Mann-Kendall and Sen extras",
    "gaps": "Missing years", "checks": "Consistency checks", "flows": "Tier 2 activity table (USD)",
    "per_kba": "Coverage of each KBA", "repairs": "Geometries repaired", "excluded": "Protected areas left out",
    "change": "Change between periods", "narrative": "Narrative answers",
    "poverty": "Population below the international poverty line (%)", "gini": "Income inequality (Gini index, 0-100)",
}


#: PRAIS reporting-table ids (methodology Part B §1.2) of the frames a table indicator returns;
#: frames without one keep a descriptive id ``<indicator>.<key>`` (docs/user-guide.md §5.1)
PRAIS_TABLE_IDS: dict[tuple[str, str], str] = {
    ("SO2-1", "poverty"): "T1", ("SO2-1", "gini"): "T2", ("SO2-1", "trend"): "T3",
    ("SO2-2", "series"): "T1", ("SO2-2", "trend"): "T2",
    ("SO4-2", "series"): "T1", ("SO4-2", "trend"): "T2",
    ("SO4-3", "series"): "T1", ("SO4-3", "trend"): "T2",
}


def _add_frames(ctx: Context, indicator: str, frames: Mapping[str, Any], *, prefix: str = "") -> None:
    """Add the DataFrames a table indicator returns as reporting tables: ``<indicator>.T<n>`` where PRAIS
    has a table for them (:data:`PRAIS_TABLE_IDS`), else ``<indicator>.<key>``."""
    for key, df in frames.items():
        if df is None or (key in ("gaps", "checks", "repairs", "excluded") and df.empty):
            continue
        units = {str(k): str(v) for k, v in (df.attrs.get("units") or {}).items()}
        frame = df.reset_index(drop=True)
        frame.attrs = {}
        tid = PRAIS_TABLE_IDS.get((indicator, f"{prefix}{key}"), f"{prefix}{key}")
        title = _TABLE_TITLES.get(key, key.replace("_", " "))
        ctx.add_table(Table(f"{indicator}.{tid}", title, frame, units={k: v for k, v in units.items() if k in frame.columns}))


def _series_chart(ctx: Context, indicator: str, frame: Any, columns: Sequence[str], title: str, ylabel: str,
                  *, by: str | None = None) -> None:
    """Line chart of *columns* over ``year`` (one line per column, or per *by* value for one column)."""
    f = frame
    if by is not None and by in f.columns:
        if len(columns) != 1:
            f = f[f[by] == f[by].iloc[0]]
            title = f"{title} ({f[by].iloc[0]})"
            data = f.set_index("year")[list(columns)]
        else:
            data = f.pivot_table(index="year", columns=by, values=columns[0], aggfunc="first")
    else:
        data = f.set_index("year")[list(columns)]
    data = data.dropna(axis=1, how="all")
    if data.empty:
        return
    ctx.add_chart(Chart(indicator, title, data.sort_index(), ylabel=ylabel))


def _table_schema(fw: Any, name: str) -> Any:
    """The schema (columns, types, ranges from the specs) of the table input *name* of SO2, SO4 or SO5."""
    if name in ("so2_1_poverty", "so2_2_water"):
        from .so2.people import poverty_table_schema, water_table_schema

        rng = tuple(fw.parameters("series").percent_range)
        return poverty_table_schema(rng) if name == "so2_1_poverty" else water_table_schema(rng)
    if name == "so4_2_red_list":
        from .so4.red_list import red_list_table_schema

        return red_list_table_schema(tuple(fw.parameters("red_list").value_range))
    if name == "so4_3_kba_coverage":
        from .so4.protected_areas import coverage_table_schema

        return coverage_table_schema(tuple(fw.parameters("series").percent_range))
    from .so5.finance import EXCHANGE_RATE_SCHEMA, flows_table_schema, narrative_table_schema

    if name == "so5_flows":
        return flows_table_schema(tuple(dict(fw.parameters("so5").rio_marker_weights)))
    if name == "exchange_rates":
        return EXCHANGE_RATE_SCHEMA
    if name == "so5_5_narrative":
        return narrative_table_schema(tuple(i.code for i in fw.indicators if getattr(i, "parent", None) == "SO5-5"))
    raise IndicatorsError(f"internal: no table schema for input {name!r}")


def _input_table(loaded: LoadedConfig, fw: Any, name: str) -> Any:
    """Table input *name* read and checked against its schema (:func:`indicators.tables.read_table`)."""
    from .tables import read_table

    files = input_files(loaded, name, loaded.config.inputs[name])
    if len(files) != 1:
        raise InputError(f"inputs.{name}: expected one table file, got {len(files)}")
    return read_table(next(iter(files.values())), _table_schema(fw, name))


def _tables_check(names: Sequence[str]) -> Callable[[LoadedConfig, Any], list[str]]:
    """A stage check reading the stage's (small) table inputs with their schemas before anything is computed,
    so a bad value fails ``indicators run --check`` and stops a run before any stage computes."""

    def check(loaded: LoadedConfig, fw: Any) -> list[str]:
        problems = []
        for name in names:
            if name in loaded.config.inputs:
                try:
                    _input_table(loaded, fw, name)
                except IndicatorsError as exc:
                    text = str(exc)
                    problems.append(text if text.startswith(f"inputs.{name}") else f"inputs.{name}: {text}")
        return problems

    return check


def _run_so2_tables(ctx: Context) -> None:
    from .so2.people import drinking_water_indicator, poverty_indicator

    fw = ctx.framework
    years = _edition_span(fw)
    if ctx.has("so2_1_poverty"):
        p = _series(ctx, "SO2-1")
        args = fw.binding_arguments("SO2-1.poverty")
        ctx.record("SO2-1", "poverty_line_usd_per_day", args["poverty_line_usd_per_day"])
        ctx.record("SO2-1", "ppp_year", args["ppp_year"])
        ctx.record("SO2-1", "years", list(years))
        table = _input_table(ctx.loaded, fw, "so2_1_poverty")
        out = poverty_indicator(table, **args, value_range=tuple(p.percent_range), years=years, allow_gaps=p.allow_gaps,
                                **_trend_args(p))
        _add_frames(ctx, "SO2-1", _split_poverty_gini(out))
        _series_chart(ctx, "SO2-1", out["series"], ["below_poverty_line_pct"], "Population below the poverty line", "%", by="scope")
    if ctx.has("so2_2_water"):
        p = _series(ctx, "SO2-2")
        ctx.record("SO2-2", "years", list(years))
        table = _input_table(ctx.loaded, fw, "so2_2_water")
        out = drinking_water_indicator(table, **fw.binding_arguments("SO2-2.safe_drinking_water"), value_range=tuple(p.percent_range),
                                       years=years, allow_gaps=p.allow_gaps, **_trend_args(p))
        _add_frames(ctx, "SO2-2", out)
        cols = [c for c in ("safely_managed_water_total_pct", "safely_managed_water_urban_pct", "safely_managed_water_rural_pct")
                if c in out["series"].columns]
        _series_chart(ctx, "SO2-2", out["series"], cols, "Safely managed drinking water", "%", by="scope")


def _split_poverty_gini(out: Mapping[str, Any]) -> dict[str, Any]:
    """SO2-1's series as PRAIS has it: the poverty share (T1) and the Gini index (T2, when given) apart."""
    frames = dict(out)
    series = frames.pop("series")
    keys = [c for c in ("scope", "year") if c in series.columns]
    gini = [c for c in series.columns if c.startswith("gini")]
    poverty = series.drop(columns=gini)
    poverty.attrs = dict(series.attrs)
    split = {"poverty": poverty}
    if gini and series[gini].notna().any().any():
        g = series[keys + gini].dropna(subset=gini, how="all")
        g.attrs = dict(series.attrs)
        split["gini"] = g
    return {**split, **frames}


def _so2_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    have = [n for n in ("so2_1_poverty", "so2_2_water") if n in inputs]
    return [Need(n, "table", same_grid=False) for n in have] or "inputs so2_1_poverty / so2_2_water not in the run configuration"


def _run_so4_tables(ctx: Context) -> None:
    from .so4.protected_areas import kba_protected_coverage, kba_protected_coverage_from_table
    from .so4.red_list import red_list_index_indicator

    years = _edition_span(ctx.framework)
    if ctx.has("so4_2_red_list"):
        p = _series(ctx, "SO4-2")
        rng = tuple(ctx.params("SO4-2", "red_list").value_range)
        ctx.record("SO4-2", "years", list(years))
        table = _input_table(ctx.loaded, ctx.framework, "so4_2_red_list")
        out = red_list_index_indicator(table, value_range=rng, years=years, allow_gaps=p.allow_gaps, **_trend_args(p))
        _add_frames(ctx, "SO4-2", out)
        _series_chart(ctx, "SO4-2", out["series"], ["rli", "rli_lower", "rli_upper"], "Red List Index", "RLI (0-1)")
    kba_ok = ctx.has("kba") and ctx.has("protected_areas") and "establishment_year" in ctx.spec("protected_areas").fields
    if kba_ok:
        p = _series(ctx, "SO4-3")
        kb = ctx.params("SO4-3", "kba")
        ks, ps = ctx.spec("kba"), ctx.spec("protected_areas")
        # all attributes are needed (establishment year); the compute function repairs and reports geometries
        kba, pa = _read_all_fields(ctx.path("kba")), _read_all_fields(ctx.path("protected_areas"))
        out = kba_protected_coverage(kba, pa, years=list(range(years[0], years[1] + 1)), kba_id_field=ks.id_field or "id",
                                     establishment_year_field=ps.fields["establishment_year"], protected_area_id_field=ps.id_field,
                                     unknown_year=kb.unknown_year, unknown_year_values=list(kb.unknown_year_values),
                                     area_crs=None, **_trend_args(p))
        ctx.choose("SO4-3", "D4", "KBA and protected-area areas are geodesic areas on the WGS84 ellipsoid.")
        _add_frames(ctx, "SO4-3", out)
        _series_chart(ctx, "SO4-3", out["series"], ["mean_coverage_pct"], "Mean KBA coverage by protected areas", "%")
    elif ctx.has("so4_3_kba_coverage"):
        p = _series(ctx, "SO4-3")
        table = _input_table(ctx.loaded, ctx.framework, "so4_3_kba_coverage")
        out = kba_protected_coverage_from_table(table, value_range=tuple(p.percent_range), years=years, allow_gaps=p.allow_gaps,
                                                **_trend_args(p))
        _add_frames(ctx, "SO4-3", out)
        _series_chart(ctx, "SO4-3", out["series"], ["mean_coverage_pct"], "Mean KBA coverage by protected areas", "%")


def _read_all_fields(path: Path) -> Any:
    import geopandas as gpd

    return gpd.read_file(path, engine="pyogrio")


def _so4_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    needs = [Need("so4_2_red_list", "table", same_grid=False)] if "so4_2_red_list" in inputs else []
    if "kba" in inputs and "protected_areas" in inputs and "establishment_year" in inputs["protected_areas"].fields:
        needs += [Need("kba", "vector", same_grid=False), Need("protected_areas", "vector", same_grid=False)]
    elif "so4_3_kba_coverage" in inputs:
        needs.append(Need("so4_3_kba_coverage", "table", same_grid=False))
    return needs or "inputs so4_2_red_list / kba + protected_areas / so4_3_kba_coverage not in the run configuration"


def _run_so5(ctx: Context) -> None:
    from .so5.finance import future_support_narrative, resource_flows_indicator

    fw = ctx.framework
    if ctx.has("so5_flows"):
        p = _series(ctx, "SO5-1")
        s5 = ctx.params("SO5-1", "so5")
        weights = dict(s5.rio_marker_weights)
        flows = _input_table(ctx.loaded, fw, "so5_flows")
        rates = _input_table(ctx.loaded, fw, "exchange_rates")
        out = resource_flows_indicator(flows, exchange_rates=rates, rio_marker_weights=weights, unmarked_weight=s5.unmarked_weight,
                                       **_trend_args(p))
        series, trend = out["series"], out["trend"]
        for code in ("SO5-1", "SO5-2", "SO5-3", "SO5-4"):
            if code not in set(series["indicator"]):
                ctx.skip(code, f"the flows table {ctx.path('so5_flows').name} has no {code} rows")
        for code in sorted(set(series["indicator"])):
            part = {"series": series[series["indicator"] == code], "trend": trend[trend["indicator"] == code]}
            for k, v in part.items():
                v.attrs = dict(out[k].attrs)
            _add_frames(ctx, code, part)
            s = part["series"]
            if not s.empty:
                data = s.pivot_table(index="year", columns="direction", values="disbursed_usd", aggfunc="sum")
                ctx.add_chart(Chart(code, f"{code} disbursed resources by direction (USD, Rio-marker weighted)", data.sort_index(), ylabel="USD"))
            if code != "SO5-1":
                ctx.result.parameters.setdefault(code, {}).update(ctx.result.parameters.get("SO5-1", {}))
        _add_frames(ctx, "SO5-1", {"flows": out["flows"]}, prefix="tier2_")
    if ctx.has("so5_5_narrative"):
        items = {i.code: i.name for i in fw.indicators if i.parent == "SO5-5"}
        ctx.record("SO5-5", "sub_items", sorted(items))
        table = _input_table(ctx.loaded, fw, "so5_5_narrative")
        _add_frames(ctx, "SO5-5", {"narrative": future_support_narrative(table, sub_items=items)})


def _so5_indicators_computed(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    needs = []
    if "so5_flows" in inputs:
        needs += [Need("so5_flows", "table", same_grid=False), Need("exchange_rates", "table", same_grid=False)]
    if "so5_5_narrative" in inputs:
        needs.append(Need("so5_5_narrative", "table", same_grid=False))
    return needs or "inputs so5_flows / so5_5_narrative not in the run configuration"


SO2_TABLES = ("so2_1_poverty", "so2_2_water")
SO4_TABLES = ("so4_2_red_list", "so4_3_kba_coverage")
SO5_TABLES = ("so5_flows", "exchange_rates", "so5_5_narrative")

STAGES.extend([
    Stage("so2_tables", "SO2-1, SO2-2 national statistics", ("SO2-1", "SO2-2"), ("indicators.so2.people",), _so2_needs, _run_so2_tables,
          check=_tables_check(SO2_TABLES), inputs=SO2_TABLES),
    Stage("so4_tables", "SO4-2 Red List Index, SO4-3 KBA coverage", ("SO4-2", "SO4-3"),
          ("indicators.so4.red_list", "indicators.so4.protected_areas"), _so4_needs, _run_so4_tables,
          check=_tables_check(SO4_TABLES), inputs=(*SO4_TABLES, "kba", "protected_areas")),
    Stage("so5", "SO5 resources (USD) and future support", ("SO5-1", "SO5-2", "SO5-3", "SO5-4", "SO5-5"),
          ("indicators.so5.finance",), _so5_indicators_computed, _run_so5, check=_tables_check(SO5_TABLES), inputs=SO5_TABLES),
])


# ---- SO3 drought -------------------------------------------------------------------------


def _legend_entries(legend: Any, codes: Sequence[int] | None = None) -> list[Any]:
    """Legend entries (code, name, colour) of a spec legend, in code order (grey when no colour)."""
    from .report.figures import LegendEntry

    classes = sorted(legend.classes, key=lambda c: c.code)
    return [LegendEntry(c.code, c.name, c.color or "#999999") for c in classes if codes is None or c.code in codes]


def _drought_classification(ctx: Context) -> dict[str, Any]:
    """Breaks, codes, boundary rule and names of the drought classes, from the specs."""
    fw = ctx.framework
    dc = ctx.params("SO3-1", "drought_classes")
    cls = fw.classification(dc.classification)
    ordered = sorted(cls.classes, key=lambda c: (c.lower is not None, c.lower if c.lower is not None else 0.0))
    breaks = [c.upper for c in ordered[:-1]]
    legend = fw.legend(dc.legend)
    names = {c.code: c.name for c in legend.classes}
    codes = [c.code for c in ordered]
    severity = [c.code for c in reversed(ordered)]  # from the wettest (no drought) to the most severe
    drought_codes = [c.code for c in ordered if c.upper is not None and c.upper <= 0.0]
    encoding = fw.parameters("encoding")
    nodata = encoding.class_nodata
    ctx.record("SO3-1", "classification", {c.name: f"({c.lower}, {c.upper}]" if cls.closed == "right" else f"[{c.lower}, {c.upper})"
                                           for c in ordered})
    return {"breaks": breaks, "codes": codes, "right_closed": cls.closed == "right", "names": names, "legend": legend,
            "severity": severity, "drought_codes": drought_codes, "nodata": nodata, "closed": cls.closed,
            "dtype": encoding.class_dtype}


#: Values of the specs' ``spi`` block that this version computes, per index and field.  Any other value is refused
#: by the SO3-1 check before anything is computed, so a country never gets an index computed otherwise than it
#: asked without being told; add a value here when indicators.so3.spi (or .spei) implements it.  The SPEI is
#: always log-logistic, fitted by probability-weighted moments, with the exact inverse normal: the fields'
#: other values describe the SPI and are not implemented for it.
SPI_SUPPORTED: dict[str, dict[str, tuple[str, ...]]] = {
    "spi": {"distribution": ("gamma",), "fit": ("thom", "mle"), "zero_handling": ("mixed", "center_of_mass"),
            "inverse_normal": ("exact", "abramowitz_stegun")},
    "spei": {"distribution": ("gamma",), "fit": ("thom",), "zero_handling": ("mixed",), "inverse_normal": ("exact",)},
}


def unsupported_spi_choices(spi: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """(field, value, supported values) of every choice of the ``spi`` block that this version does not compute
    for the block's ``index`` (:data:`SPI_SUPPORTED`)."""
    table = SPI_SUPPORTED[str(spi.index)]
    return [(name, str(getattr(spi, name)), ok) for name, ok in table.items() if str(getattr(spi, name)) not in ok]


@dataclass(frozen=True)
class _DroughtIndexPlan:
    """Where SO3-1's drought index comes from (:func:`_drought_index_plan`)."""

    index: str  # "spi" | "spei": the index the classes are made from (the specs' spi.index)
    precomputed: bool  # classes from inputs.drought_index
    extension: bool  # SPEI computed beside the SPI (index spi, precipitation and pet given)

    @property
    def label(self) -> str:
        return self.index.upper()


def _drought_index_plan(inputs: Mapping[str, Any], spi: Any) -> _DroughtIndexPlan | None:
    """Which index SO3-1 classifies, given the configured inputs and the specs' ``spi`` block (D5).

    * ``inputs.drought_index`` given: that precomputed SPI or SPEI (``spi.index`` says which) is
      classified.  It wins over ``precipitation``: an index a country supplies on purpose (its
      met service's, or the default GMID data of the 2026 manual) is what it reports, and the
      choice is recorded in the report; precipitation is then read only for the SPEI extension.
    * otherwise ``spi.index`` is computed: SPI from ``precipitation``, SPEI from ``precipitation``
      and ``pet``.
    * with ``spi.index: spi``, ``precipitation`` and ``pet``, the SPEI is computed too and reported
      beside the SPI as an extension; the classes stay the SPI's.

    None when neither ``drought_index`` nor ``precipitation`` is configured.
    """
    precomputed = "drought_index" in inputs
    if not precomputed and "precipitation" not in inputs:
        return None
    extension = spi.index == "spi" and "precipitation" in inputs and "pet" in inputs
    return _DroughtIndexPlan(str(spi.index), precomputed, extension)


def so3_land_year(fw: Any, year: int) -> int:
    """The land-cover year whose inland water masks SO3 year *year* under ``land_area.water_year: each_period``.

    Mirrors SO1, where each period's water is that of the period's first land-cover year: a
    year takes the first land-cover year of the latest period of the edition that starts on or
    before it (ties: the first listed); a year before every period takes the baseline's.  2026:
    2000-2015 → 2000 (baseline), 2016-2023 → 2016 (both reporting periods start in 2016).
    Four-year epochs use the rule for their first year.
    """
    started = [p for p in fw.periods() if int(p.years[0]) <= int(year)]
    if not started:
        return int(fw.period("baseline").land_cover.initial)
    latest = max(int(p.years[0]) for p in started)
    return int(next(p for p in started if int(p.years[0]) == latest).land_cover.initial)


def _so3_land_years(fw: Any, years: Iterable[int]) -> list[int]:
    """The land-cover years SO3 reads for inland water (D3) over *years*."""
    if fw.parameters("land_area").water_year != "each_period":
        return [int(fw.period("baseline").land_cover.initial)]
    return sorted({so3_land_year(fw, y) for y in years})


def _so3_land_mask(ctx: Context, indicator: str, labels: Sequence[Any], *, dim: str = "year",
                   first_years: Mapping[Any, int] | None = None) -> Any:
    """SO3's land mask (D3): True on land, None without land cover.

    With ``land_area.water_year: baseline_initial`` one 2-D mask, the baseline's first land-cover
    year.  With ``each_period`` one mask per label along *dim* (years, or epochs whose first years
    are *first_years*), each from :func:`so3_land_year`; the rule and the years used are recorded.
    """
    if not ctx.has("land_cover"):
        return None
    fw = ctx.framework
    if fw.parameters("land_area").water_year != "each_period":
        return ctx.land_mask(indicator)
    import pandas as pd
    import xarray as xr

    used = {lab: so3_land_year(fw, (first_years or {}).get(lab, lab)) for lab in labels}
    masks = [ctx.land_mask(indicator, year=used[lab]) for lab in labels]
    stacked = xr.concat(masks, dim=pd.Index(list(labels), name=dim), coords="minimal", compat="override")
    spans: dict[int, list[Any]] = {}
    for lab, y in used.items():
        spans.setdefault(y, []).append(lab)
    text = "; ".join(f"{dim} {v[0]}{'-' + str(v[-1]) if len(v) > 1 else ''}: land cover {y}" for y, v in spans.items())
    ctx.choose(indicator, "D3", "Inland water of each year (land_area.water_year: each_period): the first land-cover year "
               f"of the latest period starting on or before it ({text}).")
    ctx.record(indicator, f"land_area.water_year each_period ({dim})", {str(k): v for k, v in used.items()})
    return stacked


def _spi_where(loaded: LoadedConfig) -> str:
    """Where the ``spi`` block comes from, for messages: the spec file, and the profile/overlay applied on it."""
    cfg = loaded.config
    base = Path(cfg.specs) / "so3_drought.yaml" if cfg.specs else Path(default_specs_dir().name) / "so3_drought.yaml"
    extra = ([f"profile {cfg.profile}"] if cfg.profile and cfg.profile != "default" else []) + (
        [f"overlay {cfg.overlay}"] if cfg.overlay else [])
    return f"parameters.spi of {base.as_posix()}" + (f" (with the {' and '.join(extra)} applied)" if extra else "")


def _same_grid_problem(loaded: LoadedConfig, a: str, b: str) -> str | None:
    """A problem line when single-file raster inputs *a* and *b* are not on one grid (None when they are, or
    when a file cannot be read: check_inputs reports that)."""
    from .config import _raster_header

    heads = []
    for name in (a, b):
        spec = loaded.config.inputs[name]
        files = input_files(loaded, name, spec)
        if len(files) != 1:
            return None
        try:
            heads.append(_raster_header(next(iter(files.values())), spec.variable))
        except Exception:  # unreadable: reported by check_inputs
            return None
    ha, hb = heads
    if ha["crs"] == hb["crs"] and ha["shape"] == hb["shape"] and ha["transform"].almost_equals(hb["transform"]):
        return None
    return (f"inputs.{b}: not on the grid of inputs.{a} (shape {hb['shape']} vs {ha['shape']}, transform differs or CRS "
            f"differs); the SPEI takes precipitation minus potential evapotranspiration cell by cell: resample {b} onto "
            f"the {a} grid")


def _water_units_problems(inputs: Mapping[str, InputSpec], name: str) -> list[str]:
    """A monthly water amount's declared units: any depth, mass per area or rate the SPI/SPEI convert to mm per
    month (:func:`indicators.so3.standardized.precipitation_to_mm`)."""
    if name not in inputs:
        return []
    import numpy as np

    from .so3.standardized import precipitation_to_mm

    units = inputs[name].units
    example = "mm/month, mm, mm/day, m, kg m-2 or kg m-2 s-1"
    if units is None:
        return [f"inputs.{name}: units missing; declare the units the monthly values are in ({example})"]
    try:
        precipitation_to_mm(str(units), np.array([31]))
    except IndicatorsError as exc:
        from .units import parse_unit, registry

        try:
            dims = f" ({registry().Quantity(1.0, parse_unit(str(units), where=f'inputs.{name}.units')).dimensionality})"
        except IndicatorsError:
            dims = ""
        reason = str(exc).split(";")[0] if not dims else "not a monthly water amount or rate"
        return [f"inputs.{name}: units {str(units)!r}{dims}: {reason}; set inputs.{name}.units to the unit the values "
                f"are in ({example})"]
    return []


def _so3_hazard_check(loaded: LoadedConfig, fw: Any) -> list[str]:
    """SO3-1 choices this version cannot honour, found before anything is computed (D5).

    A precomputed index the specs do not allow, an ``spi`` value not implemented
    (:data:`SPI_SUPPORTED`), SPEI without ``pet``, precipitation and ``pet`` on different grids.
    """
    inputs = loaded.config.inputs
    spi = fw.parameters("spi")
    plan = _drought_index_plan(inputs, spi)
    if plan is None:
        return []
    where = _spi_where(loaded)
    label = plan.label
    problems = []
    if plan.precomputed and not spi.precomputed_allowed:
        needed = "precipitation and pet" if spi.index == "spei" else "precipitation"
        problems.append(f"inputs.drought_index: a precomputed {label} is not accepted: {where} sets precomputed_allowed: "
                        f"false; remove inputs.drought_index and give {needed} to compute the {label}, or set "
                        "spi.precomputed_allowed: true (parameter_overrides of an overlay)")
    if not plan.precomputed:
        for name, value, ok in unsupported_spi_choices(spi):
            why = (" (the SPEI is log-logistic, fitted by probability-weighted moments, with the exact inverse normal; "
                   "this field's other values apply to the SPI)") if spi.index == "spei" else ""
            problems.append(f"{where}: {name}: {value!r} is not implemented for the {label} in this version (supported: "
                            f"{', '.join(ok)}){why}; the run does not compute it another way than asked: set spi.{name}: "
                            f"{ok[0]}, or give an index computed that way as inputs.drought_index")
        if spi.index == "spei":
            if "pet" not in inputs:
                problems.append(f"inputs.pet: missing: {where} sets index: spei, computed from precipitation minus "
                                "potential evapotranspiration; add a monthly pet input (units such as mm/month, the grid "
                                "and months of inputs.precipitation), give a precomputed SPEI as inputs.drought_index, "
                                "or set spi.index: spi")
            if _module_missing(["indicators.so3.spei"]):
                problems.append(f"{where}: index: 'spei' is not available in this version (module indicators.so3.spei "
                                "is missing); give a precomputed SPEI as inputs.drought_index or set spi.index: spi")
    water_inputs = (["precipitation"] if not plan.precomputed or plan.extension else []) + \
        (["pet"] if "pet" in inputs and (plan.extension or (not plan.precomputed and spi.index == "spei")) else [])
    for name in water_inputs:
        problems += _water_units_problems(inputs, name)
    if ("pet" in inputs and "precipitation" in inputs and (plan.extension or (not plan.precomputed and spi.index == "spei"))
            and inputs["pet"].resolved_kind() == "raster" and inputs["precipitation"].resolved_kind() == "raster"):
        line = _same_grid_problem(loaded, "precipitation", "pet")
        if line:
            problems.append(line)
    return problems


def _so3_hazard_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    spi = fw.parameters("spi")
    plan = _drought_index_plan(inputs, spi)
    if plan is None:
        return "input precipitation (or a precomputed drought_index) not in the run configuration"
    drought = fw.edition_spec().drought
    reporting = tuple(range(drought.years[0], drought.years[1] + 1))
    monthly = tuple(range(min(spi.calibration[0], drought.years[0]), max(spi.calibration[1], drought.years[1]) + 1))
    needs = []
    if plan.precomputed:
        needs.append(Need("drought_index", "raster", "1", reporting, same_grid=False))
    if not plan.precomputed or plan.extension:
        # units: any monthly water amount (checked by _so3_hazard_check), not only mm/month
        needs.append(Need("precipitation", "raster", None, monthly, same_grid=False))
    if "pet" in inputs and (plan.extension or (not plan.precomputed and plan.index == "spei")):
        needs.append(Need("pet", "raster", None, monthly, same_grid=False))
    grid = next((n for n in Context.GRID_INPUTS if n in inputs), None)
    if grid is None:
        return "no raster input (land_cover or population_total) defines the grid the drought classes are mapped on"
    if "land_cover" in inputs:  # inland water for the land-area denominator (D3)
        needs.append(Need("land_cover", "raster", None, tuple(_so3_land_years(fw, reporting))))
    elif grid != "land_cover":
        needs.append(Need(grid, "raster"))
    return needs


def _compute_spei(ctx: Context, precip: Any) -> Any:
    """SPEI from inputs precipitation and pet with the spec binding SO3-1.spei (the ``spi`` block's scale, month,
    calibration, clip, min_nonzero; :func:`indicators.so3.spei.spei`), lazy."""
    from .so3.spei import spei

    pet = ctx.raster("pet", native=True)
    args = ctx.framework.binding_arguments("SO3-1.spei")
    return spei(precip, pet, **args, units=ctx.spec("precipitation").units, pet_units=ctx.spec("pet").units)


def _annual_drought_index(ctx: Context, plan: _DroughtIndexPlan, args: Mapping[str, Any]) -> tuple[Any, Any, str]:
    """SO3-1's index, one value per year and cell on its own grid (lazy), its CRS and its label for titles;
    the D5 choice is recorded."""
    import calendar

    from .so3.hazard import annual_spi

    month, scale = int(args["month"]), int(args["scale"])
    mname = calendar.month_name[month]
    label = plan.label
    if plan.precomputed:
        spec = ctx.spec("drought_index")
        da = ctx.raster("drought_index", native=True)
        crs = da.rio.crs
        nod = da.rio.nodata
        values = (da.where(da != nod) if nod is not None else da).astype("float32") / _index_scale(ctx, "drought_index")
        if "time" in da.dims:
            annual = annual_spi(values, month=month)
            form, title = f"the {mname} value of each year of its monthly series", f"{label}, precomputed, {mname}"
        elif "year" in da.dims:
            annual, form, title = values, "one map per year, as given", f"{label}, precomputed"
        else:
            raise InputError("inputs.drought_index: cannot tell its years: give a monthly series with a time axis "
                             "(netCDF), one band per year with years:, or a {year} path")
        annual.attrs.update(long_name=f"{label} (precomputed, inputs.drought_index)", units="1")
        other = ""
        if ctx.has("precipitation"):
            other = ("; inputs.precipitation is given too: the precomputed index is classified"
                     + (" and precipitation is used only for the SPEI extension" if plan.extension else
                        ", precipitation is not read for SO3-1"))
        ctx.choose("SO3-1", "D5", f"Precomputed {label} (inputs.drought_index{', ' + spec.source if spec.source else ''}): "
                   f"{form}; its distribution, fit and calibration are the producer's (the specs' spi block is not "
                   f"applied){other}.")
        ctx.record("SO3-1", "drought index", f"precomputed {label} (inputs.drought_index)")
        declared = {name: value for name, value, _ in unsupported_spi_choices(ctx.framework.parameters("spi"))}
        if declared:
            ctx.record("SO3-1", "spi choices describing the precomputed index (not computed here)", declared)
        return annual.rio.write_crs(crs), crs, title
    precip = ctx.raster("precipitation", native=True)
    cal = f"{args['calibration'][0]}-{args['calibration'][1]}"
    if plan.index == "spei":
        values = _compute_spei(ctx, precip)
        dist = values.attrs.get("distribution", "log-logistic")
        fit = values.attrs.get("fitting_method", "probability-weighted moments")
        ctx.choose("SO3-1", "D5", f"SPEI-{scale} of month {month}: precipitation minus potential evapotranspiration "
                   f"(inputs precipitation and pet), {dist}, fitted by {fit}; calibration {cal}, clip ±{args['clip']}.")
        ctx.record("SO3-1", "drought index", "SPEI computed from inputs precipitation and pet")
    else:
        from .so3.spi import spi as compute_spi

        values = compute_spi(precip, **args, units=ctx.spec("precipitation").units)  # binding SO3-1.spi
        fit = {"thom": "Thom", "mle": "exact maximum likelihood"}.get(args["fit"], args["fit"])
        zeros = {"mixed": "", "center_of_mass": ", zeros at the centre of their probability mass (H = q/2)"}.get(
            args["zero_handling"], f", zero handling {args['zero_handling']}")
        inverse = {"exact": "", "abramowitz_stegun": ", Abramowitz-Stegun inverse normal"}.get(
            args["inverse_normal"], f", inverse normal {args['inverse_normal']}")
        ctx.choose("SO3-1", "D5", f"SPI-{scale} of month {month}, gamma ({fit}) per calendar month{zeros}{inverse}, "
                   f"calibration {cal}, clip ±{args['clip']}.")
        ctx.record("SO3-1", "drought index", "SPI computed from input precipitation")
    return annual_spi(values, month=month), precip.rio.crs, f"{label}-{scale}, {mname}"


def _so3_trend_table(ctx: Context, indicator: str, table: Any, *, value: str, filters: Mapping[str, Any], what: str,
                     tid: str | None = None) -> None:
    """Non-normative trend extras of an SO3 annual series (:func:`indicators.so3.hazard.drought_trends`): Mann-Kendall,
    Sen's slope, and the reporting period's mean against the baseline's (the edition's baseline and reporting years)."""
    import pandas as pd

    from .so3.hazard import drought_trends

    periods = list(ctx.framework.periods())
    base = next(p for p in periods if p.id == "baseline")
    reports = [p for p in periods if p.id != "baseline"]
    if not reports:
        return
    span = (int(reports[-1].years[0]), int(reports[-1].years[1]))
    t = drought_trends(table, baseline=(int(base.years[0]), int(base.years[1])), period=span, value=value, filters=filters)
    mk = t["mann_kendall"]
    row = {"series": what, "baseline": f"{base.years[0]}-{base.years[1]}", "period": f"{span[0]}-{span[1]}",
           "baseline_mean": t.get("baseline_mean"), "period_mean": t.get("period_mean"), "difference": t.get("difference"),
           "sens_slope_per_year": t["sens_slope_per_year"], "mann_kendall_z": mk.get("z"), "mann_kendall_p": mk.get("p")}
    ctx.add_table(Table(tid or f"{indicator}.trend", f"{what}: trend extras (non-normative)", pd.DataFrame([row]),
                        notes=[str(t["note"])]))


def _official_denominator(table: Any, official: float, *, dim: str = "year", area_rows: bool = True) -> Any:
    """SO3-1's national table with the official land area as the denominator (D3): percentages of the class and
    any-drought rows recomputed, and (*area_rows*) per *dim* label an ``official land area`` row beside the pixel
    land area."""
    import pandas as pd

    out = table.copy()
    rows = out["kind"].isin(["class", "any_drought"])
    out.loc[rows, "percent_of_land"] = 100.0 * out.loc[rows, "area_km2"] / official
    if not area_rows:
        return out
    extra = pd.DataFrame([{dim: y, "kind": "official land area", "area_km2": official} for y in out[dim].unique()])
    return pd.concat([out, extra], ignore_index=True).sort_values(dim, kind="stable").reset_index(drop=True)


def _run_so3_hazard(ctx: Context) -> None:
    from .so3.hazard import drought_hazard_classes, drought_zonal_area_table, epoch_most_severe

    fw = ctx.framework
    args = fw.binding_arguments("SO3-1.spi")
    plan = _drought_index_plan(ctx.config.inputs, ctx.params("SO3-1", "spi"))
    drought = fw.edition_spec().drought
    annual, crs, what = _annual_drought_index(ctx, plan, args)
    years = [int(y) for y in annual["year"].values if drought.years[0] <= int(y) <= drought.years[1]]
    missing = sorted(set(range(drought.years[0], drought.years[1] + 1)) - set(years))
    if missing:
        raise InputError(f"SO3-1: the {what} has no value for the reporting years {missing}; give an index covering "
                         f"{drought.years[0]}-{drought.years[1]}")
    annual = annual.sel(year=years)
    k = _drought_classification(ctx)
    ctx.choose("SO3-1", "D6", "A value on a class boundary goes to the "
               + ("more severe class." if k["right_closed"] else "milder class."))
    if ctx.has("pet") and not plan.extension and not (plan.index == "spei" and not plan.precomputed):
        ctx.record("SO3-1", "inputs.pet", "not read: the SPEI is computed from precipitation and pet only when "
                   "inputs.precipitation is given and no precomputed SPEI is")
    meanings = [k["names"][c] for c in sorted(k["codes"])]
    classes = drought_hazard_classes(annual, breaks=k["breaks"], codes=k["codes"], right_closed=k["right_closed"],
                                     meanings=meanings, nodata=k["nodata"], dtype=k["dtype"])
    classes = classes.rio.write_crs(crs).rio.write_nodata(k["nodata"], encoded=False)
    (classes,) = ctx.compute(classes)  # on the index's own (coarse) grid
    # onto the common grid (the population / land-cover grid), as the manual does for the default data: lazily,
    # block by block, so a fine national grid is never held whole (drought_exposure.resampling: nearest)
    from .grid import resample_nearest

    fine = resample_nearest(ctx.reference(), classes)
    ctx.record("SO3-1", "drought_exposure.resampling", fw.parameters("drought_exposure").resampling)
    fine.attrs.update({a: classes.attrs[a] for a in ("flag_values", "flag_meanings", "long_name", "units") if a in classes.attrs})
    fine.attrs["_FillValue"] = k["nodata"]
    dc = ctx.params("SO3-1", "drought_classes")
    if dc.land_denominator == "land_area":
        land = _so3_land_mask(ctx, "SO3-1", years)
    else:  # all_cells (Trends.Earth): inland water is counted in the classes and in the denominator
        land = None
        ctx.choose("SO3-1", "D3", "Denominator: every cell inside the boundary, inland water included "
                   "(drought_classes.land_denominator: all_cells, as Trends.Earth).")
    boundary, admin = ctx.polygons(fine.rio.crs)
    codes_table = [c for c in sorted(k["codes"]) if c not in k["drought_codes"]] + sorted(k["drought_codes"])
    # the national table counts the cells whose centre is inside the boundary, as SO1-1.T1 does, so that SO3-1's land
    # is the land of SO1-1.T1 (D3: the denominator comes from there); per-unit tables use exact coverage (D4)
    national = drought_zonal_area_table(fine, boundary, codes=codes_table, drought_codes=k["drought_codes"],
                                        meanings=[k["names"][c] for c in codes_table], nodata=k["nodata"], land_mask=land,
                                        method="centre")
    national = national[national["level"] == "national"].drop(columns=["level", "unit"])
    la = ctx.params("SO3-1", "land_area")
    official = ctx.config.country.land_area_km2 or (la.official.value if la.official else None)
    if official is not None:
        national = _official_denominator(national, float(official))
        ctx.choose("SO3-1", "D3", f"Denominator: the official land area, {float(official):,.1f} km²; the area from the "
                   "pixels is reported beside it.")
    ctx.shared["drought_classes"] = fine
    ctx.shared["drought"] = k
    legend = _legend_entries(k["legend"])
    ctx.add_raster(RasterOutput("SO3-1", "drought_class", f"Drought intensity class per year ({what})", fine, legend=legend))
    note = [f"Drought classes of the {what}."]
    t1 = national[national["kind"].isin(["class", "water", "nodata", "official land area"])][["year", "kind", "class", "class_name", "area_km2", "percent_of_land"]]
    ctx.add_table(Table("SO3-1.T1", "Land area per drought intensity class (km² and % of land)", t1,
                        units={"area_km2": "km**2", "percent_of_land": "percent"}, notes=note))
    t2 = national[national["kind"] == "any_drought"][["year", "area_km2", "percent_of_land"]]
    ctx.add_table(Table("SO3-1.T2", "Land under drought, any intensity (km² and % of land)", t2,
                        units={"area_km2": "km**2", "percent_of_land": "percent"}, notes=note))
    if admin is not None:
        a = ctx.config.country.admin_units
        per_unit = drought_zonal_area_table(fine, admin, codes=codes_table, drought_codes=k["drought_codes"],
                                            meanings=[k["names"][c] for c in codes_table], nodata=k["nodata"], land_mask=land,
                                            id_field=a.id_field, name_field=a.name_field)
        per_unit = per_unit[(per_unit["level"] == "unit") & per_unit["kind"].isin(["class", "any_drought"])]
        cols = [c for c in ("year", "unit", "name", "kind", "class", "class_name", "area_km2", "percent_of_land",
                            "unit_land_area_km2") if c in per_unit.columns]
        ctx.add_table(Table("SO3-1.units", "Land per drought intensity class and under any drought, per administrative unit",
                            per_unit[cols],
                            units={"area_km2": "km**2", "percent_of_land": "percent", "unit_land_area_km2": "km**2"}))
    # four-year maps (D7)
    epochs = [tuple(e) for e in drought.epochs]
    ep = epoch_most_severe(fine, epochs=epochs, severity=k["severity"], nodata=k["nodata"])
    ep = ep.rio.write_crs(fine.rio.crs)
    ctx.choose("SO3-1", "D7", "Four-year maps: the most severe class of each cell over all four years of each epoch.")
    ctx.add_raster(RasterOutput("SO3-1", "drought_class_epochs", "Most severe drought class per four-year epoch", ep, legend=legend))
    ctx.shared["drought_epochs"] = ep
    labels = [str(v) for v in ep["epoch"].values]
    ep_land = None
    if dc.land_denominator == "land_area":
        ep_land = _so3_land_mask(ctx, "SO3-1", labels, dim="epoch",
                                 first_years={lab: int(f) for lab, f in zip(labels, ep["epoch_start"].values)})
    by_epoch = drought_zonal_area_table(ep, boundary, codes=codes_table, drought_codes=k["drought_codes"],
                                        meanings=[k["names"][c] for c in codes_table], nodata=k["nodata"],
                                        land_mask=ep_land, dim="epoch", method="centre")
    by_epoch = by_epoch[(by_epoch["level"] == "national") & by_epoch["kind"].isin(["class", "any_drought", "water", "nodata"])]
    if official is not None:
        by_epoch = _official_denominator(by_epoch, float(official), dim="epoch", area_rows=False)
    cols = [c for c in ("epoch", "kind", "class", "class_name", "area_km2", "percent_of_land") if c in by_epoch.columns]
    ctx.add_table(Table("SO3-1.epochs", "Land per drought intensity class, most severe class of each four-year epoch (D7)",
                        by_epoch[cols], units={"area_km2": "km**2", "percent_of_land": "percent"}, notes=note))
    _so3_trend_table(ctx, "SO3-1", national, value="percent_of_land", filters={"kind": "any_drought"},
                     what="percent of land under drought (any intensity)")
    # chart: land under each drought class, per year
    drought_rows = t1[t1["kind"] == "class"]
    data = drought_rows.pivot_table(index="year", columns="class", values="area_km2", aggfunc="sum")
    data = data[[c for c in sorted(k["drought_codes"]) if c in data.columns]]
    colors = [next(e.color for e in legend if e.code == c) for c in data.columns]
    data.columns = [k["names"][c] for c in data.columns]
    ctx.add_chart(Chart("SO3-1", f"Land under drought per intensity class ({what})", data, ylabel="km²", kind="stacked",
                        colors=colors))
    if plan.extension:
        _so3_spei_extension(ctx, args, years, land)


def _so3_spei_extension(ctx: Context, args: Mapping[str, Any], years: Sequence[int], land: Any) -> None:
    """The SPEI beside the SPI (``spi.index: spi`` with inputs precipitation and pet): each year's map of the
    spec month's SPEI on the precipitation grid, and its annual mean over the country's land.

    The drought classes stay the SPI's; PRAIS22 §3.1 allows the SPEI, especially in arid areas.  The mean is over
    the cells of the common grid whose centre lies inside the boundary, on land (D3), weighted by cell area (D4).
    """
    import calendar

    import numpy as np
    import pandas as pd

    from .grid import cell_area, resample_nearest
    from .so3.hazard import annual_spi

    if _module_missing(["indicators.so3.spei"]):
        ctx.record("SO3-1", "SPEI (extension)", "not computed: module indicators.so3.spei is not in this version")
        return
    month, scale = int(args["month"]), int(args["scale"])
    mname = calendar.month_name[month]
    precip = ctx.raster("precipitation", native=True)
    values = _compute_spei(ctx, precip)
    annual = annual_spi(values, month=month).sel(year=list(years)).astype("float32")
    annual = annual.rio.write_crs(precip.rio.crs).rio.write_nodata(np.nan, encoded=False)
    ref = ctx.reference()
    fine = resample_nearest(ref, annual)  # the drought classes' rule (drought_exposure.resampling)
    inside = _inside(ctx)
    weight = cell_area(ref).broadcast_like(inside).where(inside, 0.0)
    if land is not None:
        weight = weight.where(land, 0.0)
    weight = weight.where(fine.notnull(), 0.0)
    num = (fine.fillna(0.0) * weight).sum(("y", "x"))
    den = weight.sum(("y", "x"))
    annual, num, den = ctx.compute(annual, num, den)
    annual.attrs.update(long_name=f"SPEI-{scale}, {mname} (extension; the drought classes are the SPI's)", units="1")
    ctx.add_raster(RasterOutput("SO3-1", "spei", f"SPEI-{scale}, {mname} (extension)", annual, units="SPEI"))
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    frame = pd.DataFrame({"year": [int(y) for y in years], "spei_mean": np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan),
                          "land_area_km2": den})
    ctx.add_table(Table("SO3-1.spei", f"SPEI (extension): SPEI-{scale}, {mname}, mean over the country's land", frame,
                        units={"spei_mean": "1", "land_area_km2": "km**2"},
                        notes=["An extension (PRAIS22 §3.1 allows the SPEI, especially in arid areas): the drought classes "
                               "and SO3-1.T1/T2 are the SPI's.",
                               f"SPEI from precipitation minus potential evapotranspiration, "
                               f"{values.attrs.get('distribution', 'log-logistic')} per calendar month, calibration "
                               f"{args['calibration'][0]}-{args['calibration'][1]}.",
                               "Mean over the land cells of the common grid whose centre lies inside the boundary, weighted "
                               "by cell area; land_area_km2 is the area with a valid SPEI."]))
    ctx.record("SO3-1", "SPEI (extension)", "computed from inputs precipitation and pet (tables SO3-1.spei, raster spei)")


STAGES.append(Stage("so3_hazard", "SO3-1 drought hazard (SPI or SPEI, classes, areas)", ("SO3-1",),
                    ("indicators.so3.spi", "indicators.so3.hazard", "indicators.summarize"), _so3_hazard_needs, _run_so3_hazard,
                    check=_so3_hazard_check, inputs=("precipitation", "pet", "drought_index", *Context.GRID_INPUTS)))


# ---- SO1 land, SDG 15.3.1, SO2-3 -----------------------------------------------------------


def _inside(ctx: Context) -> Any:
    """True for cells of the common grid whose centre lies inside the country boundary (cached)."""
    if "inside" not in ctx._cache:
        import numpy as np
        import xarray as xr
        from rasterio.features import geometry_mask

        from .grid import grid_of

        ref = ctx.reference()
        boundary, _ = ctx.polygons(ref.rio.crs)
        if ref.chunks is not None:
            # block by block, like the rasters it masks: no whole-grid mask in memory
            from .so1.sdg import rasterize_polygons

            bare = ref.drop_vars([c for c in ref.coords if c not in ref.dims])
            da = (rasterize_polygons(boundary, bare) > 0).rename("inside")
        else:
            g = grid_of(ref)
            mask = ~geometry_mask(boundary.geometry.values, out_shape=g.shape, transform=g.transform, all_touched=False)
            da = xr.DataArray(np.asarray(mask), dims=("y", "x"), coords={"y": ref["y"], "x": ref["x"]}, name="inside")
        ctx._cache["inside"] = da.rio.write_crs(ref.rio.crs)
    return ctx._cache["inside"]


def _outside_km2(ctx: Context) -> float:
    """Area of the common grid outside the country (pixel-centre rule), km²."""
    if "outside_km2" not in ctx._cache:
        from .grid import cell_area

        ca = cell_area(ctx.reference())
        ctx._cache["outside_km2"] = float((ca.broadcast_like(_inside(ctx)).where(~_inside(ctx), 0.0)).sum())
    return ctx._cache["outside_km2"]


def _clip(da: Any, ctx: Context, nodata: int) -> Any:
    """Cells outside the boundary set to *nodata* (attributes and CRS kept)."""
    out = da.where(_inside(ctx), nodata).astype(da.dtype)
    out.attrs = dict(da.attrs)
    return out.rio.write_crs(da.rio.crs) if da.rio.crs is not None else out


def _outside_cells(ctx: Context) -> int:
    """Number of cells of the common grid outside the country (pixel-centre rule)."""
    return int((~_inside(ctx)).sum())


def _inland_water(ctx: Context, year: int | None = None) -> tuple[float, int]:
    """Inland water inside the boundary (D3: not land in the baseline's first land-cover year, or in *year* with
    ``land_area.water_year: each_period``): km², cells."""
    mask = ctx.land_mask("SO1-4", year=year)
    key = f"inland_water:{mask.name}:{id(mask)}"
    if key not in ctx._cache:
        from .grid import cell_area

        water = _inside(ctx) & ~mask
        ca = cell_area(ctx.reference()).broadcast_like(water)
        ctx._cache[key] = (float(ca.where(water, 0.0).sum()), int(water.sum()))
    return ctx._cache[key]


def _land_area_table(lc_tab: Any, is_nodata: Any, *, water_class: int, official: float | None) -> Any:
    """SO1-1.T1 from the per-class land-cover areas (SO1-1.T5): land, water, no data and the country, per year.

    Rows add up: total land area + water bodies + no data = total country area.
    """
    import pandas as pd

    years = [c for c in lc_tab.columns if str(c).isdigit()]
    classes = lc_tab[~is_nodata]
    is_water = pd.to_numeric(classes["class"], errors="coerce") == water_class
    land = classes[~is_water][years].sum()
    water = classes[is_water][years].sum()
    nodata = lc_tab[is_nodata][years].sum()
    rows = {"total land area": land, "water bodies": water, "no data": nodata, "total country area": land + water + nodata}
    out = pd.DataFrame(rows).T.reset_index(names="row")
    if official is not None:
        out = pd.concat([out, pd.DataFrame([{"row": "official land area (denominator)", **{y: float(official) for y in years}}])],
                        ignore_index=True)
    return out


def _less_outside(frame: Any, ctx: Context, *, row: Any, column: str) -> Any:
    """Remove the area (and cell count, if the frame has one) outside the boundary from the row where it was counted."""
    frame = frame.copy()
    frame.loc[row, column] = frame.loc[row, column] - _outside_km2(ctx)
    if column == "area_km2" and "cells" in frame.columns:
        frame.loc[row, "cells"] = frame.loc[row, "cells"] - _outside_cells(ctx)
    return frame


def _water_out_of_nodata(frame: Any, ctx: Context, *, water_row: Any, nodata_row: Any, year: int | None = None) -> Any:
    """Move inland water whose class is nodata (e.g. LPD or SOC nodata on lakes) from the no-data row to the water row.

    The summaries count only *valid* cells off land as water; D3 reports water on its own
    row and keeps the no-data row for land without data.
    """
    km2, cells = _inland_water(ctx, year)
    frame = frame.copy()
    moved = km2 - float(frame.loc[water_row, "area_km2"])
    frame.loc[water_row, "area_km2"] = km2
    frame.loc[nodata_row, "area_km2"] = frame.loc[nodata_row, "area_km2"] - moved
    if "cells" in frame.columns:
        moved_cells = cells - int(frame.loc[water_row, "cells"])
        frame.loc[water_row, "cells"] = cells
        frame.loc[nodata_row, "cells"] = frame.loc[nodata_row, "cells"] - moved_cells
    return frame


def _sdg_summary_inside(s: Any, ctx: Context, *, nodata_in_denominator: bool, official: float | None,
                        year: int | None = None) -> Any:
    """SO1-4.T1 of a layer clipped to the boundary: the clipped-off area leaves the no-data row, inland water
    without data moves to the water row (D3).

    With ``nodata_in_denominator`` (Trends.Earth) the denominator and percentages
    are recomputed from the corrected no-data area.
    """
    nodata_row = s.index[s["class"] == "no data"][0]
    s = _less_outside(s, ctx, row=nodata_row, column="area_km2")
    s = _water_out_of_nodata(s, ctx, water_row=s.index[s["class"] == "water"][0], nodata_row=nodata_row, year=year)
    if nodata_in_denominator and official is None:
        area = dict(zip(s["class"], s["area_km2"]))
        denom = area["degraded"] + area["stable"] + area["improved"] + area["no data"]
        s.loc[s["class"] == "total land area", "area_km2"] = denom
        rows = s["class"].isin(["degraded", "stable", "improved", "no data", "total land area"])
        s.loc[rows, "percent_of_land"] = 100.0 * s.loc[rows, "area_km2"] / denom
    return s


def _so1_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    if "land_cover" not in inputs:
        return "input land_cover not in the run configuration"
    periods = fw.periods()
    lc_years = sorted({y for p in periods for y in (p.land_cover.initial, p.land_cover.final)})
    needs = [Need("land_cover", "raster", None, tuple(lc_years))]
    if fw.parameters("productivity").method == "precomputed_lpd":
        if "lpd" not in inputs:
            return "input lpd (precomputed land productivity dynamics per period) not in the run configuration"
        needs.append(Need("lpd", "raster"))
    else:
        if "ndvi" not in inputs:
            return (f"input ndvi (annual productivity series) not in the run configuration; the specs' productivity.method is "
                    f"{fw.parameters('productivity').method!r} (set it to precomputed_lpd in an overlay to use an lpd input)")
        ndvi_years = sorted({y for p in periods for w in (p.productivity.trajectory, p.productivity.state_baseline,
                                                          p.productivity.state_comparison, p.productivity.performance)
                             for y in range(w[0], w[1] + 1)})
        needs.append(Need("ndvi", "raster", "1", tuple(ndvi_years)))
    if "soc_reference" in inputs:
        # the SOC reference year's land cover: the stocks change from that year on
        needs[0] = Need("land_cover", "raster", None, tuple(sorted(set(lc_years) | {int(fw.parameters("soc").reference_year)})))
        needs.append(Need("soc_reference", "raster", "t/ha"))
        if fw.parameters("soc").climate_factor is None:
            if "climate_zones" not in inputs:
                return "input climate_zones not in the run configuration (the SOC climate factor is per cell)"
            needs.append(Need("climate_zones", "raster"))
    if "recode_polygons" in inputs:
        needs.append(Need("recode_polygons", "vector", same_grid=False))
    return needs


def _check_legend_matches_flags(r: Any) -> None:
    """Refuse to colour a class raster with a legend whose codes are not the raster's own flag values."""
    flags = r.data.attrs.get("flag_values")
    if flags is None:
        return
    if isinstance(flags, str):
        flags = flags.split()
    elif not isinstance(flags, (list, tuple)):
        flags = list(getattr(flags, "tolist", lambda: [flags])())
    codes = {int(e.code) for e in r.legend}
    stray = sorted(int(v) for v in flags if int(v) not in codes)
    if stray:
        raise ComputeError(
            f"{r.indicator}/{r.name}: the legend has codes {sorted(codes)} but the raster stores {stray}; "
            "the map colours would be wrong (report this as a bug)"
        )


def _three_legend(ctx: Context) -> list[Any]:
    """The specs' 3-class legend keyed by the codes the SO1 rasters store.

    The specs give the manual's meanings −1/0/+1; the rasters store them as the
    unsigned codes of :mod:`indicators.so1.encoding` (D15), so each entry is
    re-keyed through the meaning, never by position.
    """
    from .report.figures import LegendEntry
    from .so1.encoding import meaning_code

    legend = ctx.framework.legend("sdg_3class")
    entries = [LegendEntry(meaning_code(c.code), c.name, c.color or "#999999") for c in legend.classes]
    return sorted(entries, key=lambda e: e.code)


def _period_stack(layers: Mapping[str, Any], name: str, attrs: Mapping[str, Any]) -> Any:
    import xarray as xr

    da = xr.concat(list(layers.values()), dim="period", combine_attrs="override").assign_coords(period=list(layers))
    da.attrs = dict(attrs)
    return da.rename(name)


class _OnePass:
    """What the SO1 stage computes in ONE dask pass (bench_sdg's pipeline): pending national tables
    (``compute=False``) and the layers that the report and the later tables read, written block by block to
    temporary GeoTIFFs (:func:`indicators.io.store_rasters`).  Every input block is decoded once and no
    whole raster is held in memory; the later tables read the stored files."""

    def __init__(self) -> None:
        self.tables: dict[Any, Any] = {}
        self.layers: dict[Any, Any] = {}

    def table(self, key: Any, pending: Any) -> None:
        self.tables[key] = pending

    def store(self, key: Any, layer: Any, *, crs: Any, nodata: Any) -> None:
        """Store *layer* (y, x) with its CRS and an explicit nodata (an input's encoding must not leak into it)."""
        self.layers[key] = layer.rio.write_crs(crs).rio.write_nodata(nodata, encoded=False)

    def run(self, ctx: Context) -> tuple[dict[Any, Any], dict[Any, Any]]:
        """(computed tables, stored layers as lazy file-backed rasters), by key."""
        keys = list(self.tables)
        from .io import store_rasters

        # with a cluster, its workers write the blocks they compute through the file paths (shared=True)
        store = store_rasters(self.layers, shared=ctx.progress.client is not None, scratch=ctx.scratch)
        ctx.keep(store)
        values = ctx.compute_tables(*self.tables.values(), store.task)
        # the grid's own coordinates (a file's are recomputed from its transform and may differ in the last bits,
        # which would misalign them with the inputs)
        stored = {k: v.assign_coords({d: self.layers[k][d] for d in ("y", "x")}) for k, v in store.open().items()}
        return dict(zip(keys, values[:len(keys)])), stored


def _recoded(layer: Any, polygons: Any, period: str) -> Any:
    """:func:`indicators.so1.sdg.apply_recodes` of a lazy layer (polygons already in its CRS)."""
    from .so1.sdg import apply_recodes

    return apply_recodes(layer, polygons, period=period)


def _run_so1(ctx: Context) -> None:
    import pandas as pd

    from .so1 import tables as t1
    from .so1.encoding import NODATA
    from .so1.land_cover import land_cover_degradation
    from .so1.productivity import lpd_to_3class
    from .so1.sdg import one_out_all_out, status

    fw = ctx.framework
    periods = list(fw.periods())
    keys = [p.id for p in periods]
    reports = [p for p in periods if p.id != "baseline"]
    with_status = bool(reports) and "baseline" in keys
    lcp = ctx.params("SO1-1", "land_cover")
    lc7 = ctx.land_cover_7()
    target = fw.legend(lcp.legend)
    codes7 = [c.code for c in sorted(target.classes, key=lambda c: c.code)]
    names7 = {c.code: c.name for c in target.classes}
    matrix = fw.binding_arguments("SO1-1.land_cover_change")["matrix"].model_dump(mode="json", by_alias=True)
    inside = _inside(ctx)
    # land of each period (D3): the same mask unless the specs' land_area.water_year is each_period
    land_of = {p.id: ctx.land_mask("SO1-4", year=p.land_cover.initial) & inside for p in periods}
    water_year = {p.id: p.land_cover.initial for p in periods}
    la = ctx.params("SO1-4", "land_area")
    official = ctx.config.country.land_area_km2 or (la.official.value if la.official else None)
    out_note = "The area outside the country boundary (cells whose centre is outside) is left out of every row."
    boundary, admin = ctx.polygons(ctx.reference().rio.crs)
    a = ctx.config.country.admin_units
    coverage = _coverage(ctx)
    crs = ctx.reference().rio.crs
    one = _OnePass()

    # ---- lazy layers (nothing computed here) -------------------------------------------------------------
    # SO1-1 land cover
    lc_years = sorted({y for p in periods for y in (p.land_cover.initial, p.land_cover.final)})
    lc_sel = _clip(lc7.sel(year=lc_years), ctx, NODATA)
    one.table("T5", t1.land_cover_area_table(lc_sel, codes=codes7, names=names7, compute=False))
    deg_lc = {p.id: land_cover_degradation(lc_sel.sel(year=p.land_cover.initial), lc_sel.sel(year=p.land_cover.final), matrix)
              for p in periods}
    ctx.choose("SO1-1", "D14", "Periods and land-cover years: " + "; ".join(
        f"{p.id} {p.land_cover.initial}-{p.land_cover.final}" for p in periods) + f" (edition {fw.edition}).")

    # SO1-2 productivity: the precomputed LPD of each period, or the LPD computed from the NDVI series (D10)
    prod = ctx.params("SO1-2", "productivity")
    lpd_legend = fw.legend(prod.lpd_legend)
    mapping = fw.lookup_table(prod.lpd_to_3class).model_dump(mode="json")
    lpd_from_ndvi = prod.method != "precomputed_lpd"
    if not lpd_from_ndvi:
        lpd = ctx.raster("lpd", legend={c.code: c.name for c in lpd_legend.classes}, long_name="land productivity dynamics",
                         year_dim="period")
        nodata_codes = sorted(set(prod.lpd_sources[prod.lpd_source].nodata) | ({int(ctx.spec("lpd").nodata)} if ctx.spec("lpd").nodata is not None else set()))
        lpd_layers: dict[str, Any] = {}
        for p in periods:
            if p.id not in [str(v) for v in lpd["period"].values]:
                raise InputError(f"inputs.lpd: no map for period {p.id!r}; give path: {{{', '.join(q.id + ': …' for q in periods)}}}")
            lpd_layers[p.id] = lpd.sel(period=p.id, drop=True)
        prod3 = {k: lpd_to_3class(v, mapping=mapping, nodata_codes=nodata_codes) for k, v in lpd_layers.items()}
    else:
        nodata_codes = [NODATA]
        lpd_layers, prod3 = _lpd_from_ndvi(ctx, periods, lc_sel)
        for k, v in lpd_layers.items():
            one.store(("lpd", k), _clip(v, ctx, NODATA), crs=crs, nodata=NODATA)
    ctx.record("SO1-2", "lpd nodata codes", nodata_codes)

    # SO1-3 soil organic carbon
    deg_soc: dict[str, Any] = {}
    stock_years: list[int] = []
    if ctx.has("soc_reference"):
        from .so1.soc import climate_factor_from_zones, climate_factors_by_zone, soc_degradation, soc_stocks

        soc = ctx.params("SO1-3", "soc")
        soc_ref = ctx.raster("soc_reference")
        if soc_ref.ndim == 3:
            soc_ref = soc_ref.isel({soc_ref.dims[0]: 0}, drop=True)
        if soc.climate_factor is None:
            zones = ctx.raster("climate_zones")
            f = climate_factor_from_zones(zones, factors=climate_factors_by_zone(
                soc.climate_zone_to_regime, [r.model_dump(mode="json") for r in soc.climate_regimes]))
        else:
            f = soc.climate_factor
        nod = soc_ref.rio.nodata
        soc_ref = soc_ref.where(soc_ref != nod) if nod is not None else soc_ref
        args = fw.binding_arguments("SO1-3.soc_stock")
        last = max(p.soc.final for p in periods)
        first = min(p.soc.initial for p in periods)
        if int(soc.reference_year) > int(first):
            raise SpecError(f"soc.reference_year {soc.reference_year} is after {first}, the first SOC year of the periods: "
                            "the stocks exist from the reference year on; set the year of the soc_reference map")
        # the land cover from the SOC reference year on: the reference stock is that year's (not the first map's)
        stocks = soc_stocks(soc_ref, lc7.sel(year=slice(None, last)), factors=args["factors"].model_dump(mode="json", by_alias=True),
                            climate_factor=f, transition_years=args["transition_years"], reference_year=soc.reference_year)
        ctx.record("SO1-3", "soc.reference_year", soc.reference_year)
        dargs = fw.binding_arguments("SO1-3.soc_degradation")
        for p in periods:
            exclude = None
            if soc.water_is_nodata:
                # inland water has no SOC sub-indicator (Part C §1.4): the water of D3, or of each period's first year
                exclude = ~ctx.land_mask("SO1-3", year=p.soc.initial)
            # threshold, strictness and the zero-baseline rule come from the spec binding
            deg_soc[p.id] = soc_degradation(stocks.sel(year=p.soc.initial), stocks.sel(year=p.soc.final), exclude=exclude,
                                            **dargs)
        ctx.record("SO1-3", "soc.zero_baseline_is_nodata", soc.zero_baseline_is_nodata)
        stock_years = sorted({p.soc.initial for p in periods} | {p.soc.final for p in periods})
        for y in stock_years:
            one.store(("stock", y), stocks.sel(year=y, drop=True).where(inside).astype("float32"), crs=crs, nodata=float("nan"))
    else:
        ctx.skip("SO1-3", "input soc_reference not in the run configuration; SDG 15.3.1 is computed from SO1-1 and SO1-2")
        ctx.skip("SO4-1", "reported through SO1-3, whose input soc_reference is not in the run configuration")

    # SO1-4 SDG 15.3.1: one out, all out, then recodes (D16) and status (D13)
    oao = ctx.params("SO1-4", "one_out_all_out")
    deg_lc = {k: _clip(v, ctx, NODATA) for k, v in deg_lc.items()}
    prod3 = {k: _clip(v, ctx, NODATA) for k, v in prod3.items()}
    deg_soc = {k: _clip(v, ctx, NODATA) for k, v in deg_soc.items()}
    sdg = {p.id: _clip(one_out_all_out(prod3[p.id], deg_lc[p.id], deg_soc.get(p.id), nodata_rule=oao.nodata_rule), ctx, NODATA)
           for p in periods}
    ctx.choose("SO1-4", "D12", f"One out, all out with nodata rule '{oao.nodata_rule}'.")
    polys = None
    if ctx.has("recode_polygons"):
        polys = _read_all_fields(ctx.path("recode_polygons")).to_crs(crs)
        for p in periods:
            one.store(("before", p.id), sdg[p.id], crs=crs, nodata=NODATA)  # the recode table compares the stored layer with its recode
            sdg[p.id] = _recoded(sdg[p.id], polys, p.id)["sdg"]
        ctx.choose("SO1-4", "D16", "False positive/negative polygons recoded before status; every recode is listed with its area.")
    for name, layers in (("lc", deg_lc), ("prod", prod3), ("soc", deg_soc), ("sdg", sdg)):
        for k, v in layers.items():
            one.store((name, k), v, crs=crs, nodata=NODATA)
    summary = dict(nodata_in_denominator=la.nodata_in_denominator, official_land_area_km2=official)
    if with_status:
        stp = ctx.params("SO1-4", "status")
        sargs = fw.binding_arguments("SO1-4.status")
        matrix_s = sargs["matrix"].model_dump(mode="json")
        collapse = sargs["collapse"].model_dump(mode="json")
        status_legend = fw.legend(stp.legend)
        status_codes = [c.code for c in status_legend.classes]
        status_names = {c.code: c.name for c in status_legend.classes}
        subs = [("SO1-4", "sdg", sdg)]
        if stp.apply_to_subindicators:
            # D13: the same matrix on each sub-indicator (Trends.Earth's productivity, land-cover and SOC status)
            subs += [("SO1-1", "lc", deg_lc), ("SO1-2", "prod", prod3)] + ([("SO1-3", "soc", deg_soc)] if deg_soc else [])
        for code, name, layers in subs:
            for p in reports:
                ds = status(layers["baseline"], layers[p.id], matrix=matrix_s, collapse=collapse, names=status_names)
                one.table(("status", code, p.id), t1.status_area_table(ds["status_expanded"], codes=status_codes,
                                                                      names=status_names, land_mask=land_of[p.id],
                                                                      compute=False))
                if code == "SO1-4":
                    one.table(("T1", "status", p.id), t1.sdg_summary_table(ds["status"], land_mask=land_of[p.id], **summary,
                                                                           compute=False))
                    one.store(("expanded", p.id), ds["status_expanded"], crs=crs, nodata=NODATA)
                    one.store(("status", p.id), ds["status"], crs=crs, nodata=NODATA)
                    one.store(("units", p.id), ds["status"].where(land_of[p.id], NODATA).astype("uint8"), crs=crs, nodata=NODATA)
    # The reported SDG 15.3.1 of a reporting period is its status against the baseline, collapsed to 3 classes
    # (Part B §2.7: degraded = persistent, recent and baseline degradation, status 1-3; the 2022 manual's newly
    # degraded + persisted degraded is the same set); the baseline's is the baseline assessment.
    reported_keys = {k: ("status", k) if with_status and k != "baseline" else ("sdg", k) for k in keys}
    for k in keys:
        one.table(("T1", "sdg", k), t1.sdg_summary_table(sdg[k], land_mask=land_of[k], **summary, compute=False))
        if ("units", k) not in one.layers:
            one.store(("units", k), sdg[k].where(land_of[k], NODATA).astype("uint8"), crs=crs, nodata=NODATA)

    # ---- the one pass -------------------------------------------------------------------------------------
    tabs, stored = one.run(ctx)

    # ---- tables from the pass, and the cross tables from the stored layers ----------------------------------
    def layer(name: str, k: Any) -> Any:
        return stored[(name, k)]

    lc_tab = tabs["T5"]
    is_nodata = lc_tab.astype(str).apply(lambda col: col.str.strip().str.lower().isin(["no data", "nodata"])).any(axis=1)
    for y in [c for c in lc_tab.columns if str(c).isdigit()]:
        lc_tab = _less_outside(lc_tab, ctx, row=lc_tab.index[is_nodata][0], column=y)
    ctx.add_table(Table("SO1-1.T5", "Land cover area per class (UNCCD legend), km²", lc_tab.reset_index(drop=True),
                        units={str(y): "km**2" for y in lc_tab.columns if str(y).isdigit()}, notes=[out_note]))
    ctx.add_table(Table("SO1-1.T1", "Land area: total land, water bodies and total country area, km²",
                        _land_area_table(lc_tab, is_nodata, water_class=lcp.water_class, official=official),
                        units={str(y): "km**2" for y in lc_tab.columns if str(y).isdigit()},
                        notes=[out_note, "Total land area = the valid land-cover classes other than water (D3); "
                               "no data is reported on its own row and is not land."]))
    for p in periods:
        ini, fin = lc_sel.sel(year=p.land_cover.initial), lc_sel.sel(year=p.land_cover.final)
        tr = t1.transition_matrix_table(ini, fin, codes=codes7, names=names7)
        tr.loc["no data", "no data"] -= _outside_km2(ctx)
        procs = t1.degradation_process_table(tr, matrix, codes=codes7)
        tr = tr.reset_index()
        tr.columns = [str(c) for c in tr.columns]
        ctx.add_table(Table(f"SO1-1.T6.{p.id}", f"Land-cover transitions {p.land_cover.initial}-{p.land_cover.final} ({p.label}), km²",
                            tr, units={c: "km**2" for c in tr.columns[1:]}, notes=[out_note]))
        ctx.add_table(Table(f"SO1-1.T7.{p.id}", f"Degradation processes {p.land_cover.initial}-{p.land_cover.final} ({p.label})",
                            procs.reset_index(drop=True), units={"area_km2": "km**2"}))
    for p in periods if lpd_layers else []:
        lp = layer("lpd", p.id) if lpd_from_ndvi else lpd_layers[p.id]
        # the source's nodata codes become the tables' NODATA first, then the outside of the boundary is NODATA too
        # (a source code such as -1 or -32768 cannot be stored in the uint8 layer)
        lp3 = _clip(lp.where(~lp.isin(nodata_codes), NODATA).astype("uint8"), ctx, NODATA)
        x = t1.cross_table(lc_sel.sel(year=p.land_cover.initial), lp3,
                           codes_a=codes7, codes_b=[c.code for c in lpd_legend.classes],
                           names_a=names7, names_b={c.code: c.name for c in lpd_legend.classes})
        x.loc["no data", "no data"] -= _outside_km2(ctx)
        x = x.reset_index()
        x.columns = [str(c) for c in x.columns]
        ctx.add_table(Table(f"SO1-2.T2.{p.id}", f"Land productivity dynamics per land-cover class ({p.label}), km²", x,
                            units={c: "km**2" for c in x.columns[1:]}, notes=[out_note]))
    if lpd_from_ndvi and lpd_layers:
        ctx.add_raster(RasterOutput("SO1-2", "lpd", "Land productivity dynamics computed from NDVI, per period",
                                    _period_stack({k: layer("lpd", k) for k in lpd_layers}, "lpd", next(iter(lpd_layers.values())).attrs),
                                    legend=_legend_entries(fw.legend(prod.lpd_legend))))
    if deg_soc:
        frames = []
        for y in stock_years:
            st = t1.soc_stock_table(layer("stock", y), lc_sel.sel(year=y) if y in lc_years else _clip(lc7.sel(year=y), ctx, NODATA),
                                    codes=codes7, names=names7)
            st.insert(0, "year", y)
            frames.append(st)
        soc_tab = pd.concat(frames, ignore_index=True)
        ctx.add_table(Table("SO1-3.T1", "Soil organic carbon stock per land-cover class (0-30 cm)", soc_tab,
                            units={"soc_stock_t": "t", "area_km2": "km**2", "soc_mean_t_per_ha": "t/ha"}))
        _so4_1_from_stocks(ctx, soc_tab, periods)
        ctx.choose("SO1-3", "D11", f"IPCC tier 1 stock change, {args['transition_years']}-year transition; degraded below "
                   f"-{dargs['threshold']} %, improved above +{dargs['threshold']} %" + (" (inclusive)" if dargs["inclusive"] else "")
                   + ("; inland water is no data." if soc.water_is_nodata else "."))
        ctx.add_raster(RasterOutput("SO1-3", "soc_degradation", "SOC degradation per period",
                                    _period_stack({k: layer("soc", k) for k in keys}, "soc_degradation", deg_soc[keys[0]].attrs),
                                    legend=_three_legend(ctx)))
    if polys is not None:
        for p in periods:
            before = layer("before", p.id)
            ds = _recoded(before, polys, p.id)
            rt = t1.recode_table(before, ds["sdg"], ds["recode_polygon"], polys, period=p.id,
                                 label_field=ctx.spec("recode_polygons").id_field)
            if not rt.empty:
                ctx.add_table(Table(f"SO1-4.T3.{p.id}", f"False positives/negatives recoded ({p.label})", rt,
                                    units={"area_km2": "km**2"}))

    three = _three_legend(ctx)
    reported = {k: layer(*reported_keys[k]) for k in keys}
    reported_note = ("Reporting periods: the status against the baseline collapsed to degraded/stable/improved (degraded = "
                     "status 1-3: persistent, recent and baseline degradation; methodology Part B §2.7); baseline: the "
                     "baseline assessment. Each period's own one-out-all-out assessment is in SO1-4.period_assessment."
                     if with_status else "Each period's one-out-all-out assessment (no baseline to take the status against).")
    ctx.add_raster(RasterOutput("SO1-1", "land_cover_degradation", "Land-cover degradation per period",
                                _period_stack({k: layer("lc", k) for k in keys}, "land_cover_degradation", deg_lc[keys[0]].attrs),
                                legend=three))
    ctx.add_raster(RasterOutput("SO1-2", "productivity_degradation", "Land productivity (3 classes) per period",
                                _period_stack({k: layer("prod", k) for k in keys}, "productivity", prod3[keys[0]].attrs), legend=three))
    ctx.add_raster(RasterOutput("SO1-4", "sdg_15_3_1", "SDG 15.3.1 as reported: degraded, stable, improved per period "
                                "(reporting periods: status against the baseline)",
                                _period_stack(reported, "sdg", sdg[keys[0]].attrs), legend=three))
    if with_status:
        ctx.add_raster(RasterOutput("SO1-4", "sdg_period_assessment", "One out, all out of each reporting period's own "
                                    "sub-indicators (period assessment)",
                                    _period_stack({p.id: layer("sdg", p.id) for p in reports}, "sdg_period_assessment",
                                                  sdg[keys[0]].attrs), legend=three))

    def _t1_frame(source: Mapping[str, tuple[str, str]]) -> Any:
        frames = []
        for key, kind in source.items():
            s = _sdg_summary_inside(tabs[("T1", *kind)], ctx, nodata_in_denominator=la.nodata_in_denominator, official=official,
                                    year=water_year[key])
            s.insert(0, "period", key)
            frames.append(s)
            if key == keys[0]:
                ctx.record("SO1-4", "denominator", s.attrs.get("denominator"))
        return pd.concat(frames, ignore_index=True)

    t1_all = _t1_frame({k: reported_keys[k] for k in keys})
    t1_units = {"area_km2": "km**2", "percent_of_land": "percent"}
    ctx.add_table(Table("SO1-4.T1", "Proportion of land that is degraded (SDG 15.3.1), per period", t1_all,
                        units=t1_units, notes=[reported_note, out_note]))
    if with_status:
        ctx.add_table(Table("SO1-4.period_assessment", "One out, all out of each reporting period's own sub-indicators "
                            "(period assessment; not the reported value)", _t1_frame({p.id: ("sdg", p.id) for p in reports}),
                            units=t1_units, notes=["The period assessment is an input of the status; the reported SDG "
                                                   "15.3.1 of a reporting period (SO1-4.T1) is its status against the "
                                                   "baseline (methodology Part B §2.7).", out_note]))
    chart = t1_all[t1_all["class"].isin(["degraded", "stable", "improved"])].pivot_table(
        index="period", columns="class", values="area_km2", aggfunc="sum", sort=False)[["degraded", "stable", "improved"]]
    ctx.add_chart(Chart("SO1-4", "Degraded, stable and improved land per period", chart, ylabel="km²", kind="stacked",
                        colors=[e.color for e in three]))
    if admin is not None:
        from .summarize import zonal_class_areas_many

        zonal = zonal_class_areas_many({k: layer("units", k) for k in keys}, admin, codes=[1, 2, 3], method=coverage,
                                       id_field=a.id_field, name_field=a.name_field, nodata=NODATA)
        frames = []
        for k in keys:
            u = t1.sdg_summary_by_unit_from_zonal(zonal[k], method=coverage, name_field=a.name_field)
            u.insert(0, "period", k)
            frames.append(u)
        ctx.add_table(Table("SO1-4.units", "SDG 15.3.1 per administrative unit (water excluded)", pd.concat(frames, ignore_index=True),
                            units={"degraded_km2": "km**2", "stable_km2": "km**2", "improved_km2": "km**2", "nodata_km2": "km**2",
                                   "percent_degraded": "percent"}, notes=[reported_note]))
    if with_status:
        for code, what in (("SO1-4", None), ("SO1-1", "land cover"), ("SO1-2", "land productivity"), ("SO1-3", "soil organic carbon")):
            if ("status", code, reports[0].id) not in tabs:
                continue
            frames = []
            for p in reports:
                st = tabs[("status", code, p.id)]
                nodata_row = st.index[st["kind"] == "nodata"][0]
                st = _less_outside(st, ctx, row=nodata_row, column="area_km2")
                st = _water_out_of_nodata(st, ctx, water_row=st.index[st["kind"] == "water"][0], nodata_row=nodata_row,
                                          year=water_year[p.id])
                st.insert(0, "period", p.id)
                frames.append(st)
            title = ("Status against the baseline (expanded classes)" if what is None
                     else f"Status of the {what} sub-indicator against the baseline (expanded classes)")
            ctx.add_table(Table(f"{code}.status", title, pd.concat(frames, ignore_index=True),
                                units={"area_km2": "km**2", "percent_of_land": "percent"}, notes=[out_note]))
        exp_layers = {p.id: layer("expanded", p.id) for p in reports}
        cb = ctx.params("SO1-4", "counterbalancing")
        if cb is not None:
            # land type: the 7-class land cover at the end of the baseline (the LDN reference state); water is no land type
            ly = fw.period("baseline").land_cover.final
            lt = lc_sel.sel(year=ly, drop=True)
            type_codes = [c for c in codes7 if c != la.water_class]
            frames = []
            for p in reports:
                land_type = lt.where(land_of[p.id] & (lt != la.water_class), NODATA).astype("uint8")
                c_tab = t1.counterbalancing_table(exp_layers[p.id], land_type, gains=cb.gains, losses=cb.losses, neutral=cb.neutral,
                                                  land_type_codes=type_codes, names=names7)
                c_tab.insert(0, "period", p.id)
                frames.append(c_tab)
            ctx.add_table(Table("SO1-4.counterbalancing", "LDN counterbalancing per land type (status gains against losses), km²",
                                pd.concat(frames, ignore_index=True),
                                units={"gains_km2": "km**2", "losses_km2": "km**2", "neutral_km2": "km**2", "net_km2": "km**2"},
                                notes=[f"Land type: the land-cover class in {ly}, the end of the baseline. Gains: status "
                                       f"{list(cb.gains)}, losses: {list(cb.losses)}, neutral: {list(cb.neutral)}."]))
            ctx.choose("SO1-4", "D13", f"LDN counterbalancing per land type: land cover of {ly} (end of the baseline), "
                       f"gains {list(cb.gains)}, losses {list(cb.losses)}; LDN achieved where gains >= losses.")
        # the change divides by SO1-4.T1's baseline total land area (outside the boundary and inland water left out)
        by_period = {k: part for k, part in t1_all.groupby("period", sort=False)}
        ch = t1.degraded_area_change_from_summaries(by_period["baseline"], {p.id: by_period[p.id] for p in reports})
        ctx.add_table(Table("SO1-4.change", "Change in degraded area against the baseline (status collapsed to 3 classes)", ch,
                            units={"degraded_km2": "km**2", "change_km2": "km**2", "percent_of_land": "percent",
                                   "change_percent_points": "percent"}, notes=[reported_note]))
        ctx.add_raster(RasterOutput("SO1-4", "status", "Status of each reporting period against the baseline",
                                    _period_stack(exp_layers, "status_expanded", exp_layers[reports[0].id].attrs),
                                    legend=_legend_entries(status_legend)))
        ctx.choose("SO1-4", "D13", "Status: both sides recoded to degraded/stable/improved, then the 7-class expanded matrix and "
                   "its collapse; the reported SDG 15.3.1 of a reporting period is its collapsed status.")
    ctx.shared["sdg"] = reported
    ctx.shared["period_assessment"] = {k: layer("sdg", k) for k in keys}
    ctx.shared["periods"] = periods


def _index_scale(ctx: Context, name: str) -> float:
    """How many stored units of input *name* make one index unit (NDVI): 1 for NDVI, 10000 for NDVI x 10000.

    The specs give slope_floor, min_mean_difference and the percentile resolution in index units
    (dimensionless); the input declares its ``units`` (a dimensionless pint unit) and optionally a
    CF ``scale_factor``.
    """
    from .units import conversion_factor

    spec = ctx.spec(name)
    factor = conversion_factor("1", spec.units or "1", where=f"inputs.{name}")
    return factor / (spec.scale_factor or 1.0)


def _lpd_from_ndvi(ctx: Context, periods: Sequence[Any], lc_sel: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The LPD (5 classes, when the combination table yields them) and the SO1-2 sub-indicator of each period,
    computed from the annual NDVI series with the specs' trajectory, state and performance (D10); lazy."""
    from .so1.encoding import NODATA
    from .so1.productivity import kendall_critical_values, lpd_from_ndvi, lpd_to_3class

    fw = ctx.framework
    prod = fw.parameters("productivity")
    tr, st, pf = (ctx.params("SO1-2", b) for b in ("trajectory", "state", "performance"))
    method = {"trends_earth": "trends_earth", "gpg2_zscore": "zscore"}[prod.method]
    scale = _index_scale(ctx, "ndvi")
    ndvi = _mask_nodata(ctx.raster("ndvi", long_name="annual productivity (NDVI)"))
    table = fw.lookup_table(prod.combination_table)
    output = "lpd" if any(o.name == "lpd" for o in table.outputs) else "three_class"
    combination = table.model_dump(mode="json", exclude_none=True)  # keys without codes: absent, not None
    mapping = fw.lookup_table(prod.lpd_to_3class).model_dump(mode="json")
    ctx.record("SO1-2", "ndvi index scale (stored units per NDVI unit)", scale)
    ctx.choose("SO1-2", "D10", f"LPD computed from the annual NDVI series ({prod.method}: trajectory, state and performance "
               f"combined through {prod.combination_table}); performance units: the 7-class land cover of each period's first year.")
    lpd_layers: dict[str, Any] = {}
    prod3: dict[str, Any] = {}
    for p in periods:
        w = p.productivity
        if method == "trends_earth":
            trajectory = dict(years=tuple(w.trajectory), critical_values=kendall_critical_values(), confidence=tr.confidence,
                              slope_floor=tr.slope_floor * scale)
            state = dict(baseline_years=tuple(w.state_baseline), comparison_years=tuple(w.state_comparison), n_classes=st.n_classes,
                         decile_range_extension=st.decile_range_extension, class_change_threshold=st.class_change_threshold,
                         min_mean_difference=st.min_mean_difference * scale, percentile_method=st.percentile_method)
        else:
            trajectory = dict(years=tuple(w.trajectory), z_cut=tr.z_cut, continuity_correction=tr.continuity_correction)
            state = dict(baseline_years=tuple(w.state_baseline), comparison_years=tuple(w.state_comparison), z_cut=st.z_cut,
                         denominator=st.denominator, ddof=st.ddof)
        performance = dict(years=tuple(w.performance), percentile=pf.percentile, ratio_threshold=pf.ratio_threshold,
                           tie_is_degraded=pf.tie_is_degraded, resolution=pf.resolution * scale,
                           exclude_values=[v * scale for v in pf.exclude_values])
        units = lc_sel.sel(year=p.land_cover.initial, drop=True)
        ds = lpd_from_ndvi(ndvi, units, method=method, trajectory=trajectory, state=state, performance=performance,
                           combination=combination, output=output)
        if output == "lpd":
            lpd = ds["lpd"].rio.write_crs(ndvi.rio.crs)  # lazy: computed in the stage's one pass
            lpd_layers[p.id] = lpd
            prod3[p.id] = lpd_to_3class(lpd, mapping=mapping, nodata_codes=[NODATA])
        else:
            prod3[p.id] = ds["productivity"].rio.write_crs(ndvi.rio.crs)
    return lpd_layers, prod3


def _so4_1_from_stocks(ctx: Context, soc_tab: Any, periods: Sequence[Any]) -> None:
    """SO4-1 (multipurpose, reported through SO1-3): stocks per class and in total, change per period."""
    from .so4.carbon import carbon_stock_indicator

    t = soc_tab[soc_tab["class"].notna()].rename(columns={"class": "class_code", "name": "class_name", "soc_stock_t": "stock_t"})
    t = t[["class_code", "class_name", "year", "stock_t", "area_km2"]].copy()
    t["class_code"] = t["class_code"].astype("int64")
    p = _series(ctx, "SO4-1")
    spans = [(int(q.soc.initial), int(q.soc.final)) for q in periods]
    ctx.record("SO4-1", "periods", [list(x) for x in spans])
    out = carbon_stock_indicator(t, periods=spans, **_trend_args(p))
    _add_frames(ctx, "SO4-1", out)


def _so23_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    if "population_total" not in inputs:
        return "input population_total not in the run configuration"
    needs = [Need("population_total", "raster", "person")]
    needs += [Need(n, "raster", "person") for n in ("population_female", "population_male") if n in inputs]
    return needs


def _population_year(available: Sequence[int], year: int, fill: str, *, input_name: str = "population_total") -> int:
    """The population year used for *year*: itself, or with ``population_year_fill: nearest`` the nearest (ties: the later)."""
    if fill == "nearest":
        return min(available, key=lambda y: (abs(int(y) - year), -int(y)))
    if int(year) not in [int(v) for v in available]:
        raise InputError(f"inputs.{input_name}: no population map for {year} and the specs' drought_exposure.population_year_fill "
                         f"is {fill!r}; add that year (available: {sorted(int(v) for v in available)}) or use 'nearest'")
    return int(year)


def _coverage(ctx: Context) -> str:
    """The polygon-coverage rule of the specs (area.polygon_coverage) in the summarize spelling."""
    return {"fractional": "exact", "centre": "centre"}[ctx.framework.parameters("area").polygon_coverage]


def _run_so23(ctx: Context) -> None:
    import pandas as pd

    from .so2.land_degradation_exposure import population_exposed_to_degradation

    fw = ctx.framework
    exp = ctx.params("SO2-3", "drought_exposure")
    basis = {"share_of_sex_total": "own_total", "share_within_exposed": "exposed"}[
        fw.edition_spec().sex_percentage if exp.sex_percentage == "edition" else exp.sex_percentage]
    ctx.record("SO2-3", "sex_percent_basis", basis)
    pops = {n: ctx.raster(n) for n in ("population_total", "population_female", "population_male") if ctx.has(n)}
    _, admin = ctx.polygons(ctx.reference().rio.crs)
    a = ctx.config.country.admin_units
    frames = []
    for p in ctx.shared["periods"]:
        year = _population_year([int(v) for v in pops["population_total"]["year"].values], p.years[1], exp.population_year_fill)
        layer = {k: _mask_nodata(v.sel(year=year, drop=True)).where(_inside(ctx)) for k, v in pops.items()}
        t = population_exposed_to_degradation(ctx.shared["sdg"][p.id], layer["population_total"],
                                              population_female=layer.get("population_female"),
                                              population_male=layer.get("population_male"), sex_percent_basis=basis,
                                              units=admin, method=_coverage(ctx), id_field=a.id_field if a else None)
        t.insert(0, "population_year", year)
        t.insert(0, "period", p.id)
        frames.append(t)
    tab = pd.concat(frames, ignore_index=True)
    tab.attrs = {}
    ctx.add_table(Table("SO2-3.T1", "Population on degraded, stable and improved land, by sex", tab,
                        units={"population": "person", "female": "person", "male": "person", "percent": "percent",
                               "percent_female": "percent", "percent_male": "percent"},
                        notes=[f"Population of each period's last year (population_year_fill: {exp.population_year_fill}).",
                               "Degraded, stable and improved land as in SO1-4.T1: for a reporting period its status against "
                               "the baseline (degraded = status 1-3), for the baseline the baseline assessment."]))
    ctx.choose("SO2-3", "D8", "Percentages by sex: " + ("exposed women / all women (2026)" if basis == "own_total"
                                                       else "share of each sex among the exposed (2022)") + ".")
    nat = tab[(tab["level"] == "national") & (tab["class"] == "degraded")].set_index("period")
    cols = [c for c in ("percent", "percent_female", "percent_male") if c in nat.columns]
    ctx.add_chart(Chart("SO2-3", "Population on degraded land", nat[cols], ylabel="% of the population"))


def _mask_nodata(da: Any) -> Any:
    """Continuous raster with its nodata value as NaN."""
    nod = da.rio.nodata
    out = da.where(da != nod) if nod is not None else da
    return out.rio.write_crs(da.rio.crs)


STAGES.insert(0, Stage("so1", "SO1 land and SDG 15.3.1 (land cover, productivity, SOC, one out all out, status)",
                       ("SO1-1", "SO1-2", "SO1-3", "SO1-4", "SO4-1"),
                       ("indicators.so1.land_cover", "indicators.so1.productivity", "indicators.so1.soc", "indicators.so1.sdg",
                        "indicators.so1.tables"), _so1_needs, _run_so1,
                       inputs=("land_cover", "lpd", "ndvi", "soc_reference", "climate_zones", "recode_polygons")))
STAGES.insert(1, Stage("so23", "SO2-3 population exposed to land degradation", ("SO2-3",),
                       ("indicators.so2.land_degradation_exposure",), _so23_needs, _run_so23, after=("so1",),
                       inputs=("population_total", "population_female", "population_male")))


def _so3_exposure_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    if "population_total" not in inputs and not ("population_female" in inputs and "population_male" in inputs):
        return "input population_total (or population_female and population_male) not in the run configuration"
    years: tuple[int, ...] = ()
    if fw.parameters("drought_exposure").population_year_fill == "none":  # every drought year needs its own grid
        drought = fw.edition_spec().drought
        years = tuple(range(drought.years[0], drought.years[1] + 1))
    needs = [Need(n, "raster", "person", years) for n in ("population_total", "population_female", "population_male")
             if n in inputs]
    if "population_national" in inputs:
        needs.append(Need("population_national", "table", "person", same_grid=False))
    return needs


def _national_population(ctx: Context) -> dict[int, dict[str, float]] | None:
    """National population totals by year and sex (CP-1.T2) from input population_national, in persons."""
    if not ctx.has("population_national"):
        return None
    import pandas as pd

    from .units import conversion_factor

    path = ctx.table_path("population_national")
    t = pd.read_csv(path, comment="#")
    missing = {"year", "sex", "population"} - set(t.columns)
    if missing:
        raise InputError(f"inputs.population_national: {path.name} lacks column(s) {sorted(missing)} (need year, sex, population[, unit])")
    out: dict[int, dict[str, float]] = {}
    for row in t.itertuples(index=False):
        unit = getattr(row, "unit", None) or ctx.spec("population_national").units or "person"
        out.setdefault(int(row.year), {})[str(row.sex).strip().lower()] = float(row.population) * conversion_factor(
            str(unit), "person", where=f"inputs.population_national ({path.name})")
    return out


def _run_so3_exposure(ctx: Context) -> None:
    from .so3.exposure import drought_exposure

    fw = ctx.framework
    k = ctx.shared["drought"]
    classes = ctx.shared["drought_classes"]
    exp = ctx.params("SO3-2", "drought_exposure")
    key = fw.edition_spec().sex_percentage if exp.sex_percentage == "edition" else exp.sex_percentage
    sex = {"share_of_sex_total": "2026", "share_within_exposed": "2022"}[key]
    ctx.record("SO3-2", "sex_percentage", sex)
    pops = {n: _mask_nodata(ctx.raster(n)).where(_inside(ctx)) for n in ("population_total", "population_female", "population_male")
            if ctx.has(n)}
    for v in pops.values():
        v.attrs["units"] = "person"
    codes = [c for c in sorted(k["codes"]) if c not in k["drought_codes"]] + sorted(k["drought_codes"])
    tab = drought_exposure(classes, pops.get("population_total"), codes=codes, drought_codes=k["drought_codes"],
                           nodata=k["nodata"], meanings=[k["names"][c] for c in codes], female=pops.get("population_female"),
                           male=pops.get("population_male"), sex_percentage=sex, population_totals=_national_population(ctx),
                           land_mask=_so3_land_mask(ctx, "SO3-2", [int(y) for y in classes["year"].values]),
                           water_population=exp.water_population, population_year_fill=exp.population_year_fill)
    tab.attrs = {}
    ctx.choose("SO3-2", "D8", "Percentages by sex: " + ("exposed women / all women (2026 definition)." if sex == "2026"
                                                       else "share of each sex among the exposed (2022 definition)."))
    units = {"population": "person", "percent": "percent"}
    note = "Population grid of the nearest available year (ties: the later); people outside the boundary are left out."
    for tid, group, title in (("SO3-2.T1", "total", "Population exposed to drought, per intensity class (total)"),
                              ("SO3-2.T2", "female", "Female population exposed to drought, per intensity class"),
                              ("SO3-2.T3", "male", "Male population exposed to drought, per intensity class")):
        part = tab[tab["group"] == group].drop(columns=["group"])
        if not part.empty:
            ctx.add_table(Table(tid, title, part, units=units, notes=[note]))
    a = ctx.config.country.admin_units
    _, admin = ctx.polygons(classes.rio.crs)
    if admin is not None and "population_total" in pops:
        from .so3.exposure import drought_exposure_zonal

        zonal = drought_exposure_zonal(classes, pops.get("population_total"), admin, codes=codes,
                                       drought_codes=k["drought_codes"], nodata=k["nodata"],
                                       meanings=[k["names"][c] for c in codes], female=pops.get("population_female"),
                                       male=pops.get("population_male"), sex_percentage=sex,
                                       land_mask=_so3_land_mask(ctx, "SO3-2", [int(y) for y in classes["year"].values]),
                                       water_population=exp.water_population, id_field=a.id_field, name_field=a.name_field,
                                       population_year_fill=exp.population_year_fill)
        zonal = zonal[zonal["level"] == "unit"].drop(columns=["level"]) if "level" in zonal.columns else zonal
        zonal.attrs = {}
        ctx.add_table(Table("SO3-2.units", "Population exposed to drought per administrative unit (total, female, male)",
                            zonal, units=units, notes=[note, "Percentages use each unit's own population from the grid."]))
    if "population_total" in pops:
        _so3_trend_table(ctx, "SO3-2", tab, value="percent", filters={"kind": "any_drought", "group": "total"},
                         what="percent of the population exposed to drought (any intensity)")
    # four-year maps (D7): people in the cells of each epoch's most-severe-class map, with the epoch's most recent population
    ep = ctx.shared.get("drought_epochs")
    if ep is not None and "population_total" in pops:
        _so3_epoch_exposure(ctx, ep, pops, k, codes=codes, sex=sex, exp=exp, units=units)
    anyd = tab[tab["kind"] == "any_drought"].pivot_table(index="year", columns="group", values="percent", aggfunc="first")
    ctx.add_chart(Chart("SO3-2", "Population exposed to drought (any intensity)", anyd, ylabel="% of the population"))
    per = tab[(tab["group"] == "total") & (tab["kind"] == "class") & tab["class"].isin(k["drought_codes"])]
    data = per.pivot_table(index="year", columns="class", values="population", aggfunc="sum")
    legend = {e.code: e for e in _legend_entries(k["legend"])}
    ctx.add_chart(Chart("SO3-2", "People exposed per drought intensity class", data.rename(columns=lambda c: k["names"][c]),
                        ylabel="persons", kind="stacked", colors=[legend[c].color for c in data.columns]))


def _epoch_population_year(available: Sequence[int], first: int, last: int, fill: str) -> int:
    """The population year of the epoch [first, last]: :func:`indicators.so3.exposure.epoch_population_year`
    (PRAIS22 §3.2 Step 4), whose fill from outside the epoch needs ``population_year_fill: nearest``."""
    from .so3.exposure import epoch_population_year

    year, how = epoch_population_year(first, last, available)
    if how != "inside the epoch" and fill != "nearest":
        raise InputError(f"inputs.population_total: no population map in the epoch {first}-{last} and the specs' "
                         f"drought_exposure.population_year_fill is {fill!r}; add one (available: "
                         f"{sorted(int(y) for y in available)}) or use 'nearest'")
    return year


def _so3_epoch_exposure(ctx: Context, ep: Any, pops: Mapping[str, Any], k: Mapping[str, Any], *, codes: Sequence[int],
                        sex: str, exp: Any, units: Mapping[str, str]) -> None:
    """SO3-2 four-year exposure maps (rasters) and their table, one population grid per epoch."""
    import pandas as pd
    import xarray as xr

    from .so3.exposure import drought_exposure, epoch_exposure_map

    available = [int(v) for v in pops["population_total"]["year"].values]
    maps, frames, used = [], [], {}
    for label, first, last in zip(ep["epoch"].values, ep["epoch_start"].values if "epoch_start" in ep.coords else
                                  [int(str(v).split("-")[0]) for v in ep["epoch"].values], ep["epoch_end"].values):
        year = _epoch_population_year(available, int(first), int(last), exp.population_year_fill)
        used[str(label)] = year
        one = ep.sel(epoch=[label])
        layer = {n: v.sel(year=year, drop=True) for n, v in pops.items()}
        maps.append(epoch_exposure_map(one, layer["population_total"], drought_codes=k["drought_codes"], nodata=k["nodata"]))
        t = drought_exposure(one, layer.get("population_total"), codes=codes, drought_codes=k["drought_codes"], nodata=k["nodata"],
                             meanings=[k["names"][c] for c in codes], female=layer.get("population_female"),
                             male=layer.get("population_male"), sex_percentage=sex,
                             land_mask=_so3_land_mask(ctx, "SO3-2", [str(label)], dim="epoch", first_years={str(label): int(first)}),
                             water_population=exp.water_population, dim="epoch")
        t["population_year"] = year
        frames.append(t)
    emap = xr.concat(maps, dim="epoch", coords="minimal", compat="override").drop_vars("population_year", errors="ignore")
    # lazy: the writer computes one epoch's map at a time (the whole stack of a fine grid would not fit)
    emap = emap.where(_inside(ctx)).astype("float32").rio.write_crs(ep.rio.crs)
    emap.attrs.update(long_name="population exposed to drought (most severe class of the epoch)", units="person")
    ctx.record("SO3-2", "epoch population years", used)
    ctx.add_raster(RasterOutput("SO3-2", "population_exposed_epochs",
                                "People in drought cells of each four-year epoch (most severe class; the epoch's most recent population)",
                                emap, units="persons"))
    etab = pd.concat(frames, ignore_index=True)
    etab.attrs = {}
    etab["epoch"] = etab["epoch"].astype(str)
    ctx.add_table(Table("SO3-2.epochs", "Population exposed per drought class in each four-year epoch (most severe class)",
                        etab, units=dict(units), notes=["Each epoch uses its most recent population grid: the latest inside the "
                                                       "epoch, else the latest before it (population_year_fill: nearest)."]))
    ctx.choose("SO3-2", "D7", "Four-year exposure maps: the population of each epoch's most recent population grid in the "
               "cells of the epoch's most-severe-class map.")


STAGES.append(Stage("so3_exposure", "SO3-2 population exposed to drought", ("SO3-2",), ("indicators.so3.exposure",),
                    _so3_exposure_needs, _run_so3_exposure, after=("so3_hazard",),
                    inputs=("population_total", "population_female", "population_male", "population_national")))


def _so3_vulnerability_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    needs = [Need(n, "table", same_grid=False) for n in ("dvi_factors_national", "dvi_factors_units") if n in inputs]
    if "dvi" in inputs:
        needs.append(Need("dvi", "raster", "1"))
    return needs or "inputs dvi_factors_national / dvi_factors_units / dvi (a precomputed DVI raster) not in the run configuration"


def _factor_table(loaded: LoadedConfig, fw: Any, name: str) -> Any:
    """Input *name* (a DVI factor table) read and checked against the spec factor set, in the factors' spec units."""
    from .tables import read_factor_table

    spec = loaded.config.inputs[name]
    factors = [f.model_dump(mode="json") for f in fw.factor_set(fw.parameters("dvi").factor_set).factors]
    unit_id = None
    if name == "dvi_factors_units":
        a = loaded.config.country.admin_units
        unit_id = spec.id_field or (a.id_field if a else None) or "unit"
    files = input_files(loaded, name, spec)
    if len(files) != 1:
        raise InputError(f"inputs.{name}: expected one table file, got {len(files)}")
    return read_factor_table(next(iter(files.values())), factors, unit_id_field=unit_id)


def _so3_vulnerability_check(loaded: LoadedConfig, fw: Any) -> list[str]:
    """The factor tables are small: read them before computing, so an unknown factor id stops the run at once.
    A normalisation this version does not compute is refused."""
    problems = []
    dvi = fw.parameters("dvi")
    wanted = [n for n in ("dvi_factors_national", "dvi_factors_units") if n in loaded.config.inputs]
    if wanted and dvi.normalisation != "minmax_national_series":
        problems.append(f"parameters.dvi.normalisation: {dvi.normalisation!r} is not implemented in this version (supported: "
                        "minmax_national_series, the min-max range of the country's own series, D9); set "
                        "dvi.normalisation: minmax_national_series (parameter_overrides of an overlay)")
    for name in ("dvi_factors_national", "dvi_factors_units"):
        if name in loaded.config.inputs:
            try:
                _factor_table(loaded, fw, name)
            except IndicatorsError as exc:
                problems.append(f"inputs.{name}: {exc}")
    return problems


def _constant_factor_notes(ctx: Context, out: Any, name: str) -> list[str]:
    """Record the factors a DVI function left out for lack of range (it warned too) and return a table note."""
    constant = list(out.attrs.get("constant_factors") or [])
    if not constant:
        return []
    ctx.record("SO3-3", name, constant)
    return [f"Factor(s) {', '.join(constant)}: the same value in every unit and year, so no range to normalise over (D9); "
            "they carry no information and are left out of their component."]


def _run_so3_vulnerability(ctx: Context) -> None:
    from .so3.vulnerability import dvi_from_factors, dvi_zonal_mean
    from .tables import series_trends

    fw = ctx.framework
    dvi = ctx.params("SO3-3", "dvi")
    factor_set = [f.model_dump(mode="json") for f in fw.factor_set(dvi.factor_set).factors]
    weights = dict(dvi.weights) if dvi.weights else None
    ctx.choose("SO3-3", "D9", "Min-max normalisation over the country's own series with each factor's declared direction; "
               "arithmetic mean within each component; equal-weight mean of the social, economic and infrastructural components.")
    a = ctx.config.country.admin_units
    if ctx.has("dvi_factors_national"):
        table = _factor_table(ctx.loaded, fw, "dvi_factors_national")
        nat = dvi_from_factors(table, factor_set=factor_set, weights=weights)
        tier = nat.attrs.get("va_tier")
        tier_note = _constant_factor_notes(ctx, nat, "factors left out (no range)")
        if tier is not None:
            ctx.record("SO3-3", "vulnerability-assessment tier", f"{tier}: {nat.attrs.get('va_tier_reason', '')}")
            tier_note = [f"Vulnerability-assessment tier {tier}: {nat.attrs.get('va_tier_reason', '')}.", *tier_note]
        nat = nat.drop(columns=[c for c in ("unit",) if c in nat.columns and nat[c].isna().all()])
        nat.attrs = {}
        ctx.add_table(Table("SO3-3.T1", "Drought Vulnerability Index (0-1, 1 = most vulnerable), national", nat,
                            units={"dvi": "1", "social": "1", "economic": "1", "infrastructural": "1"}, notes=tier_note))
        by = ["sex"] if "sex" in nat.columns else []
        p = _series(ctx, "SO3-3")
        trend = series_trends(nat, value="dvi", by=by, tolerance=p.trend_tolerance, method=p.trend_method)
        ctx.add_table(Table("SO3-3.T2", "How the DVI is changing (qualitative trend, with Mann-Kendall and Sen extras)", trend,
                            units={"first_value": "1", "last_value": "1"}))
        series = nat.pivot_table(index="year", columns="sex", values="dvi", aggfunc="first") if "sex" in nat.columns \
            else nat.set_index("year")[["dvi"]]
        ctx.add_chart(Chart("SO3-3", "Drought Vulnerability Index", series, ylabel="DVI (0-1)"))
    if ctx.has("dvi_factors_units"):
        table = _factor_table(ctx.loaded, fw, "dvi_factors_units")
        units = dvi_from_factors(table, factor_set=factor_set, weights=weights)
        unit_notes = _constant_factor_notes(ctx, units, "factors left out per unit (no range)")
        utier = units.attrs.get("va_tier")
        if utier is not None:
            ctx.record("SO3-3", "vulnerability-assessment tier (per unit)", f"{utier}: {units.attrs.get('va_tier_reason', '')}")
        units.attrs = {}
        ctx.add_table(Table("SO3-3.units", "Drought Vulnerability Index per administrative unit (national min-max range)", units,
                            units={"dvi": "1", "social": "1", "economic": "1", "infrastructural": "1"}, notes=unit_notes))
    if ctx.has("dvi"):
        raster = ctx.raster("dvi")
        if raster.ndim == 3:
            raster = raster.isel({raster.dims[0]: -1}, drop=True)
        _, admin = ctx.polygons(raster.rio.crs)
        pop = None
        if dvi.precomputed_summary == "population_weighted_mean" and ctx.has("population_total"):
            pt = ctx.raster("population_total")
            pop = _mask_nodata(pt.isel(year=-1, drop=True) if "year" in pt.dims else pt)
        inside = _mask_nodata(raster).where(_inside(ctx)).rio.write_crs(raster.rio.crs)  # the national mean is the country's
        zm = dvi_zonal_mean(inside, admin, population=pop, scale=dvi.precomputed_scale, nodata=float("nan"),
                            id_field=a.id_field if a else None)
        zm.attrs = {}
        ctx.add_table(Table("SO3-3.precomputed", "Mean of the precomputed DVI raster, national and per unit", zm,
                            units={"dvi_mean": "1"}))
        shown = _mask_nodata(raster).where(_inside(ctx)) * dvi.precomputed_scale
        shown = shown.astype("float32").rio.write_crs(raster.rio.crs)
        shown.attrs.update(long_name="drought vulnerability index (precomputed)", units="1")
        ctx.add_raster(RasterOutput("SO3-3", "dvi_precomputed", "Precomputed Drought Vulnerability Index (0-1)", shown, units="DVI"))


STAGES.append(Stage("so3_vulnerability", "SO3-3 drought vulnerability (DVI)", ("SO3-3",), ("indicators.so3.vulnerability",),
                    _so3_vulnerability_needs, _run_so3_vulnerability, check=_so3_vulnerability_check,
                    inputs=("dvi_factors_national", "dvi_factors_units", "dvi", "population_total")))


# ---- what each indicator reads, for the user guide and docs/indicators/ --------------------

#: (input name, kind, unit, what it holds) per indicator; the stages above read these names
INPUT_DOCS: dict[str, list[tuple[str, str, str, str]]] = {
    "SO1-1": [("land_cover", "raster", "—", "land cover in the source legend (ESA CCI by default, or a national legend "
               "nested by an overlay), one map per year: at least each period's first and last year")],
    "SO1-2": [("lpd", "raster", "—", "precomputed 5-class land productivity dynamics, one map per period: "
               "path: {baseline: …, report_1: …, report_2: …} (productivity.method precomputed_lpd)"),
              ("ndvi", "raster", "1", "annual productivity series covering the edition's windows, for productivity.method "
               "trends_earth or gpg2_zscore (scale_factor 0.0001 for NDVI x 10000)")],
    "SO1-3": [("soc_reference", "raster", "t/ha", "SOC stock 0-30 cm in the first land-cover year"),
              ("climate_zones", "raster", "—", "IPCC climate zones (when the SOC climate factor is per cell)")],
    "SO1-4": [("land_cover, lpd, soc_reference", "", "", "the sub-indicators' inputs"),
              ("recode_polygons", "vector", "—", "optional false positive/negative polygons (decision D16): periods_affected, "
               "recode_deg_to, recode_stable_to, recode_imp_to")],
    "SO2-1": [("so2_1_poverty", "table", "percent", "year, scope, metric (below_poverty_line | gini), value, unit, "
               "poverty_line_usd_per_day, ppp_year")],
    "SO2-2": [("so2_2_water", "table", "percent", "year, scope, area_type (total | urban | rural), value, unit")],
    "SO2-3": [("population_total", "raster", "person", "people per cell, one map per year (nearest year used)"),
              ("population_female, population_male", "raster", "person", "optional, by sex")],
    "SO3-1": [("precipitation", "raster", "mm/month", "monthly precipitation (netCDF with a time axis; any water amount "
               "or rate: mm/month, mm, mm/day, m, kg m-2, kg m-2 s-1) covering the "
               "SPI calibration years and the reporting years; its own grid"),
              ("land_cover", "raster", "—", "the common grid and inland water (the year land_area.water_year "
               "gives)"),
              ("pet", "raster", "mm/month", "monthly potential evapotranspiration on the precipitation grid and months "
               "(SPEI: spi.index spei, or the SPEI extension beside the SPI)"),
              ("drought_index", "raster", "1", "a precomputed SPI or SPEI (spi.index): a monthly series or one map per "
               "year; allowed unless spi.precomputed_allowed is false")],
    "SO3-2": [("population_total", "raster", "person", "people per cell, one map per year"),
              ("population_female, population_male", "raster", "person", "optional, by sex"),
              ("population_national", "table", "person", "optional national totals by year and sex: year, sex, population, unit")],
    "SO3-3": [("dvi_factors_national", "table", "factor units", "year, factor (ids of the spec factor set), value, unit, sex; "
               "checked before computing, values converted to each factor's spec unit"),
              ("dvi_factors_units", "table", "factor units", "the same with the admin unit id column (id_field)"),
              ("dvi", "raster", "1", "a precomputed DVI raster (0-1)")],
    "SO4-1": [("soc_reference", "raster", "t/ha", "reported through SO1-3 (the same inputs)")],
    "SO4-2": [("so4_2_red_list", "table", "1", "year, rli, rli_lower, rli_upper")],
    "SO4-3": [("kba", "vector", "—", "Key Biodiversity Areas with id_field"),
              ("protected_areas", "vector", "—", "protected areas with id_field and fields: {establishment_year: …}"),
              ("so4_3_kba_coverage", "table", "percent", "or the coverage reported directly: year, value, unit")],
    "SO5-1": [("so5_flows", "table", "currency", "one activity per row: indicator, direction, year, amounts, currency, "
               "rio_marker, …"), ("exchange_rates", "table", "currency per USD", "year, currency, lcu_per_usd")],
    "SO5-5": [("so5_5_narrative", "table", "—", "sub_item, text")],
}
for _code in ("SO5-2", "SO5-3", "SO5-4"):
    INPUT_DOCS[_code] = INPUT_DOCS["SO5-1"]

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import InputKind, InputSpec, LoadedConfig, Problems, Requirement, check_inputs, input_files
from .errors import IndicatorsError, InputError, SpecError
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
    requested = known if cfg.indicators == "all" else list(cfg.indicators)
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
               year_dim: str = "year") -> Any:
        """Open input *name* lazily: a (y, x) array, or (year, y, x) when it holds several years."""
        if name in self._rasters:
            return self._rasters[name]
        import xarray as xr

        from .io import open_raster

        spec = self.spec(name)
        chunks = self.config.options.chunks
        chunks = "auto" if chunks == "auto" else {"x": chunks, "y": chunks}
        kw = dict(units=None if legend is not None else spec.units, nodata=spec.nodata, variable=spec.variable,
                  legend=legend, long_name=long_name, chunks=chunks)
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
        if spec.align and self._reference is not None:
            from .grid import align_to

            da = align_to(self._reference, da, kind="class" if legend is not None else "continuous")
        elif self._reference is None and spec.align is None and "time" not in da.dims:
            self._reference = da.isel({year_dim: 0}, drop=True) if year_dim in da.dims else da
        self._rasters[name] = da
        return da

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
        self.result.choices.append(Choice(indicator, decision, text))

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
    return load_framework(cfg.edition, cfg.profile, overlay, specs=loaded.resolve(cfg.specs) if cfg.specs else None)


def prepare(loaded: LoadedConfig, *, stages: Sequence[Stage] | None = None, framework: Any = None) -> Prepared:
    """Every check before computing: specs, selection, inputs (all problems raised together)."""
    fw = framework if framework is not None else load_run_framework(loaded)
    p = plan(loaded, fw, STAGES if stages is None else stages)
    headers = check_inputs(loaded, p.requirements)
    return Prepared(loaded, fw, p, headers)


def execute(prep: Prepared, *, quiet: bool = False, client: Any = None, stream: Any = None) -> RunResult:
    """Run the planned stages; return the finished result (nothing written yet)."""
    cfg = prep.loaded.config
    fw = prep.framework
    result = RunResult(country=cfg.country.name, edition=str(fw.edition), profile=getattr(fw.profile, "id", None))
    result.indicators = list(prep.plan.indicators)
    result.titles = {i.code: _indicator_name(i, fw) for i in fw.indicators}
    result.skipped = list(prep.plan.skipped)
    progress = Progress(len(prep.plan.stages), quiet=quiet, stream=stream, client=client)
    ctx = Context(prep.loaded, fw, progress, result)
    t0 = time.perf_counter()
    for stage in prep.plan.stages:
        with progress.stage(stage.title):
            stage.run(ctx)
    result.timings = dict(progress.timings)
    result.timings["total compute"] = round(time.perf_counter() - t0, 3)
    return result


def _indicator_name(ind: Any, fw: Any) -> str:
    by = getattr(ind, "name_by_edition", None) or {}
    return str(by.get(str(fw.edition), ind.name))


def write_outputs(result: RunResult, prep: Prepared, out_dir: Path, *, config_text: str | None = None) -> list[Path]:
    """Write rasters, tables, report.html and provenance.json into *out_dir* (an empty directory)."""
    from .report.page import write_report
    from .report.provenance import write_json
    from .report.rasters import write_cog
    from .report.tables import write_tables

    t0 = time.perf_counter()
    written: list[Path] = []
    for r in result.rasters:
        colors = {e.code: e.color for e in r.legend} if r.legend else None
        rel = Path(r.indicator) / f"{r.name}.tif"
        write_cog(r.data, out_dir / rel, colors=colors, extra_tags={"indicator": r.indicator})
        written.append(rel)
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
        "choices": [{"indicator": c.indicator, "decision": c.decision, "text": c.text} for c in result.choices],
        "inputs": inputs,
        "outputs": sorted(str(p) for p in written),
        "timings_s": result.timings,
        "started_at": result.provenance.get("started_at"),
    }


def connect(scheduler: str | None) -> Any:
    """A dask.distributed Client for *scheduler* (an address such as tcp://host:8786), or None."""
    if not scheduler:
        return None
    try:
        from distributed import Client

        return Client(scheduler, timeout="10s", set_as_default=True)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler {scheduler}: cannot connect to the dask scheduler ({exc}); check the address") from None


def run_to_directory(loaded: LoadedConfig, out: str | os.PathLike, *, overwrite: bool = False, quiet: bool = False,
                     scheduler: str | None = None, stages: Sequence[Stage] | None = None,
                     config_text: str | None = None, stream: Any = None, framework: Any = None) -> RunResult:
    """Check everything, compute, and write *out* atomically. The whole of ``indicators run``."""
    from datetime import datetime, timezone

    from .report.atomic import atomic_output_dir, check_output_dir

    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    check_output_dir(out, overwrite=overwrite)
    prep = prepare(loaded, stages=stages, framework=framework)
    client = connect(scheduler)
    try:
        result = execute(prep, quiet=quiet, client=client, stream=stream)
        result.provenance["started_at"] = started
        if scheduler:
            result.provenance["scheduler"] = scheduler
        with atomic_output_dir(out, overwrite=overwrite) as tmp:
            write_outputs(result, prep, tmp, config_text=config_text)
    finally:
        if client is not None:
            client.close()
    return result


# --------------------------------------------------------------------------- the stages of this version

STAGES: list[Stage] = []

"""Preparing (every check before computing) and executing a run's planned stages.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config.checks import Problems, check_inputs
from ..config.loading import LoadedConfig, parameter_overrides
from ..errors import InputError
from ..heap import trim_heap
from ..plausibility import CHECK_BLOCKS, InputWarning, check_input_rasters
from ..progress import Progress
from ..report.model import RunResult, Skipped
from ..stage import Context, Stage
from .bindings import stages_from_specs
from .edition_tables import publish_tables
from .planning import Plan, plan


def _raster_inputs(p: Plan) -> list[str]:
    return sorted(n for n, r in p.requirements.items() if r.kind == "raster")


@dataclass
class Prepared:
    """A run that passed every up-front check: ready to execute."""

    loaded: LoadedConfig
    framework: Any
    plan: Plan
    headers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: warnings the specs allow, found by the stage checks (tables) and the raster checker's block sample
    #: (``--check`` prints them; the run replaces the sample's by those of every cell)
    warnings: list[str] = field(default_factory=list)
    raster_warnings: list[str] = field(default_factory=list)


def default_specs_dir() -> Path:
    """The specs directory used when the configuration names none."""
    from ..specs.loader import specs_dir

    return specs_dir()


def load_run_framework(loaded: LoadedConfig) -> Any:
    """The framework for the configuration's edition, profile and overlay (SpecError if invalid)."""
    from ..specs.loader import load_framework

    cfg = loaded.config
    overlay = None
    if cfg.overlay:
        # a path to a file, or the id of an overlay among the specs' overlays
        p = loaded.resolve(cfg.overlay)
        overlay = p if p.suffix.lower() in (".yaml", ".yml") or p.exists() else cfg.overlay
    fw = load_framework(cfg.edition, cfg.profile, overlay, specs=loaded.resolve(cfg.specs) if cfg.specs else None,
                        parameters=parameter_overrides(cfg), parameters_source=f"{loaded.path or 'run config'}: parameters")
    info = getattr(fw, "overlay", None)
    if info is not None and cfg.country.iso3 and info.country != cfg.country.iso3:
        # another country's legends, matrices and factors would silently become this country's numbers
        raise InputError(f"overlay: {cfg.overlay} is the overlay of {info.country} (overlay.country), but country.iso3 "
                         f"is {cfg.country.iso3}; use the overlay written for {cfg.country.iso3}, or correct country.iso3")
    return fw


def prepare(loaded: LoadedConfig, *, stages: Sequence[Stage] | None = None, framework: Any = None,
            sample_rasters: bool = True) -> Prepared:
    """Every check before computing: specs, selection, inputs (all problems raised together).  *sample_rasters*:
    check the raster inputs' values on a block sample (``--check``); a run leaves it to :func:`execute`'s every-cell
    check, the same checker."""
    fw = framework if framework is not None else load_run_framework(loaded)
    stages = stages_from_specs(fw) if stages is None else stages
    p = plan(loaded, fw, stages)
    warnings: list[str] = []  # what the run goes on with but says: into the report and provenance, and --check's output
    headers = check_inputs(loaded, p.requirements, known_names=input_vocabulary(stages), warnings=warnings)
    # plausible values: a block sample here, for --check (cheap on a national raster); a run passes
    # sample_rasters=False: the same checker on the files, units and rules, no values, as execute() reads every block
    # with it before any stage computes (the sample was a second read of every input: 64 blocks are a whole raster up
    # to about 10^8 px, issue 16)
    raster_warnings = check_input_rasters(loaded, fw, _raster_inputs(p),
                                          max_blocks=CHECK_BLOCKS if sample_rasters else 0)
    problems = Problems()
    for stage in p.stages:
        if stage.check is not None:
            for line in stage.check(loaded, fw):
                if isinstance(line, InputWarning):
                    warnings += [line] if line not in warnings else []
                else:
                    problems.add(line)
    problems.raise_if_any(f"in the inputs of {loaded.path or 'the run config'}")
    data_skips(p, loaded, fw)
    return Prepared(loaded, fw, p, headers, warnings, raster_warnings)


def data_skips(p: Plan, loaded: LoadedConfig, fw: Any) -> None:
    """Move to *p*'s skipped list the indicators whose input data cannot give them (Stage.data_skips, the
    function the stage's run uses too), so the plan and ``--check`` say what the run will do. An indicator
    requested by name that the data cannot give is a problem, as in :func:`~indicators.engine.planning.plan`."""
    from ..errors import SpecError

    problems = Problems()
    for stage in p.stages:
        if stage.data_skips is None:
            continue
        for code, reason in stage.data_skips(loaded, fw).items():
            if code in p.indicators:
                p.indicators.remove(code)
                p.skipped.append(Skipped(code, reason))
                if loaded.config.indicators != "all":
                    problems.add(f"indicators: {code} cannot be computed: {reason}")
    problems.raise_if_any(f"in the indicator selection of {loaded.path or 'the run config'}", SpecError)
    order = {i.code: n for n, i in enumerate(fw.indicators)}
    p.skipped.sort(key=lambda s: order.get(s.indicator, len(order)))


def input_vocabulary(stages: Sequence[Stage]) -> set[str] | None:
    """Every input name the stages may read, plus the inputs recorded but not read (config.RECORDED_INPUTS);
    None when a stage does not declare its inputs (then only near-misses of the built-in names are flagged)."""
    from ..config.schema import RECORDED_INPUTS

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
    # every cell of every raster input with a declared plausibility, before any stage computes (the same
    # checker as --check, which reads a block sample): a value --check's sample missed still never becomes a number
    result.warnings = check_input_rasters(prep.loaded, fw, _raster_inputs(prep.plan), compute=ctx.compute) + prep.warnings
    try:
        for stage in prep.plan.stages:
            with progress.stage(stage.title):
                ctx.stage = stage
                stage.run(ctx)
            trim_heap()  # the next stage starts from what this one still holds, not from its peak
        ctx.stage = None
    except BaseException:
        # a failed run leaves no scratch file behind (with a cluster they sit beside the output)
        for store in ctx.stores:
            store.close()
        raise
    result.tables = publish_tables(result.tables, fw)  # under the edition's table ids (D23)
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

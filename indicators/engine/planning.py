"""Planning a run: which stages run, which are skipped and why, and what each input must provide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..config.checks import Problems, Requirement
from ..config.loading import LoadedConfig
from ..errors import SpecError
from ..report.model import Skipped
from ..stage import Need, Stage, module_missing



def unbound_functions(framework: Any, codes: Sequence[str]) -> None:
    """Refuse, before anything is computed, a metric of *codes* whose ``compute.function`` does not import (an
    overlay's ``compute_overrides`` misspelt): the run loads the specs without importing bindings, and a stage would
    otherwise meet it mid-run. Metrics marked ``status: planned`` are not computed and not checked. Part of the
    plan, so ``--check`` refuses what the run refuses."""
    from ..specs.binding import metric_function

    problems = Problems()
    for code in codes:
        for m in getattr(framework.indicator(code), "metrics", ()):
            if m.compute is None or getattr(m, "status", None) == "planned":
                continue
            func, problem = metric_function(m)
            if func is None:
                problems.add(problem)
    problems.raise_if_any("in the compute bindings of the run's indicators", SpecError)


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
    # sub-items (those with a parent) are reported inside their parent indicator
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
        missing = module_missing(s.modules)
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
    unbound_functions(framework, [c for s in chosen for c in s.indicators if c in computed])

    reqs: dict[str, Requirement] = {}
    for s in chosen:
        for n in needs_of[s.id]:
            prev = reqs.get(n.input)
            years = tuple(sorted(set(n.years) | set(prev.years if prev else ())))
            by = tuple(dict.fromkeys((prev.needed_by if prev else ()) + s.indicators))
            why = tuple(dict.fromkeys((prev.why if prev else ()) + ((n.why,) if n.why and n.years else ())))
            reqs[n.input] = Requirement(n.input, n.kind, n.units or (prev.units if prev else None), years, by,
                                        n.same_grid and (prev.same_grid if prev else True), why)
    return Plan(chosen, reqs, skipped, computed)

"""Which stages a framework runs: each indicator's spec names its stage (``run: package.module:NAME``), or
``run: generic``: the engine builds the stage from its metrics' bindings (:mod:`indicators.engine.generic`).

The engine knows no indicator by name.  :func:`stages_from_specs` imports the stage each
indicator's ``run`` binding names, once per stage, and orders them so that a stage comes after
the stages it uses (``Stage.after``), otherwise in the specs' indicator order.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from ..errors import SpecError
from ..stage import Stage
from .generic import generic_stage


def resolve_stage(ref: str, *, indicator: str) -> Stage:
    """The :class:`~indicators.stage.Stage` a ``run`` binding (``package.module:NAME``) names."""
    module_name, _, attr = ref.partition(":")
    where = f"indicator {indicator}: run {ref}"
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        raise SpecError(f"{where}: module {module_name} does not exist ({exc}); fix the binding") from None
    stage = getattr(module, attr, None)
    if not isinstance(stage, Stage):
        what = "no attribute" if stage is None else f"{type(stage).__name__}, not a Stage,"
        raise SpecError(f"{where}: {module_name} has {what} {attr}; name a Stage defined in the module")
    if indicator not in stage.indicators:
        raise SpecError(f"{where}: stage {stage.id!r} computes {', '.join(stage.indicators)}, not {indicator}; "
                        "bind the indicator to the stage that computes it")
    return stage


def stages_from_specs(framework: Any) -> list[Stage]:
    """The stages the framework's indicators are bound to, each once, every stage after those it uses."""
    found: dict[str, Stage] = {}
    for ind in framework.indicators:
        ref = getattr(ind, "run", None)
        if not ref:
            continue
        stage = generic_stage(ind) if getattr(ind, "generic", False) else resolve_stage(ref, indicator=ind.code)
        prev = found.setdefault(stage.id, stage)
        if prev is not stage:
            raise SpecError(f"indicator {ind.code}: run {ref}: two different stages have the id {stage.id!r}")
    ordered: list[Stage] = []
    done: set[str] = set()

    def place(stage: Stage, chain: tuple[str, ...]) -> None:
        if stage.id in done:
            return
        if stage.id in chain:
            raise SpecError(f"stages {' -> '.join((*chain, stage.id))} run after each other in a cycle")
        for sid in stage.after:
            if sid not in found:
                raise SpecError(f"stage {stage.id!r} uses the results of stage {sid!r}, which no indicator's run binding names")
            place(found[sid], (*chain, stage.id))
        done.add(stage.id)
        ordered.append(stage)

    for stage in found.values():
        place(stage, ())
    return ordered

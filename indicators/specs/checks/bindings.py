"""Checks of the run and compute bindings: the named stage or function imports and fits (rule ``binding``).

A compute function that does not exist yet is a *planned* finding when the metric says ``status: planned``.
"""

from __future__ import annotations

import inspect
from typing import Any

from ..binding import resolve_function
from ..model import Framework
from ..parameter_model import PARAMETER_BLOCKS
from .context import CheckContext


def _names_existing_parameter(fw: Framework, ref: str) -> bool:
    kind, _, rest = ref.partition(":")
    block, _, name = rest.partition(".")
    return kind == "parameters" and block in PARAMETER_BLOCKS and getattr(fw.blocks, block) is not None and name in type(getattr(fw.blocks, block)).model_fields


def check_run_binding(ctx: CheckContext, i: int, ind: Any) -> None:
    """An indicator's ``run`` names a stage (``module:NAME``) that exists and computes the indicator."""
    if ind.run is None:
        return
    if ind.generic:
        check_generic(ctx, i, ind)
        return
    loc = ("indicators", i, "run")
    try:
        stage, why = resolve_function(ind.run)
    except Exception as exc:  # an import that fails for another reason is the code's problem, not the spec's
        ctx.add(loc, f"importing {ind.run} failed ({type(exc).__name__}: {exc})", "fix the module so that it imports", "binding")
        return
    if stage is None:
        ctx.add(loc, (why or "").replace("has no function", "has no stage"),
                "name a Stage defined in the module (package.module:NAME)", "binding")
        return
    codes = getattr(stage, "indicators", None)
    if not isinstance(codes, tuple) or not callable(getattr(stage, "run", None)):
        ctx.add(loc, f"{ind.run} is a {type(stage).__name__}, not a stage", "name a Stage (indicators.stage.Stage)", "binding")
    elif ind.code not in codes:
        ctx.add(loc, f"stage {ind.run} computes {', '.join(codes)}, not {ind.code}",
                "bind the indicator to the stage that computes it", "binding")


def check_generic(ctx: CheckContext, i: int, ind: Any) -> None:
    """An indicator with ``run: generic`` (decision D30): each bound metric says which configuration input feeds each
    of its data inputs (``read``) and which declared tables its function returns (``writes``); every declared table
    is written by one of them (else it has no builder)."""
    declared = [t.id for t in ind.tables]
    written: set[str] = set()
    bound = [(j, m) for j, m in enumerate(ind.metrics) if m.compute is not None and m.status != "planned"]
    if not bound:
        ctx.add(("indicators", i, "run"), f"{ind.code} is 'run: generic' but none of its metrics has a compute binding",
                "bind a metric to its function (compute: {function, inputs, read, writes}), or name a Stage", "binding")
    for j, m in bound:
        loc = ("indicators", i, "metrics", j, "compute")
        b = m.compute
        for name in b.inputs:
            if name not in b.read:
                ctx.add(loc + ("inputs",), f"input {name!r} of {b.function} is fed by no configuration input",
                        f"add read: {{{name}: <input name of the run configuration>}}", "binding")
        for name in b.read:
            if name not in b.inputs:
                ctx.add(loc + ("read", name), f"read names {name!r}, which is not one of the binding's inputs "
                        f"({', '.join(b.inputs) or 'none'})", f"add {name!r} to inputs, or remove it from read", "binding")
        if not b.writes:
            ctx.add(loc + ("function",), f"{b.function} writes no table (compute.writes is empty)",
                    f"list the tables it returns in writes (declared: {', '.join(declared) or 'none'})", "binding")
        for k, tid in enumerate(b.writes):
            if tid not in declared:
                ctx.add(loc + ("writes", k), f"table {tid} is not declared by {ind.code}",
                        f"declare it under {ind.code}'s tables (declared: {', '.join(declared) or 'none'})", "binding")
            written.add(tid)
    for k, t in enumerate(ind.tables):
        if bound and t.id not in written:
            ctx.add(("indicators", i, "tables", k, "id"), f"table {t.id} has no builder: no metric of the generic "
                    f"indicator {ind.code} writes it", "list it in a metric's compute.writes, or remove the declaration",
                    "tables")


def check_bindings(ctx: CheckContext) -> None:
    fw = ctx.fw
    for i, ind in enumerate(fw.indicators):
        check_run_binding(ctx, i, ind)
        for j, m in enumerate(ind.metrics):
            if m.compute is None:
                continue
            loc = ("indicators", i, "metrics", j, "compute")
            if not ind.generic:
                for key in ("read", "writes"):
                    if getattr(m.compute, key):
                        ctx.add(loc + (key,), f"compute.{key} is for an indicator with 'run: generic'; {ind.code} "
                                f"runs {ind.run}", f"remove {key}, or make the indicator 'run: generic'", "binding")
            for name, ref in m.compute.arguments.items():
                try:
                    fw.resolve(ref)
                except (KeyError, AttributeError) as exc:
                    if _names_existing_parameter(fw, ref):
                        continue  # the field exists but its value is a bad reference: reported on the field itself
                    ctx.add(loc + ("arguments", name), f"reference {ref!r} does not resolve ({str(exc).strip(chr(34))})",
                            "use matrix:<id>, legend:<id>, classification:<id>, lookup_table:<id>, factor_set:<id>, nesting:<id>, parameters:<block>[.<field>] or edition:<field>",
                            "binding")
            try:
                func, why = resolve_function(m.compute.function)
            except Exception as exc:  # an import that fails for another reason is the code's problem, not the spec's
                ctx.add(loc + ("function",), f"importing {m.compute.function} failed ({type(exc).__name__}: {exc})", "fix the module so that it imports", "binding")
                continue
            if func is None:
                if m.status == "planned":
                    ctx.add(loc + ("function",), f"{why} (metric marked 'status: planned')",
                            "write the function, or leave the metric planned (validate --strict refuses it)", "binding", "planned")
                else:
                    ctx.add(loc + ("function",), why or f"{m.compute.function} does not exist",
                            "correct the module:function name, or mark the metric 'status: planned'", "binding")
                continue
            try:
                sig = inspect.signature(func)
            except (TypeError, ValueError):
                continue
            params = sig.parameters
            var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
            accepted = {n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
            for name in [*m.compute.inputs, *m.compute.arguments]:
                if name not in accepted and not var_kw:
                    ctx.add(loc + (("inputs",) if name in m.compute.inputs else ("arguments", name)),
                            f"{m.compute.function}{sig} has no parameter {name!r}",
                            f"rename the input to one of ({', '.join(accepted)}) or add '{name}' to the function", "binding")
            if ind.generic:  # the generic stage passes the inputs and the arguments, nothing else
                given = {*m.compute.inputs, *m.compute.arguments}
                for name, p in params.items():
                    if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and name not in given:
                        ctx.add(loc + ("function",), f"{m.compute.function} needs {name!r}, which the binding does not "
                                "give (the generic stage passes only its inputs and arguments)",
                                f"add {name!r} to inputs (with read) or to arguments, or give it a default", "binding")

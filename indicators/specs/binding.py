"""Importing what a spec binding names: the one home of ``package.module:NAME`` resolution.

:func:`resolve_function` imports a binding's target (a metric's ``compute.function``, an indicator's ``run``
stage); :func:`bound_function` gives a metric's compute function with its resolved spec arguments applied, which
is how a stage calls a metric (:meth:`indicators.stage.Context.metric_function`), so that the specs (and an
overlay's ``compute_overrides``) decide which function a run calls.  The import happens when called: loading the
specs imports no compute module.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import import_module
from typing import Any

from ..errors import SpecError


def resolve_function(spec: str) -> tuple[Callable[..., Any] | None, str | None]:
    """The object *spec* (``package.module:NAME``) names, or None and why not (module or name missing).

    An import that fails for another reason (the module's own error) is raised."""
    module_name, _, func_name = spec.partition(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return None, f"module {module_name} does not exist yet"
        raise
    func = getattr(module, func_name, None)
    if func is None:
        return None, f"{module_name} has no function {func_name} yet"
    return func, None


def metric_function(metric: Any) -> tuple[Callable[..., Any] | None, str | None]:
    """The function metric *metric*'s ``compute.function`` names, or None and the one-line problem (the module does
    not exist or fails to import, the name is missing or not callable): what the plan refuses before computing and
    :func:`bound_function` raises."""
    ref = metric.compute.function
    try:
        func, why = resolve_function(ref)
    except Exception as exc:  # the module's own import error: named, with the binding that led to it
        return None, (f"metric {metric.id}: importing compute.function {ref} failed ({type(exc).__name__}: {exc}); "
                      "fix the module so that it imports")
    if func is None or not callable(func):
        return None, (f"metric {metric.id}: compute.function {ref}: {why or 'not a function'}; correct the binding "
                      "(indicators validate names the file and line)")
    return func, None


def bound_function(framework: Any, metric_id: str) -> Callable[..., Any]:
    """Metric *metric_id*'s compute function (``compute.function``) with its spec arguments applied
    (``compute.arguments``, resolved by :meth:`~indicators.specs.model.Framework.binding_arguments`).

    The caller passes the data inputs and any further keywords; a keyword it passes wins over a bound one.
    A binding that does not import is a :class:`~indicators.errors.SpecError` (``indicators validate`` reports it
    with its file and line)."""
    metric = framework.metric(metric_id)
    if metric.compute is None:
        raise SpecError(f"metric {metric_id} has no compute binding; add compute: {{function: ...}} to its spec")
    func, problem = metric_function(metric)
    if func is None:
        raise SpecError(problem)
    return functools.partial(func, **framework.binding_arguments(metric_id))

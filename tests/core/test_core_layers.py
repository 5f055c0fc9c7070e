"""Imports run one way: entry points → engine → objective packages → shared helpers.

Parsed from the source (ast), every import statement including those inside functions:

* ``indicators`` (the package's lazy front), ``indicators.cli`` (and ``python -m indicators``), ``indicators.commands`` and the Python front
  (``indicators.api``: ``compute``; ``indicators.runs``: ``run``; ``indicators.accessor``: ``da.unccd``) — the entry points;
* ``indicators.engine`` — plans, executes and writes a run; knows no indicator by name (it finds the
  stages through each indicator's ``run`` binding in the specs, by import at plan time); beside it
  ``indicators.datasets`` — readers of the published default datasets, which nest classes with SO1's
  functions and are used by ``indicators prepare``;
* ``indicators.so1`` … ``indicators.so5`` — each objective's compute functions and its run stages;
* everything else — shared helpers (grid, io, summarize, tables, classes, units, trends, errors, config,
  progress, stage, stage_helpers, stage_tables, rasterize, input_docs), the specs library
  (``indicators.specs``: config reads its model, the engine its loader) and the writers
  (``indicators.report``, which computes nothing).

A module may import its own layer or a lower one, never a higher one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "indicators"
OBJECTIVES = {"so1", "so2", "so3", "so4", "so5"}
LAYER_NAMES = {1: "shared helpers", 2: "objective packages", 3: "engine", 4: "entry points"}


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    parts = module.split(".")
    if parts[0] != "indicators":
        raise ValueError(module)
    if len(parts) == 1 or parts[1] in ("__main__", "cli", "commands", "api", "runs", "accessor"):
        return 4
    if parts[1] in ("engine", "datasets"):
        return 3
    if parts[1] in OBJECTIVES:
        return 2
    return 1


def imported(path: Path, root: Path = PACKAGE) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, absolute module, names) of every import of the package in *path*."""
    me = module_name(path, root)
    is_pkg = path.name == "__init__.py"
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, ()) for a in node.names if a.name.split(".")[0] == "indicators"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = me.split(".") if is_pkg else me.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "indicators":
                out.append((node.lineno, target, tuple(a.name for a in node.names)))
    return out


def only_version(target: str, names: tuple[str, ...]) -> bool:
    """``from indicators import __version__``: the version string, not the lazy front's names."""
    return target == "indicators" and set(names) <= {"__version__"}


def upward_imports(root: Path = PACKAGE) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        me = module_name(path, root)
        for line, target, names in imported(path, root):
            if layer(target) > layer(me) and not only_version(target, names):
                problems.append(f"{path.relative_to(root.parent)}:{line}: {me} ({LAYER_NAMES[layer(me)]}) imports "
                                f"{target} ({LAYER_NAMES[layer(target)]})")
    return problems


def test_no_module_imports_from_a_layer_above_it():
    assert upward_imports() == []


def test_report_computes_nothing():
    """The writers import no objective package and not the engine."""
    bad = [f"{p.name}:{line}: {t}" for p in sorted((PACKAGE / "report").rglob("*.py"))
           for line, t, names in imported(p) if layer(t) >= 2 and not only_version(t, names)]
    assert bad == []


def test_the_engine_names_no_objective():
    """The engine reaches the objectives' stages only through the specs' run bindings."""
    import re

    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((PACKAGE / "engine").rglob("*.py")))
    assert not re.findall(r"\bindicators\.so[1-5]\b|\bSO[1-5]-\d", text)


@pytest.mark.parametrize("source, where, expected", [
    ("from ..engine import prepare\n", "so3/run_x.py", "indicators.so3.run_x (objective packages) imports indicators.engine"),
    ("def f():\n    from .so1.land import land_mask\n", "grid_x.py", "indicators.grid_x (shared helpers) imports indicators.so1.land"),
    ("import indicators.engine.session\n", "report/x.py", "indicators.report.x (shared helpers) imports indicators.engine.session"),
    ("from .. import load_framework\n", "engine/x.py", "indicators.engine.x (engine) imports indicators (entry points)"),
])
def test_an_upward_import_is_found(tmp_path, source, where, expected):
    """The check fails on each kind of upward import (module level, inside a function, absolute, the lazy front)."""
    root = tmp_path / "indicators"
    (root / Path(where).parent).mkdir(parents=True, exist_ok=True)
    (root / where).write_text(source)
    problems = upward_imports(root)
    assert len(problems) == 1 and expected in problems[0], problems

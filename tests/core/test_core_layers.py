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


@pytest.mark.parametrize("nodata", [-9999.0, None, float("nan")])
def test_inside_values_equal_mask_nodata_then_where_inside(nodata):
    """The fused mask (one pass per block) gives what ``mask_nodata(da).where(inside)`` gives: the same values bit
    for bit (nodata, NaN and outside cells as NaN), dtype, attributes and coordinates; for a (year, y, x) stack too,
    and an integer raster is left to xarray's promotion."""
    import types

    import numpy as np
    import rioxarray  # noqa: F401
    import xarray as xr

    from indicators.stage_helpers import inside_values, mask_nodata, outside_as_nan

    rng = np.random.default_rng(2)
    values = (rng.random((2, 6, 7)) * 100).astype(np.float32)
    values[0, 1, 2] = values[1, 4, 4] = -9999.0
    values[0, 3, 3] = np.nan
    coords = {"year": [2015, 2019], "y": np.arange(6.0, 0, -1), "x": np.arange(7.0)}
    da = xr.DataArray(values, dims=("year", "y", "x"), coords=coords, attrs={"units": "person"}).chunk({"y": 4, "x": 3})
    da = da.rio.write_crs("EPSG:4326")
    if nodata is not None:
        da = da.rio.write_nodata(nodata, encoded=False)
    inside = xr.DataArray(rng.random((6, 7)) < 0.7, dims=("y", "x"), coords={"y": coords["y"], "x": coords["x"]})
    ctx = types.SimpleNamespace(_cache={"inside": inside.chunk({"y": 4, "x": 3})})
    for layer in (da, da.sel(year=2019, drop=True)):
        want = mask_nodata(layer).where(ctx._cache["inside"])
        got = inside_values(ctx, layer)
        assert got.dtype == want.dtype == np.float32
        assert got.values.tobytes() == want.values.tobytes()
        assert got.attrs == want.attrs and list(got.coords) == list(want.coords) and got.rio.crs == want.rio.crs
        plain = layer.where(ctx._cache["inside"])  # outside_as_nan: the boundary only, nodata values kept
        assert outside_as_nan(ctx, layer).values.tobytes() == plain.values.tobytes()
    # by hand: the nodata cell and an outside cell are NaN, an inside value is kept
    got = inside_values(ctx, da.sel(year=2015, drop=True)).values
    assert np.isnan(got[3, 3])  # NaN stays NaN
    if nodata == -9999.0 or not inside.values[1, 2]:
        assert np.isnan(got[1, 2])
    else:  # -9999 is a value when it is not the nodata
        assert got[1, 2] == -9999.0
    plain = inside.values & np.isfinite(values[0]) & (values[0] != -9999.0)
    np.testing.assert_array_equal(got[plain], values[0][plain])
    assert np.isnan(got[~inside.values]).all()
    integer = xr.DataArray(np.arange(42, dtype=np.int16).reshape(6, 7), dims=("y", "x"), coords=inside.coords)
    integer = integer.rio.write_crs("EPSG:4326").rio.write_nodata(5, encoded=False)
    assert inside_values(ctx, integer).dtype == mask_nodata(integer).where(ctx._cache["inside"]).dtype

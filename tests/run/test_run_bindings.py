"""The specs decide what a run computes (issue 11, decision D30).

* An overlay's ``compute_overrides`` rebinds a metric to another function, and the run's table is what that
  function returns (the stages call each metric through its binding, :meth:`indicators.stage.Context.metric_function`).

Expected values are worked out by hand from the CSV rows written or copied here.
"""

from __future__ import annotations

import csv
import importlib.machinery
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
import yaml

from indicators.cli import main
from indicators.config import load_config
from indicators.engine import run_to_directory

from .conftest import write_boundary

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
HEADER = {"spec_version": 1, "kind": "overlay",
          "overlay": {"id": "test_bindings", "country": "XTB", "name": "Testland", "description": "test", "source": "test"}}


def _register(monkeypatch, **functions):
    """A module ``test_bound_functions`` holding *functions*, importable by the bindings."""
    mod = types.ModuleType("test_bound_functions")
    mod.__spec__ = importlib.machinery.ModuleSpec("test_bound_functions", None)  # found by the plan's import check
    for name, fn in functions.items():
        setattr(mod, name, fn)
    monkeypatch.setitem(sys.modules, "test_bound_functions", mod)


def _config(d: Path, inputs: dict, indicators: list[str], overlay: dict | None = None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    write_boundary(d / "boundary.gpkg")
    cfg = {"country": {"name": "Testland", "boundary": "boundary.gpkg"}, "indicators": indicators, "inputs": inputs}
    if overlay is not None:
        (d / "overlay.yaml").write_text(yaml.safe_dump({**HEADER, **overlay}, sort_keys=False))
        cfg["overlay"] = "overlay.yaml"
    (d / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return d / "config.yaml"


def _table(out: Path, table_id: str) -> list[dict[str, str]]:
    path = next(out.rglob(f"{table_id}.csv"))
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


# ----------------------------------------------------------------------------- A: a metric rebound by an overlay

def _not_safely_managed(table, *, value_range, years, allow_gaps, trend_tolerance, trend_method):
    """The share of the population NOT using safely managed water (100 - value), national total rows only."""
    rows = table[(table["scope"] == "national") & (table["area_type"] == "total")]
    series = pd.DataFrame({"scope": "national", "year": rows["year"].astype(int),
                           "safely_managed_water_total_pct": 100.0 - rows["value"].astype(float)})
    series.attrs["units"] = {"safely_managed_water_total_pct": "percent"}
    return {"series": series}


WATER = {"so2_2_water": {"path": str(SAMPLE / "tables" / "so2_2_water.csv"), "source": "sample data"}}


def _national_total_2000(out: Path) -> float:
    rows = [r for r in _table(out, "SO2-2.T1") if r["scope"] == "national" and r["year"] == "2000"]
    assert len(rows) == 1
    return float(rows[0]["safely_managed_water_total_pct"])


def test_an_overlay_rebinding_a_metric_changes_what_the_run_computes(tmp_path, monkeypatch):
    _register(monkeypatch, not_safely_managed=_not_safely_managed)
    # sample_data/tables/so2_2_water.csv: 2000,national,total,64.2,percent
    plain = _config(tmp_path / "plain", WATER, ["SO2-2"])
    run_to_directory(load_config(plain), tmp_path / "out_plain", quiet=True)
    assert _national_total_2000(tmp_path / "out_plain") == pytest.approx(64.2)

    rebound = _config(tmp_path / "rebound", WATER, ["SO2-2"], {"compute_overrides": {
        "SO2-2.safe_drinking_water": {"function": "test_bound_functions:not_safely_managed", "inputs": ["table"]}}})
    run_to_directory(load_config(rebound), tmp_path / "out_rebound", quiet=True)
    assert _national_total_2000(tmp_path / "out_rebound") == pytest.approx(100 - 64.2)  # 35.8


def test_an_override_of_a_metric_the_specs_do_not_hold_is_refused_with_its_line(tmp_path, capsys):
    cfg = _config(tmp_path / "c", WATER, ["SO2-2"], {"compute_overrides": {
        "SO2-2.no_such_metric": {"function": "test_bound_functions:not_safely_managed", "inputs": ["table"]}}})
    assert main(["run", str(cfg), "--check"]) == 2
    err = capsys.readouterr().err
    assert "overlay.yaml:" in err and "metric 'SO2-2.no_such_metric' is not defined" in err

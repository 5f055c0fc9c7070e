"""The specs decide what a run computes (issue 11, decision D30).

* An overlay's ``compute_overrides`` rebinds a metric to another function, and the run's table is what that
  function returns (the stages call each metric through its binding, :meth:`indicators.stage.Context.metric_function`).
* An indicator with ``run: generic`` needs no Stage code: an overlay adds one (a metric bound to a function defined
  here, a declared table, a CSV input) and the run writes the function's table; ``indicators validate`` refuses a
  binding whose input the function does not take or whose table the indicator does not declare.

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
from indicators.errors import InputError

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


def test_a_rebinding_to_a_function_that_does_not_exist_is_refused_by_check_and_run_alike(tmp_path, capsys):
    """The run loads the specs without importing the bindings; the plan (shared by --check and the run) imports the
    bindings of the indicators it will compute, so the misspelling is one line before anything is computed."""
    cfg = _config(tmp_path / "c", WATER, ["SO2-2"], {"compute_overrides": {
        "SO2-2.safe_drinking_water": {"function": "indicators.so2.people:drinking_watr_indicator", "inputs": ["table"]}}})
    want = "metric SO2-2.safe_drinking_water: compute.function indicators.so2.people:drinking_watr_indicator"
    assert main(["run", str(cfg), "--check"]) != 0
    check_err = capsys.readouterr().err
    assert want in check_err and "has no function drinking_watr_indicator" in check_err
    out = tmp_path / "out"
    assert main(["run", str(cfg), "-o", str(out), "--quiet"]) != 0
    run_err = capsys.readouterr().err
    assert want in run_err and "Traceback" not in run_err
    assert not out.exists()


# ----------------------------------------------------------------------------- B: an indicator with no Stage code

def connection_share(households):
    """Percent of households connected per year (cells arrive as text: the function types its own columns)."""
    n = households["households"].astype(int)
    if (n <= 0).any():
        raise InputError(f"{households.attrs['source']}: households must be positive; correct the table")
    share = 100.0 * households["connected"].astype(int) / n
    return {"SO2-4.T1": pd.DataFrame({"year": households["year"].astype(int), "connected_pct": share})}


def _generic_overlay(**binding) -> dict:
    compute = {"function": "test_bound_functions:connection_share", "inputs": ["households"],
               "read": {"households": "so2_4_households"}, "writes": ["SO2-4.T1"], **binding}
    return {"indicators": [{
        "code": "SO2-4", "objective": "SO2", "run": "generic", "name": "Households connected to the water network",
        "status": {"2022": {"status": "optional"}, "2026": {"status": "optional"}},
        "tables": [{"id": "SO2-4.T1", "title": "Households connected, by year", "labels": ["year"],
                    "units": {"connected_pct": "percent"}}],
        "other_tables": ["SO2-4.T1"], "source": "national statistics (test)",
        "metrics": [{"id": "SO2-4.connected", "name": "Share of households connected", "quantity": "fraction",
                     "unit": "percent", "source": "test", "compute": compute}]}]}


def _households(d: Path, rows: str) -> dict:
    d.mkdir(parents=True, exist_ok=True)
    (d / "households.csv").write_text("year,households,connected\n" + rows)
    return {"so2_4_households": {"path": "households.csv", "source": "test"}}


def test_an_indicator_added_by_an_overlay_runs_without_stage_code(tmp_path, monkeypatch):
    _register(monkeypatch, connection_share=connection_share)
    d = tmp_path / "c"
    cfg = _config(d, _households(d, "2010,200,50\n2020,250,150\n"), ["SO2-4"], _generic_overlay())
    result = run_to_directory(load_config(cfg), tmp_path / "out", quiet=True)
    assert result.indicators == ["SO2-4"]
    rows = _table(tmp_path / "out", "SO2-4.T1")
    assert [(r["year"], float(r["connected_pct"])) for r in rows] == [("2010", 25.0), ("2020", 60.0)]  # 50/200, 150/250
    assert result.tables["SO2-4.T1"].units == {"connected_pct": "percent"}  # from the table's declaration


def test_a_generic_indicator_is_skipped_without_its_input_and_its_function_refuses_bad_data(tmp_path, monkeypatch, capsys):
    _register(monkeypatch, connection_share=connection_share)
    d = tmp_path / "c"
    cfg = _config(d, {**WATER, **_households(d, "2010,0,0\n")}, "all", _generic_overlay())
    # the function's own refusal of its data: the run's one line, exit status 2, nothing written
    assert main(["run", str(cfg), "-o", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "households must be positive" in err[0] and "households.csv" in err[0]
    assert not (tmp_path / "out").exists()
    # without its input the plan skips it (as --check says), and the other indicators run
    cfg = _config(tmp_path / "w", WATER, "all", _generic_overlay())
    result = run_to_directory(load_config(cfg), tmp_path / "out2", quiet=True)
    skipped = {s.indicator: s.reason for s in result.skipped}
    assert "SO2-4" in skipped and "so2_4_households" in skipped["SO2-4"]
    assert "SO2-2" in result.indicators


@pytest.mark.parametrize("binding, where, message", [
    ({"read": {"people": "so2_4_households"}, "inputs": ["people"]}, "inputs",
     "has no parameter 'people'"),
    ({"writes": ["SO2-4.T9"]}, "writes[0]", "table SO2-4.T9 is not declared by SO2-4"),
    ({"read": {"households": "so2_4_households", "extra": "x"}}, "read.extra", "read names 'extra'"),
    ({"function": "indicators.so2.people:drinking_water_indicator", "inputs": ["table"], "read": {"table": "t"}},
     "compute.function", "needs 'value_range', which the binding does not give"),
])
def test_validate_refuses_a_generic_binding_the_function_or_the_tables_do_not_fit(tmp_path, monkeypatch, capsys,
                                                                                   binding, where, message):
    _register(monkeypatch, connection_share=connection_share)
    path = tmp_path / "overlay.yaml"
    text = yaml.safe_dump({**HEADER, **_generic_overlay(**binding)}, sort_keys=False)
    path.write_text(text)
    assert main(["validate", str(path)]) != 0
    out = capsys.readouterr()
    found = [ln for ln in (out.out + out.err).splitlines() if message in ln]
    assert found, out.out + out.err
    assert "overlay.yaml:" in found[0] and where in found[0]


def test_validate_accepts_the_generic_overlay(tmp_path, monkeypatch, capsys):
    _register(monkeypatch, connection_share=connection_share)
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump({**HEADER, **_generic_overlay()}, sort_keys=False))
    code = main(["validate", str(path)])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err


def test_an_overlay_cannot_redefine_an_indicator_of_the_specs(tmp_path, monkeypatch, capsys):
    """A country adds indicators and rebinds metrics (compute_overrides); it does not replace SO2-2 wholesale."""
    _register(monkeypatch, connection_share=connection_share)
    overlay = _generic_overlay()
    overlay["indicators"][0]["code"] = "SO2-2"
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump({**HEADER, **overlay}, sort_keys=False))
    assert main(["validate", str(path)]) != 0
    out = capsys.readouterr()
    assert "indicator 'SO2-2' is already defined in specs/so2_people.yaml:" in out.out + out.err

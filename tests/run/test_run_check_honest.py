"""``indicators run --check`` predicts what the run computes and skips (issue 12 item 6).

The expected lists are the run's own provenance (what it wrote), never the plan's code path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from indicators.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def _check_lists(argv: list[str], capsys) -> tuple[list[str], list[dict[str, str]]]:
    capsys.readouterr()
    assert main(argv) == 0
    err = capsys.readouterr().err
    computed: list[str] = []
    skipped: list[dict[str, str]] = []
    for line in err.splitlines():
        if "would compute " in line:
            computed = [c.strip() for c in line.split("would compute ", 1)[1].split(",") if c.strip() != "nothing"]
        elif line.startswith("would skip "):
            code, reason = line[len("would skip "):].split(": ", 1)
            skipped.append({"indicator": code, "reason": reason})
    return computed, skipped


def _provenance_lists(out: Path) -> tuple[list[str], list[dict[str, str]]]:
    prov = json.loads((out / "provenance.json").read_text())["indicators"]
    return prov["computed"], prov["skipped"]


def test_demo_check_lists_what_the_demo_run_computed_and_skipped(demo_output, capsys):
    computed, skipped = _check_lists(["demo", "--check"], capsys)
    assert (computed, skipped) == _provenance_lists(demo_output)
    # the sample flows table has no SO5-4 rows (sample_data/tables/so5_flows.csv): a skip --check must announce
    assert "SO5-4" in {s["indicator"] for s in skipped}


def _finance_only_config(tmp_path: Path, drop: str) -> Path:
    """The demo's country with only its SO5 tables, the flows table without any *drop* rows."""
    cfg = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text())
    keep = ("so5_flows", "exchange_rates", "so5_5_narrative")
    cfg["inputs"] = {k: v for k, v in cfg["inputs"].items() if k in keep}
    for v in cfg["inputs"].values():
        v["path"] = str(SAMPLE / v["path"])
    lines = (SAMPLE / "tables" / "so5_flows.csv").read_text().splitlines(keepends=True)
    kept = [ln for ln in lines if not ln.replace(" ", "").startswith(drop + ",")]
    assert len(kept) < len(lines), f"the sample flows table has {drop} rows to drop"
    # the table and the configuration in a folder of their own, the outputs beside it (D27)
    data = tmp_path / "country"
    data.mkdir(exist_ok=True)
    (data / "flows.csv").write_text("".join(kept))
    cfg["inputs"]["so5_flows"]["path"] = str(data / "flows.csv")
    for key in ("boundary",):
        cfg["country"][key] = str(SAMPLE / cfg["country"][key])
    cfg["country"]["admin_units"]["path"] = str(SAMPLE / cfg["country"]["admin_units"]["path"])
    cfg["overlay"] = str(SAMPLE / cfg["overlay"])
    path = data / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.mark.parametrize("drop", ["SO5-2", "SO5-3"])
def test_check_lists_what_the_run_computed_and_skipped_with_a_missing_table_row(tmp_path, capsys, drop):
    config = _finance_only_config(tmp_path, drop)
    computed, skipped = _check_lists(["run", str(config), "--check"], capsys)
    assert drop in {s["indicator"] for s in skipped} and drop not in computed
    out = tmp_path / "out"
    assert main(["run", str(config), "-o", str(out), "--quiet"]) == 0
    assert (computed, skipped) == _provenance_lists(out)


def test_an_indicator_requested_by_name_without_rows_is_refused_before_computing(tmp_path, capsys):
    config = _finance_only_config(tmp_path, "SO5-3")
    cfg = yaml.safe_load(config.read_text())
    cfg["indicators"] = ["SO5-1", "SO5-3"]
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    capsys.readouterr()
    assert main(["run", str(config), "--check"]) == 2
    err = capsys.readouterr().err
    assert "SO5-3 cannot be computed" in err and "no SO5-3 rows" in err and "Traceback" not in err


def test_a_mistyped_year_template_is_one_line_listing_the_years(tmp_path, capsys):
    cfg = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text())
    cfg["specs"] = None
    cfg["country"]["boundary"] = str(SAMPLE / cfg["country"]["boundary"])
    cfg["country"]["admin_units"]["path"] = str(SAMPLE / cfg["country"]["admin_units"]["path"])
    cfg["overlay"] = str(SAMPLE / cfg["overlay"])
    for v in cfg["inputs"].values():
        if isinstance(v.get("path"), str):
            v["path"] = str(SAMPLE / v["path"])
        elif isinstance(v.get("path"), dict):
            v["path"] = {k: str(SAMPLE / p) for k, p in v["path"].items()}
    cfg["inputs"]["land_cover"]["path"] = str(SAMPLE / "land_cover" / "esa_lc_{year}.tif")  # the real files are esa_cci_lc_
    cfg = {k: v for k, v in cfg.items() if v is not None}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    capsys.readouterr()
    assert main(["run", str(tmp_path / "c.yaml"), "--check"]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if "inputs.land_cover" in ln]
    assert len(lines) == 1, err
    assert "24 of its 24 files do not exist (2000-2023;" in lines[0] and "esa_lc_2000.tif" in lines[0]


def test_schema_problems_are_in_words_not_pydantic_patterns(tmp_path, capsys):
    cfg = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text())
    cfg["country"]["iso3"] = "xa"
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    capsys.readouterr()
    assert main(["run", str(tmp_path / "c.yaml"), "--check"]) == 2
    err = capsys.readouterr().err
    assert "country.iso3: 'xa' is not valid: give three capital letters" in err
    assert "should match pattern" not in err and "^[A-Z]{3}$" not in err


def _demo_inputs_config(tmp_path: Path, keep: tuple[str, ...], indicators: str | list[str] = "all") -> Path:
    """The demo's country with only the inputs *keep* (absolute paths), in a folder of its own (D27)."""
    cfg = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text())
    cfg["inputs"] = {k: v for k, v in cfg["inputs"].items() if k in keep}
    for v in cfg["inputs"].values():
        p = v.get("path")
        v["path"] = {k: str(SAMPLE / x) for k, x in p.items()} if isinstance(p, dict) else str(SAMPLE / p)
    cfg["country"]["boundary"] = str(SAMPLE / cfg["country"]["boundary"])
    cfg["country"]["admin_units"]["path"] = str(SAMPLE / cfg["country"]["admin_units"]["path"])
    cfg["overlay"] = str(SAMPLE / cfg["overlay"])
    cfg["indicators"] = indicators
    data = tmp_path / "country"
    data.mkdir(exist_ok=True)
    path = data / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


TABLE_INPUTS = ("so2_1_poverty", "so2_2_water", "so4_2_red_list", "so4_3_kba_coverage", "so5_flows", "exchange_rates",
                "so5_5_narrative")


@pytest.mark.parametrize("drop, skipped_codes", [
    (("so2_1_poverty",), {"SO2-1"}),
    (("so2_2_water",), {"SO2-2"}),
    (("so4_2_red_list",), {"SO4-2"}),
    (("so4_3_kba_coverage",), {"SO4-3"}),
    (("so5_flows", "exchange_rates"), {"SO5-1", "SO5-2", "SO5-3", "SO5-4"}),
    (("so5_5_narrative",), {"SO5-5"}),
])
def test_check_lists_what_the_run_computed_when_a_stage_runs_without_one_of_its_inputs(tmp_path, capsys, drop, skipped_codes):
    # a stage of several indicators runs for those its inputs give: --check names the others, with the missing input,
    # exactly as the run's provenance does
    config = _demo_inputs_config(tmp_path, tuple(n for n in TABLE_INPUTS if n not in drop))
    computed, skipped = _check_lists(["run", str(config), "--check"], capsys)
    reasons = {s["indicator"]: s["reason"] for s in skipped}
    assert skipped_codes <= set(reasons) and not skipped_codes & set(computed)
    assert all(any(name in reasons[c] for name in drop) for c in skipped_codes), reasons
    out = tmp_path / "out"
    assert main(["run", str(config), "-o", str(out), "--quiet"]) == 0
    assert (computed, skipped) == _provenance_lists(out)


SO1_INPUTS = ("land_cover", "ndvi", "lpd", "soc_reference", "climate_zones")


def test_check_lists_what_the_run_computed_without_the_soc_reference(tmp_path, capsys):
    config = _demo_inputs_config(tmp_path, tuple(n for n in SO1_INPUTS if n != "soc_reference"))
    computed, skipped = _check_lists(["run", str(config), "--check"], capsys)
    assert {"SO1-3", "SO4-1"} <= {s["indicator"] for s in skipped} and "SO1-4" in computed
    out = tmp_path / "out"
    assert main(["run", str(config), "-o", str(out)]) == 0
    assert (computed, skipped) == _provenance_lists(out)
    # the summary counts the GeoTIFFs written (a map of several periods is one file per period), not only the maps
    tifs = len(list(out.rglob("*.tif")))
    assert tifs > 0 and f"map(s) in {tifs} GeoTIFF(s)" in capsys.readouterr().err


@pytest.mark.parametrize("keep, requested, missing", [
    (tuple(n for n in SO1_INPUTS if n != "soc_reference"), ["SO1-3"], "soc_reference"),
    (tuple(n for n in SO1_INPUTS if n != "soc_reference"), ["SO1-4", "SO4-1"], "soc_reference"),
    (("so2_2_water",), ["SO2-1"], "so2_1_poverty"),
    (("so4_2_red_list",), ["SO4-2", "SO4-3"], "so4_3_kba_coverage"),
    (("so5_flows", "exchange_rates"), ["SO5-5"], "so5_5_narrative"),
])
def test_an_indicator_requested_by_name_without_its_input_is_refused_by_check_and_run(tmp_path, capsys, keep, requested,
                                                                                       missing):
    # the user guide (3.2): with an explicit list every listed indicator must be computable; the stage would run for
    # the others, so the refusal comes from the stage's own list of what its inputs cannot give
    config = _demo_inputs_config(tmp_path, keep, requested)
    lines = []
    for extra in (["--check"], ["-o", str(tmp_path / "out")]):
        capsys.readouterr()
        assert main(["run", str(config), *extra]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err
        lines.append([ln for ln in err.splitlines() if "cannot be computed" in ln])
    assert lines[0] == lines[1] and len(lines[0]) == 1 and missing in lines[0][0], lines
    assert not (tmp_path / "out").exists()

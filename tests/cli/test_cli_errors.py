"""The command line as a demanding user meets it: every broken configuration gives one clear line per
problem (file / field / value and what to do), no traceback, exit status 2, and nothing written.

Fast: these use ``indicators run --check`` (the checks that run before computing) or fail before
computing; one short run (SO2-2 only) fails during computing to show that no partial output is left.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from indicators.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def _absolute(cfg: dict) -> dict:
    """The demo configuration with every path absolute (so it can live in tmp_path)."""
    def fix(p):
        return {k: fix(v) for k, v in p.items()} if isinstance(p, dict) else str(SAMPLE / p)

    cfg["country"]["boundary"] = fix(cfg["country"]["boundary"])
    cfg["country"]["admin_units"]["path"] = fix(cfg["country"]["admin_units"]["path"])
    cfg["overlay"] = fix(cfg["overlay"])
    for spec in cfg["inputs"].values():
        spec["path"] = fix(spec["path"])
    return cfg


@pytest.fixture
def demo_cfg():
    return _absolute(yaml.safe_load((SAMPLE / "demo_config.yaml").read_text(encoding="utf-8")))


def _run(tmp_path, cfg, capsys, *args):
    # in a folder of its own: a table written to tmp_path is an input, and the outputs go to tmp_path (D27)
    path = tmp_path / "config" / "config.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    before = sorted(os.listdir(tmp_path))
    code = main(["run", str(path), *args])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert sorted(os.listdir(tmp_path)) == before, "the failed run left something behind"
    return code, err


def _problem_lines(err: str) -> list[str]:
    assert err.startswith("indicators: error: "), err
    lines = err.strip().splitlines()
    return lines[1:] if "problem(s)" in lines[0] else lines


BREAKS = {
    # case: (change to the demo configuration, words the one problem line must contain)
    "missing file": (lambda c: c["inputs"]["soc_reference"].update(path=str(SAMPLE / "soc" / "nope.tif")),
                     ["inputs.soc_reference", "nope.tif", "does not exist", "correct the path"]),
    "precipitation in kelvin": (lambda c: c["inputs"]["precipitation"].update(units="kelvin"),
                                ["inputs.precipitation", "'kelvin'", "[temperature]", "set inputs.precipitation.units"]),
    "years not covering the periods": (lambda c: c["inputs"]["land_cover"].update(years="2005-2010"),
                                       ["inputs.land_cover", "2000", "2023", "are needed", "add those years"]),
    "misspelled input name": (lambda c: c["inputs"].update(populaton_total=c["inputs"].pop("population_total")),
                              ["inputs.populaton_total", "did you mean 'population_total'"]),
    "misspelled indicator code": (lambda c: c.update(indicators=["SO1-1", "SO3-9"]),
                                  ["'SO3-9'", "is not an indicator", "SO3-1"]),
    "unknown profile": (lambda c: c.update(profile="defualt"), ["'defualt'", "profile", "default", "trends_earth"]),
    "unknown edition": (lambda c: c.update(edition="2024"), ["2024", "2022", "2026"]),
    "admin units without the id field": (lambda c: c["country"]["admin_units"].update(id_field="unit_code"),
                                         ["country.admin_units", "'unit_code'", "unit_id"]),
    "misspelled top-level field": (lambda c: c.update(contry=c.pop("country")), ["contry", "unknown field"]),
}


@pytest.mark.parametrize("case", list(BREAKS))
def test_broken_configuration_is_one_clear_line_exit_2_nothing_written(case, demo_cfg, tmp_path, capsys):
    change, words = BREAKS[case]
    change(demo_cfg)
    code, err = _run(tmp_path, demo_cfg, capsys, "-o", str(tmp_path / "OUT"))
    assert code == 2
    lines = _problem_lines(err)
    hits = [ln for ln in lines if all(w in ln for w in words)]
    assert hits, f"no line names {words}:\n{err}"


def test_check_flag_finds_the_same_problems_without_an_output(demo_cfg, tmp_path, capsys):
    demo_cfg["inputs"]["precipitation"]["units"] = "kelvin"
    code, err = _run(tmp_path, demo_cfg, capsys, "--check")
    assert code == 2 and "'kelvin'" in err


def test_check_flag_on_the_demo_configuration_passes(demo_cfg, tmp_path, capsys):
    code, err = _run(tmp_path, demo_cfg, capsys, "--check")
    assert code == 0 and "no problem found" in err and "SO3-1" in err


def test_run_without_output_says_what_to_give(demo_cfg, tmp_path, capsys):
    code, err = _run(tmp_path, demo_cfg, capsys)
    assert code == 2 and "-o/--output" in err


def test_existing_output_directory_is_not_touched(demo_cfg, tmp_path, capsys):
    out = tmp_path / "OUT"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, err = _run(tmp_path, demo_cfg, capsys, "-o", str(out))
    assert code == 2 and "--overwrite" in err and "overwrite=True in Python" in err and str(out) in err
    assert os.listdir(out) == ["keep.txt"]


def test_output_under_a_file_is_refused_before_computing(demo_cfg, tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    code, err = _run(tmp_path, demo_cfg, capsys, "-o", str(tmp_path / "afile" / "OUT"))
    assert code == 2 and "is not a directory" in err and "afile" in err


def test_output_where_nothing_can_be_written_is_refused_before_computing(demo_cfg, tmp_path, capsys):
    # /proc accepts no new directory even for root, where permission bits do not stop anyone
    if not Path("/proc").is_dir():
        pytest.skip("requires optional dependency: a /proc file system")
    code, err = _run(tmp_path, demo_cfg, capsys, "-o", "/proc/indicators-out")
    assert code == 2 and "cannot write in /proc" in err and "-o/--output" in err


def test_missing_configuration_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "none.yaml"), "--check"]) == 2
    err = capsys.readouterr().err
    assert "none.yaml" in err and "does not exist" in err and "Traceback" not in err


def test_bad_csv_value_names_file_line_column_and_leaves_nothing(demo_cfg, tmp_path, capsys):
    """A table error found while computing (SO2-2 only, so it is quick): no partial OUT, no temporary beside it."""
    text = (SAMPLE / "tables" / "so2_2_water.csv").read_text(encoding="utf-8")
    bad = tmp_path / "water.csv"
    bad.write_text(text.replace("2000,national,urban,80.0,percent", "2000,national,urban,8O.0,percent"), encoding="utf-8")
    assert bad.read_text() != text
    demo_cfg["inputs"]["so2_2_water"]["path"] = str(bad)
    demo_cfg["indicators"] = ["SO2-2"]
    code, err = _run(tmp_path, demo_cfg, capsys, "-o", str(tmp_path / "OUT"), "--quiet")
    assert code == 2
    (line,) = _problem_lines(err)
    assert "water.csv" in line and "line 4" in line and "'value'" in line and "'8O.0'" in line


def test_unreachable_scheduler_is_one_line_and_leaves_nothing(demo_cfg, tmp_path, capsys):
    demo_cfg["indicators"] = ["SO2-2"]
    code, err = _run(tmp_path, demo_cfg, capsys, "-o", str(tmp_path / "OUT"), "--scheduler", "tcp://127.0.0.1:9")
    assert code == 2
    (line,) = _problem_lines(err)
    assert "--scheduler tcp://127.0.0.1:9" in line and "check the address" in line


def test_validate_broken_spec_and_missing_path(tmp_path, capsys):
    spec = tmp_path / "broken.yaml"
    spec.write_text("kind: objective\nindicators: [\n", encoding="utf-8")
    assert main(["validate", str(spec)]) == 2
    out = capsys.readouterr().out
    assert "broken.yaml" in out and "YAML does not parse" in out and "Traceback" not in out
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    out = capsys.readouterr().out
    assert "nope.yaml" in out and "no such file" in out


@pytest.mark.parametrize("argv", [["--help"], ["run", "--help"], ["demo", "--help"], ["validate", "--help"]])
def test_help_texts_have_examples(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "usage: indicators" in out
    if argv[0] != "validate":
        assert "examples:" in out and "indicators " in out.split("examples:")[1]
    if argv[0] in ("--help", "run"):
        assert "exit status" in out and "--check" in out


def test_input_name_check_built_in_and_custom_vocabularies():
    from indicators.config import Requirement, input_name_problems

    reqs = {"land_cover": Requirement("land_cover", "raster")}
    # built-in vocabulary: an unknown name is reported, with the nearest known one when there is one
    (line,) = input_name_problems(["land_cover", "rainfall"], reqs, None, "c.yaml")
    assert line.startswith("inputs.rainfall: no indicator reads") and "c.yaml" in line
    (line,) = input_name_problems(["land_cover", "populaton_total"], reqs, None, "c.yaml")
    assert "did you mean 'population_total'" in line
    # a run with stages of its own (input 'values'): only near-misses of known names are reported
    custom = {"values": Requirement("values", "raster")}
    assert input_name_problems(["values", "other"], custom, None, "c.yaml") == []
    assert len(input_name_problems(["values", "valuse"], custom, None, "c.yaml")) == 1
    # an explicit vocabulary is strict
    assert len(input_name_problems(["values", "other"], custom, ["values"], "c.yaml")) == 1


def test_python_dash_m_indicators_is_the_same_command_line():
    """``python -m indicators validate`` runs the CLI (exit 0 on the shipped specs), and a bad
    argument is the CLI's own exit 2 with usage, not an ImportError for a missing __main__."""
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-m", "indicators", "validate"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([sys.executable, "-m", "indicators", "no-such-command"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "usage" in bad.stderr.lower()

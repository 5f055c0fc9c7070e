"""What `indicators run` checks before any stage computes: the SO2/SO4/SO5 tables read with their schemas,
the input vocabulary of the stages, and the --scheduler address before the inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from indicators.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"

#: (input, file, a good text in it, the same with a bad value, words of the one problem line)
BAD_VALUES = {
    "so2_2_water": ("so2_2_water.csv", "2000,national,urban,80.0,percent", "2000,national,urban,8O.0,percent", ["'8O.0'"]),
    "so4_2_red_list": ("so4_2_red_list.csv", "2000,0.9120,", "2000,1.9120,", ["rli", "1.912"]),
    "exchange_rates": ("exchange_rates.csv", "2016,EUR,0.9037", "2016,EUR,zero", ["lcu_per_usd", "'zero'"]),
    "so4_3_kba_coverage": ("so4_3_kba_coverage.csv", "2000,21.0,percent", "2000,210.0,percent", ["value", "210"]),
}


def _config(tmp_path: Path, change=None) -> Path:
    def fix(p):
        return {k: fix(v) for k, v in p.items()} if isinstance(p, dict) else str(SAMPLE / p)

    cfg = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text(encoding="utf-8"))
    cfg["country"]["boundary"] = fix(cfg["country"]["boundary"])
    cfg["country"]["admin_units"]["path"] = fix(cfg["country"]["admin_units"]["path"])
    cfg["overlay"] = fix(cfg["overlay"])
    for spec in cfg["inputs"].values():
        spec["path"] = fix(spec["path"])
    if change:
        change(cfg)
    # in a folder of its own: a bad table written to tmp_path is an input, and the outputs go to tmp_path (D27)
    path = tmp_path / "config" / "config.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _bad_table(tmp_path: Path, name: str):
    file, good, bad, _ = BAD_VALUES[name]
    text = (SAMPLE / "tables" / file).read_text(encoding="utf-8")
    assert good in text
    out = tmp_path / f"bad_{file}"
    out.write_text(text.replace(good, bad, 1), encoding="utf-8")
    return lambda cfg: cfg["inputs"][name].update(path=str(out))


@pytest.mark.parametrize("name", list(BAD_VALUES))
def test_bad_table_value_fails_run_check(name, tmp_path, capsys):
    """`run --check` reads every SO2/SO4/SO5 table with its schema: a bad value is an error, exit 2."""
    cfg = _config(tmp_path, _bad_table(tmp_path, name))
    assert main(["run", str(cfg), "--check"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if BAD_VALUES[name][0] in ln]
    assert len(lines) == 1, err
    for word in BAD_VALUES[name][3]:
        assert word in lines[0], (word, lines[0])


def test_bad_table_value_stops_the_run_before_any_stage_computes(tmp_path, capsys):
    """With every indicator requested, the SO4-2 table error is found before the SO1 stage starts."""
    cfg = _config(tmp_path, _bad_table(tmp_path, "so4_2_red_list"))
    out = tmp_path / "OUT"
    assert main(["run", str(cfg), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "so4_2_red_list" in err and "[1/" not in err, err  # no stage started
    assert not out.exists()


def test_wrong_scheduler_is_reported_before_the_inputs(tmp_path, capsys):
    """A wrong --scheduler address is the problem reported, even when an input file is also missing."""
    cfg = _config(tmp_path, lambda c: c["inputs"]["soc_reference"].update(path=str(SAMPLE / "soc" / "nope.tif")))
    assert main(["run", str(cfg), "-o", str(tmp_path / "OUT"), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "--scheduler tcp://127.0.0.1:9" in err and "nope.tif" not in err, err


def test_input_names_are_the_vocabulary_of_the_stages():
    """config.INPUT_NAMES (the documented vocabulary) is what the stages declare they read, plus the inputs
    recorded only; prepare checks a configuration against that vocabulary."""
    from indicators.config import INPUT_NAMES, RECORDED_INPUTS
    from indicators import load_framework
    from indicators.engine import input_vocabulary, stages_from_specs

    STAGES = stages_from_specs(load_framework())

    assert all(s.inputs for s in STAGES)
    assert input_vocabulary(STAGES) == set(INPUT_NAMES)
    assert set(RECORDED_INPUTS) <= set(INPUT_NAMES)
    assert not set(RECORDED_INPUTS) & {n for s in STAGES for n in s.inputs}


def test_every_stage_needs_only_inputs_it_declares(tmp_path):
    """On the demo configuration (every input given), each stage's needs are inside its declared inputs."""
    from indicators.config import load_config
    from indicators.engine import load_run_framework, stages_from_specs

    loaded = load_config(_config(tmp_path))
    fw = load_run_framework(loaded)
    for stage in stages_from_specs(fw):
        needs = stage.needs(loaded.config.inputs, fw)
        assert not isinstance(needs, str), (stage.id, needs)
        assert {n.input for n in needs} <= set(stage.inputs), stage.id


def test_so3_exposure_stage_takes_the_public_epoch_population_year_rule(monkeypatch):
    """The SO3-2 stage takes the epoch population year from indicators.so3.exposure.epoch_population_year."""
    import indicators.so3.exposure as exposure
    from indicators.so3.run_exposure import _epoch_population_year

    calls = []
    real = exposure.epoch_population_year

    def spy(first, last, available):
        calls.append((first, last))
        return real(first, last, available)

    monkeypatch.setattr(exposure, "epoch_population_year", spy)
    assert _epoch_population_year([2000, 2005, 2010], 2004, 2007, "nearest") == 2005
    assert calls == [(2004, 2007)]


def test_schema_and_missing_files_are_reported_in_one_pass(tmp_path, capsys):
    """A configuration with a schema error and missing files gets every line in one pass (issue 12 item 6), and the
    missing-file line is the one `--check` gives once the schema error is corrected (one code path)."""
    def missing(cfg):
        cfg["inputs"]["soc_reference"]["path"] = str(tmp_path / "no_such_soc.tif")
        cfg["inputs"]["land_cover"]["path"] = str(tmp_path / "lc" / "esa_lc_{year}.tif")  # a mistyped template

    def both(cfg):
        missing(cfg)
        cfg["country"]["iso3"] = "xa"

    assert main(["run", str(_config(tmp_path, both)), "--check"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "3 problem(s)" in err, err
    schema = [ln for ln in err.splitlines() if "country.iso3" in ln]
    files = sorted(ln.strip() for ln in err.splitlines() if "not exist" in ln)
    assert len(schema) == 1 and len(files) == 2, err
    assert "inputs.land_cover: 24 of its 24 files do not exist (2000-2023" in files[0]
    assert "inputs.soc_reference: file" in files[1] and "no_such_soc.tif" in files[1]
    assert main(["run", str(_config(tmp_path, missing)), "--check"]) == 2
    again = sorted(ln.strip() for ln in capsys.readouterr().err.splitlines() if "not exist" in ln)
    assert again == files

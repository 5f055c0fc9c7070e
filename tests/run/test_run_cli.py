"""The `indicators run` command line: exit codes, one line per problem, the browser rendering."""

from __future__ import annotations

import yaml

from indicators.cli import main

from .browser import not_blank, render
from .conftest import TEST_STAGES, fake_framework


def test_cli_reports_every_problem_and_exits_2(country, tmp_path, capsys, monkeypatch):
    cfg = yaml.safe_load((country / "config.yaml").read_text())
    cfg["inputs"]["values"]["units"] = "furlong/fortnight/banana"
    cfg["country"]["admin_units"]["id_field"] = "nope"
    (country / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = tmp_path / "out"
    import indicators.engine.executing as executing

    monkeypatch.setattr(executing, "stages_from_specs", lambda fw: TEST_STAGES)
    monkeypatch.setattr(executing, "load_run_framework", lambda loaded: fake_framework())
    code = main(["run", str(country / "config.yaml"), "-o", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("indicators: error: 2 problem(s)")
    lines = err.strip().splitlines()[1:]
    assert len(lines) == 2 and all(line.startswith("  - ") for line in lines)
    assert any("banana" in line for line in lines) and any("'nope'" in line for line in lines)
    assert not out.exists()


def test_cli_missing_config_exits_2(tmp_path, capsys):
    assert main(["run", str(tmp_path / "none.yaml"), "-o", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_report_renders_in_headless_chromium(country, tmp_path):
    from indicators.config import load_config
    from indicators.engine import run_to_directory

    out = tmp_path / "out"
    run_to_directory(load_config(country / "config.yaml"), out, stages=TEST_STAGES, framework=fake_framework(), quiet=True)
    shot = tmp_path / "shot.png"
    console = render(out / "report.html", shot)
    assert console == []
    assert not_blank(shot) > 0.05

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


def test_a_failing_table_writer_stops_the_run_with_its_message(country, tmp_path, capsys, monkeypatch):
    """A refusal while the outputs are written (after every stage has run) ends the run with exit 2, its one
    line, and no output directory or staging left beside it."""
    import indicators.engine.executing as executing
    import indicators.report.tables as tables
    from indicators.errors import ComputeError

    def refuse(*args, **kwargs):
        raise ComputeError("SO9-1.T1: a table writer refused")

    monkeypatch.setattr(executing, "stages_from_specs", lambda fw: TEST_STAGES)
    monkeypatch.setattr(executing, "load_run_framework", lambda loaded: fake_framework())
    monkeypatch.setattr(tables, "write_tables", refuse)
    out = tmp_path / "out"
    assert main(["run", str(country / "config.yaml"), "-o", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == "indicators: error: SO9-1.T1: a table writer refused"
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


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


def test_french_report_renders(country, tmp_path, monkeypatch):
    """`indicators run --language fr`: the report's own strings come from the catalogue in French, numbers use
    the French decimal mark, and the page renders in Chromium without console errors and without overflow."""
    import re

    import pandas as pd

    import indicators.engine.executing as executing

    from .browser import layout

    monkeypatch.setattr(executing, "stages_from_specs", lambda fw: TEST_STAGES)
    monkeypatch.setattr(executing, "load_run_framework", lambda loaded: fake_framework())
    out = tmp_path / "out"
    assert main(["run", str(country / "config.yaml"), "-o", str(out), "--quiet", "--language", "fr"]) == 0
    html = (out / "report.html").read_text()
    assert '<html lang="fr">' in html
    for text in ("Résumé", "Haut de page", "Indicateurs non calculés", "Paramètres", "Décisions méthodologiques",
):
        assert text in html, text
    for english in (">Summary<", "Back to top", "Skipped indicators", ">Parameters<"):
        assert english not in html, english
    # the share column (percent) with a decimal comma, e.g. "12,50"
    assert re.search(r'<td class="num">\d+,\d\d</td>', html)
    shot = tmp_path / "fr.png"
    assert render(out / "report.html", shot) == []
    assert not_blank(shot) > 0.05
    assert layout(out / "report.html", width=1024) == {"wide": [], "broken": [], "links": [], "sticky": "sticky"}
    from openpyxl import load_workbook

    readme = pd.read_excel(out / "tables.xlsx", sheet_name="README")
    assert list(readme.columns) == ["feuille", "tableau", "titre", "colonne", "unité", "unité (UDUNITS)", "notes"]
    assert load_workbook(out / "tables.xlsx").properties.title.startswith("Tableaux de rapport de Testland")
    # the run's other outputs do not depend on the language
    assert main(["run", str(country / "config.yaml"), "-o", str(tmp_path / "en"), "--quiet"]) == 0
    for rel in ("SO9-1/SO9-1.T1.csv", "tables.json"):
        assert (out / rel).read_bytes() == (tmp_path / "en" / rel).read_bytes(), rel


def test_unknown_language_is_a_usage_error(country, capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["run", str(country / "config.yaml"), "--check", "--language", "de"])
    assert exc.value.code == 2 and "invalid choice: 'de'" in capsys.readouterr().err

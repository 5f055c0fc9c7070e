"""Where the specs allow a warning (``on_violation: warn`` / ``nan: warn``), the run goes on and says so: the same line
in ``--check``, in the report's input-warnings section and in provenance.json — never a silent change."""

from __future__ import annotations

import json

from indicators.cli import main

from .conftest import tree_hash
from .test_badinput_check_equals_run import set_pixel

WARN = {"plausibility": {"inputs": {"soc_reference": {"on_violation": "warn"}}}}


def test_allowed_findings_are_warned_in_check_report_and_provenance(country, capsys):
    set_pixel(country.data / "soc" / "soc_reference_2000.tif", 60, 61, 1200.0)
    country.config["parameters"] = WARN
    country.config["indicators"] = ["SO1-3"]  # the indicator that reads the SOC map: the warning path, not the whole demo
    country.save()
    before = tree_hash(country.data)

    assert main(["run", str(country.config_path), "--check"]) == 0
    checked = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("warning: ")]
    soc_words = ["inputs.soc_reference", "soc_reference_2000.tif", "1 cell(s)", "row 60, column 61", "1200",
                 "on_violation: warn"]
    for words in (soc_words,):
        assert sum(all(w in ln for w in words) for ln in checked) == 1, (words, checked)

    assert main(["run", str(country.config_path), "-o", str(country.out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    warnings = json.loads((country.out / "provenance.json").read_text(encoding="utf-8"))["warnings"]
    assert len(warnings) == 1, warnings
    for words in (soc_words,):
        assert sum(all(w in ln for w in words) for ln in warnings) == 1, (words, warnings)
        # the run's line is --check's line (one checker): the demo's rasters are read whole by both
        assert [ln for ln in warnings if all(w in ln for w in words)][0] in [c.removeprefix("warning: ") for c in checked]
    html = (country.out / "report.html").read_text(encoding="utf-8")
    assert 'id="input-warnings"' in html and "Input warnings" in html
    assert "row 60, column 61" in html
    assert tree_hash(country.data) == before


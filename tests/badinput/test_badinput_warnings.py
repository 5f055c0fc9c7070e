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



def _implausible_establishment_years(country, on_violation: str) -> None:
    """Protected area 102 established in 2099, 104 in 85 (two implausible years); SO4-3 only, its plausibility
    rule with *on_violation*."""
    from .test_badinput_years import _established

    _established(102, 2099)(country)
    _established(104, 85)(country)
    country.config["parameters"] = {"plausibility": {"inputs": {"protected_areas": {"on_violation": on_violation}}}}
    country.config["indicators"] = ["SO4-3"]
    country.save()


PA_WORDS = ["inputs.protected_areas (protected_areas.gpkg)", "wdpa_id 102", "field 'STATUS_YR'", "year 2099",
            "is in the future", "(1 more such feature(s))"]


def test_implausible_establishment_years_refused_by_default(country, capsys):
    """on_violation: refuse (the specs' default): --check and the run refuse with the same line, counting both."""
    from .conftest import refused_alike

    _implausible_establishment_years(country, "refuse")
    refused_alike(country, capsys, *PA_WORDS, "correct the establishment year")


def test_implausible_establishment_years_warned_with_on_violation_warn(country, capsys):
    """on_violation: warn: the years are counted in one warning, printed by --check and carried into provenance.json
    and the report; the run goes on and SO4-3 is computed."""
    _implausible_establishment_years(country, "warn")
    before = tree_hash(country.data)
    assert main(["run", str(country.config_path), "--check"]) == 0
    checked = [ln.removeprefix("warning: ") for ln in capsys.readouterr().err.splitlines() if ln.startswith("warning: ")]
    words = [*PA_WORDS, "kept as given", "on_violation: warn"]
    assert sum(all(w in ln for w in words) for ln in checked) == 1, checked

    assert main(["run", str(country.config_path), "-o", str(country.out), "--quiet"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    prov = json.loads((country.out / "provenance.json").read_text(encoding="utf-8"))
    warned = [ln for ln in prov["warnings"] if all(w in ln for w in words)]
    assert len(warned) == 1 and warned[0] in checked, prov["warnings"]
    assert prov["indicators"]["computed"] == ["SO4-3"]
    assert "wdpa_id 102" in (country.out / "report.html").read_text(encoding="utf-8")
    assert tree_hash(country.data) == before


def test_a_repaired_admin_geometry_is_said_by_check_and_the_run_alike(country, capsys):
    # a self-intersecting unit ("bow tie") is repaired with make_valid and the run goes on: --check said nothing and
    # the run printed a bare Python warning, in neither the report nor provenance
    import geopandas as gpd
    import shapely

    path = country.data / "vectors" / "admin_units.gpkg"
    units = gpd.read_file(path, layer="admin_units")
    # a small bow tie inside the unit (its edges cross at the centre), so it overlaps no other unit
    c = units.geometry.iloc[3].representative_point()
    d = 0.2 * min(b - a for a, b in zip(units.geometry.iloc[3].bounds[:2], units.geometry.iloc[3].bounds[2:]))
    units.loc[3, "geometry"] = shapely.Polygon([(c.x - d, c.y - d), (c.x + d, c.y + d), (c.x + d, c.y - d), (c.x - d, c.y + d)])
    assert not units.geometry.iloc[3].is_valid
    units.to_file(path, layer="admin_units", driver="GPKG")
    unit = str(units.iloc[3][country.config["country"]["admin_units"]["id_field"]])
    country.config["indicators"] = ["SO1-1"]
    country.save()

    assert main(["run", str(country.config_path), "--check"]) == 0
    checked = [ln.removeprefix("warning: ") for ln in capsys.readouterr().err.splitlines() if ln.startswith("warning: ")]
    words = ["country.admin_units", "admin_units.gpkg", "repaired 1 invalid", unit, "QGIS Fix geometries"]
    assert sum(all(w in ln for w in words) for ln in checked) == 1, checked

    assert main(["run", str(country.config_path), "-o", str(country.out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "UserWarning" not in err and "Traceback" not in err, err
    warnings = json.loads((country.out / "provenance.json").read_text(encoding="utf-8"))["warnings"]
    assert [ln for ln in warnings if all(w in ln for w in words)] == [ln for ln in checked if all(w in ln for w in words)]
    assert "repaired 1 invalid" in (country.out / "report.html").read_text(encoding="utf-8")

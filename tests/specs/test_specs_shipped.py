"""The shipped specs: clean under every edition and profile, complete, round-trippable, schema-valid."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import indicators
from indicators.cli import main
from indicators.specs.catalog import mask_implementation, render_catalog
from indicators.specs.model import Framework
from indicators.specs.validate import validate_paths

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO / "specs"

ALL_CODES = [
    "SO1-1", "SO1-2", "SO1-3", "SO1-4", "SO2-1", "SO2-2", "SO2-3", "SO3-1", "SO3-2", "SO3-3",
    "SO4-1", "SO4-2", "SO4-3", "SO5-1", "SO5-2", "SO5-3", "SO5-4", "SO5-5", "SO5-5.1", "SO5-5.2", "SO5-5.3",
]


def test_shipped_specs_validate_clean():
    report = validate_paths([SPECS])
    assert report.errors == [], "\n".join(p.line_text() for p in report.errors)
    # 2 editions x 2 profiles x (no overlay + example overlay)
    assert len(report.combinations) == 8


@pytest.mark.parametrize("edition", ["2022", "2026"])
@pytest.mark.parametrize("profile", ["default", "trends_earth"])
@pytest.mark.parametrize("overlay", [None, "example_country"])
def test_every_edition_profile_overlay_loads(edition, profile, overlay):
    fw = indicators.load_framework(edition=edition, profile=profile, overlay=overlay)
    assert fw.edition == edition and fw.profile.id == profile
    assert [i.code for i in fw.indicators] == ALL_CODES
    for ind in fw.indicators:
        assert set(ind.status) == {"2022", "2026"}


def test_cli_validate_exits_zero_on_shipped_specs(capsys):
    assert main(["validate", str(SPECS)]) == 0
    assert capsys.readouterr().out == ""


def test_cli_validate_json(capsys):
    assert main(["validate", str(SPECS), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["errors"] == 0
    assert all(p["severity"] == "planned" for p in out["problems"])


def test_default_edition_and_profile_follow_d2():
    fw = indicators.load_framework()
    assert fw.edition == "2026" and fw.profile.id == "default"
    assert fw.edition_spec().default


def test_so3_tiers_follow_decision_11_cop14():
    fw = indicators.load_framework()
    tiers = {i.code: i.tier for i in fw.indicators if i.tier is not None}
    assert tiers == {"SO3-1": 1, "SO3-2": 2, "SO3-3": 3}
    for code in tiers:
        assert fw.indicator(code).decision == "11/COP.14"
        assert fw.indicator(code).candidate_metric_basis
    # the other "tiers" are separate fields (D1)
    assert [t.tier for t in fw.indicator("SO3-3").assessment_tiers] == [1, 2, 3]
    assert [t.tier for t in fw.indicator("SO5-1").reporting_tiers] == [1, 2]
    assert fw.indicator("SO1-3").ipcc_tier == 1 and fw.indicator("SO1-3").tier is None
    criteria = {c.id for c in fw.info.criteria}
    assert criteria == {"hierarchy_and_logic", "sensitivity", "comparability", "operational_readiness", "sex_disaggregation", "adaptability"}


def test_alias_with_space_is_accepted():
    fw = indicators.load_framework()
    assert fw.indicator("SO 1-1") is fw.indicator("SO1-1")
    assert fw.indicator("so 5-5.2").parent == "SO5-5"
    assert fw.objective("SO 3").code == "SO3"
    assert fw.metric("SO 1-1.land_cover_change").legend == "unccd_7class"


def test_drought_classes_put_boundaries_where_d6_and_trends_earth_say():
    from indicators.classes import classify_by_breaks
    import numpy as np

    spi = np.array([0.5, 0.0, -0.5, -1.0, -1.2, -1.5, -2.0, -2.5])
    for profile, expected in (
        ("default", [0, 1, 1, 2, 2, 3, 4, 4]),  # D6: a boundary goes to the more severe class
        ("trends_earth", [0, 0, 1, 1, 2, 2, 3, 4]),  # Part C §8: [-1, 0) mild, SPI = 0 non-drought
    ):
        fw = indicators.load_framework(profile=profile)
        cl = fw.classification(fw.parameters("drought_classes").classification)
        breaks, codes, right_closed = cl.breaks()
        got = classify_by_breaks(spi, breaks, codes, right_closed=right_closed, nodata=255)
        assert list(got) == expected, profile


def test_profile_and_overlay_change_what_they_say():
    default = indicators.load_framework()
    te = indicators.load_framework(profile="trends_earth")
    assert (default.parameters("one_out_all_out").nodata_rule, te.parameters("one_out_all_out").nodata_rule) == ("degraded_wins", "any_nodata")
    assert (default.parameters("soc").inclusive, te.parameters("soc").inclusive) == (False, True)
    assert te.period("report_2").land_cover.initial == 2015 and default.period("report_2").land_cover.initial == 2016
    assert te.period("baseline").productivity.trajectory == (2001, 2015)
    # untouched fields of an overridden period survive the merge
    assert te.period("report_2").productivity.trajectory == (2008, 2023)
    over = indicators.load_framework(overlay="example_country")
    assert over.parameters("land_area").official.value == 123456.0
    assert over.binding_arguments("SO1-1.land_cover_change")["matrix"].id == "exampleland_transitions"
    assert over.nesting(over.parameters("land_cover").nesting).mapping()[32] == 3
    assert over.parameters("soc").threshold_percent == 5
    assert default.parameters("soc").threshold_percent == 10


def test_editions_differ_where_the_manuals_do():
    fw22 = indicators.load_framework(edition="2022")
    fw26 = indicators.load_framework(edition="2026")
    assert (fw22.edition_spec().poverty_line.value, fw26.edition_spec().poverty_line.value) == (1.90, 3.00)
    assert (fw22.edition_spec().sex_percentage, fw26.edition_spec().sex_percentage) == ("share_within_exposed", "share_of_sex_total")
    assert [p.id for p in fw22.periods()] == ["baseline", "report_1"]
    assert fw26.edition_spec().drought.epochs[-1] == (2020, 2023)
    assert fw22.indicator("SO2-3").status["2022"].status == "optional"
    assert fw26.indicator("SO2-3").status["2026"].status == "adopted"


def test_tables_expand_as_the_methodology_reads():
    fw = indicators.load_framework()
    status = fw.lookup_mapping("status_expanded")
    assert status[(-1, 1)] == 6 and status[(0, 1)] == 6 and status[(1, 0)] == 5 and status[(-1, 0)] == 3
    lpd = fw.lookup_mapping("productivity_combination_b", "lpd")
    assert lpd[(0, 0, -1)] == 3 and lpd[(1, -1, -1)] == 2 and lpd[(0, -1, -1)] == 1 and lpd[(-1, 1, 0)] == 1
    assert fw.lookup_mapping("lpd_to_sdg3") == {(1,): -1, (2,): -1, (3,): 0, (4,): 0, (5,): 1}
    soc = fw.matrix("soc_land_use_factors")
    assert soc.value(3, 1, 0.8) == pytest.approx(1.25) and soc.value(3, 4) == pytest.approx(1 / 0.71)
    assert fw.matrix("lc_transition_default").nested()[6][5] == -1


def test_round_trip_is_identical_and_hash_is_stable():
    fw = indicators.load_framework(profile="trends_earth", overlay="example_country")
    again = Framework.model_validate(fw.dump())
    assert again == fw
    assert again.dump() == fw.dump()
    assert again.spec_hash() == fw.spec_hash()
    assert indicators.load_framework().spec_hash() != fw.spec_hash()
    json.dumps(fw.dump())  # JSON-compatible


def test_framework_is_immutable():
    fw = indicators.load_framework()
    with pytest.raises(Exception):
        fw.edition = "2022"  # type: ignore[misc]
    with pytest.raises(TypeError):
        fw.indicator("SO1-1").status["2030"] = None  # type: ignore[index]


def test_json_schema_accepts_every_shipped_file():
    jsonschema = pytest.importorskip("jsonschema", reason="requires optional dependency jsonschema")
    from indicators.commands.schema import json_schema

    schema = json_schema("file")
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted(SPECS.rglob("*.yaml"))
    assert len(files) >= 12
    for path in files:
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert errors == [], f"{path}: {errors[0].message}"
    # and rejects an unknown field, as the model does
    assert list(validator.iter_errors({"spec_version": 1, "kind": "legends", "colour": 1}))


def test_schema_command_prints_json(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "SpecFile"


def test_catalog_lists_every_indicator_and_the_three_tiers():
    text = render_catalog(SPECS)
    for code in ALL_CODES:
        assert f"| {code} |" in text, code
    assert "status 2022" in text and "status 2026" in text
    for tier, name in ((1, "Simple drought hazard indicator"), (2, "Simple drought exposure indicator"), (3, "Comprehensive drought vulnerability indicator")):
        assert f"| {tier} | {name} |" in text


def test_committed_catalog_is_not_stale():
    committed = (REPO / "docs" / "catalog.md").read_text(encoding="utf-8")
    assert mask_implementation(committed) == mask_implementation(render_catalog(SPECS)), "docs/catalog.md is stale: run `indicators catalog`"


def test_loading_specs_does_not_import_xarray():
    code = "import sys, indicators; indicators.load_framework(); print('xarray' in sys.modules, 'rasterio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout.strip()
    assert out == "False False"


def test_specs_dir_env_override(specs_copy, monkeypatch):
    fw_file = specs_copy / "framework.yaml"
    fw_file.write_text(fw_file.read_text().replace("title: UNCCD 2018-2030 Strategic Framework monitoring framework", "title: Copied framework"))
    monkeypatch.setenv("INDICATORS_SPECS_DIR", str(specs_copy))
    assert indicators.load_framework().info.title == "Copied framework"


def test_series_and_table_blocks_have_defaults_and_overlays_change_them(tmp_path):
    """The table indicators' parameters are spec data: defaults from the specs, changed by an overlay file."""
    fw = indicators.load_framework()
    s = fw.parameters("series")
    assert s.allow_gaps is True and s.trend_method == "sen" and s.trend_tolerance >= 0
    assert tuple(s.percent_range) == (0.0, 100.0)
    assert tuple(fw.parameters("red_list").value_range) == (0.0, 1.0)
    assert dict(fw.parameters("so5").rio_marker_weights)["principal"] == 1.0  # PRAIS22: principal at 100 %
    assert fw.parameters("kba").unknown_year == "exclude"
    overlay = tmp_path / "ovl.yaml"
    overlay.write_text(
        "spec_version: 1\nkind: overlay\noverlay: {id: t, country: ABC, name: T, description: t, source: test}\n"
        "parameter_overrides:\n  series: {trend_tolerance: 0.1, trend_method: endpoints}\n"
        "  so5: {rio_marker_weights: {principal: 1.0, significant: 0.4, not_targeted: 0.0}}\n", encoding="utf-8")
    over = indicators.load_framework(overlay=overlay)
    assert over.parameters("series").trend_tolerance == 0.1 and over.parameters("series").trend_method == "endpoints"
    assert over.parameters("series").allow_gaps is True  # untouched fields keep their defaults
    assert dict(over.parameters("so5").rio_marker_weights)["significant"] == 0.4

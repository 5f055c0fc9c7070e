"""Every validation rule fires on a broken copy of the specs, with one clear line and exit status 1."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from indicators.cli import main

LINE = re.compile(r"^(?P<file>[^:]+\.yaml):(?P<line>\d+): (?P<path>[^:]+): (?P<problem>.+); (?P<fix>.+)$")


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# (id, file, old text, new text, expected message fragment, expected path fragment)
BREAKAGES = [
    ("unknown_field", "so1_land.yaml", "  - code: SO1-1\n", "  - code: SO1-1\n    colour: red\n", "unknown field 'colour'", "indicators[0].colour"),
    ("wrong_type", "so3_drought.yaml", "    tier: 1\n", "    tier: one\n", "'one' is not allowed", "indicators[0].tier"),
    ("missing_field", "so1_land.yaml", "        source: PRAIS22 SO1-1 Steps 3-7\n", "", "required field 'source' is missing", "metrics[0].source"),
    ("bad_code", "so2_people.yaml", "  - code: SO2-2\n", "  - code: SO2-B\n", "not a valid identifier", "indicators[1].code"),
    ("duplicate_id", "so2_people.yaml", "  - code: SO2-2\n", "  - code: SO2-1\n", "indicator 'SO2-1' is already defined in", "indicators[1].code"),
    ("duplicate_yaml_key", "framework.yaml", "  default_profile: default\n", "  default_profile: default\n  default_profile: default\n", "appears twice in the same mapping", "framework.default_profile"),
    ("objective_mismatch", "so1_land.yaml", "    objective: SO1\n", "    objective: SO2\n", "is filed under SO2", "indicators[0].objective"),
    ("legend_reference", "so1_land.yaml", "        legend: unccd_7class\n        matrix: lc_transition_default", "        legend: unccd_8class\n        matrix: lc_transition_default", "legend 'unccd_8class' is not defined", "metrics[0].legend"),
    ("parameter_reference", "legends/land_cover.yaml", "    transition_matrix: lc_transition_default\n", "    transition_matrix: lc_transitions\n", "matrix 'lc_transitions' is not defined", "parameters.land_cover.transition_matrix"),
    ("matrix_missing_row", "legends/land_cover.yaml", "      - from: 7\n        values: [0, 0, 0, 0, 0, 0, 0]\n        processes: [null, null, null, null, null, null, null]\n", "", "no row for class 7 (Water bodies)", "matrices[0].rows"),
    ("matrix_row_length", "legends/land_cover.yaml", "values: [0, -1, -1, -1, -1, -1, 0]", "values: [0, -1, -1, -1, -1, -1]", "row 1 has 6 values for 7 columns", "matrices[0].rows[0].values"),
    ("matrix_meaning_value", "legends/land_cover.yaml", "values: [1, 0, 1, -1, -1, -1, 0]", "values: [1, 0, 2, -1, -1, -1, 0]", "transition meaning 2 is not -1, 0 or 1", "matrices[0].rows[1].values[2]"),
    ("matrix_factor_symbol", "legends/soc_factors.yaml", "1/0.71", "1/g", "factor '1/g' is not a positive number", "matrices[0].rows[2].values[3]"),
    ("nesting_missing_code", "legends/land_cover.yaml", "130, 140, 150, 151", "130, 140, 151", "code 150 (Sparse vegetation (<15%)) of 'esa_cci' is not nested", "nestings[0].groups"),
    ("nesting_twice", "legends/land_cover.yaml", "children: [200, 201, 202, 220]", "children: [200, 201, 202, 210, 220]", "code 210 of 'esa_cci' is nested in more than one class", "nestings[0].groups"),
    ("threshold_gap", "legends/drought.yaml", "lower: -1.5, upper: -1.0}", "lower: -1.4, upper: -1.0}", "gap between -1.5 and -1.4", "classifications[0].classes[2].lower"),
    ("threshold_overlap", "legends/drought.yaml", "lower: -2.0, upper: -1.5}", "lower: -2.0, upper: -1.4}", "the classes overlap", "classifications[0].classes[2].lower"),
    ("threshold_not_covering", "legends/drought.yaml", "lower: null, upper: -2.0}", "lower: -10.0, upper: -2.0}", "values below -10.0 fall in no class", "classifications[0].classes[0].lower"),
    ("threshold_unordered", "legends/drought.yaml",
     "      - {code: 3, name: Severe drought, lower: -2.0, upper: -1.5}\n      - {code: 2, name: Moderate drought, lower: -1.5, upper: -1.0}\n",
     "      - {code: 2, name: Moderate drought, lower: -1.5, upper: -1.0}\n      - {code: 3, name: Severe drought, lower: -2.0, upper: -1.5}\n",
     "classes are not ordered", "classifications[0].classes"),
    ("unit_parse", "so1_land.yaml", "unit: t/ha", "unit: tonnes per hectare", "unit 'tonnes per hectare' does not parse", "metrics[0].unit"),
    ("unit_dimension", "so4_biodiversity.yaml", "        unit: percent\n        source: PRAIS22/PRAIS26 SO4-3", "        unit: km**2\n        source: PRAIS22/PRAIS26 SO4-3", "does not have the dimension of a fraction metric", "indicators[2].metrics[0].unit"),
    ("binding_signature", "so5_finance.yaml", "function: indicators.so5.finance:future_support_narrative\n          inputs: [table]", "function: os.path:join\n          inputs: [a, banana]", "has no parameter 'banana'", "compute.inputs"),
    ("run_binding_missing_stage", "so4_biodiversity.yaml", "    run: indicators.so4.run:STAGE\n", "    run: indicators.so4.run:STAEG\n", "indicators.so4.run has no stage STAEG", "indicators[1].run"),
    ("run_binding_wrong_stage", "so3_drought.yaml", "    run: indicators.so3.run_exposure:STAGE\n", "    run: indicators.so3.run_hazard:STAGE\n", "computes SO3-1, not SO3-2", "indicators[1].run"),
    ("run_binding_not_a_stage", "so2_people.yaml", "    run: indicators.so2.run:LAND_DEGRADATION_EXPOSURE\n", "    run: indicators.so2.run:table_schema\n", "is a function, not a stage", "indicators[2].run"),
    ("binding_reference", "so1_land.yaml", '"parameters:land_cover.transition_matrix"', '"parameters:land_cover.transition_matrx"', "does not resolve", "compute.arguments.matrix"),
    ("edition_status_missing", "so4_biodiversity.yaml", '      "2022": {status: adopted, decision: 7/COP.13}\n      "2026": {status: adopted, decision: 7/COP.13}\n    sdg: ["15.5.1"]', '      "2026": {status: adopted, decision: 7/COP.13}\n    sdg: ["15.5.1"]', "no status for edition 2022", "indicators[1].status"),
    ("edition_unknown_key", "so4_biodiversity.yaml", '"2022": [SO4-2.T1, SO4-2.T2]', '"2030": [SO4-2.T1, SO4-2.T2]', "edition 2030 is not defined", "reporting_tables.2030"),
    ("state_windows", "framework.yaml", "state_comparison: [2013, 2015]", "state_comparison: [2014, 2015]", "do not follow the baseline years", "productivity.state_comparison"),
    ("year_range_reversed", "framework.yaml", "years: [2016, 2019]", "years: [2019, 2016]", "ends before it starts", "editions[0].periods[1].years"),
    ("drought_epoch", "framework.yaml", "[2012, 2015], [2016, 2019]]", "[2012, 2015], [2016, 2018]]", "is not 4 years long", "editions[0].drought.epochs[4]"),
    ("lookup_incomplete", "legends/productivity.yaml", "      - {when: [0, 0, -1], then: [3, 0], label: row 10}\n", "", "no row matches 1 combination(s): {'trajectory': 0, 'state': 0, 'performance': -1}", "lookup_tables[2].rows"),
    ("lookup_overlap", "legends/productivity.yaml", '      - {when: [0, 0, "*"], then: [0]}', '      - {when: [0, "*", "*"], then: [0]}', "row 3 matches 2 combination(s) that rows [1, 2] match too", "lookup_tables[1].rows[3]"),
    ("lookup_output", "legends/status.yaml", "      - {when: [4], then: [0]}", "      - {when: [4], then: [2]}", "2 is not a code of output 'sdg'", "lookup_tables[1].rows[3].then[0]"),
    ("tier_outside_so3", "so1_land.yaml", "    ipcc_tier: 1\n", "    tier: 1\n", "is not an SO3 indicator", "indicators[2].tier"),
    ("so3_without_tier", "so3_drought.yaml", "    tier: 2\n", "", "SO3-2 has no drought tier", "indicators[1].tier"),
    ("subitem_parent", "so5_finance.yaml", "    parent: SO5-5\n    name: Resources needed", "    parent: SO5-4\n    name: Resources needed", "does not start with its parent code SO5-4", "indicators[7].code"),
    ("counterbalancing_sets", "legends/status.yaml", "neutral: [3, 4, 5]", "neutral: [3, 4]", "do not split the classes", "parameters.counterbalancing"),
    ("override_unknown_block", "profiles/trends_earth.yaml", "  state:\n    denominator: sd", "  stat:\n    denominator: sd", "unknown parameter block 'stat'", "parameter_overrides.stat"),
    ("override_bad_value", "profiles/trends_earth.yaml", "nodata_rule: any_nodata", "nodata_rule: all_nodata", "'all_nodata' is not allowed", "parameter_overrides.one_out_all_out.nodata_rule"),
    ("overlay_area_unit", "overlays/example_country.yaml", "unit: km**2, year: 2020", "unit: percent, year: 2020", "does not have the dimension of a land area", "parameter_overrides.land_area.official.unit"),
    ("overlay_nesting", "overlays/example_country.yaml", "{parent: 3, children: [31, 32]}", "{parent: 3, children: [31]}", "code 32 (Irrigated cropland) of 'exampleland_lc' is not nested", "nestings[0].groups"),
    ("series_tolerance_negative", "framework.yaml", "trend_tolerance: 0.05", "trend_tolerance: -0.05", "greater than or equal to 0", "parameters.series.trend_tolerance"),
    ("series_range_unordered", "framework.yaml", "percent_range: [0.0, 100.0]", "percent_range: [100.0, 0.0]", "range [100.0, 0.0] is not ordered", "parameters.series.percent_range"),
    ("red_list_range_unordered", "so4_biodiversity.yaml", "value_range: [0.0, 1.0]", "value_range: [1.0, 1.0]", "range [1.0, 1.0] is not ordered", "parameters.red_list.value_range"),
    ("so5_weight_above_one", "so5_finance.yaml", "significant: 1.0,", "significant: 1.5,", "less than or equal to 1", "parameters.so5.rio_marker_weights.significant"),
    ("so5_unmarked_weight_negative", "so5_finance.yaml", "unmarked_weight: 1.0", "unmarked_weight: -0.5", "greater than or equal to 0", "parameters.so5.unmarked_weight"),
    ("kba_unknown_rule", "so4_biodiversity.yaml", "unknown_year: exclude", "unknown_year: ignore", "'ignore' is not allowed", "parameters.kba.unknown_year"),
    ("override_series_tolerance", "profiles/trends_earth.yaml", "  dvi:\n    precomputed_scale: 0.0001\n", "  dvi:\n    precomputed_scale: 0.0001\n  series:\n    trend_tolerance: -1\n", "greater than or equal to 0", "parameter_overrides.series.trend_tolerance"),
    # issue 11 item 6: rules CI can trust
    ("binding_function_missing", "so5_finance.yaml", "function: indicators.so5.finance:future_support_narrative", "function: indicators.so5.finance:future_support_narative",
     "has no function future_support_narative", "compute.function"),
    ("binding_module_missing", "so5_finance.yaml", "function: indicators.so5.finance:future_support_narrative", "function: indicators.so9_not_written.module:later",
     "module indicators.so9_not_written.module does not exist", "compute.function"),
    ("table_id_not_of_the_indicator", "so1_land.yaml", '"2026": [SO1-2.T1, SO1-2.T2,', '"2026": [banana, SO1-2.T2,', "table id 'banana' is not a table of SO1-2", "reporting_tables.2026[0]"),
    ("table_id_of_another_indicator", "so1_land.yaml", '"2022": [SO1-2.T1, SO1-2.T2,', '"2022": [SO1-3.T1, SO1-2.T2,', "table id 'SO1-3.T1' is not a table of SO1-2", "reporting_tables.2022[0]"),
    ("table_declared_not_of_the_indicator", "so1_land.yaml", "      - id: SO1-2.T1\n", "      - id: SO1-2.T9\n        title: x\n      - id: SO1-2.T1\n",
     "table 'SO1-2.T9' is declared but is none of SO1-2's tables", "tables[0].id"),
    # decision D23: edition-specific declarations (the 2026 manual renumbers the SO1 tables)
    ("reporting_table_without_declaration", "so1_land.yaml", '"2026": [SO1-3.T1, SO1-3.T2]', '"2026": [SO1-3.T1, SO1-3.T2, SO1-3.T3]',
     "reporting table SO1-3.T3 of edition 2026 has no declaration", "reporting_tables.2026[2]"),
    ("table_declared_twice_in_an_edition", "so1_land.yaml", '      - id: SO1-2.T1\n        editions: ["2022"]\n', "      - id: SO1-2.T1\n",
     "table 'SO1-2.T1' is declared twice for edition 2026", "tables"),
    ("written_from_another_indicator", "so1_land.yaml", "written_from: [SO1-2.T5, SO1-2.T6]", "written_from: [SO1-3.T5, SO1-2.T6]",
     "SO1-2.T3 is written from 'SO1-3.T5', not a table of SO1-2", "written_from"),
    ("written_twice_in_an_edition", "so1_land.yaml", "written_from: [SO1-2.T1]", "written_from: [SO1-2.T5]",
     "SO1-2.T5 is written as SO1-2.T3 and as SO1-2.national in edition 2026", "written_from"),
    ("declaration_edition_unknown", "so1_land.yaml", '        editions: ["2026"]\n        written_from: [SO1-4.change]', '        editions: ["2026", "2030"]\n        written_from: [SO1-4.change]',
     "edition 2030 is not defined", "tables[1].editions"),
    # every table a run writes is declared (id, title, columns): other_tables / optional_tables name declared tables
    ("other_table_without_declaration", "so5_finance.yaml", "    other_tables: [SO5-5.narrative]\n", "    other_tables: [SO5-5.narrative, SO5-5.answers]\n",
     "table SO5-5.answers of edition 2022 has no declaration", "other_tables[1]"),
    ("optional_table_of_another_indicator", "so4_biodiversity.yaml", "    optional_tables: [SO4-2.gaps]\n", "    optional_tables: [SO4-2.gaps, SO4-3.gaps]\n",
     "table id 'SO4-3.gaps' is not a table of SO4-2", "optional_tables[1]"),
    # a declared table needs a builder (a stage listing it, Stage.tables) and a stage's table a declaration
    ("table_without_builder", "so3_drought.yaml", '      "2026": [SO3-1.T1, SO3-1.T2]\n    tables:  # what each table holds: title, columns, units (indicators/specs/table_model.py)\n      - id: SO3-1.T1\n',
     '      "2026": [SO3-1.T1, SO3-1.T2, SO3-1.T3]\n    tables:\n      - id: SO3-1.T3\n        title: Drought in the dry season\n      - id: SO3-1.T1\n',
     "table SO3-1.T3 of edition 2026 has no builder: stage indicators.so3.run_hazard:STAGE does not write it", "indicators[0].tables[0].id"),
    ("stage_table_not_declared", "so5_finance.yaml",
     "    tables:  # what each table holds: title, columns, units (indicators/specs/table_model.py)\n      - id: SO5-5.narrative\n"
     "        title: Narrative answers\n        rows: one per sub-item\n        labels: [sub_item, title, text, reported]\n    other_tables: [SO5-5.narrative]\n",
     "", "stage indicators.so5.run:STAGE writes table SO5-5.narrative, which SO5-5 does not declare in edition 2022", "indicators[4].run"),
    ("country_profile_table_id", "framework.yaml", "      - id: CP-1.T2\n", "      - id: CP-1.summary\n",
     "table id 'CP-1.summary' is not a country-profile table", "country_profile_tables[1]"),
    ("period_leaves_edition", "framework.yaml", "years: [2016, 2019]", "years: [2016, 2020]",
     "period report_1 [2016, 2020] leaves edition 2022's years [2000, 2019]", "editions[0].periods[1].years"),
    ("land_cover_years_outside_period", "framework.yaml", "land_cover: {initial: 2016, final: 2019}", "land_cover: {initial: 2016, final: 2021}",
     "years 2016-2021 do not belong to the period [2016, 2019]", "editions[0].periods[1].land_cover"),
    ("soc_years_outside_period", "framework.yaml", "soc: {initial: 2016, final: 2019}", "soc: {initial: 2010, final: 2019}",
     "years 2010-2019 do not belong to the period [2016, 2019]", "editions[0].periods[1].soc"),
    ("productivity_unrelated_to_period", "framework.yaml", "performance: [2004, 2019]}", "performance: [2000, 2015]}",
     "window [2000, 2015] does not end inside the period [2016, 2019]", "editions[0].periods[1].productivity.performance"),
    ("spi_calibration_reversed", "so3_drought.yaml", "calibration: [1981, 2010]", "calibration: [2010, 1981]",
     "calibration window [2010, 1981] is reversed", "spi.calibration"),
    ("plausibility_scale_parameter", "framework.yaml", 'scale_parameter: "parameters:dvi.precomputed_scale"',
     'scale_parameter: "parameters:dvi.precomputed_scal"', "does not resolve to a parameter", "plausibility.inputs.dvi.scale_parameter"),
    ("section_of_wrong_kind", "so2_people.yaml", "kind: objective\n", "kind: objective\nedition_overrides: {}\n", "may not hold the section 'edition_overrides'", "edition_overrides"),
]


@pytest.mark.parametrize("case", BREAKAGES, ids=[c[0] for c in BREAKAGES])
def test_broken_spec_gives_one_clear_line(case, specs_copy, capsys):
    _id, rel, old, new, message, path_fragment = case
    replace_once(specs_copy / rel, old, new)
    status = main(["validate", str(specs_copy)])
    out = capsys.readouterr().out.strip().splitlines()
    assert status == 1, out
    assert len(out) == 1, "\n".join(out)
    m = LINE.match(out[0])
    assert m, out[0]
    assert m["file"].endswith(rel), out[0]
    assert int(m["line"]) >= 1
    assert path_fragment in m["path"], out[0]
    assert message in m["problem"], out[0]
    assert m["fix"].strip()


def test_at_least_fifteen_distinct_rules_are_exercised():
    assert len({c[0] for c in BREAKAGES}) >= 15


def test_line_number_points_at_the_broken_field(specs_copy, capsys):
    path = specs_copy / "so1_land.yaml"
    replace_once(path, "unit: t/ha", "unit: tonnes per hectare")
    expected = next(i for i, line in enumerate(path.read_text().splitlines(), 1) if "tonnes per hectare" in line)
    main(["validate", str(specs_copy)])
    assert LINE.match(capsys.readouterr().out.strip())["line"] == str(expected)


PLANNED = "        source: PRAIS22 SO5-5\n        status: planned\n        compute:\n"


def test_planned_binding_is_not_an_error_but_strict_refuses_it(specs_copy, capsys):
    replace_once(specs_copy / "so5_finance.yaml", "        source: PRAIS22 SO5-5\n        compute:\n", PLANNED)
    replace_once(specs_copy / "so5_finance.yaml", "function: indicators.so5.finance:future_support_narrative", "function: indicators.so9_not_written.module:later")
    assert main(["validate", str(specs_copy), "--show-planned"]) == 0
    out = capsys.readouterr().out
    assert "[planned] module indicators.so9_not_written.module does not exist yet" in out
    assert main(["validate", str(specs_copy), "--strict"]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and LINE.match(lines[0]) and "so5_finance.yaml" in lines[0], lines


def test_missing_function_in_existing_module_is_planned(specs_copy, capsys):
    replace_once(specs_copy / "so5_finance.yaml", "        source: PRAIS22 SO5-5\n        compute:\n", PLANNED)
    replace_once(specs_copy / "so5_finance.yaml", "function: indicators.so5.finance:future_support_narrative", "function: indicators.specs.model:not_yet_written")
    assert main(["validate", str(specs_copy), "--format", "json"]) == 0
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert any(p["severity"] == "planned" and "has no function not_yet_written" in p["problem"] for p in problems)


def test_unparseable_yaml_exits_2(specs_copy, capsys):
    (specs_copy / "so2_people.yaml").write_text("spec_version: 1\nkind: objective\nindicators: [\n  - code: SO2-1\n")
    assert main(["validate", str(specs_copy)]) == 2
    out = capsys.readouterr().out
    assert "so2_people.yaml:" in out and "YAML does not parse" in out


def test_non_mapping_file_exits_2(specs_copy, capsys):
    (specs_copy / "so2_people.yaml").write_text("- just\n- a list\n")
    assert main(["validate", str(specs_copy)]) == 2
    assert "must be a YAML mapping" in capsys.readouterr().out


def test_missing_path_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2


def test_json_output_of_a_broken_spec(specs_copy, capsys):
    replace_once(specs_copy / "legends/drought.yaml", "lower: -1.5, upper: -1.0}", "lower: -1.4, upper: -1.0}")
    assert main(["validate", str(specs_copy), "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    errors = [p for p in out["problems"] if p["severity"] == "error"]
    assert out["ok"] is False and len(errors) == 1
    assert errors[0]["rule"] == "thresholds" and errors[0]["file"].endswith("drought.yaml") and errors[0]["line"]


def test_single_overlay_file_is_checked_against_the_default_specs(specs_copy, capsys, monkeypatch):
    monkeypatch.setenv("INDICATORS_SPECS_DIR", str(Path(__file__).resolve().parents[2] / "specs"))
    overlay = specs_copy / "overlays" / "example_country.yaml"
    assert main(["validate", str(overlay)]) == 0
    replace_once(overlay, "transition_matrix: exampleland_transitions", "transition_matrix: nowhere")
    assert main(["validate", str(overlay)]) == 1
    assert "matrix 'nowhere' is not defined" in capsys.readouterr().out


def test_load_framework_raises_spec_error_with_the_line(specs_copy):
    import indicators
    from indicators.errors import SpecError

    replace_once(specs_copy / "legends/drought.yaml", "lower: -1.5, upper: -1.0}", "lower: -1.4, upper: -1.0}")
    with pytest.raises(SpecError, match=r"drought\.yaml:\d+: classifications\[0\]\.classes\[2\]\.lower: gap"):
        indicators.load_framework(specs=specs_copy)

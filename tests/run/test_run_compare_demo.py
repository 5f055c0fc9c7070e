"""`indicators compare` on the bundled sample data: national land cover (demo_national_config.yaml) vs the ESA CCI
sample (demo_config.yaml), through the CLI; and what compare does with a configuration B that lacks the water year.

The two sample configurations are copied with every path made absolute and the indicators restricted to SO1 (the
land-cover part of the comparison; a compare is two runs), nothing else changed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from indicators.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
SO1 = ["SO1-1", "SO1-2", "SO1-3", "SO1-4"]


def _copy(name: str, dst: Path, **changes) -> Path:
    from indicators.config.loading import load_config
    from indicators.config.paths import resolved_config_text

    doc = yaml.safe_load(resolved_config_text(load_config(SAMPLE / name)))
    doc["indicators"] = SO1
    for key, value in changes.items():
        doc["inputs"][key].update(value)
    dst.write_text(yaml.safe_dump(doc, sort_keys=False))
    return dst


def _years(path: Path, name: str) -> set[int]:
    from indicators.config.loading import load_config

    spec = load_config(path).config.inputs.get(name)
    return set(spec.years or []) if spec else set()


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmp-demo")
    a = _copy("demo_national_config.yaml", root / "national.yaml")
    b = _copy("demo_config.yaml", root / "default.yaml")
    out = root / "out"
    assert main(["compare", str(a), str(b), "-o", str(out), "--quiet", "--names", "national", "ESA CCI"]) == 0
    return out, a, b


def test_the_national_configuration_is_the_demo_with_national_land_cover():
    """Same inputs as the demo; the national map's legend and nesting named in the parameters (the overlay's)."""
    nat = yaml.safe_load((SAMPLE / "demo_national_config.yaml").read_text())
    demo = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text())
    assert nat["inputs"] == demo["inputs"] and nat["country"] == demo["country"] and nat["overlay"] == demo["overlay"]
    assert nat["parameters"]["land_cover"] == {"national_legend": "arvelia_national",
                                               "national_nesting": "arvelia_national_to_unccd"}
    assert "parameters" not in demo


def test_every_expected_file_is_written(compared):
    from indicators.config.loading import load_config
    from indicators.engine import load_run_framework

    out, a, b = compared
    years_a = _years(a, "land_cover") | _years(a, "land_cover_national")
    shared = sorted(years_a & _years(b, "land_cover"))
    periods = [p.id for p in load_run_framework(load_config(a)).periods()]
    expected = ["A/report.html", "B/report.html", "A/provenance.json", "B/provenance.json",
                *(f"comparison/{n}" for n in ("verdict.csv", "land_cover_crosstab.csv", "land_cover_agreement.csv",
                                              "sdg_crosstab.csv", "comparison.html", "maps/land_cover_agreement.png",
                                              "maps/sdg_cross_classification.png")),
                *(f"comparison/maps/land_cover_agreement_{y}{ext}" for y in shared for ext in (".tif", ".qml")),
                *(f"comparison/maps/sdg_cross_classification_{p}{ext}" for p in periods for ext in (".tif", ".qml"))]
    missing = [rel for rel in expected if not (out / rel).is_file()]
    assert not missing, missing
    # every table with figures both runs wrote in one layout, compared under its own name (a table of names only,
    # such as the legends, has nothing to compare); every configured indicator among them
    both = {p.relative_to(out / "A") for p in (out / "A").rglob("*.csv")} & {p.relative_to(out / "B") for p in (out / "B").rglob("*.csv")}
    figures = set()
    for rel in both:
        ta, tb = pd.read_csv(out / "A" / rel), pd.read_csv(out / "B" / rel)
        if list(ta.columns) == list(tb.columns) and any(pd.api.types.is_float_dtype(ta[c]) for c in ta.columns):
            figures.add(rel)
    assert {rel.parts[0] for rel in figures} >= set(SO1)
    assert not [rel for rel in figures if not (out / "comparison" / rel).is_file()]
    assert {p.relative_to(out / "comparison") for p in (out / "comparison").glob("*/*.csv")} <= both


def test_the_national_year_is_where_the_land_cover_differs(compared):
    """A holds the national map where the country has it (2019) and ESA CCI elsewhere, B ESA CCI everywhere."""
    out, a, _ = compared
    national = _years(a, "land_cover_national")
    agr = pd.read_csv(out / "comparison" / "land_cover_agreement.csv")
    nat = agr[agr["unit"] == "national"].set_index("year")["agreement_percent"]
    assert national and set(national) <= set(nat.index)
    for year, value in nat.items():
        if year in national:
            assert value < 100.0, year
        else:
            assert value == pytest.approx(100.0), year


def test_land_cover_crosstab_rows_are_a_class_areas(compared):
    """Row sums of the cross-tabulation are A's land-cover areas per class of that year (the 2026 edition's SO1-1.T4,
    the 2022 edition's SO1-1.T5: D23), B mapping every cell A maps (its no-data area is 0)."""
    out, a, _ = compared
    cross = pd.read_csv(out / "comparison" / "land_cover_crosstab.csv")
    assert yaml.safe_load(a.read_text())["edition"] == "2026"
    t5a = pd.read_csv(out / "A" / "SO1-1" / "SO1-1.T4.csv")
    t5b = pd.read_csv(out / "B" / "SO1-1" / "SO1-1.T4.csv")
    classes = t5a[t5a["class"].notna()].set_index("class")
    checked = []
    for year in [c for c in t5a.columns if re.fullmatch(r"\d{4}", str(c))]:
        assert t5b.loc[t5b["class"].isna(), year].item() == 0  # B has no data nowhere inside the boundary
        rows = cross[cross["year"] == int(year)].groupby("class_A")["area_km2"].sum()
        for code, area in classes[year].items():
            assert rows[int(code)] == pytest.approx(area, abs=1e-5), (year, code)  # T5 is written to 1e-6 km²
        checked.append(int(year))
    assert _years(a, "land_cover_national") <= set(checked)


def test_verdict_has_one_row_per_compared_indicator(compared):
    out, _, _ = compared
    verdict = pd.read_csv(out / "comparison" / "verdict.csv")
    compared_inds = {p.relative_to(out / "comparison").parts[0] for p in (out / "comparison").glob("*/*.csv")}
    assert sorted(verdict["indicator"]) == sorted(compared_inds)
    assert set(SO1) <= compared_inds
    assert set(verdict["verdict"]) <= {"consistent", "review", "differs"}


def test_both_reports_have_the_comparison_section(compared):
    out, _, _ = compared
    verdict = pd.read_csv(out / "comparison" / "verdict.csv")
    for run, name in (("A", "national"), ("B", "ESA CCI")):
        page = (out / run / "report.html").read_text(encoding="utf-8")
        nav = re.search(r'<nav class="bar".*?</nav>', page, flags=re.S).group(0)
        assert 'href="#comparison"' in nav  # in the sticky contents
        start = page.index('<section id="comparison">')
        section = page[start:page.index("</section>", start)]
        assert "National vs default data" in section and f"This run is {run} ({name})" in section
        link = re.search(r'<a href="([^"#]+comparison\.html)"', section).group(1)
        assert (out / run / link).resolve() == (out / "comparison" / "comparison.html").resolve()
        table = section[section.index('id="verdict"'):section.index('id="agreement"')]
        assert table.count("<tr>") == len(verdict) + 1  # the header and one row per indicator
        for ind in verdict["indicator"]:
            assert f"<td>{ind}</td>" in table
        assert "Traceback" not in page


def test_report_section_in_french():
    from indicators.report.comparison_page import report_section
    from indicators.report.model import RunResult
    from indicators.report.page import render_report

    verdict = pd.DataFrame([{"indicator": "SO1-1", "tables_compared": 1, "max_relative_difference_percent": 12.5,
                             "land_cover_agreement_percent": 90.0, "verdict": "review", "thresholds": "…"}])
    agreement = pd.DataFrame([{"year": 2019, "unit": "national", "area_both_mapped_km2": 100.0, "agreement_percent": 90.0},
                              {"year": 2019, "unit": "A", "area_both_mapped_km2": 40.0, "agreement_percent": 80.0}])
    section = report_section(["national", "ESA CCI"], "A", verdict, agreement, "../comparison/comparison.html", language="fr")
    page = render_report(RunResult(country="Arvelia", edition="2026", profile=None), decisions={}, language="fr",
                         comparison=section)
    start = page.index('<section id="comparison">')
    text = page[start:page.index("</section>", start)]
    assert "Données nationales et par défaut" in text and "à examiner" in text and "12,50" in text
    assert text.count("<tr>") == 2 + 2  # the verdict's header and row, the national agreement's header and row
    assert render_report(RunResult(country="Arvelia", edition="2026", profile=None), decisions={}).count('id="comparison"') == 0


def test_b_without_the_water_year_is_refused_before_computing(tmp_path, capsys):
    """B's land cover lacks the year that defines inland water (D3: the baseline's first land-cover year, A's too):
    one line naming B's file, the input, the year and the fix; exit 2; nothing written."""
    from indicators.config.loading import load_config
    from indicators.engine import load_run_framework

    a = _copy("demo_national_config.yaml", tmp_path / "national.yaml")
    water_year = int(load_run_framework(load_config(a)).period("baseline").land_cover.initial)
    years = sorted(_years(a, "land_cover") - {water_year})
    b = _copy("demo_config.yaml", tmp_path / "no_water_year.yaml", land_cover={"years": years})
    target = tmp_path / "out"
    capsys.readouterr()
    assert main(["compare", str(a), str(b), "-o", str(target), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no_water_year.yaml" in err and "inputs.land_cover" in err and str(water_year) in err
    assert "add those years" in err
    assert "Traceback" not in err and not target.exists()

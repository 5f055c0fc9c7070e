"""Declared == written, id for id: the demo under each edition writes every table its specs declare, and only those.

The expected set comes from the specs, never from the run's output: for each indicator the demo computes, its
``reporting_tables`` of the run's edition, its ``other_tables`` (less those the edition publishes under another id,
D23, plus the edition's renumbered ids: ``Indicator.other_tables_of``) and its ``optional_tables``, and the edition's
country-profile tables; less the optional tables that the demo's inputs do not produce (``NOT_PRODUCED_BY_THE_DEMO``:
an optional table is written only with an optional input or parameter, or when the data call for it, and the demo
gives neither for those; each is asserted to be declared optional and not written). A written table's id is its
file's stem without the per-period suffix (``SO1-1.T6.baseline`` is ``SO1-1.T6``: a suffix that is one of the
edition's period ids). The 2022 run is the demo's own configuration (OUT/run-config.yaml, absolute paths) with its
edition changed: the same data (SO2-1: the sample series at the 2022 poverty line), the other edition's specs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from indicators.cli import main

#: a table id of the UNCCD reporting manuals (<code>.T<n>, with a letter for a split table)
MANUAL_ID = re.compile(r"^(?:SO\d-\d|CP-\d)\.T\d+[a-z]?$")

#: optional tables (specs: optional_tables) that the demo's inputs do not produce, and why
NOT_PRODUCED_BY_THE_DEMO: dict[str, str] = {
    "SO1-1.regions": "no land_cover_regions input (regional matrices, D28)",
    "SO1-1.regional_matrices": "no land_cover_regions input (regional matrices, D28)",
    "SO2-1.gaps": "the sample poverty series has every year",
    "SO2-2.gaps": "the sample water series has every year",
    "SO2-2.checks": "every sample total lies within its urban-rural interval",
    "SO4-2.gaps": "the sample Red List series has every year",
    "SO4-3.gaps": "KBA coverage is computed from the KBA and protected-area layers, not read from a coverage table",
}


#: indicators with a stage that the demo does not compute, per edition, and why
NOT_COMPUTED: dict[str, dict[str, str]] = {
    "2026": {"SO5-4": "the sample flows hold no SO5-4 rows"},
    "2022": {"SO5-4": "the sample flows hold no SO5-4 rows"},
}


def _declared(fw, edition: str, computed: set[str]) -> set[str]:
    """Every table the specs declare for the edition: the country-profile tables (CP-1 belongs to no indicator)
    and, for each computed indicator, its reporting, other and optional tables (``Indicator.tables_of``)."""
    ids: set[str] = {t.id for t in fw.edition_spec(edition).country_profile_tables}
    for ind in fw.indicators:
        if ind.code in computed:
            ids |= set(ind.tables_of(edition))
    return ids


def _written(out: Path, fw, edition: str) -> set[str]:
    """The ids of the CSV tables in *out*: each file's stem, less a suffix that is one of the edition's periods."""
    periods = {p.id for p in fw.edition_spec(edition).periods}
    ids = set()
    for p in out.glob("*/*.csv"):
        base, _, last = p.stem.rpartition(".")
        ids.add(base if base and last in periods else p.stem)
    return ids


def _computed(out: Path) -> set[str]:
    import json

    return set(json.loads((out / "provenance.json").read_text())["indicators"]["computed"])


@pytest.fixture(scope="module")
def demo_2022(demo_output, tmp_path_factory) -> Path:
    cfg = yaml.safe_load((demo_output / "run-config.yaml").read_text())
    cfg["edition"] = "2022"
    # the demo's poverty series is at the 2026 line (USD 3.00/day, 2021 PPP), which the 2022 edition refuses: the
    # 2022 run reads the sample series at its own line (USD 1.90/day, 2011 PPP), beside it
    poverty = Path(cfg["inputs"]["so2_1_poverty"]["path"])
    cfg["inputs"]["so2_1_poverty"]["path"] = str(poverty.with_name("so2_1_poverty_2022.csv"))
    d = tmp_path_factory.mktemp("demo2022")
    (d / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    assert main(["run", str(d / "config.yaml"), "-o", str(d / "out"), "--quiet"]) == 0
    return d / "out"


@pytest.mark.parametrize("edition", ["2026", "2022"])
def test_the_demo_writes_exactly_the_declared_tables(edition, demo_output, request):
    """written == declared (see the module's docstring for the rule), id for id, under each edition."""
    from indicators import load_framework

    out = demo_output if edition == "2026" else request.getfixturevalue("demo_2022")
    cfg = yaml.safe_load((out / "run-config.yaml").read_text())
    assert str(cfg["edition"]) == edition
    fw = load_framework(cfg.get("edition"), cfg.get("profile"), cfg.get("overlay"))
    # the tables of every indicator with a stage are expected, but for the indicators the demo does not compute
    assert {i.code for i in fw.indicators if i.run} - _computed(out) == set(NOT_COMPUTED[edition])
    optional = {t for ind in fw.indicators for t in ind.optional_tables}
    assert set(NOT_PRODUCED_BY_THE_DEMO) <= optional, sorted(set(NOT_PRODUCED_BY_THE_DEMO) - optional)
    expected = _declared(fw, edition, _computed(out)) - set(NOT_PRODUCED_BY_THE_DEMO)
    written = _written(out, fw, edition)
    print(f"edition {edition}: declared {len(expected)}, written {len(written)}")
    assert written == expected, {"written, not declared": sorted(written - expected),
                                 "declared, not written": sorted(expected - written)}


def test_reporting_package_carries_the_national_tables(demo_output):
    """reporting/<period>.json (docs/reporting-package.md): the SDG areas are SO1-4.T1's, the exposed population SO2-3.T1's."""
    import json

    import pandas as pd

    t1 = pd.read_csv(demo_output / "SO1-4" / "SO1-4.T1.csv")
    pop = pd.read_csv(demo_output / "SO2-3" / "SO2-3.T1.csv", keep_default_na=False)
    periods = list(dict.fromkeys(t1["period"]))
    assert sorted(p.stem for p in (demo_output / "reporting").glob("*.json")) == sorted(periods)
    for period in periods:
        doc = json.loads((demo_output / "reporting" / f"{period}.json").read_text())
        land = doc["land_condition"][period]
        summary = land["status_assessment" if period != "baseline" else "period_assessment"]["sdg"]["summary"]
        rows = t1[t1["period"] == period].set_index("class")["area_km2"]
        got = {a["name"]: a["area"] for a in summary["areas"]}
        assert got == pytest.approx({"Degraded": rows["degraded"], "Stable": rows["stable"], "Improved": rows["improved"],
                                     "No data": rows["no data"]}, abs=1e-5)  # the CSV keeps 6 decimals
        nat = pop[(pop["period"] == period) & (pop["level"] == "national")].set_index("class")
        exposed = doc["affected_population"][period]["summary"]["Degraded"]["values"]
        assert {v["type"]: v["population"] for v in exposed}["Female population"] == round(float(nat.loc["degraded", "female"]))
        assert set(doc["drought"]["tier_one"]) and set(doc["drought"]["tier_two"])


# The SO1 and CP-1 table ids of the UNCCD PRAIS 4 reporting manual, typed from the manual ("Related areas in the
# PRAIS 4 platform" notes): 2026 edition (repo unccd/Prais4-reporting-manual, branch master, commit 6674f5ef, SO1.md
# and introduction.md "Country profile"); 2022 edition (branch 2022, commit 9fe38b90, SO1.md). SO1-4.T2 is new in
# 2026; the 2022 manual has no SO1-4.T2.
MANUAL_SO1_IDS = {
    "2026": {"SO1-1.T1", "SO1-1.T2", "SO1-1.T3", "SO1-1.T4", "SO1-1.T5", "SO1-1.T6", "SO1-1.T7",
             "SO1-2.T1", "SO1-2.T2", "SO1-2.T3", "SO1-3.T1", "SO1-3.T2",
             "SO1-4.T1", "SO1-4.T2", "SO1-4.T3", "SO1-4.T4", "SO1-4.T5", "CP-1.T1", "CP-1.T2"},
    "2022": {"SO1-1.T1", "SO1-1.T2", "SO1-1.T3", "SO1-1.T4a", "SO1-1.T4b", "SO1-1.T5", "SO1-1.T6", "SO1-1.T7",
             "SO1-1.T8", "SO1-1.T9", "SO1-2.T1", "SO1-2.T2", "SO1-2.T3", "SO1-2.T4", "SO1-2.T5", "SO1-2.T6",
             "SO1-3.T1", "SO1-3.T2", "SO1-3.T3", "SO1-3.T4", "SO1-3.T5", "SO1-4.T1", "SO1-4.T3", "SO1-4.T4", "SO1-4.T5"},
}


@pytest.mark.parametrize("edition", ["2026", "2022"])
def test_the_demo_writes_exactly_the_manuals_so1_table_ids(edition, demo_output, request):
    """Each edition's demo writes its own manual's SO1 (and CP-1) table ids, and the specs declare exactly those."""
    from indicators import load_framework

    out = demo_output if edition == "2026" else request.getfixturevalue("demo_2022")
    fw = load_framework(edition)
    written = {t for t in _written(out, fw, edition) if t.startswith(("SO1-", "CP-")) and MANUAL_ID.match(t)}
    assert written == MANUAL_SO1_IDS[edition], sorted(written ^ MANUAL_SO1_IDS[edition])
    declared = {t for t in _declared(fw, edition, {i.code for i in fw.indicators}) if MANUAL_ID.match(t)}
    assert {t for t in declared if t.startswith(("SO1-", "CP-"))} == MANUAL_SO1_IDS[edition]


# decision D23: the 2026 table (file stem) -> the 2022 tables of the same run it is, concatenated in this order
RENUMBERED_2026 = {
    "SO1-1/SO1-1.T1": ["SO1-1/SO1-1.T2"], "SO1-1/SO1-1.T2": ["SO1-1/SO1-1.T3"], "SO1-1/SO1-1.T3": ["SO1-1/SO1-1.T4b"],
    "SO1-1/SO1-1.T4": ["SO1-1/SO1-1.T5"], "SO1-1/SO1-1.T5": ["SO1-1/SO1-1.T6.baseline"],
    "SO1-1/SO1-1.T6.report_1": ["SO1-1/SO1-1.T6.report_1"], "SO1-1/SO1-1.T7": ["SO1-1/SO1-1.T9"],
    "SO1-1/SO1-1.land_area": ["SO1-1/SO1-1.T1"], "SO1-1/SO1-1.matrix_unccd": ["SO1-1/SO1-1.T4a"],
    "SO1-1/SO1-1.net_change": ["SO1-1/SO1-1.T8"], "SO1-1/SO1-1.processes.baseline": ["SO1-1/SO1-1.T7.baseline"],
    "SO1-2/SO1-2.T1": ["SO1-2/SO1-2.T2.baseline"], "SO1-2/SO1-2.T2.report_1": ["SO1-2/SO1-2.T2.report_1"],
    "SO1-2/SO1-2.T3": ["SO1-2/SO1-2.T5", "SO1-2/SO1-2.T6"], "SO1-2/SO1-2.national": ["SO1-2/SO1-2.T1"],
    "SO1-2/SO1-2.transitions": ["SO1-2/SO1-2.T3", "SO1-2/SO1-2.T4"],
    "SO1-3/SO1-3.T1": ["SO1-3/SO1-3.T1"], "SO1-3/SO1-3.T2": ["SO1-3/SO1-3.T4", "SO1-3/SO1-3.T5"],
    "SO1-3/SO1-3.transitions": ["SO1-3/SO1-3.T2", "SO1-3/SO1-3.T3"],
    "SO1-4/SO1-4.T1": ["SO1-4/SO1-4.T1"], "SO1-4/SO1-4.T2": ["SO1-4/SO1-4.change"],
}


def test_the_2026_tables_are_the_2022_tables_renumbered(demo_output, demo_2022):
    """Renumbering changes ids, never numbers: on the same data, each 2026 SO1 table is its 2022 table(s), for the
    periods both editions have (baseline, report_1; 2026 adds report_2 and its 2023 maps)."""
    import pandas as pd

    for new, old in RENUMBERED_2026.items():
        got = pd.read_csv(demo_output / f"{new}.csv", keep_default_na=False)
        want = pd.concat([pd.read_csv(demo_2022 / f"{o}.csv", keep_default_na=False) for o in old], ignore_index=True)
        for key in ("period", "year"):  # rows of the periods (SOC years) both editions have
            if key in got.columns:
                got = got[got[key].isin(set(want[key]))].reset_index(drop=True)
        if new.endswith(("T4", "land_area")):  # one column per land-cover year: 2026 adds 2023
            got = got[list(want.columns)]
        pd.testing.assert_frame_equal(got, want, obj=new)

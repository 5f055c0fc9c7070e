"""The SO1 sub-indicator tables and CP-1.T1/T2 on the demo: properties against the tables they must agree with.

The demo is the 2026 edition, so the ids are the 2026 manual's (decision D23): LPD per land-cover class SO1-2.T1
(baseline) / T2 (reporting periods), LPD per land-cover transition SO1-2.transitions (2022: T3/T4), LPD degradation
SO1-2.T3 (2022: T5/T6), SOC change per transition SO1-3.transitions (2022: SO1-3.T2/T3), SOC degradation SO1-3.T2
(2022: T4/T5), land area SO1-1.land_area (2022: SO1-1.T1). Expected values are other tables of the same run built
on other paths (the LPD cross-tabulation, SO1-3.T1's stocks per class, the land area, the population input), never
the new tables' own code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ABS = 1e-5  # the CSVs keep 6 decimals


def _csv(out: Path, rel: str) -> pd.DataFrame:
    return pd.read_csv(out / rel, keep_default_na=True)


def _lpd_per_class(out: Path, period: str) -> pd.DataFrame:
    """LPD per land-cover class of *period*: SO1-2.T1 in the baseline, SO1-2.T2.<period> after (2026 ids)."""
    return _csv(out, "SO1-2/SO1-2.T1.csv" if period == "baseline" else f"SO1-2/SO1-2.T2.{period}.csv")


def test_lpd_per_transition_partitions_the_lpd_per_class(demo_output):
    """The transitions (changed, unchanged, no data) partition the grid: SO1-2.transitions' column sums are the LPD
    per land-cover class's (SO1-2.T1, T2)."""
    t3 = _csv(demo_output, "SO1-2/SO1-2.transitions.csv")
    assert list(dict.fromkeys(t3["period"])) == ["baseline", "report_1", "report_2"]
    for period, part in t3.groupby("period"):
        t2 = _lpd_per_class(demo_output, period)
        classes = list(t2.columns[1:])
        np.testing.assert_allclose(part[classes].sum().to_numpy(), t2[classes].sum().to_numpy(), atol=len(part) * ABS)
        np.testing.assert_allclose(part["total"], part[classes].sum(axis=1), atol=len(classes) * ABS)
        changed = part[~part["transition"].isin(["unchanged land cover", "no data"])]
        assert all(" → " in t and t.split(" → ")[0] != t.split(" → ")[1] for t in changed["transition"])
        assert list(changed["total"]) == sorted(changed["total"], reverse=True)


@pytest.mark.parametrize("tid", ["SO1-2.T3", "SO1-3.T2"])
def test_sub_indicator_degradation_partitions_the_country(demo_output, tid):
    """Degraded + stable + improved + no data + water = the total country area; percent of the total land area."""
    code = tid.split(".")[0]
    t = _csv(demo_output, f"{code}/{tid}.csv")
    land = _csv(demo_output, "SO1-1/SO1-1.land_area.csv").set_index("row")
    country, total = float(land.loc["total country area", "2000"]), float(land.loc["total land area", "2000"])
    assert list(dict.fromkeys(t["period"])) == ["baseline", "report_1", "report_2"]
    for period, part in t.groupby("period"):
        a = part.set_index("class")["area_km2"]
        assert a[["degraded", "stable", "improved", "no data", "water"]].sum() == pytest.approx(country, abs=5 * ABS), period
        assert a["total land area"] == pytest.approx(total, abs=ABS)
        deg = part[part["class"] == "degraded"]
        np.testing.assert_allclose(deg["percent_of_land"], 100 * deg["area_km2"] / total, rtol=1e-6)


def test_soc_degradation_tables_are_the_soc_summary(demo_output):
    summary = _csv(demo_output, "SO1-3/SO1-3.summary.csv")
    pd.testing.assert_frame_equal(_csv(demo_output, "SO1-3/SO1-3.T2.csv"), summary)


def test_soc_change_per_transition_adds_up_to_the_stocks_per_class(demo_output):
    """Σ over the transitions of the initial (final) stock = SO1-3.T1's national stock in the initial (final) SOC year."""
    from indicators import load_framework

    cfg = yaml.safe_load((demo_output / "run-config.yaml").read_text())
    periods = {p.id: p for p in load_framework(cfg.get("edition"), cfg.get("profile"), cfg.get("overlay")).periods()}
    stocks = _csv(demo_output, "SO1-3/SO1-3.T1.csv").groupby("year")["soc_stock_t"].sum()
    t = _csv(demo_output, "SO1-3/SO1-3.transitions.csv")
    assert set(t["period"]) == set(periods)
    for period, part in t.groupby("period"):
        p = periods[period]
        assert part["soc_initial_t"].sum() == pytest.approx(stocks[p.soc.initial], rel=1e-9)
        assert part["soc_final_t"].sum() == pytest.approx(stocks[p.soc.final], rel=1e-9)
        np.testing.assert_allclose(part["soc_change_t"], part["soc_final_t"] - part["soc_initial_t"], atol=2 * ABS)
        assert (part["area_km2"] > 0).all()


def test_country_profile_land_area_is_so1_1_t1(demo_output):
    """CP-1.T1's total land area is the run's land area (2022: SO1-1.T1; 2026: SO1-1.land_area) (one national land
    area, issue 11 item 4), at 2000, 2015, 2019 and 2023 (the 2026 manual's years)."""
    cp = _csv(demo_output, "CP-1/CP-1.T1.csv").set_index("row")
    so = _csv(demo_output, "SO1-1/SO1-1.land_area.csv").set_index("row")
    assert list(cp.columns) == ["2000", "2015", "2019", "2023"]
    assert list(cp.index) == list(so.index)
    for y in cp.columns:
        assert cp.loc["total land area", y] == so.loc["total land area", y]
    pd.testing.assert_frame_equal(cp, so[cp.columns])


def test_country_profile_population_is_the_national_input(demo_output):
    cfg = yaml.safe_load((demo_output / "run-config.yaml").read_text())
    src = pd.read_csv(cfg["inputs"]["population_national"]["path"])
    cp = _csv(demo_output, "CP-1/CP-1.T2.csv").set_index("year")
    for row in src.itertuples(index=False):
        unit = getattr(row, "unit", None) or cfg["inputs"]["population_national"].get("units") or "person"
        factor = {"person": 1, "persons": 1, "thousand persons": 1000}[str(unit)]  # the sample's units
        assert cp.loc[int(row.year), str(row.sex).lower()] == pytest.approx(float(row.population) * factor)
    assert set(cp.index) == set(src["year"])

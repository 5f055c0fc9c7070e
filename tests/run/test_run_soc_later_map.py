"""Issue 14, done-when: a 2023 land-cover map with missing cells changes no baseline or report_1 number.

The bundled sample data are copied; the 2023 map (used only by report_2) gets a block and a scatter of no-data
cells inside the country; the SO1, SO2-3 and SO4-1 tables of the run are compared with the demo's golden tables
(tests/data/demo_golden): every baseline and report_1 number (rows of those periods, years up to 2019, files of
those periods) is the same, and report_2's SOC no-data area grew (the changed map was read).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from indicators.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "demo_golden"
EARLY = {"baseline", "report_1"}
LAST_EARLY_YEAR = 2019  # report_1's final year (edition 2026)
BASELINE_TABLES = {"SO1-1.T5", "SO1-2.T1"}  # the 2026 manual's baseline-period tables (decision D23)


def _early_part(name: str, df: pd.DataFrame) -> pd.DataFrame | None:
    """The baseline and report_1 numbers of a table, or None when it has none of its own."""
    if name.endswith(".report_2"):
        return None
    if name.endswith((".baseline", ".report_1")) or name in BASELINE_TABLES:
        return df
    if name == "SO4-1.trend":  # a trend over the whole series, report_2's years included
        return None
    if "period" in df.columns:
        return df[df["period"].astype(str).isin(EARLY)]
    if "year" in df.columns:
        return df[df["year"].astype(int) <= LAST_EARLY_YEAR]
    if "period_end" in df.columns:
        return df[df["period_end"].astype(int) <= LAST_EARLY_YEAR]
    years = [c for c in df.columns if str(c).isdigit()]
    if years:
        return df.drop(columns=[c for c in years if int(c) > LAST_EARLY_YEAR])
    raise AssertionError(f"{name}: no period, year or period file name; say which part is the baseline's")


@pytest.fixture(scope="module")
def run_with_a_gappy_2023_map(tmp_path_factory) -> Path:
    import rasterio

    data = tmp_path_factory.mktemp("soc_later_map") / "sample_data"
    shutil.copytree(ROOT / "sample_data", data)
    path = data / "land_cover" / "esa_cci_lc_2023.tif"
    with rasterio.open(path) as src:
        profile, lc = src.profile, src.read(1)
    nodata = int(profile["nodata"])
    rng = np.random.default_rng(14)
    ny, nx = lc.shape
    lc[ny // 3: ny // 2, nx // 3: nx // 2] = nodata          # a block in the middle of the country
    lc[rng.random(lc.shape) < 0.05] = nodata                # and 5 % of the cells anywhere
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(lc, 1)
    cfg_path = data / "demo_config.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg["indicators"] = ["SO1-1", "SO1-2", "SO1-3", "SO1-4", "SO2-3", "SO4-1"]
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    out = data.parent / "out"
    assert main(["run", str(cfg_path), "-o", str(out), "--quiet"]) == 0
    return out


def test_a_later_map_with_nodata_changes_no_baseline_or_report_1_number(run_with_a_gappy_2023_map):
    out = run_with_a_gappy_2023_map
    compared = 0
    for code in ("SO1-1", "SO1-2", "SO1-3", "SO1-4", "SO2-3", "SO4-1"):
        for g in sorted((GOLDEN / code).glob("*.csv")):
            want = _early_part(g.stem, pd.read_csv(g, keep_default_na=False))
            if want is None:
                continue
            got = _early_part(g.stem, pd.read_csv(out / code / g.name, keep_default_na=False))
            assert len(want) > 0, g.name
            pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_exact=False,
                                          rtol=1e-10, atol=0, obj=g.name)
            compared += 1
    assert compared >= 20


def test_the_gappy_map_reached_report_2(run_with_a_gappy_2023_map):
    got = pd.read_csv(run_with_a_gappy_2023_map / "SO1-3" / "SO1-3.summary.csv").set_index(["period", "class"])
    want = pd.read_csv(GOLDEN / "SO1-3" / "SO1-3.summary.csv").set_index(["period", "class"])
    assert got.loc[("report_2", "no data"), "area_km2"] > want.loc[("report_2", "no data"), "area_km2"] + 100.0
    assert got.loc[("report_1", "no data"), "area_km2"] == pytest.approx(want.loc[("report_1", "no data"), "area_km2"], rel=1e-12)

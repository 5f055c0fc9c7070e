"""Regional transition matrices through the command line (D28): a tiny country, two regions, one national matrix.

The country is 20 × 20 cells of 1 km × 1 km in LAEA Europe (EPSG:3035, equal area: every cell is 1 km²), its
boundary the whole grid. Land cover is given in the 7 UNCCD classes (legend unccd_7class_int16). In every period
the left half (columns 0–9) goes from tree cover (1) to grassland (2), the right half stays cropland (3).

Regions: A = rows 0–9 of columns 0–4 (50 cells), B = rows 0–9 of columns 5–9 (50 cells). Region A's matrix calls
tree → grassland stable, region B's improvement ("savanna recovery"); the national default matrix calls it
degradation ("vegetation loss"). So, in each period, by hand:

* degraded: rows 10–19 of columns 0–9 = 100 km² (national matrix);
* stable: region A's 50 km² + the cropland 200 km² = 250 km²;
* improved: region B's 50 km²; no data: 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from indicators.cli import main

WEST, NORTH, RES, N = 4_300_000.0, 3_220_000.0, 1000.0, 20
CRS = "EPSG:3035"
LC_YEARS = (2000, 2015, 2016, 2019, 2023)  # the 2026 edition's land-cover years (baseline, report_1, report_2)
PERIODS = ("baseline", "report_1", "report_2")

DEFAULT_ROWS = [[0, -1, -1, -1, -1, -1, 0], [1, 0, 1, -1, -1, -1, 0], [1, -1, 0, -1, -1, -1, 0],
                [-1, -1, -1, 0, -1, -1, 0], [1, 1, 1, 1, 0, 1, 0], [1, 1, 1, 1, -1, 0, 0], [0, 0, 0, 0, 0, 0, 0]]


def _write_tif(path: Path, data: np.ndarray, nodata) -> None:
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=N, height=N, count=1, dtype=data.dtype.name, crs=CRS,
                       transform=from_origin(WEST, NORTH, RES, RES), nodata=nodata) as dst:
        dst.write(data, 1)


def _box(col0: int, row0: int, col1: int, row1: int):
    """The polygon of columns col0..col1-1 and rows row0..row1-1 (cell edges)."""
    from shapely.geometry import box

    return box(WEST + col0 * RES, NORTH - row1 * RES, WEST + col1 * RES, NORTH - row0 * RES)


def _matrix(mid: str, tree_to_grass: int, process: str | None) -> dict:
    """The default matrix with tree → grassland set to *tree_to_grass* (its process name *process*)."""
    rows = [list(r) for r in DEFAULT_ROWS]
    rows[0][1] = tree_to_grass
    out = []
    for i, values in enumerate(rows, start=1):
        row = {"from": i, "values": values}
        if i == 1:
            row["processes"] = [None, process, "deforestation", "inundation", "deforestation", "vegetation loss", None]
        out.append(row)
    return {"id": mid, "name": f"test matrix {mid}", "legend": "unccd_7class", "kind": "meaning",
            "source": "test", "columns": [1, 2, 3, 4, 5, 6, 7], "rows": out}


def make_country(d: Path) -> Path:
    """The tiny country's files and configuration in *d*; returns the configuration's path."""
    import geopandas as gpd

    d.mkdir(parents=True, exist_ok=True)
    start = np.full((N, N), 3, dtype="int16")
    start[:, :10] = 1
    end = start.copy()
    end[:, :10] = 2
    for year in LC_YEARS:
        _write_tif(d / f"lc_{year}.tif", start if year in (2000, 2016) else end, -32768)
    for period in PERIODS:
        _write_tif(d / f"lpd_{period}.tif", np.full((N, N), 4, dtype="uint8"), 0)
    gpd.GeoDataFrame({"name": ["Tinyland"]}, geometry=[_box(0, 0, N, N)], crs=CRS).to_file(d / "boundary.gpkg")
    gpd.GeoDataFrame({"region_id": ["A", "B"]}, geometry=[_box(0, 0, 5, 10), _box(5, 0, 10, 10)],
                     crs=CRS).to_file(d / "regions.gpkg")
    overlay = {"spec_version": 1, "kind": "overlay",
               "overlay": {"id": "tinyland", "country": "XTL", "name": "Tinyland", "description": "test",
                           "source": "test"},
               "matrices": [_matrix("region_a_matrix", 0, None), _matrix("region_b_matrix", 1, "savanna recovery")],
               "parameter_overrides": {"land_cover": {
                   "source_legend": "unccd_7class_int16", "nesting": "unccd_7class_int16_to_unccd",
                   "regional_matrices": {"A": "region_a_matrix", "B": "region_b_matrix"}}}}
    (d / "overlay.yaml").write_text(yaml.safe_dump(overlay, sort_keys=False))
    cfg = {"country": {"name": "Tinyland", "iso3": "XTL", "boundary": "boundary.gpkg"},
           "edition": "2026", "overlay": "overlay.yaml", "indicators": ["SO1-1"],
           "inputs": {"land_cover": {"path": "lc_{year}.tif", "years": list(LC_YEARS), "source": "synthetic"},
                      "lpd": {"path": {p: f"lpd_{p}.tif" for p in PERIODS}, "nodata": 0, "source": "synthetic"},
                      "land_cover_regions": {"path": "regions.gpkg", "id_field": "region_id", "source": "synthetic"}}}
    path = d / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("regions")
    config = make_country(d / "data")
    assert main(["run", str(config), "--check", "--quiet"]) == 0
    assert main(["run", str(config), "-o", str(d / "out"), "--quiet"]) == 0
    return d / "out"


def _csv(out: Path, stem: str) -> pd.DataFrame:
    return pd.read_csv(out / "SO1-1" / f"{stem}.csv", keep_default_na=False)


def test_degradation_table_follows_the_regional_matrices(out):
    """SO1-1.T7 of the 2026 edition (the run's T9, D23): per period 100 km² degraded, 250 stable, 50 improved."""
    t = _csv(out, "SO1-1.T7")
    for period in PERIODS:
        got = t[t["period"] == period].set_index("class")["area_km2"].to_dict()
        assert got == pytest.approx({"degraded": 100.0, "stable": 250.0, "improved": 50.0, "no data": 0.0}, abs=1e-9)


def test_per_region_table(out):
    t = _csv(out, "SO1-1.regions")
    for period in PERIODS:
        p = t[t["period"] == period]
        got = {(r.region, r.matrix, r["class"]): r.area_km2 for _, r in p.iterrows()}
        assert got == pytest.approx({
            ("outside the regions", "lc_transition_default", "degraded"): 100.0,
            ("outside the regions", "lc_transition_default", "stable"): 200.0,
            ("outside the regions", "lc_transition_default", "improved"): 0.0,
            ("A", "region_a_matrix", "degraded"): 0.0, ("A", "region_a_matrix", "stable"): 50.0,
            ("A", "region_a_matrix", "improved"): 0.0,
            ("B", "region_b_matrix", "degraded"): 0.0, ("B", "region_b_matrix", "stable"): 0.0,
            ("B", "region_b_matrix", "improved"): 50.0}, abs=1e-9)
        assert p[p["region"] == "B"].set_index("class")["percent"]["improved"] == pytest.approx(100.0)


def test_process_areas_name_each_region_s_processes(out):
    t = _csv(out, "SO1-1.processes.baseline")  # the run's T7 (D23)
    got = {(r.process, r.meaning): r.area_km2 for _, r in t.iterrows() if r.area_km2 > 0}
    assert got == pytest.approx({("vegetation loss", "degraded"): 100.0, ("savanna recovery", "improved"): 50.0,
                                 ("stable", "stable"): 250.0}, abs=1e-9)


def test_regional_matrices_table_holds_each_region_s_matrix(out):
    t = _csv(out, "SO1-1.regional_matrices")
    assert list(t["region"].unique()) == ["A", "B"]
    tree = t[t["initial"] == "Tree-covered areas"].set_index("region")["Grassland"]
    assert tree.to_dict() == {"A": "stable", "B": "improvement"}


def test_degradation_layer_follows_the_regional_matrices(out):
    """The SO1-1 degradation map: 2 (stable) in A, 3 (improved) in B, 1 (degraded) in the rest of the left half."""
    import rasterio

    expected = np.full((N, N), 2, dtype="uint8")  # cropland: stable
    expected[10:, :10] = 1
    expected[:10, 5:10] = 3
    for period in PERIODS:
        with rasterio.open(out / "SO1-1" / f"land_cover_degradation_{period}.tif") as src:
            np.testing.assert_array_equal(src.read(1), expected, err_msg=period)


def test_the_decision_and_the_parameter_are_recorded(out):
    import json

    prov = json.loads((out / "provenance.json").read_text())
    text = json.dumps(prov)
    assert "D28" in text
    assert '"A": "region_a_matrix"' in text

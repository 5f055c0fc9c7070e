"""SO1-2 from the NDVI series (productivity.method trends_earth): specs windows and thresholds, units scaled."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml

from indicators.config import load_config
from indicators.errors import InputError
from indicators.engine import run_to_directory

from .conftest import NX, NY, write_boundary, write_tif

YEARS = range(2000, 2024)
LC_YEARS = (2000, 2015, 2016, 2019, 2023)  # the 2026 edition's land-cover years


def _country(d: Path, *, scale_factor: float | None) -> Path:
    """Four vertical bands of NDVI x 10000: rising 100/yr, falling 100/yr, flat, slowly rising 5/yr."""
    write_boundary(d / "boundary.gpkg")
    for y in LC_YEARS:
        write_tif(d / f"lc_{y}.tif", np.full((NY, NX), 10, dtype="uint8"), nodata=0)  # ESA CCI 10: cropland
    band = np.arange(NX) * 4 // NX  # 0..3
    for y in YEARS:
        t = y - 2000
        v = np.choose(band, [3000 + 100 * t, 7000 - 100 * t, 5000, 5000 + 5 * t]).astype("float32")
        write_tif(d / f"ndvi_{y}.tif", np.broadcast_to(v, (NY, NX)).copy())
    (d / "overlay.yaml").write_text(
        "spec_version: 1\nkind: overlay\noverlay: {id: ndvi_test, country: TST, name: Testland, description: test, source: test}\n"
        "parameter_overrides:\n  productivity: {method: trends_earth}\n")
    ndvi = {"path": "ndvi_{year}.tif", "units": "1", "years": "2000-2023"}
    if scale_factor is not None:
        ndvi["scale_factor"] = scale_factor
    cfg = {"country": {"name": "Testland", "boundary": "boundary.gpkg"}, "overlay": "overlay.yaml", "indicators": ["SO1-2"],
           "inputs": {"land_cover": {"path": "lc_{year}.tif", "years": list(LC_YEARS)}, "ndvi": ndvi}}
    (d / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return d / "config.yaml"


def _bands(out: Path, period: str) -> list[int]:
    with rasterio.open(out / "SO1-2" / f"lpd_{period}.tif") as src:
        lpd = src.read(1)
    row = lpd[NY // 2]
    return [int(np.bincount(row[b * NX // 4 + 3:(b + 1) * NX // 4 - 3]).argmax()) for b in range(4)]


def test_ndvi_stored_scaled_without_its_scale_factor_is_refused(tmp_path):
    """NDVI x 10 000 declared as plain NDVI is outside [-1, 1]: refused naming the file and the scale_factor fix."""
    d = tmp_path / "c"
    d.mkdir()
    with pytest.raises(InputError, match=r"inputs.ndvi\[2000\]: .*ndvi_2000.tif are not plausible.*scale_factor"):
        run_to_directory(load_config(_country(d, scale_factor=None)), tmp_path / "out", quiet=True)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("scale_factor, slow", [(0.0001, 4)])
def test_lpd_from_ndvi_follows_the_combination_table(tmp_path, scale_factor, slow):
    # Expected by hand from table (b) (specs/legends/productivity.yaml): a significant rise is 5 (Increasing),
    # a significant fall 1 (Declining), a flat series 4 (Stable: trajectory, state and performance all stable).
    # The slow rise, 5/yr in NDVI x 10000 = 0.0005 NDVI/yr, is under the slope floor (0.001 NDVI/yr) and its state
    # change (40 = 0.004 NDVI) under min_mean_difference (0.01 NDVI) when the input declares scale_factor 0.0001:
    # Stable (4).
    d = tmp_path / "c"
    d.mkdir()
    out = tmp_path / "out"
    result = run_to_directory(load_config(_country(d, scale_factor=scale_factor)), out, quiet=True)
    assert "SO1-2" in result.indicators
    for period in ("baseline", "report_1", "report_2"):
        assert _bands(out, period) == [5, 1, 4, slow], period
    assert (out / "SO1-2" / "SO1-2.T1.csv").is_file()  # LPD per land-cover class, baseline (2026 id, D23)
    params = result.parameters["SO1-2"]
    assert params["productivity.method"] == "trends_earth" and params["trajectory.slope_floor"] == 0.001

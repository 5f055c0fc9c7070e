"""`indicators run` computing its passes by bands of rows writes what one pass writes (issue 16: memory flat).

The demo country's SO1 and SO2-3 with 32-row chunks (7 chunk rows): once with bands larger than the grid (one
pass, as before banding) and once with a band per chunk row. Expected: the same tables, byte for byte, and the
same raster values; the banded run really ran by bands (counted).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import rasterio

from indicators.config import load_config
from indicators.engine import run_to_directory

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
INDICATORS = ["SO1-1", "SO1-2", "SO1-3", "SO1-4", "SO2-3"]


def _run(out: Path) -> None:
    loaded = load_config(SAMPLE / "demo_config.yaml")
    cfg = loaded.config
    cfg = cfg.model_copy(update={"indicators": INDICATORS, "options": cfg.options.model_copy(update={"chunks": 32})})
    run_to_directory(dataclasses.replace(loaded, config=cfg), out, quiet=True, report=False)


def test_a_run_by_bands_of_rows_writes_what_one_pass_writes(tmp_path, monkeypatch):
    import indicators.summarize_bands as bands

    monkeypatch.setattr(bands, "BAND_PIXELS", 10**12)
    _run(tmp_path / "one")
    calls = []
    real = bands.compute_banded

    def counted(items, band_pixels=None):
        calls.append(bands.row_bands(items, band_pixels))
        return real(items, band_pixels)

    monkeypatch.setattr(bands, "BAND_PIXELS", 32 * 288)  # the demo grid is 216 x 288: a band per 32-row chunk
    monkeypatch.setattr(bands, "compute_banded", counted)
    _run(tmp_path / "banded")
    assert any(b is not None and len(b) == 7 for b in calls), calls  # the SO1 pass ran in 7 bands

    one = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.csv"))
    assert one and one == sorted(p.relative_to(tmp_path / "banded") for p in (tmp_path / "banded").rglob("*.csv"))
    for rel in one:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "banded" / rel).read_bytes(), rel
    tifs = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*.tif"))
    assert tifs
    for rel in tifs:
        with rasterio.open(tmp_path / "one" / rel) as a, rasterio.open(tmp_path / "banded" / rel) as b:
            assert np.array_equal(a.read(), b.read(), equal_nan=True), rel

"""SO1-4.T4/T5 candidates: connected blocks of one class, by hand on a small map with unit cell areas."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from indicators.so1.hotspots import connected_candidates


def _map(a: np.ndarray, chunks: int | None = None) -> xr.DataArray:
    da = xr.DataArray(a.astype("uint8"), dims=("y", "x"), coords={"y": np.arange(a.shape[0])[::-1] + 0.5,
                                                                    "x": np.arange(a.shape[1]) + 0.5})
    return da.chunk(chunks) if chunks else da


@pytest.mark.parametrize("chunks", [None, 3])
def test_two_separate_patches_and_a_small_one_dropped(chunks):
    a = np.full((8, 8), 2)
    a[0:4, 0:4] = 1          # block (0,0): 16 cells degraded
    a[4:8, 4:8] = 1          # block (1,1): touches (0,0) diagonally -> one 8-connected candidate of 32 cells
    a[0, 7] = 1              # block (0,1): 1/16 degraded, below the 50 % share -> not part of any candidate
    a[7, 0] = 0              # no data does not count in a block's valid area
    m = _map(a, chunks)
    area = xr.DataArray(np.ones(8), dims="y", coords={"y": m.y})
    t = connected_candidates(m, area, 1, block=4, min_share=0.5, min_area_km2=1.0)
    assert list(t["area_km2"]) == [32.0]
    assert t["extent_km2"].iloc[0] == 32.0
    assert t["x"].iloc[0] == pytest.approx(4.0) and t["candidate"].iloc[0] == "H1"
    assert connected_candidates(m, area, 1, block=4, min_area_km2=33.0).empty


def test_sub_indicator_areas_and_brightspots():
    a = np.full((4, 4), 3)
    lc = np.full((4, 4), 2)
    lc[0, :] = 3
    m = _map(a)
    t = connected_candidates(m, 2.0, 3, also={"land_cover": _map(lc)}, block=2, min_area_km2=0.0)
    assert list(t["area_km2"]) == [32.0] and list(t["land_cover_km2"]) == [8.0]
    assert t["candidate"].iloc[0] == "B1"

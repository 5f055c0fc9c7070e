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


def _reference(a: np.ndarray, area_rows: np.ndarray, code: int, block: int, share: float) -> list[tuple[float, float]]:
    """Whole-grid reference: block sums of the padded map, 8-connected labels, (class area, valid area) per group."""
    from scipy import ndimage

    h, w = a.shape
    ph, pw = -h % block, -w % block
    area = np.pad(np.broadcast_to(area_rows[:, None], a.shape), ((0, ph), (0, pw)))
    m = np.pad(a, ((0, ph), (0, pw)))
    shape = ((h + ph) // block, block, (w + pw) // block, block)
    cls = np.where(m == code, area, 0.0).reshape(shape).sum(axis=(1, 3))
    valid = np.where(m != 0, area, 0.0).reshape(shape).sum(axis=(1, 3))
    labels, n = ndimage.label((valid > 0) & (cls >= share * valid), structure=np.ones((3, 3), dtype=bool))
    idx = np.arange(1, n + 1)
    return sorted(zip(ndimage.sum(cls, labels, idx), ndimage.sum(valid, labels, idx)), reverse=True)


@pytest.mark.parametrize("chunks", [None, 5, 7, 16])
def test_chunked_search_equals_the_whole_grid_reference(chunks):
    """The two-pass, chunk-by-chunk search finds the same candidates whatever the chunking (chunk edges that do
    not fall on block edges included) as a whole-grid computation of the same rule."""
    from indicators.so1.hotspots import candidate_search

    rng = np.random.default_rng(7)
    a = rng.choice([0, 1, 2, 3], size=(37, 45), p=[0.1, 0.35, 0.3, 0.25])
    m = _map(a, chunks)
    rows = np.linspace(1.0, 1.3, 37)
    area = xr.DataArray(rows, dims="y", coords={"y": m.y})
    found = candidate_search(m, area, [1, 3], also={"lc": _map(np.where(a == 1, 1, 2), chunks)}, block=4,
                             min_share=0.5, min_area_km2=0.0)
    for code in (1, 3):
        ref = _reference(a, rows, code, 4, 0.5)
        got = found[code]
        assert len(ref) > 1
        np.testing.assert_allclose(got["area_km2"], [r[0] for r in ref], rtol=1e-12)
        np.testing.assert_allclose(got["extent_km2"], [r[1] for r in ref], rtol=1e-12)
    # the land-cover map degrades exactly where the status does: its class area inside each hotspot is the hotspot's
    np.testing.assert_allclose(found[1]["lc_km2"], found[1]["area_km2"], rtol=1e-12)


def test_sub_indicator_area_counts_its_class_where_the_status_has_no_data():
    """Inside a candidate's blocks, a sub-indicator's class area is its map's, cell for cell, also where the status
    map itself is nodata (by hand: 16 cells of 2 km², the status missing in one)."""
    a = np.full((4, 4), 3)
    a[0, 0] = 0
    t = connected_candidates(_map(a), 2.0, 3, also={"land_cover": _map(np.full((4, 4), 3))}, block=4, min_area_km2=0.0)
    assert list(t["area_km2"]) == [30.0] and list(t["extent_km2"]) == [30.0] and list(t["land_cover_km2"]) == [32.0]


@pytest.mark.parametrize("strip", [1, 2, 3, 7, 64])
def test_labels_by_strips_equal_the_whole_grids_labels(strip):
    """The block grid labelled strip by strip (pieces joined where they touch across a strip edge, diagonals
    included) gives ndimage.label's labels of the whole grid, numbered the same (first block in row-major order):
    random grids of each density, both bits."""
    from scipy import ndimage

    from indicators.so1.hotspots import _labels_by_strips

    rng = np.random.default_rng(strip)
    for density in (0.0, 0.2, 0.45, 0.6, 1.0):
        bits = (rng.random((41, 29)) < density).astype(np.uint8) | ((rng.random((41, 29)) < 0.5).astype(np.uint8) << 1)
        for k in (0, 1):
            want, n = ndimage.label((bits >> k) & 1, structure=np.ones((3, 3), dtype=bool), output=np.int32)
            got_n, strips = _labels_by_strips(bits, k, strip)
            got = list(strips)
            assert got_n == n
            assert all(s.shape[0] <= strip for s in got)
            np.testing.assert_array_equal(np.concatenate(got), want)

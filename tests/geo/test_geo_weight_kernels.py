"""The weight kernels take float32 weights and their nodata mask as they are (no float64 copy of a block, issue 16):
their sums are bit for bit those of the float64 copy with NaN at nodata, the way the weights were converted before."""

from __future__ import annotations

import numpy as np
import pytest

from indicators.summarize_bins import EVERY_CELL, _bin_weighted_sums, _zone_bin_sums
from indicators.summarize_keys import layer_tuple, weight_tuples
from indicators.summarize_national import _weights_and_valid, _weights_block_as_float


def _weights(rng, shape, nodata):
    w = (rng.random(shape) * 1000).astype(np.float32)
    w[rng.random(shape) < 0.1] = nodata
    w[rng.random(shape) < 0.05] = np.nan
    return w


@pytest.mark.parametrize("nodata", [-1.0, -3.4028234663852886e38, None])
def test_bin_weighted_sums_float32_equal_float64_copy(nodata):
    rng = np.random.default_rng(7)
    vals = rng.integers(0, 5, (37, 53)).astype(np.uint8)
    lut = np.array([0, 1, 2, 3, 4], np.int32)
    w = _weights(rng, vals.shape, -1.0 if nodata is None else nodata)
    want = _bin_weighted_sums(vals, lut, _weights_block_as_float(w, nodata), EVERY_CELL, 5)
    got_w, valid = _weights_and_valid(w, nodata)
    assert got_w.dtype == np.float32  # no copy
    got = _bin_weighted_sums(vals, lut, got_w, valid, 5)
    assert np.array_equal(got, want)
    if nodata is not None:  # the nodata cells are counted as missing, not summed
        assert got[1].sum() == np.count_nonzero((w == nodata) | np.isnan(w))


def test_zone_bin_sums_float32_layers_equal_float64_copies():
    rng = np.random.default_rng(11)
    shape = (29, 41)
    zones = rng.integers(0, 4, shape).astype(np.uint16)
    vals = rng.integers(0, 3, shape).astype(np.uint8)
    lut = np.array([0, 1, 2], np.int32)
    rows = rng.random(shape[0])
    nodata = [-1.0, None, 0.0]
    blocks = [_weights(rng, shape, -1.0 if nd is None else nd) for nd in nodata]
    empty = np.zeros((0, 0))
    old = layer_tuple([_weights_block_as_float(b, nd) for b, nd in zip(blocks, nodata)])
    want = _zone_bin_sums(zones, vals, lut, rows, empty, False, old, tuple(np.zeros((0, 0), np.bool_) for _ in old),
                          3, 3, 3)
    ws, valid = weight_tuples(blocks, nodata)
    assert all(w.dtype == np.float32 for w in ws)
    got = _zone_bin_sums(zones, vals, lut, rows, empty, False, ws, valid, 3, 3, 3)
    assert np.array_equal(got, want)
    # mixed types fall back to float64 layers, the same sums
    mixed, valid = weight_tuples([blocks[0], blocks[1].astype(np.float64), blocks[2]], nodata)
    assert all(w.dtype == np.float64 for w in mixed)
    assert np.array_equal(_zone_bin_sums(zones, vals, lut, rows, empty, False, mixed, valid, 3, 3, 3), want)

"""Sums per (administrative unit, source cell) key over strips of a fine grid, in numba passes: the kernels of
:func:`indicators.summarize_cells.zonal_cell_sums` (pixel-centre rule).

Part of :mod:`indicators.summarize`.  A key is ``zone × npos + position`` (zone: the unit's id + 1 burnt on the
strip, position: the source cell's ``index + 1``, 0 outside the source).  A strip's keys are binned densely: over
one range when they span few values, else per unit over each unit's own range of positions, and only what is too
sparse for bins is sorted (np.unique).  Every path gives np.unique's keys and np.bincount's sums bit for bit: each
key adds its cells in row-major (input) order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numba
import numpy as np


def _strip_sums(zones: np.ndarray, index: np.ndarray, row_areas: np.ndarray, pix: np.ndarray | None,
                weights: Sequence[np.ndarray], npos: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One strip's (keys, area sums, weight sums (one row per layer of *weights*)) per key ``zone × npos + index + 1``
    over the cells inside a zone: :func:`_sums_by_key` of the cells' keys, areas (row area × *pix*) and weights (NaN
    as 0), in numba passes over the strip instead of numpy temporaries of every inside cell (the same sums: each key
    adds its cells in row-major order, as ``np.bincount`` does).  Several weight layers (total, female, male) share
    the strip's keys and areas: one pass for all of them, each layer's sums as if it were alone."""
    pix_a = np.ones((1, 1)) if pix is None else np.asarray(pix, np.float64)
    k = len(weights)
    w_t = layer_tuple(weights)
    n, lo, hi = _strip_key_range(zones, index, npos)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros((k, 0))
    # bins: (2 + layers) × 8 bytes each, at most about one per cell of the strip (a range of 4 per cell across units
    # held 160 MB of bins per thread for three layers at 20000², issue 16)
    limit = n + 1024
    if hi - lo < limit:  # the dense bins of _sums_by_key
        return _strip_dense_sums(zones, index, row_areas, pix_a, pix is not None, w_t, k, npos, lo, hi - lo + 1)
    # a strip across units: each unit's source cells binned on their own range
    ok, keys, area, weight = _strip_zoned_sums(zones, index, row_areas, pix_a, pix is not None, w_t, k, npos, limit)
    if ok:
        return keys, area, weight
    key, area, weight = _strip_cells(zones, index, row_areas, pix_a, pix is not None, w_t, k, npos, n)
    sums = _sums_by_key(key, [area] + list(weight))
    return sums[0], sums[1], np.asarray(sums[2:]).reshape(k, sums[0].size)


def weight_tuples(blocks: Sequence[np.ndarray], nodata: Sequence[Any]) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Weight layers for a numba kernel as they are and where each holds a value, without a float64 copy per layer:
    (layers, valid), each block as :func:`~indicators.summarize_national._weights_and_valid` gives it.  The layers
    keep their float32 or float64 type when all share it (else float64, as :func:`layer_tuple`), so the tuple has one
    numba type.  A kernel adds each value as float64: the sums are bit for bit those of the float64 copies."""
    from .summarize_bins import EVERY_CELL
    from .summarize_national import _weights_and_valid

    if not blocks:
        return (np.zeros((0, 0)),), (EVERY_CELL,)
    pairs = [_weights_and_valid(b, nd) for b, nd in zip(blocks, nodata)]
    same = len({w.dtype for w, _ in pairs}) == 1
    layers = []
    for w, _ in pairs:
        a = np.ascontiguousarray(w) if same else np.ascontiguousarray(w, np.float64)
        layers.append(a if a.flags.writeable else a.copy())
    return tuple(layers), tuple(np.ascontiguousarray(v) for _, v in pairs)


def layer_tuple(layers: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """Weight layers for a numba kernel as a tuple of float64 (y, x) arrays, not stacked (a stack is a copy of the
    block per layer, issue 16): each C-contiguous and writeable, so the tuple has one numba type; one empty array
    stands for no layers (the kernels take the count apart)."""
    out = []
    for layer in layers:
        a = np.ascontiguousarray(layer, np.float64)
        out.append(a if a.flags.writeable else a.copy())
    return tuple(out) if out else (np.zeros((0, 0)),)


@numba.njit(nogil=True, cache=True)
def _strip_key_range(zones, index, npos):  # pragma: no cover - compiled
    n, lo, hi = 0, np.int64(0), np.int64(0)
    for i in range(zones.shape[0]):
        for j in range(zones.shape[1]):
            z = np.int64(zones[i, j])
            if z > 0:
                k = z * npos + np.int64(index[i, j]) + 1
                if n == 0 or k < lo:
                    lo = k
                if n == 0 or k > hi:
                    hi = k
                n += 1
    return n, lo, hi


_FLOAT_MAX = float(np.finfo(np.float64).max)


@numba.njit(inline="always")
def _cell_area(i, j, row_areas, pix, has_pix):  # pragma: no cover - compiled
    return row_areas[i] * pix[i, j] if has_pix else row_areas[i]


@numba.njit(inline="always")
def _weight_value(w, r, i, j):  # pragma: no cover - compiled
    v = w[r][i, j]
    if np.isnan(v):  # np.nan_to_num: NaN -> 0, ±inf -> the largest finite float
        return 0.0
    if np.isinf(v):
        return _FLOAT_MAX if v > 0 else -_FLOAT_MAX
    return v


@numba.njit(nogil=True, cache=True)
def _strip_dense_sums(zones, index, row_areas, pix, has_pix, w, k, npos, lo, size):  # pragma: no cover
    counts = np.zeros(size, np.int64)
    area = np.zeros(size)
    weight = np.zeros((k, size))
    for i in range(zones.shape[0]):
        for j in range(zones.shape[1]):
            z = np.int64(zones[i, j])
            if z > 0:
                b = z * npos + np.int64(index[i, j]) + 1 - lo
                counts[b] += 1
                area[b] += _cell_area(i, j, row_areas, pix, has_pix)
                for r in range(k):
                    weight[r, b] += _weight_value(w, r, i, j)
    m = 0
    for b in range(size):
        if counts[b] > 0:
            m += 1
    keys = np.empty(m, np.int64)
    out_area = np.empty(m)
    out_weight = np.empty((k, m))
    t = 0
    for b in range(size):
        if counts[b] > 0:
            keys[t] = b + lo
            out_area[t] = area[b]
            for r in range(k):
                out_weight[r, t] = weight[r, b]
            t += 1
    return keys, out_area, out_weight


@numba.njit(nogil=True, cache=True)
def _strip_zoned_sums(zones, index, row_areas, pix, has_pix, w, k, npos, limit):  # pragma: no cover
    """:func:`_strip_dense_sums` with bins per zone, each over the zone's own range of positions (``index + 1``):
    keys ``zone × npos + position`` in order, each bin's cells added in row-major order. Not done (False) when the
    zones' ranges together exceed *limit* bins."""
    h, wd = zones.shape
    zmax = 0
    for i in range(h):
        for j in range(wd):
            if zones[i, j] > zmax:
                zmax = zones[i, j]
    lo = np.full(zmax + 1, npos, np.int64)
    hi = np.full(zmax + 1, -1, np.int64)
    for i in range(h):
        for j in range(wd):
            z = zones[i, j]
            if z > 0:
                p = np.int64(index[i, j]) + 1
                if p < lo[z]:
                    lo[z] = p
                if p > hi[z]:
                    hi[z] = p
    offset = np.zeros(zmax + 1, np.int64)
    total = np.int64(0)
    for z in range(zmax + 1):
        offset[z] = total
        if hi[z] >= 0:
            total += hi[z] - lo[z] + 1
    if total > limit:
        return False, np.zeros(0, np.int64), np.zeros(0), np.zeros((k, 0))
    counts = np.zeros(total, np.int64)
    area = np.zeros(total)
    weight = np.zeros((k, total))
    for i in range(h):
        for j in range(wd):
            z = zones[i, j]
            if z > 0:
                b = offset[z] + np.int64(index[i, j]) + 1 - lo[z]
                counts[b] += 1
                area[b] += _cell_area(i, j, row_areas, pix, has_pix)
                for r in range(k):
                    weight[r, b] += _weight_value(w, r, i, j)
    m = 0
    for b in range(total):
        if counts[b] > 0:
            m += 1
    keys = np.empty(m, np.int64)
    out_area = np.empty(m)
    out_weight = np.empty((k, m))
    t = 0
    for z in range(zmax + 1):
        for p in range(lo[z], hi[z] + 1):
            b = offset[z] + p - lo[z]
            if counts[b] > 0:
                keys[t] = np.int64(z) * npos + p
                out_area[t] = area[b]
                for r in range(k):
                    out_weight[r, t] = weight[r, b]
                t += 1
    return True, keys, out_area, out_weight


@numba.njit(nogil=True, cache=True)
def _strip_cells(zones, index, row_areas, pix, has_pix, w, k, npos, n):  # pragma: no cover - compiled
    key = np.empty(n, np.int64)
    area = np.empty(n)
    weight = np.empty((k, n))
    t = 0
    for i in range(zones.shape[0]):
        for j in range(zones.shape[1]):
            z = np.int64(zones[i, j])
            if z > 0:
                key[t] = z * npos + np.int64(index[i, j]) + 1
                area[t] = _cell_area(i, j, row_areas, pix, has_pix)
                for r in range(k):
                    weight[r, t] = _weight_value(w, r, i, j)
                t += 1
    return key, area, weight


def _sums_by_key(key: np.ndarray, weights: list[np.ndarray], npos: int | None = None) -> list[np.ndarray]:
    """``[the distinct keys, sorted; then the sum of each of *weights* per key]``, as ``np.unique(key,
    return_inverse=True)`` and ``np.bincount`` give them (the same sums: each bin adds its values in their order).

    A strip's keys (unit × source cell) span a small range: counted in a dense range of bins, without the sort of
    np.unique (most of SO2-3's and SO3-2's per-unit time at 6000², issue 16). Keys ``zone × npos + position``
    over several units (a strip across a border, a band's merge) span many units' ranges: given *npos*, each unit's
    own range of positions is binned densely (:func:`_zoned_sums_kernel`; the sort was the largest own cost of the
    run at 10000²). What is still too sparse for bins is sorted.
    """
    if key.size == 0:
        return [key[:0]] + [np.zeros(0) for _ in weights]
    lo, hi = int(key.min()), int(key.max())
    limit = 4 * key.size + 1024
    if hi - lo < limit:
        local = key - lo
        counts = np.bincount(local, minlength=hi - lo + 1)
        present = np.flatnonzero(counts)
        return [present + lo] + [np.bincount(local, weights=w, minlength=hi - lo + 1)[present] for w in weights]
    if npos is not None and lo >= 0:
        stacked = np.stack([np.asarray(w, np.float64) for w in weights]) if weights else np.zeros((0, key.size))
        ok, keys, sums = _zoned_sums_kernel(np.asarray(key, np.int64), stacked, np.int64(npos), limit)
        if ok:
            return [keys] + list(sums)
    keys, inverse = np.unique(key, return_inverse=True)
    return [keys] + [np.bincount(inverse, weights=w, minlength=keys.size) for w in weights]


@numba.njit(nogil=True, cache=True)
def _zoned_sums_kernel(key, values, npos, limit):  # pragma: no cover - compiled
    """Keys ``zone × npos + position`` (>= 0, position < npos) summed in dense bins per zone, each zone's bins
    spanning its own positions; emitted in key order with each bin's values added in input order (np.bincount's).
    Not done (False) when the zones' ranges together exceed *limit* bins."""
    n = key.size
    zmax = np.int64(0)
    for t in range(n):
        z = key[t] // npos
        if z > zmax:
            zmax = z
    lo = np.full(zmax + 1, npos, np.int64)
    hi = np.full(zmax + 1, -1, np.int64)
    for t in range(n):
        z = key[t] // npos
        p = key[t] - z * npos
        if p < lo[z]:
            lo[z] = p
        if p > hi[z]:
            hi[z] = p
    offset = np.zeros(zmax + 1, np.int64)
    total = np.int64(0)
    for z in range(zmax + 1):
        offset[z] = total
        if hi[z] >= 0:
            total += hi[z] - lo[z] + 1
    if total > limit:
        return False, key[:0], np.zeros((values.shape[0], 0))
    counts = np.zeros(total, np.int64)
    bins = np.zeros((values.shape[0], total))
    for t in range(n):
        z = key[t] // npos
        b = offset[z] + key[t] - z * npos - lo[z]
        counts[b] += 1
        for r in range(values.shape[0]):
            bins[r, b] += values[r, t]
    m = 0
    for b in range(total):
        if counts[b] > 0:
            m += 1
    keys = np.empty(m, np.int64)
    sums = np.empty((values.shape[0], m))
    t = 0
    for z in range(zmax + 1):
        if hi[z] < 0:
            continue
        for p in range(lo[z], hi[z] + 1):
            b = offset[z] + p - lo[z]
            if counts[b] > 0:
                keys[t] = z * npos + p
                for r in range(values.shape[0]):
                    sums[r, t] = bins[r, b]
                t += 1
    return True, keys, sums


def _merge(parts, npos: int | None = None):
    """(keys, area sums, weight sums (layers × keys)) of several parts as one, each key once."""
    k = parts[0][2].shape[0]
    sums = _sums_by_key(np.concatenate([p[0] for p in parts]),
                        [np.concatenate([p[1] for p in parts])] + [np.concatenate([p[2][r] for p in parts]) for r in range(k)],
                        npos)
    return sums[0], sums[1], np.asarray(sums[2:]).reshape(k, sums[0].size)

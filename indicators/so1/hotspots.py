"""SO1-4.T4 / T5 candidates: connected areas of degradation (hotspots) or improvement (brightspots) in the status map.

The manual asks countries to name hotspots and brightspots; the run proposes candidates for the country to
confirm. The 3-class status map is cut into blocks of ``block`` x ``block`` cells; a block is *dense* for a class
when the class covers at least ``min_share`` of the block's valid area; 8-connected dense blocks
(:func:`scipy.ndimage.label` on the block grid) form a candidate, kept when its class area reaches
``min_area_km2``. Decision: docs/decisions.md#d18.

Memory stays flat in the size of the grid: two passes over the (dask-chunked) maps, chunk by chunk. The first
keeps one byte per block (which classes are dense there), the second sums each chunk's blocks straight into
per-candidate totals (areas, centroid moments, the sub-indicator areas), so no block-grid array of floats is ever
held; what stays is the block grid's labels (4 bytes per block and class searched, 1/16 of a byte per cell each).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dask
import dask.array as da
import numpy as np
import pandas as pd
import xarray as xr

#: defaults of the candidate search (docs/decisions.md D18)
BLOCK_CELLS = 4
MIN_SHARE = 0.5
MIN_AREA_KM2 = 5.0
#: chunks computed together in the second pass (bounds the per-chunk results held at once)
_BATCH = 8


def _block_sums(a: np.ndarray, block: int) -> np.ndarray:
    """Sum of each ``block`` x ``block`` block of a 2-D chunk (padded with zeros at the grid's far edges)."""
    h, w = a.shape
    ph, pw = -h % block, -w % block
    if ph or pw:
        a = np.pad(a, ((0, ph), (0, pw)))
    return a.reshape((h + ph) // block, block, (w + pw) // block, block).sum(axis=(1, 3))


def _dense_bits(status: np.ndarray, area: np.ndarray, *, codes: Sequence[int], block: int, min_share: float) -> np.ndarray:
    """Pass 1 on one chunk: bit *i* of each block set when ``codes[i]`` covers at least *min_share* of its valid area."""
    area = np.broadcast_to(area, status.shape)
    valid = _block_sums(np.where(status != 0, area, 0.0), block)
    bits = np.zeros(valid.shape, dtype="uint8")
    for i, code in enumerate(codes):
        cls = _block_sums(np.where(status == code, area, 0.0), block)
        bits |= (((valid > 0) & (cls >= min_share * valid)).astype("uint8") << i)
    return bits


def _candidate_sums(status: np.ndarray, area: np.ndarray, x: np.ndarray, y: np.ndarray, also: Sequence[np.ndarray],
                    labels: Sequence[np.ndarray], *, codes: Sequence[int], block: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pass 2 on one chunk: for each code, the labelled blocks' ids and their sums (class area, valid area,
    area-weighted x and y, the class area in each *also* map), rows ``(4 + len(also), n_labelled_blocks)``."""
    area = np.broadcast_to(area, status.shape)
    out = []
    for code, lab in zip(codes, labels):
        hit = lab > 0
        if not hit.any():
            out.append((np.zeros(0, dtype=lab.dtype), np.zeros((4 + len(also), 0))))
            continue
        cls_area = np.where(status == code, area, 0.0)
        sums = [_block_sums(cls_area, block), _block_sums(np.where(status != 0, area, 0.0), block),
                _block_sums(cls_area * x[None, :], block), _block_sums(cls_area * y[:, None], block),
                *(_block_sums(np.where(m == code, area, 0.0), block) for m in also)]
        out.append((lab[hit], np.stack([s[hit] for s in sums])))
    return out


def _aligned(arrays: Sequence[Any], shape: tuple[int, int], block: int) -> tuple[list[da.Array], tuple[int, int]]:
    """The arrays as dask arrays of one chunking whose chunk edges fall on block edges (the first one's, rounded up)."""
    first = next((a for a in arrays if isinstance(a, da.Array)), None)
    size = [max(c) for c in first.chunks] if first is not None else [2048, 2048]
    size = [min(n, -(-s // block) * block) for s, n in zip(size, shape)]
    return [da.asarray(a).rechunk(tuple(size)) for a in arrays], (size[0], size[1])


def candidate_search(
    three_class: xr.DataArray,
    cell_km2: Any,
    codes: Sequence[int],
    *,
    also: Mapping[str, xr.DataArray] | None = None,
    block: int = BLOCK_CELLS,
    min_share: float = MIN_SHARE,
    min_area_km2: float = MIN_AREA_KM2,
) -> dict[int, pd.DataFrame]:
    """The candidates of each class in *codes* (see :func:`connected_candidates`), found in two passes over the maps."""
    from scipy import ndimage

    also = dict(also or {})
    shape = (three_class.sizes[three_class.dims[0]], three_class.sizes[three_class.dims[1]])
    area = xr.ones_like(three_class, dtype="float64") * cell_km2
    area = area.transpose(*three_class.dims)
    arrays, (cy, cx) = _aligned([three_class.data, area.data, *(m.transpose(*three_class.dims).data for m in also.values())],
                                shape, block)
    status, area_d, also_d = arrays[0], arrays[1], arrays[2:]
    bits = da.map_blocks(_dense_bits, status, area_d, codes=tuple(codes), block=block, min_share=min_share,
                         dtype="uint8", chunks=tuple(tuple(-(-c // block) for c in ch) for ch in status.chunks)).compute()
    structure = np.ones((3, 3), dtype=bool)
    labelled = [ndimage.label((bits >> i) & 1, structure=structure, output=np.int32) for i in range(len(codes))]
    del bits
    labels = [lab for lab, _ in labelled]
    totals = [np.zeros((4 + len(also), n + 1)) for _, n in labelled]
    x = np.asarray(three_class[three_class.dims[1]].values, dtype="float64")
    y = np.asarray(three_class[three_class.dims[0]].values, dtype="float64")
    if any(n for _, n in labelled):
        delayed = [a.to_delayed() for a in arrays]
        tasks = []
        for iy in range(delayed[0].shape[0]):
            for ix in range(delayed[0].shape[1]):
                ys, xs = slice(iy * cy, (iy + 1) * cy), slice(ix * cx, (ix + 1) * cx)
                bys, bxs = slice(iy * cy // block, -(-(iy + 1) * cy // block)), slice(ix * cx // block, -(-(ix + 1) * cx // block))
                tasks.append(dask.delayed(_candidate_sums)(
                    delayed[0][iy, ix], delayed[1][iy, ix], x[xs], y[ys], [d[iy, ix] for d in delayed[2:]],
                    [lab[bys, bxs] for lab in labels], codes=tuple(codes), block=block))
        for start in range(0, len(tasks), _BATCH):
            for chunk_result in dask.compute(*tasks[start:start + _BATCH]):
                for total, (ids, sums) in zip(totals, chunk_result):
                    for row in range(total.shape[0]):
                        total[row] += np.bincount(ids, weights=sums[row], minlength=total.shape[1])
    return {code: _frame(code, total[:, 1:], list(also), min_area_km2) for code, total in zip(codes, totals)}


def _frame(code: int, total: np.ndarray, also_names: list[str], min_area_km2: float) -> pd.DataFrame:
    if total.shape[1] == 0:
        return pd.DataFrame(columns=["candidate", "area_km2", "extent_km2", "x", "y", *[f"{k}_km2" for k in also_names]])
    a = total[0]
    frame = pd.DataFrame({"area_km2": a, "extent_km2": total[1], "x": total[2] / a, "y": total[3] / a,
                          **{f"{k}_km2": total[4 + i] for i, k in enumerate(also_names)}})
    frame = frame[frame["area_km2"] >= min_area_km2].sort_values("area_km2", ascending=False, kind="stable")
    frame.insert(0, "candidate", [f"{'H' if code == 1 else 'B'}{i + 1}" for i in range(len(frame))])
    return frame.reset_index(drop=True)


def connected_candidates(
    three_class: xr.DataArray,
    cell_km2: Any,
    code: int,
    *,
    also: Mapping[str, xr.DataArray] | None = None,
    block: int = BLOCK_CELLS,
    min_share: float = MIN_SHARE,
    min_area_km2: float = MIN_AREA_KM2,
) -> pd.DataFrame:
    """Connected groups of blocks where *code* covers at least *min_share* of the block, with class area >= *min_area_km2*.

    Parameters
    ----------
    three_class : DataArray (y, x)
        The 3-class map (1 degraded, 2 stable, 3 improved, 0 no data), dask-backed or not.
    cell_km2 : DataArray or float
        Area of each cell, km² (:func:`indicators.grid.cell_area`), broadcastable to *three_class*.
    code : int
        The class searched (1 degraded: hotspots; 3 improved: brightspots).
    also : mapping name -> 3-class DataArray, optional
        Sub-indicator maps (land cover, productivity, SOC) whose area of the same class inside each candidate is reported.
    block, min_share, min_area_km2
        Block edge in cells, the share of a block's valid area the class must cover, the smallest candidate (km²).

    Returns
    -------
    DataFrame, one row per candidate, largest first: ``candidate``, ``area_km2`` (class area inside the candidate),
    ``extent_km2`` (valid area of its blocks), ``x``/``y`` (area-weighted centroid of the class, CRS units),
    and ``<name>_km2`` per *also* map.
    """
    return candidate_search(three_class, cell_km2, [code], also=also, block=block, min_share=min_share,
                            min_area_km2=min_area_km2)[code]

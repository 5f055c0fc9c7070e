"""SO1-4.T4 / T5 candidates: connected areas of degradation (hotspots) or improvement (brightspots) in the status map.

The manual asks countries to name hotspots and brightspots; the run proposes candidates for the country to
confirm. The 3-class status map is cut into blocks of ``block`` x ``block`` cells; a block is *dense* for a class
when the class covers at least ``min_share`` of the block's valid area; 8-connected dense blocks
(:func:`scipy.ndimage.label` on the block grid) form a candidate, kept when its class area reaches
``min_area_km2``. Decision: docs/decisions.md#d18.

Memory: passes over the (dask-chunked) maps, chunk by chunk. The first keeps one byte per block (which classes
are dense there); then, one class at a time, the block grid is labelled strip by strip (the strips' pieces joined
where they touch) and a second pass sums each chunk's labelled blocks straight into per-candidate totals (areas,
centroid moments, the sub-indicator areas), reading only the chunks that hold a candidate. No block-grid array of
floats or labels is held; what grows with the grid is the byte per block (1/16 of a byte per cell for 4 x 4
blocks). Both passes are numba kernels over a chunk's cells (the numpy formulation's block sums and temporaries were
a tenth of a run's CPU).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import dask
import dask.array as da
import numba
import numpy as np
import pandas as pd
import xarray as xr

#: defaults of the candidate search (docs/decisions.md D18)
BLOCK_CELLS = 4
MIN_SHARE = 0.5
MIN_AREA_KM2 = 5.0
#: chunks computed together in the second pass (bounds the per-chunk results held at once)
_BATCH = 8


@numba.njit(nogil=True, cache=True)
def _dense_bits_kernel(status, area, codes, block, min_share, bits):  # pragma: no cover - compiled
    """Pass 1 on one chunk: bit *k* of each block set when ``codes[k]`` covers at least *min_share* of its valid
    area.  A block's area is the sum of its rows' sums, each row summed left to right (the order of numpy's
    ``reshape(...).sum(axis=(1, 3))``, which this replaced: the same floats, so the same ties of the share)."""
    h, w = status.shape
    nk = codes.size
    row_cls = np.zeros(nk)
    cls = np.zeros(nk)
    for bi in range(bits.shape[0]):
        for bj in range(bits.shape[1]):
            valid = 0.0
            cls[:] = 0.0
            for i in range(bi * block, min(h, (bi + 1) * block)):
                row_valid = 0.0
                row_cls[:] = 0.0
                for j in range(bj * block, min(w, (bj + 1) * block)):
                    st = status[i, j]
                    if st != 0:
                        a = area[i, j]
                        row_valid += a
                        for k in range(nk):
                            if st == codes[k]:
                                row_cls[k] += a
                valid += row_valid
                for k in range(nk):
                    cls[k] += row_cls[k]
            b = 0
            if valid > 0:
                for k in range(nk):
                    if cls[k] >= min_share * valid:
                        b |= 1 << k
            bits[bi, bj] = b


@numba.njit(nogil=True, cache=True)
def _candidate_sums_kernel(status, area, x, y, also, labels, code, block):  # pragma: no cover - compiled
    """Pass 2 on one chunk, for one code: the labelled blocks' ids (row-major) and their sums, rows: class area,
    valid area, area-weighted x and y, the class area in each *also* map (summed as in :func:`_dense_bits_kernel`)."""
    h, w = status.shape
    na = also.shape[0]
    n = 0
    for bi in range(labels.shape[0]):
        for bj in range(labels.shape[1]):
            if labels[bi, bj] > 0:
                n += 1
    ids = np.empty(n, dtype=labels.dtype)
    sums = np.zeros((4 + na, n))
    row = np.zeros(4 + na)
    t = 0
    for bi in range(labels.shape[0]):
        for bj in range(labels.shape[1]):
            if labels[bi, bj] <= 0:
                continue
            ids[t] = labels[bi, bj]
            for i in range(bi * block, min(h, (bi + 1) * block)):
                row[:] = 0.0
                for j in range(bj * block, min(w, (bj + 1) * block)):
                    st = status[i, j]
                    a = area[i, j]
                    if st != 0:
                        row[1] += a
                    if st == code:
                        row[0] += a
                        row[2] += a * x[j]
                        row[3] += a * y[i]
                    for m in range(na):  # a sub-indicator's class counts wherever its map has it
                        if also[m, i, j] == code:
                            row[4 + m] += a
                for r in range(4 + na):
                    sums[r, t] += row[r]
            t += 1
    return ids, sums


def _dense_bits(status: np.ndarray, area: np.ndarray, *, codes: Sequence[int], block: int, min_share: float) -> np.ndarray:
    """Pass 1 on one chunk (:func:`_dense_bits_kernel`)."""
    bits = np.zeros((-(-status.shape[0] // block), -(-status.shape[1] // block)), dtype="uint8")
    _dense_bits_kernel(status, np.broadcast_to(area, status.shape), np.asarray(codes, dtype=status.dtype), block,
                       float(min_share), bits)
    return bits


def _candidate_sums(status: np.ndarray, area: np.ndarray, x: np.ndarray, y: np.ndarray, also: Sequence[np.ndarray],
                    labels: np.ndarray, *, code: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    """Pass 2 on one chunk for one code (:func:`_candidate_sums_kernel`): ids ``(n,)`` and sums ``(4 + len(also), n)``."""
    stacked = np.stack([np.asarray(m) for m in also]) if also else np.zeros((0,) + status.shape, dtype=status.dtype)
    return _candidate_sums_kernel(status, np.broadcast_to(area, status.shape), np.asarray(x, dtype="float64"),
                                  np.asarray(y, dtype="float64"), stacked, labels, status.dtype.type(code), block)


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
    """The candidates of each class in *codes* (see :func:`connected_candidates`): one pass over the maps for the
    dense blocks of every class, then, one class at a time, a pass for its sums (its labels made a chunk row at a
    time: :func:`_labels_by_strips`)."""
    also = dict(also or {})
    ydim, xdim = three_class.dims
    shape = (three_class.sizes[ydim], three_class.sizes[xdim])
    cell = cell_km2 if isinstance(cell_km2, xr.DataArray) else xr.DataArray(np.asarray(cell_km2, dtype="float64"))
    rows = None  # the usual case: one area per row (a geographic grid) or a constant, sliced per chunk, not a layer
    if set(cell.dims) <= {ydim}:
        rows = np.broadcast_to(np.asarray(cell.transpose(*[d for d in (ydim,) if d in cell.dims]).values,
                                          dtype="float64"), (shape[0],))[:, None]
    layers = [three_class.data, *(m.transpose(ydim, xdim).data for m in also.values())]
    if rows is None:
        layers.append(xr.broadcast(cell.astype("float64"), three_class)[0].transpose(ydim, xdim).data)
    arrays, (cy, cx) = _aligned(layers, shape, block)
    status = arrays[0]
    # a (y, 1) column of row areas, broadcast against each chunk, or the 2-D layer of areas
    area_d = da.from_array(rows, chunks=(status.chunks[0], (1,))) if rows is not None else arrays[-1]
    x = np.asarray(three_class[xdim].values, dtype="float64")
    y = np.asarray(three_class[ydim].values, dtype="float64")
    bits = da.map_blocks(_dense_bits, status, area_d, codes=tuple(codes), block=block, min_share=min_share,
                         dtype="uint8", chunks=tuple(tuple(-(-c // block) for c in ch) for ch in status.chunks))
    bits = bits.compute()
    delayed = [a.to_delayed() for a in arrays]
    strip = -(-cy // block)  # the block rows of one chunk row (its edges fall on block edges, or it is the only one)
    found = {}
    for k, code in enumerate(codes):
        n, strips = _labels_by_strips(bits, k, strip)
        total = np.zeros((4 + len(also), n + 1))

        def tasks():
            # one chunk row's labels at a time (held while its tasks wait): never the whole block grid of labels
            for iy, labels in enumerate(strips):
                ys = slice(iy * cy, (iy + 1) * cy)
                for ix in range(delayed[0].shape[1]):
                    xs = slice(ix * cx, (ix + 1) * cx)
                    window = labels[:, ix * cx // block : -(-(ix + 1) * cx // block)]
                    if not window.any():
                        continue  # no candidate here: the chunk is not read
                    yield dask.delayed(_candidate_sums)(
                        delayed[0][iy, ix], rows[ys] if rows is not None else delayed[-1][iy, ix], x[xs], y[ys],
                        [d[iy, ix] for d in delayed[1:1 + len(also)]], window, code=code, block=block)

        if n:
            pending = tasks()
            while batch := list(itertools.islice(pending, _BATCH)):
                for ids, sums in dask.compute(*batch):
                    for r in range(total.shape[0]):
                        total[r] += np.bincount(ids, weights=sums[r], minlength=total.shape[1])
                del batch  # the batch's tasks hold views of their strip's labels
        found[code] = _frame(code, total[:, 1:], list(also), min_area_km2)
    return found


_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def _labels_by_strips(bits: np.ndarray, k: int, strip: int) -> tuple[int, Iterator[np.ndarray]]:
    """``scipy.ndimage.label`` of bit *k* of *bits* (8-connected), as the number of components and the labels of each
    strip of *strip* rows in turn (a generator): the same labels, numbered as the whole grid's labelling numbers them,
    without holding the grid's labels (4 bytes per block: 95 MiB at 20000² px and 4 × 4 blocks, issue 16).

    Each strip is labelled on its own; pieces touching across a strip edge (8-connected) are one component
    (:func:`scipy.sparse.csgraph.connected_components` over those contacts), and components are numbered by their
    first piece, so in the order of their first block in row-major order, as ``ndimage.label`` numbers them."""
    from scipy import ndimage
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    def label(r0: int) -> tuple[np.ndarray, int]:
        return ndimage.label((bits[r0 : r0 + strip] >> k) & 1, structure=_EIGHT_CONNECTED, output=np.int32)

    starts = list(range(0, bits.shape[0], strip))
    offsets, edges, pieces, previous = [], [], 0, None
    for r0 in starts:
        labels, n = label(r0)
        first = np.where(labels[0] > 0, labels[0] + pieces, 0)
        if previous is not None:
            for shift in (-1, 0, 1):  # a block touches the three below it
                above = previous[max(0, -shift) : previous.size - max(0, shift)]
                below = first[max(0, shift) : first.size - max(0, -shift)]
                touch = (above > 0) & (below > 0)
                edges.append((above[touch], below[touch]))
        previous = np.where(labels[-1] > 0, labels[-1] + pieces, 0)
        offsets.append(pieces)
        pieces += n
    a = np.concatenate([e[0] for e in edges]) if edges else np.zeros(0, np.int64)
    b = np.concatenate([e[1] for e in edges]) if edges else np.zeros(0, np.int64)
    graph = coo_matrix((np.ones(a.size, np.int8), (a, b)), shape=(pieces + 1, pieces + 1))
    ncomp, component = connected_components(graph, directed=False)
    # each component's first piece (the smallest id: strips and their pieces come in row-major order)
    first_piece = np.full(ncomp, pieces + 1, np.int64)
    np.minimum.at(first_piece, component[1:], np.arange(1, pieces + 1))
    real = np.unique(component[1:])  # the background (piece 0) is a component of its own
    number = np.zeros(ncomp, np.int32)
    number[real[np.argsort(first_piece[real], kind="stable")]] = np.arange(1, real.size + 1, dtype=np.int32)
    final = number[component]
    final[0] = 0

    def strips() -> Iterator[np.ndarray]:
        for r0, offset in zip(starts, offsets):
            labels, _ = label(r0)
            yield final[np.where(labels > 0, labels + offset, 0)]

    return int(real.size), strips()


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

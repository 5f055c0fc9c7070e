"""Class legends as bins and the block-wise kernels the area tables reduce with (numba; per-block partial sums).

Part of :mod:`indicators.summarize` (the public names live there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import xarray as xr

from .errors import ArgumentError, InputError
from .grid import cell_area


@dataclass(frozen=True)
class _Legend:
    codes: tuple[int, ...]
    water_codes: tuple[int, ...]
    nodata: tuple[int, ...]

    @property
    def n_class(self) -> int:
        return len(self.codes)

    @property
    def water_bin(self) -> int:
        return self.n_class

    @property
    def nodata_bin(self) -> int:
        return self.n_class + 1

    @property
    def other_bin(self) -> int:
        return self.n_class + 2

    @property
    def nbins(self) -> int:
        return self.n_class + 3

    def bin_of(self) -> dict[int, int]:
        out = {c: self.nodata_bin for c in self.nodata}
        out.update({c: self.water_bin for c in self.water_codes})
        out.update({c: i for i, c in enumerate(self.codes)})
        return out


def _legend(da: xr.DataArray, codes: Sequence[int], nodata: Any, water_codes: Sequence[int], what: str) -> _Legend:
    name = da.attrs.get("source", da.name or what)
    if not np.issubdtype(da.dtype, np.integer):
        raise InputError(f"{name}: {what} must hold integer class codes (D15), got {da.dtype}; classify it first")
    if nodata is None:
        nodata = da.rio.nodata if da.rio.crs is not None or da.rio.nodata is not None else None
    nd = () if nodata is None else tuple(int(v) for v in np.atleast_1d(nodata))
    water = tuple(int(c) for c in water_codes)
    cls = tuple(int(c) for c in codes if int(c) not in water)
    if len(set(cls)) != len(cls):
        raise InputError(f"{name}: codes {list(codes)} repeat a value")
    clash = set(cls + water) & set(nd)
    if clash:
        raise InputError(f"{name}: nodata {sorted(clash)} is also a class code")
    return _Legend(cls, water, nd)


def _lut(dtype: np.dtype, legend: _Legend) -> np.ndarray:
    """Lookup table bin[v] for integer dtypes of at most 16 bits, indexed by the unsigned view of v.

    Signed codes (e.g. int16 with nodata -32768) are looked up through their
    unsigned bit pattern, so the kernels index with an unsigned value: no
    offset and no negative-index check in the inner loop.
    """
    bits = np.dtype(dtype).itemsize * 8
    lut = np.full(1 << bits, legend.other_bin, dtype=np.int32)
    info = np.iinfo(dtype)
    for code, b in legend.bin_of().items():
        if info.min <= code <= info.max:
            lut[code & ((1 << bits) - 1)] = b
    return lut


def _to_bins(block: np.ndarray, legend: _Legend) -> np.ndarray:
    """Bins of a block of a wide integer dtype (> 16 bits): a vectorised search in the sorted codes."""
    mapping = legend.bin_of()
    keys = np.array(sorted(mapping), dtype=np.int64)
    vals = np.array([mapping[k] for k in keys], dtype=np.int32)
    flat = block.astype(np.int64, copy=False)
    pos = np.clip(np.searchsorted(keys, flat), 0, max(len(keys) - 1, 0))
    if len(keys) == 0:
        return np.full(block.shape, legend.other_bin, np.int32)
    return np.where(keys[pos] == flat, vals[pos], legend.other_bin).astype(np.int32)


class _Binner:
    """Maps blocks of class codes to bins with a lookup table inside the numba kernels."""

    def __init__(self, dtype: np.dtype, legend: _Legend):
        self.legend = legend
        dtype = np.dtype(dtype)
        self.small = dtype.itemsize <= 2
        if self.small:
            self.lut = _lut(dtype, legend)
            self.view = np.dtype(f"u{dtype.itemsize}")
        else:
            self.lut = np.arange(legend.nbins, dtype=np.int32)

    def prepare(self, block: np.ndarray) -> np.ndarray:
        """The block as unsigned values indexing :attr:`lut` (a view for <= 16-bit codes)."""
        if self.small:
            return np.asarray(block).view(self.view)
        return _to_bins(block, self.legend).astype(np.uint16)


@numba.njit(nogil=True, cache=True)
def _row_bin_counts(vals, lut, nbins):
    ny, nx = vals.shape
    out = np.zeros((ny, nbins), np.int64)
    if lut.shape[0] <= 256:
        # 8-bit codes: a raw histogram per row, folded through the LUT once per row
        # (no lookup in the inner loop: ~2x faster, close to a bare count)
        hist = np.zeros(lut.shape[0], np.int64)
        for r in range(ny):
            hist[:] = 0
            for c in range(nx):
                hist[vals[r, c]] += 1
            for v in range(lut.shape[0]):
                out[r, lut[v]] += hist[v]
        return out
    for r in range(ny):
        for c in range(nx):
            out[r, lut[vals[r, c]]] += 1
    return out


@numba.njit(nogil=True, cache=True)
def _row_bin_counts_masked(vals, lut, land, water_bin, n_class, nbins):
    ny, nx = vals.shape
    out = np.zeros((ny, nbins), np.int64)
    for r in range(ny):
        for c in range(nx):
            b = lut[vals[r, c]]
            if b < n_class and not land[r, c]:
                b = water_bin
            out[r, b] += 1
    return out


@numba.njit(nogil=True, cache=True)
def _pair_counts(a, lut_a, b, lut_b, nb_b, nbins):
    ny, nx = a.shape
    out = np.zeros((ny, nbins), np.int64)
    for r in range(ny):
        for c in range(nx):
            k = lut_a[a[r, c]] * nb_b + lut_b[b[r, c]]
            out[r, k] += 1
    return out


#: *valid* of :func:`_bin_weighted_sums` when every cell is valid
EVERY_CELL = np.zeros((0, 0), np.bool_)


@numba.njit(nogil=True, cache=True)
def _bin_weighted_sums(vals, lut, w, valid, nbins):
    """Sum of w per bin, each value added as float64 (w float32 or float64: no float64 copy of the block); a cell where
    w is NaN, or where *valid* is False (bool, w's shape; :data:`EVERY_CELL`: no such mask), counts as missing (the
    second row holds the missing-weight cell count)."""
    ny, nx = vals.shape
    check = valid.shape[0] > 0
    out = np.zeros((2, nbins), np.float64)
    for r in range(ny):
        for c in range(nx):
            b = lut[vals[r, c]]
            x = w[r, c]
            if (check and not valid[r, c]) or np.isnan(x):
                out[1, b] += 1.0
            else:
                out[0, b] += x
    return out


@numba.njit(nogil=True, cache=True)
def _zone_bin_sums(zones, vals, lut, row_area, pix_area, use_pix_area, ws, valid, nw, nzones, nbins):
    """Per (zone, bin): the area (row area × optional per-pixel area), then the sum of each weight layer of *ws* (a
    tuple of k (y, x) arrays, k >= 1; *nw* = 0 uses none; each value added as float64), NaN skipped, and cells where
    the layer's *valid* (bool; an empty (0, 0) array: every cell) is False; every sum adds its cells in row-major
    order, whatever k (:func:`indicators.summarize_keys.weight_tuples`)."""
    ny, nx = vals.shape
    out = np.zeros((1 + nw, nzones + 1, nbins), np.float64)
    for r in range(ny):
        ra = row_area[r]
        for c in range(nx):
            z = zones[r, c]
            if z == 0:
                continue
            b = lut[vals[r, c]]
            if use_pix_area:
                out[0, z, b] += ra * pix_area[r, c]
            else:
                out[0, z, b] += ra
            for k in range(nw):
                if valid[k].shape[0] > 0 and not valid[k][r, c]:
                    continue
                x = ws[k][r, c]
                if not np.isnan(x):
                    out[1 + k, z, b] += x
    return out


def _yx(da: xr.DataArray) -> xr.DataArray:
    if not isinstance(da, xr.DataArray):
        raise ArgumentError(f"expected an xarray.DataArray (y, x) of classes, got {type(da).__name__}; "
                            "read it with indicators.open_raster(path)")
    if any(n == 0 for n in da.shape):
        raise ArgumentError(f"{da.attrs.get('source', da.name)}: empty array (sizes {dict(da.sizes)}); give at least one cell")
    import rioxarray  # noqa: F401  (registers .rio)

    try:
        ydim, xdim = da.rio.y_dim, da.rio.x_dim
    except Exception:  # rioxarray's MissingSpatialDimensionError
        raise ArgumentError(f"{da.attrs.get('source', da.name)}: dims {da.dims} have no y/x; rename the spatial dims "
                            "(da.rename(lat='y', lon='x'))") from None
    if da.ndim != 2:
        raise InputError(f"{da.attrs.get('source', da.name)}: expected a 2-D (y, x) raster, got dims {da.dims}")
    return da.transpose(ydim, xdim)


def _blockwise(func, arrays: list[xr.DataArray], expand, out_chunks, dtype, new_axis):
    """``func(*blocks, rows, cols)`` on every block of 2-D arrays on one grid (map_blocks).

    Returns the whole-array result for numpy inputs (one block) as ``(result, False)``,
    else the lazy dask array of the block results reshaped by *expand* as ``(array, True)``.
    *out_chunks* maps the first dask input's (y, x) chunks to the output chunks.
    """
    datas = [a.data for a in arrays]
    first_dask = next((d for d in datas if hasattr(d, "dask")), None)
    if first_dask is None:
        ny, nx = datas[0].shape
        return func(*datas, slice(0, ny), slice(0, nx)), False
    import dask.array as dsa

    datas = [d if hasattr(d, "dask") else dsa.from_array(d, chunks=first_dask.chunks) for d in datas]
    datas = [d.rechunk(first_dask.chunks) for d in datas]

    def _block(*blocks, block_info=None):
        (y0, y1), (x0, x1) = block_info[0]["array-location"]
        return expand(func(*blocks, slice(y0, y1), slice(x0, x1)))

    return dsa.map_blocks(_block, *datas, dtype=dtype, new_axis=new_axis, chunks=out_chunks(*first_dask.chunks)), True


def _block_tasks(func, arrays: list[xr.DataArray]) -> tuple[list[list[Any]], tuple[int, ...], int]:
    """``func(*blocks, rows, cols)`` of every block of dask-backed 2-D arrays on one grid, as delayed values (one list
    per row of blocks), with the grid's (row chunks, width): the partials of a
    :class:`~indicators.summarize_bands.MergedParts`, for results that are not arrays of one shape."""
    import dask
    import dask.array as dsa

    datas = [a.data for a in arrays]
    first = next(d for d in datas if hasattr(d, "dask"))
    datas = [(d if hasattr(d, "dask") else dsa.from_array(np.asarray(d), chunks=first.chunks)).rechunk(first.chunks)
             for d in datas]
    blocks = [d.to_delayed() for d in datas]
    ys, xs = (np.cumsum((0, *c)) for c in first.chunks)
    call = dask.delayed(func)
    tasks = [[call(*(b[i, j] for b in blocks), slice(int(ys[i]), int(ys[i + 1])), slice(int(xs[j]), int(xs[j + 1])))
              for j in range(len(xs) - 1)] for i in range(len(ys) - 1)]
    return tasks, tuple(int(c) for c in first.chunks[0]), int(first.shape[1])


def _reduce_blocks(func, arrays: list[xr.DataArray], out_shape: tuple[int, ...], dtype=np.float64) -> Any:
    """Sum of ``func(*blocks, rows, cols)`` over the blocks of 2-D arrays on one grid, computed now.

    ``rows``/``cols`` are the block's slices in the full grid.  numpy-backed
    inputs are one block; dask inputs are reduced blockwise (map_blocks) and
    the small partials summed as a tree, so no raster is ever loaded whole.
    Uncomputed, to share one pass with other reductions: :func:`_block_parts`.
    """
    from .summarize_bands import compute_banded

    parts = _block_parts(func, arrays, out_shape, dtype)
    # by bands of rows like a pass of many tables: one dask compute of a lazy chain (e.g. SO1's status layer from its
    # stored layers) over the whole grid held many blocks at once
    return compute_banded([parts])[0] if hasattr(parts, "whole") else parts


def _grid_chunks(arrays: list[xr.DataArray]) -> tuple[tuple[int, ...], int]:
    """(row chunks, width) of the first dask-backed array: the block structure a blockwise reduction follows."""
    first = next(a.data for a in arrays if hasattr(a.data, "dask"))
    return tuple(int(c) for c in first.chunks[0]), int(first.shape[1])


def _block_parts(func, arrays: list[xr.DataArray], out_shape: tuple[int, ...], dtype=np.float64) -> Any:
    """The sum of ``func(*blocks, rows, cols)`` over the blocks, uncomputed, as a
    :class:`~indicators.summarize_bands.BlockParts` (computed whole or by bands of rows with the other reductions of
    a pass, :func:`~indicators.summarize_bands.compute_banded`); for numpy inputs, the sum itself."""
    from .summarize_bands import BlockParts

    parts, lazy = _blockwise(func, arrays, lambda r: r[None, None], lambda yc, xc: (1, 1) + tuple(out_shape), dtype,
                             list(range(2, 2 + len(out_shape))))
    return BlockParts(parts, "sum", *_grid_chunks(arrays)) if lazy else parts


def _row_reduce_blocks(func, arrays: list[xr.DataArray], nbins: int) -> Any:
    """Integer counts per (row, bin): ``func(*blocks, rows, cols)`` gives a block's (rows, nbins).

    Lazy for dask inputs, as a :class:`~indicators.summarize_bands.BlockParts` whose partials stay chunked by rows
    (summed over column blocks only, so memory is one (rows, bins) table, not one per block), computed whole or by
    bands of rows; numpy inputs: the counts.
    """
    from .summarize_bands import BlockParts

    parts, lazy = _blockwise(func, arrays, lambda r: r[:, None, :], lambda yc, xc: (yc, (1,) * len(xc), (nbins,)),
                             np.int64, [2])
    return BlockParts(parts, "rows", *_grid_chunks(arrays)) if lazy else parts


@dataclass(frozen=True)
class _Areas:
    """Cell areas of a grid in the cheapest exact form: per row, constant, or a 2-D (lazy) array."""

    rows: np.ndarray  # (ny,) km² per row (ones when pix is used)
    pix: xr.DataArray | None  # 2-D km² per cell for non-equal-area projections

    @classmethod
    def of(cls, da: xr.DataArray) -> _Areas:
        ca = cell_area(da)
        ny = da.sizes[da.rio.y_dim]
        if ca.ndim == 0:
            return cls(np.full(ny, float(ca)), None)
        if ca.ndim == 1:
            return cls(np.asarray(ca.values, dtype=np.float64), None)
        return cls(np.ones(ny), ca.transpose(da.rio.y_dim, da.rio.x_dim))


def _raise_other(counts_other: float, legend: _Legend, name: str, what: str) -> None:
    if counts_other > 0:
        raise InputError(
            f"{name}: {int(counts_other)} cells of {what} hold values that are neither codes {list(legend.codes)}"
            f"{f', water codes {list(legend.water_codes)}' if legend.water_codes else ''} nor nodata {list(legend.nodata)}; "
            "declare them in the legend or recode them"
        )


def _name(da: xr.DataArray, default: str) -> str:
    return str(da.attrs.get("source") or da.name or default)

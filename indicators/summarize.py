"""National and per-polygon area tables of class rasters (D3, D4).

Every raster indicator ends in one of these tables:

* :func:`class_area_table` — km² per class for the whole raster, a water row, a
  nodata row, total land area (D3), percent of land; an official land area
  replaces the denominator and the pixel-derived one is kept beside it.
* :func:`zonal_class_areas` — per polygon (admin unit) × class, by exact
  fractional pixel coverage (exactextract built-in weighted operations with a
  1-column raster of exact row areas) or by the pixel-centre rule (rasterize
  once, one fused numba pass); optional weights (population) give
  "people per class per unit"; each unit's geodesic area beside its pixel total;
  national rows are the sums of the unit rows.
* :func:`cross_area_table` — km² per (class of a) × (class of b): transition
  matrices, land cover × LPD.
* :func:`weighted_class_sum` — sum of a weight raster (population) per class.

All work on numpy- or dask-backed DataArrays: dask inputs are reduced block by
block into small (bins) or (zones × bins) partial sums, never loaded whole.

Areas come from :func:`indicators.grid.cell_area` only.  Method and numbers:
methodology.md Part A D3/D4, PERFORMANCE.md "Zonal summaries".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

import numba
import numpy as np
import pandas as pd
import xarray as xr

from .errors import ArgumentError, GridMismatchError, InputError
from .grid import Grid, cell_area, check_same_grid, grid_of

__all__ = [
    "class_area_table",
    "zonal_class_areas",
    "zonal_class_areas_many",
    "cross_area_table",
    "weighted_class_sum",
    "national_rows",
    "compute_tables",
    "PendingTable",
    "reproject_units",
]

# ---------------------------------------------------------------------------
# Legends: code -> bin.  Bins 0..n-1 are the declared classes, then water,
# nodata, and "other" (a value that is none of these: an input error).
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# numba kernels (nogil: dask threads run them in parallel)
# ---------------------------------------------------------------------------


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


@numba.njit(nogil=True, cache=True)
def _bin_weighted_sums(vals, lut, w, nbins):
    """Sum of w per bin; w NaN counts as missing (second row holds the missing-weight cell count)."""
    ny, nx = vals.shape
    out = np.zeros((2, nbins), np.float64)
    for r in range(ny):
        for c in range(nx):
            b = lut[vals[r, c]]
            x = w[r, c]
            if np.isnan(x):
                out[1, b] += 1.0
            else:
                out[0, b] += x
    return out


@numba.njit(nogil=True, cache=True)
def _zone_bin_sums(zones, vals, lut, row_area, pix_area, use_pix_area, w, use_w, nzones, nbins):
    """Per (zone, bin): area (row area × optional per-pixel area) and the sum of w (NaN skipped)."""
    ny, nx = vals.shape
    out = np.zeros((2, nzones + 1, nbins), np.float64)
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
            if use_w:
                x = w[r, c]
                if not np.isnan(x):
                    out[1, z, b] += x
    return out


# ---------------------------------------------------------------------------
# Block reduction over numpy or dask data
# ---------------------------------------------------------------------------


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


def _reduce_blocks(func, arrays: list[xr.DataArray], out_shape: tuple[int, ...], dtype=np.float64, *,
                   compute: bool = True) -> Any:
    """Sum of ``func(*blocks, rows, cols)`` over the blocks of 2-D arrays on one grid.

    ``rows``/``cols`` are the block's slices in the full grid.  numpy-backed
    inputs are one block; dask inputs are reduced blockwise (map_blocks) and
    the small partials summed as a tree, so no raster is ever loaded whole.
    ``compute=False`` returns the (small) dask result uncomputed, so several
    reductions can share one pass over their inputs (:func:`compute_tables`).
    """
    parts, lazy = _blockwise(func, arrays, lambda r: r[None, None], lambda yc, xc: (1, 1) + tuple(out_shape), dtype,
                             list(range(2, 2 + len(out_shape))))
    if not lazy:
        return parts
    total = parts.sum(axis=(0, 1))
    return total.compute() if compute else total


def _row_reduce_blocks(func, arrays: list[xr.DataArray], nbins: int) -> Any:
    """Integer counts per (row, bin): ``func(*blocks, rows, cols)`` gives a block's (rows, nbins).

    Lazy for dask inputs: the partials stay chunked by rows (summed over column
    blocks only), so memory is one (rows, bins) table, not one per block.
    """
    parts, lazy = _blockwise(func, arrays, lambda r: r[:, None, :], lambda yc, xc: (yc, (1,) * len(xc), (nbins,)),
                             np.int64, [2])
    return parts.sum(axis=1) if lazy else parts


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


# ---------------------------------------------------------------------------
# National tables
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingTable:
    """A table whose block reduction is not computed yet (``class_area_table(..., compute=False)``).

    ``part`` is the small reduced array (dask, or numpy for in-memory inputs);
    ``finish`` turns its computed value into the table.
    """

    part: Any
    finish: Callable[[np.ndarray], pd.DataFrame]

    def compute(self) -> pd.DataFrame:
        return compute_tables(self)[0]


def compute_tables(*items: Any) -> list[Any]:
    """Compute pending tables, and any other dask results, in ONE dask computation.

    Parameters
    ----------
    *items : PendingTable or dask collection / delayed
        Tables from ``class_area_table(..., compute=False)``; anything else is
        computed along (e.g. the write task of :func:`indicators.io.store_rasters`).

    Returns
    -------
    list
        A DataFrame per PendingTable, the computed value of every other item, in order.

    Notes
    -----
    dask merges the graphs: every input block is decoded once and feeds every
    table that needs it (PERFORMANCE.md, "Zonal summaries": one streaming pass).
    """
    import dask

    values = dask.compute(*[it.part if isinstance(it, PendingTable) else it for it in items])
    return [it.finish(np.asarray(v)) if isinstance(it, PendingTable) else v for it, v in zip(items, values)]



def _bin_areas(classes: xr.DataArray, legend: _Legend, land_mask: xr.DataArray | None):
    """(reduction, finish): ``finish(computed reduction)`` is (km² per bin, cell count per bin) of the raster."""
    binner = _Binner(classes.dtype, legend)
    areas = _Areas.of(classes)
    arrays = [classes]
    if land_mask is not None:
        arrays.append(_yx(land_mask).astype(bool))
    if areas.pix is None:

        def count(v, *rest):
            rows, cols = rest[-2:]
            v = binner.prepare(v)
            if land_mask is None:
                return _row_bin_counts(v, binner.lut, legend.nbins)
            return _row_bin_counts_masked(
                v, binner.lut, rest[0], legend.water_bin, legend.n_class, legend.nbins
            )

        # Integer counts per (row, bin), then one fixed-order product with the row areas:
        # the result does not depend on the chunking.
        part = _row_reduce_blocks(count, arrays, legend.nbins)
        return part, lambda counts: (areas.rows @ counts, counts.sum(axis=0))

    identity = np.arange(legend.nbins, dtype=np.int32)

    def weighted(v, *rest):
        # Non-equal-area projections: every cell has its own area, so sum areas per bin directly.
        b = binner.lut[binner.prepare(v)]
        if land_mask is not None:
            b = np.where((b < legend.n_class) & ~np.asarray(rest[0], bool), legend.water_bin, b)
        res = _bin_weighted_sums(b, identity, np.asarray(rest[-3], np.float64), legend.nbins)
        counts = np.bincount(b.ravel(), minlength=legend.nbins).astype(np.float64)
        return np.stack([res[0], counts])

    part = _reduce_blocks(weighted, arrays + [areas.pix], (2, legend.nbins), compute=False)
    return part, lambda out: (out[0], out[1].astype(np.int64))


@overload
def class_area_table(
    classes: xr.DataArray,
    *,
    codes: Sequence[int],
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
    land_mask: xr.DataArray | None = None,
    official_land_area_km2: float | None = None,
    compute: Literal[True] = True,
) -> pd.DataFrame: ...


@overload
def class_area_table(
    classes: xr.DataArray,
    *,
    codes: Sequence[int],
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
    land_mask: xr.DataArray | None = None,
    official_land_area_km2: float | None = None,
    compute: Literal[False],
) -> PendingTable: ...


@overload
def class_area_table(
    classes: xr.DataArray,
    *,
    codes: Sequence[int],
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
    land_mask: xr.DataArray | None = None,
    official_land_area_km2: float | None = None,
    compute: bool = True,
) -> pd.DataFrame | PendingTable: ...


def class_area_table(
    classes: xr.DataArray,
    *,
    codes: Sequence[int],
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
    land_mask: xr.DataArray | None = None,
    official_land_area_km2: float | None = None,
    compute: bool = True,
) -> pd.DataFrame | PendingTable:
    """National area per class, water and nodata rows, total land area (D3) and percent of land.

    Parameters
    ----------
    classes : DataArray (y, x) of integer class codes, numpy- or dask-backed, with a CRS.
    codes : sequence of int
        The class codes to report (one row each, in this order, zero if absent).
    nodata : int or sequence of int, optional
        Nodata code(s); default ``classes.rio.nodata``.
    water_codes : sequence of int, optional
        Codes of inland water (e.g. land-cover class 7): they form the water row.
    land_mask : DataArray of bool, optional
        True on land; valid cells where it is False are counted as water (D3:
        water from the baseline's first land-cover year).  Same grid as *classes*.
    official_land_area_km2 : float, optional
        The official national land area: it becomes the denominator of
        ``percent_of_land``; the pixel-derived land area is kept beside it.
    compute : bool, default True
        False: return a :class:`PendingTable` instead; :func:`compute_tables`
        then computes several tables (and other dask results) in one pass over
        their common inputs, so each input file is decoded once.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``"class"``, ``"water"``, ``"nodata"``,
        ``"land_area"``, ``"official_land_area"``), ``class`` (nullable int),
        ``area_km2``, ``cells`` and ``percent_of_land`` (class rows only).  The
        class rows partition the land area; classes + water + nodata partition
        the raster.  ``attrs``: ``land_area_km2`` (the denominator) and
        ``land_area_source`` (``"pixels"`` or ``"official"``).

    Raises
    ------
    InputError
        Non-integer classes, overlapping codes, or cells with undeclared values.

    References
    ----------
    methodology.md Part A D3 (total land area), D4 (areas).
    """
    classes = _yx(classes)
    name = _name(classes, "classes")
    legend = _legend(classes, codes, nodata, water_codes, "classes")
    if land_mask is not None:
        check_same_grid(classes, land_mask)
    part, finish = _bin_areas(classes, legend, land_mask)
    pending = PendingTable(part, lambda counts: _class_table(*finish(np.asarray(counts)), legend, name,
                                                             official_land_area_km2))
    return pending.compute() if compute else pending


def _class_table(area: np.ndarray, cells: np.ndarray, legend: _Legend, name: str,
                 official_land_area_km2: float | None) -> pd.DataFrame:
    _raise_other(cells[legend.other_bin], legend, name, "classes")
    land = float(area[: legend.n_class].sum())
    denominator = land if official_land_area_km2 is None else float(official_land_area_km2)
    if denominator <= 0:
        raise InputError(f"{name}: total land area is {denominator} km²; no land cells to report on")
    rows = [("class", c, area[i], cells[i], 100.0 * area[i] / denominator) for i, c in enumerate(legend.codes)]
    rows.append(("water", None, area[legend.water_bin], cells[legend.water_bin], np.nan))
    rows.append(("nodata", None, area[legend.nodata_bin], cells[legend.nodata_bin], np.nan))
    rows.append(("land_area", None, land, int(cells[: legend.n_class].sum()), 100.0 * land / denominator))
    if official_land_area_km2 is not None:
        rows.append(("official_land_area", None, denominator, pd.NA, 100.0))
    df = pd.DataFrame(rows, columns=["kind", "class", "area_km2", "cells", "percent_of_land"])
    df["class"] = df["class"].astype("Int64")
    df["cells"] = df["cells"].astype("Int64")
    df.attrs.update(
        land_area_km2=denominator,
        land_area_source="pixels" if official_land_area_km2 is None else "official",
        pixel_land_area_km2=land,
        source=name,
    )
    return df


def cross_area_table(
    a: xr.DataArray,
    b: xr.DataArray,
    *,
    codes_a: Sequence[int],
    codes_b: Sequence[int],
    nodata_a: int | Sequence[int] | None = None,
    nodata_b: int | Sequence[int] | None = None,
) -> pd.DataFrame:
    """Area (km²) of each pair (class of *a*, class of *b*): a transition or cross-tabulation matrix.

    Parameters
    ----------
    a, b : DataArray (y, x) of integer codes on the same grid (e.g. land cover
        at the baseline and at the end of the period; land cover × LPD).
    codes_a, codes_b : sequences of int
        Row and column codes, in order.
    nodata_a, nodata_b : optional
        Nodata codes; default each raster's ``rio.nodata``.

    Returns
    -------
    pandas.DataFrame
        Index = *codes_a* + ``"nodata"``, columns = *codes_b* + ``"nodata"``,
        values in km².  Its total is the raster's total area.
    """
    a, b = _yx(a), _yx(b)
    check_same_grid(a, b)
    la = _legend(a, codes_a, nodata_a, (), "a")
    lb = _legend(b, codes_b, nodata_b, (), "b")
    ba, bb = _Binner(a.dtype, la), _Binner(b.dtype, lb)
    areas = _Areas.of(a)
    nbins = la.nbins * lb.nbins
    arrays = [a, b] + ([areas.pix] if areas.pix is not None else [])

    def count(va, vb, *rest):
        rows = rest[-2]
        counts = _pair_counts(ba.prepare(va), ba.lut, bb.prepare(vb), bb.lut, lb.nbins, nbins)
        if areas.pix is not None:
            # per-pixel areas: weight each cell by its own area (one extra pass)
            keys = ba.lut[ba.prepare(va)].astype(np.int64) * lb.nbins + bb.lut[bb.prepare(vb)]
            return np.bincount(keys.ravel(), weights=np.asarray(rest[0], np.float64).ravel(), minlength=nbins)
        return areas.rows[rows] @ counts

    total = _reduce_blocks(count, arrays, (nbins,)).reshape(la.nbins, lb.nbins)
    if total[la.other_bin].sum() > 0 or total[:, lb.other_bin].sum() > 0:
        raise InputError(
            f"{_name(a, 'a')} / {_name(b, 'b')}: cells hold values outside codes_a {list(la.codes)} / codes_b "
            f"{list(lb.codes)} and their nodata; declare or recode them"
        )
    keep_a = list(range(la.n_class)) + [la.nodata_bin]
    keep_b = list(range(lb.n_class)) + [lb.nodata_bin]
    out = pd.DataFrame(
        total[np.ix_(keep_a, keep_b)],
        index=pd.Index(list(la.codes) + ["nodata"], name=a.name or "a"),
        columns=pd.Index(list(lb.codes) + ["nodata"], name=b.name or "b"),
    )
    out.attrs["units"] = "km2"
    return out


def weighted_class_sum(
    classes: xr.DataArray,
    weights: xr.DataArray,
    *,
    codes: Sequence[int],
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
) -> pd.DataFrame:
    """Sum of a weight raster (e.g. population) per class, national.

    Parameters
    ----------
    classes : DataArray (y, x) of integer codes.
    weights : DataArray (y, x) on the same grid, in its own units
        (``attrs["units"]``, e.g. ``"person"``); NaN and ``rio.nodata`` cells
        count as missing (not zero) and are reported.
    codes, nodata, water_codes : as in :func:`class_area_table`.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``"class"``, ``"water"``, ``"nodata"``), ``class``,
        ``value``; ``attrs["units"]`` is the weights' units and
        ``attrs["missing_weight_cells"]`` the count of cells without a weight.
    """
    classes, weights = _yx(classes), _yx(weights)
    check_same_grid(classes, weights)
    legend = _legend(classes, codes, nodata, water_codes, "classes")
    binner = _Binner(classes.dtype, legend)
    w = _as_float_weights(weights)

    def block(v, wv, rows, cols):
        return _bin_weighted_sums(binner.prepare(v), binner.lut, wv, legend.nbins)

    out = _reduce_blocks(block, [classes, w], (2, legend.nbins))
    _raise_other((out[0, legend.other_bin] != 0) + out[1, legend.other_bin], legend, _name(classes, "classes"), "classes")
    rows = [("class", c, out[0, i]) for i, c in enumerate(legend.codes)]
    rows += [("water", None, out[0, legend.water_bin]), ("nodata", None, out[0, legend.nodata_bin])]
    df = pd.DataFrame(rows, columns=["kind", "class", "value"])
    df["class"] = df["class"].astype("Int64")
    df.attrs.update(units=weights.attrs.get("units", "1"), missing_weight_cells=int(out[1].sum()))
    return df


def _as_float_weights(weights: xr.DataArray) -> xr.DataArray:
    """Weights as float64 with NaN where missing (nodata)."""
    nd = weights.rio.nodata
    w = weights.astype(np.float64)
    if nd is not None and not (isinstance(nd, float) and np.isnan(nd)):
        w = w.where(weights != nd)
    return w


# ---------------------------------------------------------------------------
# Per-polygon tables
# ---------------------------------------------------------------------------


def _unit_frame(units, raster: xr.DataArray, id_field: str | None):
    import geopandas as gpd

    if not isinstance(units, gpd.GeoDataFrame):
        raise InputError("units must be a GeoDataFrame (read it with indicators.read_polygons)")
    if len(units) == 0:
        raise InputError(f"{units.attrs.get('source', 'units')}: no polygons")
    id_field = id_field or units.attrs.get("id_field") or "id"
    if id_field not in units.columns:
        raise InputError(f"units have no id field {id_field!r}; fields are {[c for c in units.columns if c != units.geometry.name]}")
    return reproject_units(units, raster, argument="units"), id_field


def _caller_stacklevel() -> int:
    """The stacklevel of the first frame outside this package (the user's call), for warnings."""
    import os
    import sys

    package = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package):
        frame, level = frame.f_back, level + 1
    return level


def reproject_units(units, raster: xr.DataArray, *, argument: str = "units"):
    """*units* in the CRS of *raster*: as they are when the CRSs are equal, else reprojected with a
    :class:`~indicators.errors.ReprojectionWarning` (as a geopandas user expects).

    Raises
    ------
    GridMismatchError
        The polygons or the raster have no CRS (nothing to reproject from or to).
    """
    import warnings

    from .errors import ReprojectionWarning

    source = units.attrs.get("source", argument)
    target = raster.rio.crs
    if units.crs is None or target is None:
        which = f"{argument} ({source})" if units.crs is None else _name(raster, "the raster")
        raise GridMismatchError(
            f"{which} has no CRS, so the polygons cannot be put on the raster's grid; set it "
            "(GeoDataFrame.set_crs(...) or DataArray.rio.write_crs(...))"
        )
    if units.crs.equals(target):
        return units
    warnings.warn(f"{argument} ({source}, CRS {units.crs.to_string()}) reprojected to the raster's CRS "
                  f"{target.to_string()}; read them with read_polygons(..., to_crs=<raster>) to do it once",
                  ReprojectionWarning, stacklevel=_caller_stacklevel())
    out = units.to_crs(target)
    out.attrs.update(units.attrs)
    return out


def _geodesic_areas_km2(units, grid: Grid) -> np.ndarray:
    """Each polygon's own area on the grid's ellipsoid (pyproj.Geod, Karney), km².

    Edges are densified first (0.005°, or 500 m in a projected CRS), so Geod
    follows the edges as drawn in the raster's CRS: a long straight edge in
    lon/lat is not a geodesic.  The residual is ~1e-7 relative per unit.
    """
    import shapely
    from pyproj import Geod

    crs = grid.crs
    unit = float(crs.axis_info[0].unit_conversion_factor)
    seg = np.deg2rad(0.005) / unit if crs.is_geographic else 500.0 / unit
    geoms = units.geometry.segmentize(seg)
    if not crs.is_geographic:
        geoms = geoms.to_crs(crs.geodetic_crs)
    ell = crs.ellipsoid
    geod = Geod(a=ell.semi_major_metre, rf=ell.inverse_flattening) if ell.inverse_flattening else Geod(a=ell.semi_major_metre, b=ell.semi_major_metre)

    def ring_area(ring) -> float:
        xy = shapely.get_coordinates(ring)
        return abs(geod.polygon_area_perimeter(xy[:, 0], xy[:, 1])[0])

    out = np.zeros(len(geoms))
    for i, geom in enumerate(geoms.values):
        for poly in shapely.get_parts(geom):
            out[i] += ring_area(poly.exterior) - sum(ring_area(r) for r in poly.interiors)
    return out / 1e6


def _window_source(data, grid: Grid, *, name: str, fill_nan: float | None = None, missing: Any = None):
    """exactextract raster source reading windows of a (numpy or dask) array on demand.

    Only the window exactextract asks for is read (computed, for dask), so a
    raster is never loaded whole; *fill_nan* replaces NaN and *missing* in weights.
    *data* may also be a ``read(row0, col0, nrows, ncols)`` callable (a file reader).
    """
    from exactextract.raster import RasterSource

    if callable(data):
        read = data
    else:

        def read(y0, x0, ny, nx):
            return data[y0 : y0 + ny, x0 : x0 + nx]

    class Source(RasterSource):
        def __init__(self):
            super().__init__()
            self.set_name(name)

        def res(self):
            return (abs(grid.transform.a), abs(grid.transform.e))

        def extent(self):
            return _extent(grid)

        def srs_wkt(self):
            return grid.crs.to_wkt()

        def nodata_value(self):
            return None

        def read_window(self, x0, y0, nx, ny):
            if grid.transform.e > 0:  # south-up storage: flip the window
                y0 = grid.shape[0] - y0 - ny
                win = np.asarray(read(y0, x0, ny, nx))[::-1]
            else:
                win = np.asarray(read(y0, x0, ny, nx))
            if fill_nan is not None:
                win = win.astype(np.float64)
                if missing is not None:
                    win[win == missing] = np.nan
                win = np.where(np.isnan(win), fill_nan, win)
            return np.ascontiguousarray(win)

    return Source()


def _file_reader(da: xr.DataArray):
    """A window reader of the file *da* is an unmodified read of (``indicators.io.open_raster``), else None.

    Reading windows straight from the file (raw values, no masking) avoids
    slicing a dask graph per polygon, which decodes whole row chunks.
    """
    ident = da.encoding.get("indicators_file") if da.chunks is not None else None
    if not ident or ident.get("dask_name") != getattr(da.data, "name", None):
        return None
    import rasterio
    from rasterio.windows import Window

    ds = rasterio.open(ident["path"])
    band = int(ident["band"])

    def read(y0, x0, ny, nx):
        return ds.read(band, window=Window(x0, y0, nx, ny))

    read.close = ds.close
    return read


def _extent(grid: Grid) -> tuple[float, float, float, float]:
    t, (ny, nx) = grid.transform, grid.shape
    xs = (t.c, t.c + t.a * nx)
    ys = (t.f, t.f + t.e * ny)
    return (min(xs), min(ys), max(xs), max(ys))


def _exact_tables(layers, units, weights, grid: Grid, areas: _Areas):
    """Per layer, per unit × bin: [area, weight sum] via exactextract, all layers in ONE pass.

    *layers* is a list of (classes DataArray, legend) on one grid.  exactextract
    computes each polygon's coverage fractions once and applies them to every
    layer; the area total per unit is shared too.
    """
    from exactextract import Operation, exact_extract
    from exactextract.raster import NumPyRasterSource

    ext = _extent(grid)
    wkt = grid.crs.to_wkt()
    readers = [_file_reader(c) for c, _ in layers]
    w_reader = _file_reader(weights) if weights is not None else None
    # A lazily computed raster is read strip by strip, each strip computed once
    # (exactextract's raster-sequential strategy); polygon by polygon (feature-
    # sequential) would recompute the overlapping row chunks of every polygon's window.
    lazy = any(r is None and hasattr(c.data, "dask") for r, (c, _) in zip(readers, layers)) or areas.pix is not None or (
        weights is not None and w_reader is None and hasattr(weights.data, "dask"))
    if areas.pix is None:
        # One column of exact row areas: exactextract reads it on the class grid (integer multiple).
        rows = areas.rows if grid.transform.e < 0 else areas.rows[::-1]
        area_src = NumPyRasterSource(np.ascontiguousarray(rows[:, None]), *ext, name="area", srs_wkt=wkt)
    else:
        area_src = _window_source(areas.pix.data, grid, name="area", fill_nan=0.0)
    ops = [Operation("sum", "at", area_src, None)]
    rasters = [area_src]
    w_src = None
    if weights is not None:
        w_src = _window_source(w_reader or weights.data, grid, name="w", fill_nan=0.0, missing=weights.rio.nodata)
        ops.append(Operation("sum", "wt", w_src, None))
        rasters.append(w_src)
    for k, ((classes, _), reader) in enumerate(zip(layers, readers)):
        data = classes.data
        if reader is not None:
            src = _window_source(reader, grid, name=f"c{k}")
        elif not hasattr(data, "dask") and grid.transform.e < 0:
            src = NumPyRasterSource(np.ascontiguousarray(data), *ext, name=f"c{k}", srs_wkt=wkt)
        else:
            src = _window_source(data, grid, name=f"c{k}")
        ops += [Operation("unique", f"u{k}", src, None), Operation("weighted_frac", f"af{k}", src, area_src)]
        if w_src is not None:
            ops.append(Operation("weighted_frac", f"wf{k}", src, w_src))
        rasters.append(src)
    vec = units[[units.geometry.name]].reset_index(drop=True)
    try:
        out = exact_extract(rasters, vec, ops, output="pandas",
                            strategy="raster-sequential" if lazy else "feature-sequential")
    finally:
        for r in readers + [w_reader]:
            if r is not None:
                r.close()
    nz = len(units)
    accs = []
    for k, (_, legend) in enumerate(layers):
        acc = np.zeros((2, nz + 1, legend.nbins))
        mapping = legend.bin_of()
        for i, (u, af, at) in enumerate(zip(out[f"u{k}"], out[f"af{k}"], out["at"])):
            b = np.array([mapping.get(int(v), legend.other_bin) for v in np.asarray(u, dtype=np.int64)], dtype=np.int64)
            np.add.at(acc[0, i + 1], b, np.nan_to_num(np.asarray(af, np.float64)) * at)
            if w_src is not None:
                wf = np.nan_to_num(np.asarray(out[f"wf{k}"].iloc[i], np.float64))
                np.add.at(acc[1, i + 1], b, wf * out["wt"].iloc[i])
        accs.append(acc)
    return accs


def _rasterize_block(geoms, tree, grid: Grid, rows: slice, cols: slice, dtype) -> np.ndarray:
    """Zone ids (1-based, 0 outside) of the polygons whose bounds touch a block, centre rule."""
    from rasterio.features import rasterize
    from shapely.geometry import box

    t = grid.transform
    bt = _block_transform(t, rows.start, cols.start)
    shape = (rows.stop - rows.start, cols.stop - cols.start)
    x0, y0 = bt.c, bt.f
    x1, y1 = x0 + bt.a * shape[1], y0 + bt.e * shape[0]
    hits = tree.query(box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
    if len(hits) == 0:
        return np.zeros(shape, dtype)
    hits = np.sort(hits)
    return rasterize(((geoms[i], int(i) + 1) for i in hits), out_shape=shape, transform=bt, fill=0, dtype=dtype)


def _block_transform(t, row0: int, col0: int):
    from affine import Affine

    return Affine(t.a, t.b, t.c + t.a * col0 + t.b * row0, t.d, t.e, t.f + t.d * col0 + t.e * row0)


def _centre_tables(classes, units, legend, weights, grid: Grid, areas: _Areas):
    """Per (zone, bin): area and weight sums, centre-of-pixel rule, one fused pass per block."""
    from shapely import STRtree

    geoms = np.asarray(units.geometry.values)
    tree = STRtree(geoms)
    zdtype = np.uint16 if len(geoms) < np.iinfo(np.uint16).max else np.uint32
    binner = _Binner(classes.dtype, legend)
    nz, nb = len(geoms), legend.nbins
    arrays = [classes]
    if areas.pix is not None:
        arrays.append(areas.pix)
    if weights is not None:
        arrays.append(_as_float_weights(weights))
    empty = np.zeros((0, 0))

    def block(v, *rest):
        rows, cols = rest[-2:]
        extra = list(rest[:-2])
        pa = np.asarray(extra.pop(0), np.float64) if areas.pix is not None else empty
        w = np.asarray(extra.pop(0), np.float64) if weights is not None else empty
        zones = _rasterize_block(geoms, tree, grid, rows, cols, zdtype)
        return _zone_bin_sums(
            zones, binner.prepare(v), binner.lut, areas.rows[rows], pa, areas.pix is not None,
            w, weights is not None, nz, nb,
        )

    return _reduce_blocks(block, arrays, (2, nz + 1, nb))


def zonal_class_areas(
    classes: xr.DataArray,
    units,
    *,
    codes: Sequence[int],
    method: str = "exact",
    weights: xr.DataArray | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
) -> pd.DataFrame:
    """Area (and optionally a weighted sum, e.g. people) per polygon × class, plus national rows.

    Parameters
    ----------
    classes : DataArray (y, x) of integer class codes, with a CRS.
    units : GeoDataFrame
        Polygons in the raster's CRS (:func:`indicators.read_polygons` with
        ``to_crs=classes``), one row per unit.
    codes : sequence of int
        Class codes to report; every unit gets a row for each (zero if absent).
    method : {"exact", "centre"}, default "exact"
        "exact": fractional pixel coverage (exactextract built-in ops
        ``unique``/``weighted_frac``/``sum`` with a 1-column raster of exact row
        areas as weights); overlapping polygons each get their share.
        "centre": a cell belongs to the polygon holding its centre
        (rasterio ``rasterize``, one numba pass); overlapping polygons: the
        later one wins.
    weights : DataArray (y, x), optional
        A raster on the same grid (population, in ``attrs["units"]``); adds a
        ``value`` column = Σ coverage × weight per unit × class.  NaN/nodata
        weights count as zero.
    id_field, name_field : str, optional
        Columns of *units* holding the id (default ``units.attrs["id_field"]``
        or ``"id"``) and a name to carry into the table.
    nodata, water_codes : as in :func:`class_area_table`.

    Returns
    -------
    pandas.DataFrame
        Tidy rows with columns ``level`` (``"unit"`` or ``"national"``),
        ``unit`` (the id; missing on national rows), ``name`` (if asked),
        ``kind`` (``"class"``, ``"water"``, ``"nodata"``), ``class``,
        ``area_km2``, [``value``], ``unit_pixel_area_km2`` (Σ coverage × cell
        area over the whole unit) and ``unit_geodesic_area_km2`` (the polygon's
        own area on the ellipsoid, pyproj.Geod).  National rows are the sums of
        the unit rows.  ``attrs``: ``method``, ``weights_units``.

    References
    ----------
    methodology.md Part A D3/D4; PERFORMANCE.md "Zonal summaries" (exact vs
    centre: median 6e-6, max 4e-5 relative per 2 M-px unit).
    """
    return zonal_class_areas_many(
        {None: classes}, units, codes=codes, method=method, weights=weights, id_field=id_field,
        name_field=name_field, nodata=nodata, water_codes=water_codes,
    )[None]


def zonal_class_areas_many(
    layers: Mapping[Any, xr.DataArray],
    units,
    *,
    codes: Sequence[int] | Mapping[Any, Sequence[int]],
    method: str = "exact",
    weights: xr.DataArray | None = None,
    id_field: str | None = None,
    name_field: str | None = None,
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
) -> dict[Any, pd.DataFrame]:
    """:func:`zonal_class_areas` of several class layers on one grid, in one pass over the units.

    With ``method="exact"`` exactextract computes each polygon's coverage once
    for all layers (3 layers cost about 2× one, not 3×); each unit's geodesic
    area is computed once.

    Parameters
    ----------
    layers : mapping of key → DataArray (y, x) of integer class codes, all on one grid.
    codes : sequence of int, or mapping of key → sequence of int
        The codes of every layer, or per layer.
    Other parameters as in :func:`zonal_class_areas` (*nodata*, *water_codes*
    apply to every layer; default nodata is each layer's ``rio.nodata``).

    Returns
    -------
    dict of key → DataFrame, each exactly what :func:`zonal_class_areas` returns for that layer.
    """
    if not layers:
        raise InputError("zonal_class_areas_many needs at least one layer")
    keys = list(layers)
    arrays = [_yx(layers[k]) for k in keys]
    first = arrays[0]
    if len(arrays) > 1:
        check_same_grid(*arrays)
    units, id_field = _unit_frame(units, first, id_field)
    if name_field is not None and name_field not in units.columns:
        raise InputError(f"units have no name field {name_field!r}")
    layer_codes = [codes[k] for k in keys] if isinstance(codes, Mapping) else [codes] * len(keys)
    legends = [_legend(a, c, nodata, water_codes, "classes") for a, c in zip(arrays, layer_codes)]
    if weights is not None:
        weights = _yx(weights)
        check_same_grid(first, weights)
    grid = grid_of(first)
    areas = _Areas.of(first)
    if method == "exact":
        accs = _exact_tables(list(zip(arrays, legends)), units, weights, grid, areas)
    elif method == "centre":
        accs = [_centre_tables(a, units, lg, weights, grid, areas) for a, lg in zip(arrays, legends)]
    else:
        raise InputError(f"method must be 'exact' or 'centre', got {method!r}")
    geodesic = _geodesic_areas_km2(units, grid)
    return {
        k: _unit_table(acc, lg, _name(a, "classes"), units, id_field, name_field, geodesic, method, weights)
        for k, a, lg, acc in zip(keys, arrays, legends, accs)
    }


def _unit_table(acc, legend: _Legend, name: str, units, id_field, name_field, geodesic, method, weights):
    acc = acc[:, 1:, :]  # zone 0 = outside every polygon
    _raise_other(float((acc[0, :, legend.other_bin] > 0).sum()), legend, name, "classes inside the units")
    pixel_total = acc[0].sum(axis=1)
    kinds = [("class", c, i) for i, c in enumerate(legend.codes)]
    kinds += [("water", None, legend.water_bin)] if legend.water_codes else []
    kinds += [("nodata", None, legend.nodata_bin)]
    bins = [k[2] for k in kinds]
    n_units, n_rows = len(units), len(kinds)
    table = {
        "level": np.repeat("unit", n_units * n_rows),
        "unit": np.repeat(units[id_field].to_numpy(), n_rows),
    }
    if name_field:
        table["name"] = np.repeat(units[name_field].to_numpy(), n_rows)
    table["kind"] = np.tile([k[0] for k in kinds], n_units)
    table["class"] = pd.array(np.tile([k[1] for k in kinds], n_units), dtype="Int64")
    table["area_km2"] = acc[0][:, bins].ravel()
    if weights is not None:
        table["value"] = acc[1][:, bins].ravel()
    table["unit_pixel_area_km2"] = np.repeat(pixel_total, n_rows)
    table["unit_geodesic_area_km2"] = np.repeat(geodesic, n_rows)
    df = pd.DataFrame(table)
    df = pd.concat([df, national_rows(df)], ignore_index=True)
    df.attrs.update(
        method=method,
        source=name,
        units_source=units.attrs.get("source"),
        weights_units=None if weights is None else weights.attrs.get("units", "1"),
    )
    return df


def national_rows(table: pd.DataFrame) -> pd.DataFrame:
    """National rows of a per-unit table: the sum of its unit rows per (kind, class)."""
    units = table[table["level"] == "unit"]
    value_cols = [c for c in ("area_km2", "value") if c in units.columns]
    per_unit = units.drop_duplicates("unit")
    nat = units.groupby(["kind", "class"], dropna=False, sort=False)[value_cols].sum().reset_index()
    nat["level"] = "national"
    nat["unit"] = None
    nat["unit_pixel_area_km2"] = per_unit["unit_pixel_area_km2"].sum()
    nat["unit_geodesic_area_km2"] = per_unit["unit_geodesic_area_km2"].sum()
    return nat[[c for c in table.columns if c in nat.columns]]

"""Moving a layer onto another grid: reprojection onto a named reference grid (on request only), lazy
nearest-neighbour resampling of a coarse raster onto a fine one, and the cells of a raster that cover another's
extent.  The grids themselves, their cell areas and checks: :mod:`indicators.grid`.

Method: methodology Part A D4, Part B §2.1; decisions D32 (SO3's classes kept on the index's own cells).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import xarray as xr
from affine import Affine
from pyproj import CRS

from .errors import InputError
from .grid import _source_name, grid_of

__all__ = ["align_to", "resample_nearest", "covering_cells"]


def align_to(reference: xr.DataArray, da: xr.DataArray, *, kind: str) -> xr.DataArray:
    """Reproject *da* onto the grid of *reference* (only when a run asks to align).

    Parameters
    ----------
    reference : DataArray
        The named reference grid (CRS, transform, shape).
    da : DataArray
        The raster to warp.  Its nodata (``rio.nodata`` / ``_FillValue``) is kept.
    kind : {"class", "continuous"}
        "class" uses mode resampling (a cell takes the most common class);
        "continuous" uses the area-weighted average.

    Returns
    -------
    DataArray on the reference grid, with *da*'s attributes and
    ``attrs["aligned_to"]`` naming the reference.
    """
    from rasterio.enums import Resampling

    import rioxarray  # noqa: F401

    methods = {"class": Resampling.mode, "continuous": Resampling.average}
    if kind not in methods:
        raise InputError(f"align_to: kind must be 'class' or 'continuous', got {kind!r}")
    grid_of(reference)
    grid_of(da)
    nodata = da.rio.nodata if da.rio.nodata is not None else da.rio.encoded_nodata
    src = da
    if nodata is None and kind == "continuous" and np.issubdtype(da.dtype, np.floating):
        src = da.rio.write_nodata(np.nan, encoded=False)
    out = src.rio.reproject_match(reference, resampling=methods[kind])
    out.attrs = {**da.attrs, "aligned_to": _source_name(reference, 0)}
    if nodata is not None:
        out = out.rio.write_nodata(nodata, encoded=False)
    return out


def resample_nearest(reference: xr.DataArray, da: xr.DataArray) -> xr.DataArray:
    """*da* on the grid of *reference*: each cell takes the value of the *da* pixel that contains its centre.

    The nearest-neighbour rule of ``drought_exposure.resampling: nearest`` (D8: drought classes
    go onto the population grid), for any CRS pair and either direction; for a coarse source on a
    fine grid it is also what mode resampling gives.  Lazy: the result is chunked like
    *reference* (whole leading dimensions, e.g. years, in each chunk) and each block looks its
    cells up in *da*, which should be small enough to hold in memory (a coarse climate grid), so a
    fine national grid is never held whole.  Cells whose centre falls outside *da* get its nodata
    (NaN for floats without one).

    Parameters
    ----------
    reference : DataArray (y, x)
        The target grid (CRS, coordinates); numpy- or dask-backed.
    da : DataArray (…, y, x)
        The raster to resample, with a CRS; loaded into memory once.

    Returns
    -------
    DataArray (…, y, x) on *reference*'s grid with *da*'s attributes, nodata and dtype, and
    ``attrs["aligned_to"]`` naming the reference.
    """
    import dask.array as dsa
    from pyproj import Transformer

    import rioxarray  # noqa: F401

    target, source = grid_of(reference), grid_of(da)
    ydim, xdim = da.rio.y_dim, da.rio.x_dim
    lead = [d for d in da.dims if d not in (ydim, xdim)]
    values = np.asarray(da.transpose(*lead, ydim, xdim).values)
    nodata = da.rio.nodata if da.rio.nodata is not None else da.rio.encoded_nodata
    if nodata is None:
        if not np.issubdtype(values.dtype, np.floating):
            raise InputError(f"{_source_name(da, 0)}: an integer raster needs a nodata value to resample "
                             "(write one with da.rio.write_nodata(...))")
        nodata = np.nan
    fill = np.asarray(nodata, dtype=values.dtype)
    inverse = ~source.transform
    same_crs = CRS.from_user_input(target.crs) == CRS.from_user_input(source.crs)
    transformer = None if same_crs else Transformer.from_crs(target.crs, source.crs, always_xy=True)
    ref_y = np.asarray(reference[reference.rio.y_dim].values, dtype="float64")
    ref_x = np.asarray(reference[reference.rio.x_dim].values, dtype="float64")
    nrow, ncol = source.shape

    separable = transformer is None and inverse.b == 0 and inverse.d == 0  # same CRS, no rotation
    if separable:
        # rows depend on y only and columns on x only: 1-D indices for the whole grid, computed once
        r_all = np.floor(inverse.e * ref_y + inverse.f)
        c_all = np.floor(inverse.a * ref_x + inverse.c)
        r_ok, c_ok = (r_all >= 0) & (r_all < nrow), (c_all >= 0) & (c_all < ncol)
        r_idx, c_idx = np.where(r_ok, r_all, 0).astype(np.intp), np.where(c_ok, c_all, 0).astype(np.intp)

    def block(plane: np.ndarray, rows: slice, cols: slice) -> np.ndarray:
        if separable:
            out = plane.take(r_idx[rows], axis=0).take(c_idx[cols], axis=1)  # two 1-D takes: 5x a 2-D fancy index
            out[~r_ok[rows], :] = fill
            out[:, ~c_ok[cols]] = fill
            return out
        xx, yy = np.meshgrid(ref_x[cols], ref_y[rows])
        if transformer is not None:
            xx, yy = transformer.transform(xx, yy)
        c = np.floor(inverse.a * xx + inverse.b * yy + inverse.c)
        r = np.floor(inverse.d * xx + inverse.e * yy + inverse.f)
        ok = (r >= 0) & (r < nrow) & (c >= 0) & (c < ncol) & np.isfinite(r) & np.isfinite(c)
        ri, ci = np.where(ok, r, 0).astype(np.intp), np.where(ok, c, 0).astype(np.intp)
        return np.where(ok, plane[ri, ci], fill)

    ny, nx = target.shape
    ychunks, xchunks = _yx_chunks(reference, ny, nx)
    lead_shape = values.shape[:-2]

    def make(block_info=None):
        loc = block_info[None]["array-location"]
        (y0, y1), (x0, x1) = loc[-2:]
        lead_index = tuple(lo for lo, _ in loc[:-2])
        out = block(values[lead_index], slice(y0, y1), slice(x0, x1))
        return out.reshape((1,) * len(lead_index) + out.shape)

    # one leading index (e.g. one year) per block: a table of one year computes only that year's blocks
    data = dsa.map_blocks(make, dtype=values.dtype, chunks=tuple((1,) * n for n in lead_shape) + (ychunks, xchunks),
                          meta=np.empty((0,) * (len(lead_shape) + 2), dtype=values.dtype))
    coords = {d: da[d] for d in lead if d in da.coords}
    coords.update({ydim: (ydim, ref_y), xdim: (xdim, ref_x)})
    out = xr.DataArray(data, dims=(*lead, ydim, xdim), coords=coords, name=da.name)
    if reference.chunks is None:
        out = out.compute()
    out.attrs = {**da.attrs, "aligned_to": _source_name(reference, 0)}
    out = out.rio.write_crs(target.crs)
    return out.rio.write_nodata(nodata, encoded=False)


def covering_cells(da: xr.DataArray, reference: Any) -> xr.DataArray:
    """The smallest rectangle of *da*'s cells (on its own grid and CRS) that covers the extent of *reference*.

    A coarse raster (a climate grid) written for a country keeps its own cells, without those beyond the country's
    grid: every cell :func:`resample_nearest` can look up from *reference* is inside the rectangle (the extent is
    transformed to *da*'s CRS along its edges).  An extent that misses *da* keeps one cell, so the result is never
    empty.
    """
    from rasterio.warp import transform_bounds

    src, ref = grid_of(da), grid_of(reference)
    ny, nx = ref.shape
    xs = [ref.transform.c, ref.transform.c + ref.transform.a * nx]
    ys = [ref.transform.f, ref.transform.f + ref.transform.e * ny]
    bounds = (min(xs), min(ys), max(xs), max(ys))
    if CRS.from_user_input(src.crs) != CRS.from_user_input(ref.crs):
        bounds = transform_bounds(ref.crs, src.crs, *bounds, densify_pts=21)
    inverse = ~src.transform
    corners = [inverse @ (x, y) for x in (bounds[0], bounds[2]) for y in (bounds[1], bounds[3])]
    cols = [c for c, _ in corners]
    rows = [r for _, r in corners]
    srows, scols = src.shape
    r0 = min(max(math.floor(min(rows)), 0), srows - 1)
    c0 = min(max(math.floor(min(cols)), 0), scols - 1)
    r1 = max(min(math.ceil(max(rows)), srows), r0 + 1)
    c1 = max(min(math.ceil(max(cols)), scols), c0 + 1)
    out = da.isel({da.rio.y_dim: slice(r0, r1), da.rio.x_dim: slice(c0, c1)})
    return out.rio.write_crs(src.crs).rio.write_transform(src.transform @ Affine.translation(c0, r0))


def _yx_chunks(reference: xr.DataArray, ny: int, nx: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The reference's (y, x) chunks, or blocks of about 4 M cells for an in-memory reference."""
    if reference.chunks is not None:
        chunks = dict(zip(reference.dims, reference.chunks))
        return tuple(chunks[reference.rio.y_dim]), tuple(chunks[reference.rio.x_dim])
    rows = max(1, min(ny, (1 << 22) // max(nx, 1)))
    return tuple(min(rows, ny - i) for i in range(0, ny, rows)), (nx,)

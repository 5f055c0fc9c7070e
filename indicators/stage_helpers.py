"""Helpers every raster stage shares: the boundary mask, clipping, the area outside the country, nodata masks, legend entries.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numba
import numpy as np

from .stage import Context


def inside_boundary(ctx: Context) -> Any:
    """True for cells of the common grid whose centre lies inside the country boundary (cached)."""
    if "inside" not in ctx._cache:
        import xarray as xr
        from rasterio.features import geometry_mask

        from .grid import grid_of

        ref = ctx.reference()
        boundary, _ = ctx.polygons(ref.rio.crs)
        if ref.chunks is not None:
            # block by block, like the rasters it masks: no whole-grid mask in memory; rasterized once into a scratch
            # file, which every later pass reads (rasterizing the boundary again for each block of each pass was a
            # few per cent of a run: issue 16)
            from .rasterize import rasterize_polygons

            bare = ref.drop_vars([c for c in ref.coords if c not in ref.dims])
            da = _stored_once(ctx, (rasterize_polygons(boundary, bare) > 0).astype("uint8").rename("inside"), ref)
        else:
            g = grid_of(ref)
            mask = ~geometry_mask(boundary.geometry.values, out_shape=g.shape, transform=g.transform, all_touched=False)
            da = xr.DataArray(np.asarray(mask), dims=("y", "x"), coords={"y": ref["y"], "x": ref["x"]}, name="inside")
        ctx._cache["inside"] = da.rio.write_crs(ref.rio.crs)
    return ctx._cache["inside"]


def _stored_once(ctx: Context, layer: Any, ref: Any) -> Any:
    """*layer* (0/1, lazy, on the grid of *ref*) computed once into a scratch GeoTIFF, as a lazy boolean raster that
    reads it, chunked like *ref* (the file lives as long as the run's result: :meth:`Context.keep`)."""
    import xarray as xr

    from .io import store_rasters

    # a bare array: no nodata or encoding of the grid's input may come along (0 is a value here, not missing)
    ydim, xdim = ref.rio.y_dim, ref.rio.x_dim
    bare = xr.DataArray(layer.data, dims=(ydim, xdim), coords={ydim: ref[ydim].values, xdim: ref[xdim].values},
                        name=layer.name).rio.write_crs(ref.rio.crs)
    store = store_rasters({"layer": bare}, shared=ctx.progress.client is not None, scratch=ctx.scratch)
    ctx.keep(store)
    ctx.compute_tables(store.banded)
    stored = store.open()["layer"]
    stored = stored.chunk({stored.rio.y_dim: ref.chunks[ref.get_axis_num(ref.rio.y_dim)],
                           stored.rio.x_dim: ref.chunks[ref.get_axis_num(ref.rio.x_dim)]})
    return (stored.assign_coords({d: ref[d] for d in (ref.rio.y_dim, ref.rio.x_dim)}) > 0).rename(layer.name)


def area_where_km2(ctx: Context, mask: Any) -> Any:
    """Area (km², lazy 0-d) of the common grid's cells where *mask* (y, x) is true.

    With one cell area per row (geographic grids) or one for all, the cells are counted per row and the counts
    multiplied by the row's area: no whole grid of areas is built (a grid-sized float array, 8 bytes per pixel)."""
    from .grid import cell_area

    ca = cell_area(ctx.reference())
    if ca.ndim <= 1:
        return (mask.sum(mask.dims[-1]) * ca).sum()
    return ca.where(mask, 0.0).sum()


def outside_km2(ctx: Context) -> float:
    """Area of the common grid outside the country (pixel-centre rule), km²."""
    if "outside_km2" not in ctx._cache:
        ctx._cache["outside_km2"] = float(area_where_km2(ctx, ~inside_boundary(ctx)))
    return ctx._cache["outside_km2"]


def clip_to_boundary(da: Any, ctx: Context, nodata: int) -> Any:
    """Cells outside the boundary set to *nodata* (attributes and CRS kept)."""
    out = da.where(inside_boundary(ctx), nodata).astype(da.dtype)
    out.attrs = dict(da.attrs)
    return out.rio.write_crs(da.rio.crs) if da.rio.crs is not None else out


def outside_cells(ctx: Context) -> int:
    """Number of cells of the common grid outside the country (pixel-centre rule)."""
    return int((~inside_boundary(ctx)).sum())


def mask_nodata(da: Any) -> Any:
    """Continuous raster with its nodata value as NaN."""
    nod = da.rio.nodata
    out = da.where(da != nod) if nod is not None else da
    return out.rio.write_crs(da.rio.crs)


def inside_values(ctx: Context, da: Any) -> Any:
    """Continuous raster with its nodata and the cells outside the country as NaN: ``mask_nodata(da).where(
    inside_boundary(ctx))``, the same values, attributes and coordinates, in one pass per block for a float raster
    (the two ``where`` passes, each a new array, were 8 % of a run's CPU at 10000²: every population pass masks
    three grids)."""
    if da.dtype.kind != "f":  # an integer raster becomes float as xarray promotes it: left to xarray
        return mask_nodata(da).where(inside_boundary(ctx)).rio.write_crs(da.rio.crs)
    nod = da.rio.nodata
    return _nan_outside(da, inside_boundary(ctx), np.nan if nod is None else nod)


def outside_as_nan(ctx: Context, da: Any) -> Any:
    """A float raster with the cells outside the country as NaN: ``da.where(inside_boundary(ctx))`` in one pass per
    block (an integer raster: xarray's ``where``, which promotes it)."""
    if da.dtype.kind != "f":
        return da.where(inside_boundary(ctx))
    return _nan_outside(da, inside_boundary(ctx), np.nan)


def _nan_outside(da: Any, inside: Any, nodata: float) -> Any:
    import xarray as xr

    out = xr.apply_ufunc(_nan_outside_block, da, inside, kwargs={"nodata": da.dtype.type(nodata)}, dask="parallelized",
                         output_dtypes=[da.dtype], keep_attrs=True)
    out.encoding = {}
    return out.rio.write_crs(da.rio.crs) if da.rio.crs is not None else out


def _nan_outside_block(values: np.ndarray, inside: np.ndarray, *, nodata: Any) -> np.ndarray:
    values = np.asarray(values)
    out = np.empty(values.shape, values.dtype)
    width = values.shape[-1]
    _nan_outside_kernel(values.reshape(-1, width), np.broadcast_to(np.asarray(inside), values.shape).reshape(-1, width),
                        nodata, out.reshape(-1, width))
    return out


@numba.njit(nogil=True, cache=True)
def _nan_outside_kernel(values, inside, nodata, out):  # pragma: no cover - compiled
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            out[i, j] = v if inside[i, j] and v != nodata else np.nan


def legend_entries(legend: Any, codes: Sequence[int] | None = None) -> list[Any]:
    """Legend entries (code, name, colour) of a spec legend, in code order (grey when no colour)."""
    from .report.figures import LegendEntry

    classes = sorted(legend.classes, key=lambda c: c.code)
    return [LegendEntry(c.code, c.name, c.color or "#999999") for c in classes if codes is None or c.code in codes]


def index_scale(ctx: Context, name: str) -> float:
    """How many stored units of input *name* make one index unit (NDVI): 1 for NDVI, 10000 for NDVI x 10000.

    The specs give slope_floor, min_mean_difference and the percentile resolution in index units
    (dimensionless); the input declares its ``units`` (a dimensionless pint unit) and optionally a
    CF ``scale_factor``.
    """
    from .units import conversion_factor

    spec = ctx.spec(name)
    factor = conversion_factor("1", spec.units or "1", where=f"inputs.{name}")
    return factor / (spec.scale_factor or 1.0)


def read_all_fields(path: Path) -> Any:
    import geopandas as gpd

    return gpd.read_file(path, engine="pyogrio")


def coverage_rule(ctx: Context) -> str:
    """The polygon-coverage rule of the specs (area.polygon_coverage) in the summarize spelling."""
    return {"fractional": "exact", "centre": "centre"}[ctx.framework.parameters("area").polygon_coverage]


def pending_call(func: Any, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, compute=False, **kwargs)``: a metric's result pending, to be computed in one pass with others
    (:func:`indicators.summarize.compute_tables`).  A function without a ``compute`` keyword (an overlay may bind
    its own) runs now; its result comes back as a finished pending table, so the caller's pass is the same."""
    import inspect

    from .summarize import PendingTables

    try:
        takes = "compute" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        takes = False
    if takes:
        return func(*args, compute=False, **kwargs)
    result = func(*args, **kwargs)
    return PendingTables((), lambda _: result)

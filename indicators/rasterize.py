"""Polygons burnt onto a grid lazily, block by block (pixel-centre rule): the boundary mask, recode polygons."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import xarray as xr

from .errors import InputError

#: rasterio's ``rasterize``, called on several threads at once (the boundary mask's blocks), sometimes warns that its
#: in-memory dataset "has no geotransform" although it was given one: the burnt arrays are identical to a sequential
#: run's (checked on the 6000² benchmark boundary), and the same spurious warning is reported upstream
#: (opendatacube/odc-geo#131, cogeotiff/rio-tiler#627). The filter is narrow: that message, attributed to
#: ``rasterio.features`` only, so an ungeoreferenced *input* still warns. A filter rather than ``catch_warnings``
#: around the call, because ``catch_warnings`` swaps the process-wide filters and is not thread-safe.
SPURIOUS_GEOTRANSFORM_WARNING = r"Dataset has no geotransform"


def ignore_spurious_geotransform_warning() -> None:
    """Installed on import (a worker process imports this module too) and again before each burn (the boundary mask
    here, the zones of :mod:`indicators.summarize_zonal`), in case an enclosing ``catch_warnings`` dropped it;
    installed, it is left as it is (the filter list is not rewritten while other threads warn)."""
    for action, message, _category, module, _lineno in warnings.filters:
        if action == "ignore" and getattr(message, "pattern", None) == SPURIOUS_GEOTRANSFORM_WARNING \
                and getattr(module, "pattern", None) == r"rasterio\.features":
            return
    warnings.filterwarnings("ignore", message=SPURIOUS_GEOTRANSFORM_WARNING, module=r"rasterio\.features")


ignore_spurious_geotransform_warning()


def _grid_transform(da: xr.DataArray) -> tuple[float, float, float, float]:
    """(x0, dx, y0, dy) of the cell edges of a regular grid, from its x/y coordinates."""
    x = np.asarray(da["x"].values, dtype="float64")
    y = np.asarray(da["y"].values, dtype="float64")
    if x.size < 2 or y.size < 2:
        try:
            t = da.rio.transform()
            return t.c, t.a, t.f, t.e
        except Exception as exc:  # pragma: no cover - depends on rioxarray metadata
            raise InputError("recode polygons need a grid with at least 2 cells per axis or a transform") from exc
    dx, dy = x[1] - x[0], y[1] - y[0]
    return x[0] - dx / 2, dx, y[0] - dy / 2, dy


def rasterize_polygons(polygons: Any, template: xr.DataArray) -> xr.DataArray:
    """Polygon index + 1 per cell (uint16, 0 outside every polygon), pixel-centre rule, lazy per block.

    Later polygons overwrite earlier ones where they overlap (row order).  Polygons
    are reprojected to the template's CRS when both CRSs are known.
    """
    from affine import Affine
    from rasterio.features import rasterize

    ignore_spurious_geotransform_warning()
    gdf = polygons
    crs = None
    try:
        crs = template.rio.crs
    except Exception:  # pragma: no cover - rioxarray not attached
        crs = None
    if crs is not None and getattr(gdf, "crs", None) is not None and gdf.crs != crs:
        gdf = gdf.to_crs(crs)
    if len(gdf) >= np.iinfo("uint16").max:
        raise InputError(f"{len(gdf)} recode polygons: at most 65534 are supported")
    _, dx, _, dy = _grid_transform(template)
    shapes = [(geom, i) for i, geom in enumerate(gdf.geometry, start=1) if geom is not None and not geom.is_empty]
    ydim, xdim = template.dims[-2], template.dims[-1]
    plane = template.isel({d: 0 for d in template.dims if d not in (ydim, xdim)}, drop=True)

    def _block(block: xr.DataArray) -> xr.DataArray:
        bx = np.asarray(block[xdim].values, dtype="float64")
        by = np.asarray(block[ydim].values, dtype="float64")
        transform = Affine(dx, 0.0, bx[0] - dx / 2, 0.0, dy, by[0] - dy / 2)
        if shapes:
            arr = rasterize(shapes, out_shape=(by.size, bx.size), transform=transform, fill=0, dtype="uint16",
                            all_touched=False)
        else:
            arr = np.zeros((by.size, bx.size), dtype="uint16")
        return xr.DataArray(arr, dims=(ydim, xdim), coords={ydim: block[ydim], xdim: block[xdim]})

    # Blocks carry only y and x: the other coordinates (rioxarray's CRS variable
    # ``spatial_ref``, a scalar year) go around map_blocks and are put back after.
    extra = {k: v for k, v in plane.coords.items() if k not in plane.dims}
    bare = plane.drop_vars(list(extra))
    template2 = xr.zeros_like(bare, dtype="uint16")
    out = xr.map_blocks(_block, bare, template=template2) if bare.chunks is not None else _block(bare)
    out = out.assign_coords(extra)
    out.attrs.update(long_name="recode polygon (row number, 0 none)", units="1", nodata=0)
    return out.rename("recode_polygon")

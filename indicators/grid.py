"""Grids: the area of every cell (D4) and grid checks.

One home for what every raster indicator shares (moving a layer onto another grid lives in
:mod:`indicators.grid_resample`):

* :func:`cell_area` — the true area of each cell in km², one value per row for
  geographic grids (exact on the CRS's ellipsoid), one constant for equal-area
  projections, a per-cell value from the areal scale factor for any other
  projection (or a refusal).  Never a silent planar area.
* :func:`check_same_grid` — layers must share CRS, transform and shape; a
  mismatch names both sources and the difference.

Method: methodology Part A D4, Part B §2.1; PERFORMANCE.md "Per-pixel area on
the WGS84 ellipsoid" (authalic-latitude zone formula).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import xarray as xr
from affine import Affine
from pyproj import CRS

from .errors import ArgumentError, GridMismatchError, InputError, UnitError

__all__ = [
    "Grid",
    "grid_of",
    "cell_area",
    "row_areas",
    "is_equal_area",
    "check_same_grid",
]

#: Projection methods (PROJ/EPSG names) that preserve area: the cell area is the
#: planar cell area.  Anything else goes through the areal scale factor.
EQUAL_AREA_METHODS = frozenset(
    {
        "Albers Equal Area",
        "Lambert Azimuthal Equal Area",
        "Lambert Azimuthal Equal Area (Spherical)",
        "Lambert Cylindrical Equal Area",
        "Lambert Cylindrical Equal Area (Spherical)",
        "Mollweide",
        "Sinusoidal",
        "Equal Earth",
        "Goode Homolosine",
        "Interrupted Goode Homolosine",
        "Eckert IV",
        "Eckert VI",
        "Hammer Aitoff",
        "Quartic Authalic",
    }
)

_M2_PER_KM2 = 1.0e6


class Grid(NamedTuple):
    """A raster grid: CRS, affine transform (pixel corner → CRS coordinates), shape (ny, nx)."""

    crs: CRS
    transform: Affine
    shape: tuple[int, int]


def _source_name(da: Any, index: int) -> str:
    attrs = getattr(da, "attrs", {}) or {}
    if attrs.get("source"):
        return str(attrs["source"])
    name = getattr(da, "name", None)
    return str(name) if name is not None else f"array #{index + 1}"


def grid_of(obj: Any) -> Grid:
    """The :class:`Grid` of a DataArray (through rioxarray) or of a grid description.

    Parameters
    ----------
    obj : xarray.DataArray, Grid, or (crs, transform, shape)
        A DataArray must carry a CRS (``da.rio.crs``); its transform comes from
        its coordinates (``da.rio.transform()``).

    Raises
    ------
    InputError
        When the object has no CRS or no regular transform.
    """
    if isinstance(obj, Grid):
        return obj
    if isinstance(obj, (xr.DataArray, xr.Dataset)):
        import rioxarray  # noqa: F401  (registers the .rio accessor)

        name = _source_name(obj, 0)
        crs = obj.rio.crs
        if crs is None:
            raise ArgumentError(f"{name}: raster has no CRS; write one with da.rio.write_crs(...) or fix the file")
        try:
            transform = obj.rio.transform(recalc=True)
        except Exception as exc:  # rioxarray raises several types for irregular coords
            raise InputError(f"{name}: cannot derive an affine transform from its coordinates ({exc})") from None
        shape = (int(obj.rio.height), int(obj.rio.width))
        return Grid(CRS.from_user_input(crs), transform, shape)
    if isinstance(obj, (tuple, list)) and len(obj) == 3:
        crs, transform, shape = obj
        try:
            if not isinstance(transform, Affine):
                transform = Affine(*transform[:6])
            return Grid(CRS.from_user_input(crs), transform, (int(shape[0]), int(shape[1])))
        except Exception as exc:  # pyproj's CRSError, or a transform or shape that is not numbers
            raise ArgumentError(f"cannot read a grid from {obj!r}: expected (crs, transform, shape): a CRS, an Affine or "
                                f"its 6 numbers, and (rows, columns) ({type(exc).__name__}: {exc})") from None
    raise ArgumentError(f"cannot read a grid from {type(obj).__name__}; pass a DataArray with a CRS or (crs, transform, shape)")


def _check_axis_aligned(grid: Grid) -> None:
    t = grid.transform
    if t.b != 0 or t.d != 0:
        raise InputError(
            f"grid transform {tuple(t)[:6]} is rotated or sheared; cell areas need a north-up grid: warp it first (align_to)"
        )


def is_equal_area(crs: CRS) -> bool:
    """True when *crs* is a projection that preserves area (by its method name)."""
    crs = CRS.from_user_input(crs)
    if crs.is_geographic:
        return False
    op = crs.coordinate_operation
    return op is not None and op.method_name in EQUAL_AREA_METHODS


def _authalic_q(sin_phi: np.ndarray, e: float) -> np.ndarray:
    """q(φ) of the authalic-latitude zone formula; for a sphere (e = 0) q = 2 sin φ."""
    if e < 1e-12:
        return 2.0 * sin_phi
    return sin_phi / (1.0 - e * e * sin_phi * sin_phi) + np.arctanh(e * sin_phi) / e


def row_areas(grid: Any) -> np.ndarray:
    """Exact area (km²) of one cell in each row of a geographic grid.

    The area between parallels φ₁ < φ₂ and meridians Δλ apart on an ellipsoid
    with semi-major axis a and flattening f is ``A = b² Δλ / 2 · (q(φ₂) − q(φ₁))``,
    ``q(φ) = sin φ / (1 − e² sin² φ) + atanh(e sin φ) / e``, b = a(1 − f),
    e² = f(2 − f).  a and f come from the CRS's ellipsoid.

    Parameters
    ----------
    grid : DataArray, Grid or (crs, transform, shape)
        A geographic, north-up (or south-up) grid.

    Returns
    -------
    numpy.ndarray of float64, shape (ny,)
        Area of one cell of each row in km².

    References
    ----------
    methodology.md Part A D4, Part B §2.1; PERFORMANCE.md "Per-pixel area on
    the WGS84 ellipsoid".
    """
    g = grid_of(grid)
    if not g.crs.is_geographic:
        raise InputError(f"row_areas needs a geographic CRS, got {g.crs.to_string()}; use cell_area for projected grids")
    _check_axis_aligned(g)
    ell = g.crs.ellipsoid
    a = float(ell.semi_major_metre)
    inv_f = float(ell.inverse_flattening)
    f = 0.0 if inv_f == 0 else 1.0 / inv_f
    e = math.sqrt(f * (2.0 - f))
    b = a * (1.0 - f)
    rad_per_unit = float(g.crs.axis_info[0].unit_conversion_factor)
    t = g.transform
    ny = g.shape[0]
    edges = (t.f + t.e * np.arange(ny + 1, dtype=np.float64)) * rad_per_unit
    if np.any(np.abs(edges) > math.pi / 2 + 1e-9):
        raise InputError(f"grid rows reach beyond ±90° latitude (transform {tuple(t)[:6]}, {ny} rows)")
    q = _authalic_q(np.sin(np.clip(edges, -math.pi / 2, math.pi / 2)), e)
    dlon = abs(t.a) * rad_per_unit
    return (b * b * dlon / 2.0) * np.abs(q[:-1] - q[1:]) / _M2_PER_KM2


def _planar_cell_area_km2(g: Grid) -> float:
    to_m = float(g.crs.axis_info[0].unit_conversion_factor)
    return abs(g.transform.a * g.transform.e - g.transform.b * g.transform.d) * to_m * to_m / _M2_PER_KM2


def _areal_scale_block(g: Grid, rows: slice, cols: slice) -> np.ndarray:
    """True cell area (km²) for a window of a non-equal-area projected grid.

    Planar area divided by the areal scale factor at the cell centre
    (pyproj ``Proj.get_factors``).
    """
    from pyproj import Proj, Transformer

    t = g.transform
    jj, ii = np.meshgrid(np.arange(cols.start, cols.stop) + 0.5, np.arange(rows.start, rows.stop) + 0.5)
    x = t.c + t.a * jj + t.b * ii
    y = t.f + t.d * jj + t.e * ii
    to_geo = Transformer.from_crs(g.crs, g.crs.geodetic_crs, always_xy=True)
    lon, lat = to_geo.transform(x, y)
    factors = Proj(g.crs).get_factors(lon, lat, errcheck=False)
    scale = np.asarray(factors.areal_scale, dtype=np.float64).reshape(x.shape)
    bad = ~np.isfinite(scale) | (scale <= 0)
    if bad.any():
        raise UnitError(
            f"CRS {g.crs.to_string()}: the areal scale factor is undefined for {int(bad.sum())} cells "
            "(outside the projection's domain); reproject the inputs to an equal-area CRS or to geographic coordinates"
        )
    return _planar_cell_area_km2(g) / scale


def cell_area(obj: Any) -> xr.DataArray:
    """True area of each cell of a grid, in km² (methodology D4).

    Parameters
    ----------
    obj : xarray.DataArray, Grid or (crs, transform, shape)
        A raster with a CRS (rioxarray), or a grid description.

    Returns
    -------
    xarray.DataArray
        float64, ``units="km2"``, broadcastable to *obj*. For a geographic CRS:
        dims ``('y',)``, the exact area on the CRS's ellipsoid of each row
        (authalic zone formula, :func:`row_areas`). For an equal-area projection
        (Albers, LAEA, Mollweide, Sinusoidal, cylindrical equal area /
        EASE-Grid 2.0, Equal Earth, …): a 0-d constant. For any other
        projection: dims ``('y', 'x')``, the planar cell area divided by the
        areal scale factor at each cell centre, computed lazily per block when
        *obj* is dask-backed.

    Coordinates are copied from *obj* when it is a DataArray, so arithmetic
    with it aligns exactly.

    Raises
    ------
    InputError
        No CRS, or a rotated grid.
    UnitError
        The areal scale factor is undefined somewhere on the grid.

    References
    ----------
    methodology.md Part A D4 and Part B §2.1; PERFORMANCE.md "Zonal summaries".
    """
    g = grid_of(obj)
    _check_axis_aligned(g)
    attrs = {"units": "km2", "long_name": "cell area"}
    is_da = isinstance(obj, xr.DataArray)
    ydim, xdim = ("y", "x")
    if is_da:
        ydim, xdim = obj.rio.y_dim, obj.rio.x_dim

    if g.crs.is_geographic:
        attrs["method"] = "exact ellipsoidal zone area (authalic latitude) per row"
        coords = {ydim: obj[ydim].values} if is_da and ydim in obj.coords else None
        return xr.DataArray(row_areas(g), dims=(ydim,), coords=coords, name="cell_area", attrs=attrs)

    if is_equal_area(g.crs):
        attrs["method"] = f"constant: equal-area projection ({g.crs.coordinate_operation.method_name})"
        return xr.DataArray(_planar_cell_area_km2(g), name="cell_area", attrs=attrs)

    attrs["method"] = "planar cell area / areal scale factor at the cell centre (pyproj)"
    ny, nx = g.shape
    chunks = None
    if is_da and obj.chunks is not None:
        chunks = (obj.chunks[obj.get_axis_num(ydim)], obj.chunks[obj.get_axis_num(xdim)])
    if chunks is None:
        data = _areal_scale_block(g, slice(0, ny), slice(0, nx))
    else:
        import dask.array as dsa

        def _block(block_info=None):
            (y0, y1), (x0, x1) = block_info[None]["array-location"]
            return _areal_scale_block(g, slice(y0, y1), slice(x0, x1))

        # Fail early (not at compute time) when the projection has no factors at all.
        _areal_scale_block(g, slice(0, 1), slice(0, 1))
        data = dsa.map_blocks(_block, chunks=chunks, dtype=np.float64)
    coords = None
    if is_da:
        coords = {d: obj[d].values for d in (ydim, xdim) if d in obj.coords}
    return xr.DataArray(data, dims=(ydim, xdim), coords=coords, name="cell_area", attrs=attrs)


def _transform_difference(t1: Affine, t2: Affine, shape: tuple[int, int]) -> str | None:
    # Tolerance: a millionth of a cell, so float noise from coordinate round-trips passes.
    tol = 1e-6 * max(abs(t1.a), abs(t1.e), 1e-300)
    if all(abs(p - q) <= tol for p, q in zip(tuple(t1)[:6], tuple(t2)[:6])):
        return None
    parts = []
    if abs(t1.a - t2.a) > tol or abs(t1.e - t2.e) > tol:
        parts.append(f"resolution ({t1.a:.10g}, {t1.e:.10g}) vs ({t2.a:.10g}, {t2.e:.10g})")
    if abs(t1.c - t2.c) > tol or abs(t1.f - t2.f) > tol:
        parts.append(f"origin ({t1.c:.10g}, {t1.f:.10g}) vs ({t2.c:.10g}, {t2.f:.10g})")
    if abs(t1.b - t2.b) > tol or abs(t1.d - t2.d) > tol:
        parts.append("rotation terms differ")
    return "transform " + "; ".join(parts)


def check_same_grid(*arrays: Any, names: list[str] | None = None) -> Grid:
    """Check that all rasters share CRS, transform and shape; return the common grid.

    Parameters
    ----------
    *arrays : DataArray or Grid
        Two or more rasters.  Each is named in messages by ``attrs["source"]``,
        else its ``name``, else its position (or by *names*).

    Raises
    ------
    GridMismatchError
        Naming both sources and the difference (CRS, transform, shape).  Use
        :func:`align_to` (or the run's ``align`` option) to reproject onto a
        reference grid.
    """
    if not arrays:
        raise InputError("check_same_grid needs at least one raster")
    labels = list(names) if names is not None else [_source_name(a, i) for i, a in enumerate(arrays)]
    ref = grid_of(arrays[0])
    for label, arr in zip(labels[1:], arrays[1:]):
        g = grid_of(arr)
        diffs = []
        if ref.crs != g.crs:
            diffs.append(f"CRS {ref.crs.to_string()} vs {g.crs.to_string()}")
        if ref.shape != g.shape:
            diffs.append(f"shape {ref.shape} vs {g.shape}")
        td = _transform_difference(ref.transform, g.transform, ref.shape)
        if td:
            diffs.append(td)
        if diffs:
            raise GridMismatchError(
                f"{labels[0]} and {label} are not on the same grid: {'; '.join(diffs)}. "
                "Reproject one onto the other (gdalwarp, or indicators.align_to onto the reference grid)"
            )
    return ref

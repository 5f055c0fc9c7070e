"""Grids: the area of every cell (D4), grid checks, and alignment onto a reference grid.

One home for three things every raster indicator shares:

* :func:`cell_area` — the true area of each cell in km², one value per row for
  geographic grids (exact on the CRS's ellipsoid), one constant for equal-area
  projections, a per-cell value from the areal scale factor for any other
  projection (or a refusal).  Never a silent planar area.
* :func:`check_same_grid` — layers must share CRS, transform and shape; a
  mismatch names both sources and the difference.
* :func:`align_to` — reprojection onto a named reference grid, on request only
  (mode for classes, average for continuous values).

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

from .errors import GridMismatchError, InputError, UnitError

__all__ = [
    "Grid",
    "grid_of",
    "cell_area",
    "row_areas",
    "is_equal_area",
    "check_same_grid",
    "align_to",
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
            raise InputError(f"{name}: raster has no CRS; write one with da.rio.write_crs(...) or fix the file")
        try:
            transform = obj.rio.transform(recalc=True)
        except Exception as exc:  # rioxarray raises several types for irregular coords
            raise InputError(f"{name}: cannot derive an affine transform from its coordinates ({exc})") from None
        shape = (int(obj.rio.height), int(obj.rio.width))
        return Grid(CRS.from_user_input(crs), transform, shape)
    if isinstance(obj, (tuple, list)) and len(obj) == 3:
        crs, transform, shape = obj
        if not isinstance(transform, Affine):
            transform = Affine(*transform[:6])
        return Grid(CRS.from_user_input(crs), transform, (int(shape[0]), int(shape[1])))
    raise InputError(f"cannot read a grid from {type(obj).__name__}; pass a DataArray with a CRS or (crs, transform, shape)")


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
                "Reproject one onto the other, or run with align enabled to warp onto the reference grid"
            )
    return ref


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

"""Per-polygon (admin unit) area tables: exact fractional coverage or the pixel-centre rule (D4), national rows as sums.

Part of :mod:`indicators.summarize` (the public names live there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .errors import GridMismatchError, InputError
from .grid import Grid, check_same_grid, grid_of
from .summarize_bins import (_Areas, _Binner, _block_parts, _Legend, _legend, _name, _raise_other, _reduce_blocks, _yx,
                             _zone_bin_sums)
from .summarize_exact import _exact_extract, _exact_sums, _layers_per_pass
from .summarize_keys import weight_tuples
from .summarize_national import PendingTable, PendingTables


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


def _exact_tables(layers, units, weights, grid: Grid, areas: _Areas):
    """Per layer, per unit × bin: [area, weight sum] via exactextract, all layers in ONE pass.

    *layers* is a list of (classes DataArray, legend) on one grid.  exactextract
    computes each polygon's coverage fractions once and applies them to every
    layer; the area total per unit is shared too.
    """
    out = _exact_extract([c for c, _ in layers], units, weights, grid, areas)
    nz = len(units)
    accs = []
    for k, (_, legend) in enumerate(layers):
        acc = np.zeros((2, nz + 1, legend.nbins))
        mapping = legend.bin_of()
        for i, (values, area, weight) in enumerate(_exact_sums(out, k, weights is not None)):
            b = np.array([mapping.get(int(v), legend.other_bin) for v in values], dtype=np.int64)
            np.add.at(acc[0, i + 1], b, area)
            if weight is not None:
                np.add.at(acc[1, i + 1], b, weight)
        accs.append(acc)
    return accs


def _rasterize_block(geoms, tree, grid: Grid, rows: slice, cols: slice, dtype) -> np.ndarray:
    """Zone ids (1-based, 0 outside) of the polygons whose bounds touch a block, centre rule."""
    from rasterio.features import rasterize
    from shapely.geometry import box

    from .rasterize import ignore_spurious_geotransform_warning

    ignore_spurious_geotransform_warning()  # the same spurious warning as the boundary mask's, on worker threads
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


def _centre_tables(classes, units, legend, weights, grid: Grid, areas: _Areas, *, compute: bool = True):
    """Per (zone, bin): area and weight sums, centre-of-pixel rule, one fused pass per block.

    *weights*: None, one DataArray, or a list of several: the result is ``(1 + layers, zones + 1, bins)``, the area
    then each layer's sums, all from one burn of the zones and one read of the classes per block.  ``compute=False``:
    the block partials uncomputed (:func:`~indicators.summarize_bins._block_parts`), to share a pass."""
    from shapely import STRtree

    geoms = np.asarray(units.geometry.values)
    tree = STRtree(geoms)
    zdtype = np.uint16 if len(geoms) < np.iinfo(np.uint16).max else np.uint32
    binner = _Binner(classes.dtype, legend)
    nz, nb = len(geoms), legend.nbins
    layers = list(weights) if isinstance(weights, (list, tuple)) else ([] if weights is None else [weights])
    arrays = [classes]
    if areas.pix is not None:
        arrays.append(areas.pix)
    # the weights as they are: the kernel adds each value as float64 and skips their nodata (weight_tuples), no float64
    # copy of a block in the graph or in the task (three population layers: 24 bytes per pixel of a block, issue 16)
    layers = [_yx(w) for w in layers]
    nodata = [w.rio.nodata for w in layers]
    arrays += layers
    empty = np.zeros((0, 0))

    def block(v, *rest):
        rows, cols = rest[-2:]
        extra = list(rest[:-2])
        pa = np.asarray(extra.pop(0), np.float64) if areas.pix is not None else empty
        zones = _rasterize_block(geoms, tree, grid, rows, cols, zdtype)
        ws, valid = weight_tuples(extra, nodata)
        return _zone_bin_sums(zones, binner.prepare(v), binner.lut, areas.rows[rows], pa, areas.pix is not None, ws,
                              valid, len(extra), nz, nb)

    return (_reduce_blocks if compute else _block_parts)(block, arrays, (1 + len(layers), nz + 1, nb))


def zonal_class_weights(
    classes: xr.DataArray,
    units,
    weights: Mapping[Any, xr.DataArray],
    *,
    codes: Sequence[int],
    method: str = "exact",
    id_field: str | None = None,
    name_field: str | None = None,
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
    compute: bool = True,
) -> dict[Any, pd.DataFrame] | PendingTable | PendingTables:
    """:func:`zonal_class_areas` of one class layer with each of several weight layers (e.g. population total,
    female, male): ``{key: the table with weights[key]}``, each exactly what :func:`zonal_class_areas` returns.

    With ``method="centre"`` the units are burnt and the classes read once per block for all the weights (one pass,
    not one per weight); ``"exact"``: one :func:`zonal_class_areas` per weight.  ``compute=False``: that dict pending
    (:func:`~indicators.summarize.compute_tables` computes it in one pass with other tables, e.g. the national sums
    of the same layers); with ``"exact"`` the tables are computed at once (exactextract reads the files itself).
    """
    keys = list(weights)
    if method != "centre" or (compute and len(keys) < 2):
        tables = {k: zonal_class_areas(classes, units, codes=codes, method=method, weights=weights[k], id_field=id_field,
                                       name_field=name_field, nodata=nodata, water_codes=water_codes) for k in keys}
        return tables if compute else PendingTables((), lambda _: tables)
    first = _yx(classes)
    layers = [_yx(weights[k]) for k in keys]
    check_same_grid(first, *layers)
    units, id_field = _unit_frame(units, first, id_field)
    if name_field is not None and name_field not in units.columns:
        raise InputError(f"units have no name field {name_field!r}")
    legend = _legend(first, codes, nodata, water_codes, "classes")
    grid = grid_of(first)
    parts = _centre_tables(first, units, legend, layers, grid, _Areas.of(first), compute=compute)
    geodesic = _geodesic_areas_km2(units, grid)

    def finish(acc: np.ndarray) -> dict[Any, pd.DataFrame]:
        # a single weight's tables are zonal_class_areas' own: the same fused pass with one layer
        return {k: _unit_table(acc[[0, 1 + i]], legend, _name(first, "classes"), units, id_field, name_field, geodesic,
                               method, layers[i])
                for i, k in enumerate(keys)}

    return finish(parts) if compute else PendingTable(parts, finish)


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
    for all layers (3 layers cost about 2× one, not 3×), in as few passes as keep
    the layers' strips within :data:`EXACT_PASS_BYTES`; each unit's geodesic
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
        pairs = list(zip(arrays, legends))
        step = _layers_per_pass(grid, arrays, weights)
        accs = [acc for i in range(0, len(pairs), step) for acc in _exact_tables(pairs[i : i + step], units, weights, grid, areas)]
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

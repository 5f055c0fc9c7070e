"""Reading boundary polygons (country, admin units) with a unique id per polygon (:func:`read_polygons`), and the
check that they overlap the rasters (:func:`check_polygons_on_grid`)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import InputError
from ..text import control_character
from .paths import require_file


def _polygonal_part(geom):
    """Keep the polygonal part of a repaired geometry (make_valid may add lines or points)."""
    import shapely

    if geom is None or geom.is_empty:
        return geom
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.Polygon()
    return shapely.unary_union(parts)


def _refuse_control_characters(gdf: Any, ids: Any, fields: list[str], where: str, id_field: str) -> None:
    """Refuse a text field (id, name, kept field) holding a control character: the ids and names go into every
    per-unit table, and the workbook cannot store such a character (the run would fail after computing)."""
    for field in fields:
        col = gdf[field]
        if col.dtype != object and not str(col.dtype).startswith("str"):
            continue
        bad = col.map(lambda v: control_character(v) is not None).to_numpy(dtype=bool)
        if bad.any():
            first = str(col[bad].iloc[0])
            raise InputError(f"{where}: {field!r} of features {_ids_text(ids[bad])} ({id_field}) holds the control "
                             f"character {control_character(first)} ({first[:60]!r}); the reporting tables cannot hold it: "
                             "remove it from the field")


def read_polygons(
    path: str | Path,
    *,
    id_field: str | None = None,
    name_field: str | None = None,
    layer: str | int | None = None,
    to_crs: Any = None,
    keep_fields: list[str] | tuple[str, ...] | None = None,
):
    """Read boundary polygons (country, admin units) with a unique id per polygon.

    Parameters
    ----------
    path : str or Path
        GeoPackage, GeoJSON, shapefile or any vector format pyogrio reads.
    id_field : str, optional
        Field holding a unique id per unit.  Without it an ``id`` column is
        added holding 1, 2, … in file order.
    name_field : str, optional
        Field holding the unit's name (checked to exist).
    layer : str or int, optional
        Layer of a multi-layer file (GeoPackage).
    to_crs : CRS-like or DataArray, optional
        Reproject the polygons to this CRS (e.g. the raster's: pass the raster).
        ``attrs`` (``repaired`` included) are kept through the reprojection.
    keep_fields : sequence of str, optional
        Further attribute fields to keep, in this order (e.g. an establishment
        year of protected areas); each must exist.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns: the id field, the name field (if any), the *keep_fields*,
        ``geometry``; ``attrs`` hold ``source``, ``id_field``, ``name_field``,
        ``keep_fields`` and ``repaired`` (ids of geometries repaired with
        ``shapely.make_valid``).

    Raises
    ------
    InputError
        Missing/unreadable file or layer, no features, a missing field,
        duplicate or empty ids, non-polygon or empty geometries, no CRS.
    """
    import geopandas as gpd
    import shapely

    path = Path(path)
    require_file(path, "polygon file")
    try:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # pyogrio.errors.DataSourceError, DataLayerError, ...
        raise InputError(f"cannot read polygons from {path}{f' layer {layer!r}' if layer is not None else ''}: {exc}") from None
    where = f"{path}{f' (layer {layer!r})' if layer is not None else ''}"
    if len(gdf) == 0:
        raise InputError(f"{where} has no features")
    if gdf.crs is None:
        raise InputError(f"{where} has no CRS; add a .prj / declare the CRS before using it")
    fields = [c for c in gdf.columns if c != gdf.geometry.name]
    extra = [keep_fields] if isinstance(keep_fields, str) else [str(f) for f in (keep_fields or ())]
    for label, field in [("id_field", id_field), ("name_field", name_field)] + [("keep_fields", f) for f in extra]:
        if field is not None and field not in gdf.columns:
            raise InputError(f"{where}: {label} {field!r} is not a field; fields are {fields}")
    if id_field is None:
        id_field = "id"
        if id_field in gdf.columns:
            raise InputError(f"{where}: pass id_field= (a field named 'id' exists but was not chosen)")
        gdf.insert(0, id_field, np.arange(1, len(gdf) + 1))
    ids = gdf[id_field]
    if ids.isna().any():
        raise InputError(f"{where}: {int(ids.isna().sum())} features have an empty {id_field!r}")
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        raise InputError(f"{where}: {id_field!r} is not unique (repeated: {dup[:10]}); give every feature its own id "
                         "or dissolve the duplicates into one feature")
    _refuse_control_characters(gdf, ids, [f for f in (id_field, name_field, *extra) if f is not None], where, id_field)

    geoms = gdf.geometry
    missing = ids[geoms.isna() | geoms.is_empty]
    if len(missing):
        raise InputError(f"{where}: features {_ids_text(missing)} ({id_field}) have an empty geometry; "
                         "remove them or give them their polygon")
    bad = ~geoms.geom_type.isin(["Polygon", "MultiPolygon"])
    if bad.any():
        found = sorted(set(geoms[bad].geom_type))
        raise InputError(f"{where}: features {_ids_text(ids[bad])} are {', '.join(found)}, not polygons; "
                         "boundaries and units must be polygons (give the polygon layer, or buffer the features)")
    if gdf.crs.is_geographic:
        crossing = np.array([_crosses_antimeridian(g) for g in geoms.values], dtype=bool)
        if crossing.any():
            gdf.loc[crossing, gdf.geometry.name] = [_split_antimeridian(g) for g in geoms[crossing].values]
            geoms = gdf.geometry
            warnings.warn(f"{where}: features {_ids_text(ids[crossing])} cross the antimeridian (180°); "
                          "split into parts east and west of it", UserWarning, stacklevel=2)
    invalid = ~geoms.is_valid
    repaired = ids[invalid].tolist()
    if repaired:
        fixed = [_polygonal_part(g) for g in shapely.make_valid(geoms[invalid].values)]
        gdf.loc[invalid, gdf.geometry.name] = fixed
        warnings.warn(
            f"{where}: repaired {len(repaired)} invalid geometries with shapely.make_valid (ids {repaired[:10]}); check "
            "them, or fix the file (e.g. QGIS Fix geometries)",
            UserWarning,
            stacklevel=2,
        )
        still_empty = ids[gdf.geometry.is_empty].tolist()
        if still_empty:
            raise InputError(f"{where}: features {still_empty[:10]} have no area left after repair")

    attrs = {"source": str(path), "id_field": id_field, "name_field": name_field, "keep_fields": extra,
             "repaired": repaired}
    if to_crs is not None:
        if isinstance(to_crs, (xr.DataArray, xr.Dataset)):
            to_crs = to_crs.rio.crs
        gdf = gdf.to_crs(to_crs)
    keep = [id_field] + ([name_field] if name_field else [])
    keep += [f for f in extra if f not in keep] + [gdf.geometry.name]
    gdf = gdf[keep]
    # set after every frame operation: attrs must not depend on pandas/geopandas propagating them
    gdf.attrs.clear()
    gdf.attrs.update(attrs)
    return gdf


def _ids_text(ids) -> str:
    values = list(ids)
    more = f" and {len(values) - 10} more" if len(values) > 10 else ""
    return f"{values[:10]}{more}"


def _ring_crosses(coords) -> bool:
    lon = np.asarray(coords)[:, 0]
    return bool(len(lon) > 1 and np.any(np.abs(np.diff(lon)) > 180))


def _crosses_antimeridian(geom) -> bool:
    """True when a lon/lat polygon has an edge jumping more than 180° in longitude: drawn across the
    antimeridian (a GIS would read it as spanning the globe the other way round)."""
    import shapely

    if geom is None or geom.is_empty:
        return False
    for part in shapely.get_parts(geom):
        if _ring_crosses(part.exterior.coords) or any(_ring_crosses(r.coords) for r in part.interiors):
            return True
    return False


def _split_antimeridian(geom):
    """Split a lon/lat (Multi)Polygon drawn across the antimeridian into its parts west and east of it.

    Longitudes of each crossing part are unwrapped (negative ones + 360°), the part is cut at 180°,
    and the eastern piece shifted back by -360°.  A part that does not cross is kept as it is.
    """
    import shapely
    from shapely import affinity

    pieces = []
    for part in shapely.get_parts(geom):
        if not (_ring_crosses(part.exterior.coords) or any(_ring_crosses(r.coords) for r in part.interiors)):
            pieces.append(part)
            continue

        def unwrap(ring):
            xy = np.asarray(ring.coords)[:, :2].copy()
            xy[xy[:, 0] < 0, 0] += 360.0
            return xy

        shifted = shapely.Polygon(unwrap(part.exterior), [unwrap(r) for r in part.interiors])
        if not shifted.is_valid:
            shifted = shapely.make_valid(shifted)
        west = shifted.intersection(shapely.box(-180.0, -90.0, 180.0, 90.0))
        east = affinity.translate(shifted.intersection(shapely.box(180.0, -90.0, 540.0, 90.0)), xoff=-360.0)
        for g in (west, east):
            pieces.extend(p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and not p.is_empty)
    return shapely.MultiPolygon(pieces) if len(pieces) > 1 else pieces[0]


def polygons_off_grid(gdf, crs: Any, bounds: tuple[float, float, float, float]) -> list:
    """Ids of the features of *gdf* (from :func:`read_polygons`) that do not overlap the raster extent
    *bounds* ``(left, bottom, right, top)`` in *crs*."""
    import shapely

    frame = gdf.to_crs(crs) if gdf.crs is not None and not gdf.crs.equals(crs) else gdf
    box = shapely.box(*bounds)
    hit = shapely.intersects(frame.geometry.values, box)
    return frame[gdf.attrs.get("id_field", frame.columns[0])][~hit].tolist()


def check_polygons_on_grid(gdf, crs: Any, bounds: tuple[float, float, float, float], *, label: str,
                           raster: str) -> None:
    """Refuse polygons that miss the rasters: InputError naming the file, the feature ids and the raster."""
    off = polygons_off_grid(gdf, crs, bounds)
    if off:
        source = gdf.attrs.get("source", label)
        every = "all features" if len(off) == len(gdf) else f"features {_ids_text(off)}"
        raise InputError(f"{label}: {every} of {source} lie outside the extent of {raster} "
                         f"({', '.join(f'{b:g}' for b in bounds)}); the boundary and the rasters must cover the same "
                         "place: check the boundary file and the rasters' CRS")


#: overlap of two admin units above which the layer is refused, as a share of the smaller unit's area: slivers of
#: digitising below it cannot move a pixel centre's unit by more than a pixel along a shared border
UNIT_OVERLAP_SHARE = 0.001


def overlapping_units(gdf: Any, *, share: float = UNIT_OVERLAP_SHARE) -> str | None:
    """What is wrong when admin units (:func:`read_polygons`) overlap: the per-unit tables would count the overlap in
    both units (exact coverage) or give it to one of them by the order of the features (pixel centres), and the units'
    areas would no longer partition the country. None when no two units share more than *share* of the smaller one's
    area."""
    import shapely

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    ids = gdf[gdf.attrs.get("id_field") or gdf.columns[0]].tolist()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    if not left.size:
        return None
    shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    fraction = np.divide(shared, smaller, out=np.zeros_like(shared), where=smaller > 0)
    over = np.flatnonzero(fraction > share)
    if not over.size:
        return None
    k = over[np.argmax(fraction[over])]
    return (f"units {ids[left[k]]!r} and {ids[right[k]]!r} overlap over {100 * fraction[k]:.1f} % of the smaller one "
            f"({over.size} pair(s) of units overlap by more than {100 * share:g} %): the per-unit tables would count the "
            "overlap twice or give it to one unit by the features' order; fix the layer so the units do not overlap "
            "(e.g. QGIS: Check Geometries, overlaps)")

"""Reading inputs: rasters opened lazily with their units, legend and nodata; boundary polygons.

This is the file-facing edge of the package: compute functions never open
files, they receive what these two functions return.

* :func:`open_raster` — GeoTIFF/COG (rioxarray, dask chunks, no lock) or NetCDF
  (xarray), one band squeezed, nodata from the file or the caller, units checked
  with the package's pint registry, class legends written as CF flag attributes,
  the path kept in ``attrs["source"]`` so errors can name it.
* :func:`store_rasters` — lazy rasters written block by block to GeoTIFFs inside
  a dask computation (intermediates that several tables read), reopened lazily.
* :func:`read_polygons` — country/admin polygons (GeoPackage, GeoJSON,
  shapefile, anything pyogrio reads) with a unique id field, invalid geometries
  repaired (``shapely.make_valid``) and reported, optionally reprojected.
"""

from __future__ import annotations

import threading
import uuid
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from .errors import InputError
from .remote import RemotePath, is_url, open_netcdf_dataset

__all__ = ["open_raster", "read_polygons", "store_rasters", "RasterStore", "NETCDF_SUFFIXES"]

NETCDF_SUFFIXES = frozenset({".nc", ".nc4", ".netcdf", ".cdf", ".h5", ".hdf5"})


def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise InputError(f"{what} {path} does not exist; check the path in the run configuration")
    if path.is_dir() and path.suffix.lower() not in {".gdb", ".zarr"}:
        raise InputError(f"{what} {path} is a directory, not a file")


def _unreadable_netcdf(path: Path, exc: BaseException) -> InputError:
    """A file that exists but does not open as NetCDF: say so (the libraries often say 'No such file')."""
    size = path.stat().st_size if path.is_file() else None
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if size is not None:
        reason = reason.replace("No such file or directory", "unreadable")
    return InputError(f"{path} exists ({size if size is not None else '?'} bytes) but cannot be read as NetCDF "
                      f"({reason}); the file is truncated, damaged or not NetCDF: download or export it again")


def netcdf_problem(path: str | Path, variable: str | None) -> str | None:
    """Why *path* (an existing file) cannot give the raster *variable*, in words, or None when it can.

    Used where a reader failed with a vague message: tells a damaged file from a wrong ``variable:``.
    """
    path = Path(path)
    try:
        with xr.open_dataset(path, decode_times=False, mask_and_scale=False) as ds:
            names = list(ds.data_vars)
            spatial = [v for v in names if ds[v].ndim >= 2]
    except Exception as exc:  # netCDF4/h5netcdf/scipy raise many types
        return str(_unreadable_netcdf(path, exc))
    if variable is None:
        if len(spatial) != 1:
            return f"{path} holds {len(spatial)} gridded variables {spatial}; say which one with variable:"
        return None
    if variable not in names:
        return f"{path} has no variable {variable!r}; its variables are {names}: set variable: to one of them"
    if variable not in spatial:
        return f"{path}: variable {variable!r} is not gridded (fewer than 2 dimensions); choose one of {spatial}"
    return None


def _open_netcdf(path: Path, variable: str | None, chunks: Any) -> xr.DataArray:
    try:
        ds = open_netcdf_dataset(path, chunks=chunks, decode_coords="all", mask_and_scale=False)
    except Exception as exc:  # netCDF4/h5netcdf raise many types
        raise _unreadable_netcdf(path, exc) from None
    spatial = [v for v in ds.data_vars if ds[v].ndim >= 2]
    if variable is None:
        if len(spatial) != 1:
            raise InputError(f"{path} holds {len(spatial)} gridded variables {spatial}; say which one with variable:")
        variable = spatial[0]
    if variable not in ds.data_vars:
        raise InputError(f"{path} has no variable {variable!r}; its variables are {list(ds.data_vars)}: "
                         "set variable: to one of them")
    da = ds[variable]
    # CF files on a plain lat/lon grid often carry no grid_mapping: CF reads them as WGS84 degrees.
    renames = {d: n for d, n in (("lat", "y"), ("latitude", "y"), ("lon", "x"), ("longitude", "x")) if d in da.dims}
    if renames:
        da = da.rename(renames)
    if da.rio.crs is None and renames:
        da = da.rio.write_crs("EPSG:4326")
        da.attrs["crs_assumed"] = "EPSG:4326 (CF latitude/longitude coordinates without grid_mapping)"
    fill = da.encoding.get("_FillValue", da.attrs.get("_FillValue"))
    if fill is not None and da.rio.nodata is None:
        da = da.rio.write_nodata(fill, encoded=False)
    return da


#: Cells per dask chunk of ``chunks="auto"`` GeoTIFF reads (about 2 Mpx).  A run's peak memory is about this
#: times the per-pixel temporaries of its widest pass times the threads (issue 16: 8 Mpx chunks made a 6000² run
#: peak at 7.4 GB); 2 Mpx keeps a task's decode and compute far above dask's per-task overhead.
AUTO_CHUNK_CELLS = 2 * 2**20


def _auto_chunks(path: Path) -> tuple[int, int]:
    """(rows, columns) per chunk for ``chunks="auto"``: about :data:`AUTO_CHUNK_CELLS` cells, block-aligned.

    The same number of *cells* per chunk whatever the dtype, so class (uint8) and
    continuous (float32) layers of one grid get the same chunks and combine
    without rechunking; a bounded chunk keeps each block's temporaries small, so
    memory stays flat as rasters grow, while a task still costs far more than
    dask's overhead.  Whole rows (a multiple of the file's block height) when a
    block row fits, as the zonal kernels stream by rows and GDAL decodes tiles
    row-wise; on very wide rasters one block row is split into equal runs of
    whole blocks.  At least 4 chunks when the raster has 4 block rows, so two or
    more threads have work.
    """
    import rasterio

    try:
        with rasterio.open(str(path)) as src:
            height, width = src.height, src.width
            block_h, block_w = (int(v) for v in src.block_shapes[0]) if src.block_shapes else (1, width)
    except Exception as exc:  # rasterio.errors.RasterioIOError and friends
        raise InputError(f"cannot read raster {path}: {exc}") from None
    block_h, block_w = max(1, min(block_h, height)), max(1, min(block_w, width))
    rows = max(1, AUTO_CHUNK_CELLS // max(width, 1))
    rows = min(rows, -(-height // 4))  # at least 4 chunks on larger rasters
    rows = min(max(block_h, rows // block_h * block_h), height)
    cols = width
    if rows * width > AUTO_CHUNK_CELLS and block_w < width:
        n = -(-rows * width // AUTO_CHUNK_CELLS)  # number of column runs
        per = -(-width // n)
        cols = min(width, max(block_w, -(-per // block_w) * block_w))  # whole blocks
    return rows, cols


def _open_geotiff(path: Path, chunks: Any) -> xr.DataArray:
    import rioxarray

    if isinstance(chunks, str) and chunks == "auto":
        rows, cols = _auto_chunks(path)
        chunks = {"band": 1, "y": rows, "x": cols}
    try:
        # a URL goes as text: rasterio reads https:// and s3:// through GDAL's /vsicurl/ and /vsis3/
        da = rioxarray.open_rasterio(str(path), chunks=chunks, lock=False, masked=False, mask_and_scale=False)
    except Exception as exc:  # rasterio.errors.RasterioIOError and friends
        raise InputError(f"cannot read raster {path}: {exc}") from None
    if isinstance(da, list):
        raise InputError(f"{path} holds several subdatasets; open one of them explicitly")
    if isinstance(da, xr.Dataset):
        raise InputError(f"{path} opened as several variables {list(da.data_vars)}; give a single-variable raster")
    return da


def open_raster(
    path: str | Path,
    *,
    units: str | None = None,
    nodata: float | int | None = None,
    chunks: Any = "auto",
    name: str | None = None,
    variable: str | None = None,
    band: int | Mapping[str, Any] | None = None,
    band_dim_name: str = "band",
    legend: Mapping[int, str] | None = None,
    long_name: str | None = None,
) -> xr.DataArray:
    """Open a GeoTIFF/COG or NetCDF raster lazily (dask) with its units, nodata and legend.

    Parameters
    ----------
    path : str or Path
        GeoTIFF/COG (anything GDAL reads) or NetCDF (by suffix ``.nc``, ``.nc4``…).
    units : str, optional
        Units of the values (pint syntax or CF/UDUNITS, e.g. ``"mm/month"``,
        ``"person"``, ``"t/ha"``).  Defaults to the file's ``units`` attribute;
        class rasters (with *legend*) are dimensionless ``"1"``.
    nodata : number, optional
        Nodata value; overrides the file's.  Required for class rasters when the
        file declares none.
    chunks : dask chunks, default ``"auto"``
        Passed to rioxarray/xarray; ``None`` reads eagerly.  For GeoTIFF,
        ``"auto"`` means chunks of about :data:`AUTO_CHUNK_CELLS` cells
        aligned to the file's blocks, whole rows unless one block row is wider
        than that (see ``_auto_chunks``).
    name : str, optional
        Name of the DataArray (default: the file stem).
    variable : str, optional
        NetCDF variable to read (required if the file holds several).
    band : int or mapping, optional
        1-based band to keep from a multi-band file, or a Trends.Earth band
        selection ``{name, year, metadata}`` resolved through the JSON sidecar
        beside the file (:mod:`indicators.te_bands`): one band when it names a
        year, otherwise every matching band stacked on *band_dim_name* with the
        bands' years as coordinate.  The selected band's ``no_data_value`` is
        the nodata when neither the file nor the caller gives one.  Single-band
        files are squeezed to (y, x) either way.
    band_dim_name : str, default ``"band"``
        Name given to the band dimension of a multi-band raster (e.g. ``"time"``).
    legend : mapping of int → str, optional
        Class codes and meanings for a class raster: written as CF
        ``flag_values``/``flag_meanings`` (D15).
    long_name : str, optional
        CF ``long_name``.

    Returns
    -------
    xarray.DataArray
        Lazy (dask) unless ``chunks=None``; ``attrs["source"]`` is the path,
        ``attrs["units"]`` the checked units, ``rio.nodata`` the nodata value.

    Raises
    ------
    InputError
        Missing or unreadable file, unknown variable or band, a class raster
        without nodata or with non-integer values.
    UnitError
        Units that do not parse.
    """
    from .units import parse_unit

    path = RemotePath(path) if is_url(path) else Path(path)
    _require_file(path, "raster")
    if path.suffix.lower() in NETCDF_SUFFIXES:
        da = _open_netcdf(path, variable, chunks)
    else:
        da = _open_geotiff(path, chunks)

    extra_dims = [d for d in da.dims if d not in (da.rio.y_dim, da.rio.x_dim)]
    band_nodata = None
    if band is not None and not isinstance(band, (int, np.integer)):
        from .te_bands import select_bands

        selector = band.model_dump() if hasattr(band, "model_dump") else dict(band)
        if path.suffix.lower() in NETCDF_SUFFIXES or len(extra_dims) != 1:
            raise InputError(f"{path}: a band selected by name needs a (multi-band) GeoTIFF; use variable: for NetCDF")
        hits = select_bands(path, selector, count=da.sizes[extra_dims[0]])
        band_nodata = hits[0].no_data_value
        if len(hits) == 1:
            band = hits[0].index
        else:
            dim = extra_dims[0]
            da = da.isel({dim: [h.index - 1 for h in hits]}).drop_vars(dim, errors="ignore")
            da = da.rename({dim: band_dim_name}).assign_coords({band_dim_name: [h.year for h in hits]})
            band = None
            extra_dims = [band_dim_name]
    if band is not None:
        if len(extra_dims) != 1 or not 1 <= band <= da.sizes[extra_dims[0]]:
            raise InputError(f"{path}: band {band} does not exist (dims {dict(da.sizes)})")
        da = da.isel({extra_dims[0]: band - 1}, drop=True)
    else:
        for dim in extra_dims:
            if da.sizes[dim] == 1:
                da = da.isel({dim: 0}, drop=True)
        extra_dims = [d for d in da.dims if d not in (da.rio.y_dim, da.rio.x_dim)]
        if len(extra_dims) == 1 and extra_dims[0] == "band" and band_dim_name != "band":
            da = da.rename({"band": band_dim_name})
    if da.rio.crs is None:
        raise InputError(f"{path} has no CRS; fix the file (gdal_edit.py -a_srs ...) before using it")

    file_nodata = da.rio.nodata if da.rio.nodata is not None else da.rio.encoded_nodata
    if file_nodata is None and band_nodata is not None:
        file_nodata = band_nodata  # Trends.Earth's band metadata (GDAL may not carry it)
    if nodata is not None:
        da = da.rio.write_nodata(nodata, encoded=False)
        if file_nodata is not None and not (file_nodata == nodata or (np.isnan(file_nodata) and np.isnan(nodata))):
            da.attrs["nodata_overrides_file"] = float(file_nodata)
    elif file_nodata is not None:
        da = da.rio.write_nodata(file_nodata, encoded=False)

    where = str(path)
    if legend is not None:
        from .classes import flag_attrs

        if not np.issubdtype(da.dtype, np.integer):
            raise InputError(f"{path}: class raster has {da.dtype} values; class rasters must hold integer codes (D15)")
        if da.rio.nodata is None:
            raise InputError(f"{path}: class raster declares no nodata; pass nodata= (the code used outside the data)")
        codes = sorted(int(c) for c in legend)
        if units not in (None, "1", ""):
            parse_unit(units, where=where)
        da.attrs.update(
            flag_attrs(codes, [legend[c] for c in codes], nodata=int(da.rio.nodata), long_name=long_name or path.stem)
        )
    else:
        file_units = da.attrs.get("units")
        chosen = units if units is not None else file_units
        if chosen is None:
            raise InputError(f"{path}: no units in the file; declare them (units=...) in the run configuration")
        parse_unit(str(chosen), where=where)
        da.attrs["units"] = str(chosen)
        if long_name:
            da.attrs["long_name"] = long_name
    da.attrs["source"] = where
    da.name = name or path.stem
    if da.chunks is not None and da.ndim == 2 and path.suffix.lower() not in NETCDF_SUFFIXES:
        # Identity of an unmodified file read: lets window readers (exactextract in
        # indicators.summarize) read the file directly instead of slicing the dask graph.
        # Any operation on the data changes its dask name, so a derived array never matches.
        da.encoding["indicators_file"] = {"path": str(path), "band": band or 1, "dask_name": da.data.name}
    return da


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
    _require_file(path, "polygon file")
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
            f"{where}: repaired {len(repaired)} invalid geometries with shapely.make_valid (ids {repaired[:10]})",
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


class RasterStore:
    """Layers written block by block to tiled GeoTIFFs as part of a dask computation.

    Made by :func:`store_rasters`.  ``task`` is the (uncomputed) write; compute
    it together with the tables that read the same inputs
    (:func:`indicators.summarize.compute_tables`), then :meth:`open` the files
    as lazy, file-backed rasters (e.g. for per-unit tables, which then read
    windows straight from the files).  Used as a context manager, a temporary
    directory is removed on exit.
    """

    def __init__(self, layers: Mapping[str, xr.DataArray], directory: str | Path | None, compress: str | None,
                 shared: bool = False, scratch: str | Path | None = None):
        import tempfile
        import threading

        import dask.array as dsa
        import rasterio

        from .grid import grid_of

        self._tmp = tempfile.TemporaryDirectory(prefix="indicators-", dir=scratch) if directory is None else None
        self.shared = shared
        self.directory = Path(self._tmp.name if self._tmp else directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.layers = dict(layers)
        self.paths: dict[str, Path] = {}
        self._datasets = []
        sources, targets = [], []
        lock = threading.Lock()  # one GDAL handle per file is not thread-safe: serialise the (cheap) writes
        for key, da in self.layers.items():
            if da.ndim != 2:
                raise InputError(f"store_rasters: {key!r} has dims {da.dims}; only 2-D (y, x) rasters can be stored")
            da = da.transpose(da.rio.y_dim, da.rio.x_dim)
            grid = grid_of(da)
            path = self.directory / f"{_safe_name(key)}.tif"
            nodata = da.rio.nodata if da.rio.nodata is not None else da.attrs.get("nodata")
            profile = dict(driver="GTiff", width=grid.shape[1], height=grid.shape[0], count=1, dtype=da.dtype.name,
                           crs=grid.crs, transform=grid.transform, nodata=nodata, tiled=True, blockxsize=512,
                           blockysize=512, BIGTIFF="IF_SAFER")
            if compress:
                profile["compress"] = compress
            self.paths[key] = path
            data = da.data if hasattr(da.data, "dask") else dsa.from_array(np.asarray(da.data), chunks=(2048, -1))
            sources.append(data)
            if shared:
                # create the (sparse) file here; each block opens it by path, so any worker seeing it can write
                with rasterio.open(path, "w", SPARSE_OK=True, **profile):
                    pass
                targets.append(_PathWindowWriter(str(path), f"indicators-store-{uuid.uuid4().hex}"))
            else:
                ds = rasterio.open(path, "w", **profile)
                self._datasets.append(ds)
                targets.append(_WindowWriter(ds, lock))
        self.task = dsa.store(sources, targets, lock=False, compute=False)

    def _close_writers(self) -> None:
        for ds in self._datasets:
            if not ds.closed:
                ds.close()

    def open(self) -> dict[str, xr.DataArray]:
        """The stored layers as lazy rasters (attributes of the originals, ``source`` = the file)."""
        self._close_writers()
        out = {}
        for key, da in self.layers.items():
            flags, meanings = da.attrs.get("flag_values"), da.attrs.get("flag_meanings")
            nodata = da.rio.nodata if da.rio.nodata is not None else da.attrs.get("nodata")
            if flags is not None and meanings is not None and nodata is not None and da.dtype.kind in "iu":
                legend = dict(zip((int(v) for v in flags), str(meanings).split()))
                r = open_raster(self.paths[key], legend=legend, nodata=nodata, name=da.name)
            else:
                r = open_raster(self.paths[key], units=da.attrs.get("units", "1"), nodata=nodata, name=da.name)
            r.attrs = {**da.attrs, "source": str(self.paths[key])}
            out[key] = r
        return out

    def close(self) -> None:
        """Close the writers and remove the files of a temporary directory."""
        self._close_writers()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> RasterStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _WindowWriter:
    """dask.array.store target writing (row slice, column slice) windows of one band."""

    def __init__(self, ds, lock):
        self.ds, self.lock = ds, lock

    def __setitem__(self, key, value) -> None:
        from rasterio.windows import Window

        rows, cols = key
        win = Window(cols.start or 0, rows.start or 0, value.shape[1], value.shape[0])
        with self.lock:
            self.ds.write(np.asarray(value), 1, window=win)


class _PathWindowWriter:
    """dask.array.store target for a distributed cluster: picklable (a path and a lock name); each window opens
    the file, writes and closes it, under a cluster-wide lock (GDAL cannot update one file from several
    processes at once)."""

    def __init__(self, path: str, lock_name: str):
        self.path, self.lock_name = path, lock_name

    def _lock(self):
        try:
            from distributed import Lock, get_worker

            get_worker()
        except (ImportError, ValueError):
            return _LOCAL_PATH_LOCK  # not on a distributed worker: threads of this process
        return Lock(self.lock_name)

    def __setitem__(self, key, value) -> None:
        import rasterio
        from rasterio.windows import Window

        rows, cols = key
        win = Window(cols.start or 0, rows.start or 0, value.shape[1], value.shape[0])
        with self._lock(), rasterio.open(self.path, "r+") as ds:
            ds.write(np.asarray(value), 1, window=win)


_LOCAL_PATH_LOCK = threading.Lock()


def _safe_name(key: Any) -> str:
    text = "_".join(map(str, key)) if isinstance(key, tuple) else str(key)
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text) or "layer"


def store_rasters(
    layers: Mapping[Any, xr.DataArray],
    directory: str | Path | None = None,
    *,
    compress: str | None = None,
    shared: bool = False,
    scratch: str | Path | None = None,
) -> RasterStore:
    """Prepare writing lazy 2-D rasters to tiled GeoTIFFs, block by block (nothing is computed yet).

    Parameters
    ----------
    layers : mapping of key → DataArray (y, x) with a CRS
        Numpy- or dask-backed; class layers keep their legend and nodata.
    directory : str or Path, optional
        Where to write ``<key>.tif``; default a temporary directory removed by
        :meth:`RasterStore.close`.
    compress : str, optional
        GDAL compression (e.g. ``"deflate"``); default none: the files are
        intermediates, and writing uncompressed costs no CPU.
    shared : bool
        Write through the file paths instead of this process's open file
        handles, under a cluster-wide lock, so that the workers of a
        ``dask.distributed`` cluster can write the blocks they compute (the
        workers must see *directory*: the same machine, or a shared file
        system). Without it, a distributed scheduler would have to send every
        block back to this process.
    scratch : str or Path, optional
        Parent of the temporary directory when *directory* is not given
        (default: the system's temporary directory, which a remote cluster's
        workers do not see).

    Returns
    -------
    RasterStore
        ``task`` to compute (alone, or with :func:`indicators.summarize.compute_tables`),
        then ``open()`` for the file-backed rasters.
    """
    return RasterStore(layers, directory, compress, shared, scratch)

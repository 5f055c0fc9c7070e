"""Reading rasters: GeoTIFF/COG (rioxarray, dask chunks, no lock) or NetCDF (xarray), lazily, with their units,
legend and nodata (:func:`open_raster`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import InputError
from ..remote import RemotePath, is_url, open_netcdf_dataset
from .paths import require_file


NETCDF_SUFFIXES = frozenset({".nc", ".nc4", ".netcdf", ".cdf", ".h5", ".hdf5"})


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


def open_geotiff(path: Path, chunks: Any) -> xr.DataArray:
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
    from ..units import parse_unit

    path = RemotePath(path) if is_url(path) else Path(path)
    require_file(path, "raster")
    if path.suffix.lower() in NETCDF_SUFFIXES:
        da = _open_netcdf(path, variable, chunks)
    else:
        da = open_geotiff(path, chunks)

    extra_dims = [d for d in da.dims if d not in (da.rio.y_dim, da.rio.x_dim)]
    band_nodata = None
    if band is not None and not isinstance(band, (int, np.integer)):
        from ..te_bands import select_bands

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
        from ..classes import flag_attrs

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

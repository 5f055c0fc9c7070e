"""Cloud-optimised GeoTIFFs with CF metadata tags and embedded class colour tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ComputeError
from .layer_metadata import describe_layer

#: DEFLATE effort of the COGs (1-12; GDAL's default is 6).  Level 1 takes a third less CPU to write (a class layer
#: of 36 Mpx with its overviews: 1.19 -> 0.74 CPU-s; a float layer 6.3 -> 4.2) for files up to 2.6× larger (class
#: layers compress to 1-3 % of their size either way; float layers +3 %): writing was half of a run's wall time
#: (issue 16, D31).  Any DEFLATE reader reads them; the values are the same.
COG_DEFLATE_LEVEL = 1
#: side of a COG tile; the overviews halve the grid until its longer side fits in one
COG_BLOCKSIZE = 256


def overview_factors(height: int, width: int, blocksize: int = COG_BLOCKSIZE) -> list[int]:
    """The decimation factors of a COG's overviews: 2, 4, 8, … until the longer side fits in one tile (the levels
    GDAL's COG driver makes)."""
    factors: list[int] = []
    side = max(int(height), int(width))
    while side > blocksize:
        side //= 2
        factors.append(2 ** (len(factors) + 1))
    return factors

# attributes copied to the GeoTIFF's dataset tags (GDAL metadata), CF names kept
_CF_TAGS = ("long_name", "standard_name", "units", "flag_values", "flag_meanings", "comment", "references",
            "indicator", "method", "source", "period", "tier", "cell_methods")


def _tag_text(value: Any) -> str:
    if isinstance(value, (list, tuple, np.ndarray)):
        return " ".join(str(v.item() if hasattr(v, "item") else v) for v in value)
    return str(value)


def _hex_to_rgba(color: str) -> tuple[int, int, int, int]:
    c = color.lstrip("#")
    if len(c) == 6:
        c += "ff"
    return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4, 6))  # type: ignore[return-value]


def class_colors(da) -> dict[int, str]:
    """Colours of a class raster's codes from ``attrs['flag_colors']`` (hex strings, CF-style list)."""
    colors = da.attrs.get("flag_colors")
    values = da.attrs.get("flag_values")
    if colors is None or values is None:
        return {}
    if isinstance(colors, str):
        colors = colors.split()
    values = np.atleast_1d(values).tolist()
    return {int(v): str(c) for v, c in zip(values, colors, strict=False)}


def _fits(value: Any, dtype: np.dtype) -> bool:
    """Whether *value* is representable in *dtype* (NaN only in float types)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    if np.issubdtype(dtype, np.floating):
        return True
    if np.isnan(v) or v != int(v):
        return False
    info = np.iinfo(dtype)
    return info.min <= v <= info.max


def nodata_of(da) -> float | int | None:
    """The declared nodata of *da* that fits its dtype.

    Looked up in order: ``_FillValue`` and ``nodata`` attributes (CF, the
    package's class rasters), rioxarray's nodata, the encoding; NaN for floats.
    A value that does not fit the dtype (e.g. an input's −9999 carried onto a
    uint8 class layer) is passed over.
    """
    try:
        rio_nd = da.rio.nodata
    except Exception:  # rioxarray not attached or no spatial dims
        rio_nd = None
    for value in (da.attrs.get("_FillValue"), da.attrs.get("nodata"), rio_nd, da.encoding.get("_FillValue")):
        if value is not None and _fits(value, da.dtype):
            return value
    return float("nan") if np.issubdtype(da.dtype, np.floating) else None


def band_label(value: Any) -> str:
    """File-name label of a band coordinate value (a year, a period id)."""
    text = str(value.item() if hasattr(value, "item") else value)
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)


def write_cogs(da, path: str | Path, *, colors: Mapping[int, str] | None = None,
               extra_tags: Mapping[str, Any] | None = None, labels: Mapping[int, str] | None = None,
               inputs_root: str | Path | None = None) -> list[Path]:
    """Write a (y, x) raster to *path*, or a (<dim>, y, x) stack as one COG per layer.

    A stack of years or periods becomes ``<stem>_<label>.tif`` per layer: a TIFF
    holds a colour table only on a single-band image, so one file per layer keeps
    the class colours inside each file.  Each layer's band carries a description
    and a unit; a class layer gets its category names (``.tif.aux.xml``) and a
    QGIS style (``.qml``) beside it, named by *labels* (code -> class name of the
    specs' legend; default: the ``flag_meanings`` in words).  A ``source`` tag
    names inputs relative to *inputs_root* (the run configuration's directory),
    never a temporary file.

    Returns the COG paths written (the side files are beside them).
    """
    from .layer_metadata import BAND_DESCRIPTION_ATTR, portable_attrs

    path = Path(path)
    da = da.copy(deep=False)
    da.attrs = portable_attrs(da.attrs, inputs_root)  # a new dict: the caller's attributes stay as they are
    lead = [d for d in da.dims if d not in ("y", "x")]
    if not lead:
        return [_with_sidecars(write_cog(da, path, colors=colors, extra_tags=extra_tags), da, colors, labels)]
    if len(lead) != 1:
        raise ComputeError(f"cannot write {da.name!r}: dims {da.dims} need to be (<layer>, y, x)")
    out = []
    long_name = da.attrs.get("long_name") or (str(da.name) if da.name is not None else "")
    for i in range(da.sizes[lead[0]]):
        layer = da.isel({lead[0]: i})
        label = band_label(da[lead[0]].values[i]) if lead[0] in da.coords else str(i + 1)
        tags = {**(extra_tags or {}), lead[0]: label}
        layer = layer.drop_vars(lead[0], errors="ignore")
        layer = layer.assign_attrs({BAND_DESCRIPTION_ATTR: f"{long_name} ({lead[0]} {label})" if long_name else f"{lead[0]} {label}"})
        target = write_cog(layer, path.with_name(f"{path.stem}_{label}{path.suffix}"), colors=colors, extra_tags=tags)
        out.append(_with_sidecars(target, layer, colors, labels))
    return out


def _with_sidecars(path: Path, da, colors: Mapping[int, str] | None, labels: Mapping[int, str] | None) -> Path:
    """Category names and QGIS style beside a class layer's COG (nothing for a continuous layer)."""
    from .layer_metadata import class_labels, write_class_sidecars

    if "flag_values" in da.attrs and np.dtype(da.dtype) in (np.uint8, np.uint16):
        names = class_labels(da.attrs, labels)
        write_class_sidecars(path, names, dict(colors) if colors else class_colors(da))
    return path


def write_cog(da, path: str | Path, *, colors: Mapping[int, str] | None = None, extra_tags: Mapping[str, Any] | None = None) -> Path:
    """Write a 2-D (or single-band 3-D) DataArray as a COG with CF tags and a colour table.

    Parameters
    ----------
    da : xarray.DataArray
        Dims ``(y, x)`` or ``(<any>, y, x)``; the leading dim's values name the
        bands (e.g. years). It must carry a CRS and transform (rioxarray).
    path : path
        Target ``.tif``.
    colors : mapping of int to "#rrggbb", optional
        Class colour table (band 1, uint8/uint16 rasters only); defaults to
        ``attrs['flag_colors']``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if da.ndim == 2:
        da = da.expand_dims("band")
    if da.ndim != 3:
        raise ComputeError(f"cannot write {da.name!r} as a raster: expected (y, x) or (band, y, x) dims, got {da.dims}")
    band_dim = [d for d in da.dims if d not in ("y", "x")]
    if len(band_dim) != 1:
        raise ComputeError(f"cannot write {da.name!r}: dims {da.dims} need to be (<band>, y, x)")
    da = da.transpose(band_dim[0], "y", "x")
    crs = da.rio.crs
    if crs is None:
        raise ComputeError(f"cannot write {da.name!r} as a GeoTIFF: it has no CRS")
    transform = da.rio.transform(recalc=True)
    lazy = getattr(da.data, "dask", None) is not None
    data = da.data if lazy else np.asarray(da.values)
    nodata = nodata_of(da)
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)) and np.issubdtype(data.dtype, np.integer):
        nodata = int(nodata)
    if data.dtype == np.float64:
        data = data.astype(np.float32)  # D15: continuous outputs are float32
    is_class = "flag_values" in da.attrs and data.dtype in (np.uint8, np.uint16)
    tags = {k: _tag_text(da.attrs[k]) for k in _CF_TAGS if k in da.attrs}
    if nodata is not None:
        tags["_FillValue"] = _tag_text(nodata)
    if extra_tags:
        tags.update({k: _tag_text(v) for k, v in extra_tags.items()})
    names = [str(v.item() if hasattr(v, "item") else v) for v in da[band_dim[0]].values] if band_dim[0] in da.coords else []
    cmap = dict(colors) if colors else class_colors(da)
    # Build the dataset in memory as a plain GeoTIFF (tags, band names, colour table), then copy it
    # with the COG driver: the copy keeps everything inside the file (no .aux.xml side file).
    from rasterio.io import MemoryFile
    from rasterio.shutil import copy as rio_copy

    mem_profile = {"driver": "GTiff", "width": data.shape[2], "height": data.shape[1], "count": data.shape[0],
                   "dtype": data.dtype.name, "crs": crs, "transform": transform, "nodata": nodata}

    def describe(dst) -> None:
        dst.update_tags(**tags)
        for i, name in enumerate(names, start=1):
            dst.set_band_description(i, f"{band_dim[0]}={name}" if band_dim[0] != "band" else name)
        describe_layer(dst, da)  # description where none, and unit
        if cmap and is_class:
            dst.write_colormap(1, {code: _hex_to_rgba(c) for code, c in cmap.items()})

    def with_overviews(dst) -> None:
        # the overviews are built in the uncompressed GeoTIFF that the COG driver then copies with them (D31): its own
        # overviews, made into a compressed temporary file, took twice the CPU of this for a float layer
        import rasterio
        from rasterio.enums import Resampling

        # GDAL_NUM_THREADS: GDAL computes the overviews on every core (a float layer of 10^8 px 0.50 -> 0.35 s); each
        # level holds the same values as with one thread
        with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"):
            dst.build_overviews(overview_factors(dst.height, dst.width), Resampling.nearest if is_class else Resampling.average)

    def to_cog(src) -> None:
        # NUM_THREADS: GDAL compresses the tiles on every core (the write phase runs nothing else meanwhile); the
        # tiles and so the file are the same as with one thread
        rio_copy(src, path, driver="COG", compress="DEFLATE", level=COG_DEFLATE_LEVEL, blocksize=COG_BLOCKSIZE,
                 num_threads="ALL_CPUS", overview_resampling="nearest" if is_class else "average")

    if lazy:
        # a dask layer (a fine grid) is computed block by block into a tiled GeoTIFF beside the target, never
        # whole; the open file stays in this process (indicators.cluster.store_blocks: on a distributed
        # cluster the workers compute the blocks and this process writes them as they arrive)
        import rasterio

        from ..cluster import store_blocks

        staging = path.with_name(f".{path.stem}.staging.tif")
        try:
            with rasterio.open(staging, "w", **mem_profile, tiled=True, blockxsize=512, blockysize=512,
                               BIGTIFF="IF_SAFER") as dst:
                describe(dst)
                store_blocks(data, _BandWindowWriter(dst))
                with_overviews(dst)
            with rasterio.open(staging) as src:
                to_cog(src)
        finally:
            staging.unlink(missing_ok=True)
        return path
    with MemoryFile() as mem:
        with mem.open(**mem_profile) as dst:
            dst.write(data)
            describe(dst)
            with_overviews(dst)
        with mem.open() as src:
            to_cog(src)
    return path


class _BandWindowWriter:
    """Writes (band, row, column) blocks into an open rasterio dataset (called from one thread at a time)."""

    def __init__(self, ds):
        self.ds = ds

    def __call__(self, key, value) -> None:
        from rasterio.windows import Window

        bands, rows, cols = key
        first = bands.start or 0
        win = Window(cols.start or 0, rows.start or 0, value.shape[2], value.shape[1])
        self.ds.write(np.asarray(value), indexes=list(range(first + 1, first + 1 + value.shape[0])), window=win)

"""Cloud-optimised GeoTIFFs with CF metadata tags and embedded class colour tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ComputeError

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


def nodata_of(da) -> float | int | None:
    """The declared nodata of *da*: ``_FillValue`` attr or encoding, rio nodata, NaN for floats."""
    for source, key in ((da.attrs, "_FillValue"), (da.attrs, "nodata"), (da.encoding, "_FillValue")):
        if source.get(key) is not None:
            return source[key]
    try:
        nd = da.rio.nodata
    except Exception:  # rioxarray not attached or no spatial dims
        nd = None
    if nd is not None:
        return nd
    return float("nan") if np.issubdtype(da.dtype, np.floating) else None


def write_cog(da, path: str | Path, *, colors: Mapping[int, str] | None = None, extra_tags: Mapping[str, Any] | None = None) -> Path:
    """Write a 2-D or 3-D (band, y, x) DataArray as a COG with CF tags and a colour table.

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
    import rasterio
    import rasterio.enums

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
    data = np.asarray(da.values)
    nodata = nodata_of(da)
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)) and np.issubdtype(data.dtype, np.integer):
        nodata = int(nodata)
    if data.dtype == np.float64:
        data = data.astype(np.float32)  # D15: continuous outputs are float32
    is_class = "flag_values" in da.attrs and data.dtype in (np.uint8, np.uint16)
    profile = {
        "driver": "COG", "width": data.shape[2], "height": data.shape[1], "count": data.shape[0],
        "dtype": data.dtype.name, "crs": crs, "transform": transform, "nodata": nodata,
        "compress": "deflate", "blocksize": 256,
        "overview_resampling": "nearest" if is_class else "average",
    }
    tags = {k: _tag_text(da.attrs[k]) for k in _CF_TAGS if k in da.attrs}
    if nodata is not None:
        tags["_FillValue"] = _tag_text(nodata)
    if extra_tags:
        tags.update({k: _tag_text(v) for k, v in extra_tags.items()})
    names = [str(v.item() if hasattr(v, "item") else v) for v in da[band_dim[0]].values] if band_dim[0] in da.coords else []
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.update_tags(**tags)
        for i, name in enumerate(names, start=1):
            dst.set_band_description(i, f"{band_dim[0]}={name}" if band_dim[0] != "band" else name)
        cmap = dict(colors) if colors else class_colors(da)
        if cmap and is_class:
            dst.write_colormap(1, {code: _hex_to_rgba(c) for code, c in cmap.items()})
    return path

"""What a raster input's header says, read without reading its cells (local file or URL)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def raster_header(path: Path, variable: str | None) -> dict[str, Any]:
    import rasterio

    from ..remote import RemotePath

    if isinstance(path, RemotePath) and path.suffix.lower() in (".nc", ".nc4"):
        return _remote_netcdf_header(path, variable)
    target = f"netcdf:{path}:{variable}" if variable and path.suffix.lower() in (".nc", ".nc4") else str(path)
    with rasterio.open(target) as src:
        return {"crs": src.crs, "transform": src.transform, "shape": (src.height, src.width), "count": src.count,
                "units": (src.units[0] if src.units and src.units[0] else None), "tags": src.tags()}


def _remote_netcdf_header(path: Any, variable: str | None) -> dict[str, Any]:
    """The header of a NetCDF input at a URL, read by xarray (GDAL's netCDF driver cannot read URLs)."""
    from ..io import open_raster

    da = open_raster(path, variable=variable)
    lead = [d for d in da.dims if d not in ("y", "x")]
    return {"crs": da.rio.crs, "transform": da.rio.transform(recalc=True), "shape": (da.sizes["y"], da.sizes["x"]),
            "count": math.prod(da.sizes[d] for d in lead), "units": da.attrs.get("units"),
            "tags": {k: str(v) for k, v in da.attrs.items()}}


def netcdf_years(path: Path, variable: str | None) -> list[int] | None:
    """Years covered by a netCDF file's time axis (None when there is none)."""
    from ..remote import open_netcdf_dataset

    with open_netcdf_dataset(path, decode_times=True) as ds:
        if "time" not in ds.coords:
            return None
        t = ds["time"]
        try:
            return sorted({int(y) for y in t.dt.year.values})
        except (TypeError, AttributeError):
            return None

"""Read what GDAL itself sees in a raster (category names, raster attribute table), through the GDAL C library
that rasterio's wheel carries (rasterio has no API for category names)."""

from __future__ import annotations

import ctypes
from pathlib import Path


def _libgdal() -> ctypes.CDLL:
    import rasterio

    site = Path(rasterio.__file__).resolve().parents[1]
    libs = sorted((site / "rasterio.libs").glob("libgdal*.so*")) + sorted(site.glob("rasterio/.dylibs/libgdal*"))
    if not libs:
        raise AssertionError("GDAL's C library was not found beside rasterio (rasterio.libs/libgdal*.so)")
    lib = ctypes.CDLL(str(libs[0]))
    lib.GDALAllRegister()
    lib.GDALOpen.restype = ctypes.c_void_p
    lib.GDALOpen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    lib.GDALGetRasterBand.restype = ctypes.c_void_p
    lib.GDALGetRasterBand.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.GDALGetRasterCategoryNames.restype = ctypes.POINTER(ctypes.c_char_p)
    lib.GDALGetRasterCategoryNames.argtypes = [ctypes.c_void_p]
    lib.GDALGetDefaultRAT.restype = ctypes.c_void_p
    lib.GDALGetDefaultRAT.argtypes = [ctypes.c_void_p]
    lib.GDALRATGetRowCount.argtypes = [ctypes.c_void_p]
    lib.GDALRATGetValueAsString.restype = ctypes.c_char_p
    lib.GDALRATGetValueAsString.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.GDALClose.argtypes = [ctypes.c_void_p]
    return lib


def category_names(path: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """(category names indexed by pixel value, [(value, class name)] of the raster attribute table) of band 1."""
    lib = _libgdal()
    ds = lib.GDALOpen(str(path).encode(), 0)
    if not ds:
        raise AssertionError(f"GDAL cannot open {path}")
    try:
        band = lib.GDALGetRasterBand(ds, 1)
        rat = lib.GDALGetDefaultRAT(band)  # (the GeoTIFF driver reads the PAM side file on this first call)
        names: list[str] = []
        arr = lib.GDALGetRasterCategoryNames(band)
        i = 0
        while arr and arr[i] is not None:
            names.append(arr[i].decode())
            i += 1
        rows: list[tuple[str, str]] = []
        if rat:
            for r in range(lib.GDALRATGetRowCount(rat)):
                rows.append((lib.GDALRATGetValueAsString(rat, r, 0).decode(), lib.GDALRATGetValueAsString(rat, r, 1).decode()))
        return names, rows
    finally:
        lib.GDALClose(ds)

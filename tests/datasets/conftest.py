"""Synthetic files with the structure of each published default dataset (variables, attributes, data types,
scale factors, nodata, legend codes), written by the tests: small, global-looking grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

ESA_CODES = [10, 11, 12, 20, 30, 40, 50, 60, 61, 62, 70, 71, 72, 80, 81, 82, 90, 100, 110, 120, 121, 122, 130, 140,
             150, 151, 152, 153, 160, 170, 180, 190, 200, 201, 202, 210, 220]
ESA_MEANINGS = " ".join(f"class_{c}" for c in ESA_CODES)


def lat_lon(west: float, north: float, res: float, ny: int, nx: int):
    lat = north - res * (np.arange(ny) + 0.5)
    lon = west + res * (np.arange(nx) + 0.5)
    return lat, lon


def write_esa_cci_netcdf(path: Path, codes: np.ndarray, *, west=10.0, north=46.0, res=1 / 360, year=2015,
                         variable="lccs_class", drop_attrs=()) -> Path:
    """ESA CCI / C3S LC map: lccs_class as signed bytes flagged _Unsigned, _FillValue 0, flag attributes,
    time of length 1, lat/lon, a crs variable and the quality layers beside it."""
    ny, nx = codes.shape
    lat, lon = lat_lon(west, north, res, ny, nx)
    attrs = {"standard_name": "land_cover_lccs", "long_name": "Land cover class defined in LCCS",
             "flag_values": np.array(ESA_CODES, dtype="uint8").view("int8"), "flag_meanings": ESA_MEANINGS,
             "valid_min": 1, "valid_max": 220, "_Unsigned": "true", "ancillary_variables": "processed_flag"}
    attrs = {k: v for k, v in attrs.items() if k not in drop_attrs}
    data = np.asarray(codes, dtype="uint8").view("int8")[None]
    ds = xr.Dataset(
        {variable: (("time", "lat", "lon"), data, attrs),
         "processed_flag": (("time", "lat", "lon"), np.ones_like(data), {"long_name": "LC map processed area flag"}),
         "crs": ((), np.int32(0), {"wkt": "GEOGCS[\"WGS 84\"]", "i2m": "0.002777777777778,0,0,-0.002777777777778,-180,90"})},
        coords={"time": ("time", [float((year - 1970) * 365)], {"units": "days since 1970-01-01"}),
                "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
                "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"})},
        attrs={"title": "ESA CCI Land Cover Map", "product_version": "2.0.7cds", "type": "ESACCI-L4_LCCS-Map-300m-P1Y"})
    ds[variable].encoding.update(_FillValue=np.int8(0), dtype="int8")
    ds.to_netcdf(path, engine="h5netcdf")
    return path


def write_monthly_netcdf(path: Path, values: np.ndarray, *, first_year=1981, west=10.0, north=46.0, res=0.25,
                         lat_name="lat", lon_name="lon", fill=-9999.0, units="mm/month") -> Path:
    """GPCC/CHIRPS-style monthly precipitation: precip (time, lat, lon) float32, units mm/month, a fill value."""
    nt, ny, nx = values.shape
    lat, lon = lat_lon(west, north, res, ny, nx)
    time = np.array([np.datetime64(f"{first_year + i // 12}-{i % 12 + 1:02d}-01") for i in range(nt)])
    attrs = {"long_name": "precipitation", "missing_value": np.float32(fill)}
    if units:
        attrs["units"] = units
    ds = xr.Dataset({"precip": (("time", lat_name, lon_name), values.astype("float32"), attrs)},
                    coords={"time": time, lat_name: lat, lon_name: lon})
    ds["precip"].encoding.update(_FillValue=np.float32(fill))
    ds.to_netcdf(path, engine="h5netcdf")
    return path


def write_geotiff(path: Path, data: np.ndarray, *, nodata, west=10.0, north=46.0, res=1 / 120, scale=None,
                  crs="EPSG:4326") -> Path:
    import rasterio
    from rasterio.transform import from_origin

    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0],
                       dtype=data.dtype.name, crs=crs, transform=from_origin(west, north, res, res), nodata=nodata,
                       tiled=True, blockxsize=16, blockysize=16) as dst:
        dst.write(data)
        if scale is not None:
            dst.scales = [scale] * data.shape[0]
    return path


def write_gmid_netcdf(path: Path, stored: np.ndarray, *, index="spi", months=12, first_year=1980, west=10.0,
                      north=47.0, res=0.1, drop_attrs=(), variable=None, crs_wkt=None) -> Path:
    """GMID as assumed by decision D29 (PRAIS26 Box 5 gives index, scales, grid and years, not the layout): one CF
    NetCDF per index and accumulation scale; *index* (time, lat, lon) int16 packed x 0.001 with _FillValue -32768,
    lat descending (the product runs 90N to 90S), monthly times in days since 1980-01-01, the scale in the
    variable attribute accumulation_period, a latitude_longitude grid mapping (or *crs_wkt*, projected x/y)."""
    nt, ny, nx = stored.shape
    lat, lon = lat_lon(west, north, res, ny, nx)
    months_since = np.arange(nt) + (first_year - 1980) * 12
    days = [float((np.datetime64(f"{1980 + m // 12}-{m % 12 + 1:02d}-01") - np.datetime64("1980-01-01")).astype(int))
            for m in months_since]
    attrs = {"long_name": f"Standardized index {index.upper()}-{months}", "units": "1", "grid_mapping": "crs",
             "accumulation_period": np.int32(months), "scale_factor": 0.001}  # written packed, as stored
    attrs = {k: v for k, v in attrs.items() if k not in drop_attrs}
    y, x = ("lat", "lon") if crs_wkt is None else ("y", "x")
    from pyproj import CRS

    wgs84 = CRS.from_epsg(4326).to_wkt()
    mapping = ({"grid_mapping_name": "latitude_longitude", "semi_major_axis": 6378137.0,
                "inverse_flattening": 298.257223563, "crs_wkt": wgs84} if crs_wkt is None else
               {"crs_wkt": crs_wkt, "spatial_ref": crs_wkt})
    ds = xr.Dataset(
        {variable or index: (("time", y, x), np.asarray(stored, dtype="int16"), attrs),
         "crs": ((), np.int32(0), mapping)},
        coords={"time": ("time", days, {"units": "days since 1980-01-01", "calendar": "standard"}),
                y: (y, lat, {"units": "degrees_north", "standard_name": "latitude"} if crs_wkt is None else {}),
                x: (x, lon, {"units": "degrees_east", "standard_name": "longitude"} if crs_wkt is None else {})},
        attrs={"title": "Global Multi-Index Drought (GMID) dataset (synthetic, structure of decision D29)",
               "Conventions": "CF-1.8"})
    ds[variable or index].encoding.update(dtype="int16", _FillValue=np.int16(-32768))
    ds.to_netcdf(path, engine="h5netcdf")
    return path

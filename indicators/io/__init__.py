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

One module each: :mod:`~indicators.io.rasters` (reading rasters), :mod:`~indicators.io.polygons` (reading
polygons), :mod:`~indicators.io.store` (writing rasters); :mod:`~indicators.io.paths` holds the file check
both readers make.  Their public names are imported here.
"""

from __future__ import annotations

from .polygons import check_polygons_on_grid, polygons_off_grid, read_polygons
from .rasters import NETCDF_SUFFIXES, netcdf_problem, open_raster
from .store import RasterStore, store_rasters

__all__ = ["open_raster", "read_polygons", "store_rasters", "RasterStore", "NETCDF_SUFFIXES", "netcdf_problem",
           "check_polygons_on_grid", "polygons_off_grid"]

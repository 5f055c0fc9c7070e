"""Fixtures for the grids/areas/summaries tests: tiny rasters built in memory."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from affine import Affine


def raster(data, *, crs="EPSG:4326", transform=(1.0, 0.0, 0.0, 0.0, -1.0, 0.0), nodata=None, name=None, chunks=None):
    """A rioxarray DataArray with a CRS and regular coordinates from an affine transform."""
    import rioxarray  # noqa: F401

    data = np.asarray(data)
    t = Affine(*transform)
    ny, nx = data.shape
    x = t.c + t.a * (np.arange(nx) + 0.5)
    y = t.f + t.e * (np.arange(ny) + 0.5)
    da = xr.DataArray(data, dims=("y", "x"), coords={"y": y, "x": x}, name=name)
    da = da.rio.write_crs(crs).rio.write_transform(t)
    if nodata is not None:
        da = da.rio.write_nodata(nodata, encoded=False)
    if name:
        da.attrs["source"] = f"{name}.tif"
    if chunks is not None:
        da = da.chunk(chunks)
    return da


@pytest.fixture(scope="session")
def make_raster():
    return raster

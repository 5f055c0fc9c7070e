"""Fixtures of the SO3 tests: small rasters on an equal-area grid of 1 km cells (1 km² each)."""

from __future__ import annotations

import numpy as np
import pytest
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr

CELL_M = 1000.0


def _equal_area(values, *, first_year=2000, dtype="uint8", nodata=None, name=None, years=None):
    values = np.asarray(values, dtype=dtype)
    ny, nx = values.shape[-2:]
    coords = {"y": (np.arange(ny)[::-1] + 0.5) * CELL_M, "x": (np.arange(nx) + 0.5) * CELL_M}
    dims = ("y", "x")
    if values.ndim == 3:
        dims = ("year", "y", "x")
        coords["year"] = list(years) if years is not None else list(range(first_year, first_year + values.shape[0]))
    da = xr.DataArray(values, dims=dims, coords=coords, name=name).rio.write_crs("EPSG:6933")
    return da.rio.write_nodata(nodata) if nodata is not None else da


@pytest.fixture
def equal_area():
    """Build a (year, y, x) or (y, x) DataArray on EPSG:6933 with 1 km cells; rows run north to south."""
    return _equal_area

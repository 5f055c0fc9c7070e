"""Fixtures of the SO1 tests: tiny grids, and the default tables of methodology Part B typed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr


@pytest.fixture(scope="session")
def unccd_matrix() -> dict[int, dict[int, str]]:
    """The default matrix as {initial: {final: '-'|'+'|'0'}} (Part B §2.3)."""
    # Tree, Grass, Crop, Wetland, Artificial, Other, Water
    rows = ["0-----0", "+0+---0", "+-0---0", "---0--0", "++++0+0", "++++-00", "0000000"]
    return {i + 1: {j + 1: rows[i][j] for j in range(7)} for i in range(7)}


def grid(values, dims=("y", "x"), **coords) -> xr.DataArray:
    arr = np.asarray(values)
    dims = dims[-arr.ndim:] if arr.ndim <= len(dims) else dims
    c = {d: np.arange(arr.shape[i], dtype="float64") for i, d in enumerate(dims) if d in ("y", "x")}
    c.update(coords)
    return xr.DataArray(arr, dims=dims, coords=c)


@pytest.fixture(scope="session")
def make_grid():
    return grid

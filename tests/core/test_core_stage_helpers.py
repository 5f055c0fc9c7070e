"""Stage helpers: the boundary and nodata masks of continuous layers (``indicators.stage_helpers``)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("nodata", [-9999.0, None, float("nan")])
def test_inside_values_equal_mask_nodata_then_where_inside(nodata):
    """The fused mask (one pass per block) gives what ``mask_nodata(da).where(inside)`` gives: the same values bit
    for bit (nodata, NaN and outside cells as NaN), dtype, attributes and coordinates; for a (year, y, x) stack too,
    and an integer raster is left to xarray's promotion."""
    import types

    import numpy as np
    import rioxarray  # noqa: F401
    import xarray as xr

    from indicators.stage_helpers import inside_values, mask_nodata, outside_as_nan

    rng = np.random.default_rng(2)
    values = (rng.random((2, 6, 7)) * 100).astype(np.float32)
    values[0, 1, 2] = values[1, 4, 4] = -9999.0
    values[0, 3, 3] = np.nan
    coords = {"year": [2015, 2019], "y": np.arange(6.0, 0, -1), "x": np.arange(7.0)}
    da = xr.DataArray(values, dims=("year", "y", "x"), coords=coords, attrs={"units": "person"}).chunk({"y": 4, "x": 3})
    da = da.rio.write_crs("EPSG:4326")
    if nodata is not None:
        da = da.rio.write_nodata(nodata, encoded=False)
    inside = xr.DataArray(rng.random((6, 7)) < 0.7, dims=("y", "x"), coords={"y": coords["y"], "x": coords["x"]})
    ctx = types.SimpleNamespace(_cache={"inside": inside.chunk({"y": 4, "x": 3})})
    for layer in (da, da.sel(year=2019, drop=True)):
        want = mask_nodata(layer).where(ctx._cache["inside"])
        got = inside_values(ctx, layer)
        assert got.dtype == want.dtype == np.float32
        assert got.values.tobytes() == want.values.tobytes()
        assert got.attrs == want.attrs and list(got.coords) == list(want.coords) and got.rio.crs == want.rio.crs
        plain = layer.where(ctx._cache["inside"])  # outside_as_nan: the boundary only, nodata values kept
        assert outside_as_nan(ctx, layer).values.tobytes() == plain.values.tobytes()
    # by hand: the nodata cell and an outside cell are NaN, an inside value is kept
    got = inside_values(ctx, da.sel(year=2015, drop=True)).values
    assert np.isnan(got[3, 3])  # NaN stays NaN
    if nodata == -9999.0 or not inside.values[1, 2]:
        assert np.isnan(got[1, 2])
    else:  # -9999 is a value when it is not the nodata
        assert got[1, 2] == -9999.0
    plain = inside.values & np.isfinite(values[0]) & (values[0] != -9999.0)
    np.testing.assert_array_equal(got[plain], values[0][plain])
    assert np.isnan(got[~inside.values]).all()
    integer = xr.DataArray(np.arange(42, dtype=np.int16).reshape(6, 7), dims=("y", "x"), coords=inside.coords)
    integer = integer.rio.write_crs("EPSG:4326").rio.write_nodata(5, encoded=False)
    assert inside_values(ctx, integer).dtype == mask_nodata(integer).where(ctx._cache["inside"]).dtype

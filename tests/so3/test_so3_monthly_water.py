"""A monthly water input's declared nodata is a gap, never a water amount (run_hazard.monthly_water).

Expected values by hand: a 2-month × 1 × 2 series with -9999 declared as nodata in one cell-month."""

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr

from indicators.so3.run_hazard import monthly_water


class _Ctx:
    """The one Context method monthly_water uses: the input's raster on its own grid."""

    def __init__(self, da):
        self.da = da

    def raster(self, name, native=False):
        assert native, "a monthly water input is read on its own grid"
        return self.da


def _series(nodata):
    da = xr.DataArray(np.array([[[12.0, -9999.0]], [[0.0, 31.5]]], dtype="float32"),
                      dims=("time", "y", "x"),
                      coords={"time": pd.date_range("2001-01-01", periods=2, freq="MS"), "y": [45.0], "x": [10.0, 10.1]},
                      attrs={"units": "mm"})
    return da.rio.write_nodata(nodata)


def test_declared_nodata_becomes_a_gap_and_other_values_stay():
    out = monthly_water(_Ctx(_series(-9999.0)), "precipitation")
    vals = out.values
    assert np.isnan(vals[0, 0, 1])
    assert vals[0, 0, 0] == 12.0 and vals[1, 0, 0] == 0.0 and vals[1, 0, 1] == 31.5  # a dry month of 0 mm stays 0
    assert out.attrs["units"] == "mm"
    assert np.isnan(out.rio.nodata)


def test_without_declared_nodata_the_series_is_unchanged():
    da = _series(None)
    out = monthly_water(_Ctx(da), "pet")
    xr.testing.assert_identical(out, da)

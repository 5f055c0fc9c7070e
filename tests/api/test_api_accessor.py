"""The DataArray.unccd accessor: registered on `import indicators`, same results on numpy and dask arrays."""

from __future__ import annotations

import subprocess
import sys
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401
import xarray as xr
from shapely.geometry import box

import indicators  # noqa: F401  (registers da.unccd)
from indicators.errors import ArgumentError, IndicatorsError, ReprojectionWarning

# 4 x 6 cells of 1 km in an equal-area CRS (EPSG:6933): every cell is exactly 1 km² (by hand)
CLASSES = np.array([[10, 10, 11, 30, 210, 0],
                    [10, 11, 11, 30, 210, 0],
                    [30, 30, 30, 30, 210, 210],
                    [10, 10, 10, 0, 0, 0]], dtype="uint8")
NESTING = {1: [10, 11], 3: [30], 7: [210]}  # trees, cropland, water


def _grid(values, chunked: bool) -> xr.DataArray:
    ny, nx = values.shape[-2:]
    da = xr.DataArray(values, dims=("y", "x"), coords={"y": -500.0 - 1000.0 * np.arange(ny),
                                                     "x": 500.0 + 1000.0 * np.arange(nx)}, name="lc")
    da = da.rio.write_crs("EPSG:6933").rio.write_nodata(0)
    return da.chunk({"y": 2, "x": 3}) if chunked else da


@pytest.mark.parametrize("chunked", [False, True], ids=["numpy", "dask"])
def test_recode_and_national_class_areas_by_hand(chunked):
    lc = _grid(CLASSES, chunked)
    lc7 = lc.unccd.recode(NESTING)
    assert (lc7.chunks is not None) == chunked
    assert lc7.rio.crs.to_epsg() == 6933
    t = lc7.unccd.class_areas(codes=[1, 3], water_codes=[7]).set_index("kind")
    cls = t.loc["class"].set_index("class")["area_km2"]
    # by hand: class 1 = eight cells of 10/11 ... count them
    assert cls.loc[1] == pytest.approx(float(np.isin(CLASSES, [10, 11]).sum()))
    assert cls.loc[3] == pytest.approx(float((CLASSES == 30).sum()))
    assert float(t.loc["water", "area_km2"]) == pytest.approx(float((CLASSES == 210).sum()))
    assert float(t.loc["nodata", "area_km2"]) == pytest.approx(float((CLASSES == 0).sum()))
    assert t.attrs["units"]["area_km2"] == "km**2"


@pytest.mark.parametrize("chunked", [False, True], ids=["numpy", "dask"])
def test_class_areas_by_units_reprojects_with_a_warning(chunked):
    lc7 = _grid(CLASSES, chunked).unccd.recode(NESTING)
    units = gpd.GeoDataFrame({"id": ["w", "e"]}, geometry=[box(0, -4000, 3000, 0), box(3000, -4000, 6000, 0)],
                             crs="EPSG:6933")
    same = lc7.unccd.class_areas(codes=[1, 3], water_codes=[7], units=units, method="centre")
    with pytest.warns(ReprojectionWarning, match="reprojected"):
        moved = lc7.unccd.class_areas(codes=[1, 3], water_codes=[7], units=units.to_crs("EPSG:4326"), method="centre")
    pd.testing.assert_series_equal(same["area_km2"], moved["area_km2"], rtol=1e-9)
    west = same[(same.level == "unit") & (same.unit == "w") & (same.kind == "class")].set_index("class")["area_km2"]
    assert west.loc[1] == pytest.approx(float(np.isin(CLASSES[:, :3], [10, 11]).sum()))


def test_numpy_and_dask_give_the_same_spi():
    rng = np.random.default_rng(0)
    months = pd.date_range("1981-01-01", "2012-12-01", freq="MS")
    values = rng.gamma(2.0, 30.0, size=(months.size, 2, 3)).astype("float32")
    da = xr.DataArray(values, dims=("time", "y", "x"), coords={"time": months, "y": [1.5, 0.5], "x": [0.5, 1.5, 2.5]},
                      attrs={"units": "mm/month"}).rio.write_crs("EPSG:4326")
    eager = da.unccd.spi(scale=3, month=None)
    lazy = da.chunk({"y": 1, "x": 2}).unccd.spi(scale=3, month=None)
    assert lazy.chunks is not None
    xr.testing.assert_allclose(eager, lazy.compute())
    assert eager.rio.crs.to_epsg() == 4326
    assert eager.attrs["spi_scale_months"] == 3


def test_accessor_errors_are_ours():
    lc = _grid(CLASSES, False)
    with pytest.raises(ArgumentError, match="nesting, mapping"):
        lc.unccd.recode()
    with pytest.raises(IndicatorsError, match="nesting"):
        lc.unccd.recode({"a": 1})
    with pytest.raises(ArgumentError, match="codes"):
        lc.unccd.class_areas()


def test_accessor_registered_on_import_in_either_order():
    for code in ("import indicators, xarray as xr; print(hasattr(xr.DataArray, 'unccd'))",
                 "import xarray as xr, indicators; print(hasattr(xr.DataArray, 'unccd'))"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
        assert out == "True", code


@pytest.mark.parametrize("chunked", [False, True])
def test_bad_arguments_are_argument_errors_as_the_api_guide_says(chunked):
    # docs/python-api.md "Errors": not a DataArray, an empty array, floats where class codes are expected, no CRS
    lc = _grid(CLASSES, chunked)
    with pytest.raises(ArgumentError, match="expected an xarray.DataArray, got ndarray"):
        indicators.nest_land_cover(np.zeros((3, 3), "uint8"), NESTING)
    with pytest.raises(ArgumentError, match="empty array"):
        indicators.nest_land_cover(lc.isel(x=slice(0, 0)), NESTING)
    with pytest.raises(ArgumentError, match=r"not whole numbers \(the first \d+\.5\)"):
        indicators.nest_land_cover(lc.astype("float32") + 0.5, NESTING).compute()
    with pytest.raises(ArgumentError, match="not whole numbers"):
        (lc.astype("float32") + 0.5).unccd.recode(NESTING).compute()
    with pytest.raises(ArgumentError, match="no CRS"):
        indicators.cell_area(xr.DataArray(CLASSES, dims=("y", "x"), coords={"y": lc["y"].values, "x": lc["x"].values}))
    for bad in ([1, 2, 3], "EPSG:4326", 7):
        with pytest.raises(ArgumentError, match="cannot read a grid"):
            indicators.cell_area(bad)
    # whole-number floats with NaN (a masked class raster) are class codes
    masked = lc.astype("float32").where(lc != 30)
    assert np.array_equal(np.asarray(indicators.nest_land_cover(masked, NESTING)),
                          np.asarray(indicators.nest_land_cover(lc.where(lc != 30, 0), NESTING)))

"""Bad arguments to the public functions raise our own errors (IndicatorsError), never a bare ValueError,
KeyError or TypeError from deep inside numpy or pandas (issue 17, item 4). Hypothesis draws the bad arguments."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rioxarray  # noqa: F401
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

import indicators
from indicators.errors import IndicatorsError

FW = indicators.load_framework()
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def grid(values, crs="EPSG:4326") -> xr.DataArray:
    values = np.asarray(values)
    ny, nx = values.shape[-2:]
    da = xr.DataArray(values, dims=("y", "x"), coords={"y": 45.0 - 0.01 * np.arange(ny), "x": 10.0 + 0.01 * np.arange(nx)})
    return da.rio.write_crs(crs) if crs else da


GOOD = grid(np.array([[10, 11], [30, 210]], dtype="uint8"))

scalars = st.one_of(st.text(max_size=4), st.floats(allow_nan=True), st.none(), st.booleans(),
                    st.integers(-10**6, 10**6), st.lists(st.integers(), max_size=2))
# a malformed nesting: not {int parent: [int children]} (e.g. {"a": 1}, {1: "x"}, {1: [1.5]}, [...])
bad_nesting = st.one_of(
    st.dictionaries(st.text(min_size=1, max_size=3).filter(lambda t: not t.strip().lstrip("-").isdigit()),
                    st.lists(st.integers(0, 255), max_size=2), min_size=1, max_size=3),
    st.dictionaries(st.integers(1, 7), st.one_of(st.text(max_size=3), st.integers(), st.none(),
                                                  st.lists(st.one_of(st.text(min_size=1, max_size=2).filter(
                                                      lambda t: not t.strip().lstrip("-").isdigit()),
                                                      st.floats(allow_nan=True).filter(lambda f: f != int(f) if f == f and abs(f) < 1e300 else True)),
                                                      min_size=1, max_size=2)), min_size=1, max_size=3),
    st.lists(st.dictionaries(st.sampled_from(["parent", "kids", "p"]), scalars, max_size=2), min_size=1, max_size=2),
    st.integers(), st.text(max_size=5), st.just({}),
)


@SETTINGS
@given(bad_nesting)
def test_malformed_nesting_is_our_error(nesting):
    with pytest.raises(IndicatorsError, match="nesting"):
        indicators.nest_land_cover(GOOD, nesting)
    with pytest.raises(IndicatorsError, match="nesting"):
        GOOD.unccd.recode(nesting if not isinstance(nesting, str) else {nesting: [1]})


bad_arrays = st.one_of(
    st.just(np.zeros((0, 3), dtype="uint8")),                                   # empty
    st.just(np.array([[0.5, 1.5], [2.0, np.nan]])),                              # floats where classes are
    st.just(np.array([["a", "b"], ["c", "d"]])),                                 # strings
    st.just(np.array([[True, False], [False, True]])),                           # booleans
)


@SETTINGS
@given(bad_arrays, st.booleans())
def test_bad_class_arrays_are_our_error(values, with_crs):
    da = grid(values, crs="EPSG:4326" if with_crs else None)
    for call in (lambda: indicators.class_area_table(da, codes=[1, 2]),
                 lambda: indicators.compute("SO1-2", lpd={"baseline": da}, periods=["baseline"], framework=FW),
                 lambda: indicators.compute("SO1-1", land_cover={2000: da, 2015: da}, periods=["baseline"], framework=FW)):
        with pytest.raises(IndicatorsError):
            call()


@SETTINGS
@given(st.one_of(scalars, st.just(np.ones((2, 2))), st.dictionaries(st.text(max_size=2), scalars, max_size=2)))
def test_not_a_dataarray_is_our_error(value):
    with pytest.raises(IndicatorsError, match="land_cover|lpd"):
        indicators.compute("SO1-4", land_cover=value, lpd=value, framework=FW)
    with pytest.raises(IndicatorsError):
        indicators.class_area_table(value, codes=[1])
    with pytest.raises(IndicatorsError):
        indicators.cell_area(value)


def test_missing_crs_is_our_error_naming_the_fix():
    bare = grid(np.array([[1, 2], [3, 1]], dtype="uint8"), crs=None)
    with pytest.raises(IndicatorsError, match="CRS"):
        indicators.class_area_table(bare, codes=[1, 2, 3])
    with pytest.raises(IndicatorsError, match="no CRS.*write_crs"):
        indicators.compute("SO1-2", lpd={"baseline": bare}, periods=["baseline"])
    units = gpd.GeoDataFrame({"id": [1]}, geometry=[box(9, 44, 11, 46)])  # no CRS
    with pytest.raises(IndicatorsError, match="no CRS"):
        indicators.zonal_class_areas(grid(np.array([[1, 2], [3, 1]], dtype="uint8")), units, codes=[1, 2, 3])


@SETTINGS
@given(st.one_of(st.dictionaries(st.text(max_size=3), scalars, max_size=3), scalars))
def test_malformed_lookup_and_matrix_are_our_error(table):
    three = grid(np.array([[1, 2], [3, 0]], dtype="uint8"))
    with pytest.raises(IndicatorsError):
        indicators.lpd_to_3class(three, mapping=table, nodata_codes=[0])
    with pytest.raises(IndicatorsError):
        indicators.land_cover_degradation(three, three, table)
    with pytest.raises(IndicatorsError):
        indicators.status(three, three, matrix=table, collapse=table)


@SETTINGS
@given(st.one_of(st.text(max_size=6), st.integers(), st.none()))
def test_unknown_indicator_or_names_are_our_error(code):
    with pytest.raises(IndicatorsError):
        indicators.compute(code, framework=FW)
    with pytest.raises(IndicatorsError):
        FW.nesting(str(code) + "_nope")


precip_bad = st.sampled_from(["strings", "empty", "no time", "not an array"])


@SETTINGS
@given(precip_bad)
def test_bad_precipitation_is_our_error(kind):
    import pandas as pd

    months = pd.date_range("1981-01-01", periods=24, freq="MS")
    values = {"strings": np.full((24, 2, 2), "a"), "empty": np.ones((0, 2, 2)), "no time": np.ones((2, 2)),
              "not an array": None}[kind]
    if values is None:
        da = [1.0, 2.0]
    else:
        dims = ("y", "x") if values.ndim == 2 else ("time", "y", "x")
        da = xr.DataArray(values, dims=dims, attrs={"units": "mm/month"})
        if "time" in dims:
            da = da.assign_coords(time=months[:values.shape[0]])
        da = da.rio.write_crs("EPSG:4326")
    calls = [lambda: indicators.spi(da, 3, (1981, 1982)), lambda: indicators.fit_spi(da, 3, (1981, 1982)),
             lambda: indicators.compute("SO3-1", precipitation=da, framework=FW)]
    if isinstance(da, xr.DataArray):
        calls.append(lambda: da.unccd.spi(framework=FW))
    for call in calls:
        with pytest.raises(IndicatorsError):
            call()

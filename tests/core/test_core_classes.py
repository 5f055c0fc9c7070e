"""classify_by_breaks, recode and flag_attrs: hand-checked cases, both boundary rules, numpy == dask."""

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.classes import classify_by_breaks, flag_attrs, recode

# SPI drought classes as in methodology D6: breaks -2, -1.5, -1, 0; codes from the
# most severe (lowest interval) up: 4 extreme, 3 severe, 2 moderate, 1 mild, 0 none.
BREAKS = [-2.0, -1.5, -1.0, 0.0]
CODES = [4, 3, 2, 1, 0]


@pytest.mark.parametrize(
    "value, manual, trends_earth",
    [
        (0.0, 1, 0),  # D6: SPI = 0 is mild; Trends.Earth: non-drought
        (-1.0, 2, 1),
        (-1.5, 3, 2),
        (-2.0, 4, 3),
        (0.3, 0, 0),
        (-0.5, 1, 1),
        (-2.5, 4, 4),
    ],
)
def test_boundary_rules(value, manual, trends_earth):
    x = np.array([value])
    assert classify_by_breaks(x, BREAKS, CODES, right_closed=True, nodata=255)[0] == manual
    assert classify_by_breaks(x, BREAKS, CODES, right_closed=False, nodata=255)[0] == trends_earth


def test_nan_gives_nodata_and_dtype():
    out = classify_by_breaks(np.array([np.nan, -3.0]), BREAKS, CODES, right_closed=True, nodata=255)
    assert out.dtype == np.uint8
    assert out.tolist() == [255, 4]


def test_breaks_must_increase_and_match_codes():
    with pytest.raises(ValueError, match="strictly increasing"):
        classify_by_breaks(np.zeros(1), [0, 0], [1, 2, 3], right_closed=True, nodata=0)
    with pytest.raises(ValueError, match="need 3 codes"):
        classify_by_breaks(np.zeros(1), [0, 1], [1, 2], right_closed=True, nodata=0)


def test_dataarray_is_lazy_and_equal_to_numpy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 30))
    x[3, 4] = np.nan
    lazy = xr.DataArray(da.from_array(x, chunks=(7, 11)), dims=("y", "x"))
    out = classify_by_breaks(lazy, BREAKS, CODES, right_closed=True, nodata=255)
    assert isinstance(out.data, da.Array)
    assert out.attrs["class_interval_rule"] == "(lower, upper]"
    np.testing.assert_array_equal(out.values, classify_by_breaks(x, BREAKS, CODES, right_closed=True, nodata=255))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=50))
def test_every_value_gets_exactly_one_class(vals):
    x = np.array(vals)
    out = classify_by_breaks(x, BREAKS, CODES, right_closed=True, nodata=255)
    # interval membership checked against the definition, value by value
    for v, c in zip(x, out):
        lo = {4: -np.inf, 3: -2.0, 2: -1.5, 1: -1.0, 0: 0.0}[int(c)]
        hi = {4: -2.0, 3: -1.5, 2: -1.0, 1: 0.0, 0: np.inf}[int(c)]
        assert lo < v <= hi


def test_recode_lookup_nodata_and_default():
    lpd = np.array([0, 1, 2, 3, 4, 5, 15, 9])
    to3 = {1: 1, 2: 1, 3: 2, 4: 2, 5: 3}
    out = recode(lpd, to3, nodata=255, input_nodata=[0, 15])
    assert out.tolist() == [255, 1, 1, 2, 2, 3, 255, 255]
    out = recode(lpd, to3, nodata=255, input_nodata=[0, 15], default=7)
    assert out.tolist() == [255, 1, 1, 2, 2, 3, 255, 7]
    assert recode(np.array([np.nan, 3.0]), to3, nodata=255).tolist() == [255, 2]


def test_flag_attrs():
    a = flag_attrs([1, 2], ["Tree-covered areas", "Grass land"], nodata=255, long_name="land cover")
    assert a["flag_values"] == [1, 2]
    assert a["flag_meanings"] == "tree_covered_areas grass_land"
    assert a["nodata"] == 255
    with pytest.raises(ValueError):
        flag_attrs([1], ["a", "b"], nodata=0, long_name="x")


def test_crs_coordinate_survives_classification():
    import rioxarray  # noqa: F401  (registers the .rio accessor)

    x = xr.DataArray(np.array([[-3.0, 0.5]]), dims=("y", "x"), coords={"y": [1.0], "x": [0.0, 1.0]})
    x = x.rio.write_crs("EPSG:4326")
    assert classify_by_breaks(x, BREAKS, CODES, right_closed=True, nodata=255).rio.crs == x.rio.crs
    assert recode(x.astype("int64"), {0: 1}, nodata=255).rio.crs == x.rio.crs


SMALL_INTS = ["uint8", "int8", "uint16", "int16"]


@settings(max_examples=60, deadline=None)
@given(
    dtype=st.sampled_from(SMALL_INTS),
    data=st.data(),
    default=st.none() | st.integers(1, 250),
)
def test_recode_table_path_equals_general_path(dtype, data, default):
    # 8/16-bit integers go through a table over the dtype; int64 through the searchsorted kernel;
    # both must equal a per-value dictionary look-up, nodata and unmapped codes included
    info = np.iinfo(dtype)
    code = st.integers(int(info.min), int(info.max))
    few = st.sampled_from([int(info.min), -1 if info.min < 0 else 0, 0, 1, 2, 3, 15, int(info.max)])
    values = np.asarray(data.draw(st.lists(code | few, min_size=1, max_size=40)), dtype=dtype).reshape(-1, 1)
    mapping = data.draw(st.dictionaries(code | few, st.integers(0, 250), min_size=1, max_size=8))
    input_nodata = data.draw(st.lists(code | few, max_size=3))
    kw = dict(nodata=255, default=default, input_nodata=input_nodata)
    fast = recode(values, mapping, **kw)
    general = recode(values.astype("int64"), mapping, **kw)
    expected = [255 if v in input_nodata else mapping.get(v, 255 if default is None else default)
                for v in values.ravel().tolist()]
    assert fast.dtype == general.dtype == np.uint8
    assert fast.ravel().tolist() == expected
    np.testing.assert_array_equal(fast, general)


def test_recode_table_path_on_non_contiguous_and_dask_blocks():
    x = np.arange(60, dtype="uint16").reshape(6, 10)[:, ::3]  # a strided view
    mapping = {3: 1, 9: 2, 57: 3}
    expected = np.where(x == 3, 1, np.where(x == 9, 2, np.where(x == 57, 3, 0)))
    np.testing.assert_array_equal(recode(x, mapping, nodata=0), expected)
    lazy = recode(xr.DataArray(x, dims=("y", "x")).chunk({"y": 2}), mapping, nodata=0)
    assert lazy.chunks is not None
    np.testing.assert_array_equal(lazy.values, expected)

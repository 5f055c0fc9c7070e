"""The uint8/float fast paths of the SO1 functions equal their numpy reference kernels (properties)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from indicators.so1.land_cover import land_cover_degradation, nest_land_cover
from indicators.so1.productivity import clean_lpd, lpd_to_3class
from indicators.so1.sdg import one_out_all_out, status
from indicators.so1.soc_change import _soc_classes_reference, soc_degradation

SHAPE = (5, 7)
u8 = arrays(np.uint8, SHAPE, elements=st.integers(0, 255) | st.integers(0, 9))
small = arrays(np.uint8, SHAPE, elements=st.integers(0, 5))

STATUS_MATRIX = {-1: {-1: 1, 0: 2, 1: 3}, 0: {-1: 2, 0: 4, 1: 5}, 1: {-1: 3, 0: 6, 1: 7}}  # an arbitrary full matrix
COLLAPSE = {1: -1, 2: -1, 3: 0, 4: 0, 5: 1, 6: 1, 7: 1}


def da(a) -> xr.DataArray:
    return xr.DataArray(a, dims=("y", "x"))


def same(fast: xr.DataArray, ref: xr.DataArray) -> None:
    assert fast.dtype == ref.dtype == np.uint8
    np.testing.assert_array_equal(fast.values, ref.values)


@settings(max_examples=40, deadline=None)
@given(a=u8, b=u8)
def test_so1_fast_land_cover_degradation_equals_reference(a, b, unccd_matrix):
    # int16 inputs take the numpy reference path (lookup2); uint8 the tabulated numba path
    same(land_cover_degradation(da(a), da(b), unccd_matrix),
         land_cover_degradation(da(a.astype("int16")), da(b.astype("int16")), unccd_matrix))


@settings(max_examples=40, deadline=None)
@given(x=u8, nod=st.lists(st.integers(0, 255), max_size=3))
def test_so1_fast_lpd_recodes_equal_reference(x, nod):
    mapping = {1: -1, 2: "degraded", 3: 0, 4: 0, 5: 1}
    same(lpd_to_3class(da(x), mapping=mapping, nodata_codes=nod),
         lpd_to_3class(da(x.astype("int32")), mapping=mapping, nodata_codes=nod))
    same(clean_lpd(da(x), nodata_codes=nod), clean_lpd(da(x.astype("int32")), nodata_codes=nod))
    x16 = x.astype("uint16") * 257  # spread over the 16-bit range
    nesting = {1: [0, 257, 514], 2: [771], 7: [65535]}
    same(nest_land_cover(da(x16), nesting, nodata_codes=[514]),
         nest_land_cover(da(x16.astype("int64")), nesting, nodata_codes=[514]))


@settings(max_examples=60, deadline=None)
@given(layers=st.lists(u8 | small, min_size=2, max_size=3), rule=st.sampled_from(["degraded_wins", "any_nodata"]))
def test_so1_fast_one_out_all_out_equals_reference(layers, rule):
    fast = one_out_all_out(*[da(a) for a in layers[:2]], da(layers[2]) if len(layers) == 3 else None,
                           nodata_rule=rule)
    ref = one_out_all_out(*[da(a.astype("int16")) for a in layers[:2]],
                          da(layers[2].astype("int16")) if len(layers) == 3 else None, nodata_rule=rule)
    same(fast, ref)


@settings(max_examples=40, deadline=None)
@given(b=u8 | small, p=u8 | small)
def test_so1_fast_status_equals_reference(b, p):
    fast = status(da(b), da(p), matrix=STATUS_MATRIX, collapse=COLLAPSE)
    ref = status(da(b.astype("int16")), da(p.astype("int16")), matrix=STATUS_MATRIX, collapse=COLLAPSE)
    same(fast["status_expanded"], ref["status_expanded"])
    same(fast["status"], ref["status"])


specials = st.sampled_from([0.0, -0.0, -1.0, 100.0, 110.0, 90.0, np.nan, np.inf, -np.inf, 1e-30, 1e30])
stocks = st.floats(allow_nan=True, allow_infinity=True, width=32) | specials


@settings(max_examples=80, deadline=None)
@given(a=arrays(np.float32, SHAPE, elements=stocks), b=arrays(np.float32, SHAPE, elements=stocks),
       threshold=st.sampled_from([0.0, 10.0, 12.5]) | st.floats(0, 200), inclusive=st.booleans(),
       dtype=st.sampled_from(["float32", "float64"]))
def test_so1_fast_soc_classes_equal_reference(a, b, threshold, inclusive, dtype):
    a, b = a.astype(dtype), b.astype(dtype)
    fast = soc_degradation(da(a), da(b), threshold=threshold, inclusive=inclusive, zero_initial_is_nodata=True)
    ref = _soc_classes_reference(a, b, threshold, inclusive)
    np.testing.assert_array_equal(fast.values, ref)


def test_so1_fast_soc_boundaries_by_hand():
    # +10 % exactly: stable when exclusive (D11 default), improved when inclusive; NaN/zero initial stock: nodata
    a = np.array([[100, 100, 100, 0, np.nan, 50]], np.float32)
    b = np.array([[110, 90, 111, 5, 10, np.nan]], np.float32)
    assert soc_degradation(da(a), da(b), threshold=10, inclusive=False, zero_initial_is_nodata=True).values.tolist() == [[2, 2, 3, 0, 0, 0]]
    assert soc_degradation(da(a), da(b), threshold=10, inclusive=True, zero_initial_is_nodata=True).values.tolist() == [[3, 1, 3, 0, 0, 0]]


def test_so1_fast_paths_dask_chunks_equal_numpy(unccd_matrix):
    rng = np.random.default_rng(3)
    a, b, lpd = (rng.integers(0, 8, (40, 30)).astype(np.uint8) for _ in range(3))
    s0, s1 = (rng.uniform(0, 100, (40, 30)).astype(np.float32) for _ in range(2))

    def chain(wrap):
        lc = land_cover_degradation(wrap(a), wrap(b), unccd_matrix)
        pr = lpd_to_3class(wrap(lpd), mapping={1: -1, 2: -1, 3: 0, 4: 0, 5: 1}, nodata_codes=[0])
        so = soc_degradation(wrap(s0), wrap(s1), threshold=10, inclusive=False, zero_initial_is_nodata=True)
        sdg = one_out_all_out(pr, lc, so, nodata_rule="degraded_wins")
        return status(sdg, lc, matrix=STATUS_MATRIX, collapse=COLLAPSE)["status_expanded"]

    lazy = chain(lambda x: da(x).chunk({"y": 7, "x": 11}))
    assert lazy.chunks is not None
    np.testing.assert_array_equal(lazy.values, chain(da).values)


@pytest.mark.parametrize("codes", [[0, 1, 2, 3, 4, 200]])
def test_so1_fast_one_out_all_out_by_hand(codes):
    # D12: degraded wins over nodata (degraded_wins); 4 and 200 are not 3-class codes: nodata
    p = np.array([[1, 0, 3, 2, 200, 4]], np.uint8)
    lc = np.array([[0, 1, 2, 2, 2, 3]], np.uint8)
    assert one_out_all_out(da(p), da(lc), None, nodata_rule="degraded_wins").values.tolist() == [[1, 1, 3, 2, 0, 0]]
    assert one_out_all_out(da(p), da(lc), None, nodata_rule="any_nodata").values.tolist() == [[0, 0, 3, 2, 0, 0]]

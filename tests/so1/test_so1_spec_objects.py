"""SO1 functions take the typed spec objects (Nesting, Matrix, LookupTable) as they are, and their dumps."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import indicators
from indicators.so1.encoding import as_plain
from indicators.so1.land_cover import land_cover_degradation, nest_land_cover
from indicators.so1.productivity import combination_lut, combine_metrics, lpd_to_3class
from indicators.so1.sdg import status


@pytest.fixture(scope="module")
def fw():
    return indicators.load_framework(edition="2026", profile="default")


def da(values, dtype="uint8") -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype=dtype), dims=("x",))


def test_as_plain_dumps_models_and_leaves_plain_data(fw):
    matrix = as_plain(fw.matrix(fw.parameters("land_cover").transition_matrix))
    assert isinstance(matrix, dict) and "from" in matrix["rows"][0]  # the alias, as in the YAML
    plain = {"rows": [{"when": [1], "then": [-1]}]}
    assert as_plain(plain) is plain


def test_nesting_object_esa_to_unccd(fw):
    nesting = fw.nesting(fw.parameters("land_cover").nesting)
    # ESA CCI 10 rainfed cropland -> 3, 50 broadleaved evergreen tree cover -> 1, 210 water -> 7, 0 nodata
    esa = da([10, 50, 210, 0])
    out = nest_land_cover(esa, nesting, nodata_codes=[0])
    assert out.values.tolist() == [3, 1, 7, 0]
    np.testing.assert_array_equal(out.values, nest_land_cover(esa, nesting.model_dump(mode="json"),
                                                              nodata_codes=[0]).values)


def test_matrix_object_default_transitions(fw):
    matrix = fw.matrix(fw.parameters("land_cover").transition_matrix)
    # Part B §2.3: tree -> crop degraded, crop -> tree improved, grass -> grass stable, nodata on one date
    ini, fin = da([1, 3, 2, 0]), da([3, 1, 2, 1])
    out = land_cover_degradation(ini, fin, matrix)
    assert out.values.tolist() == [1, 3, 2, 0]
    dumped = matrix.model_dump(mode="json", by_alias=True)
    np.testing.assert_array_equal(out.values, land_cover_degradation(ini, fin, dumped).values)


def test_lookup_table_object_lpd_to_3class(fw):
    table = fw.lookup_table(fw.parameters("productivity").lpd_to_3class)
    # Part B §2.4 Table 13: 1, 2 degraded; 3, 4 stable; 5 improved
    out = lpd_to_3class(da([1, 2, 3, 4, 5, 0]), mapping=table, nodata_codes=[0])
    assert out.values.tolist() == [1, 1, 2, 2, 3, 0]


def test_combination_table_object_and_none_codes(fw):
    table = fw.lookup_table(fw.parameters("productivity").combination_table)
    from_object = combination_lut(table, output="lpd")
    # the plain dump keeps keys without codes as None: read as the default (the whole legend)
    dumped = table.model_dump(mode="json")
    assert any(k["codes"] is None for k in dumped["keys"])
    np.testing.assert_array_equal(combination_lut(dumped, output="lpd"), from_object)
    np.testing.assert_array_equal(combination_lut(table.model_dump(mode="json", exclude_none=True), output="lpd"),
                                  from_object)
    # table (b): improving trajectory, stable state, not degraded performance -> 5 increasing;
    # degrading trajectory, degrading state, degraded performance -> 1 declining
    t, s, p = da([3, 1]), da([2, 1]), da([2, 1])
    assert combine_metrics(t, s, p, table=table, output="lpd").values.tolist() == [5, 1]


def test_none_codes_are_not_binary():
    # a key with codes None is a full 3-class key: its 0 means stable, not "not degraded"
    rows = [{"when": [-1, "*", "*"], "then": [1]}, {"when": [0, "*", "*"], "then": [2]},
            {"when": [1, "*", "*"], "then": [3]}]
    with_none = {"keys": [{"name": "trajectory", "codes": None}, {"name": "state", "codes": None},
                          {"name": "performance", "codes": [-1, 0]}],
                 "outputs": [{"name": "lpd", "codes": None}], "rows": rows}
    lut = combination_lut(with_none, output="lpd")
    assert lut[1, 2, 1] == 1 and lut[2, 3, 2] == 2 and lut[3, 1, 1] == 3


def test_status_with_lookup_table_objects(fw):
    params = fw.parameters("status")
    matrix, collapse = fw.lookup_table(params.matrix), fw.lookup_table(params.collapse)
    # Addendum (Part B §2.7): degraded -> degraded persistent (1), stable -> degraded recent (2),
    # stable -> stable (4), improved -> improved persistent (7)
    base, period = da([1, 2, 2, 3, 0]), da([1, 1, 2, 3, 2])
    ds = status(base, period, matrix=matrix, collapse=collapse)
    assert ds.status_expanded.values.tolist() == [1, 2, 4, 7, 0]
    assert ds.status.values.tolist() == [1, 1, 2, 3, 0]
    dumped = status(base, period, matrix=matrix.model_dump(mode="json"), collapse=collapse.model_dump(mode="json"))
    np.testing.assert_array_equal(ds.status_expanded.values, dumped.status_expanded.values)

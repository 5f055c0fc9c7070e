"""SO1-1 land cover: nesting, transition codes and every cell of the default transition matrix."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from indicators.errors import SpecError
from indicators.so1.land_cover import land_cover_degradation, land_cover_transitions, nest_land_cover

# ESA CCI -> UNCCD nesting as in Part B §2.2 (Trends.Earth variant with 150 under grassland)
ESA_NESTING = {
    1: [50, 60, 61, 62, 70, 71, 72, 80, 81, 82, 90, 100],
    2: [110, 120, 121, 122, 130, 140, 150, 151, 152, 153],
    3: [10, 11, 12, 20, 30, 40],
    4: [160, 170, 180],
    5: [190],
    6: [200, 201, 202, 220],
    7: [210],
}


def _pair_grids():
    """7 × 7 grids: row i holds initial class i+1, column j final class j+1."""
    ini = np.repeat(np.arange(1, 8, dtype="uint8")[:, None], 7, axis=1)
    fin = np.repeat(np.arange(1, 8, dtype="uint8")[None, :], 7, axis=0)
    return xr.DataArray(ini, dims=("y", "x")), xr.DataArray(fin, dims=("y", "x"))


@pytest.mark.parametrize("chunked", [False, True])
def test_every_cell_of_the_default_matrix(unccd_matrix, chunked):
    ini, fin = _pair_grids()
    if chunked:
        ini, fin = ini.chunk({"y": 3, "x": 2}), fin.chunk({"y": 2, "x": 5})
    out = land_cover_degradation(ini, fin, unccd_matrix)
    expected_code = {"-": 1, "0": 2, "+": 3}
    got = out.values
    for i in range(7):
        for j in range(7):
            assert got[i, j] == expected_code[unccd_matrix[i + 1][j + 1]], (i + 1, j + 1)
    # spot checks read straight from the manual's Table 9
    assert got[0, 2] == 1  # tree -> crop: deforestation
    assert got[1, 0] == 3  # grass -> tree: afforestation
    assert got[5, 4] == 1  # other -> artificial: urban expansion
    assert got[4, 5] == 3  # artificial -> other: withdrawal of settlements
    assert (got[6, :] == 2).all() and (got[:, 6] == 2).all()  # water is always stable
    assert out.dtype == np.uint8
    assert out.attrs["flag_values"] == [1, 2, 3]


def test_matrix_as_signed_2d_list_gives_same_result(unccd_matrix):
    ini, fin = _pair_grids()
    signed = [[{"-": -1, "0": 0, "+": 1}[unccd_matrix[i][j]] for j in range(1, 8)] for i in range(1, 8)]
    a = land_cover_degradation(ini, fin, signed, codes=list(range(1, 8)))
    b = land_cover_degradation(ini, fin, unccd_matrix)
    np.testing.assert_array_equal(a.values, b.values)


def test_nodata_on_either_date_is_nodata(unccd_matrix):
    ini = xr.DataArray(np.array([[0, 1, 1, 9]], dtype="uint8"), dims=("y", "x"))
    fin = xr.DataArray(np.array([[1, 0, 3, 1]], dtype="uint8"), dims=("y", "x"))
    out = land_cover_degradation(ini, fin, unccd_matrix)
    assert out.values.tolist() == [[0, 0, 1, 0]]


def test_incomplete_matrix_is_refused(unccd_matrix):
    bad = {k: dict(v) for k, v in unccd_matrix.items()}
    del bad[3][5]
    ini, fin = _pair_grids()
    with pytest.raises(SpecError, match=r"\(3, 5\)"):
        land_cover_degradation(ini, fin, bad)


def test_nesting_esa_to_unccd():
    esa = xr.DataArray(np.array([[10, 50, 150, 210], [190, 220, 0, 999]]), dims=("y", "x"))
    out = nest_land_cover(esa, ESA_NESTING, nodata_codes=[0])
    assert out.values.tolist() == [[3, 1, 2, 7], [5, 6, 0, 0]]
    assert out.dtype == np.uint8
    assert out.attrs["flag_values"] == [1, 2, 3, 4, 5, 6, 7]
    assert out.attrs["flag_meanings"].split()[0] == "tree_covered_areas"


def test_nesting_lists_each_code_once():
    with pytest.raises(SpecError, match="50"):
        nest_land_cover(xr.DataArray(np.array([50])), {1: [50], 2: [50]})


def test_transition_codes():
    ini, fin = _pair_grids()
    t = land_cover_transitions(ini, fin, codes=range(1, 8))
    assert t.dtype == np.uint16
    assert t.values[0, 0] == 11 and t.values[2, 4] == 35 and t.values[6, 6] == 77
    t0 = land_cover_transitions(ini.where(ini != 2, 0), fin, codes=range(1, 8))
    assert (t0.values[1, :] == 0).all()


def test_spec_forms_of_matrix_and_nesting(unccd_matrix):
    signed = {"-": -1, "0": 0, "+": 1}
    spec_matrix = {"columns": list(range(1, 8)),
                   "rows": [{"from": i, "values": [signed[unccd_matrix[i][j]] for j in range(1, 8)]}
                            for i in range(1, 8)]}
    ini, fin = _pair_grids()
    a = land_cover_degradation(ini, fin, spec_matrix)
    b = land_cover_degradation(ini, fin, unccd_matrix)
    np.testing.assert_array_equal(a.values, b.values)
    groups = [{"parent": k, "children": v} for k, v in ESA_NESTING.items()]
    esa = xr.DataArray(np.array([10, 50, 210]), dims=("x",))
    assert nest_land_cover(esa, groups).values.tolist() == [3, 1, 7]

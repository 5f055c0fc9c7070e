"""SO1-4 / SDG 15.3.1: one out all out with nodata, all nine status cells, recode polygons."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pytest
import xarray as xr
from shapely.geometry import box

from indicators.errors import SpecError
from indicators.so1 import sdg as G
from indicators.so1.encoding import to_signed

# Part B §2.7 (Addendum) expanded status matrix and its collapse, as the specs write them
STATUS_MATRIX = {
    "degraded": {"degraded": 1, "stable": 3, "improved": 6},
    "stable": {"degraded": 2, "stable": 4, "improved": 6},
    "improved": {"degraded": 2, "stable": 5, "improved": 7},
}
COLLAPSE = {1: "degraded", 2: "degraded", 3: "degraded", 4: "stable", 5: "improved", 6: "improved", 7: "improved"}


def row(values):
    return xr.DataArray(np.array([values], dtype="uint8"), dims=("y", "x"))


# (productivity, land cover, soc) -> expected, D = 1, S = 2, I = 3, N = 0 (nodata)
HAND = [
    ((2, 2, 2), 2, 2),
    ((3, 2, 2), 3, 3),  # one improved, nothing degraded
    ((3, 2, 1), 1, 1),  # SOC degraded wins over improved productivity
    ((2, 3, 2), 3, 3),
    ((1, 3, 3), 1, 1),
    ((0, 1, 2), 1, 0),  # degraded beats nodata under D12; Trends.Earth: nodata
    ((2, 2, 0), 0, 0),  # water: SOC nodata -> nodata either way
    ((3, 0, 2), 0, 0),
    ((0, 0, 0), 0, 0),
]


@pytest.mark.parametrize("inputs, d12, te", HAND)
def test_one_out_all_out_hand_cases(inputs, d12, te):
    p, lc, soc = (row([v]) for v in inputs)
    assert int(G.one_out_all_out(p, lc, soc, nodata_rule="degraded_wins").item()) == d12
    assert int(G.one_out_all_out(p, lc, soc, nodata_rule="any_nodata").item()) == te


def test_one_out_all_out_all_combinations():
    combos = list(itertools.product((0, 1, 2, 3), repeat=3))
    p, lc, soc = (row([c[k] for c in combos]) for k in range(3))
    d12 = G.one_out_all_out(p, lc, soc, nodata_rule="degraded_wins").values[0]
    te = G.one_out_all_out(p.chunk({"x": 7}), lc, soc, nodata_rule="any_nodata").values[0]
    for c, a, b in zip(combos, d12, te):
        if 1 in c:
            assert a == 1
            assert b == (0 if 0 in c else 1)
        elif 0 in c:
            assert a == 0 and b == 0
        else:
            assert a == b == (3 if 3 in c else 2)


def test_one_out_all_out_without_soc_and_rule_check():
    assert int(G.one_out_all_out(row([2]), row([3]), None, nodata_rule="any_nodata").item()) == 3
    with pytest.raises(SpecError):
        G.one_out_all_out(row([2]), row([3]), None, nodata_rule="whatever")


# All nine cells written out by hand from the Addendum table: (baseline, period) -> (expanded, simple)
NINE = {
    (1, 1): (1, 1), (1, 2): (3, 1), (1, 3): (6, 3),
    (2, 1): (2, 1), (2, 2): (4, 2), (2, 3): (6, 3),
    (3, 1): (2, 1), (3, 2): (5, 3), (3, 3): (7, 3),
}


def test_all_nine_status_cells_and_nodata():
    cells = list(NINE) + [(0, 2), (2, 0)]
    b = row([c[0] for c in cells])
    p = row([c[1] for c in cells])
    ds = G.status(b, p, matrix=STATUS_MATRIX, collapse=COLLAPSE)
    assert ds.status_expanded.values[0].tolist() == [NINE[c][0] for c in NINE] + [0, 0]
    assert ds.status.values[0].tolist() == [NINE[c][1] for c in NINE] + [0, 0]
    assert ds.status_expanded.attrs["flag_values"] == [1, 2, 3, 4, 5, 6, 7]
    assert "persistent_degradation" in ds.status_expanded.attrs["flag_meanings"]


def test_status_matrix_signed_keys_and_incomplete():
    signed = {-1: {-1: 1, 0: 3, 1: 6}, 0: {-1: 2, 0: 4, 1: 6}, 1: {-1: 2, 0: 5, 1: 7}}
    b, p = row([1, 3]), row([3, 2])
    ds = G.status(b, p, matrix=signed, collapse=COLLAPSE)
    assert ds.status_expanded.values[0].tolist() == [6, 5]
    bad = {k: dict(v) for k, v in STATUS_MATRIX.items()}
    del bad["stable"]["improved"]
    with pytest.raises(SpecError, match="incomplete"):
        G.status(b, p, matrix=bad, collapse=COLLAPSE)


def test_to_signed_trends_earth_encoding():
    out = to_signed(row([0, 1, 2, 3]).rename("sdg"))
    assert out.dtype == np.int16 and out.values[0].tolist() == [-32768, -1, 0, 1]


def _grid_4x4(values):
    # 4 x 4 cells of 1 unit, x 0..4, y 4..0 (north up)
    return xr.DataArray(np.asarray(values, dtype="uint8"), dims=("y", "x"),
                        coords={"y": [3.5, 2.5, 1.5, 0.5], "x": [0.5, 1.5, 2.5, 3.5]})


def test_recode_polygons_apply_per_period():
    sdg = _grid_4x4([[1, 1, 2, 3]] * 4)
    polys = gpd.GeoDataFrame({
        "periods_affected": ["baseline", "report_1, report_2"],
        "recode_deg_to": [0, None],          # false negative: degraded -> stable
        "recode_stable_to": [None, -1],      # false positive: stable -> degraded
        "recode_imp_to": [None, "nodata"],
    }, geometry=[box(0, 2, 2, 4), box(2, 0, 4, 2)])  # top-left 2x2, bottom-right 2x2
    base = G.apply_recodes(sdg, polys, period="baseline")
    assert base.sdg.values.tolist() == [[2, 2, 2, 3], [2, 2, 2, 3], [1, 1, 2, 3], [1, 1, 2, 3]]
    assert base.recode_polygon.values.tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 2, 2], [0, 0, 2, 2]]
    rep = G.apply_recodes(sdg, polys, period="report_1")
    assert rep.sdg.values.tolist() == [[1, 1, 2, 3], [1, 1, 2, 3], [1, 1, 1, 0], [1, 1, 1, 0]]
    lazy = G.apply_recodes(sdg.chunk({"y": 3, "x": 3}), polys, period="report_1")
    assert lazy.sdg.chunks is not None
    np.testing.assert_array_equal(lazy.sdg.values, rep.sdg.values)
    np.testing.assert_array_equal(lazy.recode_polygon.values, rep.recode_polygon.values)


def test_recode_polygons_on_a_lazy_layer_with_a_crs_and_a_year():
    """A dask layer opened by rioxarray carries spatial_ref (its CRS) and often a scalar year:
    the recode works on it and keeps both."""
    import rioxarray  # noqa: F401  (registers .rio)

    sdg = _grid_4x4([[1, 1, 2, 3]] * 4).rio.write_crs("EPSG:3035").assign_coords(year=2019)
    polys = gpd.GeoDataFrame({"periods_affected": ["report_1"], "recode_deg_to": [0], "recode_stable_to": [None],
                              "recode_imp_to": [None]}, geometry=[box(0, 0, 2, 4)], crs="EPSG:3035")
    out = G.apply_recodes(sdg.chunk({"y": 2, "x": 2}), polys, period="report_1")
    # degraded (1) in the left half becomes stable (2); the right half is unchanged
    assert out.sdg.values.tolist() == [[2, 2, 2, 3]] * 4
    assert out.sdg.rio.crs == sdg.rio.crs and int(out.sdg.year) == 2019
    assert out.recode_polygon.rio.crs == sdg.rio.crs


def test_status_from_the_specs_lookup_tables():
    matrix = {"rows": [{"when": [b, p], "then": [NINE[(b + 2, p + 2)][0]]} for b in (-1, 0, 1) for p in (-1, 0, 1)]}
    collapse = {"rows": [{"when": [k], "then": [{1: -1, 2: -1, 3: -1, 4: 0, 5: 1, 6: 1, 7: 1}[k]]} for k in range(1, 8)]}
    cells = list(NINE)
    ds = G.status(row([c[0] for c in cells]), row([c[1] for c in cells]), matrix=matrix, collapse=collapse)
    assert ds.status.values[0].tolist() == [NINE[c][1] for c in cells]

"""SO1-1 with regional transition matrices (D28), on a hand-made 4 × 4 grid.

Every cell goes from tree cover (1) to grassland (2). The national matrix calls that degradation, region A's
stable, region B's improvement; so the same transition is judged three ways, by where the cell's centre lies.

Grid: cells 1 m wide, x centres 0.5 … 3.5 (columns 0–3), y centres 3.5 … 0.5 (rows 0–3, north up), EPSG:3857.
Region A = box(0, 2, 2, 4): the centres of rows 0–1, columns 0–1. Region B = box(2.6, 2, 4, 4): it covers 40 % of
the cells of column 2 in rows 0–1 but not their centres (x = 2.5), so only column 3 of rows 0–1 is B's.
Rows 2–3 lie in no region. Cell (3, 3) is no data at the start.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import xarray as xr
from shapely.geometry import box

from indicators.errors import ArgumentError
from indicators.so1.land_cover import land_cover_degradation
from indicators.so1.land_cover_regions import region_zones, regional_land_cover_degradation, zoned_land_cover

CRS = "EPSG:3857"
D, S, I, N = 1, 2, 3, 0  # degraded, stable, improved, no data (D15)


def _layer(values) -> xr.DataArray:
    da = xr.DataArray(np.asarray(values, dtype="uint8"), dims=("y", "x"),
                      coords={"y": [3.5, 2.5, 1.5, 0.5], "x": [0.5, 1.5, 2.5, 3.5]})
    return da.rio.write_crs(CRS)


def _matrix(tree_to_grass: str) -> dict[int, dict[int, str]]:
    """Every transition stable but tree → grassland, which is *tree_to_grass*."""
    m = {i: {j: "0" for j in range(1, 8)} for i in range(1, 8)}
    m[1][2] = tree_to_grass
    return m


NATIONAL, MATRIX_A, MATRIX_B = _matrix("-"), _matrix("0"), _matrix("+")


@pytest.fixture()
def layers():
    ini = np.ones((4, 4), dtype="uint8")
    ini[3, 3] = 0
    return _layer(ini), _layer(np.full((4, 4), 2))


@pytest.fixture()
def regions():
    return gpd.GeoDataFrame({"region": ["A", "B"]}, geometry=[box(0, 2, 2, 4), box(2.6, 2, 4, 4)], crs=CRS)


EXPECTED_ZONES = [[1, 1, 0, 2],
                  [1, 1, 0, 2],
                  [0, 0, 0, 0],
                  [0, 0, 0, 0]]

EXPECTED = [[S, S, D, I],   # A, A, national (B covers the cell but not its centre), B
            [S, S, D, I],
            [D, D, D, D],   # no region: the national matrix
            [D, D, D, N]]   # no data at the start stays no data


def test_zones_follow_the_pixel_centre_rule(layers, regions):
    zones = region_zones(regions, layers[0])
    assert zones.dtype == np.uint8
    np.testing.assert_array_equal(zones.values, EXPECTED_ZONES)


@pytest.mark.parametrize("chunked", [False, True])
def test_the_same_transition_is_judged_by_the_matrix_of_its_region(layers, regions, chunked):
    ini, fin = layers
    if chunked:
        ini, fin = ini.chunk({"y": 2, "x": 3}), fin.chunk({"y": 2, "x": 3})
    zones = region_zones(regions, ini)
    out = regional_land_cover_degradation(ini, fin, NATIONAL, zones=zones, matrices=[MATRIX_A, MATRIX_B])
    assert (out.chunks is not None) == chunked  # lazy with dask inputs: nothing computed yet
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out.values, EXPECTED)
    assert out.attrs["flag_meanings"] == "degraded stable improved"


def test_without_regional_matrices_it_is_the_national_degradation(layers, regions):
    ini, fin = layers
    zones = region_zones(regions, ini)
    out = regional_land_cover_degradation(ini, fin, NATIONAL, zones=zones, matrices=[])
    expected = land_cover_degradation(ini, fin, NATIONAL)
    xr.testing.assert_identical(out, expected)
    assert (out.values[:3] == D).all()


def test_a_zone_without_a_matrix_is_refused(layers, regions):
    ini, fin = layers
    zones = region_zones(regions, ini)
    with pytest.raises(ArgumentError, match="zone 2 has no matrix"):
        regional_land_cover_degradation(ini, fin, NATIONAL, zones=zones, matrices=[MATRIX_A]).values


def test_zones_on_another_grid_are_refused(layers, regions):
    ini, fin = layers
    with pytest.raises(ArgumentError, match="not the land cover's"):
        regional_land_cover_degradation(ini, fin, NATIONAL, zones=region_zones(regions, ini)[:2], matrices=[MATRIX_A, MATRIX_B])


def test_zoned_land_cover_tags_each_class_with_its_zone(layers, regions):
    ini, _ = layers
    zoned, m = zoned_land_cover(ini.chunk({"y": 3, "x": 3}), region_zones(regions, ini), codes=range(1, 8), regions=2)
    assert m == 10 and zoned.dtype == np.uint8
    # zone × 10 + class: tree (1) in A is 11, in B 21, elsewhere 1; no data stays 0
    np.testing.assert_array_equal(zoned.values, [[11, 11, 1, 21], [11, 11, 1, 21], [1, 1, 1, 1], [1, 1, 1, 0]])


def test_the_process_areas_follow_each_region_s_matrix():
    """SO1-1.T7 with regions: 3 km² of tree → grassland in region A (stable there), 2 km² in B (improvement),
    5 km² elsewhere (the national degradation): one row per meaning."""
    import pandas as pd

    from indicators.so1.tables import regional_process_table

    codes = list(range(1, 8))

    def transitions(km2):
        t = pd.DataFrame(0.0, index=codes + ["no data"], columns=codes + ["no data"])
        t.loc[1, 2] = km2
        return t

    out = regional_process_table([(transitions(5.0), NATIONAL), (transitions(3.0), MATRIX_A),
                                  (transitions(2.0), MATRIX_B)], codes=codes)
    got = {(r.process, r.meaning): r.area_km2 for r in out.itertuples()}
    assert got == {("degraded (unnamed)", "degraded"): 5.0, ("improved (unnamed)", "improved"): 2.0,
                   ("stable", "stable"): 3.0}

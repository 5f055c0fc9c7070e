"""Area tables: hand-computed cases with Geod row areas, D3 rules, zonal exact/centre, properties."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Polygon, box

from indicators.errors import GridMismatchError, InputError, ReprojectionWarning
from indicators.summarize import class_area_table, cross_area_table, weighted_class_sum, zonal_class_areas

GEOD = Geod(ellps="WGS84")


def geod_row_area(lat0, lat1, dlon, n=1000):
    lons = np.concatenate([np.linspace(0, dlon, n), np.linspace(dlon, 0, n)])
    lats = np.concatenate([np.full(n, lat0), np.full(n, lat1)])
    return abs(GEOD.polygon_area_perimeter(lons, lats)[0]) / 1e6


# 1° cells from 63°N down to 60°N: row areas from Geod (the oracle), not from our code.
ROWS = np.array([geod_row_area(63 - i - 1, 63 - i, 1.0) for i in range(3)])
LC = np.array([[1, 1, 2, 7], [2, 3, 255, 7], [1, 2, 2, 3]], dtype=np.uint8)


def units_of(geoms, crs="EPSG:4326", ids=None):
    ids = ids if ids is not None else [f"u{i}" for i in range(len(geoms))]
    gdf = gpd.GeoDataFrame({"code": ids}, geometry=list(geoms), crs=crs)
    gdf.attrs["id_field"] = "code"
    return gdf


@pytest.fixture()
def lc(make_raster):
    return make_raster(LC, transform=(1.0, 0, 20.0, 0, -1.0, 63.0), nodata=255, name="lc2015")


def test_geo_class_area_table_by_hand(lc):
    df = class_area_table(lc, codes=[1, 2, 3], water_codes=[7])
    by = {(r.kind, None if pd.isna(r._2) else int(r._2)): r for r in df.itertuples()}
    assert by[("class", 1)].area_km2 == pytest.approx(2 * ROWS[0] + ROWS[2], rel=1e-9)
    assert by[("class", 2)].area_km2 == pytest.approx(ROWS[0] + ROWS[1] + 2 * ROWS[2], rel=1e-9)
    assert by[("class", 3)].area_km2 == pytest.approx(ROWS[1] + ROWS[2], rel=1e-9)
    assert by[("water", None)].area_km2 == pytest.approx(ROWS[0] + ROWS[1], rel=1e-9)
    assert by[("nodata", None)].area_km2 == pytest.approx(ROWS[1], rel=1e-9)
    land = 3 * ROWS[0] + 2 * ROWS[1] + 4 * ROWS[2]
    assert by[("land_area", None)].area_km2 == pytest.approx(land, rel=1e-9)
    assert by[("class", 3)].percent_of_land == pytest.approx(100 * (ROWS[1] + ROWS[2]) / land, rel=1e-9)
    assert df.attrs["land_area_source"] == "pixels"
    assert list(df["cells"].iloc[:5]) == [3, 4, 2, 2, 1]


def test_geo_official_land_area_and_land_mask(lc, make_raster):
    df = class_area_table(lc, codes=[1, 2, 3, 7], official_land_area_km2=50_000.0)
    assert df.attrs["land_area_km2"] == 50_000.0
    official = df[df.kind == "official_land_area"].iloc[0]
    pixel = df[df.kind == "land_area"].iloc[0]
    assert official.area_km2 == 50_000.0
    assert pixel.area_km2 == pytest.approx(3 * ROWS[0] + 2 * ROWS[1] + 4 * ROWS[2] + ROWS[0] + ROWS[1], rel=1e-9)
    c1 = df[(df.kind == "class") & (df["class"] == 1)].iloc[0]
    assert c1.percent_of_land == pytest.approx(100 * c1.area_km2 / 50_000.0)
    # D3: water from another layer (the baseline's land cover): cells where land_mask is False
    mask = make_raster(LC != 3, transform=(1.0, 0, 20.0, 0, -1.0, 63.0), name="land")
    masked = class_area_table(lc, codes=[1, 2, 3, 7], land_mask=mask)
    water = masked[masked.kind == "water"].area_km2.iloc[0]
    assert water == pytest.approx(ROWS[1] + ROWS[2], rel=1e-9)  # the two class-3 cells
    assert masked[(masked.kind == "class") & (masked["class"] == 3)].area_km2.iloc[0] == 0.0


def test_geo_class_area_table_rejects_undeclared_values(lc):
    with pytest.raises(InputError, match=r"lc2015\.tif: 2 cells .* neither codes \[1, 2, 3\]"):
        class_area_table(lc, codes=[1, 2, 3])
    with pytest.raises(InputError, match="integer class codes"):
        class_area_table(lc.astype("float32"), codes=[1, 2, 3, 7])


def test_geo_equal_area_and_conformal_grids(make_raster):
    data = np.array([[1, 2], [2, 2]], dtype=np.uint8)
    ease = make_raster(data, crs="EPSG:6933", transform=(1000.0, 0, 0, 0, -1000.0, 4e6), nodata=0)
    df = class_area_table(ease, codes=[1, 2])
    assert df.area_km2.iloc[:2].tolist() == pytest.approx([1.0, 3.0], rel=1e-12)
    utm = make_raster(data, crs="EPSG:32633", transform=(1000.0, 0, 300_000, 0, -1000.0, 6e6), nodata=0)
    from indicators.grid import cell_area

    ca = cell_area(utm).values
    got = class_area_table(utm, codes=[1, 2]).area_km2.iloc[:2].tolist()
    assert got == pytest.approx([ca[0, 0], ca.sum() - ca[0, 0]], rel=1e-12)
    assert got[0] != pytest.approx(1.0, rel=1e-4)  # not the planar area


def test_geo_cross_area_table_transitions(make_raster):
    t = (1.0, 0, 20.0, 0, -1.0, 63.0)
    before = make_raster(np.array([[1, 1], [2, 9]], np.uint8), transform=t, nodata=9, name="lc2000")
    after = make_raster(np.array([[1, 2], [2, 2]], np.uint8), transform=t, nodata=9, name="lc2015")
    m = cross_area_table(before, after, codes_a=[1, 2], codes_b=[1, 2])
    assert m.loc[1, 1] == pytest.approx(ROWS[0], rel=1e-9)
    assert m.loc[1, 2] == pytest.approx(ROWS[0], rel=1e-9)
    assert m.loc[2, 2] == pytest.approx(ROWS[1], rel=1e-9)
    assert m.loc["nodata", 2] == pytest.approx(ROWS[1], rel=1e-9)
    assert m.loc[2, 1] == 0.0


def test_geo_weighted_class_sum_population(lc, make_raster):
    pop = make_raster(np.arange(12, dtype="float32").reshape(3, 4), transform=(1.0, 0, 20.0, 0, -1.0, 63.0))
    pop = pop.where(pop != 5)  # one missing weight, on a class-3 cell
    pop.attrs["units"] = "person"
    df = weighted_class_sum(lc, pop, codes=[1, 2, 3], water_codes=[7])
    assert df.value.tolist() == pytest.approx([0 + 1 + 8, 2 + 4 + 9 + 10, 11, 3 + 7, 6])
    assert df.attrs == {"units": "person", "missing_weight_cells": 1}


def test_geo_zonal_exact_and_centre_by_hand(lc):
    # u0: the top-left 2×2 cells exactly; u1: the right 3/4 of column 1 and all of column 2, rows 1-2
    units = units_of([box(20, 61, 22, 63), box(21.25, 60, 23, 62)])
    exact = zonal_class_areas(lc, units, codes=[1, 2, 3], water_codes=[7], method="exact")
    u0 = exact[exact.unit == "u0"].set_index("kind")
    cls = exact[(exact.unit == "u0") & (exact.kind == "class")].set_index("class").area_km2
    assert cls[1] == pytest.approx(2 * ROWS[0], rel=1e-9)
    assert cls[2] == pytest.approx(ROWS[1], rel=1e-9)
    assert cls[3] == pytest.approx(ROWS[1], rel=1e-9)
    assert u0.loc["nodata", "area_km2"] == 0.0
    assert u0.loc["water", "area_km2"] == 0.0
    u1 = exact[(exact.unit == "u1")]
    got = dict(zip(zip(u1.kind, u1["class"].astype(object).where(u1["class"].notna(), None)), u1.area_km2))
    assert got[("class", 3)] == pytest.approx(0.75 * ROWS[1], rel=1e-9)  # three quarters of a cell
    assert got[("class", 2)] == pytest.approx(1.75 * ROWS[2], rel=1e-9)
    assert got[("nodata", None)] == pytest.approx(ROWS[1], rel=1e-9)
    # each unit's pixel total and its own geodesic area (units inside the raster agree)
    assert u1.unit_pixel_area_km2.iloc[0] == pytest.approx(1.75 * ROWS[1] + 1.75 * ROWS[2], rel=1e-9)
    assert u1.unit_geodesic_area_km2.iloc[0] == pytest.approx(u1.unit_pixel_area_km2.iloc[0], rel=1e-7)
    # centre rule: the centre of column 1 (x = 21.5) is inside u1, so u1 takes whole cells
    centre = zonal_class_areas(lc, units, codes=[1, 2, 3], water_codes=[7], method="centre")
    c1 = centre[(centre.unit == "u1") & (centre.kind == "class")].set_index("class").area_km2
    assert c1[3] == pytest.approx(ROWS[1], rel=1e-9)
    assert c1[2] == pytest.approx(2 * ROWS[2], rel=1e-9)
    assert c1[1] == 0.0


def test_geo_zonal_population_weights_and_errors(lc, make_raster):
    pop = make_raster(np.ones((3, 4), "float32") * 10, transform=(1.0, 0, 20.0, 0, -1.0, 63.0))
    pop.attrs["units"] = "person"
    # column 0 whole, 60 % of column 1 (classes [1, 2, 1] and [1, 3, 2]), 10 people per cell
    units = units_of([box(20, 60, 21.6, 63)])
    for method, expected in (("exact", {1: 20 + 6, 2: 10 + 6, 3: 6}), ("centre", {1: 30, 2: 20, 3: 10})):
        df = zonal_class_areas(lc, units, codes=[1, 2, 3], water_codes=[7], weights=pop, method=method)
        got = df[(df.level == "unit") & (df.kind == "class")].set_index("class").value
        assert got.to_dict() == pytest.approx(expected), method
        assert df.attrs["weights_units"] == "person"
    # polygons in another CRS are reprojected to the raster's, with a warning (issue 17): same table
    with pytest.warns(ReprojectionWarning, match="EPSG:3857.*reprojected"):
        moved = zonal_class_areas(lc, units.to_crs("EPSG:3857"), codes=[1, 2, 3], water_codes=[7], weights=pop,
                                  method="centre")
    same = zonal_class_areas(lc, units, codes=[1, 2, 3], water_codes=[7], weights=pop, method="centre")
    pd.testing.assert_series_equal(moved["value"], same["value"])
    with pytest.raises(GridMismatchError, match="no CRS.*set_crs"):
        zonal_class_areas(lc, units.set_crs(None, allow_override=True), codes=[1, 2, 3, 7])
    with pytest.raises(InputError, match="method"):
        zonal_class_areas(lc, units, codes=[1, 2, 3, 7], method="nearest")


# ---------------------------------------------------------------------------
# Properties (hypothesis)
# ---------------------------------------------------------------------------

CODES = [1, 2, 3, 4]


@st.composite
def class_rasters(draw):
    ny = draw(st.integers(2, 12))
    nx = draw(st.integers(2, 12))
    values = draw(st.lists(st.sampled_from([1, 2, 3, 4, 255]), min_size=ny * nx, max_size=ny * nx))
    lat_top = draw(st.sampled_from([-30.0, 0.5, 45.0, 75.0]))
    res = draw(st.sampled_from([0.25, 1 / 480]))
    cy = draw(st.integers(1, ny))
    cx = draw(st.integers(1, nx))
    return np.array(values, np.uint8).reshape(ny, nx), (res, 0, 10.0, 0, -res, lat_top), (cy, cx)


PROPS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPS
@given(class_rasters())
def test_geo_prop_class_areas_partition_land_and_chunks_are_identical(make_raster, case):
    data, t, chunks = case
    assume(np.isin(data, [1, 2, 3]).any())  # no land at all is an InputError (tested elsewhere)
    da = make_raster(data, transform=t, nodata=255)
    eager = class_area_table(da, codes=[1, 2, 3], water_codes=[4])
    lazy = class_area_table(da.chunk({"y": chunks[0], "x": chunks[1]}), codes=[1, 2, 3], water_codes=[4])
    pd.testing.assert_frame_equal(eager, lazy)  # identical, not merely close
    classes = eager[eager.kind == "class"].area_km2.sum()
    land = eager[eager.kind == "land_area"].area_km2.iloc[0]
    assert classes == pytest.approx(land, rel=1e-12, abs=1e-12)
    from indicators.grid import cell_area

    whole = float((cell_area(da) * xr.ones_like(da, dtype=float)).sum())
    parts = eager[eager.kind.isin(["class", "water", "nodata"])].area_km2.sum()
    assert parts == pytest.approx(whole, rel=1e-12)


@PROPS
@given(class_rasters(), st.integers(1, 4), st.integers(1, 3), st.sampled_from(["exact", "centre"]))
def test_geo_prop_units_add_up_to_national(make_raster, case, ncols, nrows, method):
    # Units tiling the raster (cut at arbitrary, non-pixel-aligned places) must add up to the
    # whole-raster class table, for numpy and dask inputs alike.
    data, t, chunks = case
    ny, nx = data.shape
    res, top = t[0], t[5]
    xs = np.linspace(10.0, 10.0 + nx * res, ncols + 1)
    ys = np.linspace(top - ny * res, top, nrows + 1)
    xs[1:-1] += res * 0.37
    geoms = [box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(ncols) for j in range(nrows)]
    units = units_of(geoms)
    da = make_raster(data, transform=t, nodata=255)
    whole = class_area_table(da, codes=CODES)
    expected = whole[whole.kind.isin(["class", "nodata"])].area_km2.to_numpy()
    eager = zonal_class_areas(da, units, codes=CODES, method=method)
    lazy = zonal_class_areas(da.chunk({"y": chunks[0], "x": chunks[1]}), units, codes=CODES, method=method)
    pd.testing.assert_frame_equal(eager, lazy, rtol=1e-12, atol=1e-12)
    nat = eager[eager.level == "national"]
    per_unit = eager[eager.level == "unit"].groupby(["kind", "class"], dropna=False, sort=False).area_km2.sum()
    np.testing.assert_allclose(nat.area_km2.to_numpy(), per_unit.to_numpy(), rtol=1e-12)
    # exactextract keeps coverage fractions in float32: pieces of a cut cell add up to ~1e-7
    tol = 1e-6 if method == "exact" else 1e-12
    np.testing.assert_allclose(nat.area_km2.to_numpy(), expected, rtol=tol, atol=1e-9)


@pytest.mark.parametrize("dtype, nodata", [("int16", -32768), ("int32", -1), ("uint16", 65535), ("int8", -128)])
def test_geo_other_integer_dtypes_give_the_same_table(lc, make_raster, dtype, nodata):
    # Trends.Earth writes int16 with nodata -32768: signed codes go through the unsigned view.
    data = np.where(LC == 255, np.array(nodata, dtype), LC.astype(dtype))
    other = make_raster(data, transform=(1.0, 0, 20.0, 0, -1.0, 63.0), nodata=nodata)
    expected = class_area_table(lc, codes=[1, 2, 3], water_codes=[7])
    pd.testing.assert_frame_equal(class_area_table(other, codes=[1, 2, 3], water_codes=[7]), expected, check_like=True,
                                  check_exact=False, rtol=0, atol=0)
    units = units_of([box(20, 60, 21.6, 63)])
    for method in ("exact", "centre"):
        a = zonal_class_areas(lc, units, codes=[1, 2, 3], water_codes=[7], method=method)
        b = zonal_class_areas(other, units, codes=[1, 2, 3], water_codes=[7], method=method)
        np.testing.assert_array_equal(a.area_km2.to_numpy(), b.area_km2.to_numpy())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(classes=st.lists(st.sampled_from([1, 2, 3, 7, 255]), min_size=12, max_size=12),
       # splits off the cell centres (a centre on an edge belongs to either unit by convention)
       x=st.sampled_from([20.2, 20.75, 21.3, 21.8, 22.25, 22.9, 23.4]), y=st.sampled_from([60.3, 60.8, 61.25, 61.9, 62.4]))
def test_geo_units_by_centre_add_up_to_the_national_table(make_raster, classes, x, y):
    """D4 / issue 11 item 4: units that tile the country, counted by the pixel-centre rule, add up to the national
    class-area table (relative difference < 1e-9), whatever the split; exact coverage would not."""
    lc = make_raster(np.array(classes, dtype=np.uint8).reshape(3, 4), transform=(1.0, 0, 20.0, 0, -1.0, 63.0))
    units = units_of([box(20, 60, x, y), box(x, 60, 24, y), box(20, y, 24, 63)])
    z = zonal_class_areas(lc, units, codes=[1, 2, 3], water_codes=[7], nodata=255, method="centre")
    national = class_area_table(lc, codes=[1, 2, 3], water_codes=[7], nodata=255)
    for code in (1, 2, 3):
        got = z[(z.level == "unit") & (z.kind == "class") & (z["class"] == code)].area_km2.sum()
        want = float(national[(national.kind == "class") & (national["class"] == code)].area_km2.iloc[0])
        assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("chunks", [None, {"y": 13, "x": 17}])
def test_geo_zonal_class_weights_equal_one_table_per_weight(make_raster, chunks):
    """Several weight layers per unit in one centre-rule pass: each table is, bit for bit, the one
    zonal_class_areas gives for that weight alone (NaN and nodata weights count as zero); exact: the same call."""
    from indicators.summarize import compute_tables, zonal_class_weights

    rng = np.random.default_rng(12)
    t = (0.1, 0, 20.0, 0, -0.1, 63.0)
    cls = make_raster(rng.choice(np.array([1, 2, 3, 255], np.uint8), (40, 50)), transform=t, nodata=255,
                      name="sdg", chunks=chunks)
    weights = {}
    for k, name in enumerate(("total", "female", "male")):
        w = (rng.random((40, 50)) * 30).astype("float32")
        w[rng.random((40, 50)) < 0.1] = -1.0
        w[k, :] = np.nan
        weights[name] = make_raster(w, transform=t, nodata=-1.0, chunks=chunks)
        weights[name].attrs["units"] = "person"
    units = units_of([box(20.0, 60.0, 22.0, 63.0), box(21.5, 59.0, 25.0, 61.7), box(23.0, 61.0, 26.0, 63.0)])
    for method in ("centre", "exact"):
        got = zonal_class_weights(cls, units, weights, codes=[1, 2, 3], method=method)
        assert list(got) == ["total", "female", "male"]
        for name, w in weights.items():
            want = zonal_class_areas(cls, units, codes=[1, 2, 3], weights=w, method=method)
            pd.testing.assert_frame_equal(got[name], want, check_exact=True)
            assert got[name].attrs == want.attrs
        # pending (compute=False), computed in one pass with another table of the same layer: the same tables
        pending = zonal_class_weights(cls, units, weights, codes=[1, 2, 3], method=method, compute=False)
        single = zonal_class_weights(cls, units, {"total": weights["total"]}, codes=[1, 2, 3], method=method,
                                     compute=False)
        late, late_single = compute_tables(pending, single)
        for name in weights:
            pd.testing.assert_frame_equal(late[name], got[name], check_exact=True)
            assert late[name].attrs == got[name].attrs
        pd.testing.assert_frame_equal(late_single["total"], got["total"], check_exact=True)

"""cell_area against pyproj.Geod (Karney's geodesic polygon area), grid checks, alignment."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from affine import Affine
from pyproj import CRS, Geod, Transformer

from indicators.errors import GridMismatchError, InputError, UnitError
from indicators.grid import Grid, cell_area, check_same_grid, row_areas
from indicators.grid_resample import align_to

GEOD = Geod(ellps="WGS84")


def geod_box_km2(lon0, lat0, lon1, lat1, n=1000):
    """Geodesic area of a lon/lat box whose parallel edges are densified with n points each."""
    lons = np.concatenate([np.linspace(lon0, lon1, n), np.linspace(lon1, lon0, n)])
    lats = np.concatenate([np.full(n, lat0), np.full(n, lat1)])
    area, _ = GEOD.polygon_area_perimeter(lons, lats)
    return abs(area) / 1e6


@pytest.mark.parametrize("lat", [0.0, 45.0, 70.0, -70.0])
@pytest.mark.parametrize("res", [0.1, 1.0])
def test_geo_cell_area_matches_geod(lat, res):
    grid = Grid(CRS("EPSG:4326"), Affine(res, 0, 10.0, 0, -res, lat + res), (1, 1))
    got = row_areas(grid)[0]
    assert got == pytest.approx(geod_box_km2(10.0, lat, 10.0 + res, lat + res), rel=1e-9)


def test_geo_high_latitude_grid_rows_and_total(make_raster):
    # 250 m-ish cells from 60°N to 80°N: each row and the whole block against Geod.
    res = 1 / 480
    ny, nx = 40, 30
    da = make_raster(np.zeros((ny, nx), np.uint8), transform=(res, 0, 20.0, 0, -0.5, 80.0))
    # transform with a non-square cell: 0.5° tall rows, 1/480° wide columns
    areas = cell_area(da)
    assert areas.dims == ("y",)
    assert areas.attrs["units"] == "km2"
    np.testing.assert_array_equal(areas["y"].values, da["y"].values)
    for i in (0, 19, 39):
        top = 80.0 - 0.5 * i
        assert areas.values[i] == pytest.approx(geod_box_km2(20.0, top - 0.5, 20.0 + res, top, n=200), rel=1e-9)
    total = float((areas * xr.ones_like(da, dtype=float)).sum())
    assert total == pytest.approx(geod_box_km2(20.0, 60.0, 20.0 + nx * res, 80.0, n=2000), rel=1e-9)


def test_geo_cell_area_south_up_and_sphere():
    # South-up rows give the same areas; a spherical datum reduces to R² Δλ (sin φ2 − sin φ1).
    north_up = row_areas(Grid(CRS("EPSG:4326"), Affine(1, 0, 0, 0, -1, 10), (10, 1)))
    south_up = row_areas(Grid(CRS("EPSG:4326"), Affine(1, 0, 0, 0, 1, 0), (10, 1)))
    np.testing.assert_allclose(south_up[::-1], north_up, rtol=1e-13)
    sphere = CRS.from_proj4("+proj=longlat +R=6371000 +no_defs")
    got = row_areas(Grid(sphere, Affine(1, 0, 0, 0, -1, 10), (1, 1)))[0]
    expected = 6371000.0**2 * np.deg2rad(1) * (np.sin(np.deg2rad(10)) - np.sin(np.deg2rad(9))) / 1e6
    assert got == pytest.approx(expected, rel=1e-12)


def test_geo_equal_area_grid_is_constant_and_matches_geod(make_raster):
    # EASE-Grid 2.0 global (EPSG:6933), 1 km cells: constant area; the block's total equals
    # the geodesic area of its outline (edges densified in projected space).
    res = 1000.0
    x0, y0 = 500_000.0, 5_000_000.0
    da = make_raster(np.zeros((20, 30), np.uint8), crs="EPSG:6933", transform=(res, 0, x0, 0, -res, y0))
    areas = cell_area(da)
    assert areas.ndim == 0
    assert float(areas) == pytest.approx(1.0, rel=1e-15)
    xs = np.concatenate([np.linspace(x0, x0 + 30 * res, 300), np.full(300, x0 + 30 * res),
                         np.linspace(x0 + 30 * res, x0, 300), np.full(300, x0)])
    ys = np.concatenate([np.full(300, y0), np.linspace(y0, y0 - 20 * res, 300),
                         np.full(300, y0 - 20 * res), np.linspace(y0 - 20 * res, y0, 300)])
    lon, lat = Transformer.from_crs("EPSG:6933", "EPSG:4326", always_xy=True).transform(xs, ys)
    geodesic = abs(GEOD.polygon_area_perimeter(lon, lat)[0]) / 1e6
    assert float(areas) * 600 == pytest.approx(geodesic, rel=1e-7)


def test_geo_conformal_grid_uses_areal_scale(make_raster):
    # UTM 33N, 2 km cells: planar area / areal scale; the total matches the geodesic outline.
    res = 2000.0
    x0, y0 = 300_000.0, 6_000_000.0
    da = make_raster(np.zeros((10, 12), np.uint8), crs="EPSG:32633", transform=(res, 0, x0, 0, -res, y0))
    areas = cell_area(da)
    assert areas.dims == ("y", "x")
    assert not np.allclose(areas.values, 4.0)  # not the planar area
    n = 400
    xs = np.concatenate([np.linspace(x0, x0 + 12 * res, n), np.full(n, x0 + 12 * res),
                         np.linspace(x0 + 12 * res, x0, n), np.full(n, x0)])
    ys = np.concatenate([np.full(n, y0), np.linspace(y0, y0 - 10 * res, n),
                         np.full(n, y0 - 10 * res), np.linspace(y0 - 10 * res, y0, n)])
    lon, lat = Transformer.from_crs("EPSG:32633", "EPSG:4326", always_xy=True).transform(xs, ys)
    geodesic = abs(GEOD.polygon_area_perimeter(lon, lat)[0]) / 1e6
    assert float(areas.sum()) == pytest.approx(geodesic, rel=1e-6)
    # dask-backed input gives a lazy result with the same values
    lazy = cell_area(da.chunk({"y": 4, "x": 5}))
    assert lazy.chunks is not None
    np.testing.assert_allclose(lazy.values, areas.values, rtol=1e-14)


def test_geo_refuses_cells_outside_projection_domain(make_raster):
    # An orthographic grid reaching past the visible hemisphere has no areal scale there.
    crs = "+proj=ortho +lat_0=0 +lon_0=0 +datum=WGS84"
    da = make_raster(np.zeros((4, 4), np.uint8), crs=crs, transform=(4e6, 0, -8e6, 0, -4e6, 8e6))
    with pytest.raises(UnitError, match="areal scale"):
        cell_area(da)


def test_geo_cell_area_needs_crs():
    da = xr.DataArray(np.zeros((2, 2)), dims=("y", "x"), coords={"y": [1.5, 0.5], "x": [0.5, 1.5]}, name="lc")
    with pytest.raises(InputError, match="no CRS"):
        cell_area(da)


def test_geo_check_same_grid_names_sources_and_difference(make_raster):
    a = make_raster(np.zeros((3, 4)), name="lc_2015")
    b = make_raster(np.zeros((3, 4)), name="lpd")
    assert check_same_grid(a, b).shape == (3, 4)
    c = make_raster(np.zeros((3, 4)), name="soc", crs="EPSG:6933")
    with pytest.raises(GridMismatchError, match=r"lc_2015\.tif and soc\.tif.*CRS"):
        check_same_grid(a, c)
    d = make_raster(np.zeros((3, 5)), name="pop")
    with pytest.raises(GridMismatchError, match=r"pop\.tif.*shape \(3, 4\) vs \(3, 5\)"):
        check_same_grid(a, d)
    e = make_raster(np.zeros((3, 4)), name="spi", transform=(1.0, 0, 0.5, 0, -1.0, 0))
    with pytest.raises(GridMismatchError, match="origin"):
        check_same_grid(a, b, e)


def test_geo_align_to_mode_and_average(make_raster):
    fine = make_raster(
        np.array([[1, 1, 2, 2], [1, 3, 2, 2], [4, 4, 5, 6], [4, 7, 5, 5]], np.uint8),
        transform=(0.5, 0, 0, 0, -0.5, 2), nodata=255, name="lc_fine",
    )
    ref = make_raster(np.zeros((2, 2), np.uint8), transform=(1.0, 0, 0, 0, -1.0, 2), name="ref")
    out = align_to(ref, fine, kind="class")
    np.testing.assert_array_equal(out.values, [[1, 2], [4, 5]])
    assert out.rio.nodata == 255
    check_same_grid(ref, out)
    cont = make_raster(fine.values.astype("float32"), transform=(0.5, 0, 0, 0, -0.5, 2), name="ndvi")
    avg = align_to(ref, cont, kind="continuous")
    np.testing.assert_allclose(avg.values, [[1.5, 2.0], [4.75, 5.25]])
    with pytest.raises(InputError, match="kind"):
        align_to(ref, cont, kind="nearest")

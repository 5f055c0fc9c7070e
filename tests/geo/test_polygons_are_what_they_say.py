"""Boundary polygons are what they say (issue 15 §4): antimeridian crossings split, not inflated; empty,
non-polygon features and boundaries off the rasters refused with the file and feature id."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from indicators.errors import InputError
from indicators.io import check_polygons_on_grid, read_polygons


def _write(tmp_path, geoms, ids, crs="EPSG:4326"):
    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame({"code": ids}, geometry=geoms, crs=crs).to_file(path)
    return path


def test_polygon_across_the_antimeridian_is_split_not_globe_spanning(tmp_path):
    # a 2 x 2 degree square from 179E to 179W, written with consecutive vertices 358 degrees apart
    fiji = shapely.Polygon([(179, -16), (-179, -16), (-179, -18), (179, -18)])
    inland = shapely.box(10, 10, 11, 11)
    path = _write(tmp_path, [fiji, inland], ["FJ", "X"])
    with pytest.warns(UserWarning, match=r"features \['FJ'\] cross the antimeridian"):
        gdf = read_polygons(path, id_field="code")
    g = gdf.geometry.iloc[0]
    # read naively, the square covers 358 x 2 = 716 square degrees; it is 2 x 2 = 4
    assert g.area == pytest.approx(4.0)
    assert sorted(p.bounds for p in g.geoms) == [(-180.0, -18.0, -179.0, -16.0), (179.0, -18.0, 180.0, -16.0)]
    assert gdf.geometry.iloc[1].equals(inland)


def test_polygon_near_but_not_across_the_antimeridian_is_kept(tmp_path):
    near = shapely.box(170, -10, 179.9, -5)
    gdf = read_polygons(_write(tmp_path, [near], ["A"]), id_field="code")
    assert gdf.geometry.iloc[0].equals(near)


def test_points_where_polygons_are_expected_name_the_features(tmp_path):
    path = _write(tmp_path, [shapely.box(0, 0, 1, 1), shapely.Point(3, 3), shapely.LineString([(0, 0), (1, 1)])],
                  ["A", "B", "C"])
    with pytest.raises(InputError, match=r"units\.gpkg: features \['B', 'C'\] are LineString, Point, not polygons"):
        read_polygons(path, id_field="code")


def test_empty_geometry_names_the_feature(tmp_path):
    path = _write(tmp_path, [shapely.box(0, 0, 1, 1), shapely.Polygon()], ["A", "B"])
    with pytest.raises(InputError, match=r"units\.gpkg: features \['B'\] \(code\) have an empty geometry"):
        read_polygons(path, id_field="code")


def test_duplicate_ids_named(tmp_path):
    path = _write(tmp_path, [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], ["A", "A"])
    with pytest.raises(InputError, match=r"'code' is not unique \(repeated: \['A'\]\)"):
        read_polygons(path, id_field="code")


def test_boundary_off_the_rasters_is_refused_with_the_ids(tmp_path):
    path = _write(tmp_path, [shapely.box(0, 0, 1, 1), shapely.box(50, 50, 51, 51)], ["IN", "OUT"])
    gdf = read_polygons(path, id_field="code")
    with pytest.raises(InputError, match=r"country.admin_units: features \['OUT'\] of .*units\.gpkg lie outside"):
        check_polygons_on_grid(gdf, "EPSG:4326", (-1, -1, 2, 2), label="country.admin_units", raster="lc.tif")
    check_polygons_on_grid(gdf, "EPSG:4326", (-1, -1, 60, 60), label="country.admin_units", raster="lc.tif")
    # in another CRS: the raster's extent in metres (EPSG:3857) around (0..2 E, 0..2 N)
    with pytest.raises(InputError, match="OUT"):
        check_polygons_on_grid(gdf, "EPSG:3857", (-1e5, -1e5, 2.5e5, 2.5e5), label="b", raster="lc.tif")

"""Boundary and admin units: geometry that is not what it says is refused with the file and feature id."""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely import affinity

from .conftest import problem_line, refused_alike


def _edit(path, layer=None, **change):
    gdf = gpd.read_file(path, layer=layer)
    for key, fn in change.items():
        gdf = fn(gdf)
    path.unlink()
    gdf.to_file(path, layer=layer) if layer else gdf.to_file(path)


def test_boundary_as_points(country, capsys):
    p = country.data / "vectors" / "boundary.gpkg"
    _edit(p, geom=lambda g: g.set_geometry(g.geometry.centroid))
    _, err = country.run(capsys)
    problem_line(err, "country.boundary", "boundary.gpkg", "Point, not polygons")


def test_admin_unit_as_a_line(country, capsys):
    p = country.data / "vectors" / "admin_units.gpkg"

    def one_line(g):
        g = g.copy()
        g.loc[g.index[1], "geometry"] = g.geometry.iloc[1].exterior if g.geometry.iloc[1].geom_type == "Polygon" \
            else g.geometry.iloc[1].geoms[0].exterior
        return g

    _edit(p, layer="admin_units", geom=one_line)
    _, err = country.run(capsys)
    problem_line(err, "country.admin_units", "admin_units.gpkg", "not polygons")


def test_admin_unit_with_empty_geometry(country, capsys):
    p = country.data / "vectors" / "admin_units.gpkg"

    def empty(g):
        g = g.copy()
        g.loc[g.index[0], "geometry"] = shapely.Polygon()
        return g

    _edit(p, layer="admin_units", geom=empty)
    _, err = country.run(capsys)
    problem_line(err, "country.admin_units", "empty geometry")


def test_admin_units_with_duplicate_ids(country, capsys):
    p = country.data / "vectors" / "admin_units.gpkg"

    def dup(g):
        g = g.copy()
        g.loc[g.index[1], "unit_id"] = g["unit_id"].iloc[0]
        return g

    _edit(p, layer="admin_units", ids=dup)
    _, err = country.run(capsys)
    problem_line(err, "country.admin_units", "'unit_id' is not unique")


def test_admin_unit_name_with_a_control_character(country, capsys):
    """A name the workbook cannot store (openpyxl refused it after the whole run, with a traceback) is refused
    before computing, by the run and --check alike, naming the file, the field, the unit and the character."""
    p = country.data / "vectors" / "admin_units.gpkg"

    def bell(g):
        g = g.copy()
        g.loc[g.index[2], "name"] = "North\x07ern"
        return g

    _edit(p, layer="admin_units", names=bell)
    unit = gpd.read_file(p, layer="admin_units")["unit_id"].iloc[2]
    refused_alike(country, capsys, "country.admin_units", "admin_units.gpkg", "'name'", repr(unit), "U+0007",
                  "remove it from the field")


def test_boundary_off_the_rasters(country, capsys):
    p = country.data / "vectors" / "boundary.gpkg"
    _edit(p, geom=lambda g: g.set_geometry(g.geometry.apply(lambda s: affinity.translate(s, xoff=60))))
    _, err = country.run(capsys)
    problem_line(err, "country.boundary", "lie outside the extent of", "the rasters")


def test_admin_units_off_the_rasters(country, capsys):
    p = country.data / "vectors" / "admin_units.gpkg"

    def shift_one(g):
        g = g.copy()
        g.loc[g.index[0], "geometry"] = affinity.translate(g.geometry.iloc[0], yoff=-30)
        return g

    _edit(p, layer="admin_units", geom=shift_one)
    _, err = country.run(capsys)
    problem_line(err, "country.admin_units", "lie outside the extent")


def test_boundary_without_crs(country, capsys):
    p = country.data / "vectors" / "boundary.gpkg"
    _edit(p, crs=lambda g: g.set_crs(None, allow_override=True))
    _, err = country.run(capsys)
    problem_line(err, "country.boundary", "no CRS")


def test_overlapping_admin_units_refused(country, capsys):
    # one unit grown over its neighbours: the per-unit tables gave the overlap to one unit by the features' order
    path = country.data / "vectors" / "admin_units.gpkg"
    units = gpd.read_file(path, layer="admin_units")
    units.loc[3, "geometry"] = units.geometry.iloc[3].buffer(0.05)
    units.to_file(path, layer="admin_units", driver="GPKG")
    grown = str(units.iloc[3][country.config["country"]["admin_units"]["id_field"]])
    line = refused_alike(country, capsys, "country.admin_units", "admin_units.gpkg", grown, "overlap", "Check Geometries")
    assert "% of the smaller one" in line


def test_admin_units_sharing_only_borders_pass(tmp_path):
    # a partition and a sliver below the tolerance are not overlaps
    from indicators.io import read_polygons
    from indicators.io.polygons import overlapping_units

    boxes = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(0.9995, 0, 3, 1)]
    gpd.GeoDataFrame({"uid": ["a", "b"]}, geometry=boxes[:2], crs="EPSG:4326").to_file(tmp_path / "u.gpkg")
    assert overlapping_units(read_polygons(tmp_path / "u.gpkg", id_field="uid")) is None
    gpd.GeoDataFrame({"uid": ["a", "c"]}, geometry=[boxes[0], boxes[2]], crs="EPSG:4326").to_file(tmp_path / "s.gpkg")
    assert overlapping_units(read_polygons(tmp_path / "s.gpkg", id_field="uid")) is None  # 0.05 % of a: a sliver
    gpd.GeoDataFrame({"uid": ["a", "c"]}, geometry=[boxes[0], shapely.box(0.99, 0, 3, 1)],
                     crs="EPSG:4326").to_file(tmp_path / "o.gpkg")
    assert "'a' and 'c' overlap over 1.0 %" in overlapping_units(read_polygons(tmp_path / "o.gpkg", id_field="uid"))

"""open_raster and read_polygons: lazy reads, declared units/nodata/legend, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import xarray as xr
from affine import Affine

from indicators.errors import InputError, UnitError
from indicators.io import open_raster, read_polygons


def write_tif(path, data, *, nodata=None, crs="EPSG:4326", transform=Affine(0.5, 0, 10, 0, -0.5, 50)):
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0],
        dtype=data.dtype, crs=crs, transform=transform, nodata=nodata,
    ) as dst:
        dst.write(data)
    return path


def test_geo_open_geotiff_lazy_with_units_and_nodata(tmp_path):
    data = np.arange(12, dtype="float32").reshape(3, 4)
    path = write_tif(tmp_path / "ndvi.tif", data, nodata=-9999.0)
    da = open_raster(path, units="1", chunks={"y": 2, "x": -1})
    assert da.dims == ("y", "x")
    assert da.chunks == ((2, 1), (4,))
    assert da.attrs["source"] == str(path)
    assert da.attrs["units"] == "1"
    assert da.rio.nodata == -9999.0
    assert da.name == "ndvi"
    np.testing.assert_array_equal(da.values, data)
    over = open_raster(path, units="1", nodata=0.0, chunks=None)
    assert over.rio.nodata == 0.0
    assert over.attrs["nodata_overrides_file"] == -9999.0


def test_geo_open_class_raster_legend_and_band(tmp_path):
    data = np.array([[[1, 2], [3, 255]], [[4, 5], [6, 7]]], dtype="uint8")
    path = write_tif(tmp_path / "lc.tif", data, nodata=255)
    lc = open_raster(path, band=2, legend={1: "Tree-covered", 2: "Grassland", 3: "Cropland"}, chunks=None)
    assert lc.dims == ("y", "x")
    np.testing.assert_array_equal(lc.values, data[1])
    assert lc.attrs["flag_values"] == [1, 2, 3]
    assert lc.attrs["flag_meanings"].split() == ["tree_covered", "grassland", "cropland"]
    stack = open_raster(path, units="1", band_dim_name="time", chunks=None)
    assert stack.dims == ("time", "y", "x")
    with pytest.raises(InputError, match="band 3"):
        open_raster(path, band=3, units="1")


def test_geo_open_raster_errors_name_the_path(tmp_path):
    with pytest.raises(InputError, match="missing.tif does not exist"):
        open_raster(tmp_path / "missing.tif", units="1")
    bad = tmp_path / "broken.tif"
    bad.write_text("not a raster")
    with pytest.raises(InputError, match="broken.tif"):
        open_raster(bad, units="1")
    path = write_tif(tmp_path / "pop.tif", np.ones((2, 2), "float32"))
    with pytest.raises(InputError, match="pop.tif: no units"):
        open_raster(path)
    with pytest.raises(UnitError, match="pop.tif"):
        open_raster(path, units="persons per banana")
    with pytest.raises(InputError, match="declares no nodata"):
        open_raster(write_tif(tmp_path / "c.tif", np.ones((2, 2), "uint8")), legend={1: "a"})
    with pytest.raises(InputError, match="integer codes"):
        open_raster(path, legend={1: "a"}, nodata=0)


def test_geo_open_netcdf_lat_lon(tmp_path):
    lat = np.array([1.5, 0.5])
    lon = np.array([10.5, 11.5, 12.5])
    ds = xr.Dataset({"spi": (("lat", "lon"), np.arange(6, dtype="float32").reshape(2, 3), {"units": "1"})},
                    coords={"lat": lat, "lon": lon})
    path = tmp_path / "spi.nc"
    ds.to_netcdf(path)
    da = open_raster(path, chunks={})
    assert da.dims == ("y", "x")
    assert da.rio.crs.to_epsg() == 4326
    assert da.attrs["units"] == "1"
    assert da.rio.transform().a == pytest.approx(1.0)
    with pytest.raises(InputError, match="no variable 'ndvi'"):
        open_raster(path, variable="ndvi")


def _write_units(path, geoms, **fields):
    import geopandas as gpd

    gpd.GeoDataFrame(fields, geometry=geoms, crs="EPSG:4326").to_file(path, layer="admin1", driver="GPKG")


def test_geo_read_polygons_ids_repair_and_reproject(tmp_path):
    from shapely.geometry import Polygon, box

    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])  # self-intersecting: invalid
    path = tmp_path / "admin.gpkg"
    _write_units(path, [box(0, 0, 1, 1), bowtie], code=["A", "B"], label=["Alpha", "Beta"])
    with pytest.warns(UserWarning, match="repaired 1 invalid"):
        gdf = read_polygons(path, id_field="code", name_field="label", layer="admin1")
    assert list(gdf.columns) == ["code", "label", "geometry"]
    assert gdf.attrs["repaired"] == ["B"]
    assert gdf.geometry.is_valid.all()
    assert gdf.geometry.iloc[1].area == pytest.approx(2.0)  # two triangles of area 1
    plain = read_polygons(path, to_crs="EPSG:6933", id_field="code")
    assert plain.crs.to_epsg() == 6933
    numbered = read_polygons(path)
    assert numbered["id"].tolist() == [1, 2]


def test_geo_read_polygons_errors(tmp_path):
    from shapely.geometry import box

    path = tmp_path / "admin.gpkg"
    _write_units(path, [box(0, 0, 1, 1), box(1, 0, 2, 1)], code=["A", "A"])
    with pytest.raises(InputError, match="'gid' is not a field; fields are \\['code'\\]"):
        read_polygons(path, id_field="gid")
    with pytest.raises(InputError, match="not unique"):
        read_polygons(path, id_field="code")
    with pytest.raises(InputError, match="does not exist"):
        read_polygons(tmp_path / "nope.gpkg")
    with pytest.raises(InputError, match="layer 'admin9'"):
        read_polygons(path, layer="admin9")


def test_geo_read_polygons_keep_fields_and_repaired_through_reprojection(tmp_path):
    from shapely.geometry import Polygon, box

    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    path = tmp_path / "pa.gpkg"
    _write_units(path, [box(0, 0, 1, 1), bowtie], code=["A", "B"], year=[1990, 2005], iucn=["II", "IV"],
                 note=["x", "y"])
    with pytest.warns(UserWarning, match="repaired 1 invalid"):
        gdf = read_polygons(path, id_field="code", keep_fields=["year", "iucn"], to_crs="EPSG:6933")
    assert list(gdf.columns) == ["code", "year", "iucn", "geometry"]
    assert gdf["year"].tolist() == [1990, 2005]
    assert gdf.crs.to_epsg() == 6933
    assert gdf.attrs["repaired"] == ["B"]
    assert gdf.attrs["keep_fields"] == ["year", "iucn"]
    assert gdf.attrs["id_field"] == "code"
    one = read_polygons(path, id_field="code", keep_fields="year")
    assert list(one.columns) == ["code", "year", "geometry"]
    with pytest.raises(InputError, match="keep_fields 'established' is not a field"):
        read_polygons(path, id_field="code", keep_fields=["established"])

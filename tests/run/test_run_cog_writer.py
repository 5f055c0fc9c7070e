"""report.rasters.write_cog: a dask layer is written block by block and gives the same COG as the in-memory layer."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import rioxarray  # noqa: F401
import xarray as xr

from indicators.report.rasters import write_cog


def _layer(values, *, nodata, flags=False):
    ny, nx = values.shape[-2:]
    da = xr.DataArray(values, dims=("year", "y", "x") if values.ndim == 3 else ("y", "x"),
                      coords={"y": 50.0 - (np.arange(ny) + 0.5) * 0.01, "x": 5.0 + (np.arange(nx) + 0.5) * 0.01})
    if values.ndim == 3:
        da = da.assign_coords(year=[2000 + i for i in range(values.shape[0])])
    da = da.rio.write_crs("EPSG:4326").rio.write_nodata(nodata, encoded=False)
    if flags:
        da.attrs.update(flag_values=[1, 2, 3], flag_meanings="degraded stable improved", long_name="classes")
    else:
        da.attrs.update(units="t/ha", long_name="stock")
    return da


@pytest.mark.parametrize("kind", ["classes", "continuous"])
def test_dask_layer_gives_the_same_cog_as_in_memory(kind, tmp_path):
    rng = np.random.default_rng(4)
    if kind == "classes":
        values = rng.integers(0, 4, size=(700, 900)).astype("uint8")
        da = _layer(values, nodata=0, flags=True)
    else:
        values = rng.normal(50, 10, size=(2, 700, 900))
        values[:, :5, :5] = np.nan
        da = _layer(values, nodata=np.nan)
    colors = {1: "#d7191c", 2: "#ffffbf", 3: "#1a9641"} if kind == "classes" else None
    eager = write_cog(da, tmp_path / "eager.tif", colors=colors)
    lazy = write_cog(da.chunk({"y": 256, "x": 300}), tmp_path / "lazy.tif", colors=colors)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eager.tif", "lazy.tif"]  # no staging file left
    with rasterio.open(eager) as a, rasterio.open(lazy) as b:
        pa, pb = dict(a.profile), dict(b.profile)
        na, nb = pa.pop("nodata"), pb.pop("nodata")
        assert pa == pb and (na == nb or (np.isnan(na) and np.isnan(nb)))
        assert a.tags() == b.tags() and a.descriptions == b.descriptions
        np.testing.assert_array_equal(a.read(), b.read())
        assert a.overviews(1) == b.overviews(1)
        if kind == "classes":
            assert a.colormap(1) == b.colormap(1)
        else:
            assert a.read().dtype == np.float32


def cog_problems(path) -> list[str]:
    """What GDAL's COG validation checks and rasterio can see: GDAL's own COG layout mark (the ghost header that
    only the COG driver writes, with the IFDs before the data), tiles, and overviews on a raster larger than a tile."""
    with rasterio.open(path) as src:
        problems = []
        if src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") != "COG":
            problems.append("no COG layout")
        if not src.profile.get("tiled"):
            problems.append("not tiled")
        if max(src.width, src.height) > 512 and not src.overviews(1):
            problems.append("no overviews")
    return problems


def test_class_stack_opens_well_in_gdal_and_qgis(tmp_path):
    """Each layer of a class stack: a valid COG with band description, CF tags without machine paths, category
    names and an attribute table that GDAL reads back, and a QGIS style with the legend's colours and names."""
    import xml.etree.ElementTree as ET

    from indicators.report.rasters import write_cogs

    from .gdal_read import category_names

    values = np.random.default_rng(1).integers(1, 4, size=(2, 600, 700)).astype("uint8")
    da = _layer(values, nodata=0, flags=True)
    da.attrs["source"] = f"{tmp_path / 'inputs' / 'lc_2000.tif'}, {tmp_path / '.gone.staging.tif'}"
    (tmp_path / "inputs").mkdir()
    (tmp_path / "inputs" / "lc_2000.tif").write_bytes(b"")
    colors = {1: "#d7191c", 2: "#ffffbf", 3: "#1a9641"}
    labels = {1: "Degraded", 2: "Stable", 3: "Improved"}
    paths = write_cogs(da, tmp_path / "out" / "sdg.tif", colors=colors, labels=labels, inputs_root=tmp_path)
    assert [p.name for p in paths] == ["sdg_2000.tif", "sdg_2001.tif"]
    for p in paths:
        assert cog_problems(p) == []
        with rasterio.open(p) as src:
            assert src.descriptions[0] == f"classes (year {p.stem[-4:]})"
            assert src.tags()["source"] == "inputs/lc_2000.tif"  # relative to the configuration; no staging file
        names, rat = category_names(p)
        assert names == ["", "Degraded", "Stable", "Improved"]
        assert rat == [("1", "Degraded"), ("2", "Stable"), ("3", "Improved")]
        qml = ET.parse(p.with_suffix(".qml")).getroot()
        entries = [(e.get("value"), e.get("color"), e.get("label")) for e in qml.iter("paletteEntry")]
        assert entries == [("1", "#d7191c", "Degraded"), ("2", "#ffffbf", "Stable"), ("3", "#1a9641", "Improved")]
        assert qml.find("pipe/rasterrenderer").get("type") == "paletted"
    assert da.attrs["source"].startswith(str(tmp_path))  # the caller's attributes are unchanged


def test_continuous_layer_has_unit_and_description(tmp_path):
    from indicators.report.rasters import write_cogs

    da = _layer(np.random.default_rng(2).normal(size=(40, 50)), nodata=np.nan)
    da.attrs.update(units="person", long_name="population exposed")
    (path,) = write_cogs(da, tmp_path / "pop.tif")
    with rasterio.open(path) as src:
        assert src.units == ("person",) and src.descriptions == ("population exposed",)
    assert cog_problems(path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pop.tif"]  # no side file for a continuous layer


@pytest.mark.parametrize("lazy", [False, True])
def test_overviews_by_hand(lazy, tmp_path):
    """The overviews (D31): 2, 4, … until the longer side fits a 256-px tile; at level 2 a pixel of a continuous
    layer is the mean of the valid full-resolution pixels of its 2 × 2 block (NaN left out), a pixel of a class layer
    one of the block's own codes (nearest: never a mix of classes)."""
    rng = np.random.default_rng(7)
    cont = rng.normal(50, 10, size=(600, 512)).astype("float32")
    cont[rng.random(cont.shape) < 0.1] = np.nan
    classes = rng.integers(1, 4, size=(600, 512)).astype("uint8")
    for values, flags, nodata in ((cont, False, np.nan), (classes, True, 0)):
        da = _layer(values, nodata=nodata, flags=flags)
        path = write_cog(da.chunk({"y": 200, "x": 300}) if lazy else da, tmp_path / f"l{int(flags)}.tif")
        with rasterio.open(path) as src:
            assert src.overviews(1) == [2, 4]  # 600 -> 300 -> 150: fits a tile after two halvings
        with rasterio.open(path, overview_level=0) as src:
            level = src.read(1)
        assert level.shape == (300, 256)
        blocks = values.reshape(300, 2, 256, 2).transpose(0, 2, 1, 3).reshape(300, 256, 4)
        if flags:
            assert (blocks == level[..., None]).any(axis=-1).all()
        else:
            with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning, match="Mean of empty slice"):
                want = np.nanmean(blocks.astype("float64"), axis=-1)
            np.testing.assert_allclose(level, want, rtol=1e-6)

"""report.figures: maps fit to print (150 dpi, scale bar, CRS named), diverging palettes centred on 0, decimated reads."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import rioxarray  # noqa: F401
import xarray as xr

from indicators.report.figures import (DPI, LegendEntry, _nice_length, decimated, diverging_limits, map_png, overview_level,
                                      read_for_map, scale_bar)


def _da(values, *, res=0.01):
    ny, nx = values.shape[-2:]
    dims = ("year", "y", "x") if values.ndim == 3 else ("y", "x")
    da = xr.DataArray(values, dims=dims, coords={"y": 46.0 - (np.arange(ny) + 0.5) * res, "x": 10.0 + (np.arange(nx) + 0.5) * res})
    if values.ndim == 3:
        da = da.assign_coords(year=list(range(2000, 2000 + values.shape[0])))
    return da.rio.write_crs("EPSG:4326")


def _png_dpi(png: bytes) -> float:
    from PIL import Image

    return Image.open(io.BytesIO(png)).info["dpi"][0]


def test_signed_layers_get_limits_symmetric_about_zero():
    assert diverging_limits(-1.2, 3.0) == (-3.0, 3.0)
    assert diverging_limits(0.1, 3.0) is None and diverging_limits(-3.0, -0.1) is None


def test_scale_bar_length_is_a_round_number_of_km():
    assert [_nice_length(x) for x in (0.7, 13.0, 27.0, 64.0, 180.0)] == [0.5, 10.0, 20.0, 50.0, 100.0]
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    # 2° of longitude at 45°N is 2 * 111.32 * cos(45°) = 157.4 km: a quarter of it rounds down to 20 km
    assert scale_bar(ax, (10.0, 12.0, 44.0, 46.0), geographic=True) == 20.0
    # a projected map 100 km wide (metres): 25 km -> 20 km
    assert scale_bar(ax, (0.0, 100_000.0, 0.0, 50_000.0), geographic=False) == 20.0
    assert math.isclose(111.32 * math.cos(math.radians(45)) * 2 / 4, 39.35, abs_tol=0.01)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_maps_are_print_quality_with_crs_and_legend(language):
    from PIL import Image

    classes = _da(np.tile(np.array([1, 2, 3], dtype="uint8"), (60, 30)))
    png = map_png(classes, title="classes", legend=[LegendEntry(1, "Degraded", "#d7191c"), LegendEntry(2, "Stable", "#ffffbf"),
                                                    LegendEntry(3, "Improved", "#1a9641")], language=language)
    assert _png_dpi(png) == pytest.approx(DPI, abs=1) and DPI >= 150
    assert Image.open(io.BytesIO(png)).size[0] >= 1000  # a usable single panel (about 7 inches at 150 dpi)
    spei = _da(np.linspace(-2.5, 1.0, 3 * 40 * 50).reshape(3, 40, 50))
    png = map_png(spei, title="SPEI", units="SPEI", language=language)
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    # BrBG: the driest values are brown, the centre (0) near white; viridis has neither
    assert ((img[..., 0] > 120) & (img[..., 2] < 60) & (img[..., 1] > 50)).sum() > 100  # brown
    assert Image.open(io.BytesIO(png)).size[0] >= 3 * 3.0 * DPI * 0.9  # three panels of about 3 inches


def test_maps_read_decimated_panels_of_a_large_lazy_stack():
    big = _da(np.zeros((2, 10, 10), dtype="float32"))
    import dask.array as dsa

    lazy = xr.DataArray(dsa.zeros((2, 3000, 2000), chunks=(1, 1000, 1000), dtype="float32"), dims=("year", "y", "x"),
                        coords={"year": [2000, 2001], "y": 46.0 - (np.arange(3000) + 0.5) * 1e-4,
                                "x": 10.0 + (np.arange(2000) + 0.5) * 1e-4}).rio.write_crs("EPSG:4326")
    small = decimated(lazy)
    assert max(small.sizes["y"], small.sizes["x"]) <= 600 and small.chunks is not None  # still lazy
    assert map_png(lazy, title="large", units="1")[:4] == b"\x89PNG"
    assert decimated(big) is big


def test_overview_level_is_the_coarsest_not_below_the_map_size():
    # overviews 2, 4, 8 of a 2400 px side are 1200, 600, 300 px: 600 is the coarsest of at least 600
    assert overview_level(2400, [2, 4, 8]) == 1
    assert overview_level(1000, [2, 4]) is None  # 500 < 600: the full resolution
    assert overview_level(1300, [2, 4]) == 0  # 650 px
    assert overview_level(2400, []) is None


def test_maps_of_written_class_cogs_read_the_nearest_overview(tmp_path):
    """A class stack written by the report's COG writer, read back for the map: the (1600, 2400) px layers'
    overviews are 800x1200, 400x600, 200x300, so the map reads the 1/4 one, (400, 600) px; nearest
    resampling keeps each 4x4 block's top-left pixel (GDAL), so every value is a code or nodata of the
    layer, never an average of codes."""
    from indicators.report.rasters import write_cogs

    ny, nx = 1600, 2400
    yy, xx = np.mgrid[0:ny, 0:nx]
    codes = np.array([1, 2, 3, 0], dtype="uint8")  # 0 is nodata; neighbours differ, so an average is no code
    full = np.stack([codes[(yy * 7 + xx * 3 + k) % 4] for k in range(2)])
    full[:, :100, :] = 0  # a strip outside the boundary
    layer = _da(full, res=0.001).assign_attrs(flag_values=[1, 2, 3], flag_meanings="a b c", _FillValue=0)
    paths = write_cogs(layer, tmp_path / "cls.tif", colors={1: "#ff0000", 2: "#00ff00", 3: "#0000ff"})
    lazy = layer.chunk({"year": 1, "y": 400, "x": 400})
    read = read_for_map(paths, lazy)
    assert read.dims == ("year", "y", "x") and read.shape == (2, 400, 600) and read.chunks is not None
    values = read.values
    assert set(np.unique(values)) <= {0, 1, 2, 3}
    assert (values == full[:, ::4, ::4]).all()
    assert list(read["year"].values) == [2000, 2001] and read.rio.nodata == 0
    # the same extent as the layer: 2.4 by 1.6 degrees from (10, 46)
    assert float(read.x[0]) == pytest.approx(10.0 + 0.002) and float(read.y[-1]) == pytest.approx(46.0 - 1.6 + 0.002)
    png = map_png(read, title="classes", legend=[LegendEntry(c, "c", "#000000") for c in (1, 2, 3)])
    assert png[:4] == b"\x89PNG"

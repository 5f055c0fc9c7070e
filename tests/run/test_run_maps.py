"""report.figures: maps fit to print (150 dpi, scale bar, CRS named), diverging palettes centred on 0, decimated reads."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import rioxarray  # noqa: F401
import xarray as xr

from indicators.report.figures import DPI, LegendEntry, _nice_length, decimated, diverging_limits, map_png, scale_bar


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

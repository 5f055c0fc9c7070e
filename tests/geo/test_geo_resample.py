"""grid_resample.resample_nearest: lazy nearest-neighbour resampling of a small (coarse) raster onto a reference grid."""

from __future__ import annotations

import numpy as np
import pytest
import rioxarray  # noqa: F401
import xarray as xr
from rasterio.enums import Resampling

from indicators.errors import InputError
from indicators.grid_resample import resample_nearest


def _grid(values, *, left, top, res, crs, dims=("y", "x"), nodata=None, lead=None):
    values = np.asarray(values)
    ny, nx = values.shape[-2:]
    coords = {"y": top - (np.arange(ny) + 0.5) * res, "x": left + (np.arange(nx) + 0.5) * res}
    if lead is not None:
        coords[lead[0]] = lead[1]
        dims = (lead[0], *dims)
    da = xr.DataArray(values, dims=dims, coords=coords).rio.write_crs(crs)
    return da.rio.write_nodata(nodata, encoded=False) if nodata is not None else da


def test_hand_case_each_coarse_cell_fills_its_fine_cells():
    src = _grid([[1, 2], [3, 4]], left=0, top=2, res=1.0, crs="EPSG:3035", nodata=0)
    ref = _grid(np.zeros((4, 6)), left=0, top=2, res=0.5, crs="EPSG:3035").chunk({"y": 2, "x": 3})
    out = resample_nearest(ref, src.astype("uint8"))
    assert out.chunks is not None  # lazy, chunked like the reference
    want = np.array([[1, 1, 2, 2, 0, 0], [1, 1, 2, 2, 0, 0], [3, 3, 4, 4, 0, 0], [3, 3, 4, 4, 0, 0]], dtype="uint8")
    np.testing.assert_array_equal(out.values, want)  # the last two columns lie outside the source: nodata
    assert out.dtype == np.uint8 and out.rio.nodata == 0 and out.rio.crs.to_epsg() == 3035


def _classes():
    rng = np.random.default_rng(2)
    classes = rng.integers(1, 6, size=(3, 12, 16)).astype("uint8")
    return classes, _grid(classes, left=10.0, top=52.0, res=0.5, crs="EPSG:4326", nodata=255,
                          lead=("year", [2001, 2002, 2003]))


def test_same_crs_equals_gdal_nearest():
    # an independent reference: GDAL's nearest-neighbour warp (rioxarray.reproject_match)
    _, src = _classes()
    ref = _grid(np.zeros((50, 70), "float32"), left=10.12, top=51.93, res=0.1, crs="EPSG:4326")
    gdal = src.rio.reproject_match(ref, resampling=Resampling.nearest)
    ours = resample_nearest(ref.chunk({"y": 16, "x": 32}), src)
    assert ours.dims == ("year", "y", "x") and list(ours["year"].values) == [2001, 2002, 2003]
    assert (gdal.values != 255).mean() > 0.5
    np.testing.assert_array_equal(ours.values, gdal.values)


def test_other_crs_takes_the_pixel_containing_each_centre():
    from pyproj import Transformer

    classes, src = _classes()
    ref = _grid(np.zeros((60, 80), "float32"), left=4_330_000.0, top=3_260_000.0, res=10_000.0, crs="EPSG:3035")
    ours = resample_nearest(ref.chunk({"y": 16, "x": 32}), src).values
    # by hand, cell by cell: the centre in lon/lat, then the 0.5° source pixel that contains it
    to_lonlat = Transformer.from_crs("EPSG:3035", "EPSG:4326", always_xy=True)
    want = np.full(ours.shape, 255, dtype="uint8")
    edge = np.zeros(ours.shape[1:], dtype=bool)
    for r, y in enumerate(ref["y"].values):
        for c, x in enumerate(ref["x"].values):
            lon, lat = to_lonlat.transform(x, y)
            col, row = (lon - 10.0) / 0.5, (52.0 - lat) / 0.5
            edge[r, c] = min(abs(col - round(col)), abs(row - round(row))) < 0.15
            if 0 <= row < 12 and 0 <= col < 16:
                want[:, r, c] = classes[:, int(np.floor(row)), int(np.floor(col))]
    assert (want != 255).mean() > 0.3
    np.testing.assert_array_equal(ours, want)
    # GDAL's warp agrees except near a pixel edge, within its approximate transformer's error (0.125 pixel by default)
    gdal = src.rio.reproject_match(ref, resampling=Resampling.nearest).values
    differ = (gdal != ours).any(axis=0)
    assert differ.mean() < 0.05 and not (differ & ~edge).any()


def test_float_without_nodata_gets_nan_and_in_memory_reference_gives_numpy():
    src = _grid(np.array([[1.5, 2.5]], "float32"), left=0, top=1, res=1.0, crs="EPSG:3035")
    ref = _grid(np.zeros((2, 6)), left=0, top=1, res=0.5, crs="EPSG:3035")
    out = resample_nearest(ref, src)
    assert out.chunks is None
    np.testing.assert_array_equal(out.values[0], [1.5, 1.5, 2.5, 2.5, np.nan, np.nan])


def test_integer_without_nodata_is_refused():
    src = _grid(np.array([[1, 2]], "uint8"), left=0, top=1, res=1.0, crs="EPSG:3035")
    ref = _grid(np.zeros((2, 4)), left=0, top=1, res=0.5, crs="EPSG:3035")
    with pytest.raises(InputError, match="nodata"):
        resample_nearest(ref, src)


# --------------------------------------------------------------------------- covering_cells (D32: SO3-1's maps)
def test_covering_cells_by_hand():
    """A 1° grid 10-20°E, 40-50°N and a 0.1° country grid 12.35-14.05°E, 44.95-46.55°N: the columns 12-15°E and
    the rows 47-44°N cover it (floor/ceil of its edges in source cells), on the source's own grid."""
    from indicators.grid_resample import covering_cells

    src = _grid(np.arange(100).reshape(10, 10).astype("int16"), left=10.0, top=50.0, res=1.0, crs="EPSG:4326", nodata=-1)
    ref = _grid(np.zeros((16, 17)), left=12.35, top=46.55, res=0.1, crs="EPSG:4326")
    out = covering_cells(src, ref)
    np.testing.assert_array_equal(out.values, np.arange(100).reshape(10, 10)[3:6, 2:5])
    assert tuple(out.rio.transform())[:6] == (1.0, 0.0, 12.0, 0.0, -1.0, 47.0)
    assert out.rio.nodata == -1 and out.rio.crs.to_epsg() == 4326
    # what the country grid looks up is the same from the rectangle as from the whole source
    np.testing.assert_array_equal(resample_nearest(ref, out).values, resample_nearest(ref, src).values)


def test_covering_cells_other_crs_and_outside():
    from indicators.grid_resample import covering_cells

    classes, src = _classes()
    ref = _grid(np.zeros((20, 30), "float32"), left=4_400_000.0, top=3_200_000.0, res=5_000.0, crs="EPSG:3035")
    out = covering_cells(src, ref)
    assert out.shape[-2] * out.shape[-1] < src.shape[-2] * src.shape[-1]  # a part of the source
    np.testing.assert_array_equal(resample_nearest(ref, out).values, resample_nearest(ref, src).values)
    far = _grid(np.zeros((4, 4)), left=100.0, top=10.0, res=0.1, crs="EPSG:4326")  # nowhere near the source
    assert covering_cells(src, far).shape[-2:] == (1, 1)

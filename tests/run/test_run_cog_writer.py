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

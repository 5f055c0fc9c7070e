"""Fixtures for the run tests: a tiny synthetic country, a fake framework and one test stage."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from indicators.report.figures import LegendEntry
from indicators.report.model import Chart, RasterOutput
from indicators.report.tables import Table
from indicators.stage import Need, Stage

WEST, NORTH, RES = 10.0, 46.0, 0.01
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
NY, NX = 30, 40


def write_tif(path: Path, data: np.ndarray, *, nodata=-9999.0, west=WEST, north=NORTH, res=RES, crs="EPSG:4326") -> Path:
    import rasterio
    from rasterio.transform import from_origin

    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0],
                       dtype=data.dtype.name, crs=crs, transform=from_origin(west, north, res, res), nodata=nodata) as dst:
        dst.write(data)
    return path


def write_boundary(path: Path, *, admin: bool = False) -> Path:
    import geopandas as gpd
    from shapely.geometry import box

    e, s = WEST + NX * RES, NORTH - NY * RES
    if admin:
        mid = WEST + NX * RES / 2
        gdf = gpd.GeoDataFrame({"code": ["A", "B"], "name": ["West", "East"]},
                               geometry=[box(WEST + 0.02, s + 0.02, mid, NORTH - 0.02), box(mid, s + 0.02, e - 0.02, NORTH - 0.02)],
                               crs="EPSG:4326")
    else:
        gdf = gpd.GeoDataFrame({"name": ["Testland"]}, geometry=[box(WEST + 0.02, s + 0.02, e - 0.02, NORTH - 0.02)], crs="EPSG:4326")
    gdf.to_file(path, driver="GPKG")
    return path


@pytest.fixture
def country(tmp_path: Path) -> Path:
    """A directory with a boundary, admin units, a 3-year 'values' raster and a config file."""
    d = tmp_path / "country"
    d.mkdir()
    write_boundary(d / "boundary.gpkg")
    write_boundary(d / "admin.gpkg", admin=True)
    yy, xx = np.mgrid[0:NY, 0:NX]
    for i, year in enumerate((2001, 2002, 2003)):
        write_tif(d / f"values_{year}.tif", (xx * 2.0 + yy + 10 * i).astype("float32"))
    cfg = {
        "country": {"name": "Testland", "boundary": "boundary.gpkg",
                    "admin_units": {"path": "admin.gpkg", "id_field": "code", "name_field": "name"}},
        "inputs": {"values": {"path": "values_{year}.tif", "units": "mm", "years": "2001-2003", "source": "synthetic"}},
    }
    (d / "config.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return d


def fake_framework(codes=("SO9-1", "SO9-2")):
    """The few attributes of a Framework the engine uses."""
    inds = [SimpleNamespace(code=c, name=f"Test indicator {c}", name_by_edition={}, multipurpose_of=None, tables=[])
            for c in codes]
    params = {"test": SimpleNamespace(model_dump=lambda mode="json": {"threshold": 60.0, "source": "test"})}

    class FW(SimpleNamespace):
        def indicator(self, code):
            return next(i for i in inds if i.code == code)

        def parameters(self, block):
            return params[block]

        def spec_hash(self):
            return "0" * 64

        def edition_spec(self, edition=None):
            return SimpleNamespace(country_profile_tables=[])

    return FW(indicators=inds, edition="2026", profile=SimpleNamespace(id="default"), overlay=None)


LEGEND = [LegendEntry(1, "low", "#1a9850"), LegendEntry(2, "high", "#d73027")]


def _run_test_stage(ctx) -> None:
    import xarray as xr

    p = ctx.params("SO9-1", "test")
    threshold = p.model_dump()["threshold"]
    values = ctx.raster("values")
    classes = xr.where(values.isnull(), 255, xr.where(values > threshold, 2, 1)).astype("uint8")
    classes.attrs.update({"long_name": "test classes", "units": "1", "flag_values": [1, 2],
                          "flag_meanings": "low high", "_FillValue": 255})
    classes = classes.rio.write_crs(values.rio.crs)
    (classes,) = ctx.compute(classes)
    ctx.add_raster(RasterOutput("SO9-1", "classes", "Test classes per year", classes, legend=LEGEND))
    counts = [(int(y), int((classes.sel(year=y) == 2).sum())) for y in classes["year"].values]
    frame = pd.DataFrame(counts, columns=["year", "high_cells"])
    frame["share"] = frame["high_cells"] / (NY * NX) * 100.0
    ctx.add_table(Table("SO9-1.T1", "High cells per year", frame, units={"share": "percent"}))
    ctx.add_chart(Chart("SO9-1", "High cells", frame.set_index("year")[["share"]], ylabel="%"))
    ctx.choose("SO9-1", "D6", "Values equal to the threshold are low.")
    ctx.polygons(values.rio.crs)


TEST_STAGES = [
    Stage(id="test", title="SO9-1 test classes", indicators=("SO9-1",), modules=("indicators.classes",),
          needs=lambda inputs, fw: [Need("values", "raster", "mm", (2001, 2002, 2003))], run=_run_test_stage,
          tables=("SO9-1.T1",)),
    Stage(id="later", title="SO9-2 never", indicators=("SO9-2",), modules=("indicators.no_such_module",),
          needs=lambda inputs, fw: [], run=lambda ctx: None),
]


def drought_config(tmp_path: Path) -> tuple[Path, Path]:
    """The demo country with only its precipitation and population (SO3-1, SO3-2: a quick run), copied to *tmp_path*;
    returns the configuration and one of the GeoTIFFs the workers open."""
    cfg = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text())
    cfg["country"]["boundary"] = str(SAMPLE / cfg["country"]["boundary"])
    cfg["country"]["admin_units"]["path"] = str(SAMPLE / cfg["country"]["admin_units"]["path"])
    cfg["overlay"] = str(SAMPLE / cfg["overlay"])
    precip = tmp_path / "inputs" / "precip_monthly.nc"
    precip.parent.mkdir()
    shutil.copy(SAMPLE / cfg["inputs"]["precipitation"]["path"], precip)
    inputs = {"precipitation": dict(cfg["inputs"]["precipitation"], path=str(precip))}
    for sex in ("total", "female", "male"):
        name = f"population_{sex}"
        for year in cfg["inputs"][name]["years"]:
            shutil.copy(SAMPLE / "population" / f"{name}_{year}.tif", precip.parent)
        inputs[name] = dict(cfg["inputs"][name], path=str(precip.parent / f"{name}_{{year}}.tif"))
    cfg["inputs"] = inputs
    path = precip.parent / "config.yaml"  # beside its inputs; the outputs go to tmp_path/runs (D27)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path, precip.parent / "population_total_2020.tif"

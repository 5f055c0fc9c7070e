"""indicators.compute: one indicator from DataArrays through the spec bindings, against the demo's tables."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import indicators
from indicators.errors import ArgumentError, IndicatorsError, UnknownNameError
from indicators.io import open_raster, read_polygons

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"
GOLDEN = REPO / "tests" / "data" / "demo_golden" / "SO1-4" / "SO1-4.T1.csv"
WINDOWS = {"baseline": "2000_2015", "report_1": "2004_2019", "report_2": "2008_2023"}


def _inputs(chunks="auto"):
    lc = {y: open_raster(SAMPLE / f"land_cover/esa_cci_lc_{y}.tif", nodata=0, chunks=chunks) for y in range(2000, 2024)}
    lpd = {p: open_raster(SAMPLE / f"productivity/lpd_{p}_{w}.tif", nodata=0, chunks=chunks) for p, w in WINDOWS.items()}
    return dict(land_cover=lc, lpd=lpd, soc=open_raster(SAMPLE / "soc/soc_reference_2000.tif", chunks=chunks),
                climate_zones=open_raster(SAMPLE / "soc/ipcc_climate_zones.tif", chunks=chunks),
                boundary=read_polygons(SAMPLE / "vectors/boundary.gpkg"),
                recode_polygons=gpd.read_file(SAMPLE / "vectors/recode_polygons.gpkg"))


@pytest.fixture(scope="module")
def sdg():
    return indicators.compute("SO1-4", **_inputs(), overlay=str(SAMPLE / "overlay_arvelia.yaml"))


def test_sdg_from_dataarrays_equals_the_demo_table(sdg):
    """The demo run's SO1-4.T1 (golden file) from DataArrays: the same boundary (cells whose centre is outside
    are in no row), recode polygons, SOC, and the same land denominator (D3: valid land inside the boundary, less
    inland water of the baseline's first land-cover year). Every row is compared: degraded/stable/improved km² and
    % of land, no data, water and total land area, for the baseline and both reporting periods (status)."""
    golden = pd.read_csv(GOLDEN)
    got = sdg.table("SO1-4.T1")
    assert list(got.columns) == list(golden.columns)
    assert got[["period", "class"]].values.tolist() == golden[["period", "class"]].values.tolist()
    np.testing.assert_allclose(got["area_km2"], golden["area_km2"], rtol=1e-6)
    np.testing.assert_allclose(got["percent_of_land"], golden["percent_of_land"], rtol=1e-6)  # NaN == NaN
    np.testing.assert_allclose(got["percent_of_land_with_data"], golden["percent_of_land_with_data"], rtol=1e-6)
    assert got.attrs["units"] == {"area_km2": "km**2", "percent_of_land": "percent", "percent_of_land_with_data": "percent"}


def test_sdg_layers_carry_crs_cf_attrs_and_partition_the_land(sdg):
    ds = sdg.layers
    assert ds.rio.crs.to_epsg() == 4326
    assert ds.attrs["Conventions"].startswith("CF") and ds.attrs["indicator"] == "SO1-4"
    assert sdg.parameters["one_out_all_out"] == {"nodata_rule": "degraded_wins"}  # the specs' value, recorded
    reported = ds["sdg_15_3_1"]
    assert reported.dtype == np.uint8 and reported.attrs["flag_values"] is not None
    assert "degraded" in reported.attrs["flag_meanings"]
    assert ds["status_expanded"].dtype == np.uint8
    assert int(ds["status_expanded"].sel(period="baseline").max()) == 0  # no status of the baseline
    t1 = sdg.table("SO1-4.T1")
    base = t1[t1.period == "baseline"].set_index("class")
    # the three classes and no data partition the land (D22): percentages of the land add up to 100, and the three
    # classes' shares of the land with data too
    assert base.loc[["degraded", "stable", "improved"], "percent_of_land"].sum() + 100.0 * base.loc[
        "no data", "area_km2"] / base.loc["total land area", "area_km2"] == pytest.approx(100.0)
    assert base.loc[["degraded", "stable", "improved"], "percent_of_land_with_data"].sum() == pytest.approx(100.0)


def test_one_period_by_metric_id_and_numpy_equals_dask():
    inp = _inputs()
    one = indicators.compute("SO1-4.proportion_degraded", **inp, periods=["baseline"])
    eager = {k: ({kk: vv.compute() for kk, vv in v.items()} if isinstance(v, dict) and k != "recode_polygons"
                 else v.compute() if isinstance(v, xr.DataArray) else v) for k, v in inp.items()}
    two = indicators.compute("SO1-4", **eager, periods=["baseline"])
    assert two.layers["sdg_15_3_1"].chunks is None and one.layers["sdg_15_3_1"].chunks is not None
    pd.testing.assert_frame_equal(one.table("SO1-4.T1"), two.table("SO1-4.T1"))
    golden = pd.read_csv(GOLDEN)
    np.testing.assert_allclose(one.table("SO1-4.T1")["area_km2"], golden[golden.period == "baseline"]["area_km2"],
                               rtol=1e-6)


def test_subindicators_and_spi():
    inp = _inputs()
    lc = indicators.compute("SO1-1", land_cover=inp["land_cover"], boundary=inp["boundary"], periods=["baseline"])
    assert "land_cover_degradation" in lc.layers and "SO1-1.summary" in lc.tables
    t = lc.table("SO1-1.summary").set_index("class")
    assert t.loc[["degraded", "stable", "improved"], "percent_of_land"].sum() == pytest.approx(100.0)
    prod = indicators.compute("SO1-2", lpd=inp["lpd"], periods=["report_1"])
    assert list(prod.layers["productivity"]["period"].values) == ["report_1"]
    precip = open_raster(SAMPLE / "climate/precip_monthly.nc", variable="precip", units="mm/month")
    so31 = indicators.compute("SO3-1", precipitation=precip)
    cls = so31.table("SO3-1.classes")
    assert set(so31.layers) == {"spi", "spi_annual", "drought_class"}
    assert cls.attrs["units"]["area_km2"] == "km**2"
    # per year, the classes partition the valid cells
    for _, g in cls.groupby("year"):
        assert g[g.kind == "class"]["area_km2"].sum() == pytest.approx(float(g[g.kind == "land_area"]["area_km2"].iloc[0]))


def test_refusals_name_the_argument():
    inp = _inputs()
    with pytest.raises(ArgumentError, match="SO2-1.*not computed.*supported"):
        indicators.compute("SO2-1")
    with pytest.raises(UnknownNameError, match="SO9-9"):
        indicators.compute("SO9-9")
    with pytest.raises(ArgumentError, match="lpd=<DataArray>"):
        indicators.compute("SO1-4", land_cover=inp["land_cover"])
    with pytest.raises(ArgumentError, match="periods.*report_9"):
        indicators.compute("SO1-2", lpd=inp["lpd"], periods=["report_9"])
    bare = inp["lpd"]["baseline"].drop_vars("spatial_ref")
    bare.attrs.pop("crs", None)
    with pytest.raises(IndicatorsError, match="no CRS"):
        indicators.compute("SO1-2", lpd={"baseline": bare}, periods=["baseline"])


def test_so13_soc_degradation_partitions_the_land():
    inp = _inputs()
    r = indicators.compute("SO1-3", land_cover=inp["land_cover"], soc=inp["soc"], climate_zones=inp["climate_zones"],
                           boundary=inp["boundary"], periods=["baseline"])
    t = r.table("SO1-3.summary").set_index("class")
    assert t.loc[["degraded", "stable", "improved"], "percent_of_land_with_data"].sum() == pytest.approx(100.0)
    # the same land and water as SDG 15.3.1 (D3, D22): one total land area, the demo's SO1-4.T1 baseline's, which
    # classes + no data make up (which cells lack a class differs between the layers), and the same inland water
    golden = pd.read_csv(GOLDEN).set_index(["period", "class"]).loc["baseline", "area_km2"]
    assert t.loc["total land area", "area_km2"] == pytest.approx(golden.loc["total land area"], rel=1e-6)
    assert t.loc[["degraded", "stable", "improved", "no data"], "area_km2"].sum() == pytest.approx(
        golden.loc["total land area"], rel=1e-6)
    assert t.loc["water", "area_km2"] == pytest.approx(golden.loc["water"], rel=1e-6)
    assert r.layers.rio.crs is not None and r.layers["soc_degradation"].dtype == np.uint8

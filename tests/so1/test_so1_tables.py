"""SO1 reporting tables: km² on an equal-area grid and a high-latitude geographic grid, denominators,
process areas, SOC stocks, LDN counterbalancing, recodes, SO2-3 population; partition and numpy≡dask properties."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from affine import Affine
from pyproj import Geod
from shapely.geometry import box

from indicators.so1 import tables as T
from indicators.so1.sdg import apply_recodes
from indicators.so2.land_degradation_exposure import population_exposed_to_degradation


def laea(values, dtype="uint8"):
    """A grid of 1 km × 1 km cells in ETRS89-LAEA (equal-area): every cell is exactly 1 km²."""
    arr = np.asarray(values, dtype=dtype)
    ny, nx = arr.shape
    da = xr.DataArray(arr, dims=("y", "x"),
                      coords={"y": 3_000_500.0 - 1000.0 * np.arange(ny), "x": 4_000_500.0 + 1000.0 * np.arange(nx)})
    # the transform is written explicitly: a one-row grid has no y spacing to infer it from
    return da.rio.write_crs("EPSG:3035").rio.write_transform(Affine(1000.0, 0.0, 4_000_000.0, 0.0, -1000.0, 3_001_000.0))


def pair_grids():
    ini = np.repeat(np.arange(1, 8)[:, None], 7, axis=1)
    fin = np.repeat(np.arange(1, 8)[None, :], 7, axis=0)
    return laea(ini), laea(fin)


def test_transition_matrix_km2_equal_area():
    ini, fin = pair_grids()
    t = T.transition_matrix_table(ini.rename("initial"), fin.rename("final"), codes=range(1, 8))
    assert t.shape == (8, 8)
    assert np.allclose(t.iloc[:7, :7].to_numpy(), 1.0)  # every pair is one 1 km² cell
    assert t.loc["no data"].sum() == 0 and t.index[0] == "tree-covered areas"


def test_degradation_processes_from_the_specs_matrix():
    spec = {
        "columns": [1, 2, 3, 4, 5, 6, 7],
        "rows": [
            {"from": 1, "values": [0, -1, -1, -1, -1, -1, 0],
             "processes": [None, "vegetation loss", "deforestation", "inundation", "deforestation", "vegetation loss", None]},
            {"from": 2, "values": [1, 0, 1, -1, -1, -1, 0],
             "processes": ["afforestation", None, "agricultural expansion", "inundation", "urban expansion", "vegetation loss", None]},
            {"from": 3, "values": [1, -1, 0, -1, -1, -1, 0],
             "processes": ["afforestation", "withdrawal of agriculture", None, "inundation", "urban expansion", "vegetation loss", None]},
            {"from": 4, "values": [-1, -1, -1, 0, -1, -1, 0],
             "processes": ["woody encroachment", "wetland drainage", "wetland drainage", None, "wetland drainage", "wetland drainage", None]},
            {"from": 5, "values": [1, 1, 1, 1, 0, 1, 0],
             "processes": ["afforestation", "vegetation establishment", "agricultural expansion", "wetland establishment", None, "withdrawal of settlements", None]},
            {"from": 6, "values": [1, 1, 1, 1, -1, 0, 0],
             "processes": ["afforestation", "vegetation establishment", "agricultural expansion", "wetland establishment", "urban expansion", None, None]},
            {"from": 7, "values": [0] * 7, "processes": [None] * 7},
        ],
    }
    ini, fin = pair_grids()
    tm = T.transition_matrix_table(ini, fin, codes=range(1, 8))
    p = T.degradation_process_table(tm, spec, codes=range(1, 8)).set_index("process")
    # counted by hand from Table 9: one 1 km² cell per pair
    assert p.loc["deforestation", "area_km2"] == pytest.approx(2.0)
    assert p.loc["wetland drainage", "area_km2"] == pytest.approx(4.0)
    assert p.loc["urban expansion", "area_km2"] == pytest.approx(3.0)
    assert p.loc["afforestation", "area_km2"] == pytest.approx(4.0)
    assert p.loc["inundation", "meaning"] == "degraded"
    assert p.loc["stable", "area_km2"] == pytest.approx(7 + 6 + 6)  # diagonal + to/from water
    assert p["area_km2"].sum() == pytest.approx(49.0)


def test_sdg_summary_denominators():
    # 1 degraded, 2 stable, 1 improved, 1 nodata, 1 water cell (land cover 7), all 1 km²
    sdg = laea([[1, 2, 2, 3, 0, 2]])
    lc = laea([[1, 1, 3, 3, 2, 7]])
    mask = T.land_mask_from_land_cover(lc, water_codes=[7])
    d3 = T.sdg_summary_table(sdg, land_mask=mask, nodata_in_denominator=False).set_index("class")
    assert d3.loc["degraded", "area_km2"] == pytest.approx(1.0)
    assert d3.loc["stable", "area_km2"] == pytest.approx(2.0)
    assert d3.loc["water", "area_km2"] == pytest.approx(1.0)
    assert d3.loc["no data", "area_km2"] == pytest.approx(1.0)
    assert d3.attrs["denominator_km2"] == pytest.approx(4.0)  # D3: valid land only
    assert d3.loc["degraded", "percent_of_land"] == pytest.approx(25.0)
    te = T.sdg_summary_table(sdg, land_mask=mask, nodata_in_denominator=True)
    assert te.attrs["denominator_km2"] == pytest.approx(5.0)  # Trends.Earth: + no data
    off = T.sdg_summary_table(sdg, land_mask=mask, nodata_in_denominator=False, official_land_area_km2=10.0)
    assert off.set_index("class").loc["degraded", "percent_of_land"] == pytest.approx(10.0)
    assert off.attrs["pixel_land_area_km2"] == pytest.approx(4.0)


def test_high_latitude_geographic_grid_against_geodesic_areas():
    # 0.01° cells between 70.00 and 70.03 °N: areas shrink with latitude; the oracle is pyproj.Geod
    res = 0.01
    lat_top = 70.03
    sdg = xr.DataArray(np.array([[1, 1], [2, 2], [3, 0]], dtype="uint8"), dims=("y", "x"),
                       coords={"y": lat_top - res / 2 - res * np.arange(3), "x": 25.0 + res / 2 + res * np.arange(2)})
    sdg = sdg.rio.write_crs("EPSG:4326")
    geod = Geod(ellps="WGS84")

    def cell(lat0):
        lons = np.r_[np.linspace(25.0, 25.01, 20), np.linspace(25.01, 25.0, 20)]
        lats = np.r_[np.full(20, lat0), np.full(20, lat0 + res)]
        return abs(geod.polygon_area_perimeter(lons, lats)[0]) / 1e6

    t = T.sdg_summary_table(sdg, land_mask=None, nodata_in_denominator=False).set_index("class")
    assert t.loc["degraded", "area_km2"] == pytest.approx(2 * cell(70.02), rel=1e-7)
    assert t.loc["stable", "area_km2"] == pytest.approx(2 * cell(70.01), rel=1e-7)
    assert t.loc["improved", "area_km2"] == pytest.approx(cell(70.00), rel=1e-7)
    assert t.loc["degraded", "area_km2"] < t.loc["stable", "area_km2"]  # further north, smaller
    assert t.attrs["denominator_km2"] == pytest.approx(2 * cell(70.02) + 2 * cell(70.01) + cell(70.0), rel=1e-7)


def test_soc_stock_table_in_tonnes():
    soc = laea([[50.0, 30.0, np.nan, 10.0]], dtype="float32")
    lc = laea([[1, 1, 3, 7]])
    t = T.soc_stock_table(soc, lc, codes=range(1, 8)).set_index("class")
    # 1 km² = 100 ha
    assert t.loc[1, "soc_stock_t"] == pytest.approx(8000.0)
    assert t.loc[1, "soc_mean_t_per_ha"] == pytest.approx(40.0)
    assert t.loc[3, "soc_stock_t"] == 0.0 and t.attrs["missing_soc_cells"] == 1
    assert t.loc[7, "soc_stock_t"] == pytest.approx(1000.0)


def test_soc_mean_divides_by_the_area_that_has_a_stock():
    """Class 1 on three 1 km² cells, one without SOC: (60 + 20) t/ha × 100 ha = 8000 t over 2 km² with a stock,
    a mean of 40 t/ha (not 8000 / 300 ha = 26.7); the class area stays 3 km²."""
    soc = laea([[60.0, 20.0, np.nan, 10.0]], dtype="float32")
    lc = laea([[1, 1, 1, 3]])
    t = T.soc_stock_table(soc, lc, codes=range(1, 8)).set_index("class")
    assert t.loc[1, "soc_stock_t"] == pytest.approx(8000.0)
    assert t.loc[1, "area_km2"] == pytest.approx(3.0) and t.loc[1, "area_with_soc_km2"] == pytest.approx(2.0)
    assert t.loc[1, "soc_mean_t_per_ha"] == pytest.approx(40.0)
    assert t.loc[3, "soc_mean_t_per_ha"] == pytest.approx(10.0)
    assert np.isnan(t.loc[2, "soc_mean_t_per_ha"]) and t.loc[2, "area_with_soc_km2"] == 0.0


def test_ldn_counterbalancing_per_land_type():
    status = laea([[1, 2, 6, 7, 4, 3, 6, 0]])
    land = laea([[1, 1, 1, 1, 3, 3, 3, 3]])
    t = T.counterbalancing_table(status, land, gains=[6, 7], losses=[1, 2], neutral=[3, 4, 5],
                                 land_type_codes=range(1, 8)).set_index("name")
    assert t.loc["tree-covered areas", "gains_km2"] == pytest.approx(2.0)
    assert t.loc["tree-covered areas", "losses_km2"] == pytest.approx(2.0)
    assert bool(t.loc["tree-covered areas", "ldn_achieved"]) is True  # net 0
    assert t.loc["cropland", "net_km2"] == pytest.approx(1.0) and t.loc["cropland", "neutral_km2"] == pytest.approx(2.0)
    assert t.loc["total", "net_km2"] == pytest.approx(1.0)


def test_change_in_degraded_area():
    base = laea([[1, 1, 2, 2]])
    rep = laea([[1, 2, 2, 1]])
    rep2 = laea([[1, 1, 1, 2]])
    t = T.degraded_area_change_table(base, {"report_1": rep, "report_2": rep2}, land_mask=None,
                                     nodata_in_denominator=False).set_index("period")
    assert t.loc["report_1", "change_km2"] == pytest.approx(0.0)
    assert t.loc["report_2", "change_km2"] == pytest.approx(1.0)
    assert t.loc["report_2", "change_percent_points"] == pytest.approx(25.0)


def test_recode_table_lists_each_recode_with_its_area():
    sdg = laea([[1, 1, 2, 3]] * 2)
    x0, y_top = 4_000_000.0, 3_001_000.0
    polys = gpd.GeoDataFrame({"periods_affected": ["baseline"], "recode_deg_to": [0], "recode_stable_to": [None],
                              "recode_imp_to": [None], "label": ["weed clearing"]},
                             geometry=[box(x0, y_top - 2000, x0 + 3000, y_top)], crs="EPSG:3035")
    ds = apply_recodes(sdg, polys, period="baseline")
    t = T.recode_table(sdg, ds.sdg, ds.recode_polygon, polys, period="baseline", label_field="label")
    assert t.to_dict("records") == [{"polygon": 1, "label": "weed clearing", "from": "degraded", "to": "stable",
                                     "area_km2": pytest.approx(4.0)}]


def test_so2_3_population_exposed():
    sdg = laea([[1, 1, 2, 3, 0]])
    pop = laea([[10.0, 30.0, 50.0, 10.0, 0.0]], dtype="float32")
    fem = laea([[6.0, 10.0, 25.0, 5.0, 0.0]], dtype="float32")
    mal = laea([[4.0, 20.0, 25.0, 5.0, 0.0]], dtype="float32")
    t = population_exposed_to_degradation(sdg, pop, population_female=fem, population_male=mal).set_index("class")
    assert t.loc["degraded", "population"] == pytest.approx(40.0)
    assert t.loc["degraded", "percent"] == pytest.approx(40.0)
    assert t.loc["degraded", "percent_female"] == pytest.approx(100 * 16 / 46)
    assert t.loc["degraded", "percent_male"] == pytest.approx(100 * 24 / 54)
    t22 = population_exposed_to_degradation(sdg, pop, population_female=fem, population_male=mal,
                                            sex_percent_basis="exposed").set_index("class")
    assert t22.loc["degraded", "percent_female"] == pytest.approx(40.0)


@pytest.mark.parametrize("method", ["centre", "exact"])
def test_so2_3_periods_pending_in_one_pass_equal_each_alone(method):
    """Two periods' SO2-3 tables over one population grid, pending and computed in one pass (the run's way: each
    population block decoded once), are bit for bit the tables computed one at a time; a bound function without a
    ``compute`` keyword (an overlay's own) runs at once and its table comes back unchanged."""
    from indicators.stage_helpers import pending_call
    from indicators.summarize import compute_tables

    rng = np.random.default_rng(3)
    shape = (24, 30)
    periods = [laea(rng.choice(np.array([0, 1, 2, 3], np.uint8), shape)).chunk({"y": 7, "x": 11}) for _ in range(2)]
    pops = [laea(rng.random(shape) * 40, dtype="float32").chunk({"y": 7, "x": 11}) for _ in range(3)]
    x0, y_top = 4_000_000.0, 3_001_000.0
    units = gpd.GeoDataFrame({"id": ["A", "B"]}, geometry=[box(x0, y_top - 24000, x0 + 13000, y_top),
                                                           box(x0 + 13000, y_top - 20000, x0 + 30000, y_top)],
                             crs="EPSG:3035")
    kw = dict(population_female=pops[1], population_male=pops[2], units=units, method=method, id_field="id")
    alone = [population_exposed_to_degradation(sdg, pops[0], **kw) for sdg in periods]
    together = compute_tables(*(pending_call(population_exposed_to_degradation, sdg, pops[0], **kw) for sdg in periods))
    for a, b in zip(alone, together):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        assert a.attrs == b.attrs
    assert set(alone[0]["level"]) == {"national", "unit"}

    def own(sdg, population, **kwargs):  # an overlay's function: no compute keyword
        return population_exposed_to_degradation(sdg, population, **kwargs)

    (got,) = compute_tables(pending_call(own, periods[0], pops[0], **kw))
    pd.testing.assert_frame_equal(got, alone[0], check_exact=True)


def test_per_unit_rows_add_up_to_national():
    sdg = laea([[1, 1, 2, 3], [2, 2, 1, 0]])
    x0, y_top = 4_000_000.0, 3_001_000.0
    units = gpd.GeoDataFrame({"id": ["A", "B"]}, geometry=[box(x0, y_top - 2000, x0 + 2000, y_top),
                                                           box(x0 + 2000, y_top - 2000, x0 + 4000, y_top)],
                             crs="EPSG:3035")
    w = T.sdg_summary_by_unit(sdg, units, method="exact", id_field="id").set_index("unit")
    assert w.loc["A", "degraded_km2"] == pytest.approx(2.0) and w.loc["B", "degraded_km2"] == pytest.approx(1.0)
    assert w.loc["A", "percent_degraded"] == pytest.approx(50.0)
    assert w.loc["national", "degraded_km2"] == pytest.approx(3.0)


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_class_areas_partition_the_land_and_chunking_is_free(data):
    ny = data.draw(st.integers(2, 6))
    nx = data.draw(st.integers(2, 6))
    vals = data.draw(st.lists(st.integers(0, 3), min_size=ny * nx, max_size=ny * nx))
    arr = np.asarray(vals, dtype="uint8").reshape(ny, nx)
    assume(arr.any())  # an all-nodata layer has no land area to divide by (an InputError)
    sdg = xr.DataArray(arr, dims=("y", "x"), coords={"y": 60.0 - 0.5 * np.arange(ny), "x": 0.5 * np.arange(nx)})
    sdg = sdg.rio.write_crs("EPSG:4326")
    a = T.sdg_summary_table(sdg, land_mask=None, nodata_in_denominator=False).set_index("class")
    parts = a.loc[["degraded", "stable", "improved"], "area_km2"].sum()
    if a.attrs["denominator_km2"] > 0:
        assert parts == pytest.approx(a.attrs["denominator_km2"], rel=1e-12)
    total = parts + a.loc["no data", "area_km2"]
    full = T.cell_area(sdg).values.sum() * nx
    assert total == pytest.approx(full, rel=1e-12)
    cy, cx = data.draw(st.integers(1, ny)), data.draw(st.integers(1, nx))
    b = T.sdg_summary_table(sdg.chunk({"y": cy, "x": cx}), land_mask=None, nodata_in_denominator=False)
    pd.testing.assert_frame_equal(a.reset_index(), b, rtol=1e-12)

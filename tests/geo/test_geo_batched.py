"""One-pass tables (compute=False + compute_tables), stored intermediates, file-backed per-unit tables."""

from __future__ import annotations

import dask.array as dsa
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from indicators.io import open_raster, store_rasters
from indicators.summarize import PendingTable, class_area_table, compute_tables, zonal_class_areas

T = Affine(0.25, 0, 20.0, 0, -0.25, 63.0)


def write(path, data, *, nodata, blocks=16):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=data.dtype, crs="EPSG:4326", transform=T, nodata=nodata, tiled=True,
                       blockxsize=blocks, blockysize=blocks) as dst:
        dst.write(data, 1)
    return path


@pytest.fixture()
def classes(tmp_path):
    rng = np.random.default_rng(5)
    data = rng.integers(0, 4, (48, 40)).astype(np.uint8)
    path = write(tmp_path / "sdg.tif", data, nodata=0)
    return data, open_raster(path, legend={1: "degraded", 2: "stable", 3: "improved"}, chunks={"y": 16, "x": -1})


def test_geo_pending_tables_equal_eager_tables(classes, make_raster):
    data, lazy = classes
    other = (lazy % 3 + 1).astype(np.uint8).rio.write_crs(lazy.rio.crs)  # a derived layer, classes 1..3 only
    p1 = class_area_table(lazy, codes=[1, 2, 3], nodata=0, compute=False)
    p2 = class_area_table(other, codes=[1, 2, 3], nodata=0, compute=False)
    assert isinstance(p1, PendingTable)
    t1, t2, extra = compute_tables(p1, p2, lazy.data.sum())
    pd.testing.assert_frame_equal(t1, class_area_table(lazy, codes=[1, 2, 3], nodata=0))
    pd.testing.assert_frame_equal(t2, class_area_table(other, codes=[1, 2, 3], nodata=0))
    assert int(extra) == int(data.sum())
    pd.testing.assert_frame_equal(p1.compute(), t1)
    # numpy inputs: the pending table is already reduced
    eager = make_raster(data, transform=tuple(T)[:6], nodata=0)
    pd.testing.assert_frame_equal(compute_tables(class_area_table(eager, codes=[1, 2, 3], compute=False))[0],
                                  class_area_table(eager, codes=[1, 2, 3]), check_exact=False, rtol=1e-12)


def test_geo_compute_tables_reads_each_block_once(make_raster):
    calls = []

    def decode(block):
        if block.size:  # dask calls it once on an empty block to infer the output type
            calls.append(block.shape)
        return block

    data = np.random.default_rng(1).integers(1, 4, (40, 24)).astype(np.uint8)
    base = make_raster(data, transform=tuple(T)[:6], nodata=0, chunks={"y": 10, "x": -1})
    counted = base.copy(data=dsa.map_blocks(decode, base.data, dtype=np.uint8))
    derived = (counted + 0).astype(np.uint8).rio.write_crs("EPSG:4326")
    pending = [class_area_table(counted, codes=[1, 2, 3], compute=False),
               class_area_table(derived, codes=[1, 2, 3], compute=False)]
    compute_tables(*pending)
    assert len(calls) == 4  # 4 blocks, each decoded once for both tables


def test_geo_pending_groups_share_one_pass_and_finish_in_order(make_raster):
    """SO1's tables after its pass (SOC stock per class: three sums; stock change per transition: two of those; the
    transition and cross tables) are pending in the pass: each block is decoded once for all of them, and each
    finishes into the table computed alone."""
    from indicators.so1.run_subtables import soc_change_by_transition
    from indicators.so1.tables import cross_table, soc_stock_table
    from indicators.summarize import PendingTables

    calls = []

    def decode(block):
        if block.size:
            calls.append(block.shape)
        return block

    rng = np.random.default_rng(3)
    lc_a = rng.integers(1, 4, (40, 24)).astype(np.uint8)
    lc_b = np.where(rng.random((40, 24)) < 0.2, 0, lc_a).astype(np.uint8)  # 0: the SO1 layers' nodata
    soc = np.where(rng.random((40, 24)) < 0.1, np.nan, rng.uniform(20, 80, (40, 24))).astype(np.float32)
    ra = make_raster(lc_a, transform=tuple(T)[:6], nodata=0, chunks={"y": 10, "x": -1})
    counted = ra.copy(data=dsa.map_blocks(decode, ra.data, dtype=np.uint8))
    rb = make_raster(lc_b, transform=tuple(T)[:6], nodata=0, chunks={"y": 10, "x": -1})
    rs = make_raster(soc, transform=tuple(T)[:6], chunks={"y": 10, "x": -1})
    names = {1: "one", 2: "two", 3: "three"}
    pending = [soc_stock_table(rs, counted, codes=[1, 2, 3], names=names, compute=False),
               soc_change_by_transition(rs, rs * 2, counted, rb, codes=[1, 2, 3], names=names, compute=False),
               cross_table(counted, rb, codes_a=[1, 2, 3], codes_b=[1, 2, 3], compute=False)]
    assert isinstance(pending[0], PendingTables) and isinstance(pending[1], PendingTables)
    stock, change, cross = compute_tables(*pending)
    assert len(calls) == 4  # 4 blocks, each decoded once for the 3 + 6 sums and the cross table
    pd.testing.assert_frame_equal(stock, soc_stock_table(rs, ra, codes=[1, 2, 3], names=names))
    pd.testing.assert_frame_equal(change, soc_change_by_transition(rs, rs * 2, ra, rb, codes=[1, 2, 3], names=names))
    pd.testing.assert_frame_equal(cross, cross_table(ra, rb, codes_a=[1, 2, 3], codes_b=[1, 2, 3]))
    # by hand: the stock of class 2 is Σ SOC × cell area × 100 over its cells with SOC; its area counts every cell
    from indicators.grid import cell_area

    ca = np.broadcast_to(np.asarray(cell_area(ra).values, dtype=np.float64).reshape(-1, 1), lc_a.shape)
    two = lc_a == 2
    row = stock.set_index("class").loc[2]
    assert row["soc_stock_t"] == pytest.approx(np.nansum(np.where(two, soc.astype(np.float64) * ca * 100, 0)), rel=1e-12)
    assert row["area_km2"] == pytest.approx(ca[two].sum(), rel=1e-12)
    assert row["area_with_soc_km2"] == pytest.approx(ca[two & ~np.isnan(soc)].sum(), rel=1e-12)
    # the final stocks are twice the initial ones on every transition (same cells, SOC doubled)
    np.testing.assert_allclose(change["soc_final_t"], 2 * change["soc_initial_t"], rtol=1e-12)
    # the cross table's total is the grid's area
    assert cross.to_numpy().sum() == pytest.approx(ca.sum(), rel=1e-12)


def test_geo_zonal_exact_same_from_numpy_file_and_lazy_layer(classes, make_raster):
    data, lazy = classes
    eager = make_raster(data, transform=tuple(T)[:6], nodata=0)
    derived = (lazy + 0).astype(np.uint8).rio.write_crs(lazy.rio.crs)  # not a plain file read
    assert derived.encoding.get("indicators_file") is None or derived.data.name != lazy.encoding["indicators_file"]["dask_name"]
    import geopandas as gpd

    units = gpd.GeoDataFrame({"code": ["a", "b", "c"]}, crs="EPSG:4326", geometry=[
        box(20.1, 55.2, 24.9, 60.05), box(21.3, 51.1, 29.0, 56.6), box(25.05, 58.0, 29.9, 62.9)])
    units.attrs["id_field"] = "code"
    ref = zonal_class_areas(eager, units, codes=[1, 2, 3], nodata=0, method="exact")
    for other in (lazy, derived):
        got = zonal_class_areas(other, units, codes=[1, 2, 3], nodata=0, method="exact")
        np.testing.assert_allclose(got.area_km2, ref.area_km2, rtol=1e-12, atol=1e-9)
    # hand check: unit b covers a whole number of cells? no: its share of each class sums to its pixel area
    b = ref[(ref.unit == "b") & (ref.level == "unit")]
    assert b.area_km2.sum() == pytest.approx(b.unit_pixel_area_km2.iloc[0], rel=1e-12)


def test_geo_zonal_exact_lazy_reads_one_chunk_row_at_a_time(classes, make_raster, monkeypatch):
    """A lazy layer is read by exactextract in strips of one dask chunk row (memory per chunk, not per grid);
    units spanning several strips get the same areas and weighted sums as from the whole array."""
    import exactextract
    import geopandas as gpd

    data, lazy = classes  # 48 rows in chunks of 16
    eager = make_raster(data, transform=tuple(T)[:6], nodata=0)
    derived = (lazy + 0).astype(np.uint8).rio.write_crs(lazy.rio.crs)
    weights = make_raster(np.arange(data.size, dtype=np.float32).reshape(data.shape) % 7, transform=tuple(T)[:6])
    weights.attrs["units"] = "person"
    lazy_w = weights.chunk({"y": 16, "x": -1})
    units = gpd.GeoDataFrame({"code": ["a", "b"]}, crs="EPSG:4326", geometry=[
        box(20.1, 51.2, 24.9, 62.05), box(21.3, 51.1, 29.0, 56.6)])
    units.attrs["id_field"] = "code"
    seen = []
    real = exactextract.exact_extract

    def spy(*args, **kwargs):
        seen.append((kwargs.get("strategy"), kwargs.get("max_cells_in_memory")))
        return real(*args, **kwargs)

    monkeypatch.setattr(exactextract, "exact_extract", spy)
    ref = zonal_class_areas(eager, units, codes=[1, 2, 3], nodata=0, method="exact", weights=weights)
    got = zonal_class_areas(derived, units, codes=[1, 2, 3], nodata=0, method="exact", weights=lazy_w)
    assert seen[-1] == ("raster-sequential", 16 * 40)  # one chunk row of 16 x 40 cells
    np.testing.assert_allclose(got.area_km2, ref.area_km2, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(got.value, ref.value, rtol=1e-12, atol=1e-9)
    assert got.value.sum() > 0


def test_geo_store_rasters_round_trip_in_one_pass(classes, tmp_path):
    data, lazy = classes
    three = (lazy % 3 + 1).astype(np.uint8).rio.write_crs(lazy.rio.crs).rio.write_nodata(0)
    three.attrs.update(flag_values=[1, 2, 3], flag_meanings="degraded stable improved", nodata=0, long_name="x")
    cont = (lazy.astype(np.float32) / 2).rio.write_crs(lazy.rio.crs)
    cont.attrs["units"] = "t/ha"
    with store_rasters({"three": three, ("p", "cont"): cont}) as store:
        pending = class_area_table(three, codes=[1, 2, 3], nodata=0, compute=False)
        table, _ = compute_tables(pending, store.task)
        opened = store.open()
        directory = store.directory
        back = opened["three"]
        assert back.chunks is not None and back.encoding["indicators_file"]["dask_name"] == back.data.name
        np.testing.assert_array_equal(back.values, (data % 3 + 1))
        assert back.rio.nodata == 0 and back.attrs["flag_meanings"] == "degraded stable improved"
        assert back.rio.crs.to_epsg() == 4326 and back.rio.transform() == T
        np.testing.assert_array_equal(opened["p", "cont"].values, data.astype(np.float32) / 2)
        assert opened["p", "cont"].attrs["units"] == "t/ha"
        pd.testing.assert_frame_equal(table, class_area_table(back, codes=[1, 2, 3], nodata=0))
    assert not directory.exists()  # a temporary directory is removed on close


def test_geo_store_rasters_shared_written_by_cluster_workers(classes, tmp_path):
    # worker processes write the blocks they compute through the file path; nothing comes back to this process
    distributed = pytest.importorskip("distributed", reason="requires optional dependency distributed")
    data, lazy = classes
    three = (lazy % 3 + 1).astype(np.uint8).rio.write_crs(lazy.rio.crs).rio.write_nodata(0)
    three.attrs.update(flag_values=[1, 2, 3], flag_meanings="degraded stable improved", nodata=0, long_name="x")
    cont = (lazy.astype(np.float32) / 2).rio.write_crs(lazy.rio.crs)
    cont.attrs["units"] = "t/ha"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, store_rasters({"three": three, "cont": cont}, tmp_path / "s", shared=True) as store:
        pending = class_area_table(three, codes=[1, 2, 3], nodata=0, compute=False)
        table, written = compute_tables(pending, store.task)
        assert written is None or not hasattr(written, "shape")  # the write returns no array
        opened = store.open()
        np.testing.assert_array_equal(opened["three"].values, data % 3 + 1)
        np.testing.assert_array_equal(opened["cont"].values, data.astype(np.float32) / 2)
        assert opened["three"].rio.nodata == 0 and opened["three"].rio.transform() == T
        pd.testing.assert_frame_equal(table, class_area_table(opened["three"], codes=[1, 2, 3], nodata=0))
        assert client.status == "running"


def test_geo_auto_chunks_bounded_and_same_for_all_dtypes(tmp_path, monkeypatch):
    import indicators.io.rasters as io

    monkeypatch.setattr(io, "AUTO_CHUNK_CELLS", 40 * 60)  # 60 rows of 40 cells per chunk at most
    a = write(tmp_path / "a.tif", np.ones((300, 40), np.uint8), nodata=0)
    b = write(tmp_path / "b.tif", np.ones((300, 40), np.float32), nodata=-1.0)
    ca = open_raster(a, legend={1: "one"}).chunks
    cb = open_raster(b, units="t/ha").chunks
    assert ca == cb  # uint8 and float32 layers of one grid combine without rechunking
    assert ca[1] == (40,)  # whole rows
    assert ca[0][0] == 48  # a multiple of the 16-row blocks, at most 60 rows
    # small rasters still get at least 4 chunks (work for every thread)
    monkeypatch.setattr(io, "AUTO_CHUNK_CELLS", 10**9)
    assert len(open_raster(a, legend={1: "one"}).chunks[0]) >= 4
    # a block row wider than the budget: one block row split into runs of whole blocks
    monkeypatch.setattr(io, "AUTO_CHUNK_CELLS", 16 * 20)  # 20 columns of one 16-row block row
    wide = open_raster(a, legend={1: "one"})
    # 40 columns in 2 runs of 20, each rounded up to whole 16-column blocks: 32, then the rest
    assert wide.chunks == (tuple([16] * 18 + [12]), (32, 8))
    assert (wide.values == 1).all()


@pytest.mark.parametrize("method,pass_bytes", [("exact", None), ("exact", 1), ("centre", None)])
def test_geo_zonal_many_layers_equal_one_by_one(classes, method, pass_bytes, monkeypatch):
    import geopandas as gpd

    import indicators.summarize_exact as sx
    import indicators.summarize_zonal as sz
    from indicators.summarize import zonal_class_areas_many

    passes = []
    real = sz._exact_tables
    monkeypatch.setattr(sz, "_exact_tables", lambda layers, *a: passes.append(len(layers)) or real(layers, *a))
    if pass_bytes is not None:  # a budget below one layer's strip: one layer per exactextract pass
        monkeypatch.setattr(sx, "EXACT_PASS_BYTES", pass_bytes)
    _, lazy = classes
    five = (lazy % 5 + 1).astype(np.uint8).rio.write_crs(lazy.rio.crs).rio.write_nodata(0)
    units = gpd.GeoDataFrame({"code": ["a", "b"]}, crs="EPSG:4326",
                             geometry=[box(20.1, 55.2, 24.9, 60.05), box(21.3, 51.1, 29.0, 56.6)])
    units.attrs["id_field"] = "code"
    many = zonal_class_areas_many({"sdg": lazy, ("five", 1): five}, units,
                                  codes={"sdg": [1, 2, 3], ("five", 1): [1, 2, 3, 4, 5]}, method=method)
    assert passes == ([] if method == "centre" else [2] if pass_bytes is None else [1, 1])
    for key, layer, codes in (("sdg", lazy, [1, 2, 3]), (("five", 1), five, [1, 2, 3, 4, 5])):
        one = zonal_class_areas(layer, units, codes=codes, method=method)
        pd.testing.assert_frame_equal(many[key], one, check_exact=False, rtol=1e-12, atol=1e-9)


def test_geo_class_area_table_without_land_is_an_error(make_raster):
    from indicators.errors import InputError

    water = make_raster(np.full((3, 3), 4, np.uint8), transform=tuple(T)[:6], nodata=0)
    pending = class_area_table(water, codes=[1, 2, 3], water_codes=[4], compute=False)
    with pytest.raises(InputError, match="no land cells"):
        compute_tables(pending)

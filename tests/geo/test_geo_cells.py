"""Tables of a coarse class raster on a fine grid through its source cells (indicators.summarize_cells) equal the
per-pixel tables of the resampled raster: nationally (weighted sums) and per unit (exact coverage)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from shapely.geometry import Polygon, box

from indicators.grid_resample import resample_nearest
from indicators.summarize import weighted_class_sum, zonal_class_areas
from indicators.summarize_cells import (NearestCells, cell_weight_sums, cell_weight_sums_kept,
                                        weighted_class_sum_by_cells, zonal_cell_sums, zonal_cell_sums_many,
                                        zonal_class_areas_by_cells)

# coarse: 8 × 10 cells of 0.5°, from 20°E 55°N; fine: 1/8° cells, offset so that a fringe of the fine grid is outside
COARSE = (0.5, 0.0, 20.0, 0.0, -0.5, 55.0)
FINE = (0.125, 0.0, 19.75, 0.0, -0.125, 54.875)
CODES = [1, 2, 3, 4]


@pytest.fixture()
def layers(make_raster):
    rng = np.random.default_rng(7)
    years = [2001, 2002, 2003]
    planes = rng.integers(1, 5, (len(years), 8, 10)).astype(np.uint8)
    planes[1, 2, 3] = 0  # a cell without a class (nodata 0)
    base = make_raster(planes[0], transform=COARSE, nodata=0)
    coarse = xr.concat([base.copy(data=p) for p in planes], dim=pd.Index(years, name="year"))
    coarse = coarse.rio.write_crs("EPSG:4326").rio.write_nodata(0, encoded=False)
    pop = rng.gamma(2.0, 30.0, (36, 44))
    pop[5, 5] = np.nan  # a cell without a weight
    pop[7, 9] = -9999.0  # and one with the nodata value
    weights = make_raster(pop, transform=FINE, nodata=-9999.0, chunks={"y": 16, "x": 20})
    weights.attrs["units"] = "person"
    return coarse, weights


def test_geo_cells_national_sums_equal_per_pixel_sums(layers):
    coarse, weights = layers
    fine = resample_nearest(weights, coarse)
    cells = NearestCells.of(weights, coarse)
    assert (cells.index.values == -1).any() and (cells.index.values >= 0).any()  # a fringe outside the source
    sums = cell_weight_sums(cells, weights)
    for year in coarse["year"].values:
        want = weighted_class_sum(fine.sel(year=year), weights, codes=CODES, nodata=0)
        got = weighted_class_sum_by_cells(cells, sums, {"year": year}, codes=CODES, nodata=0, units="person")
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, atol=0)
        assert got.attrs["missing_weight_cells"] == want.attrs["missing_weight_cells"] == 2
    # by hand: every weight lands in one bin, the fringe outside the source in nodata
    total = np.nansum(np.where(weights.values == -9999.0, np.nan, weights.values))
    assert got["value"].sum() == pytest.approx(total, rel=1e-12)


UNITS = [box(20.1, 52.2, 22.37, 54.61), Polygon([(21.9, 50.3), (24.6, 51.0), (23.1, 53.3)]), box(19.8, 50.9, 20.9, 51.7),
         box(22.0, 53.0, 23.0, 54.0)]  # the last overlaps the first two: each rule gives overlaps as it does per pixel


@pytest.mark.parametrize("method", ["exact", "centre"])
def test_geo_cells_zonal_equals_per_pixel_zonal(layers, method):
    import geopandas as gpd

    coarse, weights = layers
    fine = resample_nearest(weights, coarse)
    cells = NearestCells.of(weights, coarse)
    units = gpd.GeoDataFrame({"code": list("abcd"), "label": list("ABCD")}, crs="EPSG:4326", geometry=UNITS)
    for w in (weights, None):
        sums = zonal_cell_sums(cells, units, weights=w, id_field="code", method=method)
        for year in coarse["year"].values:
            want = zonal_class_areas(fine.sel(year=year), units, codes=CODES, nodata=0, weights=w, id_field="code",
                                     name_field="label", method=method)
            got = zonal_class_areas_by_cells(cells, sums, {"year": year}, codes=CODES, nodata=0, name_field="label")
            pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-10, atol=1e-12)
            assert (got.loc[got["level"] == "unit"].groupby("unit")["area_km2"].sum() > 0).all()


@pytest.mark.parametrize("method", ["exact", "centre"])
def test_geo_cells_land_mask_makes_water_as_per_pixel(layers, method):
    """``cells.masked(land, water)`` is the fine raster with *water* off the land, as ``fine.where(land, water)``."""
    import geopandas as gpd

    coarse, weights = layers
    fine = resample_nearest(weights, coarse)
    land = xr.zeros_like(weights, dtype=bool).copy(data=np.random.default_rng(3).random(weights.shape) > 0.2)
    cells = NearestCells.of(weights, coarse).masked(land, 9)
    units = gpd.GeoDataFrame({"code": list("abcd")}, crs="EPSG:4326", geometry=UNITS)
    sums = zonal_cell_sums(cells, units, id_field="code", method=method)
    for year in coarse["year"].values:
        masked = fine.sel(year=year).where(land, 9).astype(fine.dtype)
        want = zonal_class_areas(masked, units, codes=CODES, nodata=0, id_field="code", method=method, water_codes=[9])
        got = zonal_class_areas_by_cells(cells, sums, {"year": year}, codes=CODES, nodata=0, water_codes=[9])
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-10, atol=1e-12)
        assert got.loc[got["kind"] == "water", "area_km2"].sum() > 0


def test_geo_cells_centre_sums_in_strips_equal_whole_blocks(layers, monkeypatch):
    """The pixel-centre sums taken in strips of a few rows (bounded memory) are those of whole blocks."""
    import geopandas as gpd

    import indicators.summarize_cells as sc

    coarse, weights = layers
    cells = NearestCells.of(weights, coarse)
    units = gpd.GeoDataFrame({"code": list("abcd")}, crs="EPSG:4326", geometry=UNITS)
    whole = zonal_cell_sums(cells, units, weights=weights, id_field="code", method="centre")
    monkeypatch.setattr(sc, "STRIP_CELLS", 50)  # 2 rows of 20 columns per strip
    strips = zonal_cell_sums(cells, units, weights=weights, id_field="code", method="centre")
    for (p1, a1, w1), (p2, a2, w2) in zip(whole.per_unit, strips.per_unit):
        np.testing.assert_array_equal(p1, p2)
        np.testing.assert_allclose(a1, a2, rtol=1e-12)
        np.testing.assert_allclose(w1, w2, rtol=1e-12)


@pytest.mark.parametrize("method", ["exact", "centre"])
def test_geo_cells_several_weights_in_one_pass_equal_each_alone(layers, method):
    """zonal_cell_sums_many (SO3-2's total, female and male grids in one pass) gives, for each weight (or none),
    bit for bit the sums of zonal_cell_sums with that weight alone."""
    import geopandas as gpd

    coarse, weights = layers
    cells = NearestCells.of(weights, coarse)
    units = gpd.GeoDataFrame({"code": list("abcd")}, crs="EPSG:4326", geometry=UNITS)
    female = weights.copy(data=weights.values * 0.48)
    female.attrs["units"] = "person"
    layers_ = [weights, None, female]
    many = zonal_cell_sums_many(cells, units, layers_, id_field="code", method=method)
    assert len(many) == 3
    for w, got in zip(layers_, many):
        alone = zonal_cell_sums(cells, units, weights=w, id_field="code", method=method)
        assert (got.weights is None) == (w is None)
        for (p1, a1, w1), (p2, a2, w2) in zip(alone.per_unit, got.per_unit):
            np.testing.assert_array_equal(p1, p2)
            assert a1.tobytes() == a2.tobytes()
            assert (w1 is None and w2 is None) or w1.tobytes() == w2.tobytes()


def test_geo_cells_centre_pass_keeps_each_grids_cell_sums(layers, monkeypatch):
    """The pixel-centre per-unit pass also sums each weight grid per source cell (SO3-2 decodes each population grid
    once for its per-unit and national tables): what it keeps is bit for bit cell_weight_sums of that grid in a pass of
    its own, and the national sums then find it without another pass."""
    import geopandas as gpd

    import indicators.summarize_cells as sc

    coarse, weights = layers
    female = weights.copy(data=weights.data * 0.48)
    assert hasattr(female.data, "dask") and female.data.name != weights.data.name
    units = gpd.GeoDataFrame({"code": list("abcd")}, crs="EPSG:4326", geometry=UNITS)
    exact = NearestCells.of(weights, coarse)
    zonal_cell_sums_many(exact, units, [weights, female], id_field="code", method="exact")
    assert exact.sums == {}  # exactextract's passes are its own: nothing kept
    cells = NearestCells.of(weights, coarse)
    zonal_cell_sums_many(cells, units, [weights, None, female], id_field="code", method="centre")
    assert set(cells.sums) == {weights.data.name, female.data.name}
    for w in (weights, female):
        alone = cell_weight_sums(NearestCells.of(weights, coarse), w)
        assert cells.sums[w.data.name].tobytes() == alone.tobytes()
    monkeypatch.setattr(sc, "cell_weight_sums", lambda *a, **k: pytest.fail("a kept grid was summed again"))
    kept = cell_weight_sums_kept(cells, [weights, female])
    assert [k.tobytes() for k in kept] == [cells.sums[w.data.name].tobytes() for w in (weights, female)]


def test_geo_cells_sums_are_kept_by_grid_and_shared_with_another_source(layers):
    """A weight grid summed once is not read again, also through another source of the same grid (the epochs)."""
    coarse, weights = layers
    cells = NearestCells.of(weights, coarse)
    first = cell_weight_sums_kept(cells, [weights])
    assert list(cells.sums) == [weights.data.name]
    epochs = cells.with_source(coarse.max("year").expand_dims(epoch=["2001-2003"]))
    assert epochs.sums is cells.sums
    cells.sums[weights.data.name] = first[0] * 2  # a marker: a kept value is returned as kept, not recomputed
    np.testing.assert_array_equal(cell_weight_sums_kept(epochs, [weights])[0], first[0] * 2)
    np.testing.assert_allclose(first[0], cell_weight_sums(cells, weights), rtol=1e-12)


def test_geo_cells_block_partials_hold_only_their_window(layers):
    """A block's partial covers the source cells under it, not every source cell (issue 16: a dense partial per block
    made memory grow with the country); the merged windows still give the dense sums."""
    import dask

    coarse, weights = layers
    cells = NearestCells.of(weights, coarse)
    parts = cell_weight_sums(cells, weights, compute=False)
    # block (1, 1): fine rows 16-31 (centres 52.81°N … 50.94°N: coarse rows 4-7, the last fine rows outside the
    # source) and columns 20-39 (22.31°E … 24.69°E: coarse columns 4-9); positions are row × 10 + column + 1
    lo, window = dask.compute(parts.parts[1][1])[0]
    assert lo == 4 * 10 + 4 + 1
    assert window.shape == (2, 1 + (7 * 10 + 9) - (4 * 10 + 4) + 1)  # the outside bin, then positions 45 … 80
    assert window[0, 0] > 0 and window[0, 1:].sum() > 0  # weights outside the source and inside it
    np.testing.assert_allclose(dask.compute(parts.whole())[0], cell_weight_sums(cells, weights), rtol=1e-12)


@pytest.mark.parametrize("span", [50, 10**12])
def test_sums_by_key_equal_unique_and_bincount(span):
    """The per-strip (unit, cell) sums: a narrow key range is counted in dense bins, a wide one sorted; both give
    np.unique's keys and np.bincount's sums bit for bit (each bin adds its values in input order)."""
    from indicators.summarize_keys import _sums_by_key

    rng = np.random.default_rng(11)
    key = rng.integers(0, span, 5000).astype(np.int64) + 123_456
    w1, w2 = rng.random(5000), rng.normal(size=5000)
    keys, a, b = _sums_by_key(key, [w1, w2])
    want, inverse = np.unique(key, return_inverse=True)
    np.testing.assert_array_equal(keys, want)
    np.testing.assert_array_equal(a, np.bincount(inverse, weights=w1))
    np.testing.assert_array_equal(b, np.bincount(inverse, weights=w2))
    # by hand on a small case
    k, s = _sums_by_key(np.array([7, 3, 7, 9]), [np.array([1.0, 2.0, 4.0, 8.0])])
    assert k.tolist() == [3, 7, 9] and s.tolist() == [2.0, 5.0, 8.0]


@pytest.mark.parametrize("spread", [300, 10**7])
def test_sums_by_key_bins_each_units_positions(spread):
    """Keys zone × npos + position + 1 across units (a strip over a border, a band's merge): each unit's positions
    binned on their own range (or, too sparse, sorted) give np.unique's keys and np.bincount's sums bit for bit."""
    from indicators.summarize_keys import _sums_by_key

    rng = np.random.default_rng(3)
    npos = 10**8  # units' ranges far apart: one dense range over all of them would be 10^8 bins per unit
    zone = rng.choice([1, 2, 7, 40], 20000).astype(np.int64)
    position = rng.integers(0, spread, 20000) + zone * 1000
    key = zone * npos + position + 1
    w1, w2 = rng.random(20000), rng.normal(size=20000) * 1e6
    keys, a, b = _sums_by_key(key, [w1, w2], npos)
    want, inverse = np.unique(key, return_inverse=True)
    np.testing.assert_array_equal(keys, want)
    assert a.tobytes() == np.bincount(inverse, weights=w1).tobytes()
    assert b.tobytes() == np.bincount(inverse, weights=w2).tobytes()
    # by hand: units 1 and 3 of npos 1000; position 999 of unit 1 (key 2000) before unit 3's
    k, s = _sums_by_key(np.array([3006, 2000, 1001, 3006, 1001]), [np.array([1.0, 2.0, 4.0, 8.0, 16.0])], 1000)
    assert k.tolist() == [1001, 2000, 3006] and s.tolist() == [20.0, 2.0, 9.0]


@pytest.mark.parametrize("npos, span", [(40, 40), (10**9, 10**9), (10**6, 300)])
@pytest.mark.parametrize("with_pix", [False, True])
def test_strip_sums_equal_the_cells_summed_by_key(npos, span, with_pix, monkeypatch):
    """A strip's numba sums (dense bins for a narrow key range, bins per unit when each unit's source cells span a
    narrow range, else the cells sorted by key) give, bit for bit, the keys zone × npos + index + 1 of the cells
    inside a zone and np.bincount's sums of their areas (row area × pix) and weights (NaN as 0, inf as the largest
    float); by hand on a 2 × 3 strip."""
    from indicators import summarize_keys
    from indicators.summarize_keys import _strip_sums

    if span == 300:  # eight units' ranges of 300 cells, 10^6 apart: the bins per unit, not the sort
        monkeypatch.setattr(summarize_keys, "_strip_cells", None)
    rng = np.random.default_rng(5)
    zones = (rng.integers(1, 9, (60, 700)) * (rng.random((60, 700)) < 0.7)).astype(np.uint16)
    index = np.sort(rng.integers(-1, min(span, 2**31 - 1) - 1, (60, 700)), axis=1).astype(np.int32)
    rows = rng.random(60) * 3.0
    pix = rng.random((60, 700)) if with_pix else None
    w = (rng.random((60, 700)) * 100).astype(np.float32)
    w[rng.random((60, 700)) < 0.1] = np.nan
    w[0, 0] = np.inf
    inside = zones > 0
    key = zones[inside].astype(np.int64) * npos + index[inside].astype(np.int64) + 1
    area = np.broadcast_to(rows[:, None], zones.shape) * (pix if with_pix else 1.0)
    want, inverse = np.unique(key, return_inverse=True)
    w2 = np.where(np.isnan(w), 1.5, w[::-1] * 3)
    keys, areas, weights = _strip_sums(zones, index, rows, pix, [w, w2], npos)
    np.testing.assert_array_equal(keys, want)
    assert areas.tobytes() == np.bincount(inverse, weights=area[inside]).tobytes()
    # each layer of a stack of weights summed as if it were alone
    for layer, got in zip((w, w2), weights):
        assert got.tobytes() == np.bincount(inverse, weights=np.nan_to_num(layer[inside].astype(np.float64))).tobytes()
    k, a, none = _strip_sums(np.array([[1, 0, 2], [1, 1, 0]], np.uint16), np.array([[0, 5, -1], [0, 3, 1]], np.int32),
                             np.array([1.0, 2.0]), None, [], 10)
    assert k.tolist() == [11, 14, 20] and a.tolist() == [3.0, 2.0, 1.0] and none.shape == (0, 3)

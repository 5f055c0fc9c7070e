"""A pass computed by bands of rows gives what one pass gives (indicators/summarize_bands.py, issue 16).

Expected values: the same tables computed in one pass (the reductions are exact: integer counts per row are
concatenated, float sums added) and per-class counts worked out with numpy on the whole array.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio

from indicators.io import store_rasters
from indicators.summarize import class_area_table, compute_tables, weighted_class_sum
from indicators.summarize_bands import compute_banded, row_bands

CODES = [1, 2, 3]
GEO = (0.01, 0.0, 10.0, 0.0, -0.01, 5.0)  # a geographic grid: one cell area per row
UTM = (100.0, 0.0, 500000.0, 0.0, -100.0, 100000.0)


@pytest.fixture()
def planes(make_raster):
    rng = np.random.default_rng(16)
    classes = rng.integers(0, 4, (37, 23)).astype(np.uint8)  # 0 = nodata; 37 rows: bands of unequal height
    pop = rng.gamma(2.0, 40.0, (37, 23))
    pop[3, 4] = np.nan
    return classes, pop


def _tables(make_raster, classes, pop, transform, crs):
    c = make_raster(classes, transform=transform, crs=crs, nodata=0, name="classes", chunks={"y": 5, "x": 10})
    w = make_raster(pop, transform=transform, crs=crs, name="pop", chunks={"y": 5, "x": 10})
    w.attrs["units"] = "person"
    land = c != 3
    return [class_area_table(c, codes=CODES, nodata=0, compute=False),
            class_area_table(c, codes=[1, 2], nodata=0, water_codes=[3], land_mask=land, compute=False),
            weighted_class_sum(c, w, codes=CODES, nodata=0, compute=False)]


@pytest.mark.parametrize("transform, crs", [(GEO, "EPSG:4326"), (UTM, "EPSG:32633")])
def test_tables_by_bands_of_rows_equal_the_tables_of_one_pass(make_raster, planes, monkeypatch, transform, crs):
    import indicators.summarize_bands as bands

    whole = compute_tables(*_tables(make_raster, *planes, transform, crs))
    items = _tables(make_raster, *planes, transform, crs)
    assert row_bands([t.part for t in items], band_pixels=2 * 5 * 23) == [(0, 10), (10, 20), (20, 30), (30, 37)]
    monkeypatch.setattr(bands, "BAND_PIXELS", 2 * 5 * 23)  # two chunk rows a band: 4 bands, the last 7 rows
    banded = compute_tables(*items)
    for a, b in zip(whole, banded):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    # and against numpy on the whole array: the cell count of each class
    cells = {int(r["class"]): int(r["cells"]) for _, r in banded[0].iterrows() if "cells" in r and r["kind"] == "class"}
    for code, n in cells.items():
        assert n == int((planes[0] == code).sum())


def test_store_by_bands_writes_the_file_of_one_pass(make_raster, planes, tmp_path):
    classes, _ = planes
    layer = make_raster(classes, transform=GEO, nodata=0, name="classes", chunks={"y": 5, "x": 10})
    with store_rasters({"a": layer}, tmp_path / "whole") as s1, store_rasters({"a": layer}, tmp_path / "banded") as s2:
        compute_banded([s1.banded], band_pixels=10**9)  # one band: the whole write
        compute_banded([s2.banded], band_pixels=1)  # a band per chunk row
        s1.open(), s2.open()
        with rasterio.open(s1.paths["a"]) as a, rasterio.open(s2.paths["a"]) as b:
            assert np.array_equal(a.read(1), classes) and np.array_equal(b.read(1), classes)


def test_items_on_grids_chunked_differently_are_computed_in_one_pass(make_raster, planes):
    classes, pop = planes
    a = make_raster(classes, transform=GEO, nodata=0, chunks={"y": 5, "x": 10})
    b = make_raster(classes, transform=GEO, nodata=0, chunks={"y": 7, "x": 10})
    items = [class_area_table(a, codes=CODES, nodata=0, compute=False).part,
             class_area_table(b, codes=CODES, nodata=0, compute=False).part]
    assert row_bands(items, band_pixels=1) is None
    one, two = compute_banded(items, band_pixels=1)
    assert np.array_equal(np.asarray(one).sum(axis=0), np.asarray(two).sum(axis=0))

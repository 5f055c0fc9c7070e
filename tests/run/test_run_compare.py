"""`indicators compare A B`: two configurations run and set side by side; land-cover agreement by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from indicators.cli import main

from .conftest import NX, NORTH, NY, RES, WEST, write_boundary
from .test_run_trends_earth import ND, config, layers, write_single_files


def _country(d, data):
    d.mkdir()
    write_boundary(d / "boundary.gpkg")
    write_boundary(d / "admin.gpkg", admin=True)
    cfg = config(d, write_single_files(d, data))
    doc = yaml.safe_load(cfg.read_text())
    doc["indicators"] = ["SO1-1", "SO1-2", "SO1-3"]
    cfg.write_text(yaml.safe_dump(doc, sort_keys=False))
    return cfg


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    root = tmp_path_factory.mktemp("cmp")
    data = layers()
    other = dict(data)
    for key in [k for k in data if k[0] == "land_cover"]:
        lc = data[key].copy()
        block = lc[10:20, 5:15]
        lc[10:20, 5:15] = np.where(block == ND, ND, block % 7 + 1)  # another valid class in a 10 x 10 block
        other[key] = lc
    a, b = _country(root / "a", data), _country(root / "b", other)
    out = root / "out"
    assert main(["compare", str(a), str(b), "-o", str(out), "--quiet"]) == 0
    return out, data, other


def test_land_cover_agreement_by_hand(compared):
    from pyproj import CRS
    from rasterio.transform import from_origin

    out, data, other = compared
    agr = pd.read_csv(out / "comparison" / "land_cover_agreement.csv")
    # the boundary (conftest.write_boundary) is the grid less 2 cells on every side; cell centres inside it count
    inside = np.zeros((NY, NX), bool)
    inside[2:NY - 2, 2:NX - 2] = True
    from indicators.grid import Grid
    from indicators.grid import row_areas as areas_of

    rows = areas_of(Grid(CRS.from_epsg(4326), from_origin(WEST, NORTH, RES, RES), (NY, NX)))[:, None] * np.ones((1, NX))
    for year in (2000, 2015):
        a, b = data["land_cover", year], other["land_cover", year]
        both = inside & (a != ND) & (b != ND)
        expected = 100 * rows[both & (a == b)].sum() / rows[both].sum()
        got = agr[(agr.year == year) & (agr.unit == "national")]["agreement_percent"].item()
        assert got == pytest.approx(expected, rel=1e-9)
    # unit A (West) holds the changed block (columns 5-14 are west of the middle): unit B (East) agrees fully
    assert np.allclose(agr[agr.unit == "B"]["agreement_percent"], 100.0)
    assert (agr[agr.unit == "A"]["agreement_percent"] < 100).all()


def test_tables_side_by_side_and_verdicts(compared):
    out, _, _ = compared
    cross = pd.read_csv(out / "comparison" / "land_cover_crosstab.csv")
    agr = pd.read_csv(out / "comparison" / "land_cover_agreement.csv")
    for year, t in cross.groupby("year"):  # the cross-tabulation's total is the land both map
        total = agr[(agr.year == year) & (agr.unit == "national")]["area_both_mapped_km2"].item()
        assert t["area_km2"].sum() == pytest.approx(total)
    t5 = pd.read_csv(out / "comparison" / "SO1-1" / "SO1-1.T5.csv")
    a, b = pd.read_csv(out / "A" / "SO1-1" / "SO1-1.T5.csv"), pd.read_csv(out / "B" / "SO1-1" / "SO1-1.T5.csv")
    assert t5["name"].tolist() == a["name"].tolist()  # A's rows, in A's order
    assert t5["2015 B-A"].to_numpy() == pytest.approx((b["2015"] - a["2015"]).to_numpy(), nan_ok=True)
    assert t5["2015 A"].to_numpy() == pytest.approx(a["2015"].to_numpy(), nan_ok=True)
    verdict = pd.read_csv(out / "comparison" / "verdict.csv").set_index("indicator")
    assert set(verdict.index) >= {"SO1-1", "SO1-2", "SO1-3"}
    assert verdict.loc["SO1-1", "verdict"] in ("review", "differs")  # a changed block moves class areas
    assert (out / "comparison" / "comparison.html").read_text().count("<table") >= 3

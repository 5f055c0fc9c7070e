"""SO4-3: KBA coverage by protected areas, hand-computed on polygons whose overlaps are known exactly."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon, box

from indicators.errors import InputError
from indicators.so4.protected_areas import kba_protected_coverage, kba_protected_coverage_from_table

from .conftest import TREND

KM = 1000.0
LAEA = "EPSG:3035"  # ETRS89 Lambert azimuthal equal-area: planar areas are true areas


def _layers(crs=LAEA, shift=(4_300_000.0, 2_500_000.0)):
    """Two 10 km × 10 km KBAs; protected areas overlapping each other and the KBAs by known amounts."""
    x0, y0 = shift

    def b(a, c, d, e):
        return box(x0 + a * KM, y0 + c * KM, x0 + d * KM, y0 + e * KM)

    kba = gpd.GeoDataFrame({"kba": ["A", "B"]}, geometry=[b(0, 0, 10, 10), b(20, 0, 30, 10)], crs=crs)
    bowtie = Polygon([(x0 + 20 * KM, y0), (x0 + 30 * KM, y0 + 10 * KM), (x0 + 30 * KM, y0), (x0 + 20 * KM, y0 + 10 * KM)])
    pa = gpd.GeoDataFrame(
        {"wdpa": [1, 2, 3, 4, 5], "STATUS_YR": [2000, 2005, 2010, 2015, 0]},
        geometry=[b(0, 0, 5, 10),     # A: 50 km²
                  b(3, 0, 8, 10),     # A: 50 km², 20 km² of it already in PA 1 -> union 80 km²
                  b(25, 0, 35, 10),   # B: 50 km²
                  bowtie,             # B: two 25 km² triangles; the right one is inside PA 3
                  b(50, 0, 60, 1)],   # far away, year unknown
        crs=crs,
    )
    return kba, pa


def _run(kba, pa, **kw):
    args = dict(years=[1999, 2000, 2005, 2010, 2015], kba_id_field="kba", establishment_year_field="STATUS_YR",
                protected_area_id_field="wdpa", unknown_year="exclude", unknown_year_values=[0], area_crs=LAEA, **TREND)
    args.update(kw)
    return kba_protected_coverage(kba, pa, **args)


def test_hand_computed_coverage_with_overlaps_and_repair():
    res = _run(*_layers())
    per = res["per_kba"].set_index(["kba_id", "year"])["coverage_pct"]
    assert per[("A", 1999)] == pytest.approx(0.0)
    assert per[("A", 2000)] == pytest.approx(50.0)
    assert per[("A", 2005)] == pytest.approx(80.0)   # overlap counted once, not 100
    assert per[("B", 2010)] == pytest.approx(50.0)
    assert per[("B", 2015)] == pytest.approx(75.0)   # repaired bow-tie adds its left triangle only
    s = res["series"].set_index("year")
    expected = {1999: 0.0, 2000: 25.0, 2005: 40.0, 2010: 65.0, 2015: 77.5}
    for year, value in expected.items():
        assert s.loc[year, "mean_coverage_pct"] == pytest.approx(value)
    assert s.loc[2015, "protected_kba_area_km2"] == pytest.approx(155.0)
    assert s.loc[2015, "kba_area_km2"] == pytest.approx(200.0)
    assert (s["n_kba"] == 2).all()
    rep = res["repairs"]
    assert rep["feature"].tolist() == [4] and "Self-intersection" in rep["problem"].iloc[0]
    assert res["excluded"]["wdpa"].tolist() == [5]
    assert res["trend"]["trend"].iloc[0] == "increasing"
    notes = " ".join(res["series"].attrs["provenance"]["notes"])
    assert "unweighted mean" in notes and "1 geometries repaired" in notes


def test_mean_is_unweighted_over_kbas_area_weighted_is_extra():
    kba, pa = _layers()
    # make B four times larger (20 km × 20 km) and leave it unprotected; A stays 50 % covered
    x0, y0 = 4_300_000.0, 2_500_000.0
    kba.loc[1, "geometry"] = box(x0 + 100 * KM, y0, x0 + 120 * KM, y0 + 20 * KM)
    res = _run(kba, pa.iloc[:1], years=[2000])
    row = res["series"].iloc[0]
    assert row["mean_coverage_pct"] == pytest.approx(25.0)                   # (50 + 0) / 2
    assert row["extra_area_weighted_coverage_pct"] == pytest.approx(10.0)    # 50 / (100 + 400)


def test_kba_hole_is_not_counted():
    kba, pa = _layers()
    x0, y0 = 4_300_000.0, 2_500_000.0
    shell = box(x0, y0, x0 + 10 * KM, y0 + 10 * KM)
    hole = box(x0 + 1 * KM, y0 + 1 * KM, x0 + 3 * KM, y0 + 3 * KM)  # 4 km², inside PA 1
    kba.loc[0, "geometry"] = Polygon(shell.exterior.coords, [hole.exterior.coords])
    res = _run(kba, pa, years=[2000])
    per = res["per_kba"].set_index("kba_id")
    assert per.loc["A", "kba_area_km2"] == pytest.approx(96.0)
    assert per.loc["A", "coverage_pct"] == pytest.approx(46.0 / 96.0 * 100.0)


def test_geodesic_areas_agree_with_equal_area_projection():
    kba, pa = _layers()
    geo = _run(kba.to_crs("EPSG:4326"), pa.to_crs("EPSG:4326"), area_crs=None)
    eq = _run(kba, pa)
    # straight LAEA edges become geodesics: agreement to well under 0.1 % on 10 km polygons
    pd.testing.assert_series_equal(geo["series"]["mean_coverage_pct"], eq["series"]["mean_coverage_pct"], rtol=1e-3, atol=1e-3)
    assert geo["series"]["kba_area_km2"].iloc[0] == pytest.approx(200.0, rel=1e-3)
    # a projected, non-equal-area input is transformed to geographic and measured geodesically
    merc = _run(kba.to_crs("EPSG:3857"), pa.to_crs("EPSG:3857"), area_crs=None)
    assert merc["series"]["kba_area_km2"].iloc[0] == pytest.approx(200.0, rel=1e-3)


def test_refuses_non_equal_area_crs_and_missing_fields():
    kba, pa = _layers()
    with pytest.raises(InputError, match="not an equal-area"):
        _run(kba, pa, area_crs="EPSG:3857")
    with pytest.raises(InputError, match="'YEAR' not found"):
        _run(kba, pa, establishment_year_field="YEAR")
    with pytest.raises(InputError, match="no CRS"):
        _run(kba.set_crs(None, allow_override=True), pa)
    dup = pd.concat([kba, kba])
    with pytest.raises(InputError, match="more than once"):
        _run(gpd.GeoDataFrame(dup, crs=LAEA), pa)


def test_unknown_establishment_year_policies():
    kba, pa = _layers()
    with pytest.raises(InputError, match="STATUS_YR.*unknown"):
        _run(kba, pa, unknown_year="error")
    # 'always': the far-away PA counts from the start, but it does not touch a KBA
    res = _run(kba, pa, unknown_year="always")
    assert res["series"].set_index("year").loc[1999, "mean_coverage_pct"] == pytest.approx(0.0)
    pa.loc[4, "geometry"] = box(4_300_000.0, 2_500_000.0, 4_301_000.0, 2_510_000.0)  # 10 km² inside A
    res = _run(kba, pa, unknown_year="always")
    assert res["per_kba"].set_index(["kba_id", "year"]).loc[("A", 1999), "coverage_pct"] == pytest.approx(10.0)


def test_empty_geometry_is_an_error():
    kba, pa = _layers()
    kba.loc[1, "geometry"] = Polygon()
    with pytest.raises(InputError, match=r"feature 'B'.*missing or empty"):
        _run(kba, pa)


def test_direct_table_path():
    df = pd.DataFrame({"year": [2016, 2017, 2018], "value": [0.30, 0.35, 0.40], "unit": ["1"] * 3})
    res = kba_protected_coverage_from_table(df, value_range=(0, 100), years=(2016, 2018), allow_gaps=False, **TREND)
    assert res["series"]["mean_coverage_pct"].tolist() == pytest.approx([30.0, 35.0, 40.0])
    assert res["trend"]["trend"].iloc[0] == "increasing"
    bad = df.assign(unit="percent")
    bad.loc[1, "value"] = 135.0
    with pytest.raises(InputError, match=r"line 3, column 'value'"):
        kba_protected_coverage_from_table(bad, value_range=(0, 100), years=None, allow_gaps=False, **TREND)

"""`indicators compare A B`: two configurations run and set side by side; land-cover agreement by hand."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
import yaml

from indicators.cli import main
from indicators.report.atomic import MARKER, output_lock

from .conftest import NX, NORTH, NY, RES, WEST, write_boundary
from .test_run_trends_earth import ND, config, layers, write_single_files


def _country(d, data):
    d.mkdir()
    write_boundary(d / "boundary.gpkg")
    write_boundary(d / "admin.gpkg", admin=True)
    cfg = config(d, write_single_files(d, data))
    doc = yaml.safe_load(cfg.read_text())
    doc["indicators"] = ["SO1-1", "SO1-2", "SO1-3", "SO1-4"]
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
    # the staging directory a killed compare into the same output left behind (marked as `indicators run` marks it)
    stale = root / ".out.staging-killed"
    (stale / "scratch").mkdir(parents=True)
    (stale / MARKER).write_text(json.dumps({"output": str(out.resolve()), "role": "staging", "pid": 1}))
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
        assert got == pytest.approx(expected, abs=5e-7)  # written with 6 decimals, as the run's tables
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
    t5 = pd.read_csv(out / "comparison" / "SO1-1" / "SO1-1.T4.csv")  # land cover per class: the 2026 id (D23)
    a, b = pd.read_csv(out / "A" / "SO1-1" / "SO1-1.T4.csv"), pd.read_csv(out / "B" / "SO1-1" / "SO1-1.T4.csv")
    assert t5["name"].tolist() == a["name"].tolist()  # A's rows, in A's order
    assert t5["2015 B-A"].to_numpy() == pytest.approx((b["2015"] - a["2015"]).to_numpy(), nan_ok=True)
    assert t5["2015 A"].to_numpy() == pytest.approx(a["2015"].to_numpy(), nan_ok=True)
    verdict = pd.read_csv(out / "comparison" / "verdict.csv").set_index("indicator")
    assert set(verdict.index) >= {"SO1-1", "SO1-2", "SO1-3"}
    assert verdict.loc["SO1-1", "verdict"] in ("review", "differs")  # a changed block moves class areas
    assert (out / "comparison" / "comparison.html").read_text().count("<table") >= 3


def _grid(values):
    import xarray as xr

    return xr.DataArray(np.array(values, dtype="uint8"), dims=("y", "x"))


def test_agreement_layer_by_hand():
    from indicators.commands.comparison_maps import AGREEMENT_NODATA as N, agreement_layer

    a = _grid([[1, 2, 3], [4, 5, 6], [7, 0, 1]])  # 0: no data in A
    b = _grid([[1, 3, 3], [4, 0, 5], [7, 2, 2]])  # 0: no data in B
    inside = _grid([[1, 1, 1], [1, 1, 1], [0, 1, 1]]).astype(bool)  # the lower left cell is outside the boundary
    got = agreement_layer(a, b, inside).values
    assert got.dtype == np.uint8
    assert got.tolist() == [[1, 0, 1], [1, N, 0], [N, N, 0]]


def test_sdg_cross_classification_by_hand():
    from indicators.commands.comparison_maps import sdg_categories, sdg_cross_layer

    sa = _grid([[1, 2, 3], [1, 2, 3], [0, 1, 2]])  # 1 degraded, 2 stable, 3 improved, 0 no data
    sb = _grid([[1, 1, 1], [3, 3, 3], [2, 0, 2]])
    land_a = _grid([[1, 1, 1], [1, 1, 1], [1, 1, 0]]).astype(bool)
    land_b = _grid([[1, 1, 1], [1, 1, 0], [1, 1, 1]]).astype(bool)
    inside = _grid([[1, 1, 1], [1, 1, 1], [1, 1, 1]]).astype(bool)
    ca, cb = sdg_categories(sa, land_a, inside), sdg_categories(sb, land_b, inside)
    assert ca.values.tolist() == [[1, 2, 3], [1, 2, 3], [4, 1, 5]]  # 4 land without data, 5 not land
    assert cb.values.tolist() == [[1, 1, 1], [3, 3, 5], [2, 4, 2]]
    # code 3 * (a - 1) + b: (deg, deg) 1, (stable, deg) 4, (improved, deg) 7, (deg, improved) 3, (stable, improved) 6
    assert sdg_cross_layer(ca, cb).values.tolist() == [[1, 4, 7], [3, 6, 0], [0, 0, 0]]


def test_sdg_crosstab_margins_are_each_runs_so1_4_areas(compared):
    out, _, _ = compared
    x = pd.read_csv(out / "comparison" / "sdg_crosstab.csv")
    assert set(x["period"]) == {"baseline", "report_1", "report_2"}
    for run, mine, theirs in (("A", "class_A", "class_B"), ("B", "class_B", "class_A")):
        t1 = pd.read_csv(out / run / "SO1-4" / "SO1-4.T1.csv")
        for period, g in x.groupby("period"):
            ref = t1[t1["period"] == period].set_index("class")["area_km2"]
            margin = g.groupby(mine)["area_km2"].sum()
            for c in ("degraded", "stable", "improved", "no data"):  # T1 is written to 1e-6 km²
                assert margin[c] == pytest.approx(ref[c], abs=1e-5), (run, period, c)
            # the table is the land of A or B: less the other run's "not land", it is this run's total land area
            assert g[g[mine] != "not land"]["area_km2"].sum() == pytest.approx(ref["total land area"], abs=1e-5)
            assert g[(g[mine] == "not land") & (g[theirs] == "not land")]["area_km2"].sum() == 0


def test_agreement_map_written_and_by_hand(compared):
    import rasterio

    out, data, other = compared
    maps = out / "comparison" / "maps"
    inside = np.zeros((NY, NX), bool)
    inside[2:NY - 2, 2:NX - 2] = True
    for year in (2000, 2015):
        with rasterio.open(maps / f"land_cover_agreement_{year}.tif") as src:
            got, nodata = src.read(1), src.nodata
        a, b = data["land_cover", year], other["land_cover", year]
        expected = np.where(inside & (a != ND) & (b != ND), (a == b).astype(np.uint8), 255)
        assert nodata == 255
        assert np.array_equal(got, expected)
        assert (maps / f"land_cover_agreement_{year}.tif.aux.xml").is_file() and (maps / f"land_cover_agreement_{year}.qml").is_file()
    with rasterio.open(maps / "sdg_cross_classification_baseline.tif") as src:
        cross = src.read(1)
    assert set(np.unique(cross)) <= set(range(10)) and (cross[~inside] == 0).all()
    assert "A degraded · B degraded" in (maps / "sdg_cross_classification_baseline.tif.aux.xml").read_text()


def test_comparison_page_section_order_and_images(compared):
    import base64
    import re

    out, _, _ = compared
    page = (out / "comparison" / "comparison.html").read_text()
    assert "Traceback" not in page and "http://" not in page.replace("http://mrcc.com", "")
    at = [page.index(f'<section id="{s}"') for s in ("comparison", "verdicts", "agreement", "differences")]
    assert at == sorted(at)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 2  # the land-cover agreement and the SDG cross-classification maps
    for b64 in images:
        assert base64.b64decode(b64, validate=True).startswith(b"\x89PNG\r\n\x1a\n")
    assert "sdg-crosstab-baseline" in page and "lc-crosstab-2000" in page


def test_comparison_page_in_french():
    from indicators.report.comparison_page import render_comparison

    verdict = pd.DataFrame([{"indicator": "SO1-1", "tables_compared": 1, "max_relative_difference_percent": 12.5,
                             "land_cover_agreement_percent": 90.0, "verdict": "review", "thresholds": "…"}])
    sdg = pd.DataFrame([("baseline", a, b, 1.5) for a in ("degraded", "stable") for b in ("degraded", "stable")],
                       columns=["period", "class_A", "class_B", "area_km2"])
    page = render_comparison(["national", "ESA CCI"], verdict, sdg_crosstab=sdg, language="fr")
    assert 'lang="fr"' in page and "à examiner" in page and "Concordance" in page and "12,50" in page


def test_configurations_of_other_periods_are_refused_before_computing(compared, capsys):
    """A of the 2026 edition against B of the 2022 edition: periods differ (2026 has report_2), so figures would be
    set beside another period's; one line naming both files and the differing period, exit 2, nothing written."""
    out, _, _ = compared
    a = out.parent / "a" / "config.yaml"
    doc = yaml.safe_load((out.parent / "b" / "config.yaml").read_text())
    doc["edition"] = "2022"
    # the 2022 edition's reporting period starts its land cover in 2016: B gets a 2016 map (its 2015 one) so B
    # passes its own checks and the refusal is the comparison's
    (out.parent / "b" / "land_cover_2016.tif").write_bytes((out.parent / "b" / "land_cover_2015.tif").read_bytes())
    doc["inputs"]["land_cover"]["years"] = sorted(set(doc["inputs"]["land_cover"]["years"]) | {2016})
    b = out.parent / "b" / "config_2022.yaml"
    b.write_text(yaml.safe_dump(doc, sort_keys=False))
    target = out.parent / "other-periods"
    capsys.readouterr()
    assert main(["compare", str(a), str(b), "-o", str(target), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "report different periods" in err and "report_2" in err and "config_2022.yaml" in err
    assert "Traceback" not in err and not target.exists()


def test_compare_clears_stale_staging_and_leaves_nothing_beside_its_output(compared):
    """As `indicators run`: the staging of a killed command into the same output is removed (its marker names the
    output), and the compare's own lock and staging are gone once it has finished."""
    out, _, _ = compared
    assert not (out.parent / ".out.staging-killed").exists()
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out.")] == []


def test_second_compare_into_a_locked_output_is_refused(compared, capsys):
    """One command per output: a compare (or a run) into an output another compare is writing is refused at once,
    exit 2, naming the command that holds it; nothing is written."""
    out, _, _ = compared
    a, b = out.parent / "a" / "config.yaml", out.parent / "b" / "config.yaml"
    target = out.parent / "locked"
    capsys.readouterr()
    with output_lock(target, "indicators compare"):
        code = main(["compare", str(a), str(b), "-o", str(target), "--quiet"])
        err = capsys.readouterr().err
        assert code == 2 and "another indicators compare is writing the output" in err, err
        assert f"pid {os.getpid()}" in err and "Traceback" not in err
        assert main(["run", str(a), "-o", str(target), "--quiet"]) == 2
        assert "another indicators compare is writing the output" in capsys.readouterr().err
    with output_lock(target):  # held by a run: a compare's refusal names the run
        assert main(["compare", str(a), str(b), "-o", str(target), "--quiet"]) == 2
        assert "another indicators run is writing the output" in capsys.readouterr().err
    assert not target.exists() and not (out.parent / ".locked.lock").exists()


def test_comparison_csvs_are_written_as_the_run_writes_its_tables(compared):
    # the comparison's CSVs went through pandas' to_csv: sums of areas printed 100.00000000000001 % where the run's
    # tables print 100 (the package's fixed formatting, report.tables.frame_to_csv)
    import re

    from indicators.report.tables import DECIMALS, frame_to_csv

    out, _, _ = compared
    files = sorted((out / "comparison").rglob("*.csv"))
    assert len(files) >= 3, files
    longer = re.compile(r"\d\.\d{%d,}" % (DECIMALS + 1))
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not longer.search(text), (path.name, longer.search(text).group(0))
        assert text == frame_to_csv(pd.read_csv(path, keep_default_na=False, na_values=[""])), path.name

"""`indicators demo` end to end on the bundled sample data: files, tables vs the Python API, HTML, browser.

The demo runs once per test session (tests/conftest.py::demo_output) into a temporary directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from indicators.cli import main

from .browser import layout, not_blank, render


@pytest.fixture(scope="module")
def demo(demo_output) -> Path:
    return demo_output  # the session's local demo run (tests/conftest.py), shared with the cluster tests


def test_every_expected_file_is_there(demo):
    for rel in ("report.html", "provenance.json", "tables.xlsx", "tables.json", "run-config.yaml"):
        assert (demo / rel).is_file(), rel
    prov = json.loads((demo / "provenance.json").read_text())
    computed = prov["indicators"]["computed"]
    # every indicator the sample data can feed is computed
    for code in ("SO1-1", "SO1-2", "SO1-3", "SO1-4", "SO2-1", "SO2-2", "SO2-3", "SO3-1", "SO3-2", "SO3-3",
                 "SO4-1", "SO4-2", "SO4-3", "SO5-1", "SO5-5"):
        assert code in computed, code
    for code in computed:
        assert list((demo / code).glob("*.csv")), f"no table for {code}"
    for rel in ("SO1-4/sdg_15_3_1_baseline.tif", "SO1-4/sdg_15_3_1_report_2.tif", "SO3-1/drought_class_2023.tif",
                "SO3-1/drought_class_epochs_2020-2023.tif"):
        assert (demo / rel).is_file(), rel
    # GDAL side files (category names) and QGIS styles beside the class layers only
    for aux in demo.rglob("*.aux.xml"):
        with rasterio.open(aux.with_name(aux.name.removesuffix(".aux.xml"))) as src:
            assert "flag_values" in src.tags(), aux
        assert aux.with_name(aux.name.removesuffix(".tif.aux.xml") + ".qml").is_file(), aux
    assert prov["parameter_blocks"]["spi"]["calibration"] == [1981, 2010]
    assert len(prov["specs"]["framework_hash"]) == 64
    skipped = {s["indicator"]: s["reason"] for s in prov["indicators"]["skipped"]}
    assert all(reason for reason in skipped.values())
    assert set(computed).isdisjoint(skipped)


def test_tables_are_non_empty_and_consistent_across_formats(demo):
    doc = json.loads((demo / "tables.json").read_text())["indicators"]
    from openpyxl import load_workbook

    wb = load_workbook(demo / "tables.xlsx", read_only=True)
    for code, tables in doc.items():
        for tid, table in tables.items():
            csv = pd.read_csv(demo / code / f"{tid}.csv", keep_default_na=False)
            assert len(csv) == len(table["rows"]) > 0, tid
            assert list(csv.columns) == [c["name"] for c in table["columns"]], tid
            sheet = wb[tid[:31]]
            assert sheet.max_row == len(table["rows"]) + 1, tid  # the header row, then the data; notes are in README


def test_sdg_table_adds_up(demo):
    """SO1-4.T1: degraded + stable + improved + land without data = total land area (SO1-1.T1's, D22); the shares of
    the land with data add up to 100, the shares of the land to 100 less the no-data share."""
    t = pd.read_csv(demo / "SO1-4" / "SO1-4.T1.csv")
    for period, part in t.groupby("period"):
        area = dict(zip(part["class"], part["area_km2"]))
        assert area["degraded"] + area["stable"] + area["improved"] + area["no data"] == pytest.approx(
            area["total land area"], rel=1e-9)
        three = part[part["class"].isin(["degraded", "stable", "improved"])]
        assert three["percent_of_land_with_data"].sum() == pytest.approx(100.0, abs=1e-5), period
        assert three["percent_of_land"].sum() == pytest.approx(100.0 * (1 - area["no data"] / area["total land area"]),
                                                               abs=1e-5), period
        assert area["no data"] >= 0 and area["water"] >= 0
    # the land-cover table (2026: SO1-1.T4, D23) counts only the country: its no-data row is not the area outside the boundary
    lc = pd.read_csv(demo / "SO1-1" / "SO1-1.T4.csv")
    nodata = lc[lc["name"] == "no data"].iloc[0]
    classes = lc[lc["name"] != "no data"]
    for year in [c for c in lc.columns if c.isdigit()]:
        assert 0 <= nodata[year] < 0.05 * classes[year].sum(), year


def test_people_table_equals_the_python_api(demo):
    """SO2-1.T1 is the poverty part of what poverty_indicator returns for the demo's table and the edition's line."""
    import yaml

    from indicators import load_framework
    from indicators.report.tables import frame_to_csv
    from indicators.so2.people import poverty_indicator, poverty_table_schema
    from indicators.tables import read_table

    cfg = yaml.safe_load((demo / "run-config.yaml").read_text())
    fw = load_framework(cfg.get("edition"), cfg.get("profile"), cfg.get("overlay"))
    periods = fw.periods()
    years = (min(p.years[0] for p in periods), max(p.years[1] for p in periods))
    p = fw.parameters("series")
    table = read_table(cfg["inputs"]["so2_1_poverty"]["path"], poverty_table_schema(tuple(p.percent_range)))
    out = poverty_indicator(table, **fw.binding_arguments("SO2-1.poverty"), value_range=tuple(p.percent_range), years=years,
                            allow_gaps=p.allow_gaps, trend_tolerance=p.trend_tolerance, trend_method=p.trend_method)
    expected = out["series"].drop(columns=[c for c in out["series"].columns if c.startswith("gini")])
    assert (demo / "SO2-1" / "SO2-1.T1.csv").read_text() == frame_to_csv(expected)


def test_table_ids_are_prais_ids_where_prais_has_them(demo):
    """Every output named <code>.T<n> is a reporting table of its indicator in the edition (methodology Part B §1.2)."""
    import re

    import yaml

    from indicators import load_framework
    from indicators.stage_tables import PRAIS_TABLE_IDS

    cfg = yaml.safe_load((demo / "run-config.yaml").read_text())
    fw = load_framework(cfg.get("edition"), cfg.get("profile"), cfg.get("overlay"))
    ed = str(fw.edition)
    names = [p.stem for p in demo.glob("SO*/*.csv")]
    prais = [n for n in names if re.match(r"^SO\d-\d\.T\d", n)]
    assert {"SO2-1.T1", "SO2-1.T3", "SO2-2.T1", "SO2-2.T2", "SO4-2.T1", "SO4-2.T2", "SO4-3.T1", "SO4-3.T2"} <= set(names)
    for n in prais:
        code, table = n.split(".")[:2]
        assert f"{code}.{table}" in fw.indicator(code).reporting_tables[ed], n
    for (code, _key), t in PRAIS_TABLE_IDS.items():
        assert f"{code}.{t}" in fw.indicator(code).reporting_tables[ed]
    assert not any(n.endswith((".series", ".trend")) for n in names if n.split(".")[0] in ("SO2-1", "SO2-2", "SO4-2", "SO4-3"))


def test_drought_table_equals_the_python_api(demo):
    """SO3-1.T2 (land under any drought, national) recomputed with the public SPI and hazard functions."""
    import yaml

    from indicators import load_framework, open_raster, read_polygons
    from indicators.grid_resample import align_to
    from indicators.so3.hazard import annual_spi, drought_hazard_classes, drought_zonal_area_table
    from indicators.so3.spi import spi

    cfg = yaml.safe_load((demo / "run-config.yaml").read_text())
    fw = load_framework(cfg.get("edition"), cfg.get("profile"), cfg.get("overlay"))
    p = cfg["inputs"]["precipitation"]
    precip = open_raster(p["path"], variable=p.get("variable"), units=p["units"])
    args = fw.binding_arguments("SO3-1.spi")
    years = fw.edition_spec().drought.years
    annual = annual_spi(spi(precip, **args, units=p["units"]), month=args["month"]).sel(year=slice(*years))
    cls = fw.classification(fw.parameters("drought_classes").classification)
    ordered = sorted(cls.classes, key=lambda c: (c.lower is not None, c.lower or 0.0))
    codes = [c.code for c in ordered]
    names = {c.code: c.name for c in fw.legend(fw.parameters("drought_classes").legend).classes}
    classes = drought_hazard_classes(annual, breaks=[c.upper for c in ordered[:-1]], codes=codes,
                                     right_closed=cls.closed == "right", meanings=[names[c] for c in sorted(codes)], nodata=255)
    classes = classes.rio.write_crs(precip.rio.crs).rio.write_nodata(255, encoded=False).compute()
    lc = open_raster(cfg["inputs"]["land_cover"]["path"].replace("{year}", "2000"), units="1")
    fine = align_to(lc, classes, kind="class")
    boundary = read_polygons(cfg["country"]["boundary"], to_crs=fine)
    drought = [c.code for c in ordered if c.upper is not None and c.upper <= 0]
    # water from the baseline's first land-cover year, nested (ESA CCI 210 -> UNCCD 7)
    from indicators.so1.land_cover import nest_land_cover

    lcp = fw.parameters("land_cover")
    src = fw.legend(lcp.source_legend)
    lc7 = nest_land_cover(open_raster(cfg["inputs"]["land_cover"]["path"].replace("{year}", "2000"),
                                      legend={c.code: c.name for c in src.classes}, nodata=src.nodata),
                          fw.nesting(lcp.nesting).model_dump(mode="json"), nodata_codes=[src.nodata])
    # national: the cells whose centre is inside the boundary, as SO1-1.T1 counts the land (D3)
    table = drought_zonal_area_table(fine, boundary, codes=sorted(codes), drought_codes=drought, nodata=255,
                                     land_mask=lc7 != lcp.water_class, method="centre")
    expected = table[(table["level"] == "national") & (table["kind"] == "any_drought")].set_index("year")["percent_of_land"]
    got = pd.read_csv(demo / "SO3-1" / "SO3-1.T2.csv").set_index("year")["percent_of_land"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index().round(6), check_names=False, atol=1e-6)


def test_report_holds_the_maps_as_embedded_images(demo):
    html = (demo / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 10
    assert "<script" not in html.lower() and "http://" not in html and "https://" not in html
    for code in ("SO1-4", "SO3-1", "SO3-2", "SO3-3"):
        assert f'id="ind-{code.lower()}"' in html
    assert 'href="#d6"' in html and 'id="d6"' in html


def test_report_renders_without_console_errors(demo, tmp_path):
    shot = tmp_path / "demo.png"
    console = render(demo / "report.html", shot, size="1280,4000")
    assert console == []
    assert not_blank(shot) > 0.05


def test_demo_config_is_a_runnable_template(demo, tmp_path):
    from indicators.config import load_config

    loaded = load_config(demo / "run-config.yaml")
    assert loaded.config.country.name == "Arvelia"
    assert all(Path(s.path if isinstance(s.path, str) else next(iter(s.path.values()))).is_absolute()
               for s in loaded.config.inputs.values())


def test_so3_2_epoch_exposure_maps_agree_with_their_table(demo):
    """Each four-year exposure map sums to the 'any drought' population of its epoch; every epoch has its map."""
    import numpy as np
    import rasterio

    tab = pd.read_csv(demo / "SO3-2" / "SO3-2.epochs.csv")
    anyd = tab[(tab["group"] == "total") & (tab["kind"] == "any_drought")].set_index("epoch")["population"]
    assert len(anyd) == 6  # 2000-2023 in four-year epochs (D7)
    for epoch, expected in anyd.items():
        with rasterio.open(demo / "SO3-2" / f"population_exposed_epochs_{epoch}.tif") as src:
            data = src.read(1, masked=True)
        assert float(np.ma.sum(data)) == pytest.approx(expected, rel=1e-4), epoch
    # the population grid of each epoch is its most recent one (grids 2000, 2005, ..., 2020)
    years = tab.drop_duplicates("epoch").set_index("epoch")["population_year"].to_dict()
    assert years == {"2000-2003": 2000, "2004-2007": 2005, "2008-2011": 2010, "2012-2015": 2015,
                     "2016-2019": 2015, "2020-2023": 2020}
    html = (demo / "report.html").read_text()
    assert "People in drought cells of each four-year epoch" in html


def test_report_has_the_annual_series_charts(demo):
    html = (demo / "report.html").read_text()
    for title in ("Land under drought per intensity class", "Population exposed to drought (any intensity)",
                  "People exposed per drought intensity class", "Drought Vulnerability Index"):
        assert title in html, title


def test_epoch_population_year_rule():
    from indicators.errors import InputError
    from indicators.so3.run_exposure import _epoch_population_year

    grids = [2000, 2005, 2010, 2015, 2020]
    assert _epoch_population_year(grids, 2000, 2003, "nearest") == 2000
    assert _epoch_population_year(grids, 2004, 2007, "nearest") == 2005
    assert _epoch_population_year(grids, 2016, 2019, "nearest") == 2015  # none inside: the latest before
    assert _epoch_population_year([2010], 2000, 2003, "nearest") == 2010  # none before: the earliest after
    with pytest.raises(InputError, match="population_year_fill"):
        _epoch_population_year(grids, 2016, 2019, "none")


def test_class_colours_follow_the_meaning_of_each_code(demo):
    """Every class COG's colour table gives each stored code the spec colour of its meaning
    (flag_meanings), e.g. the SDG layer's 'degraded' code gets the legend's degraded colour."""
    import rasterio

    from indicators import load_framework

    fw = load_framework()
    three = {c.key: c.color for c in fw.legend("sdg_3class").classes}
    checked = 0
    for rel in ("SO1-4/sdg_15_3_1_baseline.tif", "SO1-2/productivity_degradation_report_2.tif",
                "SO1-1/land_cover_degradation_baseline.tif", "SO1-3/soc_degradation_report_1.tif"):
        with rasterio.open(demo / rel) as src:
            tags = src.tags()
            cmap = src.colormap(1)
        codes = [int(v) for v in tags["flag_values"].split()]
        for code, meaning in zip(codes, tags["flag_meanings"].split()):
            r, g, b, _ = cmap[code]
            assert f"#{r:02X}{g:02X}{b:02X}" == three[meaning].upper(), (rel, code, meaning)
            checked += 1
    assert checked == 12


def test_land_area_table_adds_up_and_is_the_sdg_denominator(demo):
    """The land area (2026 edition: SO1-1.land_area, the 2022 manual's SO1-1.T1, D23): land + water + no data = country, every year; the first year's land and water are
    SO1-4.T1's (D3: land is the valid cells inside the boundary minus inland water)."""
    t1 = pd.read_csv(demo / "SO1-1" / "SO1-1.land_area.csv").set_index("row")
    years = [c for c in t1.columns if c.isdigit()]
    assert years and years[0] == "2000"
    for y in years:
        parts = t1.loc["total land area", y] + t1.loc["water bodies", y] + t1.loc["no data", y]
        # the CSVs hold km² to 6 decimals
        assert parts == pytest.approx(t1.loc["total country area", y], abs=3e-6)
        assert t1.loc["water bodies", y] > 0  # the lake
    # the country does not change size between years
    assert t1.loc["total country area"].nunique() == 1 or t1.loc["total country area"].std() < 1e-6
    sdg = pd.read_csv(demo / "SO1-4" / "SO1-4.T1.csv")
    base = sdg[sdg["period"] == "baseline"].set_index("class")["area_km2"]
    # SO1-4.T1's denominator is SO1-1.T1's total land area (D22); land without SDG data is in it, on its own row
    assert t1.loc["total land area", "2000"] == pytest.approx(base["total land area"], abs=3e-6)
    assert t1.loc["total land area", "2000"] == pytest.approx(
        base["degraded"] + base["stable"] + base["improved"] + base["no data"], abs=3e-6)
    assert t1.loc["water bodies", "2000"] == pytest.approx(base["water"], abs=2e-6)


def test_so3_unit_epoch_and_trend_tables_add_up(demo):
    """SO3-1.units: per unit, the class areas add up to the unit's land; SO3-1.epochs: per epoch, the class areas add
    up to the national land of T1; SO3-2.units: the units' exposed people add up to the national count (the units
    tile the country) up to the border cells; the trend tables' means are the plain means of T2 / T1 over the edition's years."""
    t1 = pd.read_csv(demo / "SO3-1" / "SO3-1.T1.csv")
    t2 = pd.read_csv(demo / "SO3-1" / "SO3-1.T2.csv")
    units = pd.read_csv(demo / "SO3-1" / "SO3-1.units.csv")
    cls = units[units["kind"] == "class"].groupby(["year", "unit"]).agg(area=("area_km2", "sum"), land=("unit_land_area_km2", "first"))
    np.testing.assert_allclose(cls["area"], cls["land"], rtol=1e-9)
    land = t1[t1["kind"] == "class"].groupby("year")["area_km2"].sum()
    # D3: SO3-1's land is SO1-1.T1's total land area (both count the cells whose centre is inside the boundary)
    lc = pd.read_csv(demo / "SO1-1" / "SO1-1.land_area.csv").set_index("row")
    assert land.loc[2000] == pytest.approx(float(lc.loc["total land area", "2000"]), abs=1e-5)  # CSVs hold 6 decimals
    # the units use exact coverage: they add up to the national land up to the border cells
    np.testing.assert_allclose(units[units["kind"] == "class"].groupby("year")["area_km2"].sum().loc[land.index], land, rtol=5e-3)
    epochs = pd.read_csv(demo / "SO3-1" / "SO3-1.epochs.csv")
    per_epoch = epochs[epochs["kind"] == "class"].groupby("epoch")["area_km2"].sum()
    assert len(per_epoch) == 6 and np.allclose(per_epoch, land.iloc[0], rtol=1e-9)
    trend = pd.read_csv(demo / "SO3-1" / "SO3-1.trend.csv").iloc[0]
    assert trend["baseline"] == "2000-2015" and trend["period"] == "2016-2023"
    assert trend["baseline_mean"] == pytest.approx(t2[t2["year"].between(2000, 2015)]["percent_of_land"].mean(), rel=1e-6)
    assert trend["period_mean"] == pytest.approx(t2[t2["year"].between(2016, 2023)]["percent_of_land"].mean(), rel=1e-6)
    exposed = pd.read_csv(demo / "SO3-2" / "SO3-2.T1.csv")
    zonal = pd.read_csv(demo / "SO3-2" / "SO3-2.units.csv")
    z = zonal[(zonal["group"] == "total") & (zonal["kind"] == "class")].groupby("year")["population"].sum()
    n = exposed[exposed["kind"] == "class"].groupby("year")["population"].sum()
    # one coverage rule for the national and the per-unit tables (D22: area.polygon_coverage, centre): the units,
    # which tile the country, add up to the national table (CSV values carry 6 decimals)
    np.testing.assert_allclose(z.loc[n.index], n, rtol=1e-9)
    units = pd.read_csv(demo / "SO3-1" / "SO3-1.units.csv")
    t1 = pd.read_csv(demo / "SO3-1" / "SO3-1.T1.csv")
    for kind in ("class", "any_drought"):
        per_unit = units[units["kind"] == kind].groupby(["year", "class"] if kind == "class" else "year")["area_km2"].sum()
        table = t1 if kind == "class" else t2
        national = table[table["kind"] == "class"] if kind == "class" else table
        national = national.set_index(["year", "class"] if kind == "class" else "year")["area_km2"]
        np.testing.assert_allclose(per_unit.loc[national.index], national, rtol=1e-9, atol=1e-6, err_msg=kind)


GOLDEN = Path(__file__).resolve().parents[1] / "data" / "demo_golden"


def test_demo_tables_equal_the_golden_tables(demo):
    """Every table the demo wrote at a56a3d2 (tests/data/demo_golden) is written again with the same values.

    A deliberate change of a number updates the golden file and says why in CHANGELOG.md.
    """
    goldens = sorted(GOLDEN.rglob("*.csv"))
    assert len(goldens) >= 60
    for g in goldens:
        rel = g.relative_to(GOLDEN)
        got = demo / rel
        assert got.is_file(), f"{rel} is no longer written"
        want_df = pd.read_csv(g, keep_default_na=False)
        got_df = pd.read_csv(got, keep_default_na=False)
        assert list(got_df.columns) == list(want_df.columns), rel
        pd.testing.assert_frame_equal(got_df, want_df, check_exact=False, rtol=1e-10, atol=0, obj=str(rel))


def test_xlsx_round_trips_through_pandas(demo):
    """pandas.read_excel(sheet_name=None) gives every table back: a sheet per table whose first row is the
    header, the CSV's columns and rows, the same numbers; titles, units and notes are on the README sheet."""
    sheets = pd.read_excel(demo / "tables.xlsx", sheet_name=None)
    doc = json.loads((demo / "tables.json").read_text())["indicators"]
    tables = {tid: (code, t) for code, ts in doc.items() for tid, t in ts.items()}
    assert list(sheets)[0] == "README" and set(sheets) - {"README"} == {tid[:31] for tid in tables}
    readme = sheets["README"]
    assert list(readme.columns) == ["sheet", "table", "title", "column", "unit", "unit (UDUNITS)", "notes"]
    assert set(readme["table"].dropna()) == set(tables)
    assert len(readme) == sum(len(t["columns"]) for _, t in tables.values())  # one row per column of every table
    for tid, (code, t) in tables.items():
        got = sheets[tid[:31]]
        csv = pd.read_csv(demo / code / f"{tid}.csv", keep_default_na=False, na_values=[""])
        assert [str(c) for c in got.columns] == list(csv.columns), tid
        assert not any(str(c).startswith("Unnamed:") for c in got.columns), tid
        assert len(got) == len(csv), tid
        for col in csv.columns:
            if pd.api.types.is_numeric_dtype(csv[col]) and pd.api.types.is_numeric_dtype(got.iloc[:, list(csv.columns).index(col)]):
                np.testing.assert_allclose(got.iloc[:, list(csv.columns).index(col)].to_numpy(float),
                                           csv[col].to_numpy(float), rtol=1e-12, atol=1e-9, err_msg=f"{tid} {col}")
        assert readme.loc[readme["table"] == tid, "title"].tolist() == [t["title"]], tid
        units = readme[readme["table"].ffill() == tid].set_index("column")["unit (UDUNITS)"]
        assert {str(k): (None if pd.isna(v) else v) for k, v in units.items()} == {c["name"]: c["unit"] for c in t["columns"]}, tid


def test_json_units_are_udunits_strings(demo):
    doc = json.loads((demo / "tables.json").read_text())["indicators"]
    units = {c["name"]: c["unit"] for c in doc["SO1-4"]["SO1-4.T1"]["columns"]}
    assert units == {"period": None, "class": None, "area_km2": "km2", "percent_of_land": "%",
                     "percent_of_land_with_data": "%"}
    pop = {c["name"]: c["unit"] for c in doc["SO3-2"]["SO3-2.epochs"]["columns"]}
    assert pop["population"] == "person" and pop["percent"] == "%"
    everything = {c["unit"] for ts in doc.values() for t in ts.values() for c in t["columns"]}
    assert not {u for u in everything if u and ("**" in u or u in ("percent", "km**2", "persons"))}


def test_every_raster_is_a_cog_and_class_rasters_name_their_classes(demo):
    """Every GeoTIFF keeps the COG layout and has a band description; each class raster's category names, read
    back with GDAL, are the spec legend's class names of its codes; no tag names a machine path."""
    from indicators import load_framework

    from .gdal_read import category_names
    from .test_run_cog_writer import cog_problems

    fw = load_framework()
    by_key = {c.key: c.name for lg in fw.legends for c in lg.classes if c.key}
    tifs = sorted(demo.rglob("*.tif"))
    assert len(tifs) > 60
    n_class = 0
    for tif in tifs:
        assert cog_problems(tif) == [], tif
        with rasterio.open(tif) as src:
            tags = src.tags()
            assert src.descriptions[0], tif
            assert not [v for v in tags.values() if "/tmp/" in v or str(demo) in v or v.startswith("/")], (tif, tags)
        if "flag_values" not in tags:
            continue
        n_class += 1
        names, rat = category_names(tif)
        codes = [int(v) for v in tags["flag_values"].split()]
        for code, meaning in zip(codes, tags["flag_meanings"].split(), strict=True):
            assert names[code] == by_key.get(meaning, names[code]) and names[code], (tif, code, meaning, names)
        assert [int(v) for v, _ in rat] == sorted(codes), tif
        assert tif.with_suffix(".qml").is_file(), tif
    assert n_class >= 40
    with rasterio.open(demo / "SO1-4" / "sdg_15_3_1_baseline.tif") as src:
        assert category_names(demo / "SO1-4" / "sdg_15_3_1_baseline.tif")[0][1:] == ["Degraded", "Stable", "Improved"]
    with rasterio.open(demo / "SO3-2" / "population_exposed_epochs_2000-2003.tif") as src:
        assert src.units == ("person",)


def _shown_number(text: str) -> float:
    """The number in a summary cell such as '1,789.33\u00a0km²', '27.11%', '▲ +4.82 pp' or '−0.048'."""
    import re

    m = re.search(r"[+−-]?[\d,]*\d(?:\.\d+)?", text.replace("\u2212", "-"))
    assert m, text
    return float(m.group(0).replace(",", "").replace("−", "-"))


def test_summary_numbers_equal_the_tables(demo):
    """Each summary row names its table, period and column; its value is that table's cell (as rounded for
    display), its change the cell minus the first period's cell. SO1-4's and SO3-2's rows are checked by hand."""
    import html as html_lib
    import re

    text = (demo / "report.html").read_text()
    summary = text[text.index('id="summary"'):text.index("</section>", text.index('id="summary"'))]
    rows = re.findall(r'<tr data-table="([^"]+)" data-period="([^"]+)" data-column="([^"]+)" data-value="([^"]+)">\s*'
                      r'<td>.*?</td><td>.*?</td><td class="num">(.*?)</td><td class="num">(.*?)</td></tr>', summary, flags=re.S)
    assert len(rows) >= 20
    tables = {}
    for tid, period, column, raw, shown, change in rows:
        code = tid.split(".")[0]
        t = tables.setdefault(tid, pd.read_csv(demo / code / f"{tid}.csv", keep_default_na=False, na_values=[""]))
        pcol = "period" if "period" in t.columns else "epoch" if "epoch" in t.columns else "year"
        cells = t.loc[t[pcol].astype(str) == period, column].astype(float)
        assert np.isclose(cells, float(raw), rtol=0, atol=5e-7).any(), (tid, period, column, raw)  # (CSV: 6 decimals)
        shown = html_lib.unescape(re.sub(r"<[^>]+>", "", shown))
        decimals = len(shown.split(".")[1].rstrip("%").split()[0].split("\u00a0")[0]) if "." in shown else 0
        assert _shown_number(shown) == pytest.approx(round(float(raw), decimals), abs=10 ** -decimals / 2), (tid, shown, raw)
    degraded = pd.read_csv(demo / "SO1-4" / "SO1-4.T1.csv").query("`class` == 'degraded'").set_index("period")["percent_of_land"]
    so1 = {p: float(v) for tid, p, c, v, *_ in rows if tid == "SO1-4.T1" and c == "percent_of_land"}
    assert so1 == pytest.approx(degraded.to_dict(), abs=5e-7)
    changes = [html_lib.unescape(re.sub(r"<[^>]+>", "", ch)) for tid, p, c, v, s, ch in rows
               if tid == "SO1-4.T1" and c == "percent_of_land"]
    assert _shown_number(changes[2]) == pytest.approx(round(degraded["report_2"] - degraded["baseline"], 2))
    assert "▲" in changes[2] and "pp" in changes[2]
    ep = pd.read_csv(demo / "SO3-2" / "SO3-2.epochs.csv")
    people = ep[(ep["group"] == "total") & (ep["kind"] == "any_drought")].set_index("epoch")["population"]
    so3 = {p: _shown_number(html_lib.unescape(s)) for tid, p, c, v, s, ch in rows
           if tid == "SO3-2.epochs" and np.isclose(people, float(v), rtol=0, atol=0.5).any()}
    assert so3 == {e: float(v) for e, v in people.items()}
    # SO3-1: the epochs' share under any drought, then under extreme drought (class 4 of SO3-1.epochs), in that order
    land = pd.read_csv(demo / "SO3-1" / "SO3-1.epochs.csv", keep_default_na=False)
    extreme = land[(land["kind"] == "class") & (land["class"].astype(str) == "4")]
    so3_1 = [(p, float(v)) for tid, p, c, v, *_ in rows if tid == "SO3-1.epochs"]
    assert len(so3_1) == 2 * len(extreme)
    assert [p for p, _ in so3_1[len(extreme):]] == list(extreme["epoch"].astype(str))
    assert [v for _, v in so3_1[len(extreme):]] == pytest.approx(list(extreme["percent_of_land"].astype(float)), abs=5e-7)


@pytest.mark.parametrize("width", [1280, 1024])
def test_report_layout_fits_desktop_and_laptop(demo, width):
    """No element wider than the viewport outside a scrolling table box, every image decodes, every in-page
    link has its target, and the contents bar stays on screen (sticky)."""
    got = layout(demo / "report.html", width=width)
    assert got == {"wide": [], "broken": [], "links": [], "sticky": "sticky"}


def test_report_opens_with_the_summary_and_units_in_words(demo):
    text = (demo / "report.html").read_text()
    assert text.index('id="summary"') < text.index('id="ind-so1-1"')
    assert "km²" in text and "persons" in text and "km**2" not in text and "[1]" not in text
    assert "&lt;NA&gt;" not in text and ">nan<" not in text.lower()
    assert "&lt; 0.001" in text or "< 0.001" in text  # Mann-Kendall p-values below 0.001
    assert text.count('href="#top"') >= 15


def test_declared_other_tables_are_written_and_nothing_else(demo):
    """An indicator that declares its non-PRAIS tables (specs: other_tables, optional_tables) writes its reporting
    tables and those only: SO1-3 writes SO1-3.T1, SO1-3.summary and SO1-3.status on the demo (the whole run, id for
    id: tests/run/test_run_tables_declared.py)."""
    import json

    import yaml

    from indicators import load_framework

    cfg = yaml.safe_load((demo / "run-config.yaml").read_text())
    fw = load_framework(cfg.get("edition"), cfg.get("profile"), cfg.get("overlay"))
    computed = set(json.loads((demo / "provenance.json").read_text())["indicators"]["computed"])
    declared = [i for i in fw.indicators if i.other_tables and i.code in computed]
    assert "SO1-3" in [i.code for i in declared]
    periods = {p.id for p in fw.periods()}
    for ind in declared:
        written = {p.stem for p in (demo / ind.code).glob("*.csv")}
        written = {s.rpartition(".")[0] if s.rpartition(".")[2] in periods else s for s in written}
        others = set(ind.other_tables_of(fw.edition))  # other_tables, and the edition's renumbered ones (D23)
        assert others <= written, ind.code
        assert written <= set(ind.tables_of(fw.edition)), ind.code


def test_demo_one_national_land_area_and_units_add_up(demo):
    """Issue 11 item 4: SO1-4.T1, SO1-3.summary and SO3-1 divide by SO1-1.T1's total land area, and the per-unit
    SDG table (pixel-centre rule, D4) adds up to SO1-4.T1's national areas."""
    lc = pd.read_csv(demo / "SO1-1" / "SO1-1.land_area.csv").set_index("row")
    total = float(lc.loc["total land area", "2000"])
    for rel in ("SO1-4/SO1-4.T1.csv", "SO1-3/SO1-3.summary.csv"):
        t = pd.read_csv(demo / rel)
        land = t[t["class"] == "total land area"]
        assert np.allclose(land["area_km2"], total, rtol=1e-12), rel
        deg = t[t["class"] == "degraded"]
        np.testing.assert_allclose(deg["percent_of_land"], 100 * deg["area_km2"] / total, rtol=1e-6)
        # the land-with-data share stands beside it, labelled
        with_data = t[t["class"].isin(["degraded", "stable", "improved"])].groupby("period")["area_km2"].sum()
        np.testing.assert_allclose(deg.set_index("period")["percent_of_land_with_data"],
                                   100 * deg.set_index("period")["area_km2"] / with_data.loc[deg["period"]].to_numpy(), rtol=1e-6)
    so3 = pd.read_csv(demo / "SO3-1" / "SO3-1.T1.csv")
    assert so3[(so3["kind"] == "class") & (so3["year"] == 2000)]["area_km2"].sum() == pytest.approx(total, abs=1e-5)
    units = pd.read_csv(demo / "SO1-4" / "SO1-4.units.csv")
    t1 = pd.read_csv(demo / "SO1-4" / "SO1-4.T1.csv")
    for period, part in units.groupby("period"):
        per_unit = part[part["unit"] != "national"]
        national = t1[t1["period"] == period].set_index("class")["area_km2"]
        for cls in ("degraded", "stable", "improved"):
            # the CSVs hold 6 decimals: the sum of n rounded rows is within n * 5e-7 of the exact sum
            assert per_unit[f"{cls}_km2"].sum() == pytest.approx(national[cls], abs=len(per_unit) * 5e-7 + 1e-6), (period, cls)


def test_demo_drought_has_a_spatial_pattern(demo):
    """Issue 12 item 9, read from the written tables: the sample climate gives drought a spatial pattern, so the
    national share of land in drought is partial in most years (dry years included) and the units differ."""
    t2 = pd.read_csv(demo / "SO3-1" / "SO3-1.T2.csv").set_index("year")["percent_of_land"]
    partial = t2[(t2 > 5) & (t2 < 95)]
    assert len(partial) >= 12, t2.round(1).to_dict()
    assert len(set(partial.index) & {2003, 2007, 2012, 2017, 2022}) >= 4, t2.round(1).to_dict()
    units = pd.read_csv(demo / "SO3-1" / "SO3-1.units.csv")
    anyd = units[units["kind"] == "any_drought"].pivot(index="year", columns="unit", values="percent_of_land")
    assert ((anyd.min(axis=1) < 10) & (anyd.max(axis=1) > 90)).sum() >= 2, anyd.round(0)
    # the most extensive class differs between units in some year
    cls = units[units["kind"] == "class"]
    top = cls.loc[cls.groupby(["year", "unit"])["area_km2"].idxmax()].pivot(index="year", columns="unit", values="class")
    assert (top.nunique(axis=1) >= 3).any(), top


def test_drought_class_maps_are_on_the_index_grid_over_the_country(demo):
    """D32: SO3-1's maps keep the precipitation grid's own cells (1/8°) over the common grid's extent, less than a
    cell beyond it on each side; where SO3-2's fine exposure map counts people exposed, the epoch map looked up at
    that cell's centre holds a drought class (1-4): the written map is where the run's classes were."""
    import xarray as xr

    from indicators.grid_resample import resample_nearest
    from indicators.io import open_raster

    with xr.open_dataset(Path(__file__).resolve().parents[2] / "sample_data" / "climate" / "precip_monthly.nc") as nc:
        lon, lat = np.asarray(nc["lon"].values), np.asarray(nc["lat"].values)
    res = float(abs(lon[1] - lon[0]))
    exposed_path = demo / "SO3-2" / "population_exposed_epochs_2020-2023.tif"
    with rasterio.open(demo / "SO3-1" / "drought_class_epochs_2020-2023.tif") as cls, rasterio.open(exposed_path) as fine:
        t, b, fb = cls.transform, cls.bounds, fine.bounds
        assert t.a == pytest.approx(res) and -t.e == pytest.approx(res)
        # the cell edges are the netCDF's (centres ± half a cell)
        assert min(abs(lon - res / 2 - t.c)) < 1e-9 and min(abs(lat + res / 2 - t.f)) < 1e-9
        assert b.left <= fb.left < b.left + res and b.right - res < fb.right <= b.right
        assert b.bottom <= fb.bottom < b.bottom + res and b.top - res < fb.top <= b.top
        assert cls.width * cls.height < fine.width * fine.height / 100
    epoch = open_raster(demo / "SO3-1" / "drought_class_epochs_2020-2023.tif")
    people = open_raster(exposed_path).squeeze(drop=True)
    looked_up = resample_nearest(people, epoch.squeeze(drop=True)).values
    where = np.nan_to_num(people.values) > 0
    assert where.sum() > 100
    assert np.isin(looked_up[where], [1, 2, 3, 4]).all()

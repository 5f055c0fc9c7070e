"""Properties of the bundled sample data (the fictional country Arvelia) and of the script that makes it."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
SCRIPT = SAMPLE / "make_sample_data.py"

# ESA CCI-LC legend (37 classes); 0 is its no-data value.
ESA_CODES = {10, 11, 12, 20, 30, 40, 50, 60, 61, 62, 70, 71, 72, 80, 81, 82, 90, 100, 110, 120, 121, 122, 130, 140,
             150, 151, 152, 153, 160, 170, 180, 190, 200, 201, 202, 210, 220}
YEARS = range(2000, 2024)
POP_YEARS = (2000, 2005, 2010, 2015, 2020)


def _manifest() -> dict:
    return json.loads((SAMPLE / "manifest.json").read_text())


def _grid_rasters() -> list[Path]:
    """Every raster that must sit on the common SO1 grid (all GeoTIFFs)."""
    return sorted(SAMPLE.rglob("*.tif"))


def _read(path: Path, **kw) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1, **kw)


def _pixel_mask(path_gpkg: Path, like: Path) -> np.ndarray:
    import geopandas as gpd
    from rasterio.features import geometry_mask

    gdf = gpd.read_file(path_gpkg)
    with rasterio.open(like) as src:
        return geometry_mask(list(gdf.geometry), (src.height, src.width), src.transform, invert=True)


# ------------------------------------------------------------------------------------------ grid and rasters
def test_sample_data_all_rasters_share_one_grid_and_are_tiled_deflate():
    paths = _grid_rasters()
    assert len(paths) >= 24 + 24 + 3 + 15
    with rasterio.open(paths[0]) as ref:
        crs, transform, shape = ref.crs, ref.transform, (ref.height, ref.width)
    assert crs.to_epsg() == 4326
    assert transform.a == pytest.approx(1 / 120) and transform.e == pytest.approx(-1 / 120)
    assert 200 <= shape[0] <= 400 and 200 <= shape[1] <= 400
    for p in paths:
        with rasterio.open(p) as src:
            assert (src.crs, src.transform, (src.height, src.width)) == (crs, transform, shape), p.name
            assert src.nodata is not None, p.name
            assert src.compression is not None and src.compression.name.lower() == "deflate", p.name
            assert src.profile.get("tiled"), p.name
            assert src.dtypes[0] in ("uint8", "uint16", "float32"), p.name
    left, bottom, right, top = rasterio.transform.array_bounds(shape[0], shape[1], transform)
    assert 10.0 <= left and right <= 13.0 and 44.0 <= bottom and top <= 46.5


def test_sample_data_land_cover_codes_are_esa_cci_and_years_complete():
    for y in YEARS:
        p = SAMPLE / "land_cover" / f"esa_cci_lc_{y}.tif"
        with rasterio.open(p) as src:
            assert src.dtypes[0] == "uint8" and src.nodata == 0
            codes = set(np.unique(src.read(1)).tolist())
        assert codes <= ESA_CODES | {0}, (y, codes - ESA_CODES)
        assert len(codes) >= 10


def test_sample_data_land_cover_changes_in_every_period():
    lc = {y: _read(SAMPLE / "land_cover" / f"esa_cci_lc_{y}.tif") for y in (2000, 2015, 2016, 2019, 2023)}
    for a, b in ((2000, 2015), (2016, 2019), (2016, 2023)):
        changed = (lc[a] != lc[b]).sum()
        assert 50 < changed < 0.1 * lc[a].size, (a, b, changed)


def test_sample_data_lake_is_water_in_every_map():
    ref = SAMPLE / "land_cover" / "esa_cci_lc_2000.tif"
    lake = _pixel_mask(SAMPLE / "vectors" / "lake.gpkg", ref)
    assert lake.sum() > 50
    for y in YEARS:
        assert (_read(SAMPLE / "land_cover" / f"esa_cci_lc_{y}.tif")[lake] == 210).all(), y
    assert (_read(SAMPLE / "land_cover" / "national_lc_2019.tif")[lake] == 71).all()
    for s in ("total", "female", "male"):
        assert (_read(SAMPLE / "population" / f"population_{s}_2020.tif")[lake] == 0).all()


def test_sample_data_national_legend_nests_and_matches_overlay():
    overlay = yaml.safe_load((SAMPLE / "overlay_arvelia.yaml").read_text())
    legend = overlay["legends"][0]
    codes = {c["code"] for c in legend["classes"]}
    nested = [c for g in overlay["nestings"][0]["groups"] for c in g["children"]]
    assert sorted(nested) == sorted(codes)  # every national code in exactly one UNCCD class
    assert {g["parent"] for g in overlay["nestings"][0]["groups"]} == set(range(1, 8))
    values = set(np.unique(_read(SAMPLE / "land_cover" / "national_lc_2019.tif")).tolist())
    assert values <= codes | {0}


def test_sample_data_ndvi_lpd_soc_ranges():
    for y in YEARS:
        with rasterio.open(SAMPLE / "productivity" / f"ndvi_{y}.tif") as src:
            assert src.dtypes[0] == "float32"
            v = src.read(1, masked=True)
        assert -0.2 <= v.min() and v.max() <= 0.95 and 0.4 < v.mean() < 0.7
    for name in ("baseline_2000_2015", "report_1_2004_2019", "report_2_2008_2023"):
        lpd = _read(SAMPLE / "productivity" / f"lpd_{name}.tif")
        counts = np.bincount(lpd.ravel(), minlength=6)
        assert len(counts) == 6 and all(counts[1:] > 100), (name, counts)  # every class present, nodata 0
    soc = _read(SAMPLE / "soc" / "soc_reference_2000.tif", masked=True)
    assert 5 <= soc.min() and soc.max() <= 250
    zones = set(np.unique(_read(SAMPLE / "soc" / "ipcc_climate_zones.tif")).tolist())
    assert zones <= set(range(0, 13))
    dvi = _read(SAMPLE / "vulnerability" / "dvi_2018.tif", masked=True)
    assert 0 <= dvi.min() and dvi.max() <= 1


def test_sample_data_productivity_declines_where_lpd_says_declining():
    """An independent check of coherence: LPD class 1 pixels lose NDVI over their window, class 5 gain."""
    ndvi = {y: _read(SAMPLE / "productivity" / f"ndvi_{y}.tif", masked=True) for y in (2008, 2009, 2010, 2021, 2022, 2023)}
    early = (ndvi[2008] + ndvi[2009] + ndvi[2010]) / 3
    late = (ndvi[2021] + ndvi[2022] + ndvi[2023]) / 3
    lpd = _read(SAMPLE / "productivity" / "lpd_report_2_2008_2023.tif")
    assert (late - early)[lpd == 1].mean() < -0.03
    assert (late - early)[lpd == 5].mean() > 0.02


# ------------------------------------------------------------------------------------------ population
def test_sample_data_population_sexes_add_up_and_totals_are_realistic():
    inside = _pixel_mask(SAMPLE / "vectors" / "boundary.gpkg", SAMPLE / "population" / "population_total_2000.tif")
    totals = []
    for y in POP_YEARS:
        t, f, m = (_read(SAMPLE / "population" / f"population_{s}_{y}.tif") for s in ("total", "female", "male"))
        assert t.dtype == np.float32 and (t >= 0).all()
        np.testing.assert_array_equal(f + m, t)
        totals.append(float(t[inside].sum(dtype="float64")))
        assert 0.49 < f[inside].sum() / t[inside].sum() < 0.53
    assert all(1e6 < x < 1e7 for x in totals) and totals == sorted(totals)
    table = pd.read_csv(SAMPLE / "tables" / "population_national.csv")
    tot = table[table.sex == "total"].set_index("year")["population"]
    assert list(tot.index) == list(YEARS)
    for y, x in zip(POP_YEARS, totals):
        assert tot[y] == pytest.approx(x, rel=1e-6)
    by_year = table.pivot(index="year", columns="sex", values="population")
    assert (by_year["female"] + by_year["male"] == by_year["total"]).all()


# ------------------------------------------------------------------------------------------ vectors
def test_sample_data_admin_units_partition_the_country():
    import geopandas as gpd

    boundary = gpd.read_file(SAMPLE / "vectors" / "boundary.gpkg").to_crs("EPSG:6933")  # equal-area
    units = gpd.read_file(SAMPLE / "vectors" / "admin_units.gpkg").to_crs("EPSG:6933")
    assert 3 <= len(units) <= 6 and units["unit_id"].is_unique and units["name"].notna().all()
    country = boundary.union_all()
    assert units.geometry.is_valid.all()
    assert abs(units.area.sum() - country.area) < 1e-6 * country.area
    assert units.union_all().symmetric_difference(country).area < 1e-6 * country.area
    for i in range(len(units)):
        for j in range(i + 1, len(units)):
            assert units.geometry.iloc[i].intersection(units.geometry.iloc[j]).area < 1e-9 * country.area
    lake = gpd.read_file(SAMPLE / "vectors" / "lake.gpkg").to_crs("EPSG:6933").union_all()
    assert country.contains(lake)
    assert 5_000e6 < country.area < 60_000e6  # a small country: m2


def test_sample_data_recode_polygons_follow_d16():
    import geopandas as gpd

    rec = gpd.read_file(SAMPLE / "vectors" / "recode_polygons.gpkg")
    assert {"id", "periods_affected", "recode_deg_to", "recode_stable_to", "recode_imp_to", "basis"} <= set(rec.columns)
    allowed = {"recode_deg_to": {-32768, 0, 1}, "recode_stable_to": {-32768, -1, 1}, "recode_imp_to": {-32768, -1, 0}}
    for _, row in rec.iterrows():
        assert set(row["periods_affected"].split(",")) <= {"baseline", "report_1", "report_2"}
        given = {k: row[k] for k in allowed if pd.notna(row[k])}
        assert given, row["id"]
        for k, v in given.items():
            assert int(v) in allowed[k], (row["id"], k, v)
    boundary = gpd.read_file(SAMPLE / "vectors" / "boundary.gpkg").union_all()
    assert all(boundary.buffer(1e-9).contains(g) for g in rec.geometry)


# ------------------------------------------------------------------------------------------ SO3 inputs
def test_sample_data_precipitation_months_zeros_and_crs():
    import rioxarray  # noqa: F401  (registers .rio)
    import xarray as xr

    with xr.open_dataset(SAMPLE / "climate" / "precip_monthly.nc", decode_coords="all") as ds:
        p = ds["precip"].load()
        assert p.attrs["units"] == "mm/month"
        assert p.sizes["time"] == 516
        t = pd.DatetimeIndex(p["time"].values)
        assert (t[0].year, t[0].month, t[-1].year, t[-1].month) == (1981, 1, 2023, 12)
        assert (t.to_period("M") == pd.period_range("1981-01", "2023-12", freq="M")).all()
        assert p.rio.crs.to_epsg() == 4326
        # a grid fine enough for a spatial pattern inside the country (about 200 x 150 km), covering the rasters
        assert abs(p.rio.resolution()[0]) <= 0.125 and abs(p.rio.resolution()[1]) <= 0.125
        left, bottom, right, top = p.rio.bounds()
        assert left <= 10.3 and right >= 12.7 and bottom <= 44.4 and top >= 46.2
        assert bool((p == 0).any()) and float(p.min()) == 0.0 and not bool(p.isnull().any())
        totals = p.groupby("time.year").sum()
    annual = totals.mean(["lat", "lon"]).to_series()
    assert 600 < annual.mean() < 1500
    # the dry years (README): at its drought core each is the driest year of the series; over the whole
    # rectangle most of them are among the driest, though each is dry in part of the country only
    cores = _load_script().DROUGHT_CORES
    for year, (lon, lat, _, _) in cores.items():
        at_core = totals.sel(lon=lon, lat=lat, method="nearest").to_series()
        assert at_core.idxmin() == year, (year, at_core.sort_values().index[:3].tolist())
    assert len(set(cores) & set(annual.sort_values().index[:10])) >= 3


def test_sample_data_pet_matches_precipitation_grid_and_is_seasonal():
    """PET (for the SPEI) on the precipitation grid and months; summer above winter; a plausible annual total;
    the dry years are the years of the largest water deficit (precipitation minus PET)."""
    import rioxarray  # noqa: F401  (registers .rio)
    import xarray as xr

    with xr.open_dataset(SAMPLE / "climate" / "pet_monthly.nc", decode_coords="all") as ds, \
            xr.open_dataset(SAMPLE / "climate" / "precip_monthly.nc", decode_coords="all") as pr:
        pet, precip = ds["pet"].load(), pr["precip"].load()
    assert pet.attrs["units"] == "mm/month" and pet.dims == precip.dims and pet.shape == precip.shape
    for c in ("time", "lat", "lon"):
        np.testing.assert_array_equal(pet[c].values, precip[c].values)
    assert pet.rio.crs.to_epsg() == 4326 and pet.rio.transform() == precip.rio.transform()
    assert float(pet.min()) > 0 and not bool(pet.isnull().any())
    monthly = pet.groupby("time.month").mean(...).to_series()
    assert monthly[7] > 8 * monthly[1] and monthly.idxmax() in (6, 7, 8)
    annual = pet.groupby("time.year").sum().mean(["lat", "lon"]).to_series()
    assert 500 < annual.mean() < 1200
    deficit = (precip.groupby("time.year").sum() - pet.groupby("time.year").sum()).mean(["lat", "lon"]).to_series()
    assert {2003, 2012, 2022} <= set(deficit.sort_values().index[:5])


def _land_in_drought_by_unit() -> pd.DataFrame:
    """Percent of each admin unit and of the country in drought (December SPI-12 <= 0, D6), per year 2000-2023.

    The SPI comes from the public function with the specs' SO3-1 arguments; each pixel of the common 1/120 degree
    grid whose centre is inside a unit takes the drought status of the climate cell it falls in (nearest), weighted
    by cos(latitude) (pixel area).  Water is counted as land here (the lake is < 1 % of the country)."""
    import geopandas as gpd
    import xarray as xr
    from rasterio.features import rasterize

    import indicators
    from indicators.so3.hazard import annual_spi

    fw = indicators.load_framework()
    args = fw.binding_arguments("SO3-1.spi")
    with xr.open_dataset(SAMPLE / "climate" / "precip_monthly.nc") as ds:
        precip = ds["precip"].load()
    spi = annual_spi(indicators.spi(precip, **args, units="mm/month"), month=args["month"]).sel(year=slice(2000, 2023))
    ref = SAMPLE / "land_cover" / "esa_cci_lc_2000.tif"
    units = gpd.read_file(SAMPLE / "vectors" / "admin_units.gpkg")
    with rasterio.open(ref) as src:
        label = rasterize([(g, i + 1) for i, g in enumerate(units.geometry)], out_shape=(src.height, src.width),
                          transform=src.transform, fill=0, dtype="int32")
        rows, cols = np.indices((src.height, src.width))
        xs, ys = rasterio.transform.xy(src.transform, rows.ravel(), cols.ravel())
    lon, lat = np.asarray(xs).reshape(label.shape), np.asarray(ys).reshape(label.shape)
    ix = np.abs(lon[..., None] - precip["lon"].values).argmin(-1)
    iy = np.abs(lat[..., None] - precip["lat"].values).argmin(-1)
    weight = np.cos(np.radians(lat))
    rows = []
    for year in spi["year"].values:
        dry = spi.sel(year=year).transpose("lat", "lon").values[iy, ix] <= 0
        row = {"year": int(year), "country": 100 * weight[(label > 0) & dry].sum() / weight[label > 0].sum()}
        for i, uid in enumerate(units["unit_id"], start=1):
            row[uid] = 100 * weight[(label == i) & dry].sum() / weight[label == i].sum()
        rows.append(row)
    return pd.DataFrame(rows).set_index("year")


def test_sample_data_drought_has_a_spatial_pattern():
    """Issue 12 item 9: drought covers part of the country in many years, dry years included, and differs between
    admin units (the climate grid and the drought cores of make_sample_data.py), so the SO3 maps show a pattern."""
    share = _land_in_drought_by_unit()
    partial = (share["country"] > 5) & (share["country"] < 95)
    assert partial.sum() >= 12, share["country"].round(1).to_dict()
    dry_years = list(_load_script().DROUGHT_CORES)
    assert partial[dry_years].sum() >= 4, share.loc[dry_years, "country"].round(1).to_dict()
    by_unit = share.drop(columns="country")
    # a gradient across units: in several years one unit is almost free of drought while another is almost all in it
    contrast = (by_unit.min(axis=1) < 10) & (by_unit.max(axis=1) > 90)
    assert contrast.sum() >= 2, by_unit.round(0)
    # and every unit has years in drought and years without most of it
    assert ((by_unit > 50).sum() >= 5).all() and ((by_unit < 50).sum() >= 5).all()


def test_sample_data_dvi_factor_tables():
    from indicators.units import parse_unit

    nat = pd.read_csv(SAMPLE / "tables" / "dvi_factors_national.csv")
    units = pd.read_csv(SAMPLE / "tables" / "dvi_factors_units.csv")
    assert list(nat.columns) == ["year", "factor", "value", "unit", "sex"]
    assert list(units.columns) == ["unit_id", "year", "factor", "value", "unit", "sex"]
    assert nat["factor"].nunique() == 13
    # the ids and units of the spec factor set (so the demo's SO3-3 reads the tables as they are)
    import indicators

    spec = {f.id: f.unit for f in indicators.load_framework().factor_set("dvi_recommended").factors}
    assert set(nat["factor"]) == set(spec) and set(units["factor"]) == set(spec)
    from indicators.units import check_dimension

    for fid, unit in nat.groupby("factor")["unit"].first().items():
        check_dimension(unit, spec[fid], where=f"dvi factor {fid}")
    assert set(nat["year"]) == set(YEARS) and set(nat["sex"]) == {"total", "female", "male"}
    assert not nat.duplicated(["year", "factor", "sex"]).any()
    for u in nat["unit"].unique():
        parse_unit(u)
    pct = nat[nat.unit == "percent"]["value"]
    assert pct.between(0, 100).all()
    import geopandas as gpd

    ids = set(gpd.read_file(SAMPLE / "vectors" / "admin_units.gpkg")["unit_id"])
    assert set(units["unit_id"]) == ids
    assert len(units) == len(ids) * len(nat)


# ------------------------------------------------------------------------------------------ config, size, script
def _years(value) -> list[int]:
    """Years written as 2000, "2000-2023" or a list of those (the demo config's forms)."""
    if isinstance(value, list):
        return [y for v in value for y in _years(v)]
    text = str(value)
    if "-" in text:
        a, b = (int(x) for x in text.split("-"))
        return list(range(a, b + 1))
    return [int(text)]


def test_sample_data_demo_config_paths_exist():
    cfg = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text())
    assert cfg["country"]["name"] == "Arvelia" and str(cfg["edition"]) == "2026"
    paths = [cfg["country"]["boundary"], cfg["country"]["admin_units"]["path"], cfg["overlay"]]
    for spec in cfg["inputs"].values():
        p = spec["path"]
        if isinstance(p, dict):
            paths += list(p.values())
        elif "{year}" in p:
            paths += [p.replace("{year}", str(y)) for y in _years(spec["years"])]
        else:
            paths.append(p)
    missing = [p for p in paths if not (SAMPLE / p).is_file()]
    assert not missing


def test_sample_data_total_size_under_5_mb():
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < 5_000_000
    assert _manifest()["total_bytes"] < 4_000_000  # this script's share


def test_sample_data_manifest_matches_shipped_files():
    for rel, meta in _manifest()["files"].items():
        data = (SAMPLE / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], f"{rel} differs from manifest.json: re-run the script"


def _load_script():
    spec = importlib.util.spec_from_file_location("make_sample_data_under_test", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _same_content(a: Path, b: Path) -> bool:
    """Decoded equality, for when library versions differ from the manifest's (compressors may change bytes)."""
    if a.suffix == ".tif":
        with rasterio.open(a) as x, rasterio.open(b) as y:
            return (x.profile == y.profile and x.tags() == y.tags()
                    and np.array_equal(x.read(), y.read(), equal_nan=True))
    if a.suffix == ".gpkg":
        import geopandas as gpd

        x, y = gpd.read_file(a), gpd.read_file(b)
        return x.drop(columns="geometry").equals(y.drop(columns="geometry")) and x.geometry.geom_equals_exact(
            y.geometry, 1e-12).all()
    if a.suffix == ".nc":
        import xarray as xr

        with xr.open_dataset(a) as x, xr.open_dataset(b) as y:
            return x.identical(y)
    return a.read_bytes() == b.read_bytes()


def test_sample_data_script_regenerates_the_shipped_files(tmp_path):
    out = tmp_path / "regen"
    proc = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    shipped = _manifest()
    regen = json.loads((out / "manifest.json").read_text())
    assert set(regen["files"]) == set(shipped["files"])
    if regen["versions"] == shipped["versions"]:
        # same libraries: byte for byte
        diff = [k for k in shipped["files"] if regen["files"][k]["sha256"] != shipped["files"][k]["sha256"]]
        assert not diff, f"not byte-identical: {diff}"
    else:
        diff = [k for k in shipped["files"] if not _same_content(SAMPLE / k, out / k)]
        assert not diff, f"content differs: {diff}"


def test_sample_data_script_does_not_use_the_package():
    """The sample data must be an independent input: the generator never imports `indicators`."""
    text = SCRIPT.read_text()
    assert "import indicators" not in text and "from indicators" not in text
    mod = _load_script()
    assert mod.WIDTH * mod.HEIGHT < 120_000

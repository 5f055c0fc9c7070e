"""The SO3 part of `indicators run` honours every SO3 choice of the specs (D3, D5, D9), or refuses it before computing.

A tiny country on an equal-area grid (EPSG:6933, 1 km land-cover cells of exactly 1 km², D4) with monthly
precipitation and PET on a 2 km grid, 1981-2023.  Expected areas are counted by hand from the cells drawn here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from indicators.config import load_config
from indicators.errors import InputError
from indicators.engine import execute, prepare
from indicators.so3.run_common import so3_land_year
from indicators.so3.run_hazard_checks import SPI_SUPPORTED

CELL = 1000.0  # m: land-cover cells of 1 km² on EPSG:6933
NY, NX = 8, 10
COARSE = 2  # precipitation cells are 2 x 2 land-cover cells
ESA_CROP, ESA_WATER = 10, 210
WATER_2000 = (slice(0, 2), slice(0, 2))  # 4 cells of water in every year
NEW_WATER_2016 = (slice(5, 8), slice(6, 10))  # 12 more cells of water from 2016 (a reservoir)
MONTHS = pd.date_range("1981-01-01", "2023-12-01", freq="MS")


def _write_tif(path: Path, data: np.ndarray, *, nodata, res: float = CELL) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0],
                       dtype=data.dtype.name, crs="EPSG:6933", transform=from_origin(0.0, NY * CELL, res, res),
                       nodata=nodata) as dst:
        dst.write(data)
    return path


def _write_nc(path: Path, name: str, values: np.ndarray, times, *, units: str, res: float = COARSE * CELL) -> Path:
    """A CF netCDF (time, y, x) on EPSG:6933 with a grid mapping that both rasterio and rioxarray read."""
    import xarray as xr
    from pyproj import CRS

    ny, nx = values.shape[1:]
    wkt = CRS.from_epsg(6933).to_wkt()
    ds = xr.Dataset(
        {name: (("time", "y", "x"), values.astype("float32"), {"units": units, "grid_mapping": "spatial_ref"}),
         "spatial_ref": ((), np.int32(0), {"crs_wkt": wkt, "spatial_ref": wkt, "GeoTransform": f"0.0 {res} 0.0 {NY * CELL} 0.0 {-res}"})},
        coords={"time": ("time", pd.DatetimeIndex(times)), "y": ("y", NY * CELL - (np.arange(ny) + 0.5) * res),
                "x": ("x", (np.arange(nx) + 0.5) * res)},
    )
    ds.to_netcdf(path, engine="netcdf4", encoding={name: {"_FillValue": np.float32(-9999.0)}})
    return path


@pytest.fixture(scope="module")
def country(tmp_path_factory) -> Path:
    import geopandas as gpd
    from shapely.geometry import box

    d = tmp_path_factory.mktemp("so3_options")
    gpd.GeoDataFrame({"name": ["Tinyland"]}, geometry=[box(0, 0, NX * CELL, NY * CELL)], crs="EPSG:6933").to_file(
        d / "boundary.gpkg", driver="GPKG")
    lc = np.full((NY, NX), ESA_CROP, dtype="uint8")
    lc[WATER_2000] = ESA_WATER
    _write_tif(d / "lc_2000.tif", lc, nodata=0)
    lc[NEW_WATER_2016] = ESA_WATER
    _write_tif(d / "lc_2016.tif", lc, nodata=0)
    rng = np.random.default_rng(7)
    shape = (len(MONTHS), NY // COARSE, NX // COARSE)
    season = np.array([60, 55, 60, 75, 80, 60, 40, 50, 70, 95, 90, 70], dtype=float)[MONTHS.month - 1]
    dry = np.isin(MONTHS.year, [2003, 2012, 2022])[:, None, None]
    precip = season[:, None, None] * rng.gamma(4.0, 0.25, shape) * np.where(dry, 0.55, 1.0)
    _write_nc(d / "precip.nc", "precip", np.round(precip, 1), MONTHS, units="mm/month")
    pet_season = np.array([10, 18, 38, 62, 95, 120, 138, 118, 80, 44, 19, 9], dtype=float)[MONTHS.month - 1]
    pet = pet_season[:, None, None] * rng.normal(1.0, 0.05, shape) * np.where(dry, 1.15, 1.0)
    _write_nc(d / "pet.nc", "pet", np.round(pet, 1), MONTHS, units="mm/month")
    return d


def _config(d: Path, name: str, *, inputs: dict, overrides: dict | None = None, indicators=("SO3-1",)) -> Path:
    cfg = {"country": {"name": "Tinyland", "boundary": "boundary.gpkg"}, "edition": "2026",
           "indicators": list(indicators),
           "inputs": {"land_cover": {"path": "lc_{year}.tif", "years": [2000, 2016]}, **inputs}}
    if overrides:
        (d / f"{name}.overlay.yaml").write_text(yaml.safe_dump({
            "spec_version": 1, "kind": "overlay",
            "overlay": {"id": name.replace("-", "_"), "country": "ABC", "name": "T", "description": "test", "source": "test"},
            "parameter_overrides": overrides}, sort_keys=False))
        cfg["overlay"] = f"{name}.overlay.yaml"
    path = d / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


PRECIP = {"precipitation": {"path": "precip.nc", "variable": "precip", "units": "mm/month", "years": "1981-2023"}}
PET = {"pet": {"path": "pet.nc", "variable": "pet", "units": "mm/month", "years": "1981-2023"}}


def _run(path: Path):
    return execute(prepare(load_config(path)), quiet=True)


def _t1(result) -> pd.DataFrame:
    return result.tables["SO3-1.T1"].frame.reset_index(drop=True)


def _d5(result) -> str:
    return next(c.text for c in result.choices if c.indicator == "SO3-1" and c.decision == "D5")


@pytest.fixture(scope="module")
def computed(country):
    """SO3-1 from precipitation with the default specs (SPI), pet given too: the SPEI extension is computed."""
    return _run(_config(country, "computed", inputs={**PRECIP, **PET}))


# --------------------------------------------------------------------------- refusals before computing
REFUSED = [(index, field, value) for index, fields in SPI_SUPPORTED.items() for field, ok in fields.items()
           for value in {"distribution": ("gamma", "pearson3"), "fit": ("thom", "mle", "lmoments"),
                         "zero_handling": ("mixed", "center_of_mass"),
                         "inverse_normal": ("exact", "abramowitz_stegun")}[field] if value not in ok]


def test_every_unimplemented_value_of_the_spec_is_listed():
    # the values the spec schema allows (indicators.specs.parameter_model.SpiParams) that this version does not compute
    assert sorted(REFUSED) == sorted([
        ("spi", "distribution", "pearson3"), ("spi", "fit", "lmoments"),
        ("spei", "distribution", "pearson3"), ("spei", "fit", "mle"), ("spei", "fit", "lmoments"),
        ("spei", "zero_handling", "center_of_mass"), ("spei", "inverse_normal", "abramowitz_stegun")])


@pytest.mark.parametrize(("index", "field", "value"), REFUSED, ids=[f"{i}-{f}-{v}" for i, f, v in REFUSED])
def test_unimplemented_spi_choice_is_refused_before_computing(country, index, field, value):
    path = _config(country, f"refuse-{index}-{field}-{value}", inputs={**PRECIP, **PET},
                   overrides={"spi": {"index": index, field: value}})
    with pytest.raises(InputError) as exc:
        prepare(load_config(path))
    text = str(exc.value)
    supported = ", ".join(SPI_SUPPORTED[index][field])
    assert f"parameters.spi of specs/so3_drought.yaml (with the overlay refuse-{index}-{field}-{value}.overlay.yaml applied)" in text
    assert f"{field}: {value!r} is not implemented for the {index.upper()} in this version (supported: {supported})" in text
    assert f"set spi.{field}: {SPI_SUPPORTED[index][field][0]}" in text and "inputs.drought_index" in text


def test_run_check_lists_the_refusal(country, capsys):
    from indicators.cli import main

    path = _config(country, "check-cli", inputs=PRECIP, overrides={"spi": {"distribution": "pearson3"}})
    assert main(["run", str(path), "--check"]) == 2
    err = capsys.readouterr().err
    assert "distribution: 'pearson3' is not implemented for the SPI" in err and "supported: gamma" in err


def test_precomputed_index_refused_when_the_specs_do_not_allow_it(country):
    (country / "index_const.nc").exists() or _write_nc(country / "index_const.nc", "spi",
                                                        np.zeros((len(MONTHS), NY // COARSE, NX // COARSE)), MONTHS, units="1")
    path = _config(country, "not-allowed", inputs={**PRECIP, "drought_index": {
        "path": "index_const.nc", "variable": "spi", "units": "1", "years": "1981-2023"}},
        overrides={"spi": {"precomputed_allowed": False}})
    with pytest.raises(InputError) as exc:
        prepare(load_config(path))
    text = str(exc.value)
    assert "inputs.drought_index: a precomputed SPI is not accepted" in text
    assert "precomputed_allowed: false" in text and "give precipitation to compute the SPI" in text


def test_spei_without_pet_is_refused_naming_the_input(country):
    path = _config(country, "spei-no-pet", inputs=PRECIP, overrides={"spi": {"index": "spei"}})
    with pytest.raises(InputError) as exc:
        prepare(load_config(path))
    text = str(exc.value)
    assert "inputs.pet: missing" in text and "index: spei" in text
    assert "add a monthly pet input" in text and "set spi.index: spi" in text


def test_pet_on_another_grid_is_refused(country):
    _write_nc(country / "pet_fine.nc", "pet", np.full((len(MONTHS), NY, NX), 50.0), MONTHS, units="mm/month", res=CELL)
    path = _config(country, "pet-grid", inputs={**PRECIP, "pet": {**PET["pet"], "path": "pet_fine.nc"}},
                   overrides={"spi": {"index": "spei"}})
    with pytest.raises(InputError, match="inputs.pet: not on the grid of inputs.precipitation"):
        prepare(load_config(path))


# --------------------------------------------------------------------------- precomputed SPI / SPEI
def test_precomputed_spi_gives_the_classes_of_the_computed_spi(country, computed):
    """SPI computed with the public API and written as inputs.drought_index, as a monthly netCDF and as one
    GeoTIFF band per year: the same SO3-1 tables as computing it in the run."""
    import indicators
    import xarray as xr

    precip = xr.open_dataset(country / "precip.nc", decode_coords="all")["precip"].load()
    values = indicators.spi(precip, 12, (1981, 2010), clip=3.09, min_nonzero=10, units="mm/month")
    _write_nc(country / "spi_monthly.nc", "spi", values.values, values["time"].values, units="1")
    december = values.sel(time=values["time"].dt.month == 12).sel(time=slice("2000", "2023"))
    assert december.sizes["time"] == 24
    _write_tif(country / "spi_years.tif", december.values.astype("float32"), nodata=-9999.0, res=COARSE * CELL)
    expected = _t1(computed)
    assert set(expected["kind"]) == {"class", "water", "nodata"} and expected["area_km2"].gt(0).any()
    for name, entry in (("monthly", {"path": "spi_monthly.nc", "variable": "spi", "units": "1", "years": "1981-2023"}),
                        ("per-year", {"path": "spi_years.tif", "units": "1", "years": "2000-2023"})):
        result = _run(_config(country, f"pre-{name}", inputs={"drought_index": entry}))
        pd.testing.assert_frame_equal(_t1(result), expected, check_exact=False, rtol=1e-12)
        assert _d5(result).startswith("Precomputed SPI (inputs.drought_index)")
        assert result.parameters["SO3-1"]["drought index"] == "precomputed SPI (inputs.drought_index)"


def test_precomputed_index_wins_over_precipitation_and_says_so(country):
    # an index of -2.5 everywhere: every land cell is in extreme drought every year, whatever the precipitation says
    _write_nc(country / "index_extreme.nc", "spi", np.full((len(MONTHS), NY // COARSE, NX // COARSE), -2.5), MONTHS,
              units="1")
    result = _run(_config(country, "both", inputs={**PRECIP, "drought_index": {
        "path": "index_extreme.nc", "variable": "spi", "units": "1", "years": "1981-2023"}}))
    t2 = result.tables["SO3-1.T2"].frame
    assert len(t2) == 24 and np.allclose(t2["percent_of_land"], 100.0)
    assert "inputs.precipitation is given too: the precomputed index is classified" in _d5(result)


def test_spei_from_precipitation_and_pet(country):
    """spi.index spei: the classes are those of the SPEI of indicators.so3.spei (written as a precomputed SPEI
    they give the same table), and the report says SPEI, not SPI."""
    import xarray as xr

    from indicators.so3.spei import spei

    spei_run = _run(_config(country, "spei", inputs={**PRECIP, **PET}, overrides={"spi": {"index": "spei"}}))
    assert _d5(spei_run).startswith("SPEI-12 of month 12: precipitation minus potential evapotranspiration")
    title = next(r.title for r in spei_run.rasters if r.name == "drought_class")
    assert "SPEI-12, December" in title and "SPI-" not in title
    assert spei_run.tables["SO3-1.T1"].notes == ["Drought classes of the SPEI-12, December."]
    precip = xr.open_dataset(country / "precip.nc", decode_coords="all")["precip"].load()
    pet = xr.open_dataset(country / "pet.nc", decode_coords="all")["pet"].load()
    values = spei(precip, pet, 12, (1981, 2010), month=12, clip=3.09, min_nonzero=10, units="mm/month", pet_units="mm/month")
    _write_tif(country / "spei_years.tif", values.sel(time=slice("2000", "2023")).values.astype("float32"),
               nodata=-9999.0, res=COARSE * CELL)
    pre = _run(_config(country, "spei-pre", inputs={"drought_index": {"path": "spei_years.tif", "units": "1",
                                                                       "years": "2000-2023"}},
                       overrides={"spi": {"index": "spei"}}))
    pd.testing.assert_frame_equal(_t1(pre), _t1(spei_run), check_exact=False, rtol=1e-12)
    assert _d5(pre).startswith("Precomputed SPEI")


def test_spei_extension_beside_the_spi(country, computed):
    """Index spi with pet: the classes are the SPI's; the December SPEI-12 is a map and a table of its mean
    over land.  Every land-cover cell takes its 2 km SPEI cell's value and weighs 1 km²: by hand, the mean of
    the SPEI cells weighted by their land cells (4 each, fewer where the water is)."""
    import xarray as xr

    from indicators.so3.spei import spei

    assert _d5(computed).startswith("SPI-12")
    table = computed.tables["SO3-1.spei"].frame
    raster = next(r for r in computed.rasters if r.name == "spei")
    assert raster.title == "SPEI-12, December (extension)"
    precip = xr.open_dataset(country / "precip.nc", decode_coords="all")["precip"].load()
    pet = xr.open_dataset(country / "pet.nc", decode_coords="all")["pet"].load()
    values = spei(precip, pet, 12, (1981, 2010), month=12, clip=3.09, min_nonzero=10, units="mm/month", pet_units="mm/month")
    land = np.ones((NY, NX))
    land[WATER_2000] = 0  # water_year baseline_initial (the default): the water of 2000 in every year
    cells = land.reshape(NY // COARSE, COARSE, NX // COARSE, COARSE).sum(axis=(1, 3))  # land km² per 2 km cell
    for year in (2003, 2012, 2020):
        v = values.sel(time=f"{year}-12-01").values
        expected = float((v * cells).sum() / cells.sum())
        row = table[table["year"] == year].iloc[0]
        assert row["spei_mean"] == pytest.approx(expected, rel=1e-5)
        assert row["land_area_km2"] == pytest.approx(NY * NX - 4, rel=1e-6)
        np.testing.assert_allclose(raster.data.sel(year=year).values, v, rtol=1e-6)


# --------------------------------------------------------------------------- D3 water_year each_period
def test_land_year_rule_of_each_period():
    import indicators

    fw = indicators.load_framework(edition="2026")
    assert [so3_land_year(fw, y) for y in (1999, 2000, 2015, 2016, 2019, 2023)] == [2000, 2000, 2000, 2016, 2016, 2016]


def test_water_year_each_period_changes_the_land_denominator(country, computed):
    """By hand (cells of 1 km²): 80 cells inside; water 4 km² in 2000-2015 and 4 + 12 = 16 km² from 2016
    (the reporting periods' first land-cover year) with each_period; 4 km² in every year by default."""
    result = _run(_config(country, "each-period", inputs=PRECIP, overrides={"land_area": {"water_year": "each_period"}}))
    for run, water_2016 in ((computed, 4.0), (result, 16.0)):
        t1 = _t1(run)
        for year, water in ((2000, 4.0), (2015, 4.0), (2016, water_2016), (2023, water_2016)):
            rows = t1[t1["year"] == year]
            assert rows.loc[rows["kind"] == "water", "area_km2"].sum() == pytest.approx(water, rel=1e-6)
            land = rows.loc[rows["kind"] == "class", "area_km2"].sum()
            assert land == pytest.approx(NY * NX - water, rel=1e-6)
            assert rows.loc[rows["kind"] == "class", "percent_of_land"].sum() == pytest.approx(100.0, rel=1e-9)
    texts = [c.text for c in result.choices if c.indicator == "SO3-1" and c.decision == "D3"]
    assert any("year 2000-2015: land cover 2000; year 2016-2023: land cover 2016" in t for t in texts)
    assert result.parameters["SO3-1"]["land_area.water_year each_period (year)"]["2016"] == 2016


# --------------------------------------------------------------------------- D9: a factor without range
def test_gridded_factor_without_range_warns_and_is_left_out():
    import rioxarray  # noqa: F401
    import xarray as xr

    from indicators.so3.vulnerability import dvi_from_grids

    def grid(values):
        return xr.DataArray(np.asarray(values, dtype="float64"), dims=("y", "x"),
                            coords={"y": [1500.0, 500.0], "x": [500.0, 1500.0]}).rio.write_crs("EPSG:6933")

    factors = [{"id": "literacy_rate", "component": "social", "direction": -1},
               {"id": "rural_population", "component": "social", "direction": 1},
               {"id": "poverty", "component": "economic", "direction": 1},
               {"id": "drinking_water", "component": "infrastructural", "direction": -1}]
    grids = {"literacy_rate": grid([[50, 60], [70, 90]]), "rural_population": grid([[30, 30], [30, 30]]),
             "poverty": grid([[10, 20], [30, 50]]), "drinking_water": grid([[100, 80], [60, 20]])}
    for lazy in (False, True):
        use = {k: v.chunk({"x": 1}) for k, v in grids.items()} if lazy else grids
        with pytest.warns(UserWarning, match=r"rural_population have no range .* carry no information and are left out "
                                             r"of their component"):
            ds = dvi_from_grids(use, factor_set=factors)
        assert ds.attrs["constant_factors"] == ["rural_population"]
        # social = literacy alone, 1 - (x - 50)/40; economic (x - 10)/40; infrastructural 1 - (x - 20)/80
        social = np.array([[1.0, 0.75], [0.5, 0.0]])
        economic = np.array([[0.0, 0.25], [0.5, 1.0]])
        infra = np.array([[0.0, 0.25], [0.5, 1.0]])
        np.testing.assert_allclose(ds["social"].values, social, rtol=1e-6)
        np.testing.assert_allclose(ds["dvi"].values, (social + economic + infra) / 3, rtol=1e-6)


def test_factor_without_range_is_recorded_in_the_run_report(country):
    import indicators

    fw = indicators.load_framework()
    ids = [(f.id, f.unit) for f in fw.factor_set(fw.parameters("dvi").factor_set).factors]
    lines = ["year,factor,value,unit,sex"]
    for year in (2000, 2001, 2002):
        for k, (fid, unit) in enumerate(ids):
            value = 42 if fid == "rural_population" else 10 + k + year - 2000
            if fid == "government_effectiveness":  # an estimate within -2.5..2.5 (the factor set's range)
                value = 0.1 * (year - 2000)
            lines.append(f"{year},{fid},{value},{unit},total")
    (country / "factors.csv").write_text("\n".join(lines) + "\n")
    path = _config(country, "dvi", inputs={"dvi_factors_national": {"path": "factors.csv", "years": "2000-2002"}},
                   indicators=("SO3-3",))
    with pytest.warns(UserWarning, match="rural_population"):
        result = _run(path)
    assert result.parameters["SO3-3"]["factors left out (no range)"] == ["rural_population"]
    assert any("rural_population" in n and "left out" in n for n in result.tables["SO3-3.T1"].notes)


def test_water_year_each_period_in_so3_2_water_population(country):
    """SO3-2 with water_population zero: people on water count 0.  One person per 1 km² cell (80 cells), water
    of each year's land cover: 80 - 4 = 76 people in 2000-2015 and 80 - 16 = 64 from 2016, by hand; epochs by
    their first year (2016-2019 and 2020-2023: 64)."""
    for year in (2000, 2020):
        _write_tif(country / f"pop_{year}.tif", np.ones((NY, NX), dtype="float32"), nodata=-9999.0)
    path = _config(country, "so32-each", inputs={**PRECIP, "population_total": {
        "path": "pop_{year}.tif", "units": "person", "years": [2000, 2020]}}, indicators=("SO3-1", "SO3-2"),
        overrides={"land_area": {"water_year": "each_period"}, "drought_exposure": {"water_population": "zero"}})
    result = _run(path)
    t1 = result.tables["SO3-2.T1"].frame
    total = t1[t1["kind"] == "total_population"].set_index("year")["population"]
    assert total[2000] == pytest.approx(76.0) and total[2015] == pytest.approx(76.0)
    assert total[2016] == pytest.approx(64.0) and total[2023] == pytest.approx(64.0)
    ep = result.tables["SO3-2.epochs"].frame
    ep_total = ep[(ep["kind"] == "total_population") & (ep["group"] == "total")].set_index("epoch")["population"]
    assert ep_total["2012-2015"] == pytest.approx(76.0) and ep_total["2016-2019"] == pytest.approx(64.0)


# --------------------------------------------------------------------------- review fixes (session 2)
def test_class_dtype_and_nodata_of_the_trends_earth_profile(country):
    """encoding.class_dtype int16 / class_nodata -32768 (the trends_earth profile): the classes take them."""
    result = _run(_config(country, "int16", inputs=PRECIP, overrides={"encoding": {"class_dtype": "int16",
                                                                                   "class_nodata": -32768}}))
    raster = next(r.data for r in result.rasters if r.indicator == "SO3-1" and r.name == "drought_class")
    assert raster.dtype == np.int16 and raster.rio.nodata == -32768
    t1 = _t1(result)
    assert t1[t1["kind"] == "class"]["area_km2"].gt(0).any()


def test_uint8_classes_refuse_a_nodata_that_does_not_fit():
    import xarray as xr

    from indicators.so3.hazard import drought_hazard_classes

    spi = xr.DataArray(np.array([[-2.5, 0.5]]), dims=("y", "x"))
    kw = dict(breaks=[-2, -1.5, -1, 0], codes=[4, 3, 2, 1, 0], right_closed=True,
              meanings=["none", "mild", "moderate", "severe", "extreme"])
    with pytest.raises(InputError, match=r"\[-32768\] do not fit the class dtype uint8"):
        drought_hazard_classes(spi, nodata=-32768, **kw)
    out = drought_hazard_classes(spi, nodata=-32768, dtype="int16", **kw)
    assert out.dtype == np.int16 and out.values.tolist() == [[4, 0]]


@pytest.mark.parametrize("units", ["kg m-2 s-1", "mm", "mm/day", "m"])
def test_precipitation_in_any_water_units_passes_the_checks(country, units):
    """The monthly totals (mm/month) written in *units*: a depth as is scaled, a rate divided by the month's days."""
    import xarray as xr

    precip = xr.open_dataset(country / "precip.nc", decode_coords="all")["precip"].load()
    per_mm = {"kg m-2 s-1": 1 / 86400.0, "mm": 1.0, "mm/day": 1.0, "m": 1e-3}[units]
    days = precip["time"].dt.days_in_month.values[:, None, None] if units.endswith(("s-1", "/day")) else 1.0
    name = f"precip-{units.replace(' ', '').replace('/', '_')}.nc"
    _write_nc(country / name, "precip", precip.values * per_mm / days, MONTHS, units=units)
    path = _config(country, f"units-{units.replace(' ', '').replace('/', '_')}",
                   inputs={"precipitation": {**PRECIP["precipitation"], "path": name, "units": units}})
    prepare(load_config(path))  # no InputError


def test_precipitation_totals_declared_as_metres_are_not_plausible(country):
    """mm/month values declared as m: 1000 times the rain; the plausibility bound (10 000 mm/month) refuses them."""
    path = _config(country, "units-m-wrong", inputs={"precipitation": {**PRECIP["precipitation"], "units": "m"}})
    with pytest.raises(InputError, match=r"inputs.precipitation.*not plausible"):
        prepare(load_config(path))


def test_precipitation_in_other_units_is_refused(country):
    path = _config(country, "units-kelvin", inputs={"precipitation": {**PRECIP["precipitation"], "units": "K"}})
    with pytest.raises(InputError, match=r"inputs.precipitation: units 'K' \(\[temperature\]\).*set inputs.precipitation.units .*mm/month, mm, mm/day"):
        prepare(load_config(path))


def test_all_cells_denominator_counts_water(country, computed):
    """drought_classes.land_denominator all_cells (Trends.Earth): the 4 water cells of 2000 are classified and in
    the denominator, so the class areas add up to all 80 km² inside the boundary."""
    result = _run(_config(country, "all-cells", inputs=PRECIP, overrides={"drought_classes": {"land_denominator": "all_cells"}}))
    t1 = _t1(result)
    classes = t1[t1["kind"] == "class"].groupby("year")["area_km2"].sum()
    assert np.allclose(classes.values, NY * NX)  # 1 km² cells
    land = _t1(computed)
    assert np.allclose(land[land["kind"] == "class"].groupby("year")["area_km2"].sum().loc[2000], NY * NX - 4)
    assert any("all_cells" in c.text for c in result.choices if c.indicator == "SO3-1")


def test_official_land_area_is_the_denominator(country, computed):
    path = _config(country, "official", inputs=PRECIP)
    cfg = yaml.safe_load(path.read_text())
    cfg["country"]["land_area_km2"] = 100.0
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    result = _run(path)
    t2 = result.tables["SO3-1.T2"].frame
    np.testing.assert_allclose(t2["percent_of_land"], t2["area_km2"] / 100.0 * 100.0)
    t1 = _t1(result)
    official = t1[t1["kind"] == "official land area"]
    assert len(official) == 24 and np.allclose(official["area_km2"], 100.0)
    # the pixel areas are unchanged
    base = computed.tables["SO3-1.T2"].frame
    np.testing.assert_allclose(t2["area_km2"].values, base["area_km2"].values)


def test_global_dvi_normalisation_is_refused(country):
    table = country / "dvi_nat.csv"
    pd.DataFrame({"year": [2000, 2001], "factor": ["gdp_per_capita"] * 2, "value": [1.0, 2.0], "unit": ["USD"] * 2,
                  "sex": ["total"] * 2}).to_csv(table, index=False)
    path = _config(country, "dvi-global", inputs={"dvi_factors_national": {"path": "dvi_nat.csv"}},
                   overrides={"dvi": {"normalisation": "minmax_global"}}, indicators=("SO3-3",))
    with pytest.raises(InputError, match="dvi.normalisation: 'minmax_global' is not implemented"):
        prepare(load_config(path))


def test_dvi_component_without_range_is_an_error():
    from indicators import load_framework
    from indicators.so3.vulnerability import dvi_from_factors

    fw = load_framework()
    factor_set = [f.model_dump(mode="json") for f in fw.factor_set(fw.parameters("dvi").factor_set).factors]
    rows = [{"year": 2000, "factor": f["id"], "value": 1.0, "unit": f.get("unit"), "sex": "total"} for f in factor_set]
    with pytest.raises(InputError, match="has a single value over all units and years"):
        dvi_from_factors(pd.DataFrame(rows), factor_set=factor_set)


def test_an_spi_choice_in_the_run_configuration_is_named_there(country):
    # the refusal named the spec file alone when the unimplemented choice came from the configuration's parameters:
    path = _config(country, "refuse-in-config", inputs={**PRECIP, **PET})
    cfg = yaml.safe_load(path.read_text())
    cfg["parameters"] = {"spi": {"distribution": "pearson3"}}
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    with pytest.raises(InputError) as exc:
        prepare(load_config(path))
    assert "(with the run configuration's parameters.spi applied)" in str(exc.value)

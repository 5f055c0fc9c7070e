"""`indicators prepare` end to end through the CLI: synthetic regional files shaped like each default dataset
-> clipped, aligned country inputs and a run configuration that `indicators run --check` accepts and that runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml

from indicators.cli import main

from .conftest import ESA_CODES, write_esa_cci_netcdf, write_geotiff, write_monthly_netcdf

WEST, NORTH = 10.0, 47.0  # the "global" files: 10-14 E, 44-47 N
LC_YEARS = (2000, 2015, 2016, 2019, 2023)
BOX = (11.0, 45.0, 12.0, 46.0)  # the country: on the 1/120 degree grid of the population file


def write_regional_files(d: Path) -> dict[str, Path]:
    import geopandas as gpd
    from shapely.geometry import box

    rng = np.random.default_rng(5)
    files = {}
    nat = rng.choice(ESA_CODES, (3 * 360, 4 * 360)).astype("uint8")
    for i, y in enumerate(LC_YEARS):
        codes = np.where(rng.random(nat.shape) < 0.02 * i, rng.choice(ESA_CODES, nat.shape), nat).astype("uint8")
        files[f"lc{y}"] = write_esa_cci_netcdf(d / f"ESACCI-LC-L4-LCCS-Map-300m-P1Y-{y}-v2.0.7.nc", codes,
                                               west=WEST, north=NORTH, res=1 / 360, year=y)
    for p in ("baseline", "report_1", "report_2"):
        lpd = rng.integers(1, 6, (3 * 120, 4 * 120)).astype("uint8")
        lpd[::17, ::13] = 15  # JRC's second nodata code
        files[p] = write_geotiff(d / f"lpd_{p}.tif", lpd, nodata=0, west=WEST, north=NORTH, res=1 / 120)
    soc = rng.integers(20, 120, (3 * 480, 4 * 480)).astype("int16")
    files["soc"] = write_geotiff(d / "ocs_0-30cm_mean.tif", soc, nodata=-32768, west=WEST, north=NORTH, res=1 / 480)
    pop = (rng.random((3 * 120, 4 * 120)) * 100).astype("float32")
    files["pop"] = write_geotiff(d / "gpw_v4_population_count_rev11_2020_30_sec.tif", pop,
                                 nodata=-3.4028230607370965e38, west=WEST, north=NORTH, res=1 / 120)
    files["precip"] = write_monthly_netcdf(d / "chirps-v2.0.monthly.nc",
                                           (rng.gamma(2.0, 30.0, (43 * 12, 12, 16))).astype("float32"),
                                           first_year=1981, west=WEST, north=NORTH, res=0.25,
                                           lat_name="latitude", lon_name="longitude", fill=-9999.0)
    gpd.GeoDataFrame({"name": ["Testland"]}, geometry=[box(*BOX)], crs="EPSG:4326").to_file(d / "boundary.gpkg")
    mid = (BOX[0] + BOX[2]) / 2
    gpd.GeoDataFrame({"code": ["W", "E"], "name": ["West", "East"]},
                     geometry=[box(BOX[0], BOX[1], mid, BOX[3]), box(mid, BOX[1], BOX[2], BOX[3])],
                     crs="EPSG:4326").to_file(d / "admin.gpkg")
    return files


def argv(d: Path, files: dict[str, Path], out: Path, *, boundary: Path | None = None) -> list[str]:
    args = ["prepare", "--country", "Testland", "--edition", "2026", "-o", str(out),
            "--boundary", str(boundary or d / "boundary.gpkg"), "--admin", str(d / "admin.gpkg"),
            "--admin-id", "code", "--admin-name", "name",
            "--climate-factor", "0.8"]  # no climate-zone dataset is catalogued: a constant factor
    for y in LC_YEARS:
        args += ["--input", f"land_cover:{y}=esa_cci_lc_netcdf:{files[f'lc{y}']}"]
    for p in ("baseline", "report_1", "report_2"):
        args += ["--input", f"lpd:{p}=jrc_lpd:{files[p]}"]
    args += ["--input", f"soc_reference:2000=soilgrids_soc_0_30:{files['soc']}",
             "--input", f"population_total:2020=gpw_v4_count:{files['pop']}",
             "--input", f"precipitation=chirps_monthly:{files['precip']}"]
    return args


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    d = tmp_path_factory.mktemp("global")
    files = write_regional_files(d)
    out = tmp_path_factory.mktemp("prepared") / "country"  # beside the files' folder: never among them (D27)
    assert main(argv(d, files, out)) == 0
    return d, files, out


def read(path: Path):
    with rasterio.open(path) as src:
        return src.read(1), src.transform, src.nodata, src.bounds


def test_prepared_configuration_is_accepted_and_runs(prepared):
    d, _, out = prepared
    cfg = yaml.safe_load((out / "run-config.yaml").read_text())
    assert set(cfg["inputs"]) == {"land_cover", "lpd", "soc_reference", "population_total", "precipitation"}
    assert cfg["inputs"]["land_cover"]["years"] == list(LC_YEARS)
    assert cfg["inputs"]["precipitation"]["align"] == "nearest"
    assert main(["run", str(out / "run-config.yaml"), "--check"]) == 0
    res = d / "results"
    assert main(["run", str(out / "run-config.yaml"), "-o", str(res), "--quiet"]) == 0
    assert (res / "report.html").is_file()
    for code in ("SO1-1", "SO1-2", "SO1-3", "SO2-3", "SO3-1", "SO3-2"):  # computed from the prepared inputs
        assert any((res / code).glob("*.csv")), code


def test_classes_are_the_source_cells_of_the_window(prepared):
    import xarray as xr

    _, files, out = prepared
    lc, t, nodata, b = read(out / "land_cover_2015.tif")
    # the window: the boundary's box plus a margin of at most two cells, on the land cover's own 1/360 degree grid
    assert t.a == pytest.approx(1 / 360)
    margins = np.array([BOX[0] - b.left, BOX[1] - b.bottom, b.right - BOX[2], b.top - BOX[3]]) * 360
    assert (margins > 0.5).all() and (margins < 2.5).all(), margins
    with xr.open_dataset(files["lc2015"], mask_and_scale=False) as ds:
        src = ds["lccs_class"].values[0].view("uint8")
    r0, c0 = round((NORTH - b.top) * 360), round((b.left - WEST) * 360)
    assert (lc == src[r0:r0 + lc.shape[0], c0:c0 + lc.shape[1]]).all() and nodata == 0
    lpd, t2, lnod, _ = read(out / "lpd_baseline.tif")
    assert t2 == t and set(np.unique(lpd)) <= {0, 1, 2, 3, 4, 5}  # JRC 15 became the nodata; nearest keeps codes


def test_population_sum_is_preserved(prepared):
    _, files, out = prepared
    pop, t, nodata, b = read(out / "population_total_2020.tif")
    src, st, _, _ = read(files["pop"])
    # the country's box holds whole 1/120 degree source cells: its population is theirs, cell for cell
    r0, c0 = round((NORTH - BOX[3]) * 120), round((BOX[0] - WEST) * 120)
    expected = src[r0:r0 + 120, c0:c0 + 120].astype("float64").sum()
    rr, cc = round((b.top - BOX[3]) * 360), round((BOX[0] - b.left) * 360)
    got = pop[rr:rr + 360, cc:cc + 360].astype("float64").sum()
    assert got == pytest.approx(expected, rel=1e-5)


def test_soc_is_averaged_and_precipitation_clipped(prepared):
    import xarray as xr

    _, files, out = prepared
    soc, t, nodata, _ = read(out / "soc_reference_2000.tif")
    src, _, _, _ = read(files["soc"])
    assert nodata == -9999 and 20 <= soc[soc != nodata].min() and soc.max() < 120 and t.a == pytest.approx(1 / 360)
    with xr.open_dataset(out / "precipitation.nc") as ds:
        assert ds["precip"].attrs["units"] == "mm/month" and ds.sizes["time"] == 43 * 12
        assert ds.sizes["lat"] < 12 and ds.sizes["lon"] < 16  # a window of the 0.25 degree grid


def test_boundary_outside_the_data_is_refused(tmp_path, prepared, capsys):
    import geopandas as gpd
    from shapely.geometry import box

    d, files, _ = prepared
    (tmp_path / "elsewhere").mkdir()
    far = tmp_path / "elsewhere" / "far.gpkg"
    gpd.GeoDataFrame({"name": ["Elsewhere"]}, geometry=[box(30, 0, 31, 1)], crs="EPSG:4326").to_file(far)
    out = tmp_path / "out"
    assert main(argv(d, files, out, boundary=far)) == 2
    err = capsys.readouterr().err
    assert "does not overlap the data" in err and err.count("\n") == 1 and not out.exists()


def test_file_in_another_crs_is_refused(tmp_path, capsys):
    (tmp_path / "global").mkdir()
    f = write_geotiff(tmp_path / "global" / "lpd_3857.tif", np.ones((4, 4), "uint8"), nodata=0, west=1e6, north=5e6, res=1000,
                      crs="EPSG:3857")
    out = tmp_path / "out"
    code = main(["prepare", "--country", "X", "-o", str(out), "--input", f"lpd:baseline=jrc_lpd:{f}"])
    err = capsys.readouterr().err
    assert code == 2 and "is not the CRS EPSG:4326" in err and not out.exists()

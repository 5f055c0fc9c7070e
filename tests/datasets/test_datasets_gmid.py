"""GMID (the 2026 default drought data) as decision D29 assumes it is published: the reader's values by hand, a
prepared country run end to end, and the files it refuses (one line naming the file, exit 2, nothing written)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from indicators.cli import main
from indicators.datasets.drought_index import open_drought_index
from indicators.errors import InputError

from .conftest import ESA_CODES, write_esa_cci_netcdf, write_gmid_netcdf

WEST, NORTH = 10.0, 47.0  # the "global" files: 10-14 E, 44-47 N
BOX = (11.0, 45.0, 12.0, 46.0)  # the country
YEARS = 44  # 1980-2023, the 2026 manual's release


def stored_series(rng: np.random.Generator, years: int = YEARS, ny: int = 30, nx: int = 40) -> np.ndarray:
    """Packed int16 index values (index x 1000), some cells the fill value."""
    s = np.clip(rng.normal(0, 1, (years * 12, ny, nx)) * 1000, -3090, 3090).astype("int16")
    s[:, 0, 0] = -32768
    return s


def test_reader_values_are_the_packed_integers_times_the_scale_factor(tmp_path):
    s = np.zeros((24, 3, 4), "int16")
    s[11, 1, 2], s[23, 0, 3], s[0, 2, 0] = -1234, 2051, -32768
    da = open_drought_index("gmid_spi", write_gmid_netcdf(tmp_path / "spi12.nc", s, west=WEST, north=NORTH))
    assert da.dims == ("time", "y", "x") and da.dtype == np.int16 and da.rio.crs.to_epsg() == 4326
    assert da.attrs["scale_factor"] == 0.001 and da.attrs["accumulation_months"] == 12 and da.rio.nodata == -32768
    # lat descending as published: row 0 is the northern edge's cells (47.0 - 0.05)
    assert da.y.values[0] == pytest.approx(NORTH - 0.05) and da.y.values[1] < da.y.values[0]
    # December 1980, cell (row 1, col 2): -1234 x 0.001 = -1.234; December 1981 (0, 3): 2051 x 0.001 = 2.051
    dec = da.sel(time=da.time.dt.month == 12)
    assert dec.values[0, 1, 2] * da.attrs["scale_factor"] == pytest.approx(-1.234)
    assert dec.values[1, 0, 3] * da.attrs["scale_factor"] == pytest.approx(2.051)
    assert int(da.values[0, 2, 0]) == -32768  # the fill stays the nodata, never a value of -32.768


def test_reader_takes_the_asked_scale_of_spei(tmp_path):
    s = np.zeros((12, 2, 2), "int16")
    f = write_gmid_netcdf(tmp_path / "spei3.nc", s, index="spei", months=3)
    assert open_drought_index("gmid_spei", f, months=3).attrs["accumulation_months"] == 3
    with pytest.raises(InputError, match=r"spei3.nc: not Global Multi-Index .*3-month scale .*expected 12 months"):
        open_drought_index("gmid_spei", f)
    with pytest.raises(InputError, match=r"published at 1-12 months, not 24"):
        open_drought_index("gmid_spei", f, months=24)


@pytest.mark.parametrize("kwargs, months, message", [
    ({"variable": "SPI"}, 12, r"variable 'spi' is missing \(the file has \['SPI', 'crs'\]\)"),
    ({"drop_attrs": ("accumulation_period",)}, 12, r"attribute accumulation_period \(the accumulation scale in months\) is "
                                                   r"missing; expected accumulation_period=12"),
    ({"months": 6}, 12, r"it holds the 6-month scale \(accumulation_period=6\), expected 12 months"),
    ({"first_year": 1979}, 12, r"the time axis spans 1979-1980, outside 1980-2024 of this release"),
    ({"first_year": 2024}, 12, r"the time axis spans 2024-2025, outside 1980-2024 of this release"),
    ({"drop_attrs": ("scale_factor",)}, 12, r"the scale factor is absent \(expected 0.001"),
])
def test_reader_refuses_what_is_not_the_release(tmp_path, kwargs, months, message):
    f = write_gmid_netcdf(tmp_path / "gmid.nc", np.zeros((24, 2, 2), "int16"), **kwargs)
    with pytest.raises(InputError, match=message) as err:
        open_drought_index("gmid_spi", f, months=months)
    assert str(f) in str(err.value) and "\n" not in str(err.value)


def write_country(d: Path, *, index: str = "spi", **gmid) -> dict[str, Path]:
    import geopandas as gpd
    from shapely.geometry import box

    rng = np.random.default_rng(7)
    nat = rng.choice(ESA_CODES, (3 * 360, 4 * 360)).astype("uint8")
    files = {f"lc{y}": write_esa_cci_netcdf(d / f"lc{y}.nc", nat, west=WEST, north=NORTH, res=1 / 360, year=y)
             for y in (2000, 2015)}
    files["gmid"] = write_gmid_netcdf(d / f"GMID_{index.upper()}_12.nc", gmid.pop("stored", None)
                                      if "stored" in gmid else stored_series(rng), index=index, west=WEST,
                                      north=NORTH, **gmid)
    gpd.GeoDataFrame({"name": ["Testland"]}, geometry=[box(*BOX)], crs="EPSG:4326").to_file(d / "boundary.gpkg")
    files["boundary"] = d / "boundary.gpkg"
    return files


def prepare_argv(files: dict[str, Path], out: Path, dataset: str = "gmid_spi") -> list[str]:
    args = ["prepare", "--country", "Testland", "--edition", "2026", "--boundary", str(files["boundary"]), "-o", str(out)]
    for y in (2000, 2015):
        args += ["--input", f"land_cover:{y}=esa_cci_lc_netcdf:{files[f'lc{y}']}"]
    return args + ["--input", f"drought_index={dataset}:{files['gmid']}"]


@pytest.mark.parametrize("index", ["spi", "spei"])
def test_prepared_gmid_is_the_country_window_in_index_units_and_runs(tmp_path, index):
    (tmp_path / "global").mkdir()
    files = write_country(tmp_path / "global", index=index)
    out = tmp_path / "country"
    assert main(prepare_argv(files, out, f"gmid_{index}")) == 0
    cfg = yaml.safe_load((out / "run-config.yaml").read_text())
    spec = cfg["inputs"]["drought_index"]
    assert spec["variable"] == index and spec["units"] == "1" and spec["years"] == "1980-2023"
    assert cfg["parameters"]["spi"] == {"index": index, "scale_months": 12}  # the run classifies the index it has
    with xr.open_dataset(out / "drought_index.nc") as ds, xr.open_dataset(files["gmid"], mask_and_scale=False) as src:
        got, packed = ds[index], src[index]
        assert got.sizes["time"] == YEARS * 12 and got.sizes["lat"] < 30 and got.sizes["lon"] < 40  # a window
        # a cell by hand: the prepared value is the packed integer of the same cell and month x 0.001
        lat, lon = float(got.lat[2]), float(got.lon[3])
        want = packed.sel(lat=lat, lon=lon, method="nearest").values.astype("float64") * 0.001
        assert np.allclose(got.sel(lat=lat, lon=lon).values, want, atol=1e-6)
    assert main(["run", str(out / "run-config.yaml"), "--check"]) == 0
    res = tmp_path / "results"
    assert main(["run", str(out / "run-config.yaml"), "-o", str(res), "--quiet"]) == 0
    assert (res / "SO3-1" / "SO3-1.T1.csv").is_file()


@pytest.mark.parametrize("gmid, message", [
    ({"variable": "precip"}, "variable 'spi' is missing"),
    ({"months": 3}, "it holds the 3-month scale (accumulation_period=3), expected 12 months"),
    ({"first_year": 1982}, "the time axis spans 1982-2025, outside 1980-2024 of this release"),
    ({"crs_wkt": 'PROJCS["WGS 84 / Pseudo-Mercator",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,'
                 '298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Mercator_1SP"],'
                 'PARAMETER["central_meridian",0],PARAMETER["scale_factor",1],PARAMETER["false_easting",0],'
                 'PARAMETER["false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","3857"]]'},
     "is not the CRS EPSG:4326"),
])
def test_prepare_refuses_a_file_that_is_not_the_release(tmp_path, capsys, gmid, message):
    (tmp_path / "global").mkdir()
    files = write_country(tmp_path / "global", stored=np.zeros((YEARS * 12, 30, 40), "int16"), **gmid)
    out = tmp_path / "country"
    assert main(prepare_argv(files, out)) == 2
    err = capsys.readouterr().err
    assert message in err and str(files["gmid"]) in err, err
    assert err.count("\n") == 1 and "Traceback" not in err and not out.exists()


def test_check_dataset_checks_the_scale(tmp_path, capsys):
    f = write_gmid_netcdf(tmp_path / "spi6.nc", np.zeros((12, 2, 2), "int16"), months=6)
    assert main(["prepare", "--check-dataset", "gmid_spi", str(f), "--drought-months", "6"]) == 0
    assert main(["prepare", "--check-dataset", "gmid_spi", str(f)]) == 2
    assert "expected 12 months" in capsys.readouterr().err


def test_gmid_default_scale_is_the_specs_spi_scale():
    """The reader's default scale (and so `prepare --drought-months`'s) is the scale the specs classify: a drift
    between them would make a prepared GMID file refused by its own run."""
    from indicators.datasets.drought_index import DEFAULT_ACCUMULATION_MONTHS
    from indicators.specs.loader import load_framework

    assert DEFAULT_ACCUMULATION_MONTHS == load_framework().parameters("spi").scale_months

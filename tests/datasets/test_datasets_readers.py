"""Each catalogued default dataset read from a small file with the published structure; a file whose structure is
not the product's is refused in one line naming the file and what is expected (InputError; exit 2 via the CLI)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from .conftest import ESA_CODES, write_esa_cci_netcdf, write_geotiff, write_monthly_netcdf

from indicators.datasets import catalogue, check_codes, land_cover_7class, open_dataset
from indicators.errors import InputError
from indicators.specs.loader import load_framework

RNG = np.random.default_rng(2)


def test_catalogue_entries_name_known_legends_and_nestings():
    fw = load_framework()
    entries = catalogue()
    assert {"esa_cci_lc_netcdf", "esa_cci_lc_geotiff", "jrc_lpd", "te_lpd", "soilgrids_soc_0_30", "gpcc_monthly",
            "chirps_monthly", "worldpop_sex", "gpw_v4_count", "jrc_dvi"} <= set(entries)
    for e in entries.values():
        if e.legend:
            fw.legend(e.legend)
        if e.nesting:
            assert fw.nesting(e.nesting).child_legend == e.legend
        assert e.licence and e.citation and e.url.startswith("http")
        assert (e.variable is not None) == (e.form == "netcdf")


def test_esa_cci_netcdf_nests_to_7_classes(tmp_path):
    codes = RNG.choice(ESA_CODES, (12, 20)).astype("uint8")
    codes[0, 0] = 0
    f = write_esa_cci_netcdf(tmp_path / "ESACCI-LC-L4-LCCS-Map-300m-P1Y-2015-v2.0.7.nc", codes)
    da = open_dataset("esa_cci_lc_netcdf", f, chunks=None)
    assert da.dtype == np.uint8 and da.dims == ("y", "x") and da.rio.nodata == 0
    assert (da.values == codes).all()  # codes above 127 survive the signed storage
    check_codes(da, "esa_cci_lc_netcdf")
    lc7 = land_cover_7class(da)
    # by hand from the nesting table: 210 water -> 7, 190 urban -> 5, 50 tree -> 1, 10 crop -> 3, 0 -> 0
    expect = {0: 0, 10: 3, 50: 1, 130: 2, 150: 2, 160: 4, 190: 5, 200: 6, 210: 7, 220: 6}
    for code, cls in expect.items():
        hit = codes == code
        if hit.any():
            assert (lc7.values[hit] == cls).all(), code


def test_esa_cci_geotiff_and_codes_outside_the_legend(tmp_path):
    codes = RNG.choice(ESA_CODES, (10, 10)).astype("uint8")
    f = write_geotiff(tmp_path / "lc.tif", codes, nodata=0)
    check_codes(open_dataset("esa_cci_lc_geotiff", f), "esa_cci_lc_geotiff")
    codes[3, 3] = 13
    bad = write_geotiff(tmp_path / "bad.tif", codes, nodata=0)
    with pytest.raises(InputError, match=r"bad.tif: codes \[13\] are not in legend 'esa_cci'"):
        check_codes(open_dataset("esa_cci_lc_geotiff", bad), "esa_cci_lc_geotiff")


def test_esa_cci_netcdf_structure_refused(tmp_path):
    codes = np.full((4, 4), 10, dtype="uint8")
    f = write_esa_cci_netcdf(tmp_path / "renamed.nc", codes, variable="lc")
    with pytest.raises(InputError, match=r"renamed.nc: not ESA CCI .*variable 'lccs_class' is missing"):
        open_dataset("esa_cci_lc_netcdf", f)
    f = write_esa_cci_netcdf(tmp_path / "noattr.nc", codes, drop_attrs=("standard_name",))
    with pytest.raises(InputError, match="attribute standard_name='land_cover_lccs' is missing"):
        open_dataset("esa_cci_lc_netcdf", f)


@pytest.mark.parametrize("dataset, dtype, nodata, extra", [("jrc_lpd", "uint8", 0, 15), ("te_lpd", "int16", -32768, None)])
def test_lpd_products(tmp_path, dataset, dtype, nodata, extra):
    a = RNG.integers(1, 6, (8, 8)).astype(dtype)
    a[0, 0] = nodata
    if extra is not None:
        a[0, 1] = extra
    da = open_dataset(dataset, write_geotiff(tmp_path / "lpd.tif", a, nodata=nodata))
    check_codes(da, dataset)
    assert da.attrs["flag_values"] is not None and da.rio.nodata == nodata
    a[2, 2] = 6
    with pytest.raises(InputError, match=r"codes \[6\] are not in legend 'lpd_5class'"):
        check_codes(open_dataset(dataset, write_geotiff(tmp_path / "lpd6.tif", a, nodata=nodata)), dataset)
    with pytest.raises(InputError, match=f"values are float32, expected {dtype}"):
        open_dataset(dataset, write_geotiff(tmp_path / "f.tif", a.astype("float32"), nodata=nodata))


def test_soilgrids_soc_and_worldpop_gpw(tmp_path):
    soc = RNG.integers(10, 120, (8, 8)).astype("int16")
    da = open_dataset("soilgrids_soc_0_30", write_geotiff(tmp_path / "ocs_0-30cm_mean.tif", soc, nodata=-32768))
    assert da.attrs["units"] == "t/ha" and da.attrs["scale_factor"] == 1.0
    with pytest.raises(InputError, match="nodata -9999, expected -32768"):
        open_dataset("soilgrids_soc_0_30", write_geotiff(tmp_path / "s2.tif", soc, nodata=-9999))
    pop = RNG.random((8, 8)).astype("float32")
    assert open_dataset("worldpop_sex", write_geotiff(tmp_path / "xxx_f_2020.tif", pop, nodata=-99999)).attrs["units"] == "person"
    gpw = write_geotiff(tmp_path / "gpw.tif", pop, nodata=-3.4028230607370965e38)
    assert open_dataset("gpw_v4_count", gpw).rio.nodata == pytest.approx(-3.4028230607370965e38)


def test_jrc_dvi_scale_factor_required(tmp_path):
    dvi = RNG.integers(0, 10001, (8, 8)).astype("int16")
    da = open_dataset("jrc_dvi", write_geotiff(tmp_path / "dvi.tif", dvi, nodata=-32768, scale=0.0001))
    assert da.attrs["scale_factor"] == 0.0001
    with pytest.raises(InputError, match=r"dvi_noscale.tif: not JRC .*the scale factor is absent \(expected 0.0001"):
        open_dataset("jrc_dvi", write_geotiff(tmp_path / "dvi_noscale.tif", dvi, nodata=-32768))
    with pytest.raises(InputError, match="scale factor 0.001, expected 0.0001"):
        open_dataset("jrc_dvi", write_geotiff(tmp_path / "dvi_1000.tif", dvi, nodata=-32768, scale=0.001))


@pytest.mark.parametrize("dataset, lat, lon, fill", [("gpcc_monthly", "lat", "lon", -99999.99),
                                                     ("chirps_monthly", "latitude", "longitude", -9999.0)])
def test_precipitation_products(tmp_path, dataset, lat, lon, fill):
    v = (RNG.random((24, 4, 6)) * 100).astype("float32")
    f = write_monthly_netcdf(tmp_path / "p.nc", v, lat_name=lat, lon_name=lon, fill=fill)
    da = open_dataset(dataset, f)
    assert da.dims == ("time", "y", "x") and da.attrs["units"] == "mm/month" and da.rio.crs.to_epsg() == 4326
    with pytest.raises(InputError, match=r"attribute units='mm/month' is missing"):
        open_dataset(dataset, write_monthly_netcdf(tmp_path / "nounits.nc", v, lat_name=lat, lon_name=lon, fill=fill, units=None))


def test_structure_mismatch_is_exit_2_through_the_cli(tmp_path, capsys):
    from indicators.cli import main

    dvi = write_geotiff(tmp_path / "dvi.tif", np.zeros((4, 4), "int16"), nodata=-32768)
    assert main(["prepare", "--check-dataset", "jrc_dvi", str(dvi)]) == 2
    err = capsys.readouterr().err
    assert "the scale factor is absent" in err and "Traceback" not in err and err.count("\n") == 1



def test_a_nodata_that_differs_in_its_decimals_is_said_as_written(capsys):
    # GPCC's nodata is -99999.99: the message said "expected -100000" (:g), a value nobody would find in the catalogue
    from indicators.cli import main

    sample = Path(__file__).resolve().parents[2] / "sample_data" / "climate" / "precip_monthly.nc"
    assert main(["prepare", "--check-dataset", "gpcc_monthly", str(sample)]) == 2
    err = capsys.readouterr().err
    assert "nodata -9999, expected -99999.99" in err and "Traceback" not in err, err

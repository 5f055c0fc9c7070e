"""Rasters, NetCDF and tables: a file that exists but cannot be read says so; table values that cannot be."""

from __future__ import annotations

import pytest

from .conftest import problem_line


def test_truncated_netcdf(country, capsys):
    p = country.data / "climate" / "precip_monthly.nc"
    p.write_bytes(p.read_bytes()[:4096])
    _, err = country.run(capsys)
    line = problem_line(err, "inputs.precipitation", "precip_monthly.nc", "exists", "cannot be read as NetCDF")
    assert "No such file" not in line


def test_wrong_netcdf_variable(country, capsys):
    country.config["inputs"]["precipitation"]["variable"] = "precipitation"
    country.save()
    _, err = country.run(capsys)
    problem_line(err, "inputs.precipitation", "has no variable 'precipitation'", "'precip'", "set variable:")


def test_geotiff_that_is_not_a_raster(country, capsys):
    p = country.data / "soc" / "soc_reference_2000.tif"
    p.write_bytes(b"this is not a GeoTIFF\n" * 10)
    _, err = country.run(capsys)
    problem_line(err, "inputs.soc_reference", "soc_reference_2000.tif", "cannot open")


def test_truncated_geotiff(country, capsys):
    p = country.data / "land_cover" / "esa_cci_lc_2010.tif"
    p.write_bytes(p.read_bytes()[:300])
    _, err = country.run(capsys)
    problem_line(err, "inputs.land_cover[2010]", "esa_cci_lc_2010.tif")


def _replace_line(path, old_start, new):
    lines = path.read_text(encoding="utf-8").splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith(old_start))
    lines[i] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("row, words", [
    ("2016,EUR,0", ["inputs.exchange_rates", "exchange_rates.csv", "lcu_per_usd", "is not above 0"]),
    ("2016,EUR,-0.9", ["inputs.exchange_rates", "lcu_per_usd", "is not above 0"]),
])
def test_exchange_rate_not_above_zero(row, words, country, capsys):
    _replace_line(country.data / "tables" / "exchange_rates.csv", "2016,EUR", row)
    _, err = country.run(capsys)
    problem_line(err, *words)


def test_red_list_bounds_swapped(country, capsys):
    _replace_line(country.data / "tables" / "so4_2_red_list.csv", "2000,", "2000,0.9120,0.9210,0.9010")
    _, err = country.run(capsys)
    problem_line(err, "inputs.so4_2_red_list", "so4_2_red_list.csv", "rli_lower", "swapped")


def test_red_list_index_above_one(country, capsys):
    _replace_line(country.data / "tables" / "so4_2_red_list.csv", "2000,", "2000,1.5,0.9,1.6")
    _, err = country.run(capsys)
    problem_line(err, "inputs.so4_2_red_list", "column 'rli'", "outside the allowed range")

"""Plausibility as data (issue 15 §1): the specs declare each input's possible values; one block-wise
reduction finds the count and the first offending pixel; tables name the line."""

from __future__ import annotations

import dask.array as dsa
import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr

from indicators import load_framework
from indicators.errors import InputError
from indicators.plausibility import check_raster, check_table, legend_codes, raster_findings, rule_for


@pytest.fixture(scope="module")
def fw():
    return load_framework()


def _raster(values, *, units="person", nodata=None, chunks=(4, 4), res=0.01, top=10.0, left=20.0):
    values = np.asarray(values)
    h, w = values.shape
    y = top - res * (np.arange(h) + 0.5)
    x = left + res * (np.arange(w) + 0.5)
    da = xr.DataArray(dsa.from_array(values, chunks=chunks), dims=("y", "x"), coords={"y": y, "x": x})
    da = da.rio.write_crs("EPSG:4326")
    if nodata is not None:
        da = da.rio.write_nodata(nodata, encoded=False)
    da.attrs.update(units=units, source="pop.tif")
    return da


def test_specs_declare_the_issue_s_ranges(fw):
    p = {name: rule_for(fw, name) for name in ("population_total", "soc_reference", "precipitation",
                                               "exchange_rates", "so4_2_red_list", "land_cover", "lpd")}
    assert p["population_total"].min == 0 and p["population_total"].max_per_km2 > 0
    assert p["soc_reference"].min == 0 and p["soc_reference"].max > 0 and p["soc_reference"].units == "t/ha"
    assert p["precipitation"].min == 0
    assert p["exchange_rates"].min == 0 and p["exchange_rates"].min_exclusive
    assert (p["so4_2_red_list"].min, p["so4_2_red_list"].max) == (0, 1)
    assert p["so4_2_red_list"].ordered == ("rli_lower", "rli", "rli_upper") and p["so4_2_red_list"].years == "edition"
    assert legend_codes(fw, p["lpd"]) == (1, 2, 3, 4, 5)
    assert 10 in legend_codes(fw, p["land_cover"]) and 0 not in legend_codes(fw, p["land_cover"])


def test_first_offending_pixel_is_the_first_in_reading_order_whatever_the_chunks():
    values = np.ones((10, 9))
    values[7, 1] = -5.0  # later row, earlier column: in another block
    values[3, 6] = -1.0  # the first in reading order
    values[9, 8] = -2.0
    for chunks in [(4, 4), (3, 2), (10, 9), (1, 9)]:
        f = raster_findings(dsa.from_array(values, chunks=chunks), low=0).compute()
        assert (f.outside, f.first_index, f.first_value) == (3, (3, 6), -1.0)


def test_one_task_per_block_plus_one():
    arr = dsa.from_array(np.zeros((8, 8)), chunks=(4, 4))
    lazy = raster_findings(arr, low=0)
    own = [k for k in dict(lazy.__dask_graph__()) if "_block_summary" in str(k) or "_combine" in str(k)]
    assert len(own) == 4 + 1


def test_negative_population_refused_with_pixel_and_value(fw):
    values = np.full((8, 8), 10.0)
    values[5, 2] = -3.0
    with pytest.raises(InputError) as err:
        check_raster(_raster(values), rule_for(fw, "population_total"), label="inputs.population_total[2020]")
    text = str(err.value)
    for words in ["inputs.population_total[2020]", "1 cell(s) of pop.tif", "row 5, column 2", "is -3", "/km2"]:
        assert words in text, (words, text)


def test_population_density_above_the_declared_maximum(fw):
    rule = rule_for(fw, "population_total")
    # a 0.01 degree cell at 10 N is about 1.1 km x 1.1 km = 1.21 km2
    area = 1.2117  # km2, the cell's true area within 0.1 %
    values = np.zeros((4, 4))
    values[1, 1] = rule.max_per_km2 * area * 0.99  # dense but possible
    check_raster(_raster(values), rule, label="p")
    values[2, 3] = rule.max_per_km2 * area * 1.01  # 3e38 people per pixel, in small
    with pytest.raises(InputError, match=r"row 2, column 3"):
        check_raster(_raster(values), rule, label="p")


def test_nodata_is_not_a_finding_but_nan_without_nodata_is(fw):
    rule = rule_for(fw, "soc_reference")
    values = np.full((6, 6), 40.0)
    values[0, 0] = -9999.0
    check_raster(_raster(values, units="t/ha", nodata=-9999.0), rule, label="inputs.soc_reference")
    values[4, 4] = np.nan
    with pytest.raises(InputError, match=r"1 cell\(s\) of pop.tif are NaN but the file declares no NaN nodata"):
        check_raster(_raster(values, units="t/ha", nodata=-9999.0), rule, label="inputs.soc_reference")
    values[0, 0] = np.nan
    check_raster(_raster(values, units="t/ha", nodata=np.nan), rule, label="inputs.soc_reference")


def test_soc_range_is_converted_to_the_input_s_unit(fw):
    rule = rule_for(fw, "soc_reference")  # max declared in t/ha
    values = np.full((4, 4), rule.max * 100 * 0.5)  # in t/km2: half the maximum
    check_raster(_raster(values, units="t/km**2"), rule, label="s")
    values[0, 1] = rule.max * 100 * 2
    with pytest.raises(InputError, match=r"row 0, column 1.*is 200000"):
        check_raster(_raster(values, units="t/km**2"), rule, label="s")


def test_land_cover_codes_outside_the_legend(fw):
    rule = rule_for(fw, "land_cover")
    codes = legend_codes(fw, rule)
    values = np.full((5, 5), 10, dtype=np.uint8)
    values[4, 0] = 255  # nodata
    check_raster(_raster(values, units="1", nodata=255), rule, label="lc", codes=codes)
    values[2, 2] = 99
    with pytest.raises(InputError, match=r"codes must be in the legend .* or the nodata 255.*row 2, column 2.* is 99"):
        check_raster(_raster(values, units="1", nodata=255), rule, label="lc", codes=codes)


def test_warn_mode_returns_lines(fw):
    rule = rule_for(fw, "precipitation").model_copy(update={"on_violation": "warn"})
    values = np.full((4, 4), 30.0)
    values[3, 3] = -1.0
    lines = check_raster(_raster(values, units="mm/month"), rule, label="inputs.precipitation")
    assert len(lines) == 1 and "1 cell(s)" in lines[0] and "row 3, column 3" in lines[0]


def _table(rows, columns):
    t = pd.DataFrame(rows, columns=columns)
    t.attrs["source"] = "rates.csv"
    t.attrs["lines"] = list(range(2, len(rows) + 2))
    return t


def test_exchange_rate_of_zero_is_refused_with_the_line(fw):
    t = _table([[2020, "EUR", 0.9], [2021, "XOF", 0.0]], ["year", "currency", "lcu_per_usd"])
    with pytest.raises(InputError, match=r"inputs.exchange_rates: rates.csv, line 3, column 'lcu_per_usd': value 0 is not above 0"):
        check_table(t, rule_for(fw, "exchange_rates"), label="inputs.exchange_rates", years=(2000, 2025))


def test_red_list_swapped_bounds_and_a_year_outside_the_edition(fw):
    rule = rule_for(fw, "so4_2_red_list")
    cols = ["year", "rli", "rli_lower", "rli_upper"]
    check_table(_table([[2016, 0.8, 0.7, 0.9]], cols), rule, label="r", years=(2016, 2023))
    # a series running past the edition's span (one series for both editions) is kept
    assert check_table(_table([[1995, 0.9, 0.8, 0.95], [2024, 0.8, 0.7, 0.9]], cols), rule, label="r",
                       years=(2016, 2019)) == []
    with pytest.raises(InputError, match=r"line 3, column 'rli_lower': rli_lower 0.9 is above rli 0.8"):
        check_table(_table([[2016, 0.8, 0.7, 0.9], [2017, 0.8, 0.9, 0.7]], cols), rule, label="r", years=(2016, 2023))
    with pytest.raises(InputError, match=r"line 2, column 'year': year 2099 is in the future \(after 20\d\d"):
        check_table(_table([[2099, 0.8, 0.7, 0.9]], cols), rule, label="r", years=(2016, 2023))
    with pytest.raises(InputError, match=r"column 'rli': value 1.5 is above 1"):
        check_table(_table([[2016, 1.5, 0.7, 1.6]], cols), rule, label="r", years=(2016, 2023))


@pytest.mark.parametrize("dtype", ["uint8", "int8", "uint16", "int16", "int32", "float32"])
def test_code_membership_by_table_equals_isin(dtype):
    """The input check's class-code test (a table over an 8- or 16-bit dtype's range) is np.isin's answer, codes that
    cannot occur in the dtype (fractional, out of range) included."""
    from indicators.plausibility_blocks import _is_code

    values = np.random.default_rng(1).integers(-100, 200, (30, 40)).astype(dtype)
    for codes in ([1, 2, 3, -5, 150], [1.0, 2.5, 199.0], [], [70000, -1]):
        codes = np.asarray(codes, dtype=float if any(isinstance(c, float) for c in codes) or not codes else int)
        np.testing.assert_array_equal(_is_code(values, codes), np.isin(values, codes))


@pytest.mark.parametrize("dtype", ["uint8", "int16", "uint16", "int32", "float32", "float64"])
def test_block_summary_kernel_equals_numpy_formulation(dtype):
    """The one-pass kernel of an input block's check gives what the numpy formulation gives (counts, first cell, its
    value, first NaN, cells checked) for every rule shape: bounds inclusive or not, codes, nodata (a value, NaN or
    none), bounds the dtype does not hold exactly (those go to numpy's own promotion)."""
    from indicators.plausibility_blocks import _block_summary, _block_summary_numpy

    rng = np.random.default_rng(4)
    info = np.iinfo(dtype) if dtype[0] in "ui" else None
    top = min(int(info.max), 300) if info else 300.0
    bottom = max(int(info.min), -20) if info else -20.0
    values = rng.uniform(bottom, top, (37, 41))
    values = values.astype(dtype) if info else values.round(1).astype(dtype)
    if not info:
        values[rng.random(values.shape) < 0.05] = np.nan
    values[3, 4] = -20 if bottom < 0 else 0
    rules = [dict(low=0, low_exclusive=False, high=250, codes=None),
             dict(low=0, low_exclusive=True, high=None, codes=None),
             dict(low=None, low_exclusive=False, high=99.5, codes=None),
             dict(low=0.1, low_exclusive=False, high=200.3, codes=None)]
    if info:
        rules.append(dict(low=None, low_exclusive=False, high=None, codes=np.array([1.0, 2.0, 3.0, 255.0, 7.5])))
    for rule in rules:
        for nodata in (None, 0, 255.0, float("nan"), -20):
            args = ((5, 7), rule["low"], rule["low_exclusive"], rule["high"], rule["codes"], nodata)
            got = _block_summary(values, *args)
            want = _block_summary_numpy(values, *args)
            assert got == want, (rule, nodata, got, want)
    # by hand: a 2 x 3 block, 0..100 exclusive of 0, nodata 9: 0 and 101 are out, the first at (0, 1) + offset
    block = np.array([[5, 0, 9], [101, 50, 9]], dtype="int16")
    assert _block_summary(block, (10, 20), 0, True, 100, None, 9) == (2, 0, (10, 21), 0.0, None, 4)

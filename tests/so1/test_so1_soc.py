"""SO1-3 SOC: tier-1 stock change (20-year transition, climate factor, sparse years) and the ±10 % rule."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from indicators.errors import SpecError
from indicators.so1 import soc as S


def fl_matrix():
    """Part B §2.5 table (rows initial: forest, grass, crop, wetland, artificial, other, water)."""
    rows = [
        [1, 1, "f", 1, 0.1, 0.1, 1],
        [1, 1, "f", 1, 0.1, 0.1, 1],
        ["1/f", "1/f", 1, "1/0.71", 0.1, 0.1, 1],
        [1, 1, 0.71, 1, 0.1, 0.1, 1],
        [2, 2, 2, 2, 1, 1, 1],
        [2, 2, 2, 2, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1],
    ]
    return {i + 1: {j + 1: rows[i][j] for j in range(7)} for i in range(7)}


def lc_stack(per_year, years):
    arr = np.asarray(per_year, dtype="uint8")
    if arr.ndim == 1:
        arr = arr[:, None, None]
    return xr.DataArray(arr, dims=("year", "y", "x"), coords={"year": np.asarray(years)})


def test_parse_factor_expressions():
    _, coef, power = S.stock_change_factors(fl_matrix())
    assert coef[1, 3] == 1 and power[1, 3] == 1
    assert coef[3, 1] == 1 and power[3, 1] == -1
    assert coef[3, 4] == pytest.approx(1 / 0.71) and power[3, 4] == 0
    with pytest.raises(SpecError, match="stock change factor"):
        S.stock_change_factors({1: {1: "g"}})


def test_single_transition_reaches_equilibrium_in_20_years():
    # forest -> crop in the first step, f = 0.8: Fl = 0.8, delta = 50 * 0.2 / 20 = 0.5 t/ha/yr
    years = np.arange(2000, 2031)
    lc = lc_stack([1] + [3] * 30, years)
    soc0 = xr.DataArray(np.full((1, 1), 50.0), dims=("y", "x"))
    out = S.soc_stocks(soc0, lc, factors=fl_matrix(), climate_factor=0.8, transition_years=20)
    v = out.values[:, 0, 0]
    assert v[0] == 50.0 and v[1] == pytest.approx(49.5) and v[10] == pytest.approx(45.0)
    assert v[20] == pytest.approx(40.0)  # 50 * 0.8 after 20 years
    assert v[30] == pytest.approx(40.0)  # no further change
    assert out.attrs["units"] == "t ha-1"


def test_second_transition_restarts_from_current_stock():
    # crop -> forest at step 0 (Fl = 1/0.5 = 2 with f = 0.5), then forest -> artificial at step 5 (Fl = 0.1)
    years = np.arange(2000, 2012)
    lc = lc_stack([3] + [1] * 5 + [5] * 6, years)
    soc0 = xr.DataArray(np.full((1, 1), 40.0), dims=("y", "x"))
    v = S.soc_stocks(soc0, lc, factors=fl_matrix(), climate_factor=0.5, transition_years=20).values[:, 0, 0]
    # steps 1..5: +40 * (2 - 1)/20 = +2 per year -> 50 in 2005
    assert v[5] == pytest.approx(50.0)
    # from 2005: delta = 50 * 0.9 / 20 = 2.25 per year
    assert v[6] == pytest.approx(47.75) and v[11] == pytest.approx(50 - 6 * 2.25)


def test_climate_factor_raster_and_missing_zone():
    zones = xr.DataArray(np.array([[1, 2, 9]]), dims=("y", "x"))
    f = S.climate_factor_from_zones(zones, factors={1: 0.69, 2: 0.8})
    assert np.isnan(f.values[0, 2])
    years = np.arange(2000, 2022)
    lc = lc_stack(np.array([[1]] + [[3]] * 21)[:, :, None].repeat(3, axis=2).reshape(22, 1, 3), years)
    soc0 = xr.DataArray(np.full((1, 3), 100.0), dims=("y", "x"))
    out = S.soc_stocks(soc0, lc, factors=fl_matrix(), climate_factor=f, transition_years=20)
    last = out.sel(year=2021).values[0]
    assert last[0] == pytest.approx(69.0) and last[1] == pytest.approx(80.0) and np.isnan(last[2])


def test_sparse_years_transition_at_mid_interval():
    lc = lc_stack([1, 3, 3], [2000, 2004, 2010])
    soc0 = xr.DataArray(np.full((1, 1), 50.0), dims=("y", "x"))
    out = S.soc_stocks(soc0, lc, factors=fl_matrix(), climate_factor=0.8, transition_years=20)
    v = out.values[:, 0, 0]
    assert list(out.year.values) == list(range(2000, 2011))
    # 2000 -> 2004: t_mid = 2002, cropland from 2003: unchanged up to 2002, -0.5 a year from 2003 (8 years by 2010)
    assert v[2] == 50.0 and v[3] == pytest.approx(49.5) and v[4] == pytest.approx(49.0) and v[10] == pytest.approx(46.0)


def test_nodata_land_cover_gives_nodata_stock():
    lc = lc_stack(np.array([[1, 0], [1, 3]], dtype="uint8")[:, None, :], [2000, 2001])
    soc0 = xr.DataArray(np.full((1, 2), 50.0), dims=("y", "x"))
    out = S.soc_stocks(soc0, lc, factors=fl_matrix(), climate_factor=0.8, transition_years=20)
    assert np.isfinite(out.values[:, 0, 0]).all() and np.isnan(out.values[:, 0, 1]).all()


FINALS = [89.9, 90.0, 90.1, 109.9, 110.0, 110.1, 100.0]


@pytest.mark.parametrize("inclusive, expected", [
    (False, [1, 2, 2, 2, 2, 3, 2]),  # D11: "more than 10 %"
    (True, [1, 1, 2, 2, 3, 3, 2]),   # Trends.Earth local rule: <= -10, >= 10
])
def test_soc_threshold_at_and_around_10_percent(inclusive, expected):
    ini = xr.DataArray(np.full((1, 7), 100.0), dims=("y", "x"))
    fin = xr.DataArray(np.array([FINALS]), dims=("y", "x"))
    out = S.soc_degradation(ini, fin, threshold=10, inclusive=inclusive, zero_initial_is_nodata=True)
    assert out.values[0].tolist() == expected
    assert out.dtype == np.uint8


def test_soc_nodata_rules():
    ini = xr.DataArray(np.array([[0.0, np.nan, 50.0, 50.0]]), dims=("y", "x"))
    fin = xr.DataArray(np.array([[10.0, 10.0, np.nan, 40.0]]), dims=("y", "x"))
    water = xr.DataArray(np.array([[False, False, False, True]]), dims=("y", "x"))
    out = S.soc_degradation(ini, fin, threshold=10, inclusive=False, exclude=water, zero_initial_is_nodata=True)
    assert out.values[0].tolist() == [0, 0, 0, 0]
    pch = S.soc_percent_change(ini, fin)
    assert np.isnan(pch.values[0, 0]) and pch.values[0, 3] == pytest.approx(-20.0)


def test_dask_stocks_identical():
    rng = np.random.default_rng(3)
    years = np.arange(2000, 2016)
    arr = rng.integers(1, 8, size=(16, 4, 5)).astype("uint8")
    arr[:, 0, 0] = 0
    lc = lc_stack(arr, years)
    soc0 = xr.DataArray(rng.uniform(10, 90, size=(4, 5)), dims=("y", "x"))
    a = S.soc_stocks(soc0, lc, factors=fl_matrix(), climate_factor=0.69, transition_years=20)
    b = S.soc_stocks(soc0.chunk({"y": 3}), lc.chunk({"y": 2, "x": 4, "year": 4}), factors=fl_matrix(),
                     climate_factor=0.69, transition_years=20)
    assert b.chunks is not None
    xr.testing.assert_identical(a, b.compute())


def test_climate_factors_from_the_specs_regimes():
    regimes = [{"id": 1, "factor": 0.80}, {"id": 2, "factor": 0.69}, {"id": 3, "factor": 0.58},
               {"id": 4, "factor": 0.48}, {"id": 5, "factor": 0.64}]
    f = S.climate_factors_by_zone([0, 2, 1, 2, 1, 2, 1, 2, 1, 5, 4, 4, 3], regimes)
    assert 0 not in f and f[1] == 0.69 and f[2] == 0.80 and f[9] == 0.64 and f[12] == 0.58


def test_land_cover_before_the_reference_year_is_not_applied():
    """LC from 1995 with forest -> crop in 1997; the reference stock is 2000's: no change before 2000 is applied."""
    years = np.arange(1995, 2011)
    lc = lc_stack([1, 1] + [3] * 14, years)
    soc0 = xr.DataArray(np.full((1, 1), 50.0), dims=("y", "x"))
    out = S.soc_stocks(soc0, lc, factors=fl_matrix(), climate_factor=0.8, transition_years=20, reference_year=2000)
    assert int(out["year"].values[0]) == 2000 and out.attrs["reference_year"] == 2000
    assert np.allclose(out.values[:, 0, 0], 50.0)  # crop all along from 2000: the stock stays
    # the same land cover taken from 1995 applies the 1997 transition (Fl = 0.8: -0.5 t/ha a year in 1997 … 2000)
    early = S.soc_stocks(soc0, lc, factors=fl_matrix(), climate_factor=0.8, transition_years=20)
    assert float(early.sel(year=2000)[0, 0]) == pytest.approx(50.0 - 4 * 0.5)
    # a transition after the reference year still counts: crop -> forest in 2003 (Fl = 1/f = 1.25, +0.625 t/ha a year)
    later = S.soc_stocks(soc0, lc_stack([1, 1] + [3] * 6 + [1] * 8, years), factors=fl_matrix(), climate_factor=0.8,
                         transition_years=20, reference_year=2000)
    assert float(later.sel(year=2002)[0, 0]) == pytest.approx(50.0)
    assert float(later.sel(year=2004)[0, 0]) == pytest.approx(50.0 + 2 * 0.625)


def test_reference_year_without_a_land_cover_layer_is_an_error():
    from indicators.errors import InputError

    lc = lc_stack([1, 3, 3], [1995, 1999, 2003])
    soc0 = xr.DataArray(np.full((1, 1), 50.0), dims=("y", "x"))
    with pytest.raises(InputError, match="reference year 2000"):
        S.soc_stocks(soc0, lc, factors=fl_matrix(), climate_factor=0.8, transition_years=20, reference_year=2000)


@pytest.mark.parametrize("zero_is_nodata, expected", [(True, [0, 0, 1, 0]), (False, [3, 2, 1, 0])])
def test_zero_initial_stock(zero_is_nodata, expected):
    """soc.zero_baseline_is_nodata: a zero initial stock is nodata, or classified (a gain from zero is improved,
    zero to zero stable); a loss from a positive stock and a missing stock are unaffected."""
    ini = xr.DataArray(np.array([[0.0, 0.0, 50.0, np.nan]], dtype="float32"), dims=("y", "x"))
    fin = xr.DataArray(np.array([[5.0, 0.0, 40.0, 10.0]], dtype="float32"), dims=("y", "x"))
    out = S.soc_degradation(ini, fin, threshold=10, inclusive=False, zero_initial_is_nodata=zero_is_nodata)
    assert out.values.tolist() == [expected]
    lazy = S.soc_degradation(ini.chunk({"x": 2}), fin.chunk({"x": 2}), threshold=10, inclusive=False,
                             zero_initial_is_nodata=zero_is_nodata)
    assert lazy.compute().values.tolist() == [expected]

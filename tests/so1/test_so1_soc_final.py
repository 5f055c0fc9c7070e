"""The streamed last-year SOC kernel equals the last layer of the annual series (issue 16)."""

import numpy as np
import pytest

from indicators.so1 import soc


@pytest.mark.parametrize("years", [[2000, 2015], [2015, 2019], [2000, 2001], [2000, 2002, 2010, 2030]])
@pytest.mark.parametrize("transition_years", [1, 3, 20])
def test_final_stock_equals_last_year_of_the_annual_series(years, transition_years):
    rng = np.random.default_rng(16)
    size = 8
    coef = rng.uniform(0.5, 1.5, (size, size))
    coef[7, :] = np.nan  # a class the matrix does not know
    coef[:, 7] = np.nan
    coef[3, 3] = np.nan
    power = rng.integers(-1, 2, (size, size)).astype("int8")  # f, 1/f and plain numbers
    years = np.array(years)
    n = 20000
    maps = rng.integers(0, 9, (n, years.size)).astype("uint8")  # 8 is outside the matrix
    keep = rng.random(n) < 0.5
    maps[keep, :] = maps[keep, :1]  # half never change
    soc0 = rng.uniform(0, 100, n).astype("float32")
    soc0[::97] = np.nan
    f = rng.uniform(-0.2, 2, n)  # f <= 0 is missing
    f[::53] = np.nan
    _, idx = soc._annual_map_index(years)
    floats = maps.astype("float32")
    floats[::31, 0] = np.nan
    floats[::29, -1] = 6.5
    for lc in (maps, floats):
        series = soc._soc_kernel(soc0, lc[:, idx], f, coef, power, transition_years)
        final = soc._soc_final(soc0, lc, f, idx=idx, coef=coef, power=power, transition_years=transition_years)
        assert final.dtype == np.float32
        np.testing.assert_array_equal(final, series[:, -1])  # NaN where NaN, bit-identical elsewhere
        assert np.isnan(final).any() and np.isfinite(final).any()


def test_one_climate_factor_equals_the_same_factor_in_every_pixel():
    """A single climate factor (the run's ``soc.climate_factor``) is given to the kernel once, not as a block of
    copies: the stocks are those of the factor repeated per pixel, bit for bit."""
    rng = np.random.default_rng(7)
    coef = rng.uniform(0.5, 1.5, (8, 8))
    power = rng.integers(-1, 2, (8, 8)).astype("int8")
    maps = rng.integers(0, 8, (3000, 3)).astype("uint8")
    soc0 = rng.uniform(0, 100, 3000).astype("float32")
    _, idx = soc._annual_map_index(np.array([2000, 2015, 2019]))
    kw = dict(idx=idx, coef=coef, power=power, transition_years=20)
    for f in (0.69, 1.0, 0.0):
        one = soc._soc_final(soc0, maps, np.float64(f), **kw)
        every = soc._soc_final(soc0, maps, np.full(3000, f), **kw)
        np.testing.assert_array_equal(one, every)
        assert one.shape == (3000,)

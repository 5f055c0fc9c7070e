"""SPI choices the specs allow besides D5's defaults: exact ML fit, centre-of-mass zeros, A&S inverse normal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import special, stats

from indicators.errors import InputError
from indicators.so3.spi import fit_spi, spi, transform_spi

CALIB = [0, 0, 10, 20, 30, 40, 50, 0, 25, 35]  # Part B §4.4's zero micro-case: q = 0.3, 7 non-zero values


def _december_series(dec_values, first_year=2000, other=1.0):
    values = np.full(12 * len(dec_values), other, dtype="float64")
    values[11::12] = dec_values
    t = pd.date_range(f"{first_year}-01-01", periods=values.size, freq="MS")
    return xr.DataArray(values, dims=("time",), coords={"time": t}, attrs={"units": "mm"})


def test_mle_fit_solves_the_likelihood_equation_and_matches_scipy():
    precip = _december_series(CALIB + [0, 30])
    params = fit_spi(precip, 1, (2000, 2009), months=[12], fit="mle")
    x = np.array([v for v in CALIB if v > 0], dtype="float64")
    a = np.log(x.mean()) - np.log(x).mean()
    alpha = params["alpha"].item()
    # the gamma likelihood equation for the shape (location 0): ln α − ψ(α) = ln(mean) − mean(ln x)
    assert np.log(alpha) - special.digamma(alpha) == pytest.approx(a, rel=1e-13)
    assert params["beta"].item() == pytest.approx(x.mean() / alpha, rel=1e-13)
    # an independent fit: scipy's gamma MLE with the location fixed at 0
    shape, _, scale = stats.gamma.fit(x, floc=0)
    assert alpha == pytest.approx(shape, rel=1e-6) and params["beta"].item() == pytest.approx(scale, rel=1e-6)
    # Thom's approximation is close to, but not, the MLE (Part B §4.4: 4.931296)
    thom = fit_spi(precip, 1, (2000, 2009), months=[12])["alpha"].item()
    assert thom == pytest.approx(4.931296, rel=1e-6) and 0 < abs(thom - alpha) / alpha < 0.02
    assert params.attrs["fit"] == "mle" and "maximum likelihood" in params.attrs["fitting_method"]


def test_mle_stored_fit_transforms_like_the_fused_path():
    rng = np.random.default_rng(3)
    values = rng.gamma(2.0, 30.0, (12 * 40, 3))
    values[rng.random(values.shape) < 0.1] = 0.0
    t = pd.date_range("1981-01-01", periods=values.shape[0], freq="MS")
    precip = xr.DataArray(values, dims=("time", "cell"), coords={"time": t}, attrs={"units": "mm"})
    fused = spi(precip, 3, (1981, 2010), fit="mle", dtype="float64")
    stored = transform_spi(precip, fit_spi(precip, 3, (1981, 2010), fit="mle"), dtype="float64")
    np.testing.assert_array_equal(fused.values, stored.values)
    thom = spi(precip, 3, (1981, 2010), dtype="float64")
    assert 0 < np.nanmax(np.abs(fused.values - thom.values)) < 0.05  # same classes almost everywhere


def test_center_of_mass_zero_gets_half_the_probability_of_zero():
    precip = _december_series(CALIB + [0, 30])
    mixed = spi(precip, 1, (2000, 2009), month=12, dtype="float64").values
    centre = spi(precip, 1, (2000, 2009), month=12, zero_handling="center_of_mass", dtype="float64").values
    zero = np.array(CALIB + [0, 30]) == 0
    # 3 zeros of 10 calibration values: q = 0.3; a zero gets Φ⁻¹(0.15) instead of Φ⁻¹(0.3)
    np.testing.assert_allclose(centre[zero], stats.norm.ppf(0.15), atol=1e-12)
    np.testing.assert_allclose(mixed[zero], stats.norm.ppf(0.3), atol=1e-12)
    np.testing.assert_array_equal(centre[~zero], mixed[~zero])  # non-zero values are unchanged
    assert "Stagge" in spi(precip, 1, (2000, 2009), month=12, zero_handling="center_of_mass").attrs["zero_handling"]


def test_abramowitz_stegun_inverse_normal_within_its_error_bound():
    rng = np.random.default_rng(5)
    values = rng.gamma(1.5, 40.0, 12 * 45)
    t = pd.date_range("1979-01-01", periods=values.size, freq="MS")
    precip = xr.DataArray(values, dims=("time",), coords={"time": t}, attrs={"units": "mm"})
    exact = spi(precip, 6, (1981, 2010), clip=None, dtype="float64").values
    approx = spi(precip, 6, (1981, 2010), clip=None, inverse_normal="abramowitz_stegun", dtype="float64").values
    ok = ~np.isnan(exact)
    assert ok.sum() > 400 and np.array_equal(ok, ~np.isnan(approx))
    err = np.abs(exact[ok] - approx[ok])
    assert err.max() < 4.5e-4 and err.max() > 0  # A&S 26.2.23: |ε| < 4.5 × 10⁻⁴
    # by hand, p = 0.025: t = √(−2 ln 0.025) = 2.716203; numerator 2.515517 + 0.802853 t + 0.010328 t² = 4.772426;
    # denominator 1 + 1.432788 t + 0.189269 t² + 0.001308 t³ = 6.314334; z = −(t − 0.755808) = −1.960395
    # (exact −1.959964: the approximation's error 4.3e-4 is inside its bound)
    from indicators.so3.spi import _inverse_normal

    h = np.array([0.025, 0.975, 0.5, 0.0, 1.0, np.nan])
    _inverse_normal(h, "abramowitz_stegun")
    np.testing.assert_allclose(h[:2], [-1.960395, 1.960395], atol=2e-6)
    assert abs(h[2]) < 4.5e-4 and h[3] == -np.inf and h[4] == np.inf and np.isnan(h[5])


@pytest.mark.parametrize(("kwargs", "text"), [({"fit": "lmoments"}, "fit='lmoments'"),
                                               ({"zero_handling": "upper"}, "zero_handling='upper'"),
                                               ({"inverse_normal": "approx"}, "inverse_normal='approx'")])
def test_unknown_choices_are_refused(kwargs, text):
    precip = _december_series(CALIB)
    with pytest.raises(InputError, match=text):
        spi(precip, 1, (2000, 2009), **kwargs)

"""SPEI (Vicente-Serrano et al. 2010; Beguería et al. 2014): PWMs by hand, the fitted log-logistic against
numerical integration and scipy.stats.fisk, standardisation properties, missing rules, units, dask, NetCDF, errors."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr
from scipy import integrate, special, stats

import indicators
from indicators.errors import GridMismatchError, InputError, UnitError
from indicators.so3.spei import fit_spei, pwm_plotting_position, pwm_unbiased, spei, transform_spei
from indicators.so3.spi import spi


def _series(values, start="2000-01-01", units="mm/month", name=None):
    values = np.asarray(values, dtype="float64")
    t = pd.date_range(start, periods=values.shape[0], freq="MS")
    dims = ("time",) + tuple(f"d{i}" for i in range(values.ndim - 1))
    return xr.DataArray(values, dims=dims, coords={"time": t}, attrs={"units": units}, name=name)


def _december_pair(dec_balance, first_year=2000, pet_value=40.0):
    """Precipitation and PET whose December water balance is *dec_balance* (other months P = PET)."""
    n = len(dec_balance)
    pet = np.full(12 * n, pet_value)
    precip = pet.copy()
    precip[11::12] = np.asarray(dec_balance, dtype="float64") + pet_value
    return _series(precip, start=f"{first_year}-01-01"), _series(pet, start=f"{first_year}-01-01")


def _fit_december(sample, **kw):
    precip, pet = _december_pair(sample)
    last = 2000 + len(sample) - 1
    return fit_spei(precip, pet, 1, (2000, last), months=[12], **kw)


def _params(ds):
    return tuple(float(ds[v].squeeze()) for v in ("alpha", "beta", "gamma"))


# --------------------------------------------------------------------------- (1) the PWM estimator by hand
def test_unbiased_pwm_by_hand():
    """x = (3, 1, 4, 1, 5) sorted (1, 1, 3, 4, 5), N = 5.

    w0 = 14/5 = 2.8
    w1 = (1·4/4 + 1·3/4 + 3·2/4 + 4·1/4 + 5·0)/5 = 4.25/5 = 0.85
    w2 = (1·(4·3)/12 + 1·(3·2)/12 + 3·(2·1)/12 + 0 + 0)/5 = 2/5 = 0.4
    """
    np.testing.assert_allclose(pwm_unbiased(np.array([3.0, 1, 4, 1, 5])), [2.8, 0.85, 0.4], rtol=1e-14)


def test_plotting_position_pwm_by_hand():
    """F_i = (i − 0.35)/5 = .13 .33 .53 .73 .93, 1 − F = .87 .67 .47 .27 .07 over (1, 1, 3, 4, 5):
    w1 = (.87 + .67 + 1.41 + 1.08 + .35)/5 = 0.876; w2 = (.7569 + .4489 + .6627 + .2916 + .0245)/5 = 0.43692."""
    np.testing.assert_allclose(pwm_plotting_position(np.array([3.0, 1, 4, 1, 5])), [2.8, 0.876, 0.43692], rtol=1e-12)


def test_unbiased_pwm_is_the_mean_subset_minimum():
    """w_s = E[X (1 − F)^s] = E[min of s+1 draws]/(s+1); its U-statistic averages the minimum over all subsets."""
    x = np.random.default_rng(3).normal(size=9) * 10
    for s in range(3):
        mins = [min(c) for c in itertools.combinations(x, s + 1)]
        assert pwm_unbiased(x)[s] == pytest.approx(np.mean(mins) / (s + 1), rel=1e-12)
    # NaN are left out: the estimate is that of the valid values
    with_nan = np.concatenate([x[:4], [np.nan], x[4:]])
    np.testing.assert_allclose(pwm_unbiased(with_nan), pwm_unbiased(x), rtol=1e-14)


def test_fit_by_hand():
    """(3, 1, 4, 1, 5): β = (1.7 − 2.8)/(5.1 − 2.8 − 2.4) = 11; g = Γ(1 + 1/11)Γ(1 − 1/11) = (π/11)/sin(π/11);
    α = (2.8 − 1.7)·11/g = 12.1/g; γ = 2.8 − αg = −9.3."""
    ds = _fit_december([3, 1, 4, 1, 5])
    g = (math.pi / 11) / math.sin(math.pi / 11)
    alpha, beta, gamma = _params(ds)
    assert beta == pytest.approx(11.0, rel=1e-12)
    assert alpha == pytest.approx(12.1 / g, rel=1e-12)
    assert gamma == pytest.approx(-9.3, rel=1e-12)
    assert int(ds["n_valid"].squeeze()) == 5
    # the plotting-position variant: β = (2·.876 − 2.8)/(6·.876 − 2.8 − 6·.43692)
    pp = _fit_december([3, 1, 4, 1, 5], pwm="plotting_position")
    assert float(pp["beta"].squeeze()) == pytest.approx((2 * 0.876 - 2.8) / (6 * 0.876 - 2.8 - 6 * 0.43692), rel=1e-10)


# --------------------------------------------------------------------------- (2) the fit reproduces the sample PWMs
def _quantile(F, alpha, beta, gamma):
    return gamma + alpha * (F / (1.0 - F)) ** (1.0 / beta)


def _theoretical_pwm(s, alpha, beta, gamma):
    f = lambda F: _quantile(F, alpha, beta, gamma) * (1.0 - F) ** s  # noqa: E731
    # x(F) has an integrable end-point singularity ((1 − F)^(−1/β) for β > 0, F^(1/β) for β < 0) on which QUADPACK
    # may warn that it cannot prove 1e-13; the 1e-8 comparison below is the check
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        parts = [integrate.quad(f, a, b, limit=200, epsabs=0, epsrel=1e-13)[0] for a, b in ((0, 0.5), (0.5, 1))]
    return sum(parts)


@pytest.mark.parametrize(
    "sample",
    [
        [-12.0, 3.5, 40.1, -30.2, 8.0, 15.5, 77.0, -2.0, 21.0, 5.5, 0.0, 11.0],  # positive L-skewness: β > 1
        [12.0, -3.5, -40.1, 30.2, -8.0, -15.5, -77.0, 2.0, -21.0, -5.5, 0.0, -11.0],  # mirrored: β < −1
    ],
)
def test_fitted_distribution_reproduces_the_sample_pwms(sample):
    ds = _fit_december(sample)
    alpha, beta, gamma = _params(ds)
    assert abs(beta) > 1
    want = pwm_unbiased(np.array(sample))
    got = [_theoretical_pwm(s, alpha, beta, gamma) for s in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-8)


# --------------------------------------------------------------------------- (3) the CDF is scipy's fisk
def test_cdf_is_scipy_fisk_for_both_signs_of_beta():
    rng = np.random.default_rng(11)
    for sign in (1.0, -1.0):
        sample = sign * stats.fisk(c=6.0, loc=-80.0, scale=100.0).rvs(size=30, random_state=rng)
        precip, pet = _december_pair(np.concatenate([sample, np.linspace(-150, 150, 31)]))
        ds = fit_spei(precip, pet, 1, (2000, 2029), months=[12])
        alpha, beta, gamma = _params(ds)
        assert np.sign(beta) == sign
        got = transform_spei(precip, pet, ds, clip=None, dtype="float64").sel(time=slice("2030", None))
        x = np.linspace(-150, 150, 31)
        if beta > 0:
            cdf = stats.fisk(c=beta, loc=gamma, scale=alpha).cdf(x)
        else:  # −X is log-logistic with shape −β, location −γ, scale −α
            cdf = stats.fisk(c=-beta, loc=-gamma, scale=-alpha).sf(-x)
        np.testing.assert_allclose(got.values, special.ndtri(cdf), rtol=1e-9, atol=1e-9)
        clipped = transform_spei(precip, pet, ds, dtype="float64").sel(time=slice("2030", None))
        np.testing.assert_allclose(clipped.values, np.clip(special.ndtri(cdf), -3.09, 3.09), rtol=1e-9, atol=1e-9)


def test_equals_the_generalized_logistic_fitted_by_l_moments():
    """Hosking's GLO fit (Hosking & Wallis 1997, A.7; what the R SPEI package does through lmomco parglo/cdfglo):
    k = −τ3, a = λ2 sin(kπ)/(kπ), ξ = λ1 − a(1/k − π/sin(kπ)); F = 1/(1 + e^−y), y = −ln(1 − k(x − ξ)/a)/k."""
    rng = np.random.default_rng(21)
    for sign in (1.0, -1.0):
        sample = sign * stats.fisk(c=4.0, loc=-30.0, scale=60.0).rvs(size=25, random_state=rng)
        w0, w1, w2 = pwm_unbiased(sample)
        l1, l2, l3 = w0, w0 - 2 * w1, w0 - 6 * w1 + 6 * w2
        k = -l3 / l2
        a = l2 * np.sin(k * np.pi) / (k * np.pi)
        xi = l1 - a * (1 / k - np.pi / np.sin(k * np.pi))
        x = np.quantile(sample, [0.02, 0.3, 0.5, 0.8, 0.97])
        y = -np.log(1 - k * (x - xi) / a) / k
        precip, pet = _december_pair(np.concatenate([sample, x]))
        got = spei(precip, pet, 1, (2000, 2024), month=12, clip=None, dtype="float64").values.ravel()[-5:]
        np.testing.assert_allclose(got, special.ndtri(special.expit(y)), rtol=1e-9, atol=1e-9)


def test_outside_the_fitted_support():
    """β > 0: below the lower bound γ, F = 0 → −inf (clipped to −clip); β < 0: above the upper bound, F = 1 → +inf."""
    for sign in (1.0, -1.0):
        sample = sign * np.array([3.0, 1, 4, 1, 5])  # γ = ±(−9.3) (test_fit_by_hand)
        precip, pet = _december_pair(np.concatenate([sample, [-sign * 20.0]]))
        ds = _fit_december(sample)
        assert float(ds["gamma"].squeeze()) == pytest.approx(-9.3 * sign, rel=1e-12)
        raw = transform_spei(precip, pet, ds, clip=None, dtype="float64").values.ravel()
        assert raw[-1] == -sign * np.inf
        assert transform_spei(precip, pet, ds).values.ravel()[-1] == np.float32(-sign * 3.09)


def test_symmetric_sample_gives_the_logistic_limit():
    """τ3 = 0: the log-logistic tends to the logistic with location λ1 = 30 and scale λ2 = w0 − 2w1 = 30 − 2·10 = 10."""
    ds = _fit_december([10, 20, 30, 40, 50])
    assert np.isfinite(_params(ds)).all()
    x = np.array([35.0, 5.0, 60.0, 99.0, -39.0])  # up to SPEI ±3.09 (logit F = ±6.9)
    precip, pet = _december_pair(np.concatenate([[10, 20, 30, 40, 50], x]))
    got = transform_spei(precip, pet, ds, clip=None, dtype="float64").values.ravel()[-5:]
    np.testing.assert_allclose(got, special.ndtri(special.expit((x - 30.0) / 10.0)), rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- (4) standardisation properties
def test_long_loglogistic_sample_is_standard_normal_and_monotone():
    rng = np.random.default_rng(5)
    years = 1500
    d = stats.fisk(c=7.0, loc=-60.0, scale=90.0).rvs(size=12 * years, random_state=rng)
    d += np.tile(np.arange(12) * 5.0, years)  # a seasonal cycle: each month has its own fit
    pet = np.full(d.size, 50.0)
    precip, pet = _series(d + pet, start="1000-01-01"), _series(pet, start="1000-01-01")
    out = spei(precip, pet, 1, (1000, 1000 + years - 1), dtype="float64", clip=None)
    v = out.values
    assert abs(v.mean()) < 0.03 and abs(v.std() - 1.0) < 0.03
    for m in (1, 7):
        sel = out.time.dt.month.values == m
        order = np.argsort(d[sel])
        assert np.all(np.diff(v[sel][order]) >= 0)
        assert abs(stats.skew(v[sel])) < 0.15


# --------------------------------------------------------------------------- (5) missing values
def test_missing_month_gives_missing_windows_only():
    rng = np.random.default_rng(2)
    precip = rng.gamma(2.0, 40.0, 12 * 12)
    pet = rng.gamma(4.0, 15.0, 12 * 12)
    precip[30] = np.nan
    out = spei(_series(precip), _series(pet), 3, (2000, 2011), dtype="float64")
    missing = np.flatnonzero(np.isnan(out.values))
    np.testing.assert_array_equal(missing, [0, 1, 30, 31, 32])  # the first two lack history; 30..32 contain month 30


@pytest.mark.parametrize(
    "sample",
    [
        [5.0] * 8,  # constant
        [np.nan] * 6 + [1.0, 2.0],  # too few valid values (2 < 3)
        [0.0, 0.0, 0.0, 0.0, 1.0],  # N − 1 equal values and one more: τ3 = 1, β = 1, Γ(1 − 1/β) undefined
    ],
)
def test_unfittable_calibration_gives_missing_not_zero(sample):
    ds = _fit_december(sample)
    assert np.isnan(_params(ds)).all()
    precip, pet = _december_pair(sample)
    out = spei(precip, pet, 1, (2000, 2000 + len(sample) - 1), month=12)
    assert np.isnan(out.values).all()


def test_min_values_and_its_min_nonzero_alias():
    sample = [1.0, 4.0, 2.0, 8.0, 5.0, 7.0]
    assert np.isnan(_params(_fit_december(sample, min_values=7))).all()
    assert np.isnan(_params(_fit_december(sample, min_nonzero=7))).all()
    assert np.isfinite(_params(_fit_december(sample, min_nonzero=6))).all()
    # zero and negative balances count as valid values (no zero class in a water balance)
    assert np.isfinite(_params(_fit_december([0.0, -4.0, 0.0, 8.0, -5.0, 7.0], min_values=6))).all()


# --------------------------------------------------------------------------- (6) units
def test_pet_in_mm_per_day_equals_mm_per_month():
    rng = np.random.default_rng(8)
    n = 12 * 15
    precip = _series(rng.gamma(2.0, 40.0, n))
    pet_month = rng.gamma(4.0, 15.0, n)
    days = precip.time.dt.days_in_month.values
    want = spei(precip, _series(pet_month), 6, (2000, 2014), dtype="float64")
    got = spei(precip, _series(pet_month / days, units="mm/day"), 6, (2000, 2014), dtype="float64")
    np.testing.assert_allclose(got.values, want.values, rtol=0, atol=1e-10)
    # kg m-2 s-1 (1 kg m-2 of water is 1 mm), PET given by pet_units=
    flux = _series(precip.values / (days * 86400.0), units="kg m-2 s-1")
    got = spei(flux, _series(pet_month / days, units="K"), 6, (2000, 2014), pet_units="mm d-1", dtype="float64")
    np.testing.assert_allclose(got.values, want.values, rtol=0, atol=1e-10)
    assert got.attrs["input_units"] == "kg m-2 s-1" and got.attrs["pet_input_units"] == "mm d-1"


def test_pint_quantified_inputs():
    pint_xarray = pytest.importorskip("pint_xarray", reason="requires optional dependency pint-xarray")  # noqa: F841
    rng = np.random.default_rng(9)
    precip = _series(rng.gamma(2.0, 40.0, 12 * 8), units="mm")
    pet = _series(rng.gamma(4.0, 15.0, 12 * 8) / 30.0, units="mm/d")
    want = spei(precip, pet, 3, (2000, 2007), dtype="float64")
    got = spei(precip.pint.quantify(), pet.pint.quantify(), 3, (2000, 2007), dtype="float64")
    np.testing.assert_array_equal(got.values, want.values)


def test_units_errors():
    p, e = _december_pair([3, 1, 4, 1, 5])
    with pytest.raises(UnitError, match="PET"):
        spei(p, e, 1, (2000, 2004), pet_units="degC")
    with pytest.raises(UnitError, match="PET has no units"):
        spei(p, e.assign_attrs(units=""), 1, (2000, 2004))
    with pytest.raises(UnitError, match="does not parse"):
        spei(p, e, 1, (2000, 2004), units="bananas per fortnight")


# --------------------------------------------------------------------------- (7) dask and (8) NetCDF
def _cube(ny=3, nx=5, years=14, seed=1, crs=True):
    rng = np.random.default_rng(seed)
    nt = 12 * years
    t = pd.date_range("1998-01-01", periods=nt, freq="MS")
    coords = {"time": t, "y": np.arange(ny)[::-1] + 0.5, "x": np.arange(nx) + 0.5}
    p = xr.DataArray(rng.gamma(1.5, 50.0, (nt, ny, nx)), dims=("time", "y", "x"), coords=coords, attrs={"units": "mm"}, name="precip")
    e = xr.DataArray(rng.gamma(6.0, 10.0, (nt, ny, nx)), dims=("time", "y", "x"), coords=coords, attrs={"units": "mm"}, name="pet")
    p[5, 1, 2] = np.nan
    if crs:
        p, e = p.rio.write_crs("EPSG:4326"), e.rio.write_crs("EPSG:4326")
    return p, e


def test_dask_equals_numpy_and_stays_lazy():
    p, e = _cube()
    want = spei(p, e, 3, (1999, 2010))
    lazy = spei(p.chunk({"time": -1, "x": 2}), e.chunk({"time": -1, "x": 3}), 3, (1999, 2010))
    assert lazy.chunks is not None
    np.testing.assert_array_equal(lazy.values, want.values)
    params = fit_spei(p, e, 3, (1999, 2010))
    lazy_params = fit_spei(p.chunk({"time": -1, "y": 1}), e.chunk({"time": -1, "y": 1}), 3, (1999, 2010))
    xr.testing.assert_identical(lazy_params.compute(), params)
    got = transform_spei(p.chunk({"time": -1, "y": 2}), e, lazy_params)
    np.testing.assert_array_equal(got.values, want.values)


def test_fit_netcdf_transform_equals_spei(tmp_path):
    p, e = _cube()
    want = spei(p, e, 3, (1999, 2010), month=12)
    params = fit_spei(p, e, 3, (1999, 2010), months=[12])
    path = tmp_path / "spei_params.nc"
    params.to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as back:
        got = transform_spei(p, e, back.load())
    xr.testing.assert_identical(got, want)


def test_output_is_shaped_like_spi_with_cf_attrs():
    p, e = _cube()
    # the runner's call: the SPI parameter block's names, units given explicitly, dtype as a string
    out = indicators.spei(p, e, scale=12, calibration=(1999, 2010), month=12, clip=3.09, min_nonzero=10,
                          units="mm", pet_units="mm", dtype="float32")
    ref = spi(p, scale=12, calibration=(1999, 2010), month=12, min_nonzero=10)
    assert out.dims == ref.dims and out.shape == ref.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out.time.values, ref.time.values)
    assert out.rio.crs == p.rio.crs
    assert out.attrs["units"] == "1" and out.name == "spei"
    assert out.attrs["long_name"] == "Standardized Precipitation-Evapotranspiration Index (SPEI-12)"
    assert out.attrs["distribution"].startswith("log-logistic")
    assert "unbiased probability-weighted moments" in out.attrs["fitting_method"]
    assert out.attrs["calibration_period"] == "1999-2010" and out.attrs["clip"] == "[-3.09, 3.09]"
    assert np.nanmax(np.abs(out.values)) <= np.float32(3.09)
    # time labels of PET may differ within the month (mid-month stamps): same months, precipitation's labels
    e_mid = e.assign_coords(time=e.time + pd.Timedelta(days=14))
    np.testing.assert_array_equal(spei(p, e_mid, 12, (1999, 2010), month=12).values, out.values)


# --------------------------------------------------------------------------- (9) errors
def test_grid_and_time_mismatches_are_named():
    p, e = _cube()
    with pytest.raises(GridMismatchError, match="precipitation.*PET"):
        spei(p, e.assign_coords(x=e.x + 0.5), 3, (1999, 2010))
    with pytest.raises(GridMismatchError, match="precipitation.*PET"):
        spei(p, e.isel(x=slice(0, 4)), 3, (1999, 2010))
    with pytest.raises(GridMismatchError, match="precipitation.*PET"):
        spei(p, e.rio.write_crs("EPSG:3857"), 3, (1999, 2010))
    bare_p, bare_e = _cube(crs=False)
    with pytest.raises(GridMismatchError, match="'x' coordinates differ"):
        spei(bare_p, bare_e.assign_coords(x=bare_e.x + 0.5), 3, (1999, 2010))
    with pytest.raises(InputError, match="precipitation and PET cover different months.*1998-01.*1998-02"):
        spei(p, e.isel(time=slice(1, None)), 3, (1999, 2010))
    with pytest.raises(InputError, match="PET has no 'time'"):
        spei(p, e.isel(time=0), 3, (1999, 2010))


def test_argument_errors():
    p, e = _december_pair([3, 1, 4, 1, 5])
    for scale in (0, 49, 2.5):
        with pytest.raises(InputError, match="scale"):
            spei(p, e, scale, (2000, 2004))
    with pytest.raises(InputError, match="at least 3"):
        spei(p, e, 1, (2000, 2004), min_values=2)
    with pytest.raises(InputError, match="disagree"):
        spei(p, e, 1, (2000, 2004), min_values=5, min_nonzero=6)
    with pytest.raises(InputError, match="pwm"):
        spei(p, e, 1, (2000, 2004), pwm="moments")
    with pytest.raises(InputError, match="month= or months="):
        spei(p, e, 1, (2000, 2004), month=12, months=[12])
    with pytest.raises(InputError, match="calibration"):
        spei(p, e, 1, (1950, 1960))
    params = fit_spei(p, e, 1, (2000, 2004), months=[12])
    with pytest.raises(InputError, match="not \\[1\\]"):
        transform_spei(p, e, params, months=[1])
    with pytest.raises(InputError, match="fit_spei"):
        transform_spei(p, e, params.drop_vars("gamma"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="cover only"):
            spei(p, e, 1, (1999, 2004))

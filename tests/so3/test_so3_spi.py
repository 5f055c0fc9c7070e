"""SPI (methodology D5, Part B §4): reference data, hand-checked micro-cases, edge cases, dask."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

import indicators
from indicators.errors import GridMismatchError, InputError, UnitError
from indicators.so3.spi import fit_spi, precipitation_to_mm, spi, transform_spi


def _series(values, start="1895-01-01", units="mm"):
    values = np.asarray(values, dtype="float64")
    t = pd.date_range(start, periods=values.shape[0], freq="MS")
    dims = ("time",) + tuple(f"d{i}" for i in range(values.ndim - 1))
    return xr.DataArray(values, dims=dims, coords={"time": t}, attrs={"units": units})


@pytest.fixture(scope="module")
def reference(spi_reference_dir):
    ref = spi_reference_dir
    precip = np.load(ref / "precips_mm_monthly.npy").ravel()
    return _series(precip), {1: np.load(ref / "spi_01_gamma.npy"), 6: np.load(ref / "spi_06_gamma.npy")}


@pytest.mark.parametrize("scale", [1, 6])
def test_reproduces_climate_indices_reference(reference, scale):
    precip, expected = reference
    # the fixtures were calibrated on the full record 1895-2017 (spi_reference/README.md)
    got = indicators.spi(precip, scale, (1895, 2017), dtype="float64")
    np.testing.assert_array_equal(np.isnan(got.values), np.isnan(expected[scale]))
    np.testing.assert_allclose(got.values, expected[scale], atol=1e-6, equal_nan=True)
    # the default float32 output stays within the same tolerance
    got32 = indicators.spi(precip, scale, (1895, 2017))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32.values, expected[scale], atol=1e-6, equal_nan=True)


def test_december_spi12_and_calibration_window(reference):
    """Derived values of Part B §4.4 (December SPI-12 for both calibration windows)."""
    precip, _ = reference
    years = [2000, 2001, 2002, 2004, 2008, 2014, 2016]
    full = [-0.5315, 0.8275, -0.0413, -1.6693, -1.0716, -1.4689, -0.6749]
    wmo = [-0.5243, 0.9322, 0.0010, -1.7436, -1.1031, -1.5288, -0.6780]
    for cal, want in [((1895, 2017), full), ((1981, 2010), wmo)]:
        dec = spi(precip, 12, cal, month=12)
        assert list(np.unique(dec.time.dt.month)) == [12]
        got = dec.sel(time=dec.time.dt.year.isin(years)).values
        np.testing.assert_allclose(got, want, atol=6e-5)


def test_december_path_equals_full_series(reference):
    precip, _ = reference
    full = spi(precip, 12, (1981, 2010))
    dec = spi(precip, 12, (1981, 2010), months=[12])
    np.testing.assert_array_equal(full.sel(time=full.time.dt.month == 12).values, dec.values)
    params = fit_spi(precip, 12, (1981, 2010), months=12)
    assert params.sizes["month"] == 1


def _december_series(dec_values, first_year=2000, other=1.0):
    """Monthly series whose December values are *dec_values* (other months *other*)."""
    n = len(dec_values)
    values = np.full(12 * n, other)
    values[11::12] = dec_values
    return _series(values, start=f"{first_year}-01-01")


def test_micro_case_thom_fit():
    """x = [10, 20, 30, 40, 50]: A = 0.1411139, alpha = 3.702724, beta = 8.102143 (Part B §4.4)."""
    precip = _december_series([10, 20, 30, 40, 50, 5, 30, 60])
    params = fit_spi(precip, 1, (2000, 2004), months=[12])
    assert params["alpha"].item() == pytest.approx(3.702724, rel=1e-6)
    assert params["beta"].item() == pytest.approx(8.102143, rel=1e-6)
    assert params["q"].item() == 0.0
    assert params["n_nonzero"].item() == 5
    out = transform_spi(precip, params, dtype="float64")
    got = out.sel(time=out.time.dt.year >= 2005).values
    # G(5) = 0.0066863, G(30) = 0.569148, G(60) = 0.952602 → SPI = Φ⁻¹(G)
    want = stats.norm.ppf([0.0066863, 0.569148, 0.952602])
    np.testing.assert_allclose(got, want, atol=1e-4)
    np.testing.assert_allclose(got, [-2.4737, 0.1742, 1.6706], atol=1e-4)


def test_micro_case_zeros():
    """x = [0, 0, 10, 20, 30, 40, 50, 0, 25, 35]: q = 0.3, alpha = 4.931296, beta = 6.083593."""
    calib = [0, 0, 10, 20, 30, 40, 50, 0, 25, 35]
    precip = _december_series(calib + [0, 30])
    params = fit_spi(precip, 1, (2000, 2009), months=[12])
    assert params["q"].item() == pytest.approx(0.3)
    assert params["n_nonzero"].item() == 7
    assert params["alpha"].item() == pytest.approx(4.931296, rel=1e-6)
    assert params["beta"].item() == pytest.approx(6.083593, rel=1e-6)
    out = transform_spi(precip, params, dtype="float64").values
    assert out[-2] == pytest.approx(stats.norm.ppf(0.3), abs=1e-9)  # SPI(0) = Φ⁻¹(q)
    assert out[-2] == pytest.approx(-0.5244, abs=1e-4)
    assert out[-1] == pytest.approx(0.5014, abs=1e-4)


@pytest.mark.parametrize(
    "calib",
    [[0.0] * 6, [0, 0, 0, 0, 0, 7.0], [5.0, 5.0, 5.0, 0, 5.0, 5.0]],
    ids=["all-zero", "one-non-zero", "all-equal"],
)
def test_unfittable_calibration_gives_missing(calib):
    precip = _december_series(calib + [0.0, 3.0])
    params = fit_spi(precip, 1, (2000, 2005), months=[12])
    assert np.isnan(params["alpha"].item()) and np.isnan(params["beta"].item())
    out = transform_spi(precip, params)
    assert np.isnan(out.values).all()  # missing, never zero (D5)


def test_min_nonzero_is_a_parameter():
    precip = _december_series([1.0, 2.0, 3.0, 0, 0, 0, 2.0])
    ok = fit_spi(precip, 1, (2000, 2005), months=[12], min_nonzero=3)
    assert np.isfinite(ok["alpha"].item())
    refused = fit_spi(precip, 1, (2000, 2005), months=[12], min_nonzero=4)
    assert np.isnan(refused["alpha"].item())
    assert refused.attrs["min_nonzero"] == 4


def test_zero_without_zeros_in_calibration_is_clipped():
    precip = _december_series([10, 20, 30, 40, 50, 0.0])
    params = fit_spi(precip, 1, (2000, 2004), months=[12])
    assert transform_spi(precip, params).values[-1] == pytest.approx(-3.09)
    assert transform_spi(precip, params, clip=None).values[-1] == -np.inf


def test_missing_month_in_window_gives_missing():
    rng = np.random.default_rng(1)
    values = rng.gamma(2.0, 30.0, 12 * 20)
    values[100] = np.nan
    out = spi(_series(values, start="1990-01-01"), 3, (1990, 2009), dtype="float64").values
    assert np.isnan(out[:2]).all()  # the first scale - 1 months have no full window
    assert np.isnan(out[100:103]).all()
    assert np.isfinite(out[2:100]).all() and np.isfinite(out[103:]).all()


def _grid(seed=0, ny=3, nx=4, years=40, zeros=0.15, nan_cells=True):
    rng = np.random.default_rng(seed)
    values = rng.gamma(1.5, 40.0, (12 * years, ny, nx))
    values[rng.random(values.shape) < zeros] = 0.0
    values[:, 0, 0] = 0.0  # an all-zero cell
    if nan_cells:
        values[:, 1, 1] = np.nan
        values[50, 2, 3] = np.nan
    t = pd.date_range("1975-01-01", periods=values.shape[0], freq="MS")
    return xr.DataArray(
        values,
        dims=("time", "y", "x"),
        coords={"time": t, "y": np.arange(ny) + 0.5, "x": np.arange(nx) + 0.5},
        attrs={"units": "mm"},
    )


@pytest.mark.parametrize("months", [None, [12]])
def test_numpy_and_dask_identical(months):
    precip = _grid()
    eager = spi(precip, 12, (1981, 2010), months=months)
    lazy = spi(precip.chunk({"time": -1, "y": 2, "x": 3}), 12, (1981, 2010), months=months)
    assert lazy.chunks is not None  # lazy in, lazy out
    np.testing.assert_array_equal(eager.values, lazy.values)
    assert eager.dims == ("time", "y", "x") and lazy.dims == eager.dims
    np.testing.assert_array_equal(eager.x.values, precip.x.values)


@pytest.mark.parametrize("months", [None, [12], [3, 12]])
def test_fused_spi_equals_fit_then_transform(months):
    precip = _grid()
    for data in (precip, precip.chunk({"time": -1, "y": 2})):
        fused = spi(data, 6, (1981, 2010), months=months)
        staged = transform_spi(data, fit_spi(data, 6, (1981, 2010), months=months))
        np.testing.assert_array_equal(fused.values, staged.values)
        assert fused.attrs == staged.attrs


def test_time_chunks_are_rechunked_with_a_message():
    precip = _grid(nan_cells=False)
    eager = spi(precip, 3, (1981, 2010))
    with pytest.warns(UserWarning, match="whole time axis"):
        lazy = spi(precip.chunk({"time": 100, "y": 2}), 3, (1981, 2010))
    np.testing.assert_array_equal(eager.values, lazy.values)


@pytest.mark.parametrize("engine", ["h5netcdf", "netcdf4"])
def test_fit_round_trips_through_netcdf(tmp_path, engine):
    if engine == "h5netcdf":
        pytest.importorskip("h5py", reason="requires optional dependency h5py (h5netcdf's writer)")
    precip = _grid(nan_cells=False)
    params = fit_spi(precip, 6, (1981, 2010))
    path = tmp_path / "spi_fit.nc"
    params.to_netcdf(path, engine=engine)
    with xr.open_dataset(path, engine=engine) as stored:
        stored = stored.load()
    assert stored.attrs["spi_scale_months"] == 6
    assert stored.attrs["calibration_start_year"] == 1981
    # transform later, on new data only, without refitting: the last 3 years plus 5 months of lead-in
    recent = precip.isel(time=slice(-41, None))
    later = transform_spi(recent, stored)
    direct = transform_spi(precip, params).isel(time=slice(-36, None))
    np.testing.assert_array_equal(later.isel(time=slice(5, None)).values, direct.values)


@pytest.mark.parametrize(
    ("units", "convert"),
    [
        ("m", lambda mm, days: mm / 1000.0),
        ("mm/month", lambda mm, days: mm),
        ("mm/day", lambda mm, days: mm / days),
        ("kg m-2 s-1", lambda mm, days: mm / (days * 86400.0)),
        ("kg m-2", lambda mm, days: mm),
    ],
)
def test_units_are_converted_at_the_boundary(units, convert):
    precip = _grid(nan_cells=False, ny=2, nx=2)
    days = precip.time.dt.days_in_month.values[:, None, None]
    other = precip.copy(data=convert(precip.values, days))
    other.attrs["units"] = units
    a = spi(precip, 12, (1981, 2010), dtype="float64")
    b = spi(other, 12, (1981, 2010), dtype="float64")
    np.testing.assert_allclose(a.values, b.values, atol=1e-9, equal_nan=True)
    assert b.attrs["input_units"] == units


def test_pint_quantified_input():
    import pint_xarray  # noqa: F401  (registers .pint)
    precip = _grid(nan_cells=False, ny=1, nx=2)
    per_day = precip / precip.time.dt.days_in_month
    per_day.attrs["units"] = "mm/day"
    quantified = per_day.pint.quantify()
    np.testing.assert_allclose(
        spi(quantified, 6, (1981, 2010), dtype="float64").values, spi(precip, 6, (1981, 2010), dtype="float64").values, atol=1e-9
    )


def test_flux_factor_uses_days_of_each_month():
    f = precipitation_to_mm("kg m-2 s-1", np.array([31, 28, 30]))
    np.testing.assert_allclose(f, [31 * 86400.0, 28 * 86400.0, 30 * 86400.0])


def test_errors_name_the_problem():
    precip = _grid(nan_cells=False, ny=1, nx=1)
    with pytest.raises(UnitError, match="no units"):
        spi(precip.assign_attrs(units=""), 12)
    with pytest.raises(UnitError):
        spi(precip.assign_attrs(units="kg"), 12)
    with pytest.raises(InputError, match="1 to 48"):
        spi(precip, 49)
    with pytest.raises(InputError, match="consecutive months"):
        spi(precip.isel(time=[0, 1, 3, 4] + list(range(5, 200))), 1, (1975, 1990))
    with pytest.raises(InputError, match="negative"):
        spi(precip.where(precip.time != precip.time[30], -1.0), 1)
    with pytest.raises(InputError, match="calibration"):
        spi(precip, 12, (1900, 1950))


def test_parameters_must_match_the_grid():
    precip = _grid(nan_cells=False)
    params = fit_spi(precip, 3, (1981, 2010))
    with pytest.raises(GridMismatchError, match="same grid"):
        transform_spi(precip.assign_coords(x=precip.x + 10.0), params)
    with pytest.raises(GridMismatchError, match="same grid"):
        transform_spi(precip.rename({"x": "lon"}), params)
    with pytest.raises(InputError, match="fit those months"):
        transform_spi(precip, fit_spi(precip, 3, (1981, 2010), months=[12]), months=[1])


def test_partial_calibration_is_recorded():
    precip = _grid(nan_cells=False, ny=1, nx=1)  # 1975-2014
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = spi(precip, 1, (2000, 2020))
    assert any("calibration period" in str(w.message) for w in caught)
    assert out.attrs["calibration_years_available"] == "2000-2014"


def test_scale_48_is_supported():
    precip = _grid(nan_cells=False, ny=1, nx=2)
    out = spi(precip, 48, (1981, 2010)).isel(y=0)
    assert np.isnan(out.values[:47]).all()
    assert np.isfinite(out.values[47:, 1]).all()
    assert np.isnan(out.values[:, 0]).all()  # the all-zero cell cannot be fitted


def test_provenance_attributes():
    out = spi(_grid(nan_cells=False, ny=1, nx=1), 12, (1981, 2010), month=12)
    for key in ("distribution", "fitting_method", "calibration_period", "zero_handling", "clip", "inverse_normal"):
        assert key in out.attrs
    assert out.attrs["calibration_period"] == "1981-2010"
    assert out.attrs["units"] == "1" and "SPI-12" in out.attrs["long_name"]


def test_output_keeps_the_grid_and_crs():
    import rioxarray  # noqa: F401  (registers .rio)

    rng = np.random.default_rng(11)
    values = rng.gamma(2.0, 20.0, (12 * 35, 3, 4))
    t = pd.date_range("1980-01-01", periods=values.shape[0], freq="MS")
    precip = xr.DataArray(values, dims=("time", "y", "x"),
                          coords={"time": t, "y": [10.5, 10.0, 9.5], "x": [1.0, 1.5, 2.0, 2.5]},
                          attrs={"units": "mm"}).rio.write_crs("EPSG:4326")
    for out in (spi(precip, 12, (1981, 2010), month=12), transform_spi(precip, fit_spi(precip, 12, (1981, 2010)))):
        assert out.rio.crs is not None and out.rio.crs.to_epsg() == 4326
        np.testing.assert_array_equal(out["y"].values, precip["y"].values)
        assert out.dims == ("time", "y", "x")

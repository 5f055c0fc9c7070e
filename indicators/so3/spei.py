"""Standardized Precipitation-Evapotranspiration Index (SPEI): fit once, transform many times.

Method (Vicente-Serrano, Beguería & López-Moreno 2010, J. Climate 23, 1696–1718;
Beguería, Vicente-Serrano, Reig & Latorre 2014, Int. J. Climatol. 34, 3001–3023;
methodology Part A D5–D6 and Part B §3.2, §4 for what it shares with the SPI):

1. monthly climatic water balance ``D = P − PET`` in mm/month (both inputs go
   through the SPI's unit handling, each with its own units), accumulated over
   ``scale`` months (1–48); a missing month in the window gives a missing value.
   Negative and zero balances are normal;
2. for each calendar month, a 3-parameter log-logistic distribution is fitted
   to the calibration-year accumulations by probability-weighted moments (PWMs)
   ``w_s = E[X (1 − F(X))^s]``, s = 0, 1, 2 (Greenwood et al. 1979's α_s; the
   convention of Vicente-Serrano et al. 2010, eq. 5). With the sample sorted
   ascending ``x_(1) ≤ … ≤ x_(N)``:

   * unbiased estimator (default; Landwehr, Matalas & Wallis 1979, Hosking 1986,
     recommended by Beguería et al. 2014 and the default "ub-pwm" of the R SPEI
     package)::

         w_s = (1/N) Σ_i x_(i) · C(N − i, s) / C(N − 1, s)

     i.e. ``w_0 = mean``, ``w_1 = (1/N) Σ x_(i) (N − i)/(N − 1)``,
     ``w_2 = (1/N) Σ x_(i) (N − i)(N − i − 1)/((N − 1)(N − 2))``: the U-statistic
     of ``E[X (1 − F)^s]`` (x_(i) is exceeded by N − i of the others), which is
     ``b_0``, ``b_0 − b_1``, ``b_0 − 2b_1 + b_2`` in Hosking's ``b_r`` (F^r) form;
   * plotting-position estimator (Vicente-Serrano et al. 2010, eq. 5–6, with
     ``F_i = (i − 0.35)/N``): ``w_s = (1/N) Σ_i (1 − F_i)^s x_(i)``;

3. parameters (Vicente-Serrano et al. 2010, eq. 7–9; Singh et al. 1993)::

       β = (2w_1 − w_0) / (6w_1 − w_0 − 6w_2)
       α = (w_0 − 2w_1) β / (Γ(1 + 1/β) Γ(1 − 1/β))
       γ = w_0 − α Γ(1 + 1/β) Γ(1 − 1/β)

   These follow from the quantile function ``x(F) = γ + α (F/(1 − F))^{1/β}``:
   ``w_s = ∫₀¹ x(F)(1 − F)^s dF = γ/(s+1) + α Γ(1+1/β) Γ(s+1−1/β)/Γ(s+2)``; in
   L-moments ``β = λ2/λ3 = 1/τ3``. They hold for either sign of the sample
   L-skewness τ3: β < −1 (τ3 < 0, then α < 0) is the upper-bounded branch of
   the same family, the generalized logistic distribution that the R SPEI
   package fits (lmomco ``parglo``/``cdfglo``);
4. CDF ``F(x) = 1 / (1 + (α/(x − γ))^β)`` inside the support (x > γ when
   β > 0: below it F = 0; x < γ when β < 0: above it F = 1), evaluated as the
   logistic of ``β·ln((x − γ)/α)``;
5. ``SPEI = Φ⁻¹(F)`` with the exact inverse normal (:func:`scipy.special.ndtri`,
   evaluated on the smaller tail for precision), clipped to ``[−clip, clip]``.

A calendar month whose calibration sample cannot be fitted gives missing SPEI,
never zero: fewer valid values than ``min_values``, all values equal, or
``|β| ≤ 1`` (``|τ3| ≥ 1``: Γ(1 − 1/β) undefined or infinite mean; only a sample
of N − 1 equal values and one outlier reaches it). A perfectly symmetric sample
(τ3 = 0) has the logistic distribution as its limit, which (α, β, γ) cannot hold;
``|τ3|`` is floored at 1e-7 (``|β| ≤ 10⁷``), a log-logistic whose SPEI differs
from that limit by less than 1e-6 within ±3.09.

The fit sorts each calibration sample and sums its PWMs in a numba kernel
(:func:`_fit_kernel`), one cell-contiguous row per cell.

The fit (:func:`fit_spei`) is an :class:`xarray.Dataset` of per-cell,
per-month parameters that round-trips through NetCDF; :func:`transform_spei`
applies it without refitting; :func:`spei` does both in one fused pass. The
accumulation kernel and the block layout are the SPI's
(:mod:`indicators.so3.spi`): (time, cells) blocks holding the whole time axis,
vectorised over cells and dask-parallel over spatial chunks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import xarray as xr
from scipy import special

from ..errors import GridMismatchError, InputError, UnitError
from . import standardized as si
from .standardized import precipitation_to_mm

__all__ = ["spei", "fit_spei", "transform_spei", "pwm_unbiased", "pwm_plotting_position"]

_PARAM_VARS = ("alpha", "beta", "gamma", "n_valid")
_PWM_METHODS = ("unbiased", "plotting_position")
#: Smallest sample size for which the three unbiased PWMs exist (C(N − 1, 2) > 0).
_MIN_VALUES = 3
#: |τ3| floor: below it the fit is replaced by the log-logistic of L-skewness ±1e-7 (see module docstring):
#: its distance from the logistic limit (~τ3·y²/2 in y = logit F) and the rounding of γ ≈ −λ2/τ3 balance there.
_TAU3_FLOOR = 1e-7
#: |τ3| at or above this is |β| ≤ 1 up to rounding: unfittable.
_TAU3_CEIL = 1.0 - 1e-9
_DISTRIBUTION = "log-logistic (3-parameter; generalized logistic branch for negative skewness)"
_FIT_METHODS = {
    "unbiased": "unbiased probability-weighted moments (Hosking 1986; Beguería et al. 2014), per calendar month",
    "plotting_position": "probability-weighted moments with plotting positions (i - 0.35)/N (Vicente-Serrano et al. 2010), per calendar month",
}
_REFERENCES = (
    "Vicente-Serrano, Beguería & López-Moreno (2010) J. Climate 23, 1696-1718; "
    "Beguería, Vicente-Serrano, Reig & Latorre (2014) Int. J. Climatol. 34, 3001-3023; "
    "Hosking (1986) IBM Research Report RC12210; unccd-indicators methodology Part A D5-D6, Part B sections 3.2 and 4"
)


# --------------------------------------------------------------------------- estimators
def _sorted_rows(sample: np.ndarray) -> np.ndarray:
    """(values, cells) → (cells, values), each row sorted ascending with NaN last.

    A contiguous row per cell: numpy sorts those several times faster than columns."""
    rows = np.ascontiguousarray(np.asarray(sample, dtype="float64").T)
    rows.sort(axis=1)
    return rows


@numba.njit(nogil=True, cache=True)
def _valid_count(row):  # pragma: no cover - compiled
    """Number of leading non-NaN values of a row sorted with NaN last."""
    n = row.shape[0]
    while n > 0 and np.isnan(row[n - 1]):
        n -= 1
    return n


@numba.njit(nogil=True, cache=True)
def _row_pwms(x, n, unbiased, shift):  # pragma: no cover - compiled
    """w_0, w_1, w_2 of the sorted values x[:n] − shift (n ≥ 3): unbiased or plotting-position weights."""
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    for k in range(n):
        i = k + 1.0
        if unbiased:  # C(n − i, 1)/C(n − 1, 1) and C(n − i, 2)/C(n − 1, 2)
            w1 = (n - i) / (n - 1.0)
            w2 = w1 * (n - i - 1.0) / (n - 2.0)
        else:  # (1 − F_i)^s, F_i = (i − 0.35)/n
            w1 = 1.0 - (i - 0.35) / n
            w2 = w1 * w1
        v = x[k] - shift
        a0 += v
        a1 += v * w1
        a2 += v * w2
    return a0 / n, a1 / n, a2 / n


@numba.njit(nogil=True, cache=True)
def _pwm_kernel(rows, unbiased):  # pragma: no cover - compiled
    """(3, cells) PWMs of each sorted row (cells, values); NaN where fewer than 3 valid values."""
    out = np.full((3, rows.shape[0]), np.nan)
    for c in range(rows.shape[0]):
        n = _valid_count(rows[c])
        if n >= _MIN_VALUES:
            a0, a1, a2 = _row_pwms(rows[c], n, unbiased, 0.0)
            out[0, c] = a0
            out[1, c] = a1
            out[2, c] = a2
    return out


@numba.njit(nogil=True, cache=True)
def _fit_kernel(rows, min_values, unbiased, out):  # pragma: no cover - compiled
    """PWM log-logistic fit of each sorted row of *rows* (cells, years) into *out* (4, cells): α, β, γ, n_valid.

    L-moment form of the w-formulas: λ2 = w0 − 2w1, λ3 = w0 − 6w1 + 6w2, β = λ2/λ3 = 1/τ3,
    α = λ2 β/g, γ = w0 − αg, g = Γ(1 + 1/β)Γ(1 − 1/β). The unbiased PWMs are taken of the
    centred sample (their weights sum to N/(s+1), so λ2 and λ3 are shift-invariant and lose less
    to cancellation); the plotting-position ones are not shift-invariant and see the raw values.
    """
    for c in range(rows.shape[0]):
        x = rows[c]
        n = _valid_count(x)
        out[3, c] = n
        out[0, c] = np.nan
        out[1, c] = np.nan
        out[2, c] = np.nan
        if n < min_values or n < _MIN_VALUES or not x[n - 1] > x[0]:
            continue  # too few values, or all equal
        shift = 0.0
        if unbiased:
            for k in range(n):
                shift += x[k]
            shift /= n
        a0, a1, a2 = _row_pwms(x, n, unbiased, shift)
        l2 = a0 - 2.0 * a1
        l3 = a0 - 6.0 * a1 + 6.0 * a2
        if not l2 > 0.0:
            continue
        tau3 = l3 / l2
        if not abs(tau3) < _TAU3_CEIL:
            continue  # |β| ≤ 1: Γ(1 − 1/β) undefined or infinite mean
        r = tau3
        if abs(r) < _TAU3_FLOOR:  # (near-)symmetric: the logistic limit, floored (module docstring)
            r = -_TAU3_FLOOR if r < 0.0 else _TAU3_FLOOR
        g = math.gamma(1.0 + r) * math.gamma(1.0 - r)
        alpha = l2 / (g * r)
        gamma = shift + a0 - alpha * g
        if np.isfinite(alpha) and np.isfinite(gamma):
            out[0, c] = alpha
            out[1, c] = 1.0 / r
            out[2, c] = gamma


def _pwms(sample: np.ndarray, unbiased: bool) -> np.ndarray:
    x = np.asarray(sample, dtype="float64")
    return _pwm_kernel(_sorted_rows(x.reshape(x.shape[0], -1)), unbiased).reshape((3,) + x.shape[1:])


def pwm_unbiased(sample: np.ndarray) -> np.ndarray:
    """Unbiased PWMs ``w_s = E[X (1 − F)^s]``, s = 0, 1, 2, of each column of *sample*.

    ``w_s = (1/N) Σ_i x_(i) C(N − i, s)/C(N − 1, s)``, x ascending, NaN ignored
    (N counts the valid values of each column). Hosking (1986); Beguería et al. (2014).
    The same code as the SPEI fit uses.

    Parameters
    ----------
    sample : ndarray (n, …)
        Values along axis 0.

    Returns
    -------
    ndarray (3, …) of float64: w_0, w_1, w_2 (NaN where N < 3).
    """
    return _pwms(sample, True)


def pwm_plotting_position(sample: np.ndarray) -> np.ndarray:
    """PWMs ``w_s = (1/N) Σ_i (1 − F_i)^s x_(i)`` with ``F_i = (i − 0.35)/N`` (Vicente-Serrano et al. 2010, eq. 5–6).

    Same layout as :func:`pwm_unbiased`.
    """
    return _pwms(sample, False)


# --------------------------------------------------------------------------- kernels
def _balance(xp: np.ndarray, xe: np.ndarray, fp: np.ndarray, fe: np.ndarray) -> np.ndarray:
    """D = P·fp − PET·fe in mm/month, (time, cells) float64 and contiguous.

    Materialised once per cell block: the window sums then read contiguous rows, which measured
    faster than summing the two strided inputs separately even for December only."""
    d = np.multiply(xp, fp[:, None], dtype="float64")
    d -= xe * fe[:, None]
    return d


def _window_balance(d: np.ndarray, scale: int, targets: np.ndarray) -> np.ndarray:
    """(len(targets), cells) window sums of D; negative balances are normal, so the kernel's count is ignored."""
    return si.window_sums(d, np.ones(d.shape[0]), scale, targets)[0]


def _fit_cells(d: np.ndarray, scale: int, month_targets, min_values: int, pwm: str) -> np.ndarray:
    """(4, months, cells) parameters of one (time, cells) water-balance block."""
    out = np.empty((4, len(month_targets), d.shape[1]), dtype="float64")
    for j, targets in enumerate(month_targets):
        _fit_kernel(_sorted_rows(_window_balance(d, scale, targets)), min_values, pwm == "unbiased", out[:, j, :])
    return out


def _standardize(v: np.ndarray, alpha, beta, gamma, clip: float | None) -> np.ndarray:
    """SPEI of accumulations *v* (rows, cells) in place: Φ⁻¹(F), F = logistic(β ln((x − γ)/α))."""
    np.subtract(v, gamma, out=v)
    np.divide(v, alpha, out=v)  # > 0 inside the support, for either sign of β
    np.maximum(v, 0.0, out=v)  # outside: ln 0 = −inf → F = 0 (β > 0) or 1 (β < 0); NaN stays NaN
    np.log(v, out=v)
    np.multiply(v, beta, out=v)  # y = logit F
    # Φ⁻¹ of the smaller tail probability 1/(1 + e^|y|), then the sign of y: exact in both tails
    t = np.abs(v)
    np.exp(t, out=t)
    t += 1.0
    np.reciprocal(t, out=t)
    special.ndtri(t, out=t)
    np.copysign(t, v, out=v)
    if clip is not None:
        np.clip(v, -clip, clip, out=v)
    return v


def _transform_cells(d: np.ndarray, params, scale, targets, groups, clip, out):
    """Write the SPEI of one (time, cells) water-balance block into *out* (targets, cells)."""
    sums = _window_balance(d, scale, targets)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j, rows in groups:
            v = sums[rows]  # a view for slices, a copy for index arrays
            _standardize(v, params[0, j], params[1, j], params[2, j], clip)
            if not isinstance(rows, slice):
                sums[rows] = v
    out[...] = sums


def _blocks(pblock, eblock, fp, fe):
    """(column slice, D) per ≤ CELL_BLOCK cells of the two (…, time) blocks; the cell count; the spatial shape."""
    xp, spatial = si.as_cells(pblock)
    xe, _ = si.as_cells(eblock)

    def gen():
        for cols, xpb in si.cell_blocks(xp):
            yield cols, _balance(xpb, xe[:, cols], fp, fe)

    return gen(), xp.shape[1], spatial


def _fit_block(pblock, eblock, fp, fe, scale, month_targets, min_values, pwm):
    """Kernel of :func:`fit_spei`: two (…, time) blocks → (…, 4, months)."""
    gen, ncell, spatial = _blocks(pblock, eblock, fp, fe)
    out = np.empty((4, len(month_targets), ncell), dtype="float64")
    for cols, d in gen:
        out[:, :, cols] = _fit_cells(d, scale, month_targets, min_values, pwm)
    return si.fit_result(out, spatial)


def _transform_block(pblock, eblock, params, fp, fe, scale, targets, groups, clip, dtype):
    """Kernel of :func:`transform_spei`: (…, time) blocks and (…, 3, months) params → (…, targets)."""
    p = si.parameters_of_block(params)  # (3, months, cells)
    gen, ncell, spatial = _blocks(pblock, eblock, fp, fe)
    out = np.empty((len(targets), ncell), dtype=dtype)
    for cols, d in gen:
        _transform_cells(d, p[:, :, cols], scale, targets, groups, clip, out[:, cols])
    return si.block_result(out, spatial)


def _spei_block(pblock, eblock, fp, fe, scale, month_targets, min_values, pwm, targets, groups, clip, dtype):
    """Fused kernel of :func:`spei`: fit and transform each cell block while its inputs are in cache."""
    gen, ncell, spatial = _blocks(pblock, eblock, fp, fe)
    out = np.empty((len(targets), ncell), dtype=dtype)
    for cols, d in gen:
        params = _fit_cells(d, scale, month_targets, min_values, pwm)
        _transform_cells(d, params, scale, targets, groups, clip, out[:, cols])
    return si.block_result(out, spatial)


# --------------------------------------------------------------------------- checks
def _label(da: xr.DataArray, default: str) -> str:
    src = da.attrs.get("source")
    return f"{default} ({src})" if src else default


def _factors(da: xr.DataArray, units: str | None, days: np.ndarray, what: str) -> tuple[np.ndarray, str]:
    declared = units if units is not None else da.attrs.get("units")
    arg = "units=" if what == "precipitation" else "pet_units="
    if not declared:
        raise UnitError(f"{what} has no units: set attrs['units'] (e.g. 'mm', 'mm/month', 'mm/day', 'kg m-2 s-1') or pass {arg}")
    try:
        return precipitation_to_mm(str(declared), days), str(declared)
    except UnitError as exc:
        raise UnitError(f"{what}: {str(exc).replace('precipitation units', 'units').replace('units=', arg)}") from None


def _pet_time(pet: xr.DataArray, time_dim: str) -> tuple[np.ndarray, np.ndarray]:
    if time_dim not in pet.dims:
        raise InputError(f"PET has no {time_dim!r} dimension (dims {pet.dims}); give it the time axis of the precipitation")
    years, months, _ = si.time_axis(pet, time_dim, what="PET")
    return years, months


def _check_pair(precip: xr.DataArray, pet: xr.DataArray, time_dim: str) -> xr.DataArray:
    """Check that PET is on precipitation's grid and months; return PET with precipitation's coordinates."""
    p_name, e_name = _label(precip, "precipitation"), _label(pet, "PET")
    years, months, _ = si.time_axis(precip, time_dim)
    e_years, e_months = _pet_time(pet, time_dim)
    if years.size != e_years.size or not (np.array_equal(years, e_years) and np.array_equal(months, e_months)):
        raise InputError(
            f"{p_name} and {e_name} cover different months: {years[0]}-{months[0]:02d}..{years[-1]}-{months[-1]:02d} "
            f"({years.size} months) vs {e_years[0]}-{e_months[0]:02d}..{e_years[-1]}-{e_months[-1]:02d} ({e_years.size} months); "
            f"select the common months of both (e.g. pet.sel({time_dim}=slice(...)))"
        )
    spatial = [d for d in precip.dims if d != time_dim]
    e_spatial = [d for d in pet.dims if d != time_dim]
    if set(spatial) != set(e_spatial):
        raise GridMismatchError(f"{p_name} has spatial dims {tuple(spatial)}, {e_name} has {tuple(e_spatial)}; put both on one grid")
    pet = pet.transpose(*precip.dims)
    sizes = {d: (precip.sizes[d], pet.sizes[d]) for d in spatial if precip.sizes[d] != pet.sizes[d]}
    if sizes:
        raise GridMismatchError(f"{p_name} and {e_name} are not on the same grid: sizes {sizes}; put both on one grid")
    if _has_crs(precip) and _has_crs(pet):
        from ..grid import check_same_grid

        check_same_grid(precip, pet, names=[p_name, e_name])
    else:
        for d in spatial:
            if d in precip.indexes and d in pet.indexes and not _same_axis(precip[d].values, pet[d].values):
                raise GridMismatchError(
                    f"{p_name} and {e_name} are not on the same grid: their {d!r} coordinates differ; put both on one grid"
                )
    # same months and grid: take precipitation's labels (day of month, float noise) so the pair aligns exactly
    coords = {d: precip[d] for d in precip.dims if d in precip.indexes}
    return pet.drop_vars([c for c in pet.coords if c not in pet.dims]).assign_coords(coords)


def _has_crs(da: xr.DataArray) -> bool:
    if "spatial_ref" not in da.coords and "crs" not in da.attrs and "grid_mapping" not in da.encoding:
        return False
    import rioxarray  # noqa: F401

    return da.rio.crs is not None


def _same_axis(a: np.ndarray, b: np.ndarray) -> bool:
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fiu" and b.dtype.kind in "fiu":
        step = np.abs(np.diff(a.astype("float64"))).max() if a.size > 1 else 1.0
        return bool(np.all(np.abs(a.astype("float64") - b.astype("float64")) <= 1e-6 * (step or 1.0)))
    return bool(np.array_equal(a, b))


def _check_min_values(min_values: int | None, min_nonzero: int | None) -> int:
    if min_values is not None and min_nonzero is not None and int(min_values) != int(min_nonzero):
        raise InputError(
            f"min_values={min_values!r} and min_nonzero={min_nonzero!r} disagree; they are the same setting for SPEI, give one"
        )
    value = min_values if min_values is not None else min_nonzero
    value = _MIN_VALUES if value is None else value
    if isinstance(value, bool) or int(value) != value or int(value) < _MIN_VALUES:
        raise InputError(f"min_values must be a whole number of at least {_MIN_VALUES} (three PWMs need three values), got {value!r}")
    return int(value)


def _check_pwm(pwm: str) -> str:
    if pwm not in _PWM_METHODS:
        raise InputError(f"pwm must be one of {_PWM_METHODS}, got {pwm!r}")
    return pwm


# --------------------------------------------------------------------------- planning
@dataclass
class _Plan:
    precip: xr.DataArray
    pet: xr.DataArray
    fp: np.ndarray
    fe: np.ndarray
    scale: int
    months: list[int]
    month_targets: list[np.ndarray]
    min_values: int
    pwm: str
    attrs: dict[str, Any]


def _prepare(precip, pet, units, pet_units, time_dim):
    precip, pet = si.dequantify(precip), si.dequantify(pet)
    years, mon, days = si.time_axis(precip, time_dim)
    pet = _check_pair(precip, pet, time_dim)
    fp, declared = _factors(precip, units, days, "precipitation")
    fe, pet_declared = _factors(pet, pet_units, days, "PET")
    return precip, pet, years, mon, fp, fe, declared, pet_declared


def _plan_fit(precip, pet, scale, calibration, months, min_values, pwm, units, pet_units, time_dim) -> _Plan:
    scale = si.check_scale(scale, "SPEI")
    month_list = si.check_months(months)
    pwm = _check_pwm(pwm)
    precip, pet, years, mon, fp, fe, declared, pet_declared = _prepare(precip, pet, units, pet_units, time_dim)
    cal = si.calibration_plan(years, mon, calibration, month_list, what="data")
    attrs = {
        "title": f"SPEI-{scale} log-logistic fit",
        "spei_scale_months": scale,
        **cal.attrs(),
        "distribution": _DISTRIBUTION,
        "fitting_method": _FIT_METHODS[pwm],
        "pwm": pwm,
        "min_values": int(min_values),
        "water_balance": "precipitation minus potential evapotranspiration, mm per month",
        "accumulation_units": "mm",
        "input_units": declared,
        "pet_input_units": pet_declared,
        "missing_rule": "a missing month inside the accumulation window gives a missing value",
        "references": _REFERENCES,
    }
    return _Plan(si.time_chunked(precip, time_dim, index="SPEI"), si.time_chunked(pet, time_dim, what="PET", index="SPEI"),
                 fp, fe, scale, month_list, cal.month_targets, int(min_values), pwm, attrs)


def _finish(out: xr.DataArray, precip: xr.DataArray, time_dim: str, targets: np.ndarray, fit_attrs: Mapping[str, Any],
            month_list: list[int], clip: float | None, declared: str, pet_declared: str) -> xr.DataArray:
    """Name the output's time axis, restore coordinates (and the CRS), write CF metadata and provenance."""
    out = si.restore_coords(out, precip, time_dim, targets)
    scale = int(fit_attrs["spei_scale_months"])
    cal = f"{fit_attrs.get('calibration_start_year')}-{fit_attrs.get('calibration_end_year')}"
    out.name = "spei"
    out.attrs.update(
        {
            "long_name": f"Standardized Precipitation-Evapotranspiration Index (SPEI-{scale})",
            "units": "1",
            "index": "SPEI",
            "spei_scale_months": scale,
            "calendar_months": list(month_list),
            "distribution": fit_attrs.get("distribution", _DISTRIBUTION),
            "fitting_method": fit_attrs.get("fitting_method", _FIT_METHODS["unbiased"]),
            "calibration_period": cal,
            "calibration_years_available": fit_attrs.get("calibration_years_available", cal),
            "min_values": fit_attrs.get("min_values", "unknown"),
            "water_balance": "precipitation minus potential evapotranspiration, mm per month",
            "inverse_normal": "exact (scipy.special.ndtri)",
            "clip": "none" if clip is None else f"[-{float(clip)}, {float(clip)}]",
            "missing_rule": "missing if any month of the window is missing or the calendar month could not be fitted",
            "input_units": declared,
            "pet_input_units": pet_declared,
            "references": _REFERENCES,
        }
    )
    return out


def _kw_clip(clip):
    return None if clip is None else float(clip)


# --------------------------------------------------------------------------- public API
def fit_spei(
    precip: xr.DataArray,
    pet: xr.DataArray,
    scale: int = 12,
    calibration: tuple[int, int] = (1981, 2010),
    *,
    months: Sequence[int] | int | None = None,
    min_values: int | None = None,
    min_nonzero: int | None = None,
    pwm: str = "unbiased",
    units: str | None = None,
    pet_units: str | None = None,
    time_dim: str = "time",
) -> xr.Dataset:
    """Fit the SPEI's per-calendar-month log-logistic distributions on a calibration window.

    Parameters
    ----------
    precip : xarray.DataArray
        Monthly precipitation with a consecutive monthly ``time`` dimension and
        any spatial dimensions (numpy or dask; chunks must hold the whole time
        axis, otherwise it is rechunked with a warning). Units from
        ``attrs['units']`` or *units* (see
        :func:`indicators.so3.spi.precipitation_to_mm`: mm, mm/month, mm/day,
        m, kg m-2, kg m-2 s-1, …).
    pet : xarray.DataArray
        Monthly potential evapotranspiration (positive: water lost), on the same
        grid (checked with :func:`indicators.grid.check_same_grid` when both
        carry a CRS) and the same months as *precip*. Units from
        ``attrs['units']`` or *pet_units*, converted like precipitation.
    scale : int
        Accumulation period in months (1 to 48). UNCCD default 12.
    calibration : (int, int)
        First and last year (inclusive) of the reference period; a value
        belongs to the year of the last month of its window. UNCCD: 1981–2010.
    months : sequence of int or int, optional
        Calendar months to fit (default all 12).
    min_values : int, optional
        Minimum number of valid calibration accumulations to fit a month;
        fewer gives missing SPEI. Default 3, the mathematical minimum of three
        PWMs; the specs may set more.
    min_nonzero : int, optional
        Alias of *min_values*, so that the SPI parameter block (``spi.min_nonzero``)
        binds unchanged. For SPEI it counts valid values, zero or negative
        included: a water balance has no zero class. Giving both with
        different values is an error.
    pwm : {"unbiased", "plotting_position"}
        PWM estimator (module docstring). Default unbiased (Beguería et al. 2014).
    units, pet_units : str, optional
        Override ``precip.attrs['units']`` and ``pet.attrs['units']``.
    time_dim : str
        Name of the time dimension.

    Returns
    -------
    xarray.Dataset
        ``alpha`` (scale, mm), ``beta`` (shape, 1), ``gamma`` (location, mm),
        ``n_valid`` (calibration sample size), dims ``(month, *spatial)``; attrs
        record scale, calibration, method and input units. NetCDF round-trip:
        ``to_netcdf(path, engine="h5netcdf")``, reuse with :func:`transform_spei`.
    """
    min_values = _check_min_values(min_values, min_nonzero)
    plan = _plan_fit(precip, pet, scale, calibration, months, min_values, pwm, units, pet_units, time_dim)
    out = si.apply_fit(_fit_block, [plan.precip, plan.pet], time_dim,
                       {"fp": plan.fp, "fe": plan.fe, "scale": plan.scale, "month_targets": plan.month_targets,
                        "min_values": plan.min_values, "pwm": plan.pwm}, len(_PARAM_VARS), len(plan.months))
    var_attrs = {
        "alpha": {"long_name": "log-logistic scale parameter (PWM estimate)", "units": "mm"},
        "beta": {"long_name": "log-logistic shape parameter (PWM estimate; negative: upper-bounded branch)", "units": "1"},
        "gamma": {"long_name": "log-logistic location parameter (PWM estimate)", "units": "mm"},
        "n_valid": {"long_name": "number of valid calibration accumulations", "units": "1"},
    }
    return si.parameter_dataset(out, _PARAM_VARS, var_attrs, source=plan.precip, time_dim=time_dim, months=plan.months,
                                attrs=plan.attrs, integer=("n_valid",))


def transform_spei(
    precip: xr.DataArray,
    pet: xr.DataArray,
    params: xr.Dataset,
    *,
    months: Sequence[int] | int | None = None,
    clip: float | None = 3.09,
    units: str | None = None,
    pet_units: str | None = None,
    time_dim: str = "time",
    dtype: Any = np.float32,
) -> xr.DataArray:
    """SPEI of a precipitation and PET series from stored log-logistic parameters, without refitting.

    Parameters
    ----------
    precip, pet : xarray.DataArray
        As in :func:`fit_spei`, on the grid of *params*; they must include the
        ``scale − 1`` months before the first output month.
    params : xarray.Dataset
        The fit from :func:`fit_spei` (possibly read back from NetCDF).
    months : sequence of int or int, optional
        Calendar months to output (default: those in *params*).
    clip : float or None
        SPEI is clipped to ``[−clip, clip]`` (D5: 3.09); None disables clipping
        (values outside the fitted support are then ±inf).
    units, pet_units, time_dim
        As in :func:`fit_spei`.
    dtype
        Output dtype (D15: float32).

    Returns
    -------
    xarray.DataArray
        SPEI, dimensionless, dims ``(time, *spatial)`` for the selected months,
        with the method's provenance in its attributes.
    """
    scale = si.check_parameters(params, ("alpha", "beta", "gamma"), "spei_scale_months", index="SPEI",
                                fit_function="fit_spei")
    precip, pet, _, _, fp, fe, declared, pet_declared = _prepare(precip, pet, units, pet_units, time_dim)
    month_list, targets, groups = si.output_plan(precip, [int(m) for m in params["month"].values], months, time_dim,
                                                 index="SPEI", fit_function="fit_spei")
    precip = si.time_chunked(precip, time_dim, index="SPEI")
    pet = si.time_chunked(pet, time_dim, what="PET", index="SPEI")
    spatial = [d for d in precip.dims if d != time_dim]
    like = precip if precip.chunks is not None else pet
    pstack = si.stack_parameters(params, ("alpha", "beta", "gamma"), spatial, like, index="SPEI")
    out = si.apply_index(_transform_block, [precip, pet], time_dim,
                         {"fp": fp, "fe": fe, "scale": scale, "targets": targets, "groups": groups,
                          "clip": _kw_clip(clip), "dtype": np.dtype(dtype)},
                         targets.size, dtype, params=pstack, index="SPEI")
    return _finish(out, precip, time_dim, targets, params.attrs, month_list, clip, declared, pet_declared)


def spei(
    precip: xr.DataArray,
    pet: xr.DataArray,
    scale: int = 12,
    calibration: tuple[int, int] = (1981, 2010),
    *,
    month: int | None = None,
    months: Sequence[int] | int | None = None,
    clip: float | None = 3.09,
    min_values: int | None = None,
    min_nonzero: int | None = None,
    pwm: str = "unbiased",
    units: str | None = None,
    pet_units: str | None = None,
    time_dim: str = "time",
    dtype: Any = np.float32,
) -> xr.DataArray:
    """Standardized Precipitation-Evapotranspiration Index: :func:`fit_spei` then :func:`transform_spei`.

    The signature parallels :func:`indicators.so3.spi.spi`, with *pet* and
    *pet_units* added, so a run binds the same ``spi`` parameter block.

    Parameters
    ----------
    precip : xarray.DataArray
        Monthly precipitation with a ``time`` dimension, in any pint-compatible
        units (mm, mm/month, mm/day, m, kg m-2 s-1, …).
    pet : xarray.DataArray
        Monthly potential evapotranspiration on the same grid and months, in its
        own units (*pet_units* or ``attrs['units']``).
    scale : int
        Accumulation period, 1–48 months (UNCCD SO3-1: 12).
    calibration : (int, int)
        Reference years, inclusive (UNCCD: 1981–2010).
    month, months : int or sequence of int, optional
        Fit and return only these calendar months (``month=12``: December
        SPEI-12, one value per year). Default: all months.
    clip : float or None
        Clip to ``[−clip, clip]`` (D5: 3.09).
    min_values, min_nonzero : int, optional
        Minimum valid calibration values per month (aliases; see :func:`fit_spei`).
    pwm, units, pet_units, time_dim
        See :func:`fit_spei`.
    dtype
        Output dtype (D15: float32).

    Returns
    -------
    xarray.DataArray
        SPEI (dimensionless), dims and time axis as :func:`indicators.so3.spi.spi`
        would give for *precip*, with the method's provenance in its attributes.

    Notes
    -----
    Vicente-Serrano et al. (2010); Beguería et al. (2014); methodology Part B
    §3.2 (SPEI allowed for SO3-1, same classes, D6). Fit and transform run
    fused, block by block; use :func:`fit_spei` to keep the fit.
    """
    if month is not None and months is not None:
        raise InputError("give either month= or months=, not both")
    min_values = _check_min_values(min_values, min_nonzero)
    plan = _plan_fit(precip, pet, scale, calibration, month if month is not None else months, min_values, pwm,
                     units, pet_units, time_dim)
    month_list, targets, groups = si.output_plan(plan.precip, plan.months, None, time_dim, index="SPEI",
                                                 fit_function="fit_spei")
    out = si.apply_index(_spei_block, [plan.precip, plan.pet], time_dim,
                         {"fp": plan.fp, "fe": plan.fe, "scale": plan.scale, "month_targets": plan.month_targets,
                          "min_values": plan.min_values, "pwm": plan.pwm, "targets": targets, "groups": groups,
                          "clip": _kw_clip(clip), "dtype": np.dtype(dtype)},
                         targets.size, dtype)
    return _finish(out, plan.precip, time_dim, targets, plan.attrs, month_list, clip,
                   plan.attrs["input_units"], plan.attrs["pet_input_units"])

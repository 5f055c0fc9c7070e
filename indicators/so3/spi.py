"""Standardized Precipitation Index (SPI): fit once, transform many times.

Method (methodology Part A D5, Part B §4.1; McKee et al. 1993, Edwards & McKee 1997,
WMO-No. 1090):

1. accumulate monthly precipitation over ``scale`` months; a missing month in
   the window gives a missing accumulation;
2. for each calendar month separately, fit a 2-parameter gamma distribution to
   the non-zero accumulations of the calibration years with Thom's (1958)
   maximum-likelihood approximation
   ``A = ln(mean) − mean(ln x)``, ``α = (1 + √(1 + 4A/3)) / (4A)``, ``β = mean/α``;
3. mix in the zeros: ``H(x) = q + (1 − q)·G(x; α, β)`` with ``q`` the share of
   zero accumulations among the valid calibration values;
4. ``SPI = Φ⁻¹(H)`` with the exact inverse normal, clipped to ``[−clip, clip]``.

A calendar month whose calibration sample cannot be fitted (fewer non-zero
values than ``min_nonzero``, or all non-zero values equal) gives missing SPI,
never zero.

The fit (:func:`fit_spi`) is an :class:`xarray.Dataset` of per-cell, per-month
parameters that round-trips through NetCDF; :func:`transform_spi` applies a
stored fit to any series without refitting; :func:`spi` does both.

Arrays are processed as (time, cells) blocks holding the whole time axis, so
the work is vectorised over cells and dask-parallel over spatial chunks. The
gamma CDF is the exact regularized incomplete gamma function, evaluated once
per (calendar month, cell) group of years that share ``α``
(:mod:`indicators.so3.incomplete_gamma`; same values as
``scipy.special.gammainc`` to 5e-14, about 4× faster).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import xarray as xr
from scipy import special

from ..errors import InputError, UnitError
from . import standardized as si
from .incomplete_gamma import lower_gamma_group
from .standardized import MAX_SCALE, precipitation_to_mm

__all__ = ["spi", "fit_spi", "transform_spi", "precipitation_to_mm", "MAX_SCALE"]

_PARAM_VARS = ("alpha", "beta", "q", "n_nonzero", "n_valid")
_FIT_METHOD = "Thom (1958) maximum-likelihood approximation, per calendar month, on the non-zero calibration values"
_FIT_METHODS = {
    "thom": _FIT_METHOD,
    "mle": "maximum likelihood (ln(alpha) - digamma(alpha) = ln(mean) - mean(ln x), Newton from Thom's estimate), "
           "per calendar month, on the non-zero calibration values",
}
_ZERO_HANDLING = "mixed distribution H = q + (1 - q) * G(x), q = share of zero accumulations among valid calibration values"
_ZERO_HANDLINGS = {
    "mixed": _ZERO_HANDLING,
    "center_of_mass": _ZERO_HANDLING + "; a zero accumulation gets H = q / 2, the centre of the probability mass of "
                      "zeros (Stagge et al. 2015)",
}
#: Weight of q given to a zero accumulation: H(0) = weight * q.
_ZERO_WEIGHT = {"mixed": 1.0, "center_of_mass": 0.5}
_INVERSE_NORMALS = {
    "exact": "exact (scipy.special.ndtri)",
    "abramowitz_stegun": "Abramowitz & Stegun (1964) 26.2.23 rational approximation, |error| < 4.5e-4",
}
_REFERENCES = (
    "McKee, Doesken & Kleist (1993); Edwards & McKee (1997); Thom (1958); WMO-No. 1090 (2012); "
    "unccd-indicators methodology Part A D5 and Part B section 4"
)


# --------------------------------------------------------------------------- kernels
def _accumulate(x: np.ndarray, factor: np.ndarray, scale: int, targets: np.ndarray) -> np.ndarray:
    sums, negative = si.window_sums(x, factor, scale, targets)
    if negative:
        raise InputError(
            f"precipitation has {negative} negative value(s) inside accumulation windows; "
            "precipitation cannot be negative: clip small negative artefacts to 0 (e.g. precip.clip(min=0)) before computing SPI"
        )
    return sums


def _gamma_fit(sample: np.ndarray, min_nonzero: int, method: str = "thom") -> np.ndarray:
    """Gamma fit of each column of *sample* (years, cells): Thom's estimate, refined to the exact maximum-likelihood
    shape with ``method="mle"``; returns (5, cells)."""
    valid = ~np.isnan(sample)
    pos = valid & (sample > 0)
    n_valid = valid.sum(axis=0)
    n_pos = pos.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = np.where(pos, sample, 0.0)
        mean = xs.sum(axis=0) / n_pos
        meanlog = np.where(pos, np.log(np.where(pos, sample, 1.0)), 0.0).sum(axis=0) / n_pos
        a = np.log(mean) - meanlog
        alpha = (1.0 + np.sqrt(1.0 + 4.0 * a / 3.0)) / (4.0 * a)
        if method == "mle":
            alpha = _mle_shape(alpha, a)
        beta = mean / alpha
        q = (n_valid - n_pos) / n_valid
    # all non-zero values equal: A is 0 up to rounding, so test the values themselves
    hi = np.where(pos, sample, -np.inf).max(axis=0, initial=-np.inf)
    lo = np.where(pos, sample, np.inf).min(axis=0, initial=np.inf)
    unfit = (n_pos < min_nonzero) | (hi <= lo) | ~(a > 0) | ~np.isfinite(alpha)
    alpha = np.where(unfit, np.nan, alpha)
    beta = np.where(unfit, np.nan, beta)
    q = np.where(n_valid > 0, q, np.nan)
    return np.stack([alpha, beta, q, n_pos.astype("float64"), n_valid.astype("float64")])


def _mle_shape(alpha: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Solve ln α − ψ(α) = A by Newton's method from Thom's α (the gamma likelihood equation for the shape).

    g(α) = ln α − ψ(α) is positive, decreasing and convex, so Newton from either side converges (monotonically after
    the first step); 50 steps is far more than the 3–5 that reach 1e-15 from Thom's estimate."""
    alpha = alpha.copy()
    ok = np.isfinite(alpha) & (a > 0)
    for _ in range(50):
        x = alpha[ok]
        step = (np.log(x) - special.digamma(x) - a[ok]) / (1.0 / x - special.polygamma(1, x))
        new = np.where(x - step > 0, x - step, x / 2.0)  # keep the shape positive
        alpha[ok] = new
        if np.all(np.abs(step) <= 1e-15 * np.abs(new)):
            break
    return alpha


def _fit_block(block, factor, scale, month_targets, min_nonzero, fit="thom"):
    """Kernel of :func:`fit_spi`: (…, time) block → (…, 5, months)."""
    x, spatial = si.as_cells(block)
    out = np.empty((5, len(month_targets), x.shape[1]), dtype="float64")
    for cols, xb in si.cell_blocks(x):
        for j, targets in enumerate(month_targets):
            out[:, j, cols] = _gamma_fit(_accumulate(xb, factor, scale, targets), min_nonzero, fit)
    return si.fit_result(out, spatial)


def _groups_csr(groups: list[tuple[int, slice | np.ndarray]], ntargets: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The row groups of :func:`~indicators.so3.standardized.month_groups` as flat arrays: fitted-month index per group, row offsets, rows."""
    rows = [np.arange(ntargets)[r] if isinstance(r, slice) else np.asarray(r) for _, r in groups]
    start = np.concatenate([[0], np.cumsum([r.size for r in rows])]).astype("int64")
    flat = np.concatenate(rows).astype("int64") if rows else np.empty(0, "int64")
    return np.asarray([j for j, _ in groups], dtype="int64"), start, flat


@numba.njit(nogil=True, cache=True)
def _gamma_mixture_cdf(sums, group_month, row_start, rows, params, zero_weight):  # pragma: no cover - compiled
    """In place: accumulated sums (targets, cells) → H = q + (1 − q)·P(α, x/β), and H = zero_weight·q for x = 0.

    params: (3, months, cells) α, β, q. Each (calendar month, cell) is one group of
    values sharing α, so the incomplete gamma function is evaluated per group
    (:func:`~indicators.so3.incomplete_gamma.lower_gamma_group`).
    """
    ncell = sums.shape[1]
    longest = 0
    for g in range(group_month.shape[0]):
        longest = max(longest, row_start[g + 1] - row_start[g])
    x = np.empty(longest)
    p = np.empty(longest)
    work = np.empty((3, longest))
    for g in range(group_month.shape[0]):
        j = group_month[g]
        r0 = row_start[g]
        m = row_start[g + 1] - r0
        for c in range(ncell):
            beta = params[1, j, c]
            q = params[2, j, c]
            for k in range(m):
                x[k] = sums[rows[r0 + k], c] / beta
            lower_gamma_group(params[0, j, c], x[:m], p[:m], work)
            for k in range(m):
                sums[rows[r0 + k], c] = zero_weight * q if x[k] == 0.0 else p[k] * (1.0 - q) + q


#: Abramowitz & Stegun (1964) 26.2.23: numerator c0..c2 and denominator d1..d3 coefficients.
_AS_C = (2.515517, 0.802853, 0.010328)
_AS_D = (1.432788, 0.189269, 0.001308)


def _inverse_normal(h: np.ndarray, method: str) -> None:
    """In place: probabilities → standard normal quantiles, exactly or with A&S 26.2.23 (older SPI programs)."""
    if method == "exact":
        special.ndtri(h, out=h)
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = np.where(h > 0.5, 1.0 - h, h)  # the formula is for the lower tail; the upper mirrors it
        t = np.sqrt(-2.0 * np.log(tail))
        z = t - (_AS_C[0] + t * (_AS_C[1] + t * _AS_C[2])) / (1.0 + t * (_AS_D[0] + t * (_AS_D[1] + t * _AS_D[2])))
        z = np.where(tail == 0.0, np.inf, z)  # H = 0 or 1: ±∞, as the exact quantile
        np.copyto(h, np.where(h > 0.5, z, -z), where=~np.isnan(h))


def _transform_block(block, params, factor, scale, targets, groups, clip, dtype, zero_handling="mixed",
                     inverse_normal="exact"):
    """Kernel of :func:`transform_spi`: (…, time) block and (…, 3, months) params → (…, targets).

    Works in place on the accumulated sums: H = q + (1 − q)·P(α, x/β), SPI = Φ⁻¹(H).
    """
    x, spatial = si.as_cells(block)
    p = si.parameters_of_block(params)  # (3, months, cells)
    group_month, row_start, rows = _groups_csr(groups, len(targets))
    out = np.empty((len(targets), x.shape[1]), dtype=dtype)
    for cols, xb in si.cell_blocks(x):
        sums = _accumulate(xb, factor, scale, targets)
        _gamma_mixture_cdf(sums, group_month, row_start, rows, p[:, :, cols], _ZERO_WEIGHT[zero_handling])
        _inverse_normal(sums, inverse_normal)
        if clip is not None:
            np.clip(sums, -clip, clip, out=sums)
        out[:, cols] = sums
    return si.block_result(out, spatial)


# --------------------------------------------------------------------------- checks
def _unit_factors(precip: xr.DataArray, units: str | None, days: np.ndarray) -> tuple[np.ndarray, str]:
    declared = units if units is not None else precip.attrs.get("units")
    if not declared:
        raise UnitError(
            "precipitation has no units: set attrs['units'] (e.g. 'mm', 'mm/month', 'kg m-2 s-1') or pass units="
        )
    return precipitation_to_mm(str(declared), days), str(declared)


# --------------------------------------------------------------------------- planning (shared by the public functions)
@dataclass
class _FitPlan:
    precip: xr.DataArray
    factor: np.ndarray
    scale: int
    months: list[int]
    month_targets: list[np.ndarray]
    min_nonzero: int
    attrs: dict[str, Any]
    fit: str = "thom"


def _check_choice(name: str, value: str, allowed: Mapping[str, str]) -> str:
    if value not in allowed:
        raise InputError(f"SPI {name}={value!r} is not supported; choose one of {sorted(allowed)}")
    return value


def _plan_fit(precip, scale, calibration, months, min_nonzero, units, time_dim, fit="thom") -> _FitPlan:
    scale = si.check_scale(scale)
    fit = _check_choice("fit", fit, _FIT_METHODS)
    month_list = si.check_months(months)
    if int(min_nonzero) < 2:
        raise InputError(f"min_nonzero must be at least 2 (Thom's fit needs two distinct values), got {min_nonzero!r}")
    precip = si.dequantify(precip)
    years, mon, days = si.time_axis(precip, time_dim)
    factor, declared = _unit_factors(precip, units, days)
    cal = si.calibration_plan(years, mon, calibration, month_list)
    attrs = {
        "title": f"SPI-{scale} gamma fit",
        "spi_scale_months": scale,
        **cal.attrs(),
        "distribution": "gamma (2-parameter, location 0)",
        "fit": fit,
        "fitting_method": _FIT_METHODS[fit],
        "zero_handling": _ZERO_HANDLING,
        "min_nonzero": int(min_nonzero),
        "accumulation_units": "mm",
        "input_units": declared,
        "missing_rule": "a missing month inside the accumulation window gives a missing value",
        "references": _REFERENCES,
    }
    return _FitPlan(si.time_chunked(precip, time_dim), factor, scale, month_list, cal.month_targets, int(min_nonzero),
                    attrs, fit)


def _finish_spi(out: xr.DataArray, precip: xr.DataArray, time_dim: str, targets: np.ndarray, fit_attrs: Mapping[str, Any],
                month_list: list[int], clip: float | None, declared: str, zero_handling: str = "mixed",
                inverse_normal: str = "exact") -> xr.DataArray:
    """Name the output's time axis, restore coordinates (and the CRS), write CF metadata and provenance."""
    out = si.restore_coords(out, precip, time_dim, targets)
    scale = int(fit_attrs["spi_scale_months"])
    cal = f"{fit_attrs.get('calibration_start_year')}-{fit_attrs.get('calibration_end_year')}"
    out.name = "spi"
    out.attrs.update(
        {
            "long_name": f"Standardized Precipitation Index (SPI-{scale})",
            "units": "1",
            "spi_scale_months": scale,
            "calendar_months": list(month_list),
            "distribution": fit_attrs.get("distribution", "gamma (2-parameter, location 0)"),
            "fitting_method": fit_attrs.get("fitting_method", _FIT_METHOD),
            "calibration_period": cal,
            "calibration_years_available": fit_attrs.get("calibration_years_available", cal),
            "zero_handling": _ZERO_HANDLINGS[zero_handling],
            "min_nonzero": fit_attrs.get("min_nonzero", "unknown"),
            "inverse_normal": _INVERSE_NORMALS[inverse_normal],
            "clip": "none" if clip is None else f"[-{float(clip)}, {float(clip)}]",
            "missing_rule": "missing if any month of the window is missing or the calendar month could not be fitted",
            "input_units": declared,
            "references": _REFERENCES,
        }
    )
    return out


def _spi_block(block, factor, scale, month_targets, min_nonzero, targets, groups, clip, dtype, fit="thom",
               zero_handling="mixed", inverse_normal="exact"):
    """Fused kernel of :func:`spi`: fit and transform one block in one pass (no parameter graph)."""
    params = _fit_block(block, factor, scale, month_targets, min_nonzero, fit)[..., :3, :]
    return _transform_block(block, params, factor, scale, targets, groups, clip, dtype, zero_handling, inverse_normal)


# --------------------------------------------------------------------------- public API
def fit_spi(
    precip: xr.DataArray,
    scale: int = 12,
    calibration: tuple[int, int] = (1981, 2010),
    *,
    months: Sequence[int] | int | None = None,
    min_nonzero: int = 2,
    fit: str = "thom",
    units: str | None = None,
    time_dim: str = "time",
) -> xr.Dataset:
    """Fit the SPI's per-calendar-month gamma distributions on a calibration window.

    Parameters
    ----------
    precip : xarray.DataArray
        Monthly precipitation with a consecutive monthly ``time`` dimension and
        any spatial dimensions (numpy or dask; dask chunks must hold the whole
        time axis, otherwise it is rechunked with a warning). Units from
        ``attrs['units']`` or *units* (see :func:`precipitation_to_mm`).
    scale : int
        Accumulation period in months (1 to 48). The UNCCD default is 12.
    calibration : (int, int)
        First and last year (inclusive) of the reference period; a value
        belongs to the year of the last month of its window. UNCCD: 1981–2010.
    months : sequence of int or int, optional
        Calendar months to fit (default all 12). ``[12]`` fits December only,
        the SO3-1 workload.
    min_nonzero : int
        Minimum number of non-zero calibration accumulations needed to fit a
        month; fewer gives missing SPI (D5). 2 is the mathematical minimum of
        Thom's estimator; the specs may set a higher value.
    fit : {"thom", "mle"}
        ``"thom"`` (D5): Thom's (1958) approximation of the maximum-likelihood
        shape. ``"mle"``: the exact maximum-likelihood shape, solving
        ``ln α − ψ(α) = ln(mean) − mean(ln x)`` (Thom's value differs from it by
        well under 1 % for the shapes of precipitation sums).
    units : str, optional
        Overrides ``precip.attrs['units']``.
    time_dim : str
        Name of the time dimension.

    Returns
    -------
    xarray.Dataset
        Variables ``alpha`` (shape, 1), ``beta`` (scale, mm), ``q`` (probability
        of zero, 1), ``n_nonzero`` and ``n_valid`` (calibration sample sizes),
        dims ``(month, *spatial)``; attrs record scale, calibration, method,
        zero handling and the input units. Save with
        ``to_netcdf(path, engine="h5netcdf")`` and reuse with :func:`transform_spi`.
    """
    plan = _plan_fit(precip, scale, calibration, months, min_nonzero, units, time_dim, fit)
    out = si.apply_fit(_fit_block, [plan.precip], time_dim,
                       {"factor": plan.factor, "scale": plan.scale, "month_targets": plan.month_targets,
                        "min_nonzero": plan.min_nonzero, "fit": plan.fit}, len(_PARAM_VARS), len(plan.months))
    how = "Thom estimate" if plan.fit == "thom" else "maximum likelihood"
    var_attrs = {
        "alpha": {"long_name": f"gamma shape parameter ({how})", "units": "1"},
        "beta": {"long_name": f"gamma scale parameter ({how})", "units": "mm"},
        "q": {"long_name": "probability of a zero accumulation in the calibration sample", "units": "1"},
        "n_nonzero": {"long_name": "number of non-zero calibration accumulations", "units": "1"},
        "n_valid": {"long_name": "number of valid calibration accumulations", "units": "1"},
    }
    return si.parameter_dataset(out, _PARAM_VARS, var_attrs, source=plan.precip, time_dim=time_dim, months=plan.months,
                                attrs=plan.attrs, integer=("n_nonzero", "n_valid"))


def transform_spi(
    precip: xr.DataArray,
    params: xr.Dataset,
    *,
    months: Sequence[int] | int | None = None,
    clip: float | None = 3.09,
    zero_handling: str = "mixed",
    inverse_normal: str = "exact",
    units: str | None = None,
    time_dim: str = "time",
    dtype: Any = np.float32,
) -> xr.DataArray:
    """SPI of a precipitation series from stored gamma parameters, without refitting.

    Parameters
    ----------
    precip : xarray.DataArray
        Monthly precipitation (as in :func:`fit_spi`) on the grid of *params*.
        It must include the ``scale − 1`` months before the first output month.
    params : xarray.Dataset
        The fit from :func:`fit_spi` (possibly read back from NetCDF).
    months : sequence of int or int, optional
        Calendar months to output (default: the months in *params*). Only time
        steps of these months are returned, so ``months=[12]`` yields one
        December value per year.
    clip : float or None
        SPI is clipped to ``[−clip, clip]`` (D5: 3.09); None disables clipping.
    zero_handling : {"mixed", "center_of_mass"}
        ``"mixed"`` (D5): a zero accumulation gets ``H = q``. ``"center_of_mass"``:
        ``H = q/2``, the centre of the probability mass of zeros (Stagge et al.
        2015), which keeps the SPI of dry months centred where zeros are frequent.
    inverse_normal : {"exact", "abramowitz_stegun"}
        ``"exact"`` (D5): ``scipy.special.ndtri``. ``"abramowitz_stegun"``: the
        rational approximation 26.2.23 (|error| < 4.5e-4) used by older SPI
        programs, to reproduce their values.
    units, time_dim
        As in :func:`fit_spi`.
    dtype
        Output dtype (D15: float32).

    Returns
    -------
    xarray.DataArray
        SPI, dimensionless, dims ``(time, *spatial)`` for the selected months;
        attrs carry the method's provenance.
    """
    scale = si.check_parameters(params, ("alpha", "beta", "q"), "spi_scale_months", index="SPI", fit_function="fit_spi")
    _check_choice("zero_handling", zero_handling, _ZERO_HANDLINGS)
    _check_choice("inverse_normal", inverse_normal, _INVERSE_NORMALS)
    precip = si.dequantify(precip)
    _, _, days = si.time_axis(precip, time_dim)
    factor, declared = _unit_factors(precip, units, days)
    month_list, targets, groups = si.output_plan(precip, [int(m) for m in params["month"].values], months, time_dim)
    precip = si.time_chunked(precip, time_dim)
    spatial = [d for d in precip.dims if d != time_dim]
    pstack = si.stack_parameters(params, ("alpha", "beta", "q"), spatial, precip)
    out = si.apply_index(_transform_block, [precip], time_dim,
                         {"factor": factor, "scale": scale, "targets": targets, "groups": groups,
                          "clip": None if clip is None else float(clip), "dtype": np.dtype(dtype),
                          "zero_handling": zero_handling, "inverse_normal": inverse_normal},
                         targets.size, dtype, params=pstack)
    return _finish_spi(out, precip, time_dim, targets, params.attrs, month_list, clip, declared, zero_handling, inverse_normal)


def spi(
    precip: xr.DataArray,
    scale: int = 12,
    calibration: tuple[int, int] = (1981, 2010),
    *,
    month: int | None = None,
    months: Sequence[int] | int | None = None,
    clip: float | None = 3.09,
    min_nonzero: int = 2,
    fit: str = "thom",
    zero_handling: str = "mixed",
    inverse_normal: str = "exact",
    units: str | None = None,
    time_dim: str = "time",
    dtype: Any = np.float32,
) -> xr.DataArray:
    """Standardized Precipitation Index: :func:`fit_spi` then :func:`transform_spi`.

    Parameters
    ----------
    precip : xarray.DataArray
        Monthly precipitation with a ``time`` dimension, in any pint-compatible
        units (mm, mm/month, m, kg m-2 s-1, …).
    scale : int
        Accumulation period, 1–48 months (UNCCD SO3-1: 12).
    calibration : (int, int)
        Reference years, inclusive (UNCCD: 1981–2010).
    month, months : int or sequence of int, optional
        Fit and return only these calendar months (``month=12``: December
        SPI-12, one value per year, the SO3-1 workload). Default: all months.
    clip, min_nonzero, fit, zero_handling, inverse_normal, units, time_dim, dtype
        See :func:`fit_spi` and :func:`transform_spi`; the defaults are D5's
        choices (Thom, mixed zeros, exact inverse normal).

    Returns
    -------
    xarray.DataArray
        SPI (dimensionless), with the method's provenance in its attributes.

    Notes
    -----
    Methodology Part A D5, Part B §4. Identical, up to floating-point rounding,
    to climate_indices' gamma SPI with the same calibration years. Fit and
    transform run fused, block by block; use :func:`fit_spi` to keep the fit.
    """
    if month is not None and months is not None:
        raise InputError("give either month= or months=, not both")
    plan = _plan_fit(precip, scale, calibration, month if month is not None else months, min_nonzero, units, time_dim, fit)
    _check_choice("zero_handling", zero_handling, _ZERO_HANDLINGS)
    _check_choice("inverse_normal", inverse_normal, _INVERSE_NORMALS)
    precip = plan.precip
    month_list, targets, groups = si.output_plan(precip, plan.months, None, time_dim)
    out = si.apply_index(_spi_block, [precip], time_dim,
                         {"factor": plan.factor, "scale": plan.scale, "month_targets": plan.month_targets,
                          "min_nonzero": plan.min_nonzero, "targets": targets, "groups": groups,
                          "clip": None if clip is None else float(clip), "dtype": np.dtype(dtype), "fit": plan.fit,
                          "zero_handling": zero_handling, "inverse_normal": inverse_normal},
                         targets.size, dtype)
    return _finish_spi(out, precip, time_dim, targets, plan.attrs, month_list, clip, plan.attrs["input_units"], zero_handling,
                       inverse_normal)

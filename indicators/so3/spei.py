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
(:func:`indicators.so3.spei_loglogistic.fit_kernel`), one cell-contiguous row per cell.

Layout: this module plans a run and writes its metadata; the PWM estimators are in
:mod:`~indicators.so3.spei_pwm`, the log-logistic fit and standardization in
:mod:`~indicators.so3.spei_loglogistic`, the block kernels (water balance, fit, transform) in
:mod:`~indicators.so3.spei_blocks` and the checks of the inputs in :mod:`~indicators.so3.spei_inputs`.

The fit (:func:`fit_spei`) is an :class:`xarray.Dataset` of per-cell,
per-month parameters that round-trips through NetCDF; :func:`transform_spei`
applies it without refitting; :func:`spei` does both in one fused pass. The
accumulation kernel and the block layout are the SPI's
(:mod:`indicators.so3.spi`): (time, cells) blocks holding the whole time axis,
vectorised over cells and dask-parallel over spatial chunks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from ..errors import InputError
from . import standardized as si
from .spei_blocks import fit_block, spei_block, transform_block
from .spei_inputs import check_min_values, check_pair, check_pwm, mm_factors
from .spei_pwm import pwm_plotting_position, pwm_unbiased

__all__ = ["spei", "fit_spei", "transform_spei", "pwm_unbiased", "pwm_plotting_position"]

_PARAM_VARS = ("alpha", "beta", "gamma", "n_valid")
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
    pet = check_pair(precip, pet, time_dim)
    fp, declared = mm_factors(precip, units, days, "precipitation")
    fe, pet_declared = mm_factors(pet, pet_units, days, "PET")
    return precip, pet, years, mon, fp, fe, declared, pet_declared


def _plan_fit(precip, pet, scale, calibration, months, min_values, pwm, units, pet_units, time_dim) -> _Plan:
    scale = si.check_scale(scale, "SPEI")
    month_list = si.check_months(months)
    pwm = check_pwm(pwm)
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
    min_values = check_min_values(min_values, min_nonzero)
    plan = _plan_fit(precip, pet, scale, calibration, months, min_values, pwm, units, pet_units, time_dim)
    out = si.apply_fit(fit_block, [plan.precip, plan.pet], time_dim,
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
    out = si.apply_index(transform_block, [precip, pet], time_dim,
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
    min_values = check_min_values(min_values, min_nonzero)
    plan = _plan_fit(precip, pet, scale, calibration, month if month is not None else months, min_values, pwm,
                     units, pet_units, time_dim)
    month_list, targets, groups = si.output_plan(plan.precip, plan.months, None, time_dim, index="SPEI",
                                                 fit_function="fit_spei")
    out = si.apply_index(spei_block, [plan.precip, plan.pet], time_dim,
                         {"fp": plan.fp, "fe": plan.fe, "scale": plan.scale, "month_targets": plan.month_targets,
                          "min_values": plan.min_values, "pwm": plan.pwm, "targets": targets, "groups": groups,
                          "clip": _kw_clip(clip), "dtype": np.dtype(dtype)},
                         targets.size, dtype)
    return _finish(out, plan.precip, time_dim, targets, plan.attrs, month_list, clip,
                   plan.attrs["input_units"], plan.attrs["pet_input_units"])

"""Checks of the SPEI's inputs: the precipitation and PET pair (units, months, grid) and the fit settings."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..errors import GridMismatchError, InputError, UnitError
from . import standardized as si
from .spei_pwm import MIN_VALUES
from .standardized import precipitation_to_mm


PWM_METHODS = ("unbiased", "plotting_position")


def _label(da: xr.DataArray, default: str) -> str:
    src = da.attrs.get("source")
    return f"{default} ({src})" if src else default


def mm_factors(da: xr.DataArray, units: str | None, days: np.ndarray, what: str) -> tuple[np.ndarray, str]:
    """Per-month factors to mm/month from the declared units (*units*, else ``attrs['units']``), and those units."""
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


def check_pair(precip: xr.DataArray, pet: xr.DataArray, time_dim: str) -> xr.DataArray:
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


def check_min_values(min_values: int | None, min_nonzero: int | None) -> int:
    if min_values is not None and min_nonzero is not None and int(min_values) != int(min_nonzero):
        raise InputError(
            f"min_values={min_values!r} and min_nonzero={min_nonzero!r} disagree; they are the same setting for SPEI, give one"
        )
    value = min_values if min_values is not None else min_nonzero
    value = MIN_VALUES if value is None else value
    if isinstance(value, bool) or int(value) != value or int(value) < MIN_VALUES:
        raise InputError(f"min_values must be a whole number of at least {MIN_VALUES} (three PWMs need three values), got {value!r}")
    return int(value)


def check_pwm(pwm: str) -> str:
    if pwm not in PWM_METHODS:
        raise InputError(f"pwm must be one of {PWM_METHODS}, got {pwm!r}")
    return pwm

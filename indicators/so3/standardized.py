"""What the standardized drought indices share (SPI, :mod:`indicators.so3.spi`; SPEI, :mod:`indicators.so3.spei`).

Both accumulate monthly water amounts over ``scale`` months, fit one
distribution per calendar month on a calibration window and map each value
through its fitted CDF and the inverse normal. This module holds the parts that
do not depend on the distribution: the monthly time axis and water-amount
units, the window sums, the calibration and output plans, the parameter
Dataset that round-trips through NetCDF, the ``apply_ufunc`` calls that keep
the whole time axis in each dask chunk, and the output's coordinates.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import xarray as xr

from ..errors import ArgumentError, GridMismatchError, InputError, UnitError
from ..units import monthly_water_to_mm as precipitation_to_mm  # noqa: F401  (the SPI/SPEI name)
from ..units import parse_unit, registry

#: Longest accumulation the indices are defined for here (issue 4: 1 to 48 months).
MAX_SCALE = 48

#: Cells per inner block: keeps each (time, cells) temporary within the CPU caches.
CELL_BLOCK = 1024


# --------------------------------------------------------------------------- units and time


def time_axis(da: xr.DataArray, time_dim: str, what: str = "precipitation") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, calendar month and days in month of each step of a consecutive monthly axis (else InputError)."""
    if not isinstance(da, xr.DataArray):
        raise ArgumentError(f"{what}: expected an xarray.DataArray (time, y, x), got {type(da).__name__}; "
                            "read it with indicators.open_raster(path, variable=...)")
    if time_dim not in da.dims:
        raise InputError(f"{what} has no {time_dim!r} dimension (dims {da.dims}); pass time_dim= or rename it")
    if any(n == 0 for n in da.shape):
        raise ArgumentError(f"{what}: empty array (sizes {dict(da.sizes)}); give at least one month and one cell")
    if np.dtype(da.dtype).kind not in "uif" and not hasattr(da.variable._data, "magnitude"):
        raise ArgumentError(f"{what}: dtype {da.dtype} is not numeric; give water amounts as numbers "
                            "(e.g. da.astype('float32'))")
    t = da[time_dim]
    try:
        years = np.asarray(t.dt.year.values, dtype="int64")
        months = np.asarray(t.dt.month.values, dtype="int64")
        days = np.asarray(t.dt.days_in_month.values, dtype="int64")
    except (AttributeError, TypeError):
        raise InputError(f"{what}'s {time_dim!r} coordinate is not a date-time axis; give it monthly datetime values") from None
    step = np.diff(years * 12 + months)
    if step.size and not np.all(step == 1):
        raise InputError(f"{what}'s {time_dim!r} axis is not a series of consecutive months ({_axis_fault(years, months, step)}")
    return years, months, days


def _axis_fault(years: np.ndarray, months: np.ndarray, step: np.ndarray) -> str:
    """What is wrong with a monthly axis whose steps *step* are not all 1, and the fix (the end of a message)."""
    if np.all(step == 12):
        return (f"one value per year, {years[0]}-{months[0]:02d} to {years[-1]}-{months[-1]:02d}: an annual series); "
                "give the monthly values")
    # an unsorted axis first (a swap also looks like a gap), then a month twice, then gaps
    bad = int(np.argmax(step < 0)) if np.any(step < 0) else int(np.argmax(step != 1))
    here, after = f"{years[bad]}-{months[bad]:02d}", f"{years[bad + 1]}-{months[bad + 1]:02d}"
    if step[bad] == 0:
        return f"step {bad}: month {here} appears twice); remove the duplicate month"
    if step[bad] < 0:
        return f"step {bad}: {here} is followed by {after}, which is earlier: the axis is not sorted); sort it by time"
    return (f"step {bad}: {here} is followed by {after}, {int(step[bad]) - 1} month(s) missing); "
            "reindex it to one value per month, with NaN for missing months")


def dequantify(da: xr.DataArray) -> xr.DataArray:
    """A pint-quantified DataArray (pint-xarray) → plain magnitudes with ``attrs['units']``."""
    if not isinstance(da, xr.DataArray):
        raise ArgumentError(f"expected an xarray.DataArray (time, y, x) of water amounts, got {type(da).__name__}; "
                            "read it with indicators.open_raster(path, variable=...)")
    data = da.variable._data
    if hasattr(data, "magnitude") and hasattr(data, "units"):
        da = da.copy(data=data.magnitude)
        da.attrs["units"] = str(data.units)
    return da


def check_scale(scale: int, index: str = "SPI") -> int:
    if isinstance(scale, bool) or int(scale) != scale or not 1 <= int(scale) <= MAX_SCALE:
        raise InputError(f"{index} scale must be a whole number of months from 1 to {MAX_SCALE}, got {scale!r}")
    return int(scale)


def check_months(months: Sequence[int] | int | None) -> list[int]:
    """Sorted calendar months (default all twelve)."""
    if months is None:
        return list(range(1, 13))
    if isinstance(months, (int, np.integer)):
        months = [int(months)]
    out = sorted({int(m) for m in months})
    if not out or out[0] < 1 or out[-1] > 12:
        raise InputError(f"months must be calendar months 1..12, got {months!r}")
    return out


def time_chunked(da: xr.DataArray, time_dim: str, what: str = "precipitation", index: str = "SPI") -> xr.DataArray:
    """Make sure each dask chunk holds the whole time axis (the kernels need it)."""
    if da.chunks is None:
        return da
    axis = da.dims.index(time_dim)
    if len(da.chunks[axis]) > 1:
        warnings.warn(
            f"{what} is chunked along {time_dim!r} ({len(da.chunks[axis])} chunks); {index} needs the whole "
            f"time axis in each chunk, so it is rechunked to {time_dim}=-1. Open the data with chunks "
            f"{{'{time_dim}': -1, ...}} (spatial chunks only) to avoid this copy.",
            stacklevel=4,
        )
        da = da.chunk({time_dim: -1})
    return da


# --------------------------------------------------------------------------- kernels
@numba.njit(nogil=True, cache=True)
def window_sums(x, factor, scale, targets):  # pragma: no cover - compiled
    """Sums of the ``scale`` months ending at each target step, for every cell.

    x: (time, cells); factor: (time,) unit factors; targets: int64 step indices.
    NaN anywhere in a window (or a window starting before the series) gives NaN.
    Returns (len(targets), cells) float64 and the count of negative values met.
    """
    ncell = x.shape[1]
    out = np.empty((targets.shape[0], ncell), dtype=np.float64)
    negative = 0
    for i in range(targets.shape[0]):
        t = targets[i]
        if t - scale + 1 < 0:
            for c in range(ncell):
                out[i, c] = np.nan
            continue
        for c in range(ncell):
            out[i, c] = 0.0
        for k in range(scale):
            row = t - k
            f = factor[row]
            for c in range(ncell):
                v = x[row, c]
                if v < 0:
                    negative += 1
                out[i, c] += v * f
    return out, negative


def as_cells(block: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]]:
    """(…, time) block from apply_ufunc → (time, cells) (a view when possible) and the spatial shape."""
    arr = np.moveaxis(block, -1, 0)
    spatial = arr.shape[1:]
    arr = arr.reshape(arr.shape[0], -1)
    if arr.dtype.kind != "f":
        arr = arr.astype("float64")
    return arr, spatial


def cell_blocks(x: np.ndarray):
    """(time, ≤ CELL_BLOCK cells) views of *x* and the column slice each came from.

    Views, not copies: the accumulation kernel reads strided rows, and copying
    every block costs more (page faults under threads) than it saves."""
    n = x.shape[1]
    for c0 in range(0, n, CELL_BLOCK):
        cols = slice(c0, min(n, c0 + CELL_BLOCK))
        yield cols, x[:, cols]


def parameters_of_block(params: np.ndarray) -> np.ndarray:
    """(…, parameters, months) block from apply_ufunc → (parameters, months, cells) float64."""
    p = np.moveaxis(np.moveaxis(params, -1, 0), -1, 0)
    return p.reshape(p.shape[:2] + (-1,)).astype("float64", copy=False)


def block_result(out: np.ndarray, spatial: tuple[int, ...]) -> np.ndarray:
    """(targets, cells) → the (…, targets) block apply_ufunc expects."""
    return np.moveaxis(out.reshape((out.shape[0],) + spatial), 0, -1)


def fit_result(out: np.ndarray, spatial: tuple[int, ...]) -> np.ndarray:
    """(parameters, months, cells) → the (…, parameters, months) block apply_ufunc expects."""
    out = out.reshape(out.shape[:2] + spatial)
    return np.moveaxis(np.moveaxis(out, 0, -1), 0, -1)


# --------------------------------------------------------------------------- plans
@dataclass
class Calibration:
    """The calibration window and, per fitted calendar month, the time steps of its calibration values."""

    start: int
    end: int
    month_targets: list[np.ndarray]
    available: str

    def attrs(self) -> dict[str, Any]:
        return {"calibration_start_year": self.start, "calibration_end_year": self.end,
                "calibration_years_available": self.available}


def calibration_plan(years: np.ndarray, months: np.ndarray, calibration: Sequence[int], month_list: list[int],
                     what: str = "precipitation") -> Calibration:
    """Calibration steps per calendar month; refuses a window outside the data, warns when the data cover part of it."""
    cal0, cal1 = (int(calibration[0]), int(calibration[1]))
    if cal1 < cal0:
        raise InputError(f"calibration period {calibration!r} ends before it starts")
    idx = np.arange(years.size)
    in_cal = (years >= cal0) & (years <= cal1)
    month_targets = [idx[in_cal & (months == m)].astype("int64") for m in month_list]
    if not any(t.size for t in month_targets):
        raise InputError(
            f"no {what} in the calibration period {cal0}-{cal1} (data cover {years.min()}-{years.max()}); "
            "choose a calibration period inside the data"
        )
    cal_years = sorted(set(years[in_cal].tolist()))
    if cal_years[0] > cal0 or cal_years[-1] < cal1:
        warnings.warn(
            f"the data cover only {cal_years[0]}-{cal_years[-1]} of the calibration period {cal0}-{cal1}; "
            "the fit uses the years available (recorded in attrs['calibration_years_available'])",
            stacklevel=4,
        )
    return Calibration(cal0, cal1, month_targets, f"{cal_years[0]}-{cal_years[-1]}")


def month_groups(month_index: np.ndarray) -> list[tuple[int, slice | np.ndarray]]:
    """Rows of each fitted month among the targets: a strided slice (a view) when evenly spaced."""
    groups: list[tuple[int, slice | np.ndarray]] = []
    for j in np.unique(month_index):
        idx = np.flatnonzero(month_index == j)
        step = np.diff(idx)
        if idx.size == 1 or np.all(step == step[0]):
            groups.append((int(j), slice(int(idx[0]), int(idx[-1]) + 1, int(step[0]) if idx.size > 1 else 1)))
        else:
            groups.append((int(j), idx))
    return groups


def output_plan(da: xr.DataArray, fitted: list[int], months, time_dim: str, *, index: str = "SPI",
                fit_function: str = "fit_spi") -> tuple[list[int], np.ndarray, list]:
    """Output calendar months, output time-step indices and the row groups of each fitted month."""
    month_list = fitted if months is None else check_months(months)
    absent = sorted(set(month_list) - set(fitted))
    if absent:
        raise InputError(f"{index} parameters hold calendar months {fitted}, not {absent}; "
                         f"fit those months first ({fit_function}(months=...))")
    mon = np.asarray(da[time_dim].dt.month.values, dtype="int64")
    targets = np.flatnonzero(np.isin(mon, month_list)).astype("int64")
    if targets.size == 0:
        raise InputError(f"precipitation has no time step in calendar months {month_list}")
    month_pos = {m: i for i, m in enumerate(fitted)}
    month_index = np.asarray([month_pos[int(m)] for m in mon[targets]], dtype="int64")
    return month_list, targets, month_groups(month_index)


# --------------------------------------------------------------------------- parameters
def parameter_dataset(out: xr.DataArray, names: Sequence[str], var_attrs: Mapping[str, Mapping[str, Any]], *,
                      source: xr.DataArray, time_dim: str, months: Sequence[int], attrs: Mapping[str, Any],
                      integer: Sequence[str] = ()) -> xr.Dataset:
    """The fit as a Dataset: one variable per parameter, dims (month, *spatial), the source's other coordinates."""
    spatial = [d for d in source.dims if d != time_dim]
    out = out.transpose("parameter", "month", *spatial)
    coords = {k: v for k, v in source.coords.items() if time_dim not in v.dims}
    data_vars = {}
    for i, name in enumerate(names):
        v = out.isel(parameter=i, drop=True)
        if name in integer:
            v = v.astype("int32")
        v.attrs.update(var_attrs[name])
        data_vars[name] = v
    ds = xr.Dataset(data_vars, coords=coords).assign_coords(month=("month", np.asarray(months, dtype="int32")))
    ds["month"].attrs.update({"long_name": "calendar month of the last month of the accumulation window", "units": "1"})
    ds.attrs.update(attrs)
    return ds


def check_parameters(params: xr.Dataset, required: Sequence[str], scale_attr: str, *, index: str,
                     fit_function: str) -> int:
    """The accumulation scale of a stored fit (InputError when it is not one)."""
    missing = [v for v in required if v not in params.data_vars]
    if missing or "month" not in params.dims or scale_attr not in params.attrs:
        raise InputError(
            f"{index} parameters lack {missing or [f'month dimension / {scale_attr} attribute']}; "
            f"pass the Dataset returned by {fit_function} (or one read back from its NetCDF file)"
        )
    return check_scale(int(params.attrs[scale_attr]), index)


def stack_parameters(params: xr.Dataset, names: Sequence[str], spatial: Sequence[str], like: xr.DataArray,
                     index: str = "SPI") -> xr.DataArray:
    """Parameters as one (…, parameter, month) array, chunked like *like* over space."""
    pstack = xr.concat([params[v] for v in names], dim="parameter", coords="minimal", compat="override")
    pstack = pstack.drop_vars([c for c in pstack.coords if c not in pstack.dims], errors="ignore")
    if set(pstack.dims) - {"parameter", "month"} != set(spatial):
        raise GridMismatchError(
            f"{index} parameters have dims {tuple(params[names[0]].dims)}, precipitation has spatial dims {tuple(spatial)}; "
            "use parameters fitted on the same grid"
        )
    pstack = pstack.transpose(*spatial, "parameter", "month")
    if like.chunks is not None:
        chunks = dict(zip(like.dims, like.chunks))
        pstack = pstack.chunk({d: chunks[d] for d in spatial} | {"parameter": -1, "month": -1})
    return pstack


# --------------------------------------------------------------------------- apply_ufunc
def apply_fit(kernel: Callable, inputs: Sequence[xr.DataArray], time_dim: str, kwargs: Mapping[str, Any],
              nparams: int, nmonths: int) -> xr.DataArray:
    """(…, parameter, month) fit of time-chunked *inputs*, block by block."""
    return xr.apply_ufunc(
        kernel, *inputs,
        input_core_dims=[[time_dim]] * len(inputs),
        output_core_dims=[["parameter", "month"]],
        kwargs=dict(kwargs),
        dask="parallelized",
        output_dtypes=["float64"],
        dask_gufunc_kwargs={"output_sizes": {"parameter": nparams, "month": nmonths}},
        keep_attrs=False,
    )


def apply_index(kernel: Callable, inputs: Sequence[xr.DataArray], time_dim: str, kwargs: Mapping[str, Any],
                ntargets: int, dtype: Any, params: xr.DataArray | None = None, index: str = "SPI") -> xr.DataArray:
    """(…, __out_time) index of time-chunked *inputs* (and stored *params*), block by block."""
    args = list(inputs) + ([params] if params is not None else [])
    core = [[time_dim]] * len(inputs) + ([["parameter", "month"]] if params is not None else [])
    try:
        return xr.apply_ufunc(
            kernel, *args,
            input_core_dims=core,
            output_core_dims=[["__out_time"]],
            kwargs=dict(kwargs),
            dask="parallelized",
            output_dtypes=[np.dtype(dtype)],
            dask_gufunc_kwargs={"output_sizes": {"__out_time": ntargets}},
            join="exact",
            keep_attrs=False,
        )
    except ValueError as exc:
        if params is not None and ("exact" in str(exc) or "align" in str(exc) or "index" in str(exc)):
            raise GridMismatchError(
                f"{index} parameters and precipitation are not on the same grid ({exc}); use parameters fitted on this grid"
            ) from None
        raise


def restore_coords(out: xr.DataArray, source: xr.DataArray, time_dim: str, targets: np.ndarray) -> xr.DataArray:
    """Name the output's time axis and give it the source's other coordinates with their attributes
    (apply_ufunc drops them; rioxarray's CRS lives in the ``spatial_ref`` coordinate's attributes)."""
    spatial = [d for d in source.dims if d != time_dim]
    out = out.rename({"__out_time": time_dim}).assign_coords({time_dim: source[time_dim].values[targets]})
    out = out.transpose(time_dim, *spatial)
    for name, c in source.coords.items():
        if time_dim not in c.dims:
            out = out.assign_coords({name: c})
    if "grid_mapping" in source.encoding:
        out.encoding["grid_mapping"] = source.encoding["grid_mapping"]
    return out

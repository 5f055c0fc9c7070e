"""The annual productivity series of SO1-2: year windows and the significance rule the metrics share.

The series is a DataArray with a ``year`` dimension whose coordinate holds integer years
(Part C §1.2).  Used by :mod:`~indicators.so1.productivity_trajectory`,
:mod:`~indicators.so1.productivity_state` and :mod:`~indicators.so1.productivity_performance`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from ..classes import classify_by_breaks
from ..errors import InputError, SpecError
from .encoding import DEGRADED, IMPROVED, NODATA, STABLE


def select_years(series: xr.DataArray, years: Sequence[int], dim: str, what: str) -> xr.DataArray:
    """The layers of the inclusive window *years* (first, last); a missing year is an InputError naming *what*."""
    first, last = int(years[0]), int(years[-1])
    if last < first:
        raise SpecError(f"{what}: years {first}–{last} run backwards")
    have = np.asarray(series[dim].values).astype(int)
    want = np.arange(first, last + 1)
    missing = sorted(set(want.tolist()) - set(have.tolist()))
    if missing:
        raise InputError(f"{what}: the productivity series has no layer for year(s) {missing}; "
                         f"it covers {have.min()}–{have.max()}")
    return series.sel({dim: want})


def whole_series(series: xr.DataArray, dim: str) -> xr.DataArray:
    """One chunk along the year axis (the kernels need the whole series of a cell)."""
    if series.chunks is not None:
        return series.chunk({dim: -1})
    return series


def signed_significance(z_or_s: np.ndarray, cut: float, sign_source: np.ndarray, *, right_closed: bool) -> np.ndarray:
    """3-class code: stable when |value| is within *cut*; otherwise the sign of *sign_source*."""
    sig = classify_by_breaks(np.abs(z_or_s), [cut], [0, 1], right_closed=right_closed, nodata=255)
    out = np.where(sig == 1, np.where(sign_source < 0, DEGRADED, IMPROVED), STABLE)
    out = np.where(sig == 255, NODATA, out)
    return out.astype("uint8")


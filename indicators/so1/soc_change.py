"""The SO1-3 sub-indicator: the percent change of the SOC stock over a period, classed at a threshold (D11, Part B
§2.5): degraded when pch < −threshold, improved when pch > threshold (``inclusive=True``: ≤ / ≥, the Trends.Earth
local rule)."""

from __future__ import annotations

import numba
import numpy as np
import xarray as xr

from ..classes import classify_by_breaks
from ..errors import SpecError
from .encoding import DEGRADED, IMPROVED, NODATA, STABLE, three_class_attrs


def soc_percent_change(soc_initial: xr.DataArray, soc_final: xr.DataArray) -> xr.DataArray:
    """pch = (SOC_final − SOC_initial)/SOC_initial × 100 (float32 %); NaN where SOC_initial ≤ 0 or missing."""

    out = xr.apply_ufunc(_pch_values, soc_initial, soc_final, dask="parallelized", output_dtypes=["float32"])
    out.attrs.update(long_name="change in soil organic carbon stock", units="%")
    return out.rename("soc_change")


def _pch_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (np.asarray(b, dtype="float64") - a) / a * 100.0
    return np.where(a > 0, p, np.nan).astype("float32")


def _soc_classes_reference(a: np.ndarray, b: np.ndarray, threshold: float, inclusive: bool) -> np.ndarray:
    """The SOC sub-indicator of numpy blocks: percent change, then its magnitude through classify_by_breaks."""
    p = _pch_values(a, b)
    # classify the magnitude, so both sides share the boundary rule
    sig = classify_by_breaks(np.abs(p), [threshold], [0, 1], right_closed=not inclusive, nodata=255)
    out = np.where(sig == 1, np.where(p < 0, DEGRADED, IMPROVED), STABLE)
    return np.where(sig == 255, NODATA, out).astype("uint8")


@numba.njit(nogil=True, cache=True)
def _soc_classes_kernel(a, b, threshold, inclusive, out):
    """Fused :func:`_soc_classes_reference` for float arrays: float64 change, rounded to float32 as the
    percent-change layer is, compared with the threshold (``inclusive``: ≥, else >)."""
    for i in range(a.size):
        a64 = np.float64(a[i])
        if not a64 > 0.0:  # also NaN
            out[i] = NODATA
            continue
        p = np.float64(np.float32((np.float64(b[i]) - a64) / a64 * 100.0))
        if np.isnan(p):
            out[i] = NODATA
            continue
        m = abs(p)
        significant = m >= threshold if inclusive else m > threshold
        if significant:
            out[i] = DEGRADED if p < 0 else IMPROVED
        else:
            out[i] = STABLE


def soc_degradation(
    soc_initial: xr.DataArray,
    soc_final: xr.DataArray,
    *,
    threshold: float,
    inclusive: bool,
    exclude: xr.DataArray | None = None,
    zero_initial_is_nodata: bool,
) -> xr.DataArray:
    """SO1-3 sub-indicator from the SOC stocks at the start and end of a period (D11, Part B §2.5).

    Parameters
    ----------
    soc_initial, soc_final : DataArray, t C/ha
    threshold : float
        Percent change that counts (manual: 10).
    inclusive : bool
        False (D11 default): degraded if pch < −threshold, improved if pch > threshold.
        True (Trends.Earth local rule): ≤ and ≥.
    exclude : DataArray of bool, optional
        Cells set to nodata (Trends.Earth: water, class 7 in the initial land cover).
    zero_initial_is_nodata : bool, default True
        The specs' ``soc.zero_baseline_is_nodata``.  True: a zero initial stock has no
        percent change and is nodata.  False: it is classified, improved if the final
        stock is above zero (any gain from zero exceeds the threshold), stable if it is
        zero too.

    Returns
    -------
    DataArray uint8 1 degraded / 2 stable / 3 improved, 0 nodata (where SOC_initial < 0 or
    missing, or = 0 with *zero_initial_is_nodata*).
    """
    if threshold < 0:
        raise SpecError(f"SOC threshold must be >= 0 (a percent change magnitude), got {threshold}")
    threshold = float(threshold)

    def _classes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = np.asarray(a), np.asarray(b)
        if a.shape == b.shape and a.dtype.kind == "f" and b.dtype.kind == "f":
            # one fused pass, no float64 temporaries: the same operations as the reference below
            out = np.empty(a.size, np.uint8)
            _soc_classes_kernel(np.ascontiguousarray(a).reshape(-1), np.ascontiguousarray(b).reshape(-1),
                                threshold, bool(inclusive), out)
            out = out.reshape(a.shape)
        else:
            out = _soc_classes_reference(a, b, threshold, inclusive)
        if not zero_initial_is_nodata:
            with np.errstate(invalid="ignore"):
                zero = (a == 0) & (b >= 0)
            out = np.where(zero, np.where(b > 0, IMPROVED, STABLE), out).astype("uint8")
        return out

    out = xr.apply_ufunc(_classes, soc_initial, soc_final, dask="parallelized", output_dtypes=["uint8"])
    if exclude is not None:
        out = out.where(~exclude.astype(bool), NODATA).astype("uint8")
    rule = "pch <= -t degraded, pch >= t improved" if inclusive else "pch < -t degraded, pch > t improved"
    rule += "; initial stock 0: " + ("nodata" if zero_initial_is_nodata else "improved if the final stock is > 0, else stable")
    out.attrs.update(three_class_attrs("soil organic carbon (SO1-3)", threshold_percent=float(threshold), rule=rule))
    return out.rename("soc_degradation")

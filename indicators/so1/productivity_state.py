"""SO1-2 productivity state: the recent years' mean against the baseline years' (Part C §1.2, State).

Two forms (methodology D10): Trends.Earth's percentile classes and the GPG v2 z score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import xarray as xr

from ..errors import SpecError
from .encoding import DEGRADED, IMPROVED, NODATA, STABLE, three_class_attrs
from .productivity_series import select_years, signed_significance, whole_series


def _state_te_kernel(base: np.ndarray, comp: np.ndarray, extend: float, n_classes: int, class_change: int,
                     min_difference: float, method: str) -> np.ndarray:
    base = base.astype("float64", copy=False)
    comp = comp.astype("float64", copy=False)
    lo = base.min(axis=-1, keepdims=True)
    hi = base.max(axis=-1, keepdims=True)
    rng = hi - lo
    ext = np.concatenate([base, lo - extend * rng, hi + extend * rng], axis=-1)
    qs = np.arange(1, n_classes) * (100.0 / n_classes)
    pct = np.moveaxis(np.percentile(ext, qs, axis=-1, method=method), 0, -1)  # (..., n_classes-1)
    m_base = base.mean(axis=-1)
    m_comp = comp.mean(axis=-1)
    cls_base = 1 + (m_base[..., None] > pct).sum(axis=-1)
    cls_comp = 1 + (m_comp[..., None] > pct).sum(axis=-1)
    delta = cls_comp - cls_base
    delta = np.where(np.abs(m_comp - m_base) <= min_difference, 0, delta)
    out = np.where(delta <= -class_change, DEGRADED, np.where(delta >= class_change, IMPROVED, STABLE))
    bad = ~(np.isfinite(m_base) & np.isfinite(m_comp))
    return np.where(bad, NODATA, out).astype("uint8")


def state_trends_earth(
    series: xr.DataArray,
    *,
    baseline_years: Sequence[int],
    comparison_years: Sequence[int],
    n_classes: int,
    decile_range_extension: float,
    class_change_threshold: int,
    min_mean_difference: float,
    percentile_method: str,
    dim: str = "year",
) -> xr.DataArray:
    """State, Trends.Earth form: percentile class of the recent mean against the baseline mean.

    Per cell, the baseline values plus two synthetic values at min − e·range and
    max + e·range (e = *decile_range_extension*) are cut into *n_classes* percentile
    classes (deciles: ≤ p10 → 1, …, > p90 → 10).  Δ = class(comparison mean) −
    class(baseline mean), forced to 0 where |Δ mean| ≤ *min_mean_difference* (series
    units); Δ ≤ −*class_change_threshold* degrading, Δ ≥ *class_change_threshold*
    improving (Part C §1.2, State; Trends.Earth: 10, 0.05, 2, 100 for NDVI × 10000).

    Parameters
    ----------
    percentile_method : str
        ``numpy.percentile`` method (e.g. "linear").
    """
    base = whole_series(select_years(series, baseline_years, dim, "state baseline"), dim)
    comp = whole_series(select_years(series, comparison_years, dim, "state comparison"), dim)
    comp = comp.rename({dim: f"{dim}_comparison"})
    out = xr.apply_ufunc(
        _state_te_kernel, base, comp, input_core_dims=[[dim], [f"{dim}_comparison"]],
        kwargs=dict(extend=float(decile_range_extension), n_classes=int(n_classes),
                    class_change=int(class_change_threshold), min_difference=float(min_mean_difference),
                    method=percentile_method),
        dask="parallelized", output_dtypes=["uint8"])
    out.attrs.update(three_class_attrs(
        "productivity state", method="percentile classes (Trends.Earth)", n_classes=int(n_classes),
        class_change_threshold=int(class_change_threshold), min_mean_difference=float(min_mean_difference),
        baseline_years=f"{int(baseline_years[0])}-{int(baseline_years[-1])}",
        comparison_years=f"{int(comparison_years[0])}-{int(comparison_years[-1])}"))
    return out.rename("state")


def _state_z_kernel(base: np.ndarray, comp: np.ndarray, sqrt_n: bool, ddof: int) -> np.ndarray:
    base = base.astype("float64", copy=False)
    comp = comp.astype("float64", copy=False)
    num = comp.mean(axis=-1) - base.mean(axis=-1)
    sd = base.std(axis=-1, ddof=ddof)
    den = sd / np.sqrt(comp.shape[-1]) if sqrt_n else sd
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(num == 0, 0.0, num / den)
    return z.astype("float32")


def state_zscore(
    series: xr.DataArray,
    *,
    baseline_years: Sequence[int],
    comparison_years: Sequence[int],
    z_cut: float,
    denominator: Literal["sd_over_sqrt_n", "sd"],
    ddof: int,
    dim: str = "year",
) -> xr.Dataset:
    """State, GPG v2 z-score form: z = (mean of recent years − baseline mean) / denominator.

    *denominator* ``"sd_over_sqrt_n"``: σ_baseline/√n_recent (D10 default, GPG v2 as in
    SEPAL); ``"sd"``: σ_baseline (the 2022 manual's z = (A − B)/C).  *ddof* 0 gives the
    population SD.  A constant baseline with an unchanged mean gives z = 0.
    Degrading when z < −z_cut, improving when z > z_cut.
    """
    if denominator not in ("sd_over_sqrt_n", "sd"):
        raise SpecError(f"state z-score: denominator {denominator!r} must be 'sd_over_sqrt_n' or 'sd'")
    base = whole_series(select_years(series, baseline_years, dim, "state baseline"), dim)
    comp = whole_series(select_years(series, comparison_years, dim, "state comparison"), dim)
    comp = comp.rename({dim: f"{dim}_comparison"})
    z = xr.apply_ufunc(_state_z_kernel, base, comp, input_core_dims=[[dim], [f"{dim}_comparison"]],
                       kwargs=dict(sqrt_n=denominator == "sd_over_sqrt_n", ddof=int(ddof)),
                       dask="parallelized", output_dtypes=["float32"])
    z.attrs.update(long_name="productivity state z score", units="1", denominator=denominator)

    def _classify(zz: np.ndarray) -> np.ndarray:
        return signed_significance(zz, z_cut, zz, right_closed=True)

    state = xr.apply_ufunc(_classify, z, dask="parallelized", output_dtypes=["uint8"])
    state.attrs.update(three_class_attrs("productivity state", method="z score (GPG v2)", z_cut=float(z_cut),
                                         denominator=denominator))
    return xr.Dataset({"z": z.rename("z"), "state": state.rename("state")})

"""Trend helpers for annual series (non-normative extras).

The reporting manual prescribes no statistical trend test for SO2–SO5 or SO3
(methodology Part B §3.5): Parties report the series and a qualitative reading.
These helpers give that qualitative reading with a declared tolerance, and, as
labelled extras, the Mann–Kendall test and Sen's slope.  They work on one 1-D
series; the per-pixel Mann–Kendall of the productivity trajectory (SO1-2) is a
vectorised kernel of its own in :mod:`indicators.so1.productivity`.

References: Mann (1945); Kendall (1975), variance with the tie correction;
Sen (1968) median of pairwise slopes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal, Sequence

import numpy as np
from scipy.special import ndtr

NON_NORMATIVE = "non-normative helper: the UNCCD reporting manual prescribes no trend test (methodology Part B §3.5)"

Trend = Literal["increasing", "stable", "declining"]


@dataclass(frozen=True)
class MannKendallResult:
    """Mann–Kendall test of a monotonic trend.

    s: the S statistic (concordant minus discordant pairs); var_s: its variance
    with the tie correction; z: continuity-corrected normal score; p: two-sided
    p-value; tau: Kendall's tau-a; n: number of finite values.
    """

    s: float
    var_s: float
    z: float
    p: float
    tau: float
    n: int
    note: str = NON_NORMATIVE

    def as_dict(self) -> dict:
        return asdict(self)


def _finite(years: Sequence[float] | None, values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, dtype="float64")
    t = np.arange(v.size, dtype="float64") if years is None else np.asarray(years, dtype="float64")
    if t.shape != v.shape:
        raise ValueError(f"years ({t.size}) and values ({v.size}) differ in length")
    ok = np.isfinite(v) & np.isfinite(t)
    return t[ok], v[ok]


def mann_kendall(values: Sequence[float], years: Sequence[float] | None = None) -> MannKendallResult:
    """Mann–Kendall S, its tie-corrected variance, z, two-sided p and tau; NaNs are dropped.

    Values are ordered by *years* when given (else by position).
    """
    t, v = _finite(years, values)
    v = v[np.argsort(t, kind="stable")]
    n = v.size
    if n < 3:
        return MannKendallResult(s=0.0, var_s=0.0, z=float("nan"), p=float("nan"), tau=float("nan"), n=n)
    i, j = np.triu_indices(n, k=1)
    s = float(np.sign(v[j] - v[i]).sum())
    _, counts = np.unique(v, return_counts=True)
    var_s = (n * (n - 1) * (2 * n + 5) - float(np.sum(counts * (counts - 1) * (2 * counts + 5)))) / 18.0
    if var_s <= 0:
        z = 0.0
    elif s > 0:
        z = (s - 1.0) / np.sqrt(var_s)
    elif s < 0:
        z = (s + 1.0) / np.sqrt(var_s)
    else:
        z = 0.0
    p = float(2.0 * (1.0 - ndtr(abs(z))))
    tau = s / (n * (n - 1) / 2.0)
    return MannKendallResult(s=s, var_s=float(var_s), z=float(z), p=p, tau=float(tau), n=n)


def sens_slope(years: Sequence[float], values: Sequence[float]) -> float:
    """Sen's slope: the median of the pairwise slopes (value units per year); NaN if < 2 values."""
    t, v = _finite(years, values)
    if v.size < 2:
        return float("nan")
    i, j = np.triu_indices(v.size, k=1)
    dt = t[j] - t[i]
    ok = dt != 0
    return float(np.median((v[j] - v[i])[ok] / dt[ok])) if ok.any() else float("nan")


def qualitative_trend(
    years: Sequence[float],
    values: Sequence[float],
    *,
    tolerance: float,
    method: Literal["sen", "endpoints"] = "sen",
) -> Trend | None:
    """Increasing / stable / declining, with a declared relative tolerance.

    The change over the series is compared with the mean absolute level:

    * ``method="sen"``: change = Sen's slope × (last year − first year), robust
      to a single odd year;
    * ``method="endpoints"``: change = last value − first value.

    The series is *stable* when |change| ≤ tolerance × mean(|values|),
    otherwise increasing or declining by the sign of the change.  Returns None
    when fewer than two finite values are given.

    Parameters
    ----------
    tolerance : float
        Relative tolerance (dimensionless fraction, e.g. 0.05 for 5 %), from the specs.
    """
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    t, v = _finite(years, values)
    if v.size < 2:
        return None
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    if method == "sen":
        change = sens_slope(t, v) * (t[-1] - t[0])
    elif method == "endpoints":
        change = v[-1] - v[0]
    else:
        raise ValueError(f"unknown method {method!r}; use 'sen' or 'endpoints'")
    scale = float(np.mean(np.abs(v)))
    if abs(change) <= tolerance * scale:
        return "stable"
    return "increasing" if change > 0 else "declining"


def period_mean_change(
    years: Sequence[float],
    values: Sequence[float],
    *,
    baseline: tuple[int, int],
    period: tuple[int, int],
) -> dict[str, float]:
    """Mean of the reporting period against the mean of the baseline (inclusive year ranges).

    Returns baseline_mean, period_mean, difference and relative difference
    (NaN when the baseline mean is 0 or a range has no values).
    """
    t, v = _finite(years, values)

    def _mean(lo: int, hi: int) -> float:
        sel = (t >= lo) & (t <= hi)
        return float(v[sel].mean()) if sel.any() else float("nan")

    b, p = _mean(*baseline), _mean(*period)
    rel = (p - b) / abs(b) if np.isfinite(b) and b != 0 else float("nan")
    return {"baseline_mean": b, "period_mean": p, "difference": p - b, "relative_difference": rel}

"""Probability-weighted moments (PWMs) of the SPEI's calibration samples.

``w_s = E[X (1 − F(X))^s]``, s = 0, 1, 2, by the unbiased estimator (Hosking 1986; Beguería et al. 2014)
or with plotting positions ``F_i = (i − 0.35)/N`` (Vicente-Serrano et al. 2010, eq. 5–6); the formulas
are in the docstring of :mod:`indicators.so3.spei`.  Each cell's sample is one contiguous sorted row
(:func:`sorted_rows`); the sums run in numba kernels shared with the fit
(:func:`indicators.so3.spei_loglogistic.fit_kernel`).
"""

from __future__ import annotations

import numba
import numpy as np


#: Smallest sample size for which the three unbiased PWMs exist (C(N − 1, 2) > 0).
MIN_VALUES = 3


def sorted_rows(sample: np.ndarray) -> np.ndarray:
    """(values, cells) → (cells, values), each row sorted ascending with NaN last.

    A contiguous row per cell: numpy sorts those several times faster than columns."""
    rows = np.ascontiguousarray(np.asarray(sample, dtype="float64").T)
    rows.sort(axis=1)
    return rows


@numba.njit(nogil=True, cache=True)
def valid_count(row):  # pragma: no cover - compiled
    """Number of leading non-NaN values of a row sorted with NaN last."""
    n = row.shape[0]
    while n > 0 and np.isnan(row[n - 1]):
        n -= 1
    return n


@numba.njit(nogil=True, cache=True)
def row_pwms(x, n, unbiased, shift):  # pragma: no cover - compiled
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
        n = valid_count(rows[c])
        if n >= MIN_VALUES:
            a0, a1, a2 = row_pwms(rows[c], n, unbiased, 0.0)
            out[0, c] = a0
            out[1, c] = a1
            out[2, c] = a2
    return out


def _pwms(sample: np.ndarray, unbiased: bool) -> np.ndarray:
    x = np.asarray(sample, dtype="float64")
    return _pwm_kernel(sorted_rows(x.reshape(x.shape[0], -1)), unbiased).reshape((3,) + x.shape[1:])


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

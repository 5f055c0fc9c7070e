"""The SPEI's 3-parameter log-logistic distribution: its PWM fit and the standardization through its CDF.

Parameters from the PWMs (Vicente-Serrano et al. 2010, eq. 7–9), in their L-moment form; either sign of
the L-skewness (β < −1: the generalized logistic branch); CDF ``F(x) = 1 / (1 + (α/(x − γ))^β)`` and
``SPEI = Φ⁻¹(F)``.  The method, its limits and the |τ3| floor are stated in :mod:`indicators.so3.spei`.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy import special

from .spei_pwm import MIN_VALUES, row_pwms, valid_count


#: |τ3| floor: below it the fit is replaced by the log-logistic of L-skewness ±1e-7 (see the docstring of indicators.so3.spei):
#: its distance from the logistic limit (~τ3·y²/2 in y = logit F) and the rounding of γ ≈ −λ2/τ3 balance there.
TAU3_FLOOR = 1e-7
#: |τ3| at or above this is |β| ≤ 1 up to rounding: unfittable.
TAU3_CEIL = 1.0 - 1e-9


@numba.njit(nogil=True, cache=True)
def fit_kernel(rows, min_values, unbiased, out):  # pragma: no cover - compiled
    """PWM log-logistic fit of each sorted row of *rows* (cells, years) into *out* (4, cells): α, β, γ, n_valid.

    L-moment form of the w-formulas: λ2 = w0 − 2w1, λ3 = w0 − 6w1 + 6w2, β = λ2/λ3 = 1/τ3,
    α = λ2 β/g, γ = w0 − αg, g = Γ(1 + 1/β)Γ(1 − 1/β). The unbiased PWMs are taken of the
    centred sample (their weights sum to N/(s+1), so λ2 and λ3 are shift-invariant and lose less
    to cancellation); the plotting-position ones are not shift-invariant and see the raw values.
    """
    for c in range(rows.shape[0]):
        x = rows[c]
        n = valid_count(x)
        out[3, c] = n
        out[0, c] = np.nan
        out[1, c] = np.nan
        out[2, c] = np.nan
        if n < min_values or n < MIN_VALUES or not x[n - 1] > x[0]:
            continue  # too few values, or all equal
        shift = 0.0
        if unbiased:
            for k in range(n):
                shift += x[k]
            shift /= n
        a0, a1, a2 = row_pwms(x, n, unbiased, shift)
        l2 = a0 - 2.0 * a1
        l3 = a0 - 6.0 * a1 + 6.0 * a2
        if not l2 > 0.0:
            continue
        tau3 = l3 / l2
        if not abs(tau3) < TAU3_CEIL:
            continue  # |β| ≤ 1: Γ(1 − 1/β) undefined or infinite mean
        r = tau3
        if abs(r) < TAU3_FLOOR:  # (near-)symmetric: the logistic limit, floored (indicators.so3.spei)
            r = -TAU3_FLOOR if r < 0.0 else TAU3_FLOOR
        g = math.gamma(1.0 + r) * math.gamma(1.0 - r)
        alpha = l2 / (g * r)
        gamma = shift + a0 - alpha * g
        if np.isfinite(alpha) and np.isfinite(gamma):
            out[0, c] = alpha
            out[1, c] = 1.0 / r
            out[2, c] = gamma


def standardize(v: np.ndarray, alpha, beta, gamma, clip: float | None) -> np.ndarray:
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

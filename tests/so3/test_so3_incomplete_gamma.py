"""The grouped regularized lower incomplete gamma function against closed forms and independent references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import special

from indicators.so3.incomplete_gamma import regularized_lower_gamma


def _shapes_and_args(lo: float, hi: float, n: int = 400, m: int = 24, seed: int = 0):
    """Shapes log-uniform in [lo, hi]; per shape, m arguments spread from the far lower to the far upper tail."""
    rng = np.random.default_rng(seed)
    a = np.exp(rng.uniform(math.log(lo), math.log(hi), n))
    x = rng.gamma(a[:, None], 1.0, (n, m)) * rng.uniform(0.2, 3.0, (n, m))
    return a, x


@pytest.mark.parametrize(("lo", "hi"), [(0.05, 1.0), (1.0, 10.0), (10.0, 100.0), (100.0, 1000.0), (1000.0, 5000.0)])
def test_matches_scipy_gammainc(lo, hi):
    # scipy.special.gammainc (cephes: series, continued fraction, Temme's expansion) is an independent implementation
    a, x = _shapes_and_args(lo, hi)
    got = regularized_lower_gamma(a[:, None], x)
    want = special.gammainc(a[:, None], x)
    np.testing.assert_allclose(got, want, rtol=0, atol=5e-14)
    # the drought tail needs relative accuracy; below 1e-30 scipy itself drifts (up to 7e-13 against mpmath at
    # a = 2000), so the far tail is checked against mpmath instead
    lower = (want < 0.5) & (want > 1e-30)
    np.testing.assert_allclose(got[lower], want[lower], rtol=1e-12)


def test_closed_forms():
    x = np.array([1e-8, 0.01, 0.3, 1.0, 2.5, 7.0, 20.0, 60.0])
    # P(1, x) = 1 − e^−x
    np.testing.assert_allclose(regularized_lower_gamma(1.0, x), -np.expm1(-x), rtol=1e-14)
    # P(1/2, x) = erf(√x)
    np.testing.assert_allclose(regularized_lower_gamma(0.5, x), [math.erf(math.sqrt(v)) for v in x], rtol=1e-14)
    # integer n: P(n, x) = 1 − e^−x Σ_{k<n} x^k / k!  (A&S 6.5.13), summed exactly with fractions-free floats
    for n in (2, 5, 12, 30):
        for v in (0.5, n - 1.0, float(n), n + 4.0, 3.0 * n):
            q = math.exp(-v) * math.fsum(v**k / math.factorial(k) for k in range(n))
            assert regularized_lower_gamma(float(n), v) == pytest.approx(1.0 - q, rel=1e-13, abs=1e-15)


def test_against_mpmath():
    mpmath = pytest.importorskip("mpmath", reason="requires optional dependency mpmath (test extra)")
    mpmath.mp.dps = 40
    for lo, hi in ((0.05, 1.0), (1.0, 50.0), (50.0, 2000.0)):
        a, x = _shapes_and_args(lo, hi, n=25, m=6, seed=1)
        got = regularized_lower_gamma(a[:, None], x)
        want = np.array([[float(mpmath.gammainc(a[i], 0, x[i, j], regularized=True)) for j in range(x.shape[1])]
                         for i in range(a.size)])
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-14)
        lower = want < 0.5
        np.testing.assert_allclose(got[lower], want[lower], rtol=5e-13, atol=1e-300)


def test_grouping_does_not_change_values():
    # one shape for 40 arguments on both sides of the series / continued-fraction switch, evaluated together or one by one
    a = 37.5
    x = np.linspace(0.5, 120.0, 40)
    together = regularized_lower_gamma(a, x)
    alone = np.array([regularized_lower_gamma(a, [v])[0] for v in x])
    np.testing.assert_array_equal(together, alone)
    assert np.all(np.diff(together) > 0) or np.all(np.diff(together) >= 0)


def test_edge_values_follow_scipy():
    x = np.array([0.0, np.inf, np.nan, -1.0, 1e-300, 1e300])
    np.testing.assert_array_equal(regularized_lower_gamma(2.0, x), special.gammainc(2.0, x))
    # shapes that a gamma fit cannot produce give NaN
    assert np.isnan(regularized_lower_gamma([np.nan, -1.0, 0.0, np.inf], 1.0)).all()

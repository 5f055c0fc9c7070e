"""Benchmark: the SPI's grouped incomplete gamma function against scipy.special.gammainc, same data, same run.

The SPI transform evaluates P(α, x) for every year of a (calendar month, cell)
group sharing α. ``indicators.so3.incomplete_gamma`` evaluates each group at
once (the kernel ``lower_gamma_group``, driven here through
``regularized_lower_gamma`` with α constant along the last axis);
``scipy.special.gammainc`` evaluates value by value. Shapes are drawn like those
of 12-month precipitation sums (α uniform in [lo, hi]), arguments from
Gamma(α, 1), so the series / continued-fraction mix is the SPI's.

Printed: ns per value for each, the ratio, the largest absolute difference.

    python benchmarks/bench_gamma.py                       # 50 000 groups of 40 values, α in [5, 60]
    python benchmarks/bench_gamma.py --alpha 0.5,5 --groups 20000
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import special


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--groups", type=int, default=50_000, help="(calendar month, cell) groups (default 50 000)")
    ap.add_argument("--years", type=int, default=40, help="values per group (default 40)")
    ap.add_argument("--alpha", default="5,60", help="range of the gamma shapes, lo,hi (default 5,60)")
    ap.add_argument("--repeat", type=int, default=3, help="timed repetitions; the best is reported (default 3)")
    args = ap.parse_args(argv)
    from indicators.so3.incomplete_gamma import regularized_lower_gamma

    lo, hi = (float(v) for v in args.alpha.split(","))
    rng = np.random.default_rng(0)
    alpha = rng.uniform(lo, hi, args.groups)
    x = rng.gamma(alpha[:, None], 1.0, (args.groups, args.years))
    a = np.broadcast_to(alpha[:, None], x.shape)
    regularized_lower_gamma(a[:2], x[:2])  # compile / load the numba cache outside the timing
    ours_out, ref_out = {}, {}
    t_ours = _best(lambda: ours_out.__setitem__("v", regularized_lower_gamma(a, x)), args.repeat)
    t_ref = _best(lambda: ref_out.__setitem__("v", special.gammainc(a, x)), args.repeat)
    n = x.size
    print(f"P(a, x), {args.groups} groups x {args.years} values, a uniform in [{lo:g}, {hi:g}], one thread")
    print(f"{'impl':<34}{'ns/value':>10}")
    print(f"{'indicators (grouped)':<34}{t_ours / n * 1e9:>10.1f}")
    print(f"{'scipy.special.gammainc':<34}{t_ref / n * 1e9:>10.1f}")
    print(f"speed-up {t_ref / t_ours:.2f}x; max |difference| {np.abs(ours_out['v'] - ref_out['v']).max():.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

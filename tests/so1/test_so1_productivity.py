"""SO1-2 productivity: Mann-Kendall trajectory at its critical value and slope floor, z-score forms,
Trends.Earth state, performance against the unit percentile, every combination-table row, precomputed LPD."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.errors import SpecError
from indicators.so1 import productivity as P
from indicators.trends import mann_kendall

YEARS16 = np.arange(2001, 2017)
# Hollander & Wolfe A.30 entries quoted in methodology Part B §2.4 / Part C §8
CRIT = {90: {15: 27, 16: 28, 20: 40}, 95: {15: 33, 16: 36, 20: 50}, 99: {15: 50, 16: 56, 20: 76}}


def series(values, years=None) -> xr.DataArray:
    v = np.asarray(values, dtype="float64")
    if v.ndim == 1:
        v = v[:, None, None]
    years = np.arange(2001, 2001 + v.shape[0]) if years is None else years
    return xr.DataArray(v, dims=("year", "y", "x"), coords={"year": years})


def permutation_with_inversions(n: int, inversions: int) -> np.ndarray:
    """A permutation of 0..n-1 with exactly *inversions* inversions (Lehmer code, greedy)."""
    remaining = list(range(n))
    out = []
    for i in range(n):
        k = min(inversions, n - 1 - i)
        out.append(remaining.pop(k))
        inversions -= k
    assert inversions == 0
    return np.asarray(out)


def test_mk_s_matches_the_scalar_reference():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 3, 4)).cumsum(axis=0)
    s = P.mann_kendall_s(series(x)).values
    for i in range(3):
        for j in range(4):
            assert s[i, j] == mann_kendall(x[:, i, j]).s
    assert float(P.mann_kendall_s(series([1, 2, 3, 4])).item()) == 6.0
    assert float(P.mann_kendall_s(series([4, 3, 3, 1])).item()) == -5.0  # one tie


@pytest.mark.parametrize("inversions, expected", [(42, 2), (41, 3), (79, 1), (78, 2)])
def test_trajectory_at_the_95_percent_critical_value(inversions, expected):
    # n = 16: S = 120 - 2 * inversions; S_crit(95 %) = 36, strict (|S| <= crit is not significant)
    perm = permutation_with_inversions(16, inversions)
    s_value = 120 - 2 * inversions
    x = series(perm * 1000.0)  # steep enough for the slope floor
    ds = P.trajectory_trends_earth(x, years=(2001, 2016), critical_values=CRIT, confidence=95, slope_floor=10)
    assert float(ds.mk_s.item()) == s_value
    assert int(ds.trajectory.item()) == expected


@pytest.mark.parametrize("step, expected", [(9.0, 2), (10.0, 2), (10.5, 3), (-10.0, 2), (-11.0, 1)])
def test_trajectory_slope_floor(step, expected):
    x = series(np.arange(16) * step + 5000)  # S = ±120, slope = step per year
    ds = P.trajectory_trends_earth(x, years=(2001, 2016), critical_values=CRIT, confidence=95, slope_floor=10)
    assert int(ds.trajectory.item()) == expected


def test_trajectory_window_and_missing_years():
    x = series(np.arange(20) * 100.0, years=np.arange(2000, 2020))
    ds = P.trajectory_trends_earth(x, years=(2004, 2019), critical_values=CRIT, confidence=95, slope_floor=10)
    assert ds.trajectory.attrs["n_years"] == 16 and int(ds.trajectory.item()) == 3
    gap = series(np.where(np.arange(16) == 5, np.nan, np.arange(16) * 100.0))
    ds = P.trajectory_trends_earth(gap, years=(2001, 2016), critical_values=CRIT, confidence=95, slope_floor=10)
    assert int(ds.trajectory.item()) == 0
    with pytest.raises(SpecError, match="n = 17"):
        P.trajectory_trends_earth(series(np.arange(17.0)), years=(2001, 2017), critical_values=CRIT,
                                  confidence=95, slope_floor=10)


def test_critical_values_as_lists():
    table = P.critical_value_table({"n_min": 15, 95: [33, 36]})
    assert table == {95: {15: 33.0, 16: 36.0}}


def test_trajectory_zscore_cut():
    # monotone increasing, n = 16: S = 120, Var(S) = 16*15*37/18 = 493.33, z = 5.40
    ds = P.trajectory_zscore(series(np.arange(16.0)), years=(2001, 2016), z_cut=1.96, continuity_correction=False)
    assert float(ds.z.item()) == pytest.approx(120 / np.sqrt(16 * 15 * 37 / 18), rel=1e-6)
    assert int(ds.trajectory.item()) == 3
    # n = 4: Var = 4*3*13/18 = 26/3; S = 6 -> z = 2.038 ; S = 4 -> 1.359
    ds = P.trajectory_zscore(series([1, 2, 4, 3.0]), years=(2001, 2004), z_cut=1.96, continuity_correction=False)
    assert int(ds.trajectory.item()) == 2
    ds = P.trajectory_zscore(series([4, 3, 2, 1.0]), years=(2001, 2004), z_cut=1.96, continuity_correction=False)
    assert int(ds.trajectory.item()) == 1
    ds = P.trajectory_zscore(series([4, 3, 2, 1.0]), years=(2001, 2004), z_cut=2.1, continuity_correction=False)
    assert int(ds.trajectory.item()) == 2


STATE_KW = dict(baseline_years=(2001, 2013), comparison_years=(2014, 2016), n_classes=10,
                decile_range_extension=0.05, class_change_threshold=2, percentile_method="linear")


@pytest.mark.parametrize("recent, min_difference, expected", [
    (1260.0, 100, 3),  # class 10 vs baseline class 5: +5
    (650.0, 0, 2),     # class 6: +1
    (420.0, 0, 2),     # class 4: -1
    (300.0, 0, 1),     # class 3: -2
    (1260.0, 700, 2),  # |1260 - 600| <= 700 forces 0
])
def test_state_trends_earth_hand_computed(recent, min_difference, expected):
    # baseline 0, 100, ..., 1200 (mean 600); extended by -60 and 1260; linear deciles of the 15 values:
    # p10 40, p20 180, p30 320, p40 460, p50 600, p60 740, p70 880, p80 1020, p90 1160
    values = list(np.arange(13) * 100.0) + [recent] * 3
    out = P.state_trends_earth(series(values), min_mean_difference=min_difference, **STATE_KW)
    assert int(out.item()) == expected


def test_state_zscore_denominators():
    base = np.array([0, 2] * 6 + [1], dtype=float)  # mean 1, population sd sqrt(12/13)
    vals = series(list(base) + [2.5, 2.5, 2.5])
    sd = np.sqrt(12 / 13)
    kw = dict(baseline_years=(2001, 2013), comparison_years=(2014, 2016), z_cut=1.96, ddof=0)
    z1 = P.state_zscore(vals, denominator="sd_over_sqrt_n", **kw)
    z2 = P.state_zscore(vals, denominator="sd", **kw)
    assert float(z1.z.item()) == pytest.approx(1.5 / (sd / np.sqrt(3)), rel=1e-6)
    assert float(z2.z.item()) == pytest.approx(1.5 / sd, rel=1e-6)
    assert int(z1.state.item()) == 3 and int(z2.state.item()) == 2


def test_unit_percentile_is_nearest_rank_and_chunking_free():
    rng = np.random.default_rng(7)
    vals = rng.integers(0, 10000, size=(30, 40)).astype("float64")
    vals[0, :5] = np.nan
    units = rng.integers(1, 4, size=(30, 40))
    units[1, :] = 0
    v, u = xr.DataArray(vals, dims=("y", "x")), xr.DataArray(units, dims=("y", "x"))
    ref = P.unit_percentile(v, u, percentile=90, resolution=1)
    for k in (1, 2, 3):
        sel = vals[(units == k) & np.isfinite(vals)]
        assert ref[k] == np.percentile(sel, 90, method="inverted_cdf")
    refd = P.unit_percentile(v.chunk({"y": 7, "x": 13}), u.chunk({"y": 11}), percentile=90, resolution=1)
    assert ref.equals(refd)
    assert list(ref.index) == [1, 2, 3]


@pytest.mark.parametrize("mean, expected", [(50.0, 1), (49.0, 1), (51.0, 2), (np.nan, 0)])
def test_performance_tie_is_degraded(mean, expected):
    v = xr.DataArray(np.array([[mean, 100.0]]), dims=("y", "x"))
    u = xr.DataArray(np.array([[1, 1]]), dims=("y", "x"))
    import pandas as pd

    ds = P.performance(v, u, reference=pd.Series({1: 100.0}), ratio_threshold=0.5, tie_is_degraded=True)
    assert int(ds.performance.values[0, 0]) == expected
    # a unit without a reference is nodata
    ds = P.performance(v, u * 2, reference=pd.Series({1: 100.0}), ratio_threshold=0.5, tie_is_degraded=True)
    assert int(ds.performance.values[0, 1]) == 0


# Table (b) of Part B §2.4 (PRAIS26 Table 13 / Trends.Earth calc_prod5), as the specs write it: rows from
# specific to general, the first match wins.
TABLE_B = [
    {"trajectory": "degraded", "state": "any", "performance": "any", "result": 1},
    {"trajectory": "improved", "state": "degraded", "performance": "degraded", "result": 2},
    {"trajectory": "improved", "state": "any", "performance": "any", "result": 5},
    {"trajectory": "stable", "state": "improved", "performance": "any", "result": 4},
    {"trajectory": "stable", "state": "stable", "performance": "stable", "result": 4},
    {"trajectory": "stable", "state": "stable", "performance": "degraded", "result": 3},
    {"trajectory": "stable", "state": "degraded", "performance": "stable", "result": 2},
    {"trajectory": "stable", "state": "degraded", "performance": "degraded", "result": 1},
]
# The 18 combinations written out by hand from the methodology's row list (D, S, I; perf D or S).
EXPECTED_B = {
    ("I", "I", "S"): 5, ("I", "I", "D"): 5, ("I", "S", "S"): 5, ("I", "S", "D"): 5, ("I", "D", "S"): 5,
    ("I", "D", "D"): 2,
    ("S", "I", "S"): 4, ("S", "I", "D"): 4, ("S", "S", "S"): 4, ("S", "S", "D"): 3, ("S", "D", "S"): 2,
    ("S", "D", "D"): 1,
    ("D", "I", "S"): 1, ("D", "I", "D"): 1, ("D", "S", "S"): 1, ("D", "S", "D"): 1, ("D", "D", "S"): 1,
    ("D", "D", "D"): 1,
}
CODE = {"D": 1, "S": 2, "I": 3}


def test_every_row_of_combination_table_b():
    combos = list(EXPECTED_B)
    t = xr.DataArray(np.array([[CODE[c[0]] for c in combos]], dtype="uint8"), dims=("y", "x"))
    s = xr.DataArray(np.array([[CODE[c[1]] for c in combos]], dtype="uint8"), dims=("y", "x"))
    p = xr.DataArray(np.array([[CODE[c[2]] for c in combos]], dtype="uint8"), dims=("y", "x"))
    lpd = P.combine_metrics(t, s, p, table=TABLE_B, output="lpd")
    assert lpd.values[0].tolist() == [EXPECTED_B[c] for c in combos]
    # nodata in any input -> nodata
    t0 = t.copy()
    t0[0, 0] = 0
    assert int(P.combine_metrics(t0, s, p, table=TABLE_B, output="lpd")[0, 0]) == 0
    # LPD -> 3 classes (Table 13): {1,2} degraded, {3,4} stable, {5} improved
    three = P.lpd_to_3class(lpd, mapping={1: -1, 2: -1, 3: 0, 4: 0, 5: 1}, nodata_codes=[0])
    assert three.values[0].tolist() == [{1: 1, 2: 1, 3: 2, 4: 2, 5: 3}[EXPECTED_B[c]] for c in combos]


def test_table_a_binary_and_incomplete_tables():
    # (a) 2022 baseline rule: Y = degraded
    table_a = [
        {"trajectory": "degraded", "state": "any", "performance": "any", "result": "degraded"},
        {"trajectory": "not degraded", "state": "degraded", "performance": "degraded", "result": "degraded"},
        {"trajectory": "any", "state": "any", "performance": "any", "result": "stable"},
    ]
    lut = P.combination_lut(table_a, output="three_class")
    for t, s, p in itertools.product((1, 2, 3), (1, 2, 3), (1, 2)):
        expected = 1 if t == 1 or (s == 1 and p == 1) else 2
        assert lut[t, s, p] == expected
    with pytest.raises(SpecError, match="does not cover"):
        P.combination_lut(TABLE_B[:-1], output="lpd")


def test_precomputed_lpd_declares_its_nodata():
    jrc = xr.DataArray(np.array([[0, 1, 2, 3, 4, 5, 15, 7]]), dims=("y", "x"))
    clean = P.clean_lpd(jrc, nodata_codes=[0, 15])
    assert clean.values[0].tolist() == [0, 1, 2, 3, 4, 5, 0, 0]
    three = P.lpd_to_3class(jrc, mapping={1: -1, 2: -1, 3: 0, 4: 0, 5: 1}, nodata_codes=[0, 15])
    assert three.values[0].tolist() == [0, 1, 1, 2, 2, 3, 0, 0]
    assert three.dtype == np.uint8


def test_lpd_from_ndvi_trends_earth_end_to_end():
    # 2 x 3 cells, 16 years: steady rise, steady fall, flat; units 1 and 2
    t = np.arange(16.0)[:, None, None]
    base = np.array([[100.0, -100.0, 0.0], [100.0, -100.0, 0.0]])[None]
    x = series(5000 + t * base)
    units = xr.DataArray(np.array([[1, 1, 1], [2, 2, 2]]), dims=("y", "x"))
    ds = P.lpd_from_ndvi(
        x, units, method="trends_earth",
        trajectory=dict(years=(2001, 2016), critical_values=CRIT, confidence=95, slope_floor=10),
        state=dict(STATE_KW, min_mean_difference=100),
        performance=dict(years=(2001, 2016), percentile=90, ratio_threshold=0.5, tie_is_degraded=True, resolution=1),
        combination=TABLE_B, output="lpd")
    assert ds.lpd.values.tolist() == [[5, 1, 4], [5, 1, 4]]


@settings(max_examples=15, deadline=None)
@given(cy=st.integers(1, 5), cx=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_numpy_and_dask_give_identical_metrics(cy, cx, seed):
    rng = np.random.default_rng(seed)
    x = series(rng.integers(3000, 7000, size=(16, 5, 6)).astype("float64") + np.arange(16.0)[:, None, None] * 40)
    kw = dict(years=(2001, 2016), critical_values=CRIT, confidence=95, slope_floor=10)
    a = P.trajectory_trends_earth(x, **kw)
    b = P.trajectory_trends_earth(x.chunk({"y": cy, "x": cx, "year": 5}), **kw)
    assert b.trajectory.chunks is not None
    xr.testing.assert_identical(a.compute(), b.compute())
    sa = P.state_trends_earth(x, min_mean_difference=100, **STATE_KW)
    sb = P.state_trends_earth(x.chunk({"y": cy, "x": cx}), min_mean_difference=100, **STATE_KW)
    xr.testing.assert_identical(sa, sb.compute())


# The specs' lookup-table form (specs/legends/productivity.yaml shape): signed codes, "*" = any.
SPEC_B = {
    "keys": [{"name": "trajectory"}, {"name": "state"}, {"name": "performance", "codes": [-1, 0]}],
    "outputs": [{"name": "lpd"}, {"name": "status"}],
    "rows": [
        {"when": [1, 1, "*"], "then": [5, 1]}, {"when": [1, 0, "*"], "then": [5, 1]},
        {"when": [1, -1, 0], "then": [5, 1]}, {"when": [1, -1, -1], "then": [2, -1]},
        {"when": [0, 1, "*"], "then": [4, 0]}, {"when": [0, 0, 0], "then": [4, 0]},
        {"when": [0, 0, -1], "then": [3, 0]}, {"when": [0, -1, 0], "then": [2, -1]},
        {"when": [0, -1, -1], "then": [1, -1]}, {"when": [-1, "*", "*"], "then": [1, -1]},
    ],
}
SPEC_A = {
    "keys": [{"name": "trajectory", "codes": [-1, 0]}, {"name": "state", "codes": [-1, 0]},
             {"name": "performance", "codes": [-1, 0]}],
    "outputs": [{"name": "status", "codes": [-1, 0]}],
    "rows": [{"when": [-1, "*", "*"], "then": [-1]}, {"when": [0, -1, -1], "then": [-1]},
             {"when": [0, -1, 0], "then": [0]}, {"when": [0, 0, "*"], "then": [0]}],
}


def test_spec_form_tables():
    lut = P.combination_lut(SPEC_B, output="lpd")
    for (t, s, p), lpd in EXPECTED_B.items():
        assert lut[CODE[t], CODE[s], CODE[p]] == lpd
    status = P.combination_lut(SPEC_B, output="three_class")
    assert status[3, 1, 1] == 1 and status[2, 2, 1] == 2 and status[3, 2, 2] == 3
    a = P.combination_lut(SPEC_A, output="three_class")
    # binary keys: 0 = not degraded, so an improving trajectory follows the "0" rows
    assert a[3, 1, 1] == 1 and a[3, 1, 2] == 2 and a[3, 3, 1] == 2 and a[1, 3, 2] == 1
    with pytest.raises(SpecError, match="no output 'lpd'"):
        P.combination_lut(SPEC_A, output="lpd")
    three = P.lpd_to_3class(xr.DataArray(np.array([1, 3, 5, 0])), nodata_codes=[0],
                            mapping={"rows": [{"when": [k], "then": [v]} for k, v in
                                              {1: -1, 2: -1, 3: 0, 4: 0, 5: 1}.items()]})
    assert three.values.tolist() == [1, 2, 3, 0]


def _s_null_distribution(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact null distribution of Mann-Kendall S for n distinct values (Mahonian numbers by convolution)."""
    p = np.array([1.0])
    for k in range(1, n + 1):
        q = np.zeros(p.size + k - 1)
        for j in range(k):
            q[j:j + p.size] += p
        p = q / k
    s = n * (n - 1) // 2 - 2 * np.arange(p.size)
    return s, p


def test_shipped_critical_values_against_the_exact_null_distribution():
    table = P.critical_value_table(P.kendall_critical_values())
    assert table[90][15] == 27 and table[95][16] == 36 and table[99][20] == 76  # Part C §8 examples
    assert min(table[95]) == 4 and max(table[95]) == 60 and max(table[99]) == 59
    for level, alpha in ((90, 0.10), (95, 0.05), (99, 0.01)):
        for n, c in table[level].items():
            s, p = _s_null_distribution(n)
            assert p[s > c].sum() <= alpha + 1e-12, (level, n)  # a "trend" beyond c is significant
            if level in (90, 95):
                assert p[s >= c].sum() > alpha, (level, n)  # and c is the exact one-sided point


def test_performance_tie_rule_of_the_manual():
    import pandas as pd

    v = xr.DataArray(np.array([[50.0, 49.0]]), dims=("y", "x"))
    u = xr.DataArray(np.array([[1, 1]]), dims=("y", "x"))
    ds = P.performance(v, u, reference=pd.Series({1: 100.0}), ratio_threshold=0.5, tie_is_degraded=False)
    assert ds.performance.values.tolist() == [[2, 1]]
    assert float(ds.ratio.values[0, 0]) == 0.5

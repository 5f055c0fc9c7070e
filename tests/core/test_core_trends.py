"""Mann–Kendall, Sen's slope and the qualitative trend, against hand calculations."""

import math

import pytest

from indicators.trends import mann_kendall, period_mean_change, qualitative_trend, sens_slope


def test_mann_kendall_monotone_series():
    r = mann_kendall([1, 2, 3, 4, 5])
    assert r.s == 10
    assert r.var_s == pytest.approx(5 * 4 * 15 / 18)
    assert r.z == pytest.approx(9 / math.sqrt(50 / 3))
    assert r.p == pytest.approx(0.02749, abs=1e-4)
    assert r.tau == 1.0


def test_mann_kendall_ties_and_nan():
    r = mann_kendall([1, 1, 2, float("nan")])
    assert r.n == 3 and r.s == 2
    assert r.var_s == pytest.approx((3 * 2 * 11 - 2 * 1 * 9) / 18)


def test_mann_kendall_orders_by_years():
    assert mann_kendall([3, 1, 2], years=[2002, 2000, 2001]).s == 3


def test_sens_slope_median_of_pairwise_slopes():
    # slopes 1, 1, 10/3, 1, 4.5, 8 -> median (1 + 10/3) / 2
    assert sens_slope([0, 1, 2, 3], [0, 1, 2, 10]) == pytest.approx((1 + 10 / 3) / 2)


@pytest.mark.parametrize(
    "values, expected",
    [([100, 101, 102, 103], "stable"), ([100, 110, 120, 130], "increasing"), ([100, 90, 80, 70], "declining")],
)
def test_qualitative_trend(values, expected):
    # tolerance 5 %: the first series changes 3 on a mean level of 101.5 (< 5.075)
    assert qualitative_trend([2016, 2017, 2018, 2019], values, tolerance=0.05) == expected


def test_qualitative_trend_endpoints_and_short_series():
    assert qualitative_trend([1, 2, 3], [10, 50, 10.2], tolerance=0.05, method="endpoints") == "stable"
    assert qualitative_trend([1], [1.0], tolerance=0.05) is None
    with pytest.raises(ValueError):
        qualitative_trend([1, 2], [1, 2], tolerance=-1)


def test_period_mean_change():
    r = period_mean_change([2000, 2001, 2016, 2017], [1, 3, 4, 6], baseline=(2000, 2015), period=(2016, 2019))
    assert r == {"baseline_mean": 2.0, "period_mean": 5.0, "difference": 3.0, "relative_difference": 1.5}

"""SO1-3 SOC across periods (issue 14): the transition clock between two maps, per-period restart or continuation,
and the property that a period's stocks and classes depend only on the land cover up to its final year.

Every expected stock below is hand arithmetic: forest -> cropland with f = 0.8 has Fl = 0.8, so from 50 t/ha the
annual change is 50 * (1 - 0.8) / 20 = 0.5 t/ha; the transition between maps Ya < Yb happens at
t_mid = Ya + floor((Yb - Ya)/2), and by Yb the stock has changed for Yb - t_mid years (Trends.Earth's local step).
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from indicators.errors import SpecError
from indicators.so1 import soc as S

from .test_so1_soc import fl_matrix, lc_stack

KW = dict(factors=fl_matrix(), climate_factor=0.8, transition_years=20)


def _soc(value=50.0, shape=(1, 1)):
    return xr.DataArray(np.full(shape, value), dims=("y", "x"))


# gap (years between the two maps) -> years of change by the final map, Yb - t_mid, counted by hand:
# 1: t_mid = Ya (floor(0.5) = 0) -> 1;  2: t_mid = Ya + 1 -> 1;  4: Ya + 2 -> 2;  15: Ya + 7 -> 8;  19: Ya + 9 -> 10
@pytest.mark.parametrize("gap, expected", [
    (1, 50.0 - 1 * 0.5),
    (2, 50.0 - 1 * 0.5),
    (4, 50.0 - 2 * 0.5),
    (15, 50.0 - 8 * 0.5),
    (19, 50.0 - 10 * 0.5),
])
def test_two_maps_clock_by_gap(gap, expected):
    lc = lc_stack([1, 3], [2000, 2000 + gap])
    out = S.soc_stocks(_soc(), lc, **KW)
    assert float(out.sel(year=2000 + gap)[0, 0]) == pytest.approx(expected, abs=1e-5)
    # the old class holds up to t_mid: the stock has not moved there yet
    t_mid = 2000 + gap // 2
    assert float(out.sel(year=t_mid)[0, 0]) == pytest.approx(50.0)


@pytest.mark.parametrize("gap, expected", [(1, 49.5), (2, 49.5), (4, 49.0), (15, 46.0), (19, 45.0)])
def test_period_restart_two_maps_by_gap(gap, expected):
    """The same clock through period_soc_stocks (one period, both chain modes agree: nothing before it)."""
    lc = lc_stack([1, 3], [2000, 2000 + gap])
    for chain in ("restart", "continue"):
        out = S.period_soc_stocks(_soc(), lc, periods=[(2000, 2000 + gap)], period_chain=chain, reference_year=2000, **KW)
        assert list(out.year.values) == [2000, 2000 + gap]
        assert float(out.sel(year=2000 + gap)[0, 0]) == pytest.approx(expected, abs=1e-5), chain


def test_issue_examples_cropland_to_tree_and_forest_to_artificial():
    """The issue's two numbers. Cropland -> tree 2000-2015 (Fl = 1/f = 1.25): +50 * 0.25/20 = +0.625 a year for
    2015 - 2007 = 8 years = +5 t/ha, +10 %. Forest -> artificial 2015-2019 (Fl = 0.1) restarted from 55 t/ha:
    -55 * 0.9/20 = -2.475 a year for 2019 - 2017 = 2 years = -4.95 t/ha, -9 % (stable under the 10 % rule)."""
    lc = lc_stack([3, 1, 5], [2000, 2015, 2019])
    out = S.period_soc_stocks(_soc(), lc, periods=[(2000, 2015), (2015, 2019)], period_chain="restart",
                              reference_year=2000, **KW)
    s2015, s2019 = float(out.sel(year=2015)[0, 0]), float(out.sel(year=2019)[0, 0])
    assert s2015 == pytest.approx(55.0, abs=1e-4)
    assert s2019 == pytest.approx(55.0 - 4.95, abs=1e-4)
    assert (s2019 - s2015) / s2015 * 100 == pytest.approx(-9.0, abs=1e-4)
    deg = S.soc_degradation(out.sel(year=2015), out.sel(year=2019), threshold=10, inclusive=True, zero_initial_is_nodata=True)
    assert int(deg[0, 0]) == 2  # stable


def test_continue_carries_the_baseline_transition_into_the_reporting_period():
    """continue: the 2007/2008 cropland -> tree change keeps adding +0.625 in 2016 and 2017 (still within 20 years);
    forest -> artificial from 2018 then restarts from 50 + 10 * 0.625 = 56.25: -56.25 * 0.9/20 = -2.53125 a year for
    2018 and 2019 -> 56.25 - 5.0625 = 51.1875."""
    lc = lc_stack([3, 1, 5], [2000, 2015, 2019])
    out = S.period_soc_stocks(_soc(), lc, periods=[(2000, 2015), (2015, 2019)], period_chain="continue",
                              reference_year=2000, **KW)
    assert float(out.sel(year=2015)[0, 0]) == pytest.approx(55.0, abs=1e-4)
    assert float(out.sel(year=2019)[0, 0]) == pytest.approx(51.1875, abs=1e-4)


def test_restart_reaches_a_year_no_period_ends_in_by_one_step():
    """Baseline 2000-2015, report 2016-2019: the report starts from the step 2015 -> 2016 (gap 1: a change between
    those maps counts once). Cropland all along to 2015, tree in 2016 and 2019: 2016 = 50 + 0.625; the report has no
    transition of its own, so it restarts with no change: 2019 = 2016."""
    lc = lc_stack([3, 3, 1, 1], [2000, 2015, 2016, 2019])
    out = S.period_soc_stocks(_soc(), lc, periods=[(2000, 2015), (2016, 2019)], period_chain="restart",
                              reference_year=2000, **KW)
    assert float(out.sel(year=2016)[0, 0]) == pytest.approx(50.625, abs=1e-5)
    assert float(out.sel(year=2019)[0, 0]) == pytest.approx(50.625, abs=1e-5)


def test_restart_refuses_two_periods_ending_in_one_year_from_different_starts():
    lc = lc_stack([3, 1, 1, 5], [2000, 2015, 2016, 2019])
    with pytest.raises(SpecError, match="period_chain"):
        S.period_soc_stocks(_soc(), lc, periods=[(2000, 2015), (2015, 2019), (2016, 2019)], period_chain="restart",
                            reference_year=2000, **KW)


def test_a_missing_later_map_leaves_the_earlier_stocks():
    """Land cover missing only in 2019: the 2000 and 2015 stocks exist, the 2019 stock is NaN."""
    lc = lc_stack(np.array([[1, 1]], dtype="uint8")[:, None, :].repeat(3, axis=0), [2000, 2015, 2019])
    lc[2, 0, 1] = 0
    out = S.soc_stocks(_soc(shape=(1, 2)), lc, **KW)
    # the 2019 map holds from 2018 (t_mid of 2015-2019 is 2017): finite up to 2017, NaN from 2018
    assert np.isfinite(out.sel(year=slice(2000, 2017)).values[:, 0, 1]).all()
    assert np.isnan(out.sel(year=[2018, 2019]).values[:, 0, 1]).all()
    assert float(out.sel(year=2015)[0, 1]) == 50.0 and np.isfinite(out.values[:, 0, 0]).all()


# ---- property: adding a later land-cover year, with arbitrary nodata, leaves every earlier period unchanged ----------

YEAR_SETS = [
    [2000, 2015, 2019],                # the issue's sparse set
    [2000, 2004, 2010, 2015, 2019],    # sparse, uneven gaps
    list(range(2000, 2020)),           # annual
]


def _random_case(rng, years, shape=(6, 7)):
    arr = rng.integers(1, 8, size=(len(years),) + shape).astype("uint8")
    arr[rng.random(arr.shape) < 0.1] = 0          # nodata anywhere, in any year
    soc0 = rng.uniform(5, 120, size=shape)
    soc0[rng.random(shape) < 0.05] = np.nan
    zones = rng.integers(0, 13, size=shape)
    return lc_stack(arr, years), xr.DataArray(soc0, dims=("y", "x")), xr.DataArray(zones, dims=("y", "x"))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("years", YEAR_SETS, ids=["sparse", "uneven", "annual"])
@pytest.mark.parametrize("chain", ["continue", "restart"])
def test_adding_a_later_map_changes_no_earlier_period(seed, years, chain):
    rng = np.random.default_rng(seed)
    lc, soc0, zones = _random_case(rng, years)
    f = S.climate_factor_from_zones(zones, factors=S.climate_factors_by_zone(
        [0, 2, 1, 2, 1, 2, 1, 2, 1, 5, 4, 4, 3], [{"id": i, "factor": v} for i, v in
                                                  enumerate([0.80, 0.69, 0.58, 0.48, 0.64], start=1)]))
    later = rng.integers(1, 8, size=(1,) + lc.shape[1:]).astype("uint8")
    later[rng.random(later.shape) < rng.uniform(0.0, 1.0)] = 0   # any share of nodata, up to all of it
    lc_more = xr.concat([lc, lc_stack(later, [2023])], dim="year")
    early = [(2000, 2015), (2015, 2019)]
    kw = dict(factors=fl_matrix(), climate_factor=f, transition_years=20, reference_year=2000, period_chain=chain)
    a = S.period_soc_stocks(soc0, lc, periods=early, **kw)
    b = S.period_soc_stocks(soc0, lc_more, periods=early + [(2015, 2023)], **kw)
    for y in a.year.values:
        np.testing.assert_array_equal(a.sel(year=y).values, b.sel(year=y).values)
    for ya, yb in early:
        for inclusive in (False, True):
            da = S.soc_degradation(a.sel(year=ya), a.sel(year=yb), threshold=10, inclusive=inclusive, zero_initial_is_nodata=True)
            db = S.soc_degradation(b.sel(year=ya), b.sel(year=yb), threshold=10, inclusive=inclusive, zero_initial_is_nodata=True)
            np.testing.assert_array_equal(da.values, db.values)
    # and the nodata of the later map did reach the later period where it is missing
    missing = later[0] == 0
    if missing.any():
        assert np.isnan(b.sel(year=2023).values[missing]).all()


def test_lazy_period_stocks_equal_eager():
    rng = np.random.default_rng(11)
    lc, soc0, _ = _random_case(rng, [2000, 2004, 2015, 2019])
    for chain in ("continue", "restart"):
        kw = dict(periods=[(2000, 2015), (2015, 2019)], period_chain=chain, reference_year=2000, **KW)
        a = S.period_soc_stocks(soc0, lc, **kw)
        b = S.period_soc_stocks(soc0.chunk({"y": 3}), lc.chunk({"y": 2, "year": 1}), **kw)
        assert b.chunks is not None
        np.testing.assert_array_equal(a.values, b.compute().values)

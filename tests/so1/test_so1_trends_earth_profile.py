"""The trends_earth profile reproduces methodology Part C §8 on a case built for it, and the defaults differ
where the project decided otherwise (D3, D11, D12)."""

from __future__ import annotations

import numpy as np
import pytest
import rioxarray  # noqa: F401
import xarray as xr
from affine import Affine

from indicators.so1 import land_cover as L
from indicators.so1 import productivity as P
from indicators.so1 import soc as S
from indicators.so1 import tables as T
from indicators.so1.encoding import to_signed
from indicators.so1.sdg import one_out_all_out

SIGNED = [[0, -1, -1, -1, -1, -1, 0], [1, 0, 1, -1, -1, -1, 0], [1, -1, 0, -1, -1, -1, 0], [-1, -1, -1, 0, -1, -1, 0],
          [1, 1, 1, 1, 0, 1, 0], [1, 1, 1, 1, -1, 0, 0], [0] * 7]


def cells(values, dtype):
    da = xr.DataArray(np.asarray([values], dtype=dtype), dims=("y", "x"),
                      coords={"y": [500.0], "x": 500.0 + 1000.0 * np.arange(len(values))})
    return da.rio.write_crs("EPSG:3035").rio.write_transform(Affine(1000.0, 0, 0.0, 0, -1000.0, 1000.0))


# six 1 km² cells:
#  0 water (LC 7 -> 7) whose productivity is declining
#  1 SOC down by exactly 10 %
#  2 JRC LPD code 15 (its nodata)
#  3, 4 stable everywhere
#  5 LPD increasing
LC0 = cells([7, 3, 2, 2, 1, 1], "uint8")
LC1 = cells([7, 3, 2, 2, 1, 1], "uint8")
JRC = cells([1, 4, 15, 4, 3, 5], "int16")
SOC0 = cells([np.nan, 50.0, 40.0, 40.0, 80.0, 80.0], "float32")
SOC1 = cells([np.nan, 45.0, 40.0, 40.0, 80.0, 80.0], "float32")
LPD3 = {1: -1, 2: -1, 3: 0, 4: 0, 5: 1}


def sdg_layer(*, inclusive, nodata_rule, lpd_nodata):
    lc = L.land_cover_degradation(LC0, LC1, SIGNED, codes=range(1, 8))
    prod = P.lpd_to_3class(JRC, mapping=LPD3, nodata_codes=lpd_nodata)
    soc = S.soc_degradation(SOC0, SOC1, threshold=10, inclusive=inclusive, exclude=LC0 == 7, zero_initial_is_nodata=True)
    return one_out_all_out(prod, lc, soc, nodata_rule=nodata_rule)


def test_trends_earth_profile_case():
    sdg = sdg_layer(inclusive=True, nodata_rule="any_nodata", lpd_nodata=[0, 15])
    # Part C §8: water is nodata through the SOC rule; any nodata -> nodata; pch <= -10 degraded; JRC 15 nodata
    assert to_signed(sdg).values[0].tolist() == [-32768, -1, -32768, 0, 0, 1]
    t = T.sdg_summary_table(sdg, land_mask=None, nodata_in_denominator=True).set_index("class")
    # Excel: total land area = improved + stable + degraded + no data = 6 km²
    assert t.attrs["denominator_km2"] == pytest.approx(6.0)
    assert t.loc["degraded", "percent_of_land"] == pytest.approx(100 / 6)
    assert t.loc["no data", "area_km2"] == pytest.approx(2.0)


def test_project_defaults_on_the_same_case():
    sdg = sdg_layer(inclusive=False, nodata_rule="degraded_wins", lpd_nodata=[0, 15])
    # D12: the water cell's declining productivity wins over SOC nodata; D11: exactly -10 % is stable
    assert sdg.values[0].tolist() == [1, 2, 0, 2, 2, 3]
    mask = T.land_mask_from_land_cover(LC0, water_codes=[7])
    t = T.sdg_summary_table(sdg, land_mask=mask, nodata_in_denominator=False).set_index("class")
    # D3: water (baseline first-year class 7) and nodata are out of the denominator: 4 km²
    assert t.attrs["denominator_km2"] == pytest.approx(4.0)
    assert t.loc["water", "area_km2"] == pytest.approx(1.0)
    assert t.loc["degraded", "percent_of_land"] == 0.0
    assert t.loc["improved", "percent_of_land"] == pytest.approx(25.0)


def test_the_profile_restarts_each_period_and_the_default_continues():
    """soc.period_chain from the specs: Trends.Earth's local step restarts each period (docs/trends-earth-profile.md);
    the default runs one 20-year chain (D11)."""
    from indicators import load_framework

    assert load_framework("2026", "trends_earth").parameters("soc").period_chain == "restart"
    assert load_framework("2026", "default").parameters("soc").period_chain == "continue"

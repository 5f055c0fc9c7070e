"""SO1-2 productivity trajectory: the Mann–Kendall trend of the annual series over a window.

Two forms (methodology D10; Part B §2.4; Part C §1.2, Trajectory): Trends.Earth's (S against the
Hollander–Wolfe critical value, direction and floor from the OLS slope) and the GPG v2 z score.
Kernels loop over year offsets, never over pixels; a cell with a missing year is nodata.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import SpecError
from .encoding import NODATA, STABLE, three_class_attrs
from .productivity_series import select_years, signed_significance, whole_series


def _mk_s_kernel(x: np.ndarray) -> np.ndarray:
    """Mann–Kendall S over the last axis; NaN if any value is missing. Loop over year offsets only."""
    x = x.astype("float64", copy=False)
    n = x.shape[-1]
    s = np.zeros(x.shape[:-1], dtype="float64")
    for i in range(n - 1):
        s += np.sign(x[..., i + 1:] - x[..., i:i + 1]).sum(axis=-1)
    return s.astype("float32")


def _slope_kernel(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Ordinary least-squares slope over the last axis (value units per year)."""
    x = x.astype("float64", copy=False)
    tc = t - t.mean()
    xc = x - x.mean(axis=-1, keepdims=True)
    return ((xc * tc).sum(axis=-1) / (tc * tc).sum()).astype("float32")


def mann_kendall_s(series: xr.DataArray, *, dim: str = "year") -> xr.DataArray:
    """Mann–Kendall S per cell: concordant minus discordant year pairs (float32, NaN if a year is missing)."""
    out = xr.apply_ufunc(_mk_s_kernel, whole_series(series, dim), input_core_dims=[[dim]], dask="parallelized",
                         output_dtypes=["float32"])
    out.attrs.update(long_name="Mann-Kendall S statistic", units="1")
    return out.rename("mk_s")


def ols_slope(series: xr.DataArray, *, dim: str = "year") -> xr.DataArray:
    """Least-squares slope per cell against the year coordinate (input units per year, float32)."""
    t = np.asarray(series[dim].values, dtype="float64")
    out = xr.apply_ufunc(_slope_kernel, whole_series(series, dim), input_core_dims=[[dim]], kwargs={"t": t},
                         dask="parallelized", output_dtypes=["float32"])
    units = series.attrs.get("units", "1")
    out.attrs.update(long_name="least-squares trend", units=f"({units}) / year")
    return out.rename("slope")


def _percent_level(confidence: float) -> int:
    """95 from 95 or 0.95."""
    c = float(confidence)
    return int(round(c * 100)) if c <= 1 else int(round(c))


def kendall_critical_values() -> pd.DataFrame:
    """Hollander & Wolfe table A.30 as used by Trends.Earth: S critical values, n = 4..60, at 90/95/99 %.

    Shipped as ``indicators/so1/kendall_critical_values.csv`` (columns n, 90, 95, 99; the
    99 % column stops at n = 59).  The 90 and 95 columns are the exact one-sided
    10 % / 5 % points of the null distribution of S (P(S > c) ≤ α < P(S ≥ c)).
    """
    from importlib.resources import files

    with files("indicators.so1").joinpath("kendall_critical_values.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def critical_value_table(table: Any) -> dict[int, dict[int, float]]:
    """Normalise a Kendall critical-value table to ``{confidence level: {n: S critical}}``.

    Accepts ``{level: {n: value}}``, ``{level: [values for n = n_min, …]}`` together with
    a key ``"n_min"``, or a DataFrame with a column ``n`` and one column per level.
    """
    if isinstance(table, pd.DataFrame):
        df = table.set_index("n") if "n" in table.columns else table
        return {int(float(c)): {int(n): float(v) for n, v in df[c].dropna().items()} for c in df.columns}
    if not isinstance(table, Mapping):
        raise SpecError("Mann-Kendall critical values: expected {level: {n: value}} or a table with column 'n'")
    n_min = table.get("n_min")
    out: dict[int, dict[int, float]] = {}
    for level, vals in table.items():
        if level == "n_min":
            continue
        if isinstance(vals, Mapping):
            out[int(float(level))] = {int(n): float(v) for n, v in vals.items()}
        else:
            if n_min is None:
                raise SpecError("Mann-Kendall critical values given as lists need 'n_min' (the n of the first value)")
            out[int(float(level))] = {int(n_min) + i: float(v) for i, v in enumerate(vals)}
    return out



def trajectory_trends_earth(
    series: xr.DataArray,
    *,
    years: Sequence[int],
    critical_values: Any,
    confidence: float,
    slope_floor: float,
    dim: str = "year",
) -> xr.Dataset:
    """Trajectory, Trends.Earth form: Mann–Kendall S against tabulated critical values, slope floor.

    A cell trends when |S| > S_crit(n, *confidence*) **and** |OLS slope| > *slope_floor*;
    the direction is the sign of the OLS slope (Part C §1.2, Trajectory; only ≥ 95 %
    counts in Trends.Earth, i.e. ``confidence=95``).

    Parameters
    ----------
    series : DataArray (year, …)
        Annual productivity (e.g. mean NDVI × 10000).
    years : (first, last)
        Inclusive trajectory window (e.g. 2001–2015 for the baseline).
    critical_values : table
        Hollander–Wolfe table A.30 (see :func:`critical_value_table`;
        :func:`kendall_critical_values` gives the shipped one).
    confidence : float
        Level whose critical value decides: 95 or 0.95 (specs: ``trajectory.confidence``).
    slope_floor : float
        Slope floor in the series' units per year (Trends.Earth: 10 for NDVI × 10000;
        the specs give 0.001 NDVI/yr, so the runner scales it to the series' units).

    Returns
    -------
    Dataset with ``slope`` (float32), ``mk_s`` (float32) and ``trajectory`` (uint8 3-class).
    """
    win = select_years(series, years, dim, "trajectory")
    n = win.sizes[dim]
    confidence = _percent_level(confidence)
    table = critical_value_table(critical_values)
    if int(confidence) not in table:
        raise SpecError(f"trajectory: no critical values for confidence {confidence}; table has {sorted(table)}")
    if n not in table[int(confidence)]:
        raise SpecError(f"trajectory: the critical-value table has no entry for n = {n} years at "
                        f"{confidence} % (it covers n = {min(table[int(confidence)])}–{max(table[int(confidence)])})")
    crit = table[int(confidence)][n]
    s = mann_kendall_s(win, dim=dim)
    slope = ols_slope(win, dim=dim)

    def _classify(s_: np.ndarray, b: np.ndarray) -> np.ndarray:
        cls = signed_significance(s_, crit, b, right_closed=True)
        flat = np.abs(b) <= slope_floor
        return np.where((cls != NODATA) & flat, STABLE, cls).astype("uint8")

    traj = xr.apply_ufunc(_classify, s, slope, dask="parallelized", output_dtypes=["uint8"])
    traj.attrs.update(three_class_attrs(
        "productivity trajectory", method="Mann-Kendall S vs Hollander-Wolfe critical value, OLS slope sign",
        n_years=n, confidence=int(confidence), s_critical=crit, slope_floor=float(slope_floor),
        years=f"{int(years[0])}-{int(years[-1])}"))
    return xr.Dataset({"slope": slope, "mk_s": s, "trajectory": traj.rename("trajectory")})


def _mk_z_kernel(x: np.ndarray, continuity: bool) -> np.ndarray:
    n = x.shape[-1]
    s = _mk_s_kernel(x).astype("float64")
    var = n * (n - 1) * (2 * n + 5) / 18.0
    if continuity:
        s = s - np.sign(s)
    return (s / np.sqrt(var)).astype("float32")


def trajectory_zscore(
    series: xr.DataArray,
    *,
    years: Sequence[int],
    z_cut: float,
    continuity_correction: bool,
    dim: str = "year",
) -> xr.Dataset:
    """Trajectory, GPG v2 z-score form: Mann–Kendall z = S / √Var(S), cut at ±*cut*.

    Degrading when z < −z_cut, improving when z > z_cut, stable otherwise (Part B §2.4:
    z < −1.96 degrading, z > 1.96 improving; D10 default cut 1.96).
    Var(S) = n(n−1)(2n+5)/18 without the tie correction (ties are rare in
    continuous productivity); the continuity correction subtracts sign(S).

    Returns
    -------
    Dataset with ``z`` (float32) and ``trajectory`` (uint8 3-class).
    """
    win = select_years(series, years, dim, "trajectory")
    z = xr.apply_ufunc(_mk_z_kernel, whole_series(win, dim), input_core_dims=[[dim]],
                       kwargs={"continuity": bool(continuity_correction)},
                       dask="parallelized", output_dtypes=["float32"])
    z.attrs.update(long_name="Mann-Kendall z score of the productivity trajectory", units="1")

    def _classify(zz: np.ndarray) -> np.ndarray:
        return signed_significance(zz, z_cut, zz, right_closed=True)

    traj = xr.apply_ufunc(_classify, z, dask="parallelized", output_dtypes=["uint8"])
    traj.attrs.update(three_class_attrs("productivity trajectory", method="Mann-Kendall z (GPG v2)", z_cut=float(z_cut),
                                        years=f"{int(years[0])}-{int(years[-1])}"))
    return xr.Dataset({"z": z.rename("z"), "trajectory": traj.rename("trajectory")})

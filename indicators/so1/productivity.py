"""SO1-2 land productivity: precomputed LPD, or LPD computed from an annual productivity series.

Methodology decision D10; Part B §2.4 (metrics, the three combination tables);
Part C §1.2 (Trends.Earth trajectory, state, performance and ``calc_prod5``).

Encoding (:mod:`indicators.so1.encoding`): trajectory, state and the 3-class
productivity sub-indicator are uint8 1 degraded / 2 stable / 3 improved, 0
nodata; performance is 1 degraded / 2 stable; the 5-class LPD is 1 declining,
2 moderate decline, 3 stressed, 4 stable, 5 increasing, 0 nodata.

Kernels are vectorised over cells (``xarray.apply_ufunc(dask="parallelized")``
with the year axis as the core dimension; Python loops run over years or year
pairs, never over pixels).  The productivity series is a DataArray with a
``year`` dimension whose coordinate holds integer years.  A cell with any
missing year in a window gets nodata for that metric.

Every threshold, table and window is a keyword argument without a default:
the runner passes them from ``specs/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..classes import classify_by_breaks, flag_attrs
from ..errors import ComputeError, InputError, SpecError
from .encoding import DEGRADED, IMPROVED, NODATA, STABLE, as_plain, meaning_code, recode_classes, three_class_attrs

LPD_NAMES = {1: "declining", 2: "moderate decline", 3: "stressed", 4: "stable", 5: "increasing"}
LPD_CODES = (1, 2, 3, 4, 5)


def lpd_attrs(**extra: Any) -> dict[str, Any]:
    return flag_attrs(list(LPD_CODES), [LPD_NAMES[c] for c in LPD_CODES], nodata=NODATA,
                      long_name="land productivity dynamics (5 classes)", **extra)


# --------------------------------------------------------------------------------------------
# Precomputed LPD
# --------------------------------------------------------------------------------------------

def clean_lpd(lpd: xr.DataArray, *, nodata_codes: Sequence[int], classes: Sequence[int] = LPD_CODES) -> xr.DataArray:
    """A precomputed 5-class LPD (JRC, FAO-WOCAT, custom) as uint8 1..5 with 0 nodata.

    Parameters
    ----------
    lpd : DataArray of int
        The source layer.
    nodata_codes : sequence of int
        The source's nodata codes (declared per source in the specs; JRC: 0 and 15).
        Any other code outside *classes* is nodata too.
    """
    out = recode_classes(lpd, {int(c): int(c) for c in classes}, nodata=NODATA, input_nodata=list(nodata_codes))
    out.attrs.update(lpd_attrs(source_nodata_codes=[int(c) for c in nodata_codes]))
    return out.rename("lpd")


def lpd_mapping(mapping: Any) -> dict[int, int]:
    """``{LPD code: internal 3-class code}`` from a lookup table (spec object or dump) or a plain mapping; a
    malformed one is a :class:`~indicators.errors.SpecError` naming the entry and the fix."""
    mapping = as_plain(mapping)
    if isinstance(mapping, Mapping) and "rows" in mapping:  # the specs' lookup-table form
        rows = mapping["rows"]
        if not isinstance(rows, Sequence) or not all(isinstance(r, Mapping) and isinstance(r.get("when"), Sequence)
                                                     and isinstance(r.get("then"), Sequence) and r["when"] and r["then"]
                                                     for r in rows):
            raise SpecError("LPD to 3 classes mapping: 'rows' must be a list of {when: [code], then: [meaning]}")
        mapping = {r["when"][0]: r["then"][0] for r in rows}
    if not isinstance(mapping, Mapping) or not mapping:
        raise SpecError(f"LPD to 3 classes mapping {mapping!r}: give fw.lookup_table(id) or {{LPD code: meaning}}, "
                        "e.g. {1: -1, 2: -1, 3: 0, 4: 0, 5: 1}")
    table = {}
    for k, v in mapping.items():
        try:
            code = int(k)
            if isinstance(k, bool) or (isinstance(k, float) and k != code):
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise SpecError(f"LPD to 3 classes mapping: key {k!r} is not an LPD class code; use integers 1..5") from None
        table[code] = meaning_code(v, where=f"LPD to 3 classes mapping[{k!r}]")
    return table


def lpd_to_3class(lpd: xr.DataArray, *, mapping: Any, nodata_codes: Sequence[int]) -> xr.DataArray:
    """SO1-2 sub-indicator from a 5-class LPD (Part B §2.4, Table 13).

    Parameters
    ----------
    lpd : DataArray of int
        5-class LPD (precomputed, or from :func:`lpd_from_ndvi`).
    mapping : LookupTable or {LPD code: meaning}
        The spec object ``fw.lookup_table(id)`` (or its dump: rows of ``when: [lpd]``,
        ``then: [status]``), or a plain mapping.
        Meanings −1/0/1 or names; the manual's default is {1: −1, 2: −1, 3: 0, 4: 0, 5: 1}
        ("stressed" counts as not degraded).
    nodata_codes : sequence of int
        Codes of the LPD source meaning nodata (JRC: 0 and 15; internal LPD: 0).

    Returns
    -------
    DataArray uint8 1 degraded / 2 stable / 3 improved, 0 nodata.
    """
    table = lpd_mapping(mapping)
    out = recode_classes(lpd, table, nodata=NODATA, input_nodata=list(nodata_codes))
    out.attrs.update(three_class_attrs("land productivity (SO1-2)", lpd_mapping=str(table)))
    return out.rename("productivity")


# --------------------------------------------------------------------------------------------
# Helpers over the year axis
# --------------------------------------------------------------------------------------------

def _select_years(series: xr.DataArray, years: Sequence[int], dim: str, what: str) -> xr.DataArray:
    first, last = int(years[0]), int(years[-1])
    if last < first:
        raise SpecError(f"{what}: years {first}–{last} run backwards")
    have = np.asarray(series[dim].values).astype(int)
    want = np.arange(first, last + 1)
    missing = sorted(set(want.tolist()) - set(have.tolist()))
    if missing:
        raise InputError(f"{what}: the productivity series has no layer for year(s) {missing}; "
                         f"it covers {have.min()}–{have.max()}")
    return series.sel({dim: want})


def _core(series: xr.DataArray, dim: str) -> xr.DataArray:
    """One chunk along the year axis (the kernels need the whole series of a cell)."""
    if series.chunks is not None:
        return series.chunk({dim: -1})
    return series


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
    out = xr.apply_ufunc(_mk_s_kernel, _core(series, dim), input_core_dims=[[dim]], dask="parallelized",
                         output_dtypes=["float32"])
    out.attrs.update(long_name="Mann-Kendall S statistic", units="1")
    return out.rename("mk_s")


def ols_slope(series: xr.DataArray, *, dim: str = "year") -> xr.DataArray:
    """Least-squares slope per cell against the year coordinate (input units per year, float32)."""
    t = np.asarray(series[dim].values, dtype="float64")
    out = xr.apply_ufunc(_slope_kernel, _core(series, dim), input_core_dims=[[dim]], kwargs={"t": t},
                         dask="parallelized", output_dtypes=["float32"])
    units = series.attrs.get("units", "1")
    out.attrs.update(long_name="least-squares trend", units=f"({units}) / year")
    return out.rename("slope")


def _signed_significance(z_or_s: np.ndarray, cut: float, sign_source: np.ndarray, *, right_closed: bool) -> np.ndarray:
    """3-class code: stable when |value| is within *cut*; otherwise the sign of *sign_source*."""
    sig = classify_by_breaks(np.abs(z_or_s), [cut], [0, 1], right_closed=right_closed, nodata=255)
    out = np.where(sig == 1, np.where(sign_source < 0, DEGRADED, IMPROVED), STABLE)
    out = np.where(sig == 255, NODATA, out)
    return out.astype("uint8")


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


# --------------------------------------------------------------------------------------------
# Trajectory
# --------------------------------------------------------------------------------------------

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
    win = _select_years(series, years, dim, "trajectory")
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
        cls = _signed_significance(s_, crit, b, right_closed=True)
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
    win = _select_years(series, years, dim, "trajectory")
    z = xr.apply_ufunc(_mk_z_kernel, _core(win, dim), input_core_dims=[[dim]],
                       kwargs={"continuity": bool(continuity_correction)},
                       dask="parallelized", output_dtypes=["float32"])
    z.attrs.update(long_name="Mann-Kendall z score of the productivity trajectory", units="1")

    def _classify(zz: np.ndarray) -> np.ndarray:
        return _signed_significance(zz, z_cut, zz, right_closed=True)

    traj = xr.apply_ufunc(_classify, z, dask="parallelized", output_dtypes=["uint8"])
    traj.attrs.update(three_class_attrs("productivity trajectory", method="Mann-Kendall z (GPG v2)", z_cut=float(z_cut),
                                        years=f"{int(years[0])}-{int(years[-1])}"))
    return xr.Dataset({"z": z.rename("z"), "trajectory": traj.rename("trajectory")})


# --------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------

def _state_te_kernel(base: np.ndarray, comp: np.ndarray, extend: float, n_classes: int, class_change: int,
                     min_difference: float, method: str) -> np.ndarray:
    base = base.astype("float64", copy=False)
    comp = comp.astype("float64", copy=False)
    lo = base.min(axis=-1, keepdims=True)
    hi = base.max(axis=-1, keepdims=True)
    rng = hi - lo
    ext = np.concatenate([base, lo - extend * rng, hi + extend * rng], axis=-1)
    qs = np.arange(1, n_classes) * (100.0 / n_classes)
    pct = np.moveaxis(np.percentile(ext, qs, axis=-1, method=method), 0, -1)  # (..., n_classes-1)
    m_base = base.mean(axis=-1)
    m_comp = comp.mean(axis=-1)
    cls_base = 1 + (m_base[..., None] > pct).sum(axis=-1)
    cls_comp = 1 + (m_comp[..., None] > pct).sum(axis=-1)
    delta = cls_comp - cls_base
    delta = np.where(np.abs(m_comp - m_base) <= min_difference, 0, delta)
    out = np.where(delta <= -class_change, DEGRADED, np.where(delta >= class_change, IMPROVED, STABLE))
    bad = ~(np.isfinite(m_base) & np.isfinite(m_comp))
    return np.where(bad, NODATA, out).astype("uint8")


def state_trends_earth(
    series: xr.DataArray,
    *,
    baseline_years: Sequence[int],
    comparison_years: Sequence[int],
    n_classes: int,
    decile_range_extension: float,
    class_change_threshold: int,
    min_mean_difference: float,
    percentile_method: str,
    dim: str = "year",
) -> xr.DataArray:
    """State, Trends.Earth form: percentile class of the recent mean against the baseline mean.

    Per cell, the baseline values plus two synthetic values at min − e·range and
    max + e·range (e = *decile_range_extension*) are cut into *n_classes* percentile
    classes (deciles: ≤ p10 → 1, …, > p90 → 10).  Δ = class(comparison mean) −
    class(baseline mean), forced to 0 where |Δ mean| ≤ *min_mean_difference* (series
    units); Δ ≤ −*class_change_threshold* degrading, Δ ≥ *class_change_threshold*
    improving (Part C §1.2, State; Trends.Earth: 10, 0.05, 2, 100 for NDVI × 10000).

    Parameters
    ----------
    percentile_method : str
        ``numpy.percentile`` method (e.g. "linear").
    """
    base = _core(_select_years(series, baseline_years, dim, "state baseline"), dim)
    comp = _core(_select_years(series, comparison_years, dim, "state comparison"), dim)
    comp = comp.rename({dim: f"{dim}_comparison"})
    out = xr.apply_ufunc(
        _state_te_kernel, base, comp, input_core_dims=[[dim], [f"{dim}_comparison"]],
        kwargs=dict(extend=float(decile_range_extension), n_classes=int(n_classes),
                    class_change=int(class_change_threshold), min_difference=float(min_mean_difference),
                    method=percentile_method),
        dask="parallelized", output_dtypes=["uint8"])
    out.attrs.update(three_class_attrs(
        "productivity state", method="percentile classes (Trends.Earth)", n_classes=int(n_classes),
        class_change_threshold=int(class_change_threshold), min_mean_difference=float(min_mean_difference),
        baseline_years=f"{int(baseline_years[0])}-{int(baseline_years[-1])}",
        comparison_years=f"{int(comparison_years[0])}-{int(comparison_years[-1])}"))
    return out.rename("state")


def _state_z_kernel(base: np.ndarray, comp: np.ndarray, sqrt_n: bool, ddof: int) -> np.ndarray:
    base = base.astype("float64", copy=False)
    comp = comp.astype("float64", copy=False)
    num = comp.mean(axis=-1) - base.mean(axis=-1)
    sd = base.std(axis=-1, ddof=ddof)
    den = sd / np.sqrt(comp.shape[-1]) if sqrt_n else sd
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(num == 0, 0.0, num / den)
    return z.astype("float32")


def state_zscore(
    series: xr.DataArray,
    *,
    baseline_years: Sequence[int],
    comparison_years: Sequence[int],
    z_cut: float,
    denominator: Literal["sd_over_sqrt_n", "sd"],
    ddof: int,
    dim: str = "year",
) -> xr.Dataset:
    """State, GPG v2 z-score form: z = (mean of recent years − baseline mean) / denominator.

    *denominator* ``"sd_over_sqrt_n"``: σ_baseline/√n_recent (D10 default, GPG v2 as in
    SEPAL); ``"sd"``: σ_baseline (the 2022 manual's z = (A − B)/C).  *ddof* 0 gives the
    population SD.  A constant baseline with an unchanged mean gives z = 0.
    Degrading when z < −z_cut, improving when z > z_cut.
    """
    if denominator not in ("sd_over_sqrt_n", "sd"):
        raise SpecError(f"state z-score: denominator {denominator!r} must be 'sd_over_sqrt_n' or 'sd'")
    base = _core(_select_years(series, baseline_years, dim, "state baseline"), dim)
    comp = _core(_select_years(series, comparison_years, dim, "state comparison"), dim)
    comp = comp.rename({dim: f"{dim}_comparison"})
    z = xr.apply_ufunc(_state_z_kernel, base, comp, input_core_dims=[[dim], [f"{dim}_comparison"]],
                       kwargs=dict(sqrt_n=denominator == "sd_over_sqrt_n", ddof=int(ddof)),
                       dask="parallelized", output_dtypes=["float32"])
    z.attrs.update(long_name="productivity state z score", units="1", denominator=denominator)

    def _classify(zz: np.ndarray) -> np.ndarray:
        return _signed_significance(zz, z_cut, zz, right_closed=True)

    state = xr.apply_ufunc(_classify, z, dask="parallelized", output_dtypes=["uint8"])
    state.attrs.update(three_class_attrs("productivity state", method="z score (GPG v2)", z_cut=float(z_cut),
                                         denominator=denominator))
    return xr.Dataset({"z": z.rename("z"), "state": state.rename("state")})


# --------------------------------------------------------------------------------------------
# Performance
# --------------------------------------------------------------------------------------------

def ecological_units(*layers: xr.DataArray, multipliers: Sequence[int]) -> xr.DataArray:
    """Combine class layers into one unit id: Σ layer_k × multiplier_k (uint32), 0 where any is 0/NaN.

    Trends.Earth: soil taxonomy × 100 + land-cover class (``multipliers=[100, 1]``).
    """
    if len(layers) != len(multipliers):
        raise SpecError(f"{len(layers)} unit layers but {len(multipliers)} multipliers")

    def _units(*arrs: np.ndarray) -> np.ndarray:
        total = np.zeros(np.broadcast_shapes(*(a.shape for a in arrs)), dtype="uint64")
        ok = np.ones(total.shape, dtype=bool)
        for a, m in zip(arrs, multipliers):
            af = np.asarray(a)
            good = np.isfinite(af) if af.dtype.kind == "f" else np.ones(af.shape, dtype=bool)
            good &= np.where(good, af, 0) > 0
            ok &= good
            total += np.where(good, af, 0).astype("uint64") * np.uint64(m)
        return np.where(ok, total, 0).astype("uint32")

    out = xr.apply_ufunc(_units, *layers, dask="parallelized", output_dtypes=["uint32"])
    out.attrs.update(long_name="land cover / ecosystem functional unit", units="1", nodata=0)
    return out.rename("unit")


def _hist_kernel(vals: np.ndarray, units: np.ndarray, unit_keys: np.ndarray, vmin: float, resolution: float,
                 nbins: int) -> np.ndarray:
    v = np.asarray(vals, dtype="float64").ravel()
    u = np.asarray(units).ravel()
    pos = np.searchsorted(unit_keys, u)
    pos = np.clip(pos, 0, unit_keys.size - 1)
    ok = np.isfinite(v) & (unit_keys[pos] == u)
    b = np.rint((v[ok] - vmin) / resolution).astype("int64")
    idx = pos[ok] * nbins + np.clip(b, 0, nbins - 1)
    return np.bincount(idx, minlength=unit_keys.size * nbins).astype("int64")


def unit_percentile(
    values: xr.DataArray,
    units: xr.DataArray,
    *,
    percentile: float,
    resolution: float,
    exclude_values: Sequence[float] = (),
) -> pd.Series:
    """Per-unit percentile of *values* (e.g. the 90th percentile of mean NDVI per unit).

    The percentile is the nearest-rank value (the smallest value v with at least
    ⌈q·N/100⌉ values ≤ v) of the values rounded to a lattice of step *resolution*:
    exact for data on that lattice (NDVI × 10000 stored as integers, resolution 1),
    otherwise within resolution/2.  Two passes (range and unit keys, then one
    histogram per block), so numpy and dask inputs give identical results with
    bounded memory (units × bins counters).

    Parameters
    ----------
    values : DataArray, float
        Period-mean productivity; NaN excluded.
    units : DataArray, int
        Unit id per cell (0 = no unit, excluded).
    percentile : float
        q in percent (Trends.Earth: 90).
    resolution : float
        Lattice step in the units of *values*.
    exclude_values : sequence of float
        Values left out (Trends.Earth leaves NDVI 0 out).

    Returns
    -------
    pandas.Series indexed by unit id, the reference value (NaN-free).
    """
    if not 0 < percentile <= 100:
        raise SpecError(f"percentile must be in (0, 100], got {percentile}")
    if resolution <= 0:
        raise SpecError(f"resolution must be > 0, got {resolution}")
    vals = values.astype("float64")
    if exclude_values:
        vals = vals.where(~vals.isin(list(exclude_values)))
    vals = vals.where(units > 0)
    import dask

    vmin, vmax = dask.compute(vals.min(), vals.max())
    vmin, vmax = float(vmin), float(vmax)
    if not np.isfinite(vmin):
        raise ComputeError("unit percentile: no valid values inside any unit")
    ud = units.where(vals.notnull()).data
    if hasattr(ud, "dask"):
        import dask.array as dsa

        keys = dsa.unique(dsa.where(dsa.isnan(ud), 0, ud)).compute()
    else:
        keys = np.unique(np.where(np.isnan(ud), 0, ud))
    keys = np.sort(keys[keys > 0]).astype(units.dtype if units.dtype.kind in "iu" else "int64")
    nbins = int(np.rint((vmax - vmin) / resolution)) + 1
    if keys.size * nbins > 5e8:
        raise ComputeError(f"unit percentile: {keys.size} units × {nbins} bins is too large; "
                           "use a coarser resolution")
    vd, udat = vals.data, units.data
    if hasattr(vd, "dask") or hasattr(udat, "dask"):
        import dask.array as dsa

        vd = dsa.asarray(vd)
        udat = dsa.asarray(udat).rechunk(vd.chunks)
        blocks = [dask.delayed(_hist_kernel)(a, b, keys, vmin, resolution, nbins)
                  for a, b in zip(vd.to_delayed().ravel(), udat.to_delayed().ravel())]
        hist = np.sum(dask.compute(*blocks), axis=0)
    else:
        hist = _hist_kernel(vd, udat, keys, vmin, resolution, nbins)
    hist = hist.reshape(keys.size, nbins)
    cum = hist.cumsum(axis=1)
    total = cum[:, -1]
    rank = np.ceil(percentile / 100.0 * total).astype("int64")
    rank = np.maximum(rank, 1)
    first = (cum >= rank[:, None]).argmax(axis=1)
    ref = vmin + first * resolution
    keep = total > 0
    return pd.Series(ref[keep], index=pd.Index(keys[keep], name="unit"), name=f"p{percentile:g}")


def performance(
    productivity_mean: xr.DataArray,
    units: xr.DataArray,
    *,
    reference: pd.Series,
    ratio_threshold: float,
    tie_is_degraded: bool,
) -> xr.Dataset:
    """Performance: the cell's mean productivity over its unit's reference (e.g. the unit's p90).

    Degraded when ratio < *ratio_threshold* (manual: "< 0.5"), or ratio ≤ it with
    ``tie_is_degraded=True`` (Trends.Earth).
    Cells whose unit has no reference, or a reference ≤ 0, are nodata.

    Returns
    -------
    Dataset with ``ratio`` (float32) and ``performance`` (uint8 1 degraded / 2 stable, 0 nodata).
    """
    keys = np.asarray(reference.index, dtype="float64")
    refs = np.asarray(reference.values, dtype="float64")
    order = np.argsort(keys)
    keys, refs = keys[order], refs[order]

    def _ratio(v: np.ndarray, u: np.ndarray) -> np.ndarray:
        uf = np.asarray(u, dtype="float64")
        pos = np.clip(np.searchsorted(keys, uf), 0, max(keys.size - 1, 0))
        found = (keys.size > 0) & (keys[pos] == uf) if keys.size else np.zeros(uf.shape, bool)
        r = np.where(found, refs[pos] if keys.size else np.nan, np.nan)
        r = np.where(r > 0, r, np.nan)
        return (np.asarray(v, dtype="float64") / r).astype("float32")

    ratio = xr.apply_ufunc(_ratio, productivity_mean, units, dask="parallelized", output_dtypes=["float32"])
    ratio.attrs.update(long_name="productivity performance ratio (mean / unit reference)", units="1")

    def _classify(r: np.ndarray) -> np.ndarray:
        return classify_by_breaks(r, [ratio_threshold], [DEGRADED, STABLE], right_closed=tie_is_degraded,
                                  nodata=NODATA)

    perf = xr.apply_ufunc(_classify, ratio, dask="parallelized", output_dtypes=["uint8"])
    perf.attrs.update(flag_attrs([DEGRADED, STABLE], ["degraded", "stable"], nodata=NODATA,
                                 long_name="productivity performance", ratio_threshold=float(ratio_threshold),
                                 tie_is_degraded=bool(tie_is_degraded)))
    return xr.Dataset({"ratio": ratio.rename("ratio"), "performance": perf.rename("performance")})


def performance_from_series(
    series: xr.DataArray,
    units: xr.DataArray,
    *,
    years: Sequence[int],
    percentile: float,
    ratio_threshold: float,
    tie_is_degraded: bool,
    resolution: float,
    exclude_values: Sequence[float] = (),
    dim: str = "year",
) -> xr.Dataset:
    """Mean over *years*, the per-unit percentile reference, then :func:`performance`.

    Returns the Dataset of :func:`performance` plus ``mean`` and the reference table in
    ``attrs["reference"]`` ({unit: value}).
    """
    win = _select_years(series, years, dim, "performance")
    mean = win.mean(dim, skipna=False).astype("float32")
    ref = unit_percentile(mean, units, percentile=percentile, resolution=resolution, exclude_values=exclude_values)
    ds = performance(mean, units, reference=ref, ratio_threshold=ratio_threshold, tie_is_degraded=tie_is_degraded)
    ds["mean"] = mean.rename("mean")
    ds["performance"].attrs.update(percentile=float(percentile), years=f"{int(years[0])}-{int(years[-1])}")
    ds.attrs["reference"] = {int(k): float(v) for k, v in ref.items()}
    return ds


# --------------------------------------------------------------------------------------------
# Combination tables
# --------------------------------------------------------------------------------------------

_ANY = ("any", "*", None)


def _meanings(value: Any, allowed: Sequence[int], where: str) -> list[int]:
    if isinstance(value, str) and value.strip().lower() in _ANY or value is None:
        return list(allowed)
    if isinstance(value, str) and value.strip().lower() in ("not degraded", "n", "no"):
        return [c for c in allowed if c != DEGRADED]
    if isinstance(value, str) and value.strip().lower() in ("y", "yes"):
        return [DEGRADED]
    if isinstance(value, (list, tuple)):
        out: list[int] = []
        for v in value:
            out += _meanings(v, allowed, where)
        return out
    code = meaning_code(value, where=where)
    if code not in allowed:
        raise SpecError(f"{where}: {value!r} is not allowed here")
    return [code]


def _spec_rows(table: Mapping[str, Any], output: str) -> list[dict[str, Any]]:
    """The specs' lookup-table form (keys, outputs, rows of when/then) as rows of this module's form."""
    keys = [k["name"] for k in table.get("keys", [])] or ["trajectory", "state", "performance"]
    if sorted(keys) != ["performance", "state", "trajectory"]:
        raise SpecError(f"productivity combination table keys {keys} must be trajectory, state, performance")
    outs = [o["name"] for o in table.get("outputs", [])]
    want = "lpd" if output == "lpd" else "status"
    if want not in outs:
        raise SpecError(f"productivity combination table {table.get('id', '')!r} has no output {want!r} "
                        f"(outputs: {outs}); choose output={'three_class' if want == 'lpd' else 'lpd'}")
    # a key declared with codes [-1, 0] only is binary: 0 there means "not degraded"
    # (codes absent or None, as a spec object's dump gives it, means the key's whole legend)
    binary = {k["name"]: list(k.get("codes") or [-1, 0, 1]) == [-1, 0] for k in table.get("keys", [])}
    rows = []
    for r in table["rows"]:
        when = dict(zip(keys, r["when"]))
        row = {}
        for name, v in when.items():
            if binary.get(name) and name != "performance" and str(v) == "0":
                v = "not degraded"
            row[name] = v
        row["result"] = r["then"][outs.index(want)]
        rows.append(row)
    return rows


def combination_lut(table: Any, *, output: Literal["lpd", "three_class"]) -> np.ndarray:
    """Parse a combination table into ``lut[trajectory, state, performance] → output code``.

    *table* is either the specs' lookup table (``keys``, ``outputs`` and ``rows`` of
    ``when: [trajectory, state, performance]``, ``then: [...]``, signed codes, ``"*"``
    for any; a key declared with codes [−1, 0] is binary, 0 = not degraded), or a
    list of rows with keys ``trajectory``, ``state``, ``performance`` and ``result``.
    Trajectory and state take degraded/stable/improved (or −1/0/1), performance
    degraded/stable (−1/0); any of them may be ``"any"``/``"*"``, ``"not degraded"``
    or a list.  The first matching row wins.  ``result`` is an LPD code 1..5
    (``output="lpd"``) or a meaning (``output="three_class"``).  Every one of the
    3 × 3 × 2 combinations must be covered.  The spec object ``fw.lookup_table(id)``
    is accepted as it is.
    """
    table = as_plain(table)
    if isinstance(table, Mapping) and table.get("rows") and isinstance(table["rows"][0], Mapping) \
            and "when" in table["rows"][0]:
        rows = _spec_rows(table, output)
    else:
        rows = table.get("rows") if isinstance(table, Mapping) else table
    if not isinstance(rows, (list, tuple)) or not rows:
        raise SpecError("productivity combination table: expected a non-empty list of rows")
    lut = np.full((4, 4, 3), NODATA, dtype="uint8")
    done = np.zeros((4, 4, 3), dtype=bool)
    three = [DEGRADED, STABLE, IMPROVED]
    for i, row in enumerate(rows):
        where = f"productivity combination table row {i + 1}"
        try:
            tr = _meanings(row["trajectory"], three, where + " trajectory")
            st = _meanings(row["state"], three, where + " state")
            pf = _meanings(row["performance"], [DEGRADED, STABLE], where + " performance")
            res = row["result"]
        except KeyError as exc:
            raise SpecError(f"{where}: missing key {exc}; rows need trajectory, state, performance, result") from None
        if output == "lpd":
            if int(res) not in LPD_CODES:
                raise SpecError(f"{where}: result {res!r} is not an LPD class 1..5")
            code = int(res)
        else:
            code = meaning_code(res, where=where + " result")
        for t in tr:
            for s in st:
                for p in pf:
                    if not done[t, s, p]:
                        lut[t, s, p] = code
                        done[t, s, p] = True
    missing = [(t, s, p) for t in three for s in three for p in (DEGRADED, STABLE) if not done[t, s, p]]
    if missing:
        names = {1: "degraded", 2: "stable", 3: "improved"}
        pretty = [f"(trajectory {names[t]}, state {names[s]}, performance {names[p]})" for t, s, p in missing]
        raise SpecError(f"productivity combination table does not cover {', '.join(pretty[:6])}")
    return lut


def combine_metrics(
    trajectory: xr.DataArray,
    state: xr.DataArray,
    performance: xr.DataArray,
    *,
    table: Any,
    output: Literal["lpd", "three_class"],
) -> xr.DataArray:
    """Combine trajectory, state and performance through a named combination table (D10, Part B §2.4).

    Any input nodata gives nodata.  ``output="lpd"`` gives the 5-class LPD (table (b));
    ``"three_class"`` gives the sub-indicator directly (tables (a) and (c)).
    """
    lut = combination_lut(table, output=output)

    def _comb(t: np.ndarray, s: np.ndarray, p: np.ndarray) -> np.ndarray:
        ok = (t >= 1) & (t <= 3) & (s >= 1) & (s <= 3) & (p >= 1) & (p <= 2)
        ti = np.where(ok, t, 0).astype("intp")
        si = np.where(ok, s, 0).astype("intp")
        pi = np.where(ok, p, 0).astype("intp")
        return np.where(ok, lut[ti, si, pi], NODATA).astype("uint8")

    out = xr.apply_ufunc(_comb, trajectory, state, performance, dask="parallelized", output_dtypes=["uint8"])
    if output == "lpd":
        out.attrs.update(lpd_attrs(method="trajectory x state x performance combination table"))
        return out.rename("lpd")
    out.attrs.update(three_class_attrs("land productivity (SO1-2)", method="combination table"))
    return out.rename("productivity")


def lpd_from_ndvi(
    ndvi: xr.DataArray,
    units: xr.DataArray,
    *,
    method: Literal["trends_earth", "zscore"],
    trajectory: Mapping[str, Any],
    state: Mapping[str, Any],
    performance: Mapping[str, Any],
    combination: Any,
    output: Literal["lpd", "three_class"],
    dim: str = "year",
) -> xr.Dataset:
    """LPD from an annual productivity series: trajectory, state, performance, combined (D10).

    Parameters
    ----------
    ndvi : DataArray (year, y, x)
        Annual productivity (mean NDVI × 10000 in Trends.Earth; any index works,
        the thresholds are in its units).
    units : DataArray (y, x)
        Land cover / ecosystem functional unit per cell (see :func:`ecological_units`).
    method : "trends_earth" | "zscore"
        Trajectory and state in the Trends.Earth form or the GPG v2 z-score form.
    trajectory, state, performance : mappings
        Keyword arguments of :func:`trajectory_trends_earth` / :func:`trajectory_zscore`,
        :func:`state_trends_earth` / :func:`state_zscore`, and
        :func:`performance_from_series` (windows included, e.g. ``years: [2001, 2015]``).
    combination : LookupTable or table
        The combination table (a), (b) or (c) of Part B §2.4: the spec object
        ``fw.lookup_table(id)``, its dump, or rows (see :func:`combination_lut`).
    output : "lpd" | "three_class"
        What the table yields.

    Returns
    -------
    Dataset with the metric layers and ``lpd`` or ``productivity``.
    """
    if method == "trends_earth":
        tr = trajectory_trends_earth(ndvi, dim=dim, **trajectory)
        st = state_trends_earth(ndvi, dim=dim, **state).to_dataset(name="state")
    elif method == "zscore":
        tr = trajectory_zscore(ndvi, dim=dim, **trajectory).rename({"z": "trajectory_z"})
        st = state_zscore(ndvi, dim=dim, **state).rename({"z": "state_z"})
    else:
        raise SpecError(f"productivity method {method!r} must be 'trends_earth' or 'zscore'")
    pf = performance_from_series(ndvi, units, dim=dim, **performance)
    combined = combine_metrics(tr["trajectory"], st["state"], pf["performance"], table=combination, output=output)
    ds = xr.merge([tr, st, pf.rename({"mean": "performance_mean", "ratio": "performance_ratio"})],
                  combine_attrs="drop")
    ds[combined.name] = combined
    ds.attrs["performance_reference"] = str(pf.attrs.get("reference", {}))
    ds.attrs["method"] = method
    return ds

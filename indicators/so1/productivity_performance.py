"""SO1-2 productivity performance: a cell's mean productivity against its unit's reference.

Units are land cover / ecosystem functional units (:func:`ecological_units`); the reference is a
per-unit percentile (:func:`unit_percentile`; Trends.Earth: the 90th); Part C §1.2, Performance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ..classes import classify_by_breaks, flag_attrs
from ..errors import ComputeError, SpecError
from .encoding import DEGRADED, NODATA, STABLE
from .productivity_series import select_years


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
    win = select_years(series, years, dim, "performance")
    mean = win.mean(dim, skipna=False).astype("float32")
    ref = unit_percentile(mean, units, percentile=percentile, resolution=resolution, exclude_values=exclude_values)
    ds = performance(mean, units, reference=ref, ratio_threshold=ratio_threshold, tie_is_degraded=tie_is_degraded)
    ds["mean"] = mean.rename("mean")
    ds["performance"].attrs.update(percentile=float(percentile), years=f"{int(years[0])}-{int(years[-1])}")
    ds.attrs["reference"] = {int(k): float(v) for k, v in ref.items()}
    return ds

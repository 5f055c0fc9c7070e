"""SO1-3 soil organic carbon: IPCC tier 1 stock change driven by land cover, and the SOC sub-indicator.

Methodology decision D11; Part B §2.5; Part C §1.4 (Trends.Earth's annual algorithm).

* Stock change factor per transition: Fl(initial, final), with entries that may
  involve the climate factor f (``"f"``, ``"1/f"``) — Fm = Fo = 1.
* At a transition in year k the annual change is Δ = SOC_k·(1 − Fl)/T (T = 20
  years by default), applied every year until T years have passed since the
  last transition; a new transition restarts it from the current stock.  So a
  single transition ends, T years later, at exactly SOC₀·Fl.
* Sparse land-cover years: the transition between two mapped years Ya < Yb
  happens at the middle of the interval, t_mid = Ya + ⌊(Yb − Ya)/2⌋; the new class
  holds from t_mid + 1, so by Yb the stock has changed for Yb − t_mid = ⌈(Yb − Ya)/2⌉
  years (Trends.Earth's local step, ``t1 − t_mid``; docs/decisions.md D11).  Annual
  maps (a gap of 1) give the actual year: one year of change at Yb.
* A stock depends only on the land cover up to its own year: a cell is NaN from the
  first year whose land cover is missing on, not in earlier years.
* Periods (:func:`period_soc_stocks`): ``continue`` runs one annual chain from the
  reference year through every period (the IPCC 20-year clock carries over);
  ``restart`` computes each period from the stock at its initial year with only its
  initial and final maps and no memory of earlier transitions (Trends.Earth's local
  step, run once per period).
* Sub-indicator: pch = (SOC_final − SOC_initial)/SOC_initial × 100; degraded
  when pch < −threshold, improved when pch > threshold (``inclusive=True``:
  ≤ / ≥, the Trends.Earth local rule).

Encoding: 3-class uint8 1 degraded / 2 stable / 3 improved, 0 nodata
(:mod:`indicators.so1.encoding`); stocks float32 in t C/ha, NaN missing.

This module computes the stocks; the factors are parsed in :mod:`~indicators.so1.soc_factors` and the
sub-indicator is :mod:`~indicators.so1.soc_change`; their public names are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numba
import numpy as np
import xarray as xr

from ..errors import InputError, SpecError
from .soc_change import soc_degradation, soc_percent_change
from .soc_factors import climate_factor_from_zones, climate_factors_by_zone, stock_change_factors

__all__ = ["annual_land_cover", "climate_factor_from_zones", "climate_factors_by_zone", "period_soc_stocks",
           "soc_degradation", "soc_percent_change", "soc_stock_final", "soc_stocks", "stock_change_factors"]


def annual_land_cover(land_cover: xr.DataArray, *, dim: str = "year") -> xr.DataArray:
    """Annual land-cover stack from annual or sparse years (transition at mid-interval, module docstring).

    Between mapped years Ya < Yb the class of Ya holds up to t_mid = Ya + ⌊(Yb − Ya)/2⌋ and
    the class of Yb from t_mid + 1 on, so the stock of a mapped year never depends on a later map.
    """
    years = np.asarray(land_cover[dim].values).astype(int)
    if years.size < 2 or np.any(np.diff(years) <= 0):
        raise InputError(f"land cover for SOC needs at least two increasing years, got {years.tolist()}")
    all_years, idx = _annual_map_index(years)
    out = land_cover.isel({dim: idx})
    return out.assign_coords({dim: all_years})


def _annual_map_index(years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(every year from the first to the last map, index of the map that holds in each year)."""
    all_years = np.arange(years[0], years[-1] + 1)
    idx = np.zeros(all_years.size, dtype=int)
    for k in range(years.size - 1):
        ya, yb = years[k], years[k + 1]
        switch = ya + (yb - ya) // 2 + 1  # first year of the new class: t_mid + 1
        sel = (all_years > ya) & (all_years <= yb)
        idx[sel] = np.where(all_years[sel] < switch, k, k + 1)
    idx[all_years == years[0]] = 0
    return all_years, idx


def _soc_kernel(soc0: np.ndarray, lc: np.ndarray, f: np.ndarray, coef: np.ndarray, power: np.ndarray,
                transition_years: int) -> np.ndarray:
    """Annual SOC stocks (…, n_years) from SOC of the first year and annual land cover (…, n_years)."""
    lc = np.asarray(lc)
    n = lc.shape[-1]
    shape = np.broadcast_shapes(np.shape(soc0), lc.shape[:-1], np.shape(f))
    soc = np.broadcast_to(np.asarray(soc0, dtype="float64"), shape).copy()
    fv = np.broadcast_to(np.asarray(f, dtype="float64"), shape)
    fv = np.where(fv > 0, fv, np.nan)
    size = coef.shape[0]
    lcf = lc.astype("float64") if lc.dtype.kind == "f" else lc
    valid = np.ones(lc.shape, dtype=bool)
    if lc.dtype.kind == "f":
        valid &= np.isfinite(lcf)
    li = np.where(valid, lcf, -1)
    valid &= (li >= 0) & (li < size)
    li = np.where(valid, li, 0).astype("intp")
    # a class the matrix does not know is nodata (its diagonal entry is NaN)
    valid &= np.isfinite(coef[li, li])
    # a stock depends on the land cover up to its own year only: NaN from the first missing year on
    missing_so_far = np.logical_or.accumulate(~valid, axis=-1)
    out = np.empty(shape + (n,), dtype="float32")
    out[..., 0] = soc
    delta = np.zeros(shape, dtype="float64")
    since = np.zeros(shape, dtype="int64")
    for k in range(n - 1):
        a, b = li[..., k], li[..., k + 1]
        changed = a != b
        restart = changed | (k == 0)
        fl = coef[a, b] * np.where(power[a, b] == 0, 1.0, fv ** power[a, b])
        new_delta = soc * (1.0 - fl) / transition_years
        delta = np.where(restart, new_delta, delta)
        since = np.where(changed, 1, np.where(k == 0, 2, since + 1))
        delta = np.where(since > transition_years, 0.0, delta)
        soc = soc - delta
        out[..., k + 1] = soc
    out[missing_so_far] = np.nan
    return out


#: pixels a kernel call walks through the years together (their state fits in the L1 cache)
_SOC_TILE = 512


@numba.njit(nogil=True, cache=True)
def _soc_final_kernel(soc0, maps, f, idx, coef, power, transition_years, out):
    """The last year of :func:`_soc_kernel`'s series, per pixel, without the (pixel × year) stack.

    *maps* (pixels, n_maps) are the mapped years' classes and *idx* the map holding in each
    year (:func:`_annual_map_index`); the same float64 steps in the same order as
    :func:`_soc_kernel`, so the float32 result is identical.

    The years are walked for a tile of pixels at a time, not one pixel's whole series after another: a
    pixel's yearly subtractions form one chain of dependent steps, and the tile's independent chains keep
    the core busy. Between two years of the same map nothing can change (no class lookup, no factor), so
    those years are a plain loop over the tile. A power of f is reused while f and the exponent repeat.
    """
    size = coef.shape[0]
    n = idx.size
    npx = out.size
    fstep = 1 if f.size > 1 else 0  # one climate factor for every pixel: given once
    ok = np.empty(_SOC_TILE, dtype=np.bool_)
    fv = np.empty(_SOC_TILE, dtype=np.float64)
    soc = np.empty(_SOC_TILE, dtype=np.float64)
    delta = np.empty(_SOC_TILE, dtype=np.float64)
    since = np.empty(_SOC_TILE, dtype=np.int64)
    # the last power computed (f ** p is most of a step's time, and f is one value per climate zone)
    last_f, last_p, last_pow = np.nan, 0, np.nan
    for t0 in range(0, npx, _SOC_TILE):
        m = min(_SOC_TILE, npx - t0)
        for t in range(m):
            i = t0 + t
            good = True
            for j in range(maps.shape[1]):  # every map is used by some year of the series
                v = np.float64(maps[i, j])
                if not (np.isfinite(v) and v >= 0 and v < size):
                    good = False
                    break
                c = int(v)
                if not np.isfinite(coef[c, c]):
                    good = False
                    break
            ok[t] = good
            x = np.float64(f[i * fstep])
            fv[t] = x if x > 0 else np.nan
            soc[t] = np.float64(soc0[i])
            delta[t] = 0.0
            since[t] = 0
        for k in range(n - 1):
            if k == 0 or idx[k] != idx[k + 1]:  # a year where the class may change: the whole step
                for t in range(m):
                    if not ok[t]:
                        continue
                    i = t0 + t
                    a = int(np.float64(maps[i, idx[k]]))
                    b = int(np.float64(maps[i, idx[k + 1]]))
                    changed = a != b
                    if changed or k == 0:  # the factor only where the delta restarts
                        p = power[a, b]
                        if p != 0 and not (fv[t] == last_f and p == last_p):  # f is constant over whole zones
                            last_f, last_p, last_pow = fv[t], p, fv[t] ** np.float64(p)
                        fl = coef[a, b] * (1.0 if p == 0 else last_pow)
                        delta[t] = soc[t] * (1.0 - fl) / transition_years
                    if changed:
                        since[t] = 1
                    elif k == 0:
                        since[t] = 2
                    else:
                        since[t] += 1
                    if since[t] > transition_years:
                        delta[t] = 0.0
                    soc[t] = soc[t] - delta[t]
            else:  # the same map in both years: no change, the delta runs on until the transition ends
                for t in range(m):  # branch-free, so that it runs on vectors
                    st = since[t] + 1
                    since[t] = st
                    d = delta[t] if st <= transition_years else 0.0
                    delta[t] = d
                    soc[t] = soc[t] - d
        for t in range(m):
            out[t0 + t] = np.float32(soc[t]) if ok[t] else np.float32(np.nan)


def _soc_final(soc0: np.ndarray, maps: np.ndarray, f: np.ndarray, *, idx: np.ndarray, coef: np.ndarray,
               power: np.ndarray, transition_years: int) -> np.ndarray:
    shape = np.broadcast_shapes(np.shape(soc0), maps.shape[:-1], np.shape(f))
    m = np.ascontiguousarray(np.broadcast_to(maps, shape + maps.shape[-1:])).reshape(-1, maps.shape[-1])
    s = np.ascontiguousarray(np.broadcast_to(soc0, shape)).reshape(-1)
    f = np.asarray(f, dtype="float64")
    # a single factor stays one value (not a float64 copy of the block's size)
    fv = f.reshape(-1) if f.size == 1 else np.ascontiguousarray(np.broadcast_to(f, shape)).reshape(-1)
    out = np.empty(m.shape[0], dtype="float32")
    _soc_final_kernel(s, m, fv, idx, coef, power, int(transition_years), out)
    return out.reshape(shape)


def soc_stock_final(
    soc_reference: xr.DataArray,
    land_cover: xr.DataArray,
    *,
    factors: Any,
    climate_factor: xr.DataArray | float,
    transition_years: int,
    codes: Sequence[int] | None = None,
    dim: str = "year",
) -> xr.DataArray:
    """The stock of the last land-cover year of :func:`soc_stocks` (identical values), streamed per pixel.

    The annual series is walked in registers, so a block costs its inputs and one float32 output,
    not the (pixel × year) stack and its float64 temporaries (issue 16).
    """
    if int(transition_years) < 1:
        raise SpecError(f"transition_years must be >= 1, got {transition_years}")
    _, coef, power = stock_change_factors(factors, codes)
    years = np.asarray(land_cover[dim].values).astype(int)
    if years.size < 2 or np.any(np.diff(years) <= 0):
        raise InputError(f"land cover for SOC needs at least two increasing years, got {years.tolist()}")
    _, idx = _annual_map_index(years)
    lc = land_cover.chunk({dim: -1}) if land_cover.chunks is not None else land_cover
    f = climate_factor if isinstance(climate_factor, xr.DataArray) else xr.DataArray(float(climate_factor))
    out = xr.apply_ufunc(
        _soc_final, soc_reference, lc, f,
        input_core_dims=[[], [dim], []], output_core_dims=[[]],
        kwargs=dict(idx=idx.astype("int64"), coef=coef, power=power, transition_years=int(transition_years)),
        dask="parallelized", output_dtypes=["float32"],
    )
    return out.rename("soc")


def soc_stocks(
    soc_reference: xr.DataArray,
    land_cover: xr.DataArray,
    *,
    factors: Any,
    climate_factor: xr.DataArray | float,
    transition_years: int,
    codes: Sequence[int] | None = None,
    dim: str = "year",
    reference_year: int | None = None,
) -> xr.DataArray:
    """Annual SOC stocks (t C/ha) from a reference stock and annual or sparse land cover (D11).

    Parameters
    ----------
    soc_reference : DataArray (y, x), t C/ha
        SOC stock 0–30 cm in the first land-cover year (SoilGrids is assigned to 2000).
    land_cover : DataArray (year, y, x)
        7-class land cover (uint8, 0 nodata) in the first year and later years;
        the first year is the reference year of *soc_reference*.
    factors : Fl matrix
        ``{initial: {final: entry}}`` or 2-D list with *codes*; entries numbers or
        expressions in f (Part B §2.5 table).
    climate_factor : DataArray (y, x) or float
        f per cell (:func:`climate_factor_from_zones`) or one constant.
    transition_years : int
        Years to the new equilibrium (IPCC tier 1: 20).
    reference_year : int, optional
        The year of *soc_reference* (the specs' ``soc.reference_year``; SoilGrids: 2000).
        Land cover before it is left out, so no transition before the reference year
        changes the reference stock; the land cover must have a layer for it.  Default:
        the first land-cover year.

    Returns
    -------
    DataArray (year, y, x) float32, t C/ha, one layer per year from the first to
    the last land-cover year; NaN where the reference stock is missing, from the first
    year whose land cover is missing on (a stock never depends on a later map), and from
    a transition that needs f where f is missing.
    """
    if int(transition_years) < 1:
        raise SpecError(f"transition_years must be >= 1, got {transition_years}")
    _, coef, power = stock_change_factors(factors, codes)
    if reference_year is not None:
        years = [int(y) for y in land_cover[dim].values]
        if int(reference_year) not in years:
            raise InputError(f"land cover for SOC has no layer for the SOC reference year {reference_year} "
                             f"(years {years}); add it (the reference stock is that year's)")
        land_cover = land_cover.isel({dim: [i for i, y in enumerate(years) if y >= int(reference_year)]})
    lc = annual_land_cover(land_cover, dim=dim)
    if lc.chunks is not None:
        lc = lc.chunk({dim: -1})
    f = climate_factor if isinstance(climate_factor, xr.DataArray) else xr.DataArray(float(climate_factor))
    out = xr.apply_ufunc(
        _soc_kernel, soc_reference, lc, f,
        input_core_dims=[[], [dim], []], output_core_dims=[[dim]],
        kwargs=dict(coef=coef, power=power, transition_years=int(transition_years)),
        dask="parallelized", output_dtypes=["float32"],
    )
    out = out.transpose(dim, ...).assign_coords({dim: lc[dim].values})
    out.attrs.update(long_name="soil organic carbon stock 0-30 cm (IPCC tier 1, land-cover driven)",
                     units="t ha-1", transition_years=int(transition_years),
                     reference_year=int(lc[dim].values[0]))
    return out.rename("soc")


def period_soc_stocks(
    soc_reference: xr.DataArray,
    land_cover: xr.DataArray,
    *,
    periods: Sequence[tuple[int, int]],
    period_chain: str,
    factors: Any,
    climate_factor: xr.DataArray | float,
    transition_years: int,
    reference_year: int,
    codes: Sequence[int] | None = None,
    dim: str = "year",
) -> xr.DataArray:
    """SOC stocks at the initial and final years of the periods (D11), by year.

    Parameters
    ----------
    soc_reference, land_cover, factors, climate_factor, transition_years, codes, dim
        As :func:`soc_stocks`.
    periods : sequence of (initial year, final year)
        The SOC years of each period, baseline first.
    period_chain : {"continue", "restart"}
        ``continue``: one annual chain from *reference_year* through every map up to the
        last final year; a transition keeps changing the stock for *transition_years*
        whichever period it falls in.  ``restart`` (Trends.Earth's local step, run once per
        period): a period starts from the stock already computed for its initial year (the
        reference stock, or an earlier period's final stock; a year not yet computed is
        reached by one such step from the latest computed year before it) and changes only
        by the transitions between its own initial and final maps.
    reference_year : int
        The year of *soc_reference*; every period starts in or after it.

    Returns
    -------
    DataArray (year, y, x) float32, t C/ha, one layer per initial or final year (sorted).
    A period's stocks depend only on the land cover up to its final year.
    """
    years = sorted({int(y) for p in periods for y in p})
    if not years:
        raise SpecError("SOC: no period to compute stocks for")
    if years[0] < int(reference_year):
        raise SpecError(f"SOC: a period starts in {years[0]}, before the SOC reference year {reference_year}")
    kw = dict(factors=factors, climate_factor=climate_factor, transition_years=transition_years, codes=codes, dim=dim)
    if period_chain == "continue":
        lc = land_cover.sel({dim: land_cover[dim] <= years[-1]})
        return soc_stocks(soc_reference, lc, reference_year=reference_year, **kw).sel({dim: years})
    if period_chain != "restart":
        raise SpecError(f"soc.period_chain must be 'continue' or 'restart', got {period_chain!r}")

    def step(start: xr.DataArray, ya: int, yb: int) -> xr.DataArray:
        two = land_cover.sel({dim: [ya, yb]})
        return soc_stock_final(start, two, **kw)

    known: dict[int, tuple[xr.DataArray, tuple[int, int] | None]] = {int(reference_year): (soc_reference, None)}

    def stock_at(year: int) -> xr.DataArray:
        if year not in known:
            before = max(k for k in known if k < year)
            known[year] = (step(stock_at(before), before, year), (before, year))
        return known[year][0]

    for ya, yb in sorted((int(a), int(b)) for a, b in periods):
        start = stock_at(ya)
        if yb in known and known[yb][1] not in (None, (ya, yb)):
            raise SpecError(f"soc.period_chain 'restart': the periods {known[yb][1][0]}-{yb} and {ya}-{yb} give two different "
                            f"stocks for {yb}; use period_chain 'continue' or periods that end in different years")
        if yb not in known:
            known[yb] = (step(start, ya, yb), (ya, yb))
    layers = [known[y][0].astype("float32").expand_dims({dim: [y]}) for y in years]
    out = xr.concat(layers, dim=dim)
    out.attrs.update(long_name="soil organic carbon stock 0-30 cm (IPCC tier 1, land-cover driven)", units="t ha-1",
                     transition_years=int(transition_years), reference_year=int(reference_year), period_chain=period_chain)
    return out.rename("soc")

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

This module holds the precomputed-LPD path and :func:`lpd_from_ndvi`; each step has its own
module, whose public names are re-exported here: :mod:`~indicators.so1.productivity_trajectory`,
:mod:`~indicators.so1.productivity_state`, :mod:`~indicators.so1.productivity_performance`,
:mod:`~indicators.so1.productivity_combination` (the year-window helpers they share are in
:mod:`~indicators.so1.productivity_series`; the LPD codes in :mod:`~indicators.so1.encoding`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import xarray as xr

from ..errors import SpecError
from .encoding import LPD_CODES, LPD_NAMES, NODATA, as_plain, lpd_attrs, meaning_code, recode_classes, three_class_attrs
from .productivity_combination import combination_lut, combine_metrics
from .productivity_performance import ecological_units, performance, performance_from_series, unit_percentile
from .productivity_state import state_trends_earth, state_zscore
from .productivity_trajectory import (critical_value_table, kendall_critical_values, mann_kendall_s, ols_slope,
                                      trajectory_trends_earth, trajectory_zscore)

__all__ = [
    "LPD_CODES", "LPD_NAMES", "clean_lpd", "combination_lut", "combine_metrics", "critical_value_table",
    "ecological_units", "kendall_critical_values", "lpd_attrs", "lpd_from_ndvi", "lpd_mapping", "lpd_to_3class",
    "mann_kendall_s", "ols_slope", "performance", "performance_from_series", "state_trends_earth", "state_zscore",
    "trajectory_trends_earth", "trajectory_zscore", "unit_percentile",
]


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

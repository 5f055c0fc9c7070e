"""Reporting-shaped tables of SO1-4 (SDG 15.3.1): the land mask, the SDG summary with its denominator (national and
per unit), the change in degraded area, the status areas, LDN counterbalancing and the recodes.  Column names: see
:mod:`indicators.so1.tables`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InputError, SpecError
from ..summarize import PendingTable, class_area_table, cross_area_table, zonal_class_areas
from .encoding import DEGRADED, IMPROVED, NODATA, STABLE
from .land_cover import UNCCD_CLASS_NAMES
from .tables_common import THREE_NAMES, class_names, shape_pending


def land_mask_from_land_cover(land_cover: xr.DataArray, *, water_codes: Sequence[int]) -> xr.DataArray:
    """True on land (D3): valid land cover that is not water (class 7 of the baseline's first year)."""
    lc = land_cover
    mask = (lc != NODATA) & ~lc.isin(list(water_codes))
    mask.attrs.update(long_name="land (not water, not nodata)")
    return mask.rename("land_mask")


def _denominator(area_tbl: pd.DataFrame, nodata_in_denominator: bool, official: float | None) -> tuple[float, str]:
    land = float(area_tbl.loc[area_tbl["kind"] == "land_area", "area_km2"].iloc[0])
    nod = float(area_tbl.loc[area_tbl["kind"] == "nodata", "area_km2"].iloc[0])
    if official is not None:
        return float(official), "official national land area"
    if nodata_in_denominator:
        return land + nod, "degraded + stable + improved + no data (Trends.Earth Excel convention)"
    return land, "total land area: valid land cells, inland water excluded (D3)"


def sdg_summary_table(
    sdg: xr.DataArray,
    *,
    land_mask: xr.DataArray | None,
    nodata_in_denominator: bool,
    official_land_area_km2: float | None = None,
    compute: bool = True,
) -> pd.DataFrame | PendingTable:
    """SO1-4.T1: degraded / stable / improved / no data area (km²) and % of total land area.

    Parameters
    ----------
    sdg : DataArray uint8 (1/2/3, 0 nodata), with a CRS
        The SDG 15.3.1 layer (or a sub-indicator, or the status collapsed to 3 classes).
    land_mask : DataArray of bool, optional
        True on land (:func:`land_mask_from_land_cover`); valid cells off land are
        reported as water and left out of every denominator (D3).
    nodata_in_denominator : bool
        False (D3): the denominator is the valid land area; True (Trends.Earth): no
        data is added to it.
    official_land_area_km2 : float, optional
        Official national land area: becomes the denominator; the pixel total stays
        in ``attrs["pixel_land_area_km2"]``.
    compute : bool, default True
        False: a :class:`~indicators.summarize.PendingTable` (see :func:`land_cover_area_table`).

    Returns
    -------
    DataFrame with rows degraded, stable, improved, no data, water, total land area
    and columns ``class``, ``area_km2``, ``percent_of_land``; ``attrs``:
    ``denominator_km2``, ``denominator`` (in words), ``pixel_land_area_km2``.
    """
    pending = class_area_table(sdg, codes=[DEGRADED, STABLE, IMPROVED], nodata=NODATA, land_mask=land_mask, compute=False)
    return shape_pending(pending, lambda t: sdg_summary_from_area_table(t, nodata_in_denominator, official_land_area_km2), compute)


def sdg_summary_from_area_table(t: pd.DataFrame, nodata_in_denominator: bool,
                                official_land_area_km2: float | None) -> pd.DataFrame:
    """SO1-4.T1 from a :func:`~indicators.summarize.class_area_table` of a 3-class layer (rows ``kind`` class 1/2/3,
    water, nodata, land_area): what :func:`sdg_summary_table` returns, for a caller that built the area table itself."""
    denom, words = _denominator(t, nodata_in_denominator, official_land_area_km2)
    if denom <= 0:
        raise InputError("SDG 15.3.1 summary: the denominator (total land area) is 0 km²")
    area = {k: float(v) for k, v in zip(t["class"].fillna(-1).astype(int), t["area_km2"]) if k > 0}
    nodata = float(t.loc[t["kind"] == "nodata", "area_km2"].iloc[0])
    water = float(t.loc[t["kind"] == "water", "area_km2"].iloc[0])
    land = float(t.loc[t["kind"] == "land_area", "area_km2"].iloc[0])
    rows = [(THREE_NAMES[c], area.get(c, 0.0), 100.0 * area.get(c, 0.0) / denom) for c in (DEGRADED, STABLE, IMPROVED)]
    rows.append(("no data", nodata, 100.0 * nodata / denom if nodata_in_denominator else np.nan))
    rows.append(("water", water, np.nan))
    rows.append(("total land area", denom, 100.0))
    df = pd.DataFrame(rows, columns=["class", "area_km2", "percent_of_land"])
    df.attrs.update(units={"area_km2": "km2", "percent_of_land": "%"}, denominator_km2=denom, denominator=words,
                    pixel_land_area_km2=land, table="SO1-4.T1 proportion of degraded land")
    return df


def sdg_summary_by_unit(
    sdg: xr.DataArray,
    units: Any,
    *,
    method: str,
    id_field: str | None = None,
    name_field: str | None = None,
) -> pd.DataFrame:
    """SO1-4.T1 per unit (admin polygon): km² per class and % of the unit's valid land area.

    Returns a wide DataFrame: ``unit`` [``name``], ``degraded_km2``, ``stable_km2``,
    ``improved_km2``, ``nodata_km2``, ``percent_degraded`` (denominator: the unit's
    degraded + stable + improved area), and the national row (``unit`` = "national").
    """
    z = zonal_class_areas(sdg, units, codes=[DEGRADED, STABLE, IMPROVED], method=method, nodata=NODATA,
                          id_field=id_field, name_field=name_field)
    return sdg_summary_by_unit_from_zonal(z, method=method, name_field=name_field)


def sdg_summary_by_unit_from_zonal(z: pd.DataFrame, *, method: str, name_field: str | None = None) -> pd.DataFrame:
    """:func:`sdg_summary_by_unit` from the tidy per-unit table of the SDG layer
    (:func:`indicators.summarize.zonal_class_areas` or one layer of ``zonal_class_areas_many``)."""
    z = z.copy()
    z["unit"] = z["unit"].astype(object).where(z["level"] == "unit", "national")
    if name_field:
        # pivot_table drops rows whose index holds a missing value: the national rows have no name
        z["name"] = z["name"].astype(object).where(z["level"] == "unit", "national")
    key = np.where(z["kind"] == "class", z["class"].astype("Int64").astype(str), z["kind"])
    z["col"] = pd.Series(key, index=z.index).map(
        {str(DEGRADED): "degraded_km2", str(STABLE): "stable_km2", str(IMPROVED): "improved_km2",
         "nodata": "nodata_km2", "water": "water_km2"})
    idx = ["unit"] + (["name"] if name_field else [])
    wide = z.pivot_table(index=idx, columns="col", values="area_km2", aggfunc="sum", sort=False).reset_index()
    wide.columns.name = None
    land = wide[["degraded_km2", "stable_km2", "improved_km2"]].sum(axis=1)
    wide["percent_degraded"] = np.where(land > 0, 100.0 * wide["degraded_km2"] / land.where(land > 0, 1), np.nan)
    wide.attrs.update(units="km2", method=method, denominator="the unit's valid land area (degraded+stable+improved)",
                      table="SO1-4.T1 per unit")
    return wide


def degraded_area_change_table(
    baseline: xr.DataArray,
    periods: Mapping[str, xr.DataArray],
    *,
    land_mask: xr.DataArray | None,
    nodata_in_denominator: bool,
    official_land_area_km2: float | None = None,
) -> pd.DataFrame:
    """Change in degraded area: each period's degraded km² and % of land against the baseline's.

    *periods* maps a period name (e.g. "report_1") to its SDG layer or its status
    collapsed to 3 classes.  The denominator is the baseline's (stated in attrs).
    """
    def summary(layer: xr.DataArray) -> pd.DataFrame:
        return sdg_summary_table(layer, land_mask=land_mask, nodata_in_denominator=nodata_in_denominator,
                                 official_land_area_km2=official_land_area_km2)

    return degraded_area_change_from_summaries(summary(baseline), {k: summary(v) for k, v in periods.items()})


def degraded_area_change_from_summaries(baseline: pd.DataFrame, periods: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Change in degraded area from SO1-4.T1 summaries (:func:`sdg_summary_table` frames): each period's degraded
    km² and % of the baseline's total land area (its ``total land area`` row), and the change against the baseline."""

    def degraded(t: pd.DataFrame) -> float:
        return float(t.loc[t["class"] == "degraded", "area_km2"].iloc[0])

    denom = float(baseline.loc[baseline["class"] == "total land area", "area_km2"].iloc[0])
    b_deg = degraded(baseline)
    rows = [("baseline", b_deg, 100.0 * b_deg / denom, 0.0, 0.0)]
    for name, t in periods.items():
        d = degraded(t)
        rows.append((str(name), d, 100.0 * d / denom, d - b_deg, 100.0 * (d - b_deg) / denom))
    df = pd.DataFrame(rows, columns=["period", "degraded_km2", "percent_of_land", "change_km2",
                                     "change_percent_points"])
    df.attrs.update(units={"degraded_km2": "km2", "change_km2": "km2", "percent_of_land": "%"},
                    denominator_km2=denom, denominator=baseline.attrs.get("denominator"),
                    table="SO1-4 change in degraded area")
    return df


def status_area_table(
    status_expanded: xr.DataArray,
    *,
    codes: Sequence[int],
    names: Mapping[int, str] | None = None,
    land_mask: xr.DataArray | None = None,
    compute: bool = True,
) -> pd.DataFrame | PendingTable:
    """Area (km²) and % of land per expanded status class (1..7), with no data and water rows.

    ``compute=False``: a :class:`~indicators.summarize.PendingTable` (see :func:`land_cover_area_table`).
    """
    from .sdg import STATUS_NAMES

    nm = names or STATUS_NAMES

    def shape(t: pd.DataFrame) -> pd.DataFrame:
        t = t.copy()
        t.insert(2, "name", [nm.get(int(c), "") if pd.notna(c) else k for c, k in zip(t["class"], t["kind"])])
        t.attrs.update(units="km2", table="SO1-4 status (expanded)")
        return t

    return shape_pending(class_area_table(status_expanded, codes=codes, nodata=NODATA, land_mask=land_mask, compute=False),
                 shape, compute)


def counterbalancing_table(
    status_expanded: xr.DataArray,
    land_type: xr.DataArray,
    *,
    gains: Sequence[int],
    losses: Sequence[int],
    neutral: Sequence[int],
    land_type_codes: Sequence[int],
    names: Mapping[int, str] | None = None,
) -> pd.DataFrame:
    """LDN counterbalancing per land type (Part B §2.7): gains vs losses from the status classes.

    Parameters
    ----------
    status_expanded : DataArray uint8 (1..7, 0 nodata)
    land_type : DataArray uint8 (0 nodata)
        Land type of each cell, e.g. the land-cover class of the baseline.
    gains, losses, neutral : sequences of int
        Status codes of each group (Addendum: {6, 7}, {1, 2}, {3, 4, 5}); they must not overlap.

    Returns
    -------
    DataFrame per land type: ``gains_km2``, ``losses_km2``, ``neutral_km2``,
    ``net_km2`` = gains − losses, ``ldn_achieved`` (net ≥ 0), plus a ``total`` row.
    """
    g, lo, ne = (set(int(c) for c in x) for x in (gains, losses, neutral))
    if g & lo or g & ne or lo & ne:
        raise SpecError(f"counterbalancing: gains {sorted(g)}, losses {sorted(lo)}, neutral {sorted(ne)} overlap")
    status_codes = sorted(g | lo | ne)
    t = cross_area_table(land_type, status_expanded, codes_a=land_type_codes, codes_b=status_codes,
                         nodata_a=NODATA, nodata_b=NODATA)
    body = t.iloc[:-1]  # land types, without the no-data land type
    out = pd.DataFrame({
        "land_type": pd.array(list(land_type_codes), dtype="Int64"),
        "name": class_names(land_type_codes, names, UNCCD_CLASS_NAMES),
        "gains_km2": body[sorted(g)].sum(axis=1).to_numpy(),
        "losses_km2": body[sorted(lo)].sum(axis=1).to_numpy(),
        "neutral_km2": body[sorted(ne)].sum(axis=1).to_numpy(),
    })
    total = pd.DataFrame({"land_type": pd.array([pd.NA], dtype="Int64"), "name": ["total"],
                          "gains_km2": [out["gains_km2"].sum()], "losses_km2": [out["losses_km2"].sum()],
                          "neutral_km2": [out["neutral_km2"].sum()]})
    out = pd.concat([out, total], ignore_index=True)
    out["net_km2"] = out["gains_km2"] - out["losses_km2"]
    out["ldn_achieved"] = out["net_km2"] >= 0
    out.attrs.update(units="km2", gains=sorted(g), losses=sorted(lo), neutral=sorted(ne),
                     table="SO1-4 LDN counterbalancing per land type")
    return out


def recode_table(
    before: xr.DataArray,
    after: xr.DataArray,
    recode_polygon: xr.DataArray,
    polygons: Any,
    *,
    period: str,
    label_field: str | None = None,
) -> pd.DataFrame:
    """D16: every recode with its area — per polygon, km² moved from one class to another in *period*.

    Returns rows ``polygon`` (row number, 1-based), [label], ``from``, ``to`` (class
    names or "no data"), ``area_km2``; only pairs that changed.
    """
    names = {0: "no data", **THREE_NAMES}

    def _pair(b: np.ndarray, a: np.ndarray) -> np.ndarray:
        return (np.minimum(b, 3).astype("uint8") * 10 + np.minimum(a, 3).astype("uint8")).astype("uint8")

    pair = xr.apply_ufunc(_pair, before, after, dask="parallelized", output_dtypes=["uint8"])
    pair_codes = [b * 10 + a for b in range(4) for a in range(4) if a != b]
    same = [b * 11 for b in range(4)]
    n = len(polygons)
    if n == 0:
        return pd.DataFrame(columns=["polygon", "from", "to", "area_km2"])
    t = cross_area_table(recode_polygon, pair, codes_a=list(range(1, n + 1)), codes_b=pair_codes + same,
                         nodata_a=[0], nodata_b=[255])
    rows = []
    for i in range(1, n + 1):
        for code in pair_codes:
            area = float(t.loc[i, code])
            if area > 0:
                r = {"polygon": i}
                if label_field:
                    r[label_field] = polygons.iloc[i - 1][label_field]
                r.update({"from": names[code // 10], "to": names[code % 10], "area_km2": area})
                rows.append(r)
    df = pd.DataFrame(rows, columns=["polygon"] + ([label_field] if label_field else []) + ["from", "to", "area_km2"])
    df.attrs.update(units="km2", period=period, table="SO1-4 false positive/negative recodes")
    return df

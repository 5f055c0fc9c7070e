"""Reporting-shaped tables of SO1 (SO1-1 … SO1-4) from the class layers, in km², national and per unit.

Every area comes from :mod:`indicators.summarize` (exact cell areas of
:func:`indicators.grid.cell_area`); this module only shapes the numbers like the
reporting tables and states each denominator.  Encoding: :mod:`indicators.so1.encoding`.

Column names are stable (the writers and the report rely on them):

* land cover per year (SO1-1): ``class``, ``name``, one column per year (km²);
* transition matrix (SO1-1): index initial class, columns final class, km²;
* degradation processes (SO1-1): ``process``, ``meaning``, ``area_km2``;
* land cover × LPD (SO1-2): index land-cover class, columns LPD class, km²;
* SOC stocks (SO1-3): ``class``, ``name``, ``soc_stock_t``, ``area_km2``, ``area_with_soc_km2``,
  ``soc_mean_t_per_ha``;
* SDG summary (SO1-4.T1): ``class``, ``area_km2``, ``percent_of_land``, with the
  denominator in ``attrs["denominator_km2"]`` and ``attrs["denominator"]``;
* change in degraded area: ``period``, ``degraded_km2``, ``percent_of_land``,
  ``change_km2``, ``change_percent_points``;
* LDN counterbalancing: ``land_type``, ``name``, ``gains_km2``, ``losses_km2``,
  ``neutral_km2``, ``net_km2``, ``ldn_achieved``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InputError, SpecError
from ..grid import cell_area
from ..summarize import PendingTable, class_area_table, cross_area_table, weighted_class_sum, zonal_class_areas
from .encoding import DEGRADED, IMPROVED, NODATA, STABLE, class_matrix, meaning_code, spec_rows_matrix
from .land_cover import UNCCD_CLASS_NAMES

THREE_NAMES = {DEGRADED: "degraded", STABLE: "stable", IMPROVED: "improved"}


def _names(codes: Sequence[int], names: Mapping[int, str] | None, default: Mapping[int, str]) -> list[str]:
    nm = names or default
    return [str(nm.get(int(c), f"class {c}")) for c in codes]


def _then(pending: PendingTable, shape: Any, compute: bool) -> pd.DataFrame | PendingTable:
    """*pending* shaped by ``shape(table)``: computed now, or still pending (one pass with others, compute_tables)."""
    out = PendingTable(pending.part, lambda value: shape(pending.finish(value)))
    return out.compute() if compute else out


def _stacked(pendings: Sequence[PendingTable], shape: Any, compute: bool) -> pd.DataFrame | PendingTable:
    """Several pending tables of one grid and legend (equal reductions) as one: ``shape(list of tables)``."""
    parts = [p.part for p in pendings]
    if all(hasattr(p, "dask") for p in parts):
        import dask.array as dsa

        part: Any = dsa.stack(parts)
    else:
        part = np.stack([np.asarray(p) for p in parts])
    out = PendingTable(part, lambda value: shape([p.finish(np.asarray(value)[i]) for i, p in enumerate(pendings)]))
    return out.compute() if compute else out


def land_cover_area_table(
    land_cover: xr.DataArray,
    *,
    codes: Sequence[int],
    names: Mapping[int, str] | None = None,
    dim: str = "year",
    compute: bool = True,
) -> pd.DataFrame | PendingTable:
    """SO1-1: area (km²) of each land-cover class in each year, with a nodata row.

    Parameters
    ----------
    land_cover : DataArray (year, y, x), uint8 (0 nodata), with a CRS
        Land cover in the 7-class legend (:func:`~indicators.so1.land_cover.nest_land_cover`)
        or the national legend.
    codes : sequence of int
        The legend's codes, one row each.
    compute : bool, default True
        False: a :class:`~indicators.summarize.PendingTable` for
        :func:`~indicators.summarize.compute_tables` (one pass with other tables).
    """
    years = [int(y) for y in land_cover[dim].values]
    pendings = [class_area_table(land_cover.sel({dim: y}, drop=True), codes=codes, nodata=NODATA, compute=False)
                for y in years]

    def shape(tables: list[pd.DataFrame]) -> pd.DataFrame:
        cols = {}
        for year, t in zip(years, tables):
            cls = t[t["kind"] == "class"]["area_km2"].to_numpy()
            nod = float(t.loc[t["kind"] == "nodata", "area_km2"].iloc[0])
            cols[year] = list(cls) + [nod]
        out = pd.DataFrame(cols)
        out.insert(0, "name", _names(codes, names, UNCCD_CLASS_NAMES) + ["no data"])
        out.insert(0, "class", pd.array(list(codes) + [pd.NA], dtype="Int64"))
        out.attrs.update(units="km2", table="SO1-1 land cover area per class and year")
        return out

    return _stacked(pendings, shape, compute)


def transition_matrix_table(
    lc_initial: xr.DataArray,
    lc_final: xr.DataArray,
    *,
    codes: Sequence[int],
    names: Mapping[int, str] | None = None,
) -> pd.DataFrame:
    """SO1-1: the land-cover transition matrix in km² (rows initial class, columns final class, + no data).

    Row and column labels are the class names (from *names*, default the UNCCD classes).
    """
    labels = dict(zip(codes, _names(codes, names, UNCCD_CLASS_NAMES)))
    t = cross_table(lc_initial, lc_final, codes_a=codes, codes_b=codes, names_a=labels, names_b=labels,
                    table="SO1-1 land-cover transition matrix")
    t.index.name, t.columns.name = "initial", "final"
    return t


def degradation_process_table(
    transitions: pd.DataFrame,
    matrix: Any,
    *,
    codes: Sequence[int],
    processes: Any = None,
) -> pd.DataFrame:
    """SO1-1: area (km²) per degradation/improvement process, from a transition matrix table.

    Parameters
    ----------
    transitions : DataFrame
        :func:`transition_matrix_table` output (rows/columns in *codes* order, then no data).
    matrix : transition matrix
        Meanings per pair (as for :func:`~indicators.so1.land_cover.land_cover_degradation`);
        the specs' form (``columns``/``rows``) also carries the process names.
    codes : sequence of int
    processes : dict of dicts, optional
        ``{initial: {final: process name}}``; default: the ``processes`` lists of the
        specs' matrix.  Pairs without a process (stable) are grouped under "stable".

    Returns
    -------
    DataFrame ``process``, ``meaning`` (degraded/stable/improved), ``area_km2``, sorted
    by meaning then area.
    """
    _, meanings = class_matrix(matrix, codes, where="land-cover transition matrix",
                               parse=lambda v, w: meaning_code(v, where=w))
    if processes is None and isinstance(matrix, Mapping) and "rows" in matrix and "columns" in matrix \
            and all("processes" in r for r in matrix["rows"]):
        processes = spec_rows_matrix(matrix, key="processes", where="land-cover transition processes")
    rows = []
    for i, a in enumerate(codes):
        for j, b in enumerate(codes):
            meaning = THREE_NAMES[meanings[(int(a), int(b))]]
            name = None
            if processes is not None:
                name = processes.get(int(a), {}).get(int(b))
            if not name:
                name = "stable" if meaning == "stable" else f"{meaning} (unnamed)"
            rows.append((str(name), meaning, float(transitions.iat[i, j])))
    df = pd.DataFrame(rows, columns=["process", "meaning", "area_km2"])
    df = df.groupby(["process", "meaning"], as_index=False, sort=False)["area_km2"].sum()
    order = {"degraded": 0, "improved": 1, "stable": 2}
    df = df.sort_values(["meaning", "area_km2"], key=lambda s: s.map(order) if s.name == "meaning" else -s)
    df = df.reset_index(drop=True)
    df.attrs.update(units="km2", table="SO1-1 area per land-cover change process")
    return df


def cross_table(
    a: xr.DataArray,
    b: xr.DataArray,
    *,
    codes_a: Sequence[int],
    codes_b: Sequence[int],
    names_a: Mapping[int, str] | None = None,
    names_b: Mapping[int, str] | None = None,
    table: str = "",
) -> pd.DataFrame:
    """Area (km²) of each (class of a) × (class of b), e.g. land cover × LPD (SO1-2), with no-data row/column."""
    t = cross_area_table(a, b, codes_a=codes_a, codes_b=codes_b, nodata_a=NODATA, nodata_b=NODATA)
    t.index = pd.Index([str((names_a or {}).get(int(c), c)) for c in codes_a] + ["no data"], name=a.name or "a")
    t.columns = pd.Index([str((names_b or {}).get(int(c), c)) for c in codes_b] + ["no data"], name=b.name or "b")
    t.attrs.update(units="km2", table=table)
    return t


def soc_stock_table(
    soc: xr.DataArray,
    land_cover: xr.DataArray,
    *,
    codes: Sequence[int],
    names: Mapping[int, str] | None = None,
) -> pd.DataFrame:
    """SO1-3: SOC stock (tonnes) per land-cover class: Σ SOC [t/ha] × cell area [km²] × 100 [ha/km²].

    Cells with missing SOC are left out of the stock (their count is in
    ``attrs["missing_soc_cells"]``); ``area_km2`` is the class area, ``area_with_soc_km2``
    the part of it that has a stock, and the mean stock divides by the latter (a class
    partly without SOC is not diluted by the cells that have none).
    """
    ca = cell_area(land_cover)
    tonnes = (soc.astype("float64") * ca * 100.0).transpose(*soc.dims)
    tonnes.attrs["units"] = "t"
    stock = weighted_class_sum(land_cover, tonnes, codes=codes, nodata=NODATA)
    area = class_area_table(land_cover, codes=codes, nodata=NODATA)
    with_soc = class_area_table(land_cover.where(soc.notnull(), NODATA).astype(land_cover.dtype), codes=codes, nodata=NODATA)
    st = stock[stock["kind"] == "class"]["value"].to_numpy()
    ar = area[area["kind"] == "class"]["area_km2"].to_numpy()
    ar_soc = with_soc[with_soc["kind"] == "class"]["area_km2"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(ar_soc > 0, st / (ar_soc * 100.0), np.nan)
    df = pd.DataFrame({
        "class": pd.array(list(codes), dtype="Int64"),
        "name": _names(codes, names, UNCCD_CLASS_NAMES),
        "soc_stock_t": st,
        "area_km2": ar,
        "area_with_soc_km2": ar_soc,
        "soc_mean_t_per_ha": mean,
    })
    df.attrs.update(units={"soc_stock_t": "t", "area_km2": "km2", "area_with_soc_km2": "km2", "soc_mean_t_per_ha": "t ha-1"},
                    missing_soc_cells=stock.attrs.get("missing_weight_cells", 0),
                    table="SO1-3 SOC stock per land-cover class")
    return df


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
    return _then(pending, lambda t: sdg_summary_from_area_table(t, nodata_in_denominator, official_land_area_km2), compute)


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

    return _then(class_area_table(status_expanded, codes=codes, nodata=NODATA, land_mask=land_mask, compute=False),
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
        "name": _names(land_type_codes, names, UNCCD_CLASS_NAMES),
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

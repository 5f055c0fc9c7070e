"""SO3-1 tier 1 tables: area and percent of land per drought class, national (:func:`drought_area_table`) and per
administrative unit (:func:`drought_zonal_area_table`), and the trend extras of the annual series
(:func:`drought_trends`).  Methodology Part A D3 (the land-area denominator: the valid land area or an official
one; nodata and water on rows of their own), Part B §3.2."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InputError
from ..grid import check_same_grid
from ..summarize import class_area_table, compute_tables, zonal_class_areas_many
from ..summarize_cells import NearestCells, zonal_cell_sums, zonal_class_areas_by_cells


def _labels(codes: Sequence[int], meanings: Sequence[str] | None) -> dict[int, str]:
    if meanings is None:
        return {int(c): str(c) for c in codes}
    if len(meanings) != len(codes):
        raise InputError(f"{len(codes)} codes but {len(meanings)} meanings")
    return {int(c): str(m) for c, m in zip(codes, meanings)}


def _check_drought_codes(codes: Sequence[int], drought_codes: Sequence[int]) -> list[int]:
    dc = [int(c) for c in drought_codes]
    if not set(dc) <= {int(c) for c in codes}:
        raise InputError(f"drought codes {dc} are not all among the class codes {list(codes)}")
    return dc


def land_mask_at(land_mask: xr.DataArray | None, dim: str, label: Any) -> xr.DataArray | None:
    """The 2-D land mask of one *dim* label: a mask without *dim* serves every label; a mask with
    *dim* (one per year or epoch, e.g. ``land_area.water_year: each_period``) must hold *label*."""
    if land_mask is None or dim not in land_mask.dims:
        return land_mask
    labels = [v.item() if hasattr(v, "item") else v for v in land_mask[dim].values]
    if label not in labels:
        raise InputError(f"the land mask has no layer for {dim} {label!r} (it has {labels})")
    return land_mask.sel({dim: label}, drop=True)


def drought_area_table(
    classes: xr.DataArray,
    *,
    codes: Sequence[int],
    drought_codes: Sequence[int],
    meanings: Sequence[str] | None = None,
    nodata: int,
    land_mask: xr.DataArray | None = None,
    official_land_area_km2: float | None = None,
    dim: str = "year",
) -> pd.DataFrame:
    """National area and percent of land per drought class, and under any drought (SO3-1.T1/T2).

    Parameters
    ----------
    classes : xarray.DataArray
        Drought classes with a ``year`` (or ``epoch``) dimension and a CRS.
    codes : sequence of int
        Class codes to report, in table order (e.g. ``[1, 2, 3, 4, 0]``).
    drought_codes : sequence of int
        Codes that count as "under drought" (e.g. ``[1, 2, 3, 4]``).
    meanings : sequence of str, optional
        Class names, in the order of *codes*.
    nodata : int
        Nodata code of *classes*.
    land_mask : xarray.DataArray of bool, optional
        True on land; False cells (inland water, D3) are reported as water and
        left out of the denominator. Same grid as *classes*; one mask for all
        years, or one per year with the *dim* dimension (water of each year's
        land-cover map, ``land_area.water_year: each_period``).
    official_land_area_km2 : float, optional
        Official national land area: it becomes the denominator; the
        pixel-derived land area is reported beside it (D3).
    dim : str
        ``"year"`` for annual tables, ``"epoch"`` for epoch maps.

    Returns
    -------
    pandas.DataFrame
        One row per (*dim*, kind, class): ``kind`` is ``"class"``,
        ``"any_drought"``, ``"water"``, ``"nodata"``, ``"land_area"`` (and
        ``"official_land_area"``); columns ``class``, ``class_name``,
        ``area_km2``, ``percent_of_land``. ``attrs`` record the denominator
        source and the per-year land area.
    """
    if dim not in classes.dims:
        raise InputError(f"drought classes have no {dim!r} dimension (dims {classes.dims})")
    dc = _check_drought_codes(codes, drought_codes)
    names = _labels(codes, meanings)
    frames = []
    labels = list(classes[dim].values)
    # every year's table in one pass over the inputs (each block decoded once for all years)
    pending = [class_area_table(classes.sel({dim: label}), codes=list(codes), nodata=nodata,
                                land_mask=land_mask_at(land_mask, dim, label.item() if hasattr(label, "item") else label),
                                official_land_area_km2=official_land_area_km2, compute=False) for label in labels]
    for label, t in zip(labels, compute_tables(*pending)):
        cls = t[t["kind"] == "class"]
        drought = cls[cls["class"].isin(dc)]
        any_row = pd.DataFrame(
            {
                "kind": ["any_drought"],
                "class": pd.array([pd.NA], dtype="Int64"),
                "area_km2": [drought["area_km2"].sum()],
                "cells": pd.array([drought["cells"].sum()], dtype="Int64"),
                "percent_of_land": [100.0 * drought["area_km2"].sum() / t.attrs["land_area_km2"]],
            }
        )
        t = pd.concat([t, any_row], ignore_index=True)
        t.insert(0, dim, label.item() if hasattr(label, "item") else label)
        frames.append(t)
    out = pd.concat(frames, ignore_index=True)
    out.insert(3, "class_name", [names.get(int(c), None) if pd.notna(c) else None for c in out["class"]])
    out.loc[out["kind"] == "any_drought", "class_name"] = "any drought"
    out.attrs.update(
        indicator="SO3-1",
        tables="SO3-1.T1 (area and % per class), SO3-1.T2 (% under any drought)",
        denominator="official land area" if official_land_area_km2 is not None else "valid land area (D3)",
        drought_codes=dc,
        water="land_mask" if land_mask is not None else "no land mask given: no water row",
    )
    return out


def drought_zonal_area_table(
    classes: xr.DataArray,
    units: Any,
    *,
    codes: Sequence[int],
    drought_codes: Sequence[int],
    meanings: Sequence[str] | None = None,
    nodata: int,
    land_mask: xr.DataArray | None = None,
    method: str = "exact",
    id_field: str | None = None,
    name_field: str | None = None,
    dim: str = "year",
    cells: NearestCells | None = None,
) -> pd.DataFrame:
    """Area and percent of land per drought class, per administrative unit and national (SO3-1).

    Parameters
    ----------
    classes : xarray.DataArray
        Drought classes with a ``year`` (or ``epoch``) dimension and a CRS.
    units : geopandas.GeoDataFrame
        Admin units in the raster's CRS (:func:`indicators.read_polygons`).
    codes, drought_codes, meanings, nodata, land_mask, dim
        As in :func:`drought_area_table` (a land mask with the *dim* dimension
        gives each year its own water); water cells (``land_mask`` False)
        are reported on a water row and left out of each unit's land area.
    method : {"exact", "centre"}
        Fractional pixel coverage or the pixel-centre rule
        (:func:`indicators.summarize.zonal_class_areas`).
    cells : NearestCells, optional
        *classes* as their factors (:class:`indicators.summarize_cells.NearestCells` of the classes on their own
        grid, the same *dim* labels): the units' areas are summed per climate cell in one pass and each label is a
        lookup (the same numbers). Not used with a land mask per label.

    Returns
    -------
    pandas.DataFrame
        Rows of :func:`indicators.summarize.zonal_class_areas` per *dim* value,
        with ``class_name``, ``percent_of_land`` (of the unit's valid land
        area) and one ``any_drought`` row per unit (and national).
    """
    if dim not in classes.dims:
        raise InputError(f"drought classes have no {dim!r} dimension (dims {classes.dims})")
    dc = _check_drought_codes(codes, drought_codes)
    names = _labels(codes, meanings)
    water_codes: list[int] = []
    if land_mask is not None:
        first = classes[dim].values[0]
        one = land_mask_at(land_mask, dim, first.item() if hasattr(first, "item") else first)
        check_same_grid(classes.isel({dim: 0}, drop=True), one, names=["drought classes", "land mask"])
        if dim in land_mask.dims:  # one mask per year (or epoch): each label its own water
            land_mask = land_mask.sel({dim: classes[dim].values})
        # a free code for water cells, so zonal_class_areas reports them on the water row
        water = next(c for c in range(255) if c not in set(map(int, codes)) | {int(nodata)})
        classes = classes.where(land_mask.astype(bool), water).astype(classes.dtype)
        water_codes = [water]
    frames = []
    labels = list(classes[dim].values)
    if cells is not None and (land_mask is None or dim not in land_mask.dims):
        # one pass over the fine grid for every label: areas per (unit, climate cell, land), each label a lookup
        by_cell = cells if land_mask is None else cells.masked(land_mask, water_codes[0])
        sums = zonal_cell_sums(by_cell, units, id_field=id_field, method=method)
        many = {i: zonal_class_areas_by_cells(by_cell, sums, {dim: label}, codes=list(codes), nodata=nodata,
                                              water_codes=water_codes, name_field=name_field)
                for i, label in enumerate(labels)}
    else:  # all labels in one pass over the units (exactextract computes each unit's coverage once for every label)
        many = zonal_class_areas_many({i: classes.sel({dim: label}) for i, label in enumerate(labels)}, units,
                                      codes=list(codes), method=method, id_field=id_field, name_field=name_field,
                                      nodata=nodata, water_codes=water_codes)
    for i, label in enumerate(labels):
        t = many[i]
        key = ["level", "unit"]
        cls = t[t["kind"] == "class"]
        land = cls.groupby(key, dropna=False, sort=False)["area_km2"].sum().rename("land_km2")
        drought = cls[cls["class"].isin(dc)].groupby(key, dropna=False, sort=False)["area_km2"].sum()
        first = t.drop_duplicates(key).set_index(key)
        any_rows = first.copy()
        any_rows["kind"] = "any_drought"
        any_rows["class"] = pd.NA
        any_rows["area_km2"] = drought.reindex(first.index, fill_value=0.0)
        t = pd.concat([t, any_rows.reset_index()], ignore_index=True)
        t = t.join(land, on=key)
        t["percent_of_land"] = np.where(
            t["kind"].isin(["class", "any_drought"]) & (t["land_km2"] > 0), 100.0 * t["area_km2"] / t["land_km2"], np.nan
        )
        t = t.rename(columns={"land_km2": "unit_land_area_km2"})
        t.insert(0, dim, label.item() if hasattr(label, "item") else label)
        frames.append(t)
    out = pd.concat(frames, ignore_index=True)
    out["class"] = out["class"].astype("Int64")
    pos = list(out.columns).index("class") + 1
    out.insert(pos, "class_name", [names.get(int(c)) if pd.notna(c) else None for c in out["class"]])
    out.loc[out["kind"] == "any_drought", "class_name"] = "any drought"
    out.loc[out["kind"] == "water", "class"] = pd.NA
    out.attrs.update(indicator="SO3-1", method=method, drought_codes=dc, denominator="valid land area of each unit (D3)")
    return out


def drought_trends(
    table: pd.DataFrame,
    *,
    baseline: tuple[int, int],
    period: tuple[int, int],
    value: str,
    filters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Non-normative trend extras on one annual series of an SO3 table.

    Mann–Kendall and Sen's slope on the annual series, and the reporting-period
    mean against the baseline mean (:mod:`indicators.trends`). The reporting
    manual prescribes no trend test (methodology Part B §3.5).

    Parameters
    ----------
    table : pandas.DataFrame with a ``year`` column
        E.g. from :func:`drought_area_table`, :func:`indicators.so3.exposure.drought_exposure`
        or :func:`indicators.so3.vulnerability.dvi_from_factors`.
    baseline, period : (first year, last year), inclusive
    value : str
        Column to follow: ``"percent_of_land"`` (SO3-1), ``"percent"`` (SO3-2), ``"dvi"`` (SO3-3).
    filters : {column: value}, optional
        Row selection leaving one row per year, e.g. ``{"kind": "any_drought"}``
        (SO3-1), ``{"kind": "any_drought", "group": "total"}`` (SO3-2),
        ``{"sex": "total"}`` (SO3-3). A ``level`` column is restricted to
        ``"national"`` unless filtered explicitly.

    Returns
    -------
    dict with ``mann_kendall`` (S, var S, z, p, tau, n), ``sens_slope_per_year``,
    ``baseline_mean``, ``period_mean``, ``difference``, ``relative_difference``, ``note``.
    """
    from ..trends import NON_NORMATIVE, mann_kendall, period_mean_change, sens_slope

    rows = table
    sel = dict(filters or {})
    if "level" in rows.columns and "level" not in sel:
        sel["level"] = "national"
    for column, wanted in sel.items():
        if column not in rows.columns:
            raise InputError(f"the table has no column {column!r} to filter on (columns: {list(rows.columns)})")
        rows = rows[rows[column] == wanted]
    if "year" not in rows.columns or value not in rows.columns or rows.empty:
        raise InputError(f"no annual rows with a {value!r} column are left after filtering on {sel}")
    if rows["year"].duplicated().any():
        raise InputError(f"several rows per year are left after filtering on {sel}; add filters (e.g. group, unit, sex)")
    rows = rows.sort_values("year")
    years = rows["year"].to_numpy(dtype="float64")
    values = rows[value].to_numpy(dtype="float64")
    return {
        "value": value,
        "filters": sel,
        "mann_kendall": mann_kendall(values, years).as_dict(),
        "sens_slope_per_year": sens_slope(years, values),
        **period_mean_change(years, values, baseline=baseline, period=period),
        "note": NON_NORMATIVE,
    }

"""SO2-3: population exposed to land degradation, total and by sex, counts and percentages.

Methodology Part C §1.10 (what Trends.Earth sums), decision D8 for the sex
percentages (default: exposed women / all women, likewise men).  The SDG layer
uses the SO1 encoding (:mod:`indicators.so1.encoding`: 1 degraded, 2 stable,
3 improved, 0 nodata); population rasters are counts of people per cell on the
same grid.  Sums come from :func:`indicators.summarize.weighted_class_sum`
(national) and :func:`indicators.summarize.zonal_class_weights` (per unit).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import SpecError
from ..so1.encoding import DEGRADED, IMPROVED, NODATA, STABLE
from ..summarize import PendingTables, compute_tables, weighted_class_sum, zonal_class_weights

_ROWS = {DEGRADED: "degraded", STABLE: "stable", IMPROVED: "improved"}


def _national(t: pd.DataFrame) -> tuple[dict[str, float], int]:
    vals = {_ROWS[int(c)]: float(v) for c, v in zip(t["class"], t["value"]) if pd.notna(c)}
    vals["no data"] = float(t.loc[t["kind"] == "nodata", "value"].iloc[0])
    return vals, int(t.attrs.get("missing_weight_cells", 0))


def population_exposed_to_degradation(
    sdg: xr.DataArray,
    population: xr.DataArray,
    *,
    population_female: xr.DataArray | None = None,
    population_male: xr.DataArray | None = None,
    sex_percent_basis: Literal["own_total", "exposed"] = "own_total",
    units: Any = None,
    method: str = "exact",
    id_field: str | None = None,
    compute: bool = True,
) -> pd.DataFrame | PendingTables:
    """SO2-3: people living on degraded, stable, improved and no-data land.

    Parameters
    ----------
    sdg : DataArray uint8 (1 degraded, 2 stable, 3 improved, 0 nodata), with a CRS
        The SDG 15.3.1 layer of the period (or its status collapsed to 3 classes).
    population : DataArray (y, x), persons per cell, same grid
        Total population (NaN/nodata = missing, reported in ``attrs``).
    population_female, population_male : DataArray, optional
        Population by sex on the same grid.
    sex_percent_basis : "own_total" | "exposed"
        ``"own_total"`` (D8 default, 2026): exposed women / all women × 100;
        ``"exposed"`` (2022): women / all exposed people × 100.
    units : GeoDataFrame, optional
        Admin units: adds per-unit rows (``zonal_class_areas`` with population weights).
    method : "exact" | "centre"
        Coverage rule of the per-unit rows.
    compute : bool, default True
        False: the table pending (:func:`indicators.summarize.compute_tables`): the periods' tables over one
        population grid then share one pass, each population block decoded once.

    Returns
    -------
    DataFrame, one row per (unit, class): ``level`` ("national"/"unit"), ``unit``,
    ``class`` (degraded, stable, improved, no data), ``population``, ``percent``
    (of the total population of the area), and, with the sex rasters, ``female``,
    ``male``, ``percent_female``, ``percent_male``.  ``attrs``: units, the
    percentage bases, missing population cells.
    """
    if sex_percent_basis not in ("own_total", "exposed"):
        raise SpecError(f"sex_percent_basis {sex_percent_basis!r} must be 'own_total' or 'exposed'")
    layers = {"population": population}
    if population_female is not None:
        layers["female"] = population_female
    if population_male is not None:
        layers["male"] = population_male
    # the total, female and male sums, national and per unit, in one pass over the SDG layer (each block decoded once)
    items = [weighted_class_sum(sdg, layer, codes=list(_ROWS), nodata=NODATA, compute=False) for layer in layers.values()]
    if units is not None:
        # per unit: with the centre rule the units are burnt once per block for the three layers
        items.append(zonal_class_weights(sdg, units, layers, codes=list(_ROWS), method=method, nodata=NODATA,
                                         id_field=id_field, compute=False))
    pending = PendingTables(tuple(items), lambda tables: _exposure_table(list(layers), tables, sex_percent_basis))
    return compute_tables(pending)[0] if compute else pending


def _exposure_table(names: list[str], tables: list[Any], sex_percent_basis: str) -> pd.DataFrame:
    """SO2-3's table from the national sums of each population layer (*names*' order) and, when there are units,
    the per-unit tables of the layers (the last item)."""
    classes = list(_ROWS.values()) + ["no data"]
    national: dict[str, dict[str, float]] = {}
    missing: dict[str, int] = {}
    for name, t in zip(names, tables):
        national[name], missing[name] = _national(t)
    frames = [_shape({cls: {k: national[k][cls] for k in names} for cls in classes}, "national", None,
                     sex_percent_basis)]
    if len(tables) > len(names):
        per_unit: dict[Any, dict[str, dict[str, float]]] = {}
        for name, z in tables[-1].items():
            z = z[z["level"] == "unit"]
            for _, r in z.iterrows():
                cls = _ROWS[int(r["class"])] if r["kind"] == "class" else "no data"
                per_unit.setdefault(r["unit"], {}).setdefault(cls, {})[name] = float(r["value"])
        for unit, vals in per_unit.items():
            frames.append(_shape(vals, "unit", unit, sex_percent_basis))
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(
        units={"population": "person", "percent": "%"},
        percent_basis="total population of the area (all classes and no data)",
        sex_percent_basis=("exposed women / all women (likewise men)" if sex_percent_basis == "own_total"
                           else "women / all exposed people (likewise men)"),
        missing_population_cells=missing,
        table="SO2-3 population exposed to land degradation",
    )
    return out


def _shape(vals: Mapping[str, Mapping[str, float]], level: str, unit: Any, basis: str) -> pd.DataFrame:
    classes = list(_ROWS.values()) + ["no data"]
    keys = sorted({k for v in vals.values() for k in v})
    df = pd.DataFrame({"level": level, "unit": unit, "class": classes})
    for k in ("population", "female", "male"):
        if k in keys:
            df[k] = [float(vals.get(c, {}).get(k, 0.0)) for c in classes]
    total = df["population"].sum()
    df["percent"] = 100.0 * df["population"] / total if total > 0 else np.nan
    for k in ("female", "male"):
        if k in df:
            denom = df[k].sum() if basis == "own_total" else df["population"]
            with np.errstate(divide="ignore", invalid="ignore"):
                df[f"percent_{k}"] = np.where(np.asarray(denom) > 0, 100.0 * df[k] / denom, np.nan)
    return df

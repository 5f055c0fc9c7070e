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

This module holds the SO1-1 to SO1-3 tables; the SO1-4 tables are in :mod:`~indicators.so1.sdg_tables` and are
re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..grid import cell_area
from ..summarize import PendingTable, PendingTables, class_area_table, cross_area_table, weighted_class_sum
from .encoding import NODATA, class_matrix, meaning_code, spec_rows_matrix
from .land_cover import UNCCD_CLASS_NAMES
from .sdg_tables import (counterbalancing_table, degraded_area_change_from_summaries, degraded_area_change_table,
                         land_mask_from_land_cover, recode_table, sdg_summary_by_unit, sdg_summary_by_unit_from_zonal,
                         sdg_summary_from_area_table, sdg_summary_table, status_area_table)
from .tables_common import THREE_NAMES, class_names, shape_pending, stack_pending

__all__ = ["counterbalancing_table", "cross_table", "degradation_process_table", "degraded_area_change_from_summaries",
           "degraded_area_change_table", "land_cover_area_table", "land_mask_from_land_cover", "recode_table",
           "regional_process_table", "sdg_summary_by_unit", "sdg_summary_by_unit_from_zonal", "sdg_summary_from_area_table", "sdg_summary_table",
           "soc_stock_table", "status_area_table", "transition_matrix_table"]


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
        out.insert(0, "name", class_names(codes, names, UNCCD_CLASS_NAMES) + ["no data"])
        out.insert(0, "class", pd.array(list(codes) + [pd.NA], dtype="Int64"))
        out.attrs.update(units="km2", table="SO1-1 land cover area per class and year")
        return out

    return stack_pending(pendings, shape, compute)


def transition_matrix_table(
    lc_initial: xr.DataArray,
    lc_final: xr.DataArray,
    *,
    codes: Sequence[int],
    names: Mapping[int, str] | None = None,
    compute: bool = True,
) -> pd.DataFrame | PendingTable:
    """SO1-1: the land-cover transition matrix in km² (rows initial class, columns final class, + no data).

    Row and column labels are the class names (from *names*, default the UNCCD classes).
    ``compute=False``: a :class:`~indicators.summarize.PendingTable` (one pass with other tables).
    """
    labels = dict(zip(codes, class_names(codes, names, UNCCD_CLASS_NAMES)))

    def shape(t: pd.DataFrame) -> pd.DataFrame:
        t.index.name, t.columns.name = "initial", "final"
        return t

    return shape_pending(cross_table(lc_initial, lc_final, codes_a=codes, codes_b=codes, names_a=labels, names_b=labels,
                                     table="SO1-1 land-cover transition matrix", compute=False), shape, compute)


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
    return _process_frame(_process_rows(transitions, matrix, codes, processes))


def regional_process_table(parts: Sequence[tuple[pd.DataFrame, Any]], *, codes: Sequence[int]) -> pd.DataFrame:
    """SO1-1 area per process with regional matrices (D28): :func:`degradation_process_table` over the
    transitions of each zone (the part outside every region and each region) under that zone's matrix, summed
    per process and meaning (a process one matrix names is one row, whichever region it occurs in)."""
    return _process_frame([row for transitions, matrix in parts for row in _process_rows(transitions, matrix, codes, None)])


def _process_rows(transitions: pd.DataFrame, matrix: Any, codes: Sequence[int], processes: Any) -> list[tuple[str, str, float]]:
    """(process, meaning, km²) of each class pair of *transitions* under *matrix*."""
    _, meanings = class_matrix(matrix, codes, where="land-cover transition matrix",
                               parse=lambda v, w: meaning_code(v, where=w))
    if processes is None and isinstance(matrix, Mapping) and "rows" in matrix and "columns" in matrix:
        # the rows that name their processes (a matrix of an overlay may name none, or some)
        named = [r for r in matrix["rows"] if r.get("processes") is not None]
        if named:
            processes = spec_rows_matrix({"columns": matrix["columns"], "rows": named}, key="processes",
                                         where="land-cover transition processes")
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
    return rows


def _process_frame(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    """The process rows summed per (process, meaning), sorted by meaning then area."""
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
    compute: bool = True,
) -> pd.DataFrame | PendingTable:
    """Area (km²) of each (class of a) × (class of b), e.g. land cover × LPD (SO1-2), with no-data row/column.

    ``compute=False``: a :class:`~indicators.summarize.PendingTable` (one pass with other tables)."""
    a_name, b_name = a.name or "a", b.name or "b"

    def shape(t: pd.DataFrame) -> pd.DataFrame:
        t.index = pd.Index([str((names_a or {}).get(int(c), c)) for c in codes_a] + ["no data"], name=a_name)
        t.columns = pd.Index([str((names_b or {}).get(int(c), c)) for c in codes_b] + ["no data"], name=b_name)
        t.attrs.update(units="km2", table=table)
        return t

    return shape_pending(cross_area_table(a, b, codes_a=codes_a, codes_b=codes_b, nodata_a=NODATA, nodata_b=NODATA,
                                          compute=False), shape, compute)


def soc_stock_table(
    soc: xr.DataArray,
    land_cover: xr.DataArray,
    *,
    codes: Sequence[int],
    names: Mapping[int, str] | None = None,
    compute: bool = True,
) -> pd.DataFrame | PendingTables:
    """SO1-3: SOC stock (tonnes) per land-cover class: Σ SOC [t/ha] × cell area [km²] × 100 [ha/km²].

    Cells with missing SOC are left out of the stock (their count is in
    ``attrs["missing_soc_cells"]``); ``area_km2`` is the class area, ``area_with_soc_km2``
    the part of it that has a stock, and the mean stock divides by the latter (a class
    partly without SOC is not diluted by the cells that have none).
    ``compute=False``: a :class:`~indicators.summarize.PendingTables` (its three sums in one pass with other tables).
    """
    ca = cell_area(land_cover)
    tonnes = (soc.astype("float64") * ca * 100.0).transpose(*soc.dims)
    tonnes.attrs["units"] = "t"
    parts = (weighted_class_sum(land_cover, tonnes, codes=codes, nodata=NODATA, compute=False),
             class_area_table(land_cover, codes=codes, nodata=NODATA, compute=False),
             class_area_table(land_cover.where(soc.notnull(), NODATA).astype(land_cover.dtype), codes=codes, nodata=NODATA,
                              compute=False))

    def finish(tables: list[pd.DataFrame]) -> pd.DataFrame:
        stock, area, with_soc = tables
        st = stock[stock["kind"] == "class"]["value"].to_numpy()
        ar = area[area["kind"] == "class"]["area_km2"].to_numpy()
        ar_soc = with_soc[with_soc["kind"] == "class"]["area_km2"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(ar_soc > 0, st / (ar_soc * 100.0), np.nan)
        df = pd.DataFrame({
            "class": pd.array(list(codes), dtype="Int64"),
            "name": class_names(codes, names, UNCCD_CLASS_NAMES),
            "soc_stock_t": st,
            "area_km2": ar,
            "area_with_soc_km2": ar_soc,
            "soc_mean_t_per_ha": mean,
        })
        df.attrs.update(units={"soc_stock_t": "t", "area_km2": "km2", "area_with_soc_km2": "km2", "soc_mean_t_per_ha": "t ha-1"},
                        missing_soc_cells=stock.attrs.get("missing_weight_cells", 0),
                        table="SO1-3 SOC stock per land-cover class")
        return df

    pending = PendingTables(parts, finish)
    return pending.compute() if compute else pending

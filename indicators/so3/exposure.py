"""SO3-2, tier 2 drought exposure: people in each drought class, total, female and male.

Methodology Part A D8 and Part B §3.3:

* each year's population grid is overlaid on that year's SO3-1 class grid (same
  grid; resample the classes nearest-neighbour onto the population grid first);
* a missing population year is filled with the nearest available year, and the
  year used is stated on every row (``population_year``);
* percentages of the total population; for women and men two definitions
  (D8): ``"2026"`` (default) exposed women / all women, likewise men;
  ``"2022"`` the share of each sex among the people exposed in each class
  (female + male = 100 % per class);
* four-year epoch exposure: the epoch's most recent population grid (the latest
  inside the epoch, else the latest before it) in each cell of the epoch's
  most-severe-class map (D7; PRAIS22 §3.2 Step 4).

All codes, names and options come in as parameters from the specs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numba
import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InputError
from ..grid import check_same_grid
from ..summarize import compute_tables, weighted_class_sum, zonal_class_areas_many
from ..summarize_cells import (NearestCells, cell_weight_sums_kept, weighted_class_sum_by_cells, zonal_cell_sums_many,
                               zonal_class_areas_by_cells)
from .hazard_tables import land_mask_at
from .population_years import _grid_for, epoch_population_year, nearest_population_year

__all__ = [
    "nearest_population_year",
    "epoch_population_year",
    "drought_exposure",
    "drought_exposure_zonal",
    "epoch_exposure_map",
]

_FILL_RULE = {
    False: "nearest available year (ties: the later)",
    True: "the epoch's most recent grid: the latest inside the epoch, else the latest before it, "
    "else the earliest after it (PRAIS22 §3.2 Step 4)",
}

_SEX_DEFINITIONS = {
    "2026": "exposed people of each sex / total population of that sex x 100 (PRAIS 2026)",
    "2022": "people of each sex / all people exposed in the same class x 100 (PRAIS 2022; female + male = 100)",
}


def _groups(population: xr.DataArray | None, female: xr.DataArray | None, male: xr.DataArray | None) -> dict[str, xr.DataArray]:
    if (female is None) != (male is None):
        raise InputError("give both female and male population grids, or neither")
    groups: dict[str, xr.DataArray] = {}
    if population is None:
        if female is None:
            raise InputError("no population grid: give population= or female= and male=")
        population = female + male
        population.attrs["units"] = female.attrs.get("units", "person")
        population.attrs["derived"] = "female + male"
    groups["total"] = population
    if female is not None:
        groups["female"], groups["male"] = female, male
    return groups


def _years_of(classes: xr.DataArray, dim: str) -> list[tuple[Any, int, tuple[int, int] | None]]:
    """(label, target year, epoch bounds or None) for each slice of *classes* along *dim*."""
    if dim not in classes.dims:
        raise InputError(f"drought classes have no {dim!r} dimension (dims {classes.dims})")
    labels = [v.item() if hasattr(v, "item") else v for v in classes[dim].values]
    if dim == "year":
        return [(lab, int(lab), None) for lab in labels]
    if "epoch_end" not in classes.coords or "epoch_start" not in classes.coords:
        raise InputError(f"drought classes along {dim!r} need 'epoch_start' and 'epoch_end' coordinates "
                         "(from indicators.so3.hazard.epoch_most_severe)")
    ends = [int(e) for e in np.atleast_1d(classes["epoch_end"].values)]
    starts = [int(b) for b in np.atleast_1d(classes["epoch_start"].values)]
    return [(lab, e, (b, e)) for lab, b, e in zip(labels, starts, ends)]


def _prepare(pop: xr.DataArray, land_mask: xr.DataArray | None, water_population: str) -> xr.DataArray:
    if water_population not in ("keep", "zero"):
        raise InputError(f"water_population must be 'keep' or 'zero', got {water_population!r}")
    if water_population == "zero":
        if land_mask is None:
            raise InputError("water_population='zero' needs a land_mask")
        check_same_grid(pop, land_mask, names=["population", "land mask"])
        pop = pop.where(land_mask.astype(bool), 0.0).assign_attrs(pop.attrs)
    return pop


def _check_sex_definition(sex_percentage: str) -> str:
    key = str(sex_percentage)
    if key not in _SEX_DEFINITIONS:
        raise InputError(f"sex_percentage must be '2026' or '2022' (decision D8), got {sex_percentage!r}")
    return key


def _names(codes: Sequence[int], meanings: Sequence[str] | None) -> dict[int, str]:
    if meanings is not None and len(meanings) != len(codes):
        raise InputError(f"{len(codes)} codes but {len(meanings)} meanings")
    return {int(c): (str(m) if meanings is not None else str(c)) for c, m in zip(codes, meanings or codes)}


def _percentages(df: pd.DataFrame, keys: list[str], sex_percentage: str) -> np.ndarray:
    """Percent for tidy rows (keys, group, kind, class, population); the denominators are the
    ``total_population`` rows of the same keys and group, or (2022, by sex) both sexes in the class."""
    den = df[df["kind"] == "total_population"][keys + ["group", "population"]].rename(columns={"population": "_den"})
    merged = df[keys + ["group", "population"]].merge(den, on=keys + ["group"], how="left")
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * merged["population"].to_numpy(dtype="float64") / merged["_den"].to_numpy(dtype="float64")
        if sex_percentage == "2022":
            sexed = df["group"].isin(["female", "male"]).to_numpy()
            cols = keys + ["kind", "class"]
            both = df[sexed].groupby(cols, dropna=False)["population"].sum().rename("_both").reset_index()
            m2 = df[cols + ["population"]].merge(both, on=cols, how="left")
            share = 100.0 * m2["population"].to_numpy(dtype="float64") / m2["_both"].to_numpy(dtype="float64")
            pct = np.where(sexed & (df["kind"] != "total_population").to_numpy(), share, pct)
    return pct


def _add_percent_columns(df: pd.DataFrame, keys: list[str], sex_percentage: str) -> None:
    """``percent`` (the chosen definition) and both definitions side by side (D8)."""
    for edition in ("2026", "2022"):
        df[f"percent_{edition}"] = _percentages(df, keys, edition)
        df.loc[df["kind"] == "total_population", f"percent_{edition}"] = 100.0
    df["percent"] = df[f"percent_{sex_percentage}"]


def drought_exposure(
    drought_class: xr.DataArray,
    population: xr.DataArray | None,
    *,
    codes: Sequence[int],
    drought_codes: Sequence[int],
    nodata: int,
    meanings: Sequence[str] | None = None,
    female: xr.DataArray | None = None,
    male: xr.DataArray | None = None,
    sex_percentage: str,
    population_totals: Mapping[int, Mapping[str, float]] | None = None,
    land_mask: xr.DataArray | None = None,
    water_population: str = "keep",
    dim: str = "year",
    population_year_fill: str = "nearest",
    cells: NearestCells | None = None,
) -> pd.DataFrame:
    """Population in each drought class per year, total / female / male, national (SO3-2.T1–T3).

    Parameters
    ----------
    drought_class : xarray.DataArray
        SO3-1 classes with a ``year`` dimension (or ``epoch``, from
        :func:`indicators.so3.hazard.epoch_most_severe`), on the population grid.
    population : xarray.DataArray or None
        Total population (persons per cell), dims ``(year, y, x)`` or ``(y, x)``;
        None: female + male.
    codes : sequence of int
        Drought class codes in table order.
    drought_codes : sequence of int
        Codes counted as "exposed to drought".
    nodata : int
        Nodata code of the classes; people in nodata cells get a row of their own.
    meanings : sequence of str, optional
        Class names in the order of *codes*.
    female, male : xarray.DataArray, optional
        Population by sex, like *population*.
    sex_percentage : {"2026", "2022"}
        Definition of ``percent`` for the female and male rows (D8; the specs'
        default is the 2026 one). Both are always given in ``percent_2026`` and
        ``percent_2022``.
    population_totals : {year: {"total": …, "female": …, "male": …}}, optional
        National population totals (CP-1.T2) used as denominators instead of the
        grid sums; years without an entry use the grid sums.
    land_mask : xarray.DataArray of bool, optional
        True on land; with ``water_population="zero"`` people on water cells
        are set to 0 (the Trends.Earth convention). One mask for all labels, or
        one per label with the *dim* dimension (``land_area.water_year: each_period``).
    water_population : {"keep", "zero"}
    dim : {"year", "epoch"}
        For epochs, the epoch's most recent population grid is used
        (:func:`epoch_population_year`), never one after the epoch while an
        earlier one exists.
    population_year_fill : {"nearest", "none"}
        A year without its own grid takes the nearest year's (ties: the later),
        or is an error with ``"none"`` (specs: ``drought_exposure.population_year_fill``).
        Official totals are always those of the year whose grid is used, so
        the counts and their denominator describe the same population.
    cells : NearestCells, optional
        *drought_class* as its factors (:class:`indicators.summarize_cells.NearestCells` of the classes on their own
        grid, the same *dim* labels): each population grid is summed per climate cell once and every year is a
        lookup (the same numbers; one pass over the fine grid per population grid, not one per year).

    Returns
    -------
    pandas.DataFrame
        Rows per (*dim*, group, kind, class) with ``kind`` in ``"class"``,
        ``"any_drought"``, ``"nodata"``, ``"total_population"``; columns
        ``population_year`` (the grid used, after nearest-year fill),
        ``class_name``, ``population``, ``percent`` (the chosen definition),
        ``percent_2026`` and ``percent_2022`` (both definitions; they differ
        only for the female and male rows), ``denominator``.
        ``attrs`` state the sex-percentage definition and the fill.
    """
    sex_percentage = _check_sex_definition(sex_percentage)
    dc = [int(c) for c in drought_codes]
    if not set(dc) <= {int(c) for c in codes}:
        raise InputError(f"drought codes {dc} are not all among the class codes {list(codes)}")
    names = _names(codes, meanings)
    groups = _groups(population, female, male)
    rows, denominators, fill = [], {}, []
    # each year's group sums are planned together and computed in one pass (the year's classes resampled once for the
    # three groups); one pass per year, not one for all years: a pass over every year made dask keep whole population
    # grids (≈ 4 bytes per pixel per group) until the last year had used them, memory growing with the country
    planned = []
    for label, target, epoch in _years_of(drought_class, dim):
        cls = drought_class.sel({dim: label})
        for group, pop in groups.items():
            grid, used, how = _grid_for(pop, target, epoch, population_year_fill)
            grid = _prepare(grid, land_mask_at(land_mask, dim, label), water_population)
            planned.append((label, target, epoch, group, used, how, grid if cells is not None else
                            weighted_class_sum(cls, grid, codes=list(codes), nodata=nodata, compute=False)))
    if cells is None:
        sums = [t for label, _, _ in _years_of(drought_class, dim)
                for t in compute_tables(*(p[-1] for p in planned if p[0] == label))]
    else:
        sums = _sums_by_cells(cells, planned, dim, land_mask, codes=codes, nodata=nodata)
    for (label, target, epoch, group, used, how, _), t in zip(planned, sums):
        per_class = t[t["kind"] == "class"]
        exposed = float(per_class[per_class["class"].isin(dc)]["value"].sum())
        nodata_pop = float(t.loc[t["kind"] == "nodata", "value"].sum())
        water_pop = float(t.loc[t["kind"] == "water", "value"].sum())
        grid_total = float(per_class["value"].sum()) + nodata_pop + water_pop
        # the denominator is the national total of the year whose grid is used (a filled year's counts come
        # from another year's grid: dividing them by the requested year's total could exceed 100 %)
        total_year = int(target) if used is None else used
        official = (population_totals or {}).get(total_year, {}).get(group)
        total = float(official) if official is not None else grid_total
        denominators[(label, group)] = "official total (CP-1.T2)" if official is not None else "population grid total"
        year_used = target if used is None else used
        if epoch is not None and used is not None:
            fill.append(f"{label}: {group} population of {used} ({how})")
        elif used is not None and used != target:
            fill.append(f"{label}: {group} population of {used}")
        for _, r in per_class.iterrows():
            rows.append((label, year_used, group, "class", int(r["class"]), float(r["value"])))
        rows.append((label, year_used, group, "any_drought", pd.NA, exposed))
        rows.append((label, year_used, group, "nodata", pd.NA, nodata_pop))
        rows.append((label, year_used, group, "total_population", pd.NA, total))
    df = pd.DataFrame(rows, columns=[dim, "population_year", "group", "kind", "class", "population"])
    df["class"] = df["class"].astype("Int64")
    _add_percent_columns(df, [dim], sex_percentage)
    df["denominator"] = [
        "people of both sexes exposed in the class"
        if sex_percentage == "2022" and g != "total" and k in ("class", "any_drought", "nodata")
        else denominators[(lab, g)]
        for lab, g, k in zip(df[dim], df["group"], df["kind"])
    ]
    df.insert(5, "class_name", [names.get(int(c)) if pd.notna(c) else None for c in df["class"]])
    df.loc[df["kind"] == "any_drought", "class_name"] = "any drought"
    df.attrs.update(
        indicator="SO3-2",
        tables="SO3-2.T1 (total), SO3-2.T2 (female), SO3-2.T3 (male)",
        sex_percentage=sex_percentage,
        sex_percentage_definition=_SEX_DEFINITIONS[sex_percentage],
        population_year_fill=_FILL_RULE[dim == "epoch"],
        population_years_filled="; ".join(fill) or "none",
        water_population=water_population,
        drought_codes=dc,
    )
    return df


def _sums_by_cells(cells: NearestCells, planned: list[tuple[Any, ...]], dim: str, land_mask: xr.DataArray | None, *,
                   codes: Sequence[int], nodata: int) -> list[pd.DataFrame]:
    """:func:`drought_exposure`'s per-year group sums through the climate cells: each distinct weight grid (group, grid
    year, land mask of the label) summed per cell once, the grids of one population year in one pass."""
    per_label_mask = land_mask is not None and dim in land_mask.dims
    key_of = [(group, used, label if per_label_mask else None) for label, _, _, group, used, _, _ in planned]
    grids = {key: p[-1] for key, p in zip(key_of, planned)}
    by_year: dict[Any, list[Any]] = {}
    for key in grids:
        by_year.setdefault(key[1], []).append(key)
    sums = {}
    for keys in by_year.values():  # one pass per population year: its groups share the reading of the cell index
        sums.update(zip(keys, cell_weight_sums_kept(cells, [grids[k] for k in keys])))
    return [weighted_class_sum_by_cells(cells, sums[key], {dim: p[0]}, codes=list(codes), nodata=nodata,
                                        units=p[-1].attrs.get("units", "1"))
            for key, p in zip(key_of, planned)]


def drought_exposure_zonal(
    drought_class: xr.DataArray,
    population: xr.DataArray | None,
    units: Any,
    *,
    codes: Sequence[int],
    drought_codes: Sequence[int],
    nodata: int,
    meanings: Sequence[str] | None = None,
    female: xr.DataArray | None = None,
    male: xr.DataArray | None = None,
    sex_percentage: str,
    land_mask: xr.DataArray | None = None,
    water_population: str = "keep",
    method: str = "exact",
    id_field: str | None = None,
    name_field: str | None = None,
    dim: str = "year",
    population_year_fill: str = "nearest",
    cells: NearestCells | None = None,
) -> pd.DataFrame:
    """Population per drought class per administrative unit (and national), total / female / male.

    Parameters as in :func:`drought_exposure`, plus *units* (a GeoDataFrame in
    the raster's CRS) and *method* (``"exact"`` or ``"centre"``, see
    :func:`indicators.summarize.zonal_class_areas`). Percentages use each
    unit's own population from the grid as the denominator.  With *cells*, each population grid is summed per
    (unit, climate cell) once and every year is a lookup.

    Returns
    -------
    pandas.DataFrame
        Rows per (*dim*, level, unit, group, kind, class) with ``population``
        and ``percent``; national rows are the sums of the unit rows.
    """
    sex_percentage = _check_sex_definition(sex_percentage)
    dc = [int(c) for c in drought_codes]
    names = _names(codes, meanings)
    groups = _groups(population, female, male)
    # the years whose classes are weighted by the same population grid (same group, grid year and land mask) are
    # summarised together: one pass over the units and the grid for all of them (zonal_class_areas_many)
    batches: dict[tuple[Any, ...], list[tuple[Any, Any, Any]]] = {}
    for label, target, epoch in _years_of(drought_class, dim):
        for group, pop in groups.items():
            _, used, _ = _grid_for(pop, target, epoch, population_year_fill)
            per_label_mask = land_mask is not None and dim in land_mask.dims
            batches.setdefault((group, used, label if per_label_mask else None), []).append((label, target, epoch))
    # with cells, the groups of a batch's grid year and members (total, female, male) share one pass of the units
    shared: dict[tuple[Any, ...], list[tuple[str, Any, Any]]] = {}
    for (group, used, masked), members in batches.items():
        together = (used, masked, tuple(label for label, _, _ in members)) if cells is not None else (group, used, masked)
        shared.setdefault(together, []).append((group, used, members))
    tables = {}
    for batch in shared.values():
        grids = []
        for group, _, members in batch:
            label0, target0, epoch0 = members[0]
            grid, _, _ = _grid_for(groups[group], target0, epoch0, population_year_fill)
            grids.append(_prepare(grid, land_mask_at(land_mask, dim, label0), water_population))
        if cells is not None:
            per_group = zonal_cell_sums_many(cells, units, grids, id_field=id_field, method=method)
        for i, (group, used, members) in enumerate(batch):
            if cells is not None:
                many = {label: zonal_class_areas_by_cells(cells, per_group[i], {dim: label}, codes=list(codes),
                                                          nodata=nodata, name_field=name_field) for label, _, _ in members}
            else:
                many = zonal_class_areas_many({label: drought_class.sel({dim: label}) for label, _, _ in members}, units,
                                              codes=list(codes), method=method, weights=grids[i], id_field=id_field,
                                              name_field=name_field, nodata=nodata)
            tables.update({(label, group): (target, used, many[label]) for label, target, _ in members})
    frames = []
    for label, target, epoch in _years_of(drought_class, dim):
        for group in groups:
            _, used, t = tables[(label, group)]
            t = t.rename(columns={"value": "population"}).drop(columns=["area_km2", "unit_pixel_area_km2", "unit_geodesic_area_km2"])
            key = ["level", "unit"]
            first = t.drop_duplicates(key).set_index(key)
            exposed = t[(t["kind"] == "class") & t["class"].isin(dc)].groupby(key, dropna=False, sort=False)["population"].sum()
            total = t.groupby(key, dropna=False, sort=False)["population"].sum()
            extra = []
            for kind, series in (("any_drought", exposed), ("total_population", total)):
                r = first.copy()
                r["kind"], r["class"] = kind, pd.NA
                r["population"] = series.reindex(first.index, fill_value=0.0)
                extra.append(r.reset_index())
            t = pd.concat([t] + extra, ignore_index=True)
            t.insert(0, "group", group)
            t.insert(0, "population_year", target if used is None else used)
            t.insert(0, dim, label)
            frames.append(t)
    df = pd.concat(frames, ignore_index=True)
    df["class"] = df["class"].astype("Int64")
    keys = [dim, "level", "unit"]
    _add_percent_columns(df, keys, sex_percentage)
    pos = list(df.columns).index("class") + 1
    df.insert(pos, "class_name", [names.get(int(c)) if pd.notna(c) else None for c in df["class"]])
    df.loc[df["kind"] == "any_drought", "class_name"] = "any drought"
    df.attrs.update(
        indicator="SO3-2",
        method=method,
        sex_percentage=sex_percentage,
        sex_percentage_definition=_SEX_DEFINITIONS[sex_percentage],
        population_year_fill=_FILL_RULE[dim == "epoch"],
        water_population=water_population,
    )
    return df


def epoch_exposure_map(
    epoch_classes: xr.DataArray,
    population: xr.DataArray,
    *,
    drought_codes: Sequence[int],
    nodata: int,
) -> xr.DataArray:
    """Four-year exposure maps: people in drought cells of each epoch's most-severe-class map.

    Parameters
    ----------
    epoch_classes : xarray.DataArray
        From :func:`indicators.so3.hazard.epoch_most_severe` (dims ``(epoch, y, x)``
        with an ``epoch_end`` coordinate).
    population : xarray.DataArray
        Persons per cell, ``(year, y, x)`` or ``(y, x)``; each epoch uses its
        most recent grid (:func:`epoch_population_year`: the latest inside the
        epoch, else the latest before it, else the earliest after it).
    drought_codes : sequence of int
        Classes counted as drought.
    nodata : int
        Nodata code of the classes (→ NaN).

    Returns
    -------
    xarray.DataArray (float32, persons) dims ``(epoch, y, x)``: the population in
    drought cells, 0 in non-drought cells, NaN where the class is nodata;
    coordinate ``population_year`` per epoch.
    """
    maps, years, notes = [], [], []
    for label, target, epoch in _years_of(epoch_classes, "epoch"):
        cls = epoch_classes.sel(epoch=label)
        grid, used, how = _grid_for(population, target, epoch)
        notes.append(f"{label}: population of {used} ({how})" if used is not None else f"{label}: {how}")
        # xr.where(cls in drought codes, grid, 0).where(cls != nodata) as float32, in one pass per block
        exposed = xr.apply_ufunc(_exposed_block, cls, grid, dask="parallelized", output_dtypes=[np.float32],
                                 kwargs={"codes": np.asarray(sorted({int(c) for c in drought_codes}), np.int64),
                                         "nodata": int(nodata)})
        maps.append(exposed)
        years.append(target if used is None else used)
    out = xr.concat(maps, dim="epoch", coords="minimal", compat="override")
    out = out.assign_coords(epoch=epoch_classes["epoch"].values, population_year=("epoch", years))
    if "spatial_ref" in epoch_classes.coords:
        out = out.assign_coords(spatial_ref=epoch_classes["spatial_ref"])
    out.name = "population_exposed"
    out.attrs = {
        "long_name": "population in drought cells of the epoch's most-severe-class map (SO3-2)",
        "units": population.attrs.get("units", "person"),
        "drought_codes": [int(c) for c in drought_codes],
        "population_rule": _FILL_RULE[True],
        "population_years_filled": "; ".join(notes),
    }
    return out


def _exposed_block(cls: np.ndarray, grid: np.ndarray, *, codes: np.ndarray, nodata: int) -> np.ndarray:
    """A block of :func:`epoch_exposure_map`: the population where the class is a drought code, 0 where it is
    another class, NaN where it is *nodata* (float32)."""
    cls, grid = np.broadcast_arrays(np.asarray(cls), np.asarray(grid))
    out = np.empty(cls.shape, np.float32)
    width = cls.shape[-1] if cls.ndim else 1
    _exposed_kernel(cls.reshape(-1, width), grid.reshape(-1, width), codes, nodata, out.reshape(-1, width))
    return out


@numba.njit(nogil=True, cache=True)
def _exposed_kernel(cls, grid, codes, nodata, out):  # pragma: no cover - compiled
    for i in range(cls.shape[0]):
        for j in range(cls.shape[1]):
            c = np.int64(cls[i, j])
            if c == nodata:
                out[i, j] = np.nan
                continue
            v = 0.0
            for k in range(codes.size):
                if c == codes[k]:
                    v = grid[i, j]
                    break
            out[i, j] = v

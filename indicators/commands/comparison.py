"""National vs default data, side by side (decision 11/COP.14: validate, replace or reject the default data).

:func:`compare_outputs` sets the tables of two runs (A: e.g. national data, B: e.g. the default data) side
by side: for every table both wrote, the rows matched on their label columns (class, unit, name...) and
each figure as A, B, B - A and the relative difference. :func:`land_cover_agreement` cross-tabulates the
two configurations' land cover (7 UNCCD classes, through each one's own legend and nesting) inside the
boundary and per admin unit: area per (class A, class B), overall agreement, agreement per class.
:func:`verdict_table` condenses both into one line per indicator: the largest relative difference and a
screening verdict with the thresholds it used (a country's decision still rests on its own evidence).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ..errors import InputError

__all__ = ["compare_tables", "compare_outputs", "land_cover_7class_of", "land_cover_agreement", "verdict_table",
           "on_grid_of", "shared_years", "inside_of"]


#: columns that label rows even when they hold numbers with gaps (read back as floats)
LABEL_COLUMNS = frozenset({"class", "code", "year", "unit", "unit_id", "id", "period"})


def compare_tables(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame | None:
    """Rows of *a* and *b* matched on their non-float columns; per float column: a, b, b-a, relative % (None if
    the tables do not share their layout)."""
    if list(a.columns) != list(b.columns):
        return None
    keys = [c for c in a.columns if str(c).lower() in LABEL_COLUMNS or not pd.api.types.is_float_dtype(a[c])
            or not pd.api.types.is_float_dtype(b[c])]
    values = [c for c in a.columns if c not in keys]
    if not values:
        return None
    if keys and not a[keys].duplicated().any() and not b[keys].duplicated().any():
        merged = a.merge(b, on=keys, how="outer", suffixes=("__a", "__b"), sort=False)
    elif len(a) == len(b):
        merged = pd.concat([a[keys]] + [a[values].add_suffix("__a"), b[values].add_suffix("__b")], axis=1)
    else:
        return None
    out = merged[keys].copy()
    for c in values:
        va, vb = merged[f"{c}__a"], merged[f"{c}__b"]
        out[f"{c} A"], out[f"{c} B"], out[f"{c} B-A"] = va, vb, vb - va
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{c} B-A %"] = np.where(va.abs() > 0, 100.0 * (vb - va) / va.abs(), np.nan)
    return out


def compare_outputs(out_a: Path, out_b: Path) -> dict[str, pd.DataFrame]:
    """Every table both runs wrote (``<indicator>/<table>.csv``), compared; keyed by the relative path."""
    out = {}
    for pa in sorted(out_a.rglob("*.csv")):
        rel = pa.relative_to(out_a)
        pb = out_b / rel
        if not pb.is_file():
            continue
        table = compare_tables(pd.read_csv(pa), pd.read_csv(pb))
        if table is not None:
            out[str(rel)] = table
    return out


def _year_stack(loaded: Any, name: str, legend: Mapping[int, str]) -> xr.DataArray:
    """Input *name* of the configuration as (year, y, x), lazily."""
    from ..config.paths import input_files
    from ..io import open_raster

    spec = loaded.config.inputs[name]
    files = input_files(loaded, name, spec)
    if list(files) == [""]:
        da = open_raster(files[""], legend=legend, nodata=spec.nodata, band=spec.band, band_dim_name="year")
        if "year" not in da.dims:
            da = da.expand_dims(year=list(spec.years or [0]))
        elif spec.years and da.sizes["year"] == len(spec.years):
            da = da.assign_coords(year=list(spec.years))
        return da
    return xr.concat([open_raster(p, legend=legend, nodata=spec.nodata, band=spec.band).expand_dims(year=[int(k)])
                      for k, p in files.items()], dim="year", combine_attrs="override")


def land_cover_7class_of(loaded: Any) -> xr.DataArray:
    """The configuration's land cover nested into the 7 UNCCD classes (year, y, x), lazily, as its run nests it
    (:func:`indicators.so1.land.land_cover_7class`: its own legend and nesting, its national land cover's years
    where the specs name one)."""
    from ..engine.executing import load_run_framework
    from ..so1.land import land_cover_7class, national_land_cover

    cfg = loaded.config
    if "land_cover" not in cfg.inputs:
        raise InputError(f"{loaded.path}: inputs.land_cover is missing; the land-cover comparison needs it in both configurations")
    fw = load_run_framework(loaded)
    source = fw.legend(fw.parameters("land_cover").source_legend)
    raw = _year_stack(loaded, "land_cover", {c.code: c.name for c in source.classes})
    national = national_land_cover(fw)
    nat = None
    if national is not None and "land_cover_national" in cfg.inputs:
        nat = _year_stack(loaded, "land_cover_national", {c.code: c.name for c in national[0].classes})
    return land_cover_7class(fw, raw, nat)


def inside_of(da: xr.DataArray, geoms: Sequence[Any]) -> xr.DataArray:
    """True where a cell's centre is inside *geoms*, block by block (no whole-grid mask in memory)."""
    import dask.array as dsa
    from rasterio.features import geometry_mask

    t = da.rio.transform()
    ny, nx = da.shape[-2:]
    chunks = da.data.chunks[-2:] if hasattr(da.data, "chunks") else ((ny,), (nx,))

    def block(block_info=None):
        (r0, r1), (c0, c1) = block_info[None]["array-location"]
        sub = t * t.translation(c0, r0)
        return ~geometry_mask(geoms, out_shape=(r1 - r0, c1 - c0), transform=sub, all_touched=False)

    data = dsa.map_blocks(block, chunks=chunks, dtype=bool)
    return xr.DataArray(data, dims=da.dims[-2:], coords={d: da[d] for d in da.dims[-2:]})


def on_grid_of(ref: xr.DataArray, da: xr.DataArray) -> xr.DataArray:
    """*da* (a class layer) on *ref*'s grid: as is when the grids match, else nearest-neighbour."""
    from ..grid import grid_of
    from ..grid_resample import align_to

    try:
        same = grid_of(ref) == grid_of(da)
    except Exception:
        same = False
    return da if same else align_to(ref, da, kind="class").astype(da.dtype)


def shared_years(a: xr.DataArray, b: xr.DataArray) -> list[int]:
    """The years both land-cover stacks hold (an input error when none)."""
    years = sorted(set(int(y) for y in a["year"].values) & set(int(y) for y in b["year"].values))
    if not years:
        raise InputError(f"the two configurations' land cover share no year (A: {a['year'].values.tolist()}, "
                         f"B: {b['year'].values.tolist()})")
    return years


def land_cover_agreement(a: xr.DataArray, b: xr.DataArray, boundary: Any, admin: Any = None,
                         id_field: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cross-tabulation (km² per class A x class B, per year) and agreement (% of the land both map) per year and unit.

    *b* is brought onto *a*'s grid nearest-neighbour when the grids differ.
    """
    from ..summarize import cross_area_table

    codes = list(range(1, 8))
    years = shared_years(a, b)
    rows, summary = [], []
    zones = [("national", boundary.to_crs(a.rio.crs).geometry.values)]
    if admin is not None:
        adm = admin.to_crs(a.rio.crs)
        zones += [(str(u), [g]) for u, g in zip(adm[id_field or adm.columns[0]], adm.geometry.values)]
    for y in years:
        la, lb = a.sel(year=y, drop=True), b.sel(year=y, drop=True)
        lb = on_grid_of(la, lb)
        for unit, geoms in zones:
            inside = inside_of(la, geoms)
            ma = la.where(inside, 0).astype(la.dtype).rio.write_nodata(0, encoded=False)
            mb = lb.where(inside, 0).astype(la.dtype).rio.write_nodata(0, encoded=False)
            ma = ma.rio.write_crs(la.rio.crs).rio.write_transform(la.rio.transform())
            mb = mb.rio.write_crs(la.rio.crs).rio.write_transform(la.rio.transform())
            tab = cross_area_table(ma, mb, codes_a=codes, codes_b=codes, nodata_a=0, nodata_b=0)
            both = tab.loc[codes, codes]
            total = float(both.values.sum())
            agree = float(np.trace(both.values))
            line = {"year": y, "unit": unit, "area_both_mapped_km2": total,
                    "agreement_percent": 100.0 * agree / total if total else np.nan}
            for c in codes:
                ra, cb = float(both.loc[c].sum()), float(both[c].sum())
                line[f"class {c} A km2"], line[f"class {c} B km2"] = ra, cb
                line[f"class {c} agreement %"] = 100.0 * float(both.loc[c, c]) / max(ra, cb) if max(ra, cb) else np.nan
            summary.append(line)
            if unit == "national":
                long = pd.DataFrame([(int(i), int(j), float(both.loc[i, j])) for i in codes for j in codes],
                                    columns=["class_A", "class_B", "area_km2"])
                long.insert(0, "year", y)
                rows.append(long)
    return pd.concat(rows, ignore_index=True), pd.DataFrame(summary)


def verdict_table(tables: Mapping[str, pd.DataFrame], agreement: pd.DataFrame | None, *, consistent: float = 5.0,
                  review: float = 20.0, lc_agreement: float = 80.0) -> pd.DataFrame:
    """One line per indicator: the largest |B-A| in % over its compared figures, the land-cover agreement, a verdict.

    Screening verdicts: ``consistent`` (every figure within *consistent* % and land-cover agreement at least
    *lc_agreement* %), ``review`` (within *review* %), ``differs`` otherwise.
    """
    by_ind: dict[str, list[float]] = {}
    for key, t in tables.items():
        ind = Path(key).parts[0]
        rel = t[[c for c in t.columns if c.endswith(" B-A %")]].abs().to_numpy(dtype=float)
        rel = rel[np.isfinite(rel)]
        by_ind.setdefault(ind, []).append(float(rel.max()) if rel.size else 0.0)
    lines = []
    nat = agreement[agreement["unit"] == "national"] if agreement is not None else None
    lc_min = float(nat["agreement_percent"].min()) if nat is not None and len(nat) else np.nan
    for ind in sorted(by_ind):
        worst = max(by_ind[ind])
        uses_lc = ind.startswith(("SO1", "SO2-3", "SO4-1"))
        lc = lc_min if uses_lc else np.nan
        if worst <= consistent and (np.isnan(lc) or lc >= lc_agreement):
            verdict = "consistent"
        elif worst <= review:
            verdict = "review"
        else:
            verdict = "differs"
        lines.append({"indicator": ind, "tables_compared": len(by_ind[ind]), "max_relative_difference_percent": worst,
                      "land_cover_agreement_percent": lc, "verdict": verdict,
                      "thresholds": f"consistent <= {consistent:g} %, review <= {review:g} %, LC agreement >= {lc_agreement:g} %"})
    return pd.DataFrame(lines)

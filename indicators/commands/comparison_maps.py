"""Agreement maps and the SDG 15.3.1 cross-tabulation of two runs (``indicators compare``), lazily.

* :func:`agreement_layer`: land cover of A and B (7 UNCCD classes) of one year -> uint8 1 same class, 0 another
  class, :data:`AGREEMENT_NODATA` outside the boundary or where either has no data.
* :func:`sdg_categories`: a run's SDG 15.3.1 layer as reported (1 degraded, 2 stable, 3 improved) on its land
  (D3: not inland water in the water year of the specs, as the run's SO1-4.T1 counts it) -> 1-3, 4 land without
  data, 5 not land, 0 outside the boundary.
* :func:`sdg_cross_layer`: A class x B class as one code, ``3 * (a - 1) + b`` (1-9), 0 where either is not one
  of the three classes; :func:`sdg_crosstab`: km² per (A category, B category) over the land of A or B, through
  the project's one cross-tabulation (:func:`indicators.summarize.cross_area_table`, cell areas of D4), so its
  margins are each run's SO1-4.T1 areas and its total less B's "not land" column is A's total land area.

Everything here stays a dask graph until a COG writer or a table reduces it block by block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["AGREEMENT_NODATA", "SDG_CATEGORIES", "agreement_layer", "sdg_categories", "sdg_cross_layer", "sdg_crosstab",
           "AGREEMENT_COLORS", "CROSS_COLORS", "cross_labels", "land_of"]

#: nodata of the land-cover agreement layer (0 and 1 are values)
AGREEMENT_NODATA = 255
#: the per-run categories of the SDG cross-tabulation, in table order (1-3: the three-class codes of the SDG layer)
SDG_CATEGORIES = {1: "degraded", 2: "stable", 3: "improved", 4: "no data", 5: "not land"}
#: 0 different, 1 same
AGREEMENT_COLORS = {0: "#d7301f", 1: "#1a9850"}
#: A x B codes: same class on the diagonal (1, 5, 9), B less degraded than A in blues, B more degraded in reds
CROSS_COLORS = {1: "#a50026", 2: "#92c5de", 3: "#2166ac", 4: "#f4a582", 5: "#e6e6b8", 6: "#4393c3",
                7: "#d6604d", 8: "#fddbc7", 9: "#1a9850"}


def _spatial_like(out: xr.DataArray, ref: xr.DataArray, nodata: int) -> xr.DataArray:
    try:
        crs, transform = ref.rio.crs, ref.rio.transform()
    except Exception:  # no CRS (a bare test array): values only
        return out
    if crs is None:
        return out
    return out.rio.write_crs(crs).rio.write_transform(transform).rio.write_nodata(nodata, encoded=False)


def agreement_layer(a: xr.DataArray, b: xr.DataArray, inside: xr.DataArray | None = None, *,
                    codes: Sequence[int] = range(1, 8)) -> xr.DataArray:
    """1 where *a* and *b* hold the same class, 0 another class, :data:`AGREEMENT_NODATA` where either is not one of
    *codes* or the cell is not *inside* (the boundary); uint8, lazy when the inputs are."""
    valid = a.isin(list(codes)) & b.isin(list(codes))
    if inside is not None:
        valid = valid & inside
    out = xr.where(valid, (a == b).astype("uint8"), np.uint8(AGREEMENT_NODATA)).astype("uint8")
    out = out.rename("land_cover_agreement")
    out.attrs = {"long_name": "land-cover agreement of A and B (7 classes)", "flag_values": [0, 1],
                 "flag_meanings": "different same", "_FillValue": AGREEMENT_NODATA}
    return _spatial_like(out, a, AGREEMENT_NODATA)


def sdg_categories(sdg: xr.DataArray, land: xr.DataArray, inside: xr.DataArray) -> xr.DataArray:
    """A run's SDG 15.3.1 layer as :data:`SDG_CATEGORIES` codes inside the boundary (0 outside); uint8, lazy."""
    cls = xr.where(sdg.isin([1, 2, 3]), sdg, 4)
    cls = xr.where(land, cls, 5)
    out = xr.where(inside, cls, 0).astype("uint8").rename("sdg_category")
    return _spatial_like(out, sdg, 0)


def sdg_cross_layer(cat_a: xr.DataArray, cat_b: xr.DataArray, labels: Mapping[int, str] | None = None) -> xr.DataArray:
    """``3 * (a - 1) + b`` where both are degraded/stable/improved (1-9), 0 otherwise (outside, not land, no data)."""
    both = cat_a.isin([1, 2, 3]) & cat_b.isin([1, 2, 3])
    code = (3 * (cat_a.astype("int16") - 1) + cat_b.astype("int16"))
    out = xr.where(both, code, 0).astype("uint8").rename("sdg_cross_classification")
    names = labels or {c: f"A {SDG_CATEGORIES[(c - 1) // 3 + 1]} / B {SDG_CATEGORIES[(c - 1) % 3 + 1]}" for c in range(1, 10)}
    out.attrs = {"long_name": "SDG 15.3.1 status of A x status of B", "flag_values": list(range(1, 10)),
                 "flag_meanings": " ".join(names[c].replace(" ", "_") for c in range(1, 10)), "_FillValue": 0}
    return _spatial_like(out, cat_a, 0)


def cross_labels(names: Mapping[int, str], template: str) -> dict[int, str]:
    """Category names of the cross-classification codes: *template* (``"A {a} · B {b}"``) filled with *names* of 1-3."""
    return {3 * (i - 1) + j: template.format(a=names[i], b=names[j]) for i in (1, 2, 3) for j in (1, 2, 3)}


def sdg_crosstab(cat_a: xr.DataArray, cat_b: xr.DataArray) -> pd.DataFrame:
    """km² per (A category, B category) on the land of A or B inside the boundary (rows: A, columns: B, by name)."""
    from ..summarize import cross_area_table

    codes = list(SDG_CATEGORIES)
    neither = (cat_a == 5) & (cat_b == 5)  # land in neither run: not part of the table
    ma = xr.where(neither, 0, cat_a).astype("uint8").rename("A")
    mb = xr.where(neither, 0, cat_b).astype("uint8").rename("B")
    ma, mb = (_spatial_like(m, cat_a, 0) for m in (ma, mb))
    tab = cross_area_table(ma, mb, codes_a=codes, codes_b=codes, nodata_a=0, nodata_b=0).loc[codes, codes]
    tab.index = pd.Index([SDG_CATEGORIES[c] for c in codes], name="A")
    tab.columns = pd.Index([SDG_CATEGORIES[c] for c in codes], name="B")
    return tab


def land_of(loaded: Any, lc7: xr.DataArray, period: str, like: xr.DataArray) -> xr.DataArray:
    """The run's land (D3) of *period* on *like*'s grid: not the specs' water class in the water year."""
    from ..engine.executing import load_run_framework
    from ..grid import grid_of
    from ..grid_resample import align_to

    fw = load_run_framework(loaded)
    la = fw.parameters("land_area")
    year = int(fw.period(period).land_cover.initial if la.water_year == "each_period"
               else fw.period("baseline").land_cover.initial)
    layer = lc7.sel(year=year, drop=True)
    try:
        same = grid_of(layer) == grid_of(like)
    except Exception:
        same = False
    if not same:
        layer = align_to(like, layer, kind="class")
    return (layer != la.water_class).assign_coords(y=like["y"], x=like["x"])

"""Parts of the SO1 stage: land area (D3), the area outside the boundary, inland water, LPD from NDVI, SO4-1 from SOC stocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import InputError
from ..stage import Context
from ..stage_helpers import area_where_km2, index_scale, inside_boundary, mask_nodata, outside_cells, outside_km2
from ..stage_tables import add_frames, series_params, trend_args
from .land import land_mask


def inland_water(ctx: Context, year: int | None = None) -> tuple[float, int]:
    """Inland water inside the boundary (D3: not land in the baseline's first land-cover year, or in *year* with
    ``land_area.water_year: each_period``): km², cells."""
    mask = land_mask(ctx, "SO1-4", year=year)
    key = f"inland_water:{mask.name}:{id(mask)}"
    if key not in ctx._cache:
        water = inside_boundary(ctx) & ~mask
        km2, cells = ctx.compute(area_where_km2(ctx, water), water.sum())
        ctx._cache[key] = (float(km2), int(cells))
    return ctx._cache[key]


def land_area_table(lc_tab: Any, is_nodata: Any, *, water_class: int, official: float | None) -> Any:
    """SO1-1.T1 from the per-class land-cover areas (SO1-1.T5): land, water, no data and the country, per year.

    Rows add up: total land area + water bodies + no data = total country area.
    """
    import pandas as pd

    years = [c for c in lc_tab.columns if str(c).isdigit()]
    classes = lc_tab[~is_nodata]
    is_water = pd.to_numeric(classes["class"], errors="coerce") == water_class
    land = classes[~is_water][years].sum()
    water = classes[is_water][years].sum()
    nodata = lc_tab[is_nodata][years].sum()
    rows = {"total land area": land, "water bodies": water, "no data": nodata, "total country area": land + water + nodata}
    out = pd.DataFrame(rows).T.reset_index(names="row")
    if official is not None:
        out = pd.concat([out, pd.DataFrame([{"row": "official land area (denominator)", **{y: float(official) for y in years}}])],
                        ignore_index=True)
    return out


def less_outside(frame: Any, ctx: Context, *, row: Any, column: str) -> Any:
    """Remove the area (and cell count, if the frame has one) outside the boundary from the row where it was counted."""
    frame = frame.copy()
    frame.loc[row, column] = frame.loc[row, column] - outside_km2(ctx)
    if column == "area_km2" and "cells" in frame.columns:
        frame.loc[row, "cells"] = frame.loc[row, "cells"] - outside_cells(ctx)
    return frame


def water_out_of_nodata(frame: Any, ctx: Context, *, water_row: Any, nodata_row: Any, year: int | None = None) -> Any:
    """Move inland water whose class is nodata (e.g. LPD or SOC nodata on lakes) from the no-data row to the water row.

    The summaries count only *valid* cells off land as water; D3 reports water on its own
    row and keeps the no-data row for land without data.
    """
    km2, cells = inland_water(ctx, year)
    frame = frame.copy()
    moved = km2 - float(frame.loc[water_row, "area_km2"])
    frame.loc[water_row, "area_km2"] = km2
    frame.loc[nodata_row, "area_km2"] = frame.loc[nodata_row, "area_km2"] - moved
    if "cells" in frame.columns:
        moved_cells = cells - int(frame.loc[water_row, "cells"])
        frame.loc[water_row, "cells"] = cells
        frame.loc[nodata_row, "cells"] = frame.loc[nodata_row, "cells"] - moved_cells
    return frame


def sdg_summary_inside(s: Any, ctx: Context, *, nodata_in_denominator: bool, official: float | None,
                        year: int | None = None, total_land_km2: float | None = None) -> Any:
    """SO1-4.T1 of a layer clipped to the boundary: the clipped-off area leaves the no-data row, inland water
    without data moves to the water row (D3).

    With ``nodata_in_denominator`` (Trends.Earth) the denominator and percentages
    are recomputed from the corrected no-data area.
    """
    nodata_row = s.index[s["class"] == "no data"][0]
    s = less_outside(s, ctx, row=nodata_row, column="area_km2")
    s = water_out_of_nodata(s, ctx, water_row=s.index[s["class"] == "water"][0], nodata_row=nodata_row, year=year)
    if nodata_in_denominator and official is None:
        area = dict(zip(s["class"], s["area_km2"]))
        denom = area["degraded"] + area["stable"] + area["improved"] + area["no data"]
        s.loc[s["class"] == "total land area", "area_km2"] = denom
        rows = s["class"].isin(["degraded", "stable", "improved", "no data", "total land area"])
        s.loc[rows, "percent_of_land"] = 100.0 * s.loc[rows, "area_km2"] / denom
    elif official is None and total_land_km2 is not None:
        s = with_total_land_area(s, total_land_km2)
    return with_share_of_land_with_data(s)


def with_total_land_area(s: Any, total_land_km2: float) -> Any:
    """SO1-4.T1 (or a sub-indicator summary) over SO1-1.T1's total land area (D3, issue 11 item 4): one national land
    area for every table, so the SDG 15.3.1 percentage is of the land the focal point reports, not of the land with
    data. Land without data stays on the no-data row (and in the denominator: it is land)."""
    s = s.copy()
    denom = float(total_land_km2)
    if denom <= 0:
        raise InputError("SDG 15.3.1 summary: SO1-1.T1's total land area is 0 km²")
    s.loc[s["class"] == "total land area", "area_km2"] = denom
    rows = s["class"].isin(["degraded", "stable", "improved", "total land area"])
    s.loc[rows, "percent_of_land"] = 100.0 * s.loc[rows, "area_km2"] / denom
    s.attrs.update(denominator_km2=denom, denominator="total land area of SO1-1.T1: valid land cells, inland water "
                   "excluded (D3); land without data is in it")
    return s


def with_share_of_land_with_data(s: Any) -> Any:
    """Add ``percent_of_land_with_data``: each of degraded / stable / improved as a share of the land that has data
    (their sum), a labelled extra beside the reported ``percent_of_land``."""
    s = s.copy()
    cls = s["class"].isin(["degraded", "stable", "improved"])
    with_data = float(s.loc[cls, "area_km2"].sum())
    s["percent_of_land_with_data"] = np.nan
    if with_data > 0:
        s.loc[cls, "percent_of_land_with_data"] = 100.0 * s.loc[cls, "area_km2"] / with_data
    return s


def lpd_layers_from_ndvi(ctx: Context, periods: Sequence[Any], lc_sel: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The LPD (5 classes, when the combination table yields them) and the SO1-2 sub-indicator of each period,
    computed from the annual NDVI series with the specs' trajectory, state and performance (D10); lazy."""
    from ..so1.encoding import NODATA
    from ..so1.productivity_trajectory import kendall_critical_values

    fw = ctx.framework
    prod = fw.parameters("productivity")
    tr, st, pf = (ctx.params("SO1-2", b) for b in ("trajectory", "state", "performance"))
    method = {"trends_earth": "trends_earth", "gpg2_zscore": "zscore"}[prod.method]
    scale = index_scale(ctx, "ndvi")
    ndvi = mask_nodata(ctx.raster("ndvi", long_name="annual productivity (NDVI)"))
    table = fw.lookup_table(prod.combination_table)
    output = "lpd" if any(o.name == "lpd" for o in table.outputs) else "three_class"
    combination = table.model_dump(mode="json", exclude_none=True)  # keys without codes: absent, not None
    mapping = fw.lookup_table(prod.lpd_to_3class).model_dump(mode="json")
    ctx.record("SO1-2", "ndvi index scale (stored units per NDVI unit)", scale)
    ctx.choose("SO1-2", "D10", f"LPD computed from the annual NDVI series ({prod.method}: trajectory, state and performance "
               f"combined through {prod.combination_table}); performance units: the 7-class land cover of each period's first year.")
    lpd_layers: dict[str, Any] = {}
    prod3: dict[str, Any] = {}
    # the metrics' spec bindings (productivity.lpd_from_ndvi, productivity.lpd_to_3class)
    lpd_from_ndvi, lpd_to_3class = ctx.metric_function("SO1-2.lpd_from_ndvi"), ctx.metric_function("SO1-2.lpd")
    for p in periods:
        w = p.productivity
        if method == "trends_earth":
            trajectory = dict(years=tuple(w.trajectory), critical_values=kendall_critical_values(), confidence=tr.confidence,
                              slope_floor=tr.slope_floor * scale)
            state = dict(baseline_years=tuple(w.state_baseline), comparison_years=tuple(w.state_comparison), n_classes=st.n_classes,
                         decile_range_extension=st.decile_range_extension, class_change_threshold=st.class_change_threshold,
                         min_mean_difference=st.min_mean_difference * scale, percentile_method=st.percentile_method)
        else:
            trajectory = dict(years=tuple(w.trajectory), z_cut=tr.z_cut, continuity_correction=tr.continuity_correction)
            state = dict(baseline_years=tuple(w.state_baseline), comparison_years=tuple(w.state_comparison), z_cut=st.z_cut,
                         denominator=st.denominator, ddof=st.ddof)
        performance = dict(years=tuple(w.performance), percentile=pf.percentile, ratio_threshold=pf.ratio_threshold,
                           tie_is_degraded=pf.tie_is_degraded, resolution=pf.resolution * scale,
                           exclude_values=[v * scale for v in pf.exclude_values])
        units = lc_sel.sel(year=p.land_cover.initial, drop=True)
        ds = lpd_from_ndvi(ndvi, units, method=method, trajectory=trajectory, state=state, performance=performance,
                           combination=combination, output=output)
        if output == "lpd":
            lpd = ds["lpd"].rio.write_crs(ndvi.rio.crs)  # lazy: computed in the stage's one pass
            lpd_layers[p.id] = lpd
            prod3[p.id] = lpd_to_3class(lpd, mapping=mapping, nodata_codes=[NODATA])
        else:
            prod3[p.id] = ds["productivity"].rio.write_crs(ndvi.rio.crs)
    return lpd_layers, prod3


def so4_1_from_stocks(ctx: Context, soc_tab: Any, periods: Sequence[Any]) -> None:
    """SO4-1 (multipurpose, reported through SO1-3): stocks per class and in total, change per period."""
    t = soc_tab[soc_tab["class"].notna()].rename(columns={"class": "class_code", "name": "class_name", "soc_stock_t": "stock_t"})
    t = t[["class_code", "class_name", "year", "stock_t", "area_km2"]].copy()
    t["class_code"] = t["class_code"].astype("int64")
    p = series_params(ctx, "SO4-1")
    spans = [(int(q.soc.initial), int(q.soc.final)) for q in periods]
    ctx.record("SO4-1", "periods", [list(x) for x in spans])
    out = ctx.metric_function("SO4-1.carbon_stock")(t, periods=spans, **trend_args(p))
    add_frames(ctx, "SO4-1", out)

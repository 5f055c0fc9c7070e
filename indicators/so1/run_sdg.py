"""SO1-4 in the SO1 stage after the one pass: the reported SDG 15.3.1 (status against the baseline for reporting
periods) as maps, SO1-4.T1, the period assessment, the chart, the per-unit table, the status tables, LDN
counterbalancing and the change in degraded area; then what later stages read (``ctx.shared``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..report.model import Chart, RasterOutput
from ..report.tables import Table
from ..stage import Context
from ..stage_helpers import legend_entries
from . import run_tables
from . import sdg_tables as t1
from .encoding import NODATA
from .run_areas import less_outside, sdg_summary_inside, water_out_of_nodata
from .run_layers import So1Frame, period_stack, three_legend


def add_sdg_outputs(ctx: Context, f: So1Frame, *, reported_keys: Mapping[str, tuple[str, str]], deg_lc: Mapping[str, Any],
                    prod3: Mapping[str, Any], sdg: Mapping[str, Any], status_legend: Any, admin: Any, coverage: Any) -> None:
    """The SO1-4 outputs and ``ctx.shared`` (``sdg``, ``period_assessment``, ``periods``); *deg_lc*, *prod3*, *sdg*: the
    lazy layers of each period (their attributes label the maps), *reported_keys*: the stored layer reported per period."""
    fw = ctx.framework
    periods, reports, keys, with_status, stored, tabs = f.periods, f.reports, f.keys, f.with_status, f.stored, f.tabs
    lc_sel, codes7, names7, land_of, la, official = f.lc_sel, f.codes7, f.names7, f.land_of, f.la, f.official
    water_year, total_land, out_note, layer = f.water_year, f.total_land, f.out_note, f.layer
    a = ctx.config.country.admin_units

    three = three_legend(ctx)
    reported = {k: layer(*reported_keys[k]) for k in keys}
    run_tables.add_hotspot_tables(ctx, periods, reported, stored)  # SO1-4.T4/T5 candidates (indicators/so1/run_tables.py)
    reported_note = ("Reporting periods: the status against the baseline collapsed to degraded/stable/improved (degraded = "
                     "status 1-3: persistent, recent and baseline degradation; methodology Part B §2.7); baseline: the "
                     "baseline assessment. Each period's own one-out-all-out assessment is in SO1-4.period_assessment."
                     if with_status else "Each period's one-out-all-out assessment (no baseline to take the status against).")
    ctx.add_raster(RasterOutput("SO1-1", "land_cover_degradation", "Land-cover degradation per period",
                                period_stack({k: layer("lc", k) for k in keys}, "land_cover_degradation", deg_lc[keys[0]].attrs),
                                legend=three))
    ctx.add_raster(RasterOutput("SO1-2", "productivity_degradation", "Land productivity (3 classes) per period",
                                period_stack({k: layer("prod", k) for k in keys}, "productivity", prod3[keys[0]].attrs), legend=three))
    ctx.add_raster(RasterOutput("SO1-4", "sdg_15_3_1", "SDG 15.3.1 as reported: degraded, stable, improved per period "
                                "(reporting periods: status against the baseline)",
                                period_stack(reported, "sdg", sdg[keys[0]].attrs), legend=three))
    if with_status:
        ctx.add_raster(RasterOutput("SO1-4", "sdg_period_assessment", "One out, all out of each reporting period's own "
                                    "sub-indicators (period assessment)",
                                    period_stack({p.id: layer("sdg", p.id) for p in reports}, "sdg_period_assessment",
                                                  sdg[keys[0]].attrs), legend=three))

    def _t1_frame(source: Mapping[str, tuple[str, str]]) -> Any:
        frames = []
        for key, kind in source.items():
            s = sdg_summary_inside(tabs[("T1", *kind)], ctx, nodata_in_denominator=la.nodata_in_denominator, official=official,
                                    year=water_year[key], total_land_km2=total_land.get(water_year[key]))
            s.insert(0, "period", key)
            frames.append(s)
            if key == keys[0]:
                ctx.record("SO1-4", "denominator", s.attrs.get("denominator"))
        return pd.concat(frames, ignore_index=True)

    t1_all = _t1_frame({k: reported_keys[k] for k in keys})
    t1_units = {"area_km2": "km**2", "percent_of_land": "percent", "percent_of_land_with_data": "percent"}
    ctx.add_table(Table("SO1-4.T1", "Proportion of land that is degraded (SDG 15.3.1), per period", t1_all,
                        units=t1_units, notes=[reported_note, out_note]))
    if with_status:
        ctx.add_table(Table("SO1-4.period_assessment", "One out, all out of each reporting period's own sub-indicators "
                            "(period assessment; not the reported value)", _t1_frame({p.id: ("sdg", p.id) for p in reports}),
                            units=t1_units, notes=["The period assessment is an input of the status; the reported SDG "
                                                   "15.3.1 of a reporting period (SO1-4.T1) is its status against the "
                                                   "baseline (methodology Part B §2.7).", out_note]))
    chart = t1_all[t1_all["class"].isin(["degraded", "stable", "improved"])].pivot_table(
        index="period", columns="class", values="area_km2", aggfunc="sum", sort=False)[["degraded", "stable", "improved"]]
    ctx.add_chart(Chart("SO1-4", "Degraded, stable and improved land per period", chart, ylabel="km²", kind="stacked",
                        colors=[e.color for e in three]))
    if admin is not None:
        from ..summarize import zonal_class_areas_many

        zonal = zonal_class_areas_many({k: layer("units", k) for k in keys}, admin, codes=[1, 2, 3], method=coverage,
                                       id_field=a.id_field, name_field=a.name_field, nodata=NODATA)
        frames = []
        for k in keys:
            u = t1.sdg_summary_by_unit_from_zonal(zonal[k], method=coverage, name_field=a.name_field)
            u.insert(0, "period", k)
            frames.append(u)
        ctx.add_table(Table("SO1-4.units", "SDG 15.3.1 per administrative unit (water excluded)", pd.concat(frames, ignore_index=True),
                            units={"degraded_km2": "km**2", "stable_km2": "km**2", "improved_km2": "km**2", "nodata_km2": "km**2",
                                   "percent_degraded": "percent"}, notes=[reported_note]))
    if with_status:
        for code, what in (("SO1-4", None), ("SO1-1", "land cover"), ("SO1-2", "land productivity"), ("SO1-3", "soil organic carbon")):
            if ("status", code, reports[0].id) not in tabs:
                continue
            frames = []
            for p in reports:
                st = tabs[("status", code, p.id)]
                nodata_row = st.index[st["kind"] == "nodata"][0]
                st = less_outside(st, ctx, row=nodata_row, column="area_km2")
                st = water_out_of_nodata(st, ctx, water_row=st.index[st["kind"] == "water"][0], nodata_row=nodata_row,
                                          year=water_year[p.id])
                st.insert(0, "period", p.id)
                frames.append(st)
            title = ("Status against the baseline (expanded classes)" if what is None
                     else f"Status of the {what} sub-indicator against the baseline (expanded classes)")
            ctx.add_table(Table(f"{code}.status", title, pd.concat(frames, ignore_index=True),
                                units={"area_km2": "km**2", "percent_of_land": "percent"}, notes=[out_note]))
        exp_layers = {p.id: layer("expanded", p.id) for p in reports}
        cb = ctx.params("SO1-4", "counterbalancing")
        if cb is not None:
            # land type: the 7-class land cover at the end of the baseline (the LDN reference state); water is no land type
            ly = fw.period("baseline").land_cover.final
            lt = lc_sel.sel(year=ly, drop=True)
            type_codes = [c for c in codes7 if c != la.water_class]
            frames = []
            for p in reports:
                land_type = lt.where(land_of[p.id] & (lt != la.water_class), NODATA).astype("uint8")
                c_tab = t1.counterbalancing_table(exp_layers[p.id], land_type, gains=cb.gains, losses=cb.losses, neutral=cb.neutral,
                                                  land_type_codes=type_codes, names=names7)
                c_tab.insert(0, "period", p.id)
                frames.append(c_tab)
            ctx.add_table(Table("SO1-4.counterbalancing", "LDN counterbalancing per land type (status gains against losses), km²",
                                pd.concat(frames, ignore_index=True),
                                units={"gains_km2": "km**2", "losses_km2": "km**2", "neutral_km2": "km**2", "net_km2": "km**2"},
                                notes=[f"Land type: the land-cover class in {ly}, the end of the baseline. Gains: status "
                                       f"{list(cb.gains)}, losses: {list(cb.losses)}, neutral: {list(cb.neutral)}."]))
            ctx.choose("SO1-4", "D13", f"LDN counterbalancing per land type: land cover of {ly} (end of the baseline), "
                       f"gains {list(cb.gains)}, losses {list(cb.losses)}; LDN achieved where gains >= losses.")
        # the change divides by SO1-4.T1's baseline total land area (outside the boundary and inland water left out)
        by_period = {k: part for k, part in t1_all.groupby("period", sort=False)}
        ch = t1.degraded_area_change_from_summaries(by_period["baseline"], {p.id: by_period[p.id] for p in reports})
        ctx.add_table(Table("SO1-4.change", "Change in degraded area against the baseline (status collapsed to 3 classes)", ch,
                            units={"degraded_km2": "km**2", "change_km2": "km**2", "percent_of_land": "percent",
                                   "change_percent_points": "percent"}, notes=[reported_note]))
        ctx.add_raster(RasterOutput("SO1-4", "status", "Status of each reporting period against the baseline",
                                    period_stack(exp_layers, "status_expanded", exp_layers[reports[0].id].attrs),
                                    legend=legend_entries(status_legend)))
        ctx.choose("SO1-4", "D13", "Status: both sides recoded to degraded/stable/improved, then the 7-class expanded matrix and "
                   "its collapse; the reported SDG 15.3.1 of a reporting period is its collapsed status.")
    ctx.shared["sdg"] = reported
    ctx.shared["period_assessment"] = {k: layer("sdg", k) for k in keys}
    ctx.shared["periods"] = periods

"""The SO1 stage: land cover, productivity, SOC, one out all out, status and SDG 15.3.1 (and SO4-1 from the SOC stocks).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config.loading import LoadedConfig
from ..config.schema import InputSpec
from ..errors import InputError
from ..report.model import RasterOutput
from ..report.tables import Table
from ..country_profile import add_land_area_profile
from . import run_regions, run_subtables, run_tables
from ..stage import Context, Need, Stage
from ..stage_helpers import clip_to_boundary, coverage_rule, inside_boundary, legend_entries, outside_km2, read_all_fields
from .land import land_cover_7, land_mask, national_land_cover_needs
from .run_areas import land_area_table, less_outside, lpd_layers_from_ndvi
from .run_layers import OnePass, So1Frame, period_stack, recoded
from .run_sdg import add_sdg_outputs
from .run_soc import add_soc_outputs, soc_layers, soc_tables_in_pass, without_soc_reference


def _so1_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    if "land_cover" not in inputs:
        return "input land_cover not in the run configuration"
    periods = fw.periods()
    lc_years = sorted({y for p in periods for y in (p.land_cover.initial, p.land_cover.final)})
    needs = [Need("land_cover", "raster", None, tuple(lc_years))]
    if fw.parameters("productivity").method == "precomputed_lpd":
        if "lpd" not in inputs:
            return "input lpd (precomputed land productivity dynamics per period) not in the run configuration"
        needs.append(Need("lpd", "raster"))
    else:
        if "ndvi" not in inputs:
            return (f"input ndvi (annual productivity series) not in the run configuration; the specs' productivity.method is "
                    f"{fw.parameters('productivity').method!r} (set it to precomputed_lpd in an overlay to use an lpd input)")
        ndvi_years = sorted({y for p in periods for w in (p.productivity.trajectory, p.productivity.state_baseline,
                                                          p.productivity.state_comparison, p.productivity.performance)
                             for y in range(w[0], w[1] + 1)})
        needs.append(Need("ndvi", "raster", "1", tuple(ndvi_years)))
    if "soc_reference" in inputs:
        # the SOC reference year's land cover: the stocks change from that year on
        needs[0] = Need("land_cover", "raster", None, tuple(sorted(set(lc_years) | {int(fw.parameters("soc").reference_year)})))
        needs.append(Need("soc_reference", "raster", "t/ha"))
        if fw.parameters("soc").climate_factor is None:
            if "climate_zones" not in inputs:
                return "input climate_zones not in the run configuration (the SOC climate factor is per cell)"
            needs.append(Need("climate_zones", "raster"))
    if "recode_polygons" in inputs:
        needs.append(Need("recode_polygons", "vector", same_grid=False))
    if run_regions.INPUT in inputs:
        needs.append(Need(run_regions.INPUT, "vector", same_grid=False))
    return needs + national_land_cover_needs(inputs, fw)


def _run_so1(ctx: Context) -> None:
    from ..so1 import tables as t1
    from ..so1.encoding import NODATA

    fw = ctx.framework
    periods = list(fw.periods())
    keys = [p.id for p in periods]
    reports = [p for p in periods if p.id != "baseline"]
    with_status = bool(reports) and "baseline" in keys
    lcp = ctx.params("SO1-1", "land_cover")
    lc7 = land_cover_7(ctx)
    target = fw.legend(lcp.legend)
    codes7 = [c.code for c in sorted(target.classes, key=lambda c: c.code)]
    names7 = {c.code: c.name for c in target.classes}
    matrix = fw.binding_arguments("SO1-1.land_cover_change")["matrix"].model_dump(mode="json", by_alias=True)
    inside = inside_boundary(ctx)
    # land of each period (D3): the same mask unless the specs' land_area.water_year is each_period
    land_of = {p.id: land_mask(ctx, "SO1-4", year=p.land_cover.initial) & inside for p in periods}
    water_year = {p.id: p.land_cover.initial for p in periods}
    la = ctx.params("SO1-4", "land_area")
    official = ctx.config.country.land_area_km2 or (la.official.value if la.official else None)
    out_note = "The area outside the country boundary (cells whose centre is outside) is left out of every row."
    boundary, admin = ctx.polygons(ctx.reference().rio.crs)
    coverage = coverage_rule(ctx)
    crs = ctx.reference().rio.crs
    one = OnePass()

    # ---- lazy layers (nothing computed here) -------------------------------------------------------------
    # SO1-1 land cover
    lc_years = sorted({y for p in periods for y in (p.land_cover.initial, p.land_cover.final)})
    lc_sel = clip_to_boundary(lc7.sel(year=lc_years), ctx, NODATA)
    one.table("T5", t1.land_cover_area_table(lc_sel, codes=codes7, names=names7, compute=False))
    regions = run_regions.start(ctx, lc_sel.isel(year=0, drop=True))  # regional matrices (D28), None without
    deg_lc = {p.id: run_regions.degradation(regions, lc_sel.sel(year=p.land_cover.initial), lc_sel.sel(year=p.land_cover.final),
                                            matrix) for p in periods}
    ctx.choose("SO1-1", "D14", "Periods and land-cover years: " + "; ".join(
        f"{p.id} {p.land_cover.initial}-{p.land_cover.final}" for p in periods) + f" (edition {fw.edition}).")

    # SO1-2 productivity: the precomputed LPD of each period, or the LPD computed from the NDVI series (D10)
    prod = ctx.params("SO1-2", "productivity")
    lpd_legend = fw.legend(prod.lpd_legend)
    mapping = fw.lookup_table(prod.lpd_to_3class).model_dump(mode="json")
    lpd_from_ndvi = prod.method != "precomputed_lpd"
    if not lpd_from_ndvi:
        lpd = ctx.raster("lpd", legend={c.code: c.name for c in lpd_legend.classes}, long_name="land productivity dynamics",
                         year_dim="period")
        nodata_codes = sorted(set(prod.lpd_sources[prod.lpd_source].nodata) | ({int(ctx.spec("lpd").nodata)} if ctx.spec("lpd").nodata is not None else set()))
        lpd_layers: dict[str, Any] = {}
        missing = lpd_periods_problem([str(v) for v in lpd["period"].values], periods, fw)
        if missing:
            raise InputError(missing)
        for p in periods:
            lpd_layers[p.id] = lpd.sel(period=p.id, drop=True)
        to_3class = ctx.metric_function("SO1-2.lpd")  # productivity.lpd_to_3class (its spec binding)
        prod3 = {k: to_3class(v, mapping=mapping, nodata_codes=nodata_codes) for k, v in lpd_layers.items()}
    else:
        nodata_codes = [NODATA]
        lpd_layers, prod3 = lpd_layers_from_ndvi(ctx, periods, lc_sel)
        for k, v in lpd_layers.items():
            one.store(("lpd", k), clip_to_boundary(v, ctx, NODATA), crs=crs, nodata=NODATA)
    ctx.record("SO1-2", "lpd nodata codes", nodata_codes)

    # SO1-3 soil organic carbon (indicators/so1/run_soc.py)
    soc_run = soc_layers(ctx, one, periods, lc7, inside, crs)
    if soc_run is not None:  # SO1-3.T1-T3 from the stock layers the pass stores, in the pass
        soc_tables_in_pass(ctx, one, soc_run, periods, lc_sel, lc7, lc_years, codes=codes7, names=names7)
    deg_soc: dict[str, Any] = dict(soc_run.degradation) if soc_run is not None else {}

    # SO1-4 SDG 15.3.1: one out, all out, then recodes (D16) and status (D13)
    oao = ctx.params("SO1-4", "one_out_all_out")
    deg_lc = {k: clip_to_boundary(v, ctx, NODATA) for k, v in deg_lc.items()}
    prod3 = {k: clip_to_boundary(v, ctx, NODATA) for k, v in prod3.items()}
    deg_soc = {k: clip_to_boundary(v, ctx, NODATA) for k, v in deg_soc.items()}
    for p in periods if deg_soc else []:  # SO1-3.summary: the SOC sub-indicator's area per class and period
        one.table(("SO1-3.summary", p.id), t1.sdg_summary_table(deg_soc[p.id], land_mask=land_of[p.id], compute=False,
                                                               nodata_in_denominator=la.nodata_in_denominator,
                                                               official_land_area_km2=official))
    combine = ctx.metric_function("SO1-4.proportion_degraded")  # one_out_all_out, nodata_rule from its binding
    sdg = {p.id: clip_to_boundary(combine(prod3[p.id], deg_lc[p.id], deg_soc.get(p.id)), ctx, NODATA) for p in periods}
    ctx.choose("SO1-4", "D12", f"One out, all out with nodata rule '{oao.nodata_rule}'.")
    polys = None
    if ctx.has("recode_polygons"):
        polys = read_all_fields(ctx.path("recode_polygons")).to_crs(crs)
        for p in periods:
            one.store(("before", p.id), sdg[p.id], crs=crs, nodata=NODATA)  # the recode table compares the stored layer with its recode
            sdg[p.id] = recoded(sdg[p.id], polys, p.id)["sdg"]
        ctx.choose("SO1-4", "D16", "False positive/negative polygons recoded before status; every recode is listed with its area.")
    for name, layers in (("lc", deg_lc), ("prod", prod3), ("soc", deg_soc), ("sdg", sdg)):
        for k, v in layers.items():
            one.store((name, k), v, crs=crs, nodata=NODATA)
    summary = dict(nodata_in_denominator=la.nodata_in_denominator, official_land_area_km2=official)
    for p in periods:  # the productivity sub-indicator per class and period: SO1-2.T5/T6 (indicators/so1/run_subtables.py)
        one.table(("SO1-2.summary", p.id), t1.sdg_summary_table(prod3[p.id], land_mask=land_of[p.id], **summary, compute=False))
    status_legend = None
    if with_status:
        stp = ctx.params("SO1-4", "status")
        status_of = ctx.metric_function("SO1-4.status")  # sdg.status, with the matrix and collapse of its binding
        status_legend = fw.legend(stp.legend)
        status_codes = [c.code for c in status_legend.classes]
        status_names = {c.code: c.name for c in status_legend.classes}
        subs = [("SO1-4", "sdg", sdg)]
        if stp.apply_to_subindicators:
            # D13: the same matrix on each sub-indicator (Trends.Earth's productivity, land-cover and SOC status)
            subs += [("SO1-1", "lc", deg_lc), ("SO1-2", "prod", prod3)] + ([("SO1-3", "soc", deg_soc)] if deg_soc else [])
        for code, name, layers in subs:
            for p in reports:
                ds = status_of(layers["baseline"], layers[p.id], names=status_names)
                one.table(("status", code, p.id), t1.status_area_table(ds["status_expanded"], codes=status_codes,
                                                                      names=status_names, land_mask=land_of[p.id],
                                                                      compute=False))
                if code == "SO1-4":
                    one.table(("T1", "status", p.id), t1.sdg_summary_table(ds["status"], land_mask=land_of[p.id], **summary,
                                                                           compute=False))
                    one.store(("expanded", p.id), ds["status_expanded"], crs=crs, nodata=NODATA)
                    one.store(("status", p.id), ds["status"], crs=crs, nodata=NODATA)
                    one.store(("units", p.id), ds["status"].where(land_of[p.id], NODATA).astype("uint8"), crs=crs, nodata=NODATA)
    # The reported SDG 15.3.1 of a reporting period is its status against the baseline, collapsed to 3 classes
    # (Part B §2.7: degraded = persistent, recent and baseline degradation, status 1-3; the 2022 manual's newly
    # degraded + persisted degraded is the same set); the baseline's is the baseline assessment.
    reported_keys = {k: ("status", k) if with_status and k != "baseline" else ("sdg", k) for k in keys}
    for k in keys:
        one.table(("T1", "sdg", k), t1.sdg_summary_table(sdg[k], land_mask=land_of[k], **summary, compute=False))
        if ("units", k) not in one.layers:
            one.store(("units", k), sdg[k].where(land_of[k], NODATA).astype("uint8"), crs=crs, nodata=NODATA)

    # the transition matrices and the LPD cross tables (SO1-1.T6, SO1-2.T2-T4) in the pass too: their inputs' blocks
    # are the ones the layers above decode
    for p in periods:
        one.table(("SO1-1.T6", p.id), t1.transition_matrix_table(lc_sel.sel(year=p.land_cover.initial),
                                                                 lc_sel.sel(year=p.land_cover.final), codes=codes7,
                                                                 names=names7, compute=False))
    lpd_names = {c.code: c.name for c in lpd_legend.classes}
    for p in periods if lpd_layers else []:
        lp = one.layers[("lpd", p.id)] if lpd_from_ndvi else lpd_layers[p.id]
        # the source's nodata codes become the tables' NODATA first, then the outside of the boundary is NODATA too
        # (a source code such as -1 or -32768 cannot be stored in the uint8 layer)
        lp3 = clip_to_boundary(lp.where(~lp.isin(nodata_codes), NODATA).astype("uint8"), ctx, NODATA)
        ini = lc_sel.sel(year=p.land_cover.initial)
        one.table(("SO1-2.T2", p.id), t1.cross_table(ini, lp3, codes_a=codes7, codes_b=list(lpd_names), names_a=names7,
                                                     names_b=lpd_names, compute=False))
        one.table(("SO1-2.transitions", p.id), run_subtables.lpd_by_transition(
            ini, lc_sel.sel(year=p.land_cover.final), lp3, codes=codes7, names=names7, lpd_codes=list(lpd_names),
            lpd_names=lpd_names, outside_km2=lambda: outside_km2(ctx), compute=False))

    # ---- the one pass -------------------------------------------------------------------------------------
    tabs, stored = one.run(ctx)

    # ---- tables from the pass, and the cross tables from the stored layers ----------------------------------
    def layer(name: str, k: Any) -> Any:
        return stored[(name, k)]

    lc_tab = tabs["T5"]
    is_nodata = lc_tab.astype(str).apply(lambda col: col.str.strip().str.lower().isin(["no data", "nodata"])).any(axis=1)
    for y in [c for c in lc_tab.columns if str(c).isdigit()]:
        lc_tab = less_outside(lc_tab, ctx, row=lc_tab.index[is_nodata][0], column=y)
    ctx.add_table(Table("SO1-1.T5", "Land cover area per class (UNCCD legend), km²", lc_tab.reset_index(drop=True),
                        units={str(y): "km**2" for y in lc_tab.columns if str(y).isdigit()}, notes=[out_note]))
    land_t1 = land_area_table(lc_tab, is_nodata, water_class=lcp.water_class, official=official)
    # one national land area (issue 11 item 4): SO1-4.T1 and SO1-3.summary divide by SO1-1.T1's total land area
    land_row = land_t1[land_t1["row"] == "total land area"].iloc[0]
    total_land = {y: float(land_row[y]) for y in land_t1.columns if str(y).isdigit()}
    ctx.add_table(Table("SO1-1.T1", "Land area: total land, water bodies and total country area, km²",
                        land_t1,
                        units={str(y): "km**2" for y in lc_tab.columns if str(y).isdigit()},
                        notes=[out_note, "Total land area = the valid land-cover classes other than water (D3); "
                               "no data is reported on its own row and is not land."]))
    add_land_area_profile(ctx, land_t1, periods)  # CP-1.T1 = SO1-1.T1 at the profile years (2026 edition)
    regional = None if regions is None else run_regions.RegionalTables(ctx, regions, codes7, names7,
                                                                       fw.matrix(lcp.transition_matrix))
    for p in periods:
        ini, fin = lc_sel.sel(year=p.land_cover.initial), lc_sel.sel(year=p.land_cover.final)
        tr = tabs[("SO1-1.T6", p.id)].copy()
        tr.loc["no data", "no data"] -= outside_km2(ctx)
        procs = (t1.degradation_process_table(tr, matrix, codes=codes7) if regional is None
                 else regional.processes(p.id, ini, fin))  # each region's transitions under its matrix (D28)
        tr = tr.reset_index()
        tr.columns = [str(c) for c in tr.columns]
        ctx.add_table(Table(f"SO1-1.T6.{p.id}", f"Land-cover transitions {p.land_cover.initial}-{p.land_cover.final} ({p.label}), km²",
                            tr, units={c: "km**2" for c in tr.columns[1:]}, notes=[out_note]))
        ctx.add_table(Table(f"SO1-1.T7.{p.id}", f"Degradation processes {p.land_cover.initial}-{p.land_cover.final} ({p.label})",
                            procs.reset_index(drop=True), units={"area_km2": "km**2"}))
    run_tables.add_so1_1_spec_tables(ctx)  # T2, T3, T4a, T4b: the matrix and legends (indicators/so1/run_tables.py)
    run_tables.add_land_cover_change_tables(ctx, periods, regional)  # T8, T9 from T6 (indicators/so1/run_tables.py)
    if regional is not None:
        regional.add_tables(periods, target)  # SO1-1.regions, SO1-1.regional_matrices (indicators/so1/run_regions.py)
    lpd_trans: dict[str, Any] = {}  # SO1-2.T3/T4: LPD per land-cover transition (indicators/so1/run_subtables.py)
    for p in periods if lpd_layers else []:
        x = tabs[("SO1-2.T2", p.id)].copy()
        x.loc["no data", "no data"] -= outside_km2(ctx)
        x = x.reset_index()
        x.columns = [str(c) for c in x.columns]
        ctx.add_table(Table(f"SO1-2.T2.{p.id}", f"Land productivity dynamics per land-cover class ({p.label}), km²", x,
                            units={c: "km**2" for c in x.columns[1:]}, notes=[out_note]))
        lpd_trans[p.id] = tabs[("SO1-2.transitions", p.id)]
    run_tables.add_lpd_national_table(ctx, periods, names7[lcp.water_class])  # SO1-2.T1 (indicators/so1/run_tables.py)
    run_subtables.add_lpd_tables(ctx, periods, lpd_trans, tabs, la=la, official=official, water_year=water_year,
                                 total_land=total_land)  # SO1-2.T3-T6
    if lpd_from_ndvi and lpd_layers:
        ctx.add_raster(RasterOutput("SO1-2", "lpd", "Land productivity dynamics computed from NDVI, per period",
                                    period_stack({k: layer("lpd", k) for k in lpd_layers}, "lpd", next(iter(lpd_layers.values())).attrs),
                                    legend=legend_entries(fw.legend(prod.lpd_legend))))
    frame = So1Frame(periods=periods, reports=reports, with_status=with_status, codes7=codes7, names7=names7, lc7=lc7,
                     lc_years=lc_years, lc_sel=lc_sel, land_of=land_of, water_year=water_year, la=la, official=official,
                     total_land=total_land, out_note=out_note, tabs=tabs, stored=stored)
    if deg_soc:
        add_soc_outputs(ctx, frame, soc_run, deg_soc)  # SO1-3.T1-T5, SO1-3.summary, SO4-1 (indicators/so1/run_soc.py)
    if polys is not None:
        for p in periods:
            before = layer("before", p.id)
            ds = recoded(before, polys, p.id)
            rt = t1.recode_table(before, ds["sdg"], ds["recode_polygon"], polys, period=p.id,
                                 label_field=ctx.spec("recode_polygons").id_field)
            if not rt.empty:
                ctx.add_table(Table(f"SO1-4.T3.{p.id}", f"False positives/negatives recoded ({p.label})", rt,
                                    units={"area_km2": "km**2"}))

    add_sdg_outputs(ctx, frame, reported_keys=reported_keys, deg_lc=deg_lc, prod3=prod3, sdg=sdg,
                    status_legend=status_legend, admin=admin, coverage=coverage)  # indicators/so1/run_sdg.py


def lpd_periods_problem(keys: list[str], periods: Any, fw: Any) -> str | None:
    """The line refusing a precomputed LPD without a map for some period of the edition, or with a map under a key
    that is a period of no edition (a misspelt key would otherwise be ignored; a key of another edition's period is
    left unused, so one configuration serves both editions); None when every period has its map."""
    missing = [p.id for p in periods if p.id not in keys]
    known = {p.id for ed in fw.editions for p in ed.periods}
    unknown = [k for k in keys if k not in known]
    if not missing and not unknown:
        return None
    expected = f"path: {{{', '.join(q.id + ': …' for q in periods)}}}"
    if unknown:
        return (f"inputs.lpd: {', '.join(map(repr, unknown))} {'is no period' if len(unknown) == 1 else 'are no periods'} "
                f"of any edition (periods of this one: {', '.join(q.id for q in periods)}); give one file per period: {expected}")
    return (f"inputs.lpd: no map for period{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} (given: "
            f"{', '.join(keys) or 'none'}); give one file per period: {expected}")


def _so1_check(loaded: LoadedConfig, fw: Any) -> list[str]:
    """Before computing, what the run refuses: a precomputed LPD without a map for some period; a SOC reference
    year after the first SOC year of the periods (:func:`~indicators.so1.run_soc.reference_year_problem`); regions
    of the regional matrices without their matrices, or the reverse (indicators/so1/run_regions.py)."""
    from .run_soc import reference_year_problem

    lines = run_regions.regions_check(loaded, fw)
    spec = loaded.config.inputs.get("lpd")
    if spec is not None and fw.parameters("productivity").method == "precomputed_lpd" and isinstance(spec.path, Mapping):
        lines.append(lpd_periods_problem(list(spec.path), fw.periods(), fw))
    if "soc_reference" in loaded.config.inputs:
        lines.append(reference_year_problem(fw.parameters("soc").reference_year, fw.periods()))
    return [line for line in lines if line]


STAGE = Stage("so1", "SO1 land and SDG 15.3.1 (land cover, productivity, SOC, one out all out, status)",
              ("SO1-1", "SO1-2", "SO1-3", "SO1-4", "SO4-1"),
              ("indicators.so1.land_cover", "indicators.so1.productivity", "indicators.so1.soc", "indicators.so1.sdg",
               "indicators.so1.tables"), _so1_needs, _run_so1, check=_so1_check,
              data_skips=lambda loaded, fw: without_soc_reference(loaded.config.inputs),
              inputs=("land_cover", "land_cover_national", "lpd", "ndvi", "soc_reference", "climate_zones", "recode_polygons",
                      run_regions.INPUT),
              # the 2022 manual's ids (the engine publishes an edition's renumbered ones, D23); T6, T7, SO1-2.T2 and
              # SO1-4.T3 per period; CP-1.T1 when the edition declares it
              tables=("SO1-1.T1", "SO1-1.T2", "SO1-1.T3", "SO1-1.T4a", "SO1-1.T4b", "SO1-1.T5", "SO1-1.T6", "SO1-1.T7",
                      "SO1-1.T8", "SO1-1.T9", "SO1-1.status", "SO1-1.regions", "SO1-1.regional_matrices",
                      "SO1-2.T1", "SO1-2.T2", "SO1-2.T3", "SO1-2.T4", "SO1-2.T5", "SO1-2.T6", "SO1-2.status",
                      "SO1-3.T1", "SO1-3.T2", "SO1-3.T3", "SO1-3.T4", "SO1-3.T5", "SO1-3.summary", "SO1-3.status",
                      "SO1-4.T1", "SO1-4.T3", "SO1-4.T4", "SO1-4.T5", "SO1-4.status", "SO1-4.period_assessment",
                      "SO1-4.units", "SO1-4.counterbalancing", "SO1-4.change",
                      "SO4-1.series", "SO4-1.change", "SO4-1.trend", "CP-1.T1"))

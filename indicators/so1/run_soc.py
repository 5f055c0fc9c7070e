"""SO1-3 in the SO1 stage: the lazy SOC stocks and degradation of each period, then their tables and map after the
one pass (and SO4-1 from the stocks)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import SpecError
from ..report.model import RasterOutput
from ..report.tables import Table
from ..stage import Context
from ..stage_helpers import clip_to_boundary
from . import run_subtables
from . import tables as t1
from .encoding import NODATA
from .land import land_mask
from .run_areas import sdg_summary_inside, so4_1_from_stocks
from .run_layers import OnePass, So1Frame, period_stack, three_legend


@dataclass
class SocLayers:
    """The lazy SO1-3 layers of a run: the SOC degradation per period, the years whose stocks are stored, and the
    parameters the tables and the decision text quote."""

    soc: Any
    args: Any
    dargs: Any
    degradation: dict[str, Any]
    stock_years: list[int]


def reference_year_problem(reference_year: int, periods: Any) -> str | None:
    """Why the specs' ``soc.reference_year`` cannot start the SOC stocks of *periods* (None if it can): the stocks
    exist from the reference year on, so it may not come after the first SOC year of a period. The SO1 stage's check
    (``--check`` and the run's prepare), the stage and :func:`indicators.api.compute` ask this one function."""
    first = min(int(p.soc.initial) for p in periods)
    if int(reference_year) <= first:
        return None
    return (f"soc.reference_year {reference_year} is after {first}, the first SOC year of the periods: the stocks exist "
            "from the reference year on; set soc.reference_year to the year of the soc_reference map (parameters: "
            "soc: reference_year), which must be no later than the first period's")


def without_soc_reference(inputs: Mapping[str, Any]) -> dict[str, str]:
    """SO1-3 and SO4-1 (through SO1-3), with the reason, when the input soc_reference is not configured: the SO1 stage
    runs without them (Stage.data_skips: the plan, ``--check`` and the run say the same)."""
    if "soc_reference" in inputs:
        return {}
    return {"SO1-3": "input soc_reference not in the run configuration; SDG 15.3.1 is computed from SO1-1 and SO1-2",
            "SO4-1": "reported through SO1-3, whose input soc_reference is not in the run configuration"}


def soc_layers(ctx: Context, one: OnePass, periods: list[Any], lc7: Any, inside: Any, crs: Any) -> SocLayers | None:
    """The SOC stocks (stored by *one*) and degradation of each period; None, with SO1-3 and SO4-1 skipped, without
    the input soc_reference."""
    skips = without_soc_reference(ctx.config.inputs)
    if skips:
        for code, reason in skips.items():
            ctx.skip(code, reason)
        return None
    from .soc import period_soc_stocks
    from .soc_factors import climate_factor_from_zones, climate_factors_by_zone

    fw = ctx.framework
    deg_soc: dict[str, Any] = {}
    soc = ctx.params("SO1-3", "soc")
    soc_ref = ctx.raster("soc_reference")
    if soc_ref.ndim == 3:
        soc_ref = soc_ref.isel({soc_ref.dims[0]: 0}, drop=True)
    if soc.climate_factor is None:
        zones = ctx.raster("climate_zones")
        f = climate_factor_from_zones(zones, factors=climate_factors_by_zone(
            soc.climate_zone_to_regime, [r.model_dump(mode="json") for r in soc.climate_regimes]))
    else:
        f = soc.climate_factor
    nod = soc_ref.rio.nodata
    soc_ref = soc_ref.where(soc_ref != nod) if nod is not None else soc_ref
    args = fw.binding_arguments("SO1-3.soc_stock")
    last = max(p.soc.final for p in periods)
    line = reference_year_problem(soc.reference_year, periods)
    if line:  # refused by the SO1 stage's check before anything is computed (--check and the run)
        raise SpecError(line)
    # the land cover from the SOC reference year on: the reference stock is that year's (not the first map's);
    # each period's stocks depend only on the maps up to its final year (issue 14)
    stocks = period_soc_stocks(soc_ref, lc7.sel(year=slice(None, last)), periods=[(p.soc.initial, p.soc.final) for p in periods],
                               period_chain=soc.period_chain, factors=args["factors"].model_dump(mode="json", by_alias=True),
                               climate_factor=f, transition_years=args["transition_years"], reference_year=soc.reference_year)
    ctx.record("SO1-3", "soc.reference_year", soc.reference_year)
    ctx.record("SO1-3", "soc.period_chain", soc.period_chain)
    dargs = fw.binding_arguments("SO1-3.soc_degradation")
    degradation = ctx.metric_function("SO1-3.soc_degradation")  # its spec binding, with dargs applied
    for p in periods:
        exclude = None
        if soc.water_is_nodata:
            # inland water has no SOC sub-indicator (Part C §1.4): the water of D3, or of each period's first year
            exclude = ~land_mask(ctx, "SO1-3", year=p.soc.initial)
        # threshold, strictness and the zero-baseline rule come from the spec binding
        deg_soc[p.id] = degradation(stocks.sel(year=p.soc.initial), stocks.sel(year=p.soc.final), exclude=exclude)
    ctx.record("SO1-3", "soc.zero_baseline_is_nodata", soc.zero_baseline_is_nodata)
    stock_years = sorted({p.soc.initial for p in periods} | {p.soc.final for p in periods})
    for y in stock_years:
        one.store(("stock", y), stocks.sel(year=y, drop=True).where(inside).astype("float32"), crs=crs, nodata=float("nan"))
    return SocLayers(soc, args, dargs, deg_soc, stock_years)


def soc_tables_in_pass(ctx: Context, one: OnePass, s: SocLayers, periods: list[Any], lc_sel: Any, lc7: Any,
                       lc_years: list[int], *, codes: list[int], names: dict[int, str]) -> None:
    """SO1-3.T1's stocks per land-cover class (each stock year) and the stock change per land-cover transition of
    each period (T2 / T3), pending in *one*'s pass: from the stock layers it stores, so the inputs are decoded once
    for the layers and these tables together (keys ``("SO1-3.T1", year)``, ``("SO1-3.transitions", period)``)."""

    def lc_at(y: int) -> Any:  # the land cover of a SOC year, inside the boundary
        return lc_sel.sel(year=y) if y in lc_years else clip_to_boundary(lc7.sel(year=y), ctx, NODATA)

    def stock(y: int) -> Any:
        return one.layers[("stock", y)]

    for y in s.stock_years:
        one.table(("SO1-3.T1", y), t1.soc_stock_table(stock(y), lc_at(y), codes=codes, names=names, compute=False))
    for p in periods:
        one.table(("SO1-3.transitions", p.id), run_subtables.soc_change_by_transition(
            stock(p.soc.initial), stock(p.soc.final), lc_at(p.soc.initial), lc_at(p.soc.final), codes=codes, names=names,
            compute=False))


def add_soc_outputs(ctx: Context, f: So1Frame, s: SocLayers, deg_soc: dict[str, Any]) -> None:
    """After the pass: SO1-3.T1 (stocks per land-cover class), SO4-1, SO1-3.summary, SO1-3.T2-T5, decision D11 and
    the SOC degradation map (*deg_soc*: the degradation of each period clipped to the boundary)."""
    periods, keys = f.periods, f.keys
    la, official, water_year, total_land = f.la, f.official, f.water_year, f.total_land
    tabs, layer, out_note = f.tabs, f.layer, f.out_note
    soc, args, dargs, stock_years = s.soc, s.args, s.dargs, s.stock_years

    frames = []
    for y in stock_years:
        st = tabs[("SO1-3.T1", y)].copy()
        st.insert(0, "year", y)
        frames.append(st)
    soc_tab = pd.concat(frames, ignore_index=True)
    ctx.add_table(Table("SO1-3.T1", "Soil organic carbon stock per land-cover class (0-30 cm)", soc_tab,
                        units={"soc_stock_t": "t", "area_km2": "km**2", "area_with_soc_km2": "km**2", "soc_mean_t_per_ha": "t/ha"}))
    so4_1_from_stocks(ctx, soc_tab, periods)
    soc_sum = []
    for p in periods:
        part = sdg_summary_inside(tabs[("SO1-3.summary", p.id)], ctx, nodata_in_denominator=la.nodata_in_denominator,
                                  official=official, year=water_year[p.id],
                                  total_land_km2=total_land.get(water_year[p.id]))
        part.insert(0, "period", p.id)
        soc_sum.append(part)
    ctx.add_table(Table("SO1-3.summary", "Soil organic carbon sub-indicator: degraded, stable, improved and no-data "
                        "area per period", pd.concat(soc_sum, ignore_index=True),
                        units={"area_km2": "km**2", "percent_of_land": "percent", "percent_of_land_with_data": "percent"},
                        notes=[out_note]))
    run_subtables.add_soc_tables(ctx, periods, {p.id: tabs[("SO1-3.transitions", p.id)] for p in periods})  # SO1-3.T2-T5
    ctx.choose("SO1-3", "D11", f"IPCC tier 1 stock change, {args['transition_years']}-year transition; degraded below "
               f"-{dargs['threshold']} %, improved above +{dargs['threshold']} %" + (" (inclusive)" if dargs["inclusive"] else "")
               + "; a transition between two maps at the middle of the interval (t1 - t_mid years of change by t1); periods "
               + ("restart from the stock at their initial year (Trends.Earth's local step)" if soc.period_chain == "restart"
                  else "continue one annual chain")
               + ("; inland water is no data." if soc.water_is_nodata else "."))
    ctx.add_raster(RasterOutput("SO1-3", "soc_degradation", "SOC degradation per period",
                                period_stack({k: layer("soc", k) for k in keys}, "soc_degradation", deg_soc[keys[0]].attrs),
                                legend=three_legend(ctx)))

"""SO1-1 … SO1-4 from in-memory DataArrays, for :func:`indicators.compute`.

The chain of a run's SO1 stage, without files: nest the land cover (spec
nesting), land-cover degradation (spec transition matrix), LPD → 3 classes
(spec lookup table), SOC stocks and degradation (spec factors, threshold),
one out, all out (spec nodata rule), recodes (D16), status (spec matrix and
collapse, D13) and SO1-4.T1 with the run's land and denominator (D3, D22).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import xarray as xr

from ..errors import ArgumentError, InputError
from .encoding import NODATA

_OUTSIDE = 255  # outside the boundary, in the tables' working layer
_WATER = 4      # inland water inside the boundary, in the tables' working layer
_T1_UNITS = {"area_km2": "km**2", "percent_of_land": "percent", "percent_of_land_with_data": "percent"}
_SUB = {"SO1-1": "land_cover_degradation", "SO1-2": "productivity", "SO1-3": "soc_degradation"}


def _periods(fw: Any, wanted: Sequence[str] | None) -> list[Any]:
    periods = list(fw.periods())
    if wanted is None:
        return periods
    if isinstance(wanted, str) or not isinstance(wanted, Sequence):
        raise ArgumentError(f"periods {wanted!r}: give a list of period ids, e.g. ['baseline', 'report_1']")
    known = {p.id: p for p in periods}
    unknown = [w for w in wanted if w not in known]
    if unknown or not wanted:
        raise ArgumentError(f"periods {list(wanted)!r}: unknown or none; the edition {fw.edition} has "
                            f"{', '.join(known)}")
    return [known[w] for w in wanted]


def _inside(boundary: Any, ref: xr.DataArray) -> xr.DataArray | None:
    """True where the cell's centre is inside *boundary* (lazy per block for dask), or None without one."""
    if boundary is None:
        return None
    import geopandas as gpd

    from ..summarize import reproject_units
    from .sdg import rasterize_polygons

    if not isinstance(boundary, gpd.GeoDataFrame) or len(boundary) == 0:
        raise ArgumentError("boundary: expected a non-empty GeoDataFrame (indicators.read_polygons(path))")
    boundary = reproject_units(boundary, ref, argument="boundary")
    bare = ref.drop_vars([c for c in ref.coords if c not in ref.dims])
    return rasterize_polygons(boundary, bare) > 0


def _clip(da: xr.DataArray, inside: xr.DataArray | None) -> xr.DataArray:
    if inside is None:
        return da
    out = da.where(inside, NODATA).astype(da.dtype)
    out.attrs = dict(da.attrs)
    return out


def _year(lc7: xr.DataArray, year: int, what: str) -> xr.DataArray:
    if year not in [int(v) for v in lc7["year"].values]:
        raise ArgumentError(f"land_cover: no layer for {year} ({what}); give the years "
                            f"{sorted(int(v) for v in lc7['year'].values)} plus {year}")
    return lc7.sel(year=year, drop=True)


def compute_land(fw: Any, code: str, *, land_cover: xr.DataArray | None, lpd: xr.DataArray | None,
                 soc: xr.DataArray | None, climate_zones: xr.DataArray | None, periods: Sequence[str] | None,
                 boundary: Any, recode_polygons: Any, land_area_km2: float | None
                 ) -> tuple[xr.Dataset, dict[str, pd.DataFrame], dict[str, Any]]:
    """Layers, tables and parameters of SO1-*code* (see :func:`indicators.compute`)."""
    from ..grid import check_same_grid
    from .land_cover import land_cover_degradation, nest_land_cover
    from .productivity import lpd_to_3class
    from .sdg import apply_recodes, one_out_all_out, status

    chosen = _periods(fw, periods)
    rasters = {n: v for n, v in (("land_cover", land_cover), ("lpd", lpd), ("soc", soc), ("climate_zones", climate_zones))
               if v is not None}
    planes = [v.isel({d: 0 for d in v.dims if d not in ("y", "x")}, drop=True) for v in rasters.values()]
    if len(planes) > 1:
        check_same_grid(*planes, names=list(rasters))
    ref = planes[0]
    crs = ref.rio.crs
    inside = _inside(boundary, ref)
    params: dict[str, Any] = {"periods": [p.id for p in chosen]}
    la = fw.parameters("land_area")
    official = land_area_km2 if land_area_km2 is not None else (la.official.value if la.official else None)
    params["land_area"] = la.model_dump(mode="json")
    layers: dict[str, dict[str, xr.DataArray]] = {}

    lc7 = land = None
    if land_cover is not None:
        lcp = fw.parameters("land_cover")
        source = fw.legend(lcp.source_legend)
        nodata = sorted({*([source.nodata] if source.nodata is not None else []),
                         *([int(land_cover.rio.nodata)] if land_cover.rio.nodata is not None else [])})
        target = fw.legend(lcp.legend)
        lc7 = nest_land_cover(land_cover, fw.nesting(lcp.nesting), nodata_codes=nodata,
                              names={c.code: c.name for c in target.classes})
        base = int(fw.period("baseline").land_cover.initial)
        # D3: inland water of the baseline's first land-cover year (or each period's, water_year: each_period)
        land = {p.id: _year(lc7, int(p.land_cover.initial) if la.water_year == "each_period" else base, "inland water, D3")
                != la.water_class for p in chosen}
        params["land_cover"] = lcp.model_dump(mode="json")
    if code in ("SO1-1", "SO1-4"):
        matrix = fw.binding_arguments("SO1-1.land_cover_change")["matrix"]
        layers["land_cover_degradation"] = {
            p.id: _clip(land_cover_degradation(_clip(_year(lc7, p.land_cover.initial, f"{p.id} start"), inside),
                                               _clip(_year(lc7, p.land_cover.final, f"{p.id} end"), inside), matrix), inside)
            for p in chosen}
    if code in ("SO1-2", "SO1-4"):
        prod = fw.parameters("productivity")
        if prod.method != "precomputed_lpd":
            raise ArgumentError(f"lpd: the specs compute the LPD from NDVI (productivity.method {prod.method!r}); "
                                "indicators.compute takes a precomputed LPD only: use `indicators run`")
        have = [str(v) for v in lpd["period"].values]
        nodata_codes = sorted(set(prod.lpd_sources[prod.lpd_source].nodata)
                              | ({int(lpd.rio.nodata)} if lpd.rio.nodata is not None else set()))
        mapping = fw.lookup_table(prod.lpd_to_3class)
        prod3 = {}
        for p in chosen:
            if p.id not in have:
                raise ArgumentError(f"lpd: no map for period {p.id!r} (given: {have}); pass lpd={{'{p.id}': …}} or "
                                    f"periods={have}")
            prod3[p.id] = _clip(lpd_to_3class(lpd.sel(period=p.id, drop=True), mapping=mapping, nodata_codes=nodata_codes),
                                inside)
        layers["productivity"] = prod3
        params["productivity"] = prod.model_dump(mode="json")
        params["lpd nodata codes"] = nodata_codes
    if code == "SO1-3" or (code == "SO1-4" and soc is not None):
        layers["soc_degradation"] = _soc(fw, lc7, soc, climate_zones, chosen, inside, params)
    if code in _SUB:
        name = _SUB[code]
        stack = _stack(layers[name], name)
        tables = {f"{code}.summary": _t1({k: layers[name][k] for k in layers[name]}, land, inside, la, official,
                                         f"{code}.summary", f"{name.replace('_', ' ')}: degraded, stable and improved "
                                         "land per period (each period's own assessment)")}
        return xr.Dataset({name: stack}).rio.write_crs(crs), tables, params

    # SO1-4: one out, all out (D12), recodes (D16), status (D13)
    oao = fw.binding_arguments("SO1-4.proportion_degraded")
    soc3 = layers.get("soc_degradation", {})
    sdg = {p.id: _clip(one_out_all_out(layers["productivity"][p.id], layers["land_cover_degradation"][p.id],
                                       soc3.get(p.id), **oao), inside) for p in chosen}
    params["one_out_all_out"] = dict(oao)
    if recode_polygons is not None:
        sdg = {k: apply_recodes(v.rio.write_crs(crs), recode_polygons, period=k)["sdg"] for k, v in sdg.items()}
    layers["sdg_period_assessment"] = sdg
    reported = dict(sdg)
    ids = [p.id for p in chosen]
    if "baseline" in ids and len(ids) > 1:
        sargs = fw.binding_arguments("SO1-4.status")
        stp = fw.parameters("status")
        names = {c.code: c.name for c in fw.legend(stp.legend).classes}
        expanded = {}
        for k in ids[1:] if ids[0] == "baseline" else [i for i in ids if i != "baseline"]:
            ds = status(sdg["baseline"], sdg[k], matrix=sargs["matrix"], collapse=sargs["collapse"], names=names)
            expanded[k], reported[k] = ds["status_expanded"], ds["status"]
        layers["status_expanded"] = expanded
        params["status"] = stp.model_dump(mode="json")
    layers["sdg_15_3_1"] = reported
    t1 = _t1(reported, land, inside, la, official, "SO1-4.T1",
             "Proportion of land that is degraded (SDG 15.3.1), per period")
    tables = {"SO1-4.T1": t1}
    if "status_expanded" in layers:
        tables["SO1-4.period_assessment"] = _t1(sdg, land, inside, la, official, "SO1-4.period_assessment",
                                                "One out, all out of each period's own sub-indicators (not the "
                                                "reported value of a reporting period)")
    # status exists for reporting periods only: the baseline's is nodata (same dtype, no NaN)
    ds = xr.Dataset({name: _stack(v, name).reindex(period=ids, fill_value=NODATA) for name, v in layers.items()})
    return ds.rio.write_crs(crs), tables, params


def _soc(fw: Any, lc7: xr.DataArray | None, soc: xr.DataArray | None, zones: xr.DataArray | None, chosen: list[Any],
         inside: xr.DataArray | None, params: dict[str, Any]) -> dict[str, xr.DataArray]:
    from .soc import soc_stocks
    from .soc_change import soc_degradation
    from .soc_factors import climate_factor_from_zones, climate_factors_by_zone

    if lc7 is None or soc is None:
        raise ArgumentError("SO1-3 needs land_cover and soc (the reference stock, t/ha): pass both")
    sp = fw.parameters("soc")
    if sp.climate_factor is None:
        if zones is None:
            raise ArgumentError("climate_zones: the specs take the SOC climate factor from IPCC climate zones "
                                "(soc.climate_factor is not set); pass climate_zones=<DataArray>")
        f: Any = climate_factor_from_zones(zones, factors=climate_factors_by_zone(
            sp.climate_zone_to_regime, [r.model_dump(mode="json") for r in sp.climate_regimes]))
    else:
        f = sp.climate_factor
    if soc.ndim == 3:
        soc = soc.isel({soc.dims[0]: 0}, drop=True)
    nod = soc.rio.nodata
    ref = soc.where(soc != nod) if nod is not None else soc
    last = max(int(p.soc.final) for p in chosen)
    from .run_soc import reference_year_problem

    line = reference_year_problem(sp.reference_year, chosen)
    if line:
        raise InputError(line)
    args = fw.binding_arguments("SO1-3.soc_stock")
    stocks = soc_stocks(ref, lc7.sel(year=slice(None, last)), factors=args["factors"], climate_factor=f,
                        transition_years=args["transition_years"], reference_year=sp.reference_year)
    dargs = fw.binding_arguments("SO1-3.soc_degradation")
    la = fw.parameters("land_area")
    base = int(fw.period("baseline").land_cover.initial)
    out = {}
    for p in chosen:
        exclude = None
        if sp.water_is_nodata:  # inland water has no SOC sub-indicator (Part C §1.4)
            y = int(p.soc.initial) if la.water_year == "each_period" else base
            exclude = lc7.sel(year=y, drop=True) == la.water_class
        out[p.id] = _clip(soc_degradation(stocks.sel(year=p.soc.initial), stocks.sel(year=p.soc.final), exclude=exclude,
                                          **dargs), inside)
    params["soc"] = sp.model_dump(mode="json")
    return out


def _stack(layers: dict[str, xr.DataArray], name: str) -> xr.DataArray:
    first = next(iter(layers.values()))
    da = xr.concat([v.drop_vars([c for c in v.coords if c not in v.dims]) for v in layers.values()], dim="period",
                   combine_attrs="override").assign_coords(period=list(layers))
    da.attrs = dict(first.attrs)
    return da.rename(name)


def _t1(layers: dict[str, xr.DataArray], land: dict[str, xr.DataArray] | None, inside: xr.DataArray | None, la: Any,
        official: float | None, table_id: str, title: str) -> pd.DataFrame:
    """SO1-4.T1 rows (degraded, stable, improved, no data, water, total land area) per period, as the run reports
    them: cells outside the boundary in no row; inland water (D3) on the water row whatever the layer holds there;
    no data = land inside the boundary without a class."""
    from ..summarize import class_area_table, compute_tables
    from .run_areas import with_share_of_land_with_data, with_total_land_area
    from .sdg_tables import sdg_summary_from_area_table

    pending = []
    for k, da in layers.items():
        work = da
        if land is not None:
            work = xr.where(land[k], work, _WATER)
        if inside is not None:
            work = xr.where(inside, work, _OUTSIDE)
        work = work.astype("uint8").rio.write_crs(da.rio.crs).rename(f"{table_id} {k}")
        pending.append(class_area_table(work, codes=[1, 2, 3, _WATER, _OUTSIDE], nodata=NODATA, compute=False))
    frames = []
    for k, t in zip(layers, compute_tables(*pending)):
        cls = t["kind"] == "class"
        water = float(t.loc[cls & (t["class"] == _WATER), "area_km2"].iloc[0])
        keep = t[~(cls & t["class"].isin([_WATER, _OUTSIDE]))].copy()
        keep.loc[keep["kind"] == "water", "area_km2"] = water
        keep.loc[keep["kind"] == "land_area", "area_km2"] = float(keep.loc[keep["kind"] == "class", "area_km2"].sum())
        s = sdg_summary_from_area_table(keep.reset_index(drop=True), la.nodata_in_denominator, official)
        if official is None and not la.nodata_in_denominator:
            # D22: over SO1-1.T1's total land area, as the run: the land with a class and the land without data
            area = dict(zip(s["class"], s["area_km2"]))
            s = with_total_land_area(s, sum(area[c] for c in ("degraded", "stable", "improved", "no data")))
        s = with_share_of_land_with_data(s)
        s.insert(0, "period", k)
        frames.append(s)
    out = pd.concat(frames, ignore_index=True)
    out.attrs.update(units=dict(_T1_UNITS), table=table_id, title=title,
                     denominator=frames[0].attrs.get("denominator"))
    return out


__all__ = ["compute_land"]

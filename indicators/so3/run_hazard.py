"""The SO3-1 stage: drought hazard (SPI or SPEI, drought classes, areas, epochs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import InputError
from ..report.model import Chart, RasterOutput
from ..report.tables import Table
from ..stage import Context, Stage, module_missing
from ..stage_helpers import coverage_rule, index_scale, inside_boundary, legend_entries
from ..summarize_cells import NearestCells
from .run_common import so3_land_mask, so3_trend_table
from .run_hazard_checks import DroughtIndexPlan, drought_index_plan, hazard_check, hazard_needs, unsupported_spi_choices


def drought_classification(ctx: Context) -> dict[str, Any]:
    """Breaks, codes, boundary rule and names of the drought classes, from the specs."""
    fw = ctx.framework
    dc = ctx.params("SO3-1", "drought_classes")
    cls = fw.classification(dc.classification)
    ordered = sorted(cls.classes, key=lambda c: (c.lower is not None, c.lower if c.lower is not None else 0.0))
    breaks = [c.upper for c in ordered[:-1]]
    legend = fw.legend(dc.legend)
    names = {c.code: c.name for c in legend.classes}
    codes = [c.code for c in ordered]
    severity = [c.code for c in reversed(ordered)]  # from the wettest (no drought) to the most severe
    drought_codes = [c.code for c in ordered if c.upper is not None and c.upper <= 0.0]
    encoding = fw.parameters("encoding")
    nodata = encoding.class_nodata
    ctx.record("SO3-1", "classification", {c.name: f"({c.lower}, {c.upper}]" if cls.closed == "right" else f"[{c.lower}, {c.upper})"
                                           for c in ordered})
    return {"breaks": breaks, "codes": codes, "right_closed": cls.closed == "right", "names": names, "legend": legend,
            "severity": severity, "drought_codes": drought_codes, "nodata": nodata, "closed": cls.closed,
            "dtype": encoding.class_dtype}


def monthly_water(ctx: Context, name: str) -> Any:
    """A monthly water input on its own grid with its declared nodata as NaN: a month without a value is a gap (the
    SPI/SPEI windows holding it have no value), never a water amount of the nodata value (e.g. -9999 mm)."""
    import numpy as np

    da = ctx.raster(name, native=True)
    nod = da.rio.nodata
    if nod is None or (isinstance(nod, float) and np.isnan(nod)):
        return da
    # the units and other attributes stay; the old fill value does not (it would say -9999 marks the gaps)
    attrs = {k: v for k, v in da.attrs.items() if k not in ("_FillValue", "missing_value")}
    return da.where(da != nod).assign_attrs(attrs).rio.write_nodata(np.nan, encoded=False)


def compute_spei(ctx: Context, precip: Any) -> Any:
    """SPEI from inputs precipitation and pet with the spec binding SO3-1.spei (the ``spi`` block's scale, month,
    calibration, clip, min_nonzero; :func:`indicators.so3.spei.spei`), lazy."""
    pet = monthly_water(ctx, "pet")
    return ctx.metric_function("SO3-1.spei")(precip, pet, units=ctx.spec("precipitation").units, pet_units=ctx.spec("pet").units)


def _annual_drought_index(ctx: Context, plan: DroughtIndexPlan, args: Mapping[str, Any]) -> tuple[Any, Any, str]:
    """SO3-1's index, one value per year and cell on its own grid (lazy), its CRS and its label for titles;
    the D5 choice is recorded."""
    import calendar

    from ..so3.hazard import annual_spi

    month, scale = int(args["month"]), int(args["scale"])
    mname = calendar.month_name[month]
    label = plan.label
    if plan.precomputed:
        spec = ctx.spec("drought_index")
        da = ctx.raster("drought_index", native=True)
        crs = da.rio.crs
        nod = da.rio.nodata
        values = (da.where(da != nod) if nod is not None else da).astype("float32") / index_scale(ctx, "drought_index")
        if "time" in da.dims:
            annual = annual_spi(values, month=month)
            form, title = f"the {mname} value of each year of its monthly series", f"{label}, precomputed, {mname}"
        elif "year" in da.dims:
            annual, form, title = values, "one map per year, as given", f"{label}, precomputed"
        else:
            raise InputError("inputs.drought_index: cannot tell its years: give a monthly series with a time axis "
                             "(netCDF), one band per year with years:, or a {year} path")
        annual.attrs.update(long_name=f"{label} (precomputed, inputs.drought_index)", units="1")
        other = ""
        if ctx.has("precipitation"):
            other = ("; inputs.precipitation is given too: the precomputed index is classified"
                     + (" and precipitation is used only for the SPEI extension" if plan.extension else
                        ", precipitation is not read for SO3-1"))
        ctx.choose("SO3-1", "D5", f"Precomputed {label} (inputs.drought_index{', ' + spec.source if spec.source else ''}): "
                   f"{form}; its distribution, fit and calibration are the producer's (the specs' spi block is not "
                   f"applied){other}.")
        ctx.record("SO3-1", "drought index", f"precomputed {label} (inputs.drought_index)")
        declared = {name: value for name, value, _ in unsupported_spi_choices(ctx.framework.parameters("spi"))}
        if declared:
            ctx.record("SO3-1", "spi choices describing the precomputed index (not computed here)", declared)
        return annual.rio.write_crs(crs), crs, title
    precip = monthly_water(ctx, "precipitation")
    cal = f"{args['calibration'][0]}-{args['calibration'][1]}"
    if plan.index == "spei":
        values = compute_spei(ctx, precip)
        dist = values.attrs.get("distribution", "log-logistic")
        fit = values.attrs.get("fitting_method", "probability-weighted moments")
        ctx.choose("SO3-1", "D5", f"SPEI-{scale} of month {month}: precipitation minus potential evapotranspiration "
                   f"(inputs precipitation and pet), {dist}, fitted by {fit}; calibration {cal}, clip ±{args['clip']}.")
        ctx.record("SO3-1", "drought index", "SPEI computed from inputs precipitation and pet")
    else:
        # the metric's spec binding (spi.spi with the args above, which are its arguments)
        values = ctx.metric_function("SO3-1.spi")(precip, units=ctx.spec("precipitation").units)
        fit = {"thom": "Thom", "mle": "exact maximum likelihood"}.get(args["fit"], args["fit"])
        zeros = {"mixed": "", "center_of_mass": ", zeros at the centre of their probability mass (H = q/2)"}.get(
            args["zero_handling"], f", zero handling {args['zero_handling']}")
        inverse = {"exact": "", "abramowitz_stegun": ", Abramowitz-Stegun inverse normal"}.get(
            args["inverse_normal"], f", inverse normal {args['inverse_normal']}")
        ctx.choose("SO3-1", "D5", f"SPI-{scale} of month {month}, gamma ({fit}) per calendar month{zeros}{inverse}, "
                   f"calibration {cal}, clip ±{args['clip']}.")
        ctx.record("SO3-1", "drought index", "SPI computed from input precipitation")
    return annual_spi(values, month=month), precip.rio.crs, f"{label}-{scale}, {mname}"


def _official_denominator(table: Any, official: float, *, dim: str = "year", area_rows: bool = True) -> Any:
    """SO3-1's national table with the official land area as the denominator (D3): percentages of the class and
    any-drought rows recomputed, and (*area_rows*) per *dim* label an ``official land area`` row beside the pixel
    land area."""
    import pandas as pd

    out = table.copy()
    rows = out["kind"].isin(["class", "any_drought"])
    out.loc[rows, "percent_of_land"] = 100.0 * out.loc[rows, "area_km2"] / official
    if not area_rows:
        return out
    extra = pd.DataFrame([{dim: y, "kind": "official land area", "area_km2": official} for y in out[dim].unique()])
    return pd.concat([out, extra], ignore_index=True).sort_values(dim, kind="stable").reset_index(drop=True)


def _run_so3_hazard(ctx: Context) -> None:
    from ..so3.hazard import epoch_most_severe
    from ..so3.hazard_tables import drought_zonal_area_table

    fw = ctx.framework
    args = fw.binding_arguments("SO3-1.spi")
    plan = drought_index_plan(ctx.config.inputs, ctx.params("SO3-1", "spi"))
    drought = fw.edition_spec().drought
    annual, crs, what = _annual_drought_index(ctx, plan, args)
    years = [int(y) for y in annual["year"].values if drought.years[0] <= int(y) <= drought.years[1]]
    missing = sorted(set(range(drought.years[0], drought.years[1] + 1)) - set(years))
    if missing:
        raise InputError(f"SO3-1: the {what} has no value for the reporting years {missing}; give an index covering "
                         f"{drought.years[0]}-{drought.years[1]}")
    annual = annual.sel(year=years)
    k = drought_classification(ctx)
    ctx.choose("SO3-1", "D6", "A value on a class boundary goes to the "
               + ("more severe class." if k["right_closed"] else "milder class."))
    if ctx.has("pet") and not plan.extension and not (plan.index == "spei" and not plan.precomputed):
        ctx.record("SO3-1", "inputs.pet", "not read: the SPEI is computed from precipitation and pet only when "
                   "inputs.precipitation is given and no precomputed SPEI is")
    meanings = [k["names"][c] for c in sorted(k["codes"])]
    classify = ctx.metric_function("SO3-1.land_under_drought")  # hazard.drought_hazard_classes (its spec binding)
    classes = classify(annual, breaks=k["breaks"], codes=k["codes"], right_closed=k["right_closed"], meanings=meanings,
                       nodata=k["nodata"], dtype=k["dtype"])
    classes = classes.rio.write_crs(crs).rio.write_nodata(k["nodata"], encoded=False)
    (classes,) = ctx.compute(classes)  # on the index's own (coarse) grid
    # onto the common grid (the population / land-cover grid), as the manual does for the default data: lazily,
    # block by block, so a fine national grid is never held whole (drought_exposure.resampling: nearest)
    from ..grid_resample import resample_nearest

    fine = resample_nearest(ctx.reference(), classes)
    # the same classes as their factors (climate cell of each fine cell, classes per climate cell): SO3-2 sums each
    # population grid per climate cell once and looks every year up, instead of one pass over the fine grid per year
    ctx.shared["drought_cells"] = NearestCells.of(ctx.reference(), classes)
    ctx.record("SO3-1", "drought_exposure.resampling", fw.parameters("drought_exposure").resampling)
    fine.attrs.update({a: classes.attrs[a] for a in ("flag_values", "flag_meanings", "long_name", "units") if a in classes.attrs})
    fine.attrs["_FillValue"] = k["nodata"]
    dc = ctx.params("SO3-1", "drought_classes")
    if dc.land_denominator == "land_area":
        land = so3_land_mask(ctx, "SO3-1", years)
    else:  # all_cells (Trends.Earth): inland water is counted in the classes and in the denominator
        land = None
        ctx.choose("SO3-1", "D3", "Denominator: every cell inside the boundary, inland water included "
                   "(drought_classes.land_denominator: all_cells, as Trends.Earth).")
    boundary, admin = ctx.polygons(fine.rio.crs)
    codes_table = [c for c in sorted(k["codes"]) if c not in k["drought_codes"]] + sorted(k["drought_codes"])
    # the national table counts the cells whose centre is inside the boundary, as SO1-1.T1 does, so that SO3-1's land
    # is the land of SO1-1.T1 (D3: the denominator comes from there); per-unit tables use exact coverage (D4)
    national = drought_zonal_area_table(fine, boundary, codes=codes_table, drought_codes=k["drought_codes"],
                                        meanings=[k["names"][c] for c in codes_table], nodata=k["nodata"], land_mask=land,
                                        method="centre", cells=ctx.shared["drought_cells"])
    national = national[national["level"] == "national"].drop(columns=["level", "unit"])
    la = ctx.params("SO3-1", "land_area")
    official = ctx.config.country.land_area_km2 or (la.official.value if la.official else None)
    if official is not None:
        national = _official_denominator(national, float(official))
        ctx.choose("SO3-1", "D3", f"Denominator: the official land area, {float(official):,.1f} km²; the area from the "
                   "pixels is reported beside it.")
    ctx.shared["drought_classes"] = fine
    ctx.shared["drought"] = k
    legend = legend_entries(k["legend"])
    # the maps keep the index's own cells (over the common grid's extent): each is one class per climate cell, and the
    # common grid's copy of it holds nothing more (D32)
    ctx.add_raster(RasterOutput("SO3-1", "drought_class", f"Drought intensity class per year ({what}), on its own grid",
                                _own_cells(classes, fine, ctx.reference()), legend=legend))
    note = [f"Drought classes of the {what}."]
    t1 = national[national["kind"].isin(["class", "water", "nodata", "official land area"])][["year", "kind", "class", "class_name", "area_km2", "percent_of_land"]]
    ctx.add_table(Table("SO3-1.T1", "Land area per drought intensity class (km² and % of land)", t1,
                        units={"area_km2": "km**2", "percent_of_land": "percent"}, notes=note))
    t2 = national[national["kind"] == "any_drought"][["year", "area_km2", "percent_of_land"]]
    ctx.add_table(Table("SO3-1.T2", "Land under drought, any intensity (km² and % of land)", t2,
                        units={"area_km2": "km**2", "percent_of_land": "percent"}, notes=note))
    if admin is not None:
        a = ctx.config.country.admin_units
        per_unit = drought_zonal_area_table(fine, admin, codes=codes_table, drought_codes=k["drought_codes"],
                                            meanings=[k["names"][c] for c in codes_table], nodata=k["nodata"], land_mask=land,
                                            id_field=a.id_field, name_field=a.name_field, method=coverage_rule(ctx),
                                            cells=ctx.shared["drought_cells"])
        per_unit = per_unit[(per_unit["level"] == "unit") & per_unit["kind"].isin(["class", "any_drought"])]
        cols = [c for c in ("year", "unit", "name", "kind", "class", "class_name", "area_km2", "percent_of_land",
                            "unit_land_area_km2") if c in per_unit.columns]
        ctx.add_table(Table("SO3-1.units", "Land per drought intensity class and under any drought, per administrative unit",
                            per_unit[cols],
                            units={"area_km2": "km**2", "percent_of_land": "percent", "unit_land_area_km2": "km**2"}))
    # four-year maps (D7)
    epochs = [tuple(e) for e in drought.epochs]
    coarse_ep = epoch_most_severe(classes, epochs=epochs, severity=k["severity"], nodata=k["nodata"])
    coarse_ep = coarse_ep.rio.write_crs(classes.rio.crs)
    # the epochs on the common grid are the coarse epochs looked up: the lookup takes each fine cell's source cell and
    # the most severe class is per cell, so the two commute; one lookup per block instead of one per year of the epoch
    ep = resample_nearest(ctx.reference(), coarse_ep).assign_coords(
        {c: ("epoch", coarse_ep[c].values) for c in ("epoch_start", "epoch_end") if c in coarse_ep.coords})
    ep.attrs = dict(coarse_ep.attrs)  # epoch_most_severe's own (no "aligned_to", as before)
    ep = ep.rio.write_crs(fine.rio.crs)
    ctx.choose("SO3-1", "D7", "Four-year maps: the most severe class of each cell over all four years of each epoch.")
    ctx.add_raster(RasterOutput("SO3-1", "drought_class_epochs", "Most severe drought class per four-year epoch, on the "
                                "index's own grid", _own_cells(coarse_ep, ep, ctx.reference()), legend=legend))
    ctx.shared["drought_epochs"] = ep
    ctx.shared["drought_epoch_cells"] = ctx.shared["drought_cells"].with_source(coarse_ep)
    labels = [str(v) for v in ep["epoch"].values]
    ep_land = None
    if dc.land_denominator == "land_area":
        ep_land = so3_land_mask(ctx, "SO3-1", labels, dim="epoch",
                                 first_years={lab: int(f) for lab, f in zip(labels, ep["epoch_start"].values)})
    by_epoch = drought_zonal_area_table(ep, boundary, codes=codes_table, drought_codes=k["drought_codes"],
                                        meanings=[k["names"][c] for c in codes_table], nodata=k["nodata"],
                                        land_mask=ep_land, dim="epoch", method="centre", cells=ctx.shared["drought_epoch_cells"])
    by_epoch = by_epoch[(by_epoch["level"] == "national") & by_epoch["kind"].isin(["class", "any_drought", "water", "nodata"])]
    if official is not None:
        by_epoch = _official_denominator(by_epoch, float(official), dim="epoch", area_rows=False)
    cols = [c for c in ("epoch", "kind", "class", "class_name", "area_km2", "percent_of_land") if c in by_epoch.columns]
    ctx.add_table(Table("SO3-1.epochs", "Land per drought intensity class, most severe class of each four-year epoch (D7)",
                        by_epoch[cols], units={"area_km2": "km**2", "percent_of_land": "percent"}, notes=note))
    so3_trend_table(ctx, "SO3-1", national, value="percent_of_land", filters={"kind": "any_drought"},
                     what="percent of land under drought (any intensity)")
    # chart: land under each drought class, per year
    drought_rows = t1[t1["kind"] == "class"]
    data = drought_rows.pivot_table(index="year", columns="class", values="area_km2", aggfunc="sum")
    data = data[[c for c in sorted(k["drought_codes"]) if c in data.columns]]
    colors = [next(e.color for e in legend if e.code == c) for c in data.columns]
    data.columns = [k["names"][c] for c in data.columns]
    ctx.add_chart(Chart("SO3-1", f"Land under drought per intensity class ({what})", data, ylabel="km²", kind="stacked",
                        colors=colors))
    if plan.extension:
        _so3_spei_extension(ctx, args, years, land)


def _own_cells(coarse: Any, fine: Any, reference: Any) -> Any:
    """A map of SO3-1 on the drought index's own grid, over the common grid's extent (D32), with the attributes of its
    copy on the common grid (legend, long name, nodata)."""
    from ..grid_resample import covering_cells

    out = covering_cells(coarse, reference)
    out.attrs = {k: v for k, v in fine.attrs.items() if k != "aligned_to"}
    return out.rio.write_nodata(fine.rio.nodata, encoded=False)


def _so3_spei_extension(ctx: Context, args: Mapping[str, Any], years: Sequence[int], land: Any) -> None:
    """The SPEI beside the SPI (``spi.index: spi`` with inputs precipitation and pet): each year's map of the
    spec month's SPEI on the precipitation grid, and its annual mean over the country's land.

    The drought classes stay the SPI's; PRAIS22 §3.1 allows the SPEI, especially in arid areas.  The mean is over
    the cells of the common grid whose centre lies inside the boundary, on land (D3), weighted by cell area (D4).
    """
    import calendar

    import numpy as np
    import pandas as pd

    from ..grid import cell_area
    from ..grid_resample import resample_nearest
    from ..so3.hazard import annual_spi

    if module_missing(["indicators.so3.spei"]):
        ctx.record("SO3-1", "SPEI (extension)", "not computed: module indicators.so3.spei is not in this version")
        return
    month, scale = int(args["month"]), int(args["scale"])
    mname = calendar.month_name[month]
    precip = monthly_water(ctx, "precipitation")
    values = compute_spei(ctx, precip)
    annual = annual_spi(values, month=month).sel(year=list(years)).astype("float32")
    annual = annual.rio.write_crs(precip.rio.crs).rio.write_nodata(np.nan, encoded=False)
    ref = ctx.reference()
    fine = resample_nearest(ref, annual)  # the drought classes' rule (drought_exposure.resampling)
    inside = inside_boundary(ctx)
    weight = cell_area(ref).broadcast_like(inside).where(inside, 0.0)
    if land is not None:
        weight = weight.where(land, 0.0)
    weight = weight.where(fine.notnull(), 0.0)
    num = (fine.fillna(0.0) * weight).sum(("y", "x"))
    den = weight.sum(("y", "x"))
    annual, num, den = ctx.compute(annual, num, den)
    annual.attrs.update(long_name=f"SPEI-{scale}, {mname} (extension; the drought classes are the SPI's)", units="1")
    ctx.add_raster(RasterOutput("SO3-1", "spei", f"SPEI-{scale}, {mname} (extension)", annual, units="SPEI"))
    num = np.asarray(num, dtype="float64")
    den = np.asarray(den, dtype="float64")
    frame = pd.DataFrame({"year": [int(y) for y in years], "spei_mean": np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan),
                          "land_area_km2": den})
    ctx.add_table(Table("SO3-1.spei", f"SPEI (extension): SPEI-{scale}, {mname}, mean over the country's land", frame,
                        units={"spei_mean": "1", "land_area_km2": "km**2"},
                        notes=["An extension (PRAIS22 §3.1 allows the SPEI, especially in arid areas): the drought classes "
                               "and SO3-1.T1/T2 are the SPI's.",
                               f"SPEI from precipitation minus potential evapotranspiration, "
                               f"{values.attrs.get('distribution', 'log-logistic')} per calendar month, calibration "
                               f"{args['calibration'][0]}-{args['calibration'][1]}.",
                               "Mean over the land cells of the common grid whose centre lies inside the boundary, weighted "
                               "by cell area; land_area_km2 is the area with a valid SPEI."]))
    ctx.record("SO3-1", "SPEI (extension)", "computed from inputs precipitation and pet (tables SO3-1.spei, raster spei)")


STAGE = Stage("so3_hazard", "SO3-1 drought hazard (SPI or SPEI, classes, areas)", ("SO3-1",),
              ("indicators.so3.spi", "indicators.so3.hazard", "indicators.summarize"), hazard_needs, _run_so3_hazard,
              check=hazard_check, inputs=("precipitation", "pet", "drought_index", *Context.GRID_INPUTS, "land_cover_national"),
              tables=("SO3-1.T1", "SO3-1.T2", "SO3-1.units", "SO3-1.epochs", "SO3-1.trend", "SO3-1.spei"))

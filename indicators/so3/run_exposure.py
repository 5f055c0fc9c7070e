"""The SO3-2 stage: population exposed to drought, per year and per epoch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..config.loading import LoadedConfig
from ..config.paths import input_files
from ..config.schema import InputSpec
from ..country_profile import add_population_profile
from ..errors import IndicatorsError, InputError
from ..report.model import Chart, RasterOutput
from ..report.tables import Table
from ..stage import Context, Need, Stage
from ..stage_helpers import coverage_rule, inside_values, legend_entries, outside_as_nan
from .run_common import so3_land_mask, so3_trend_table


def _so3_exposure_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    if "population_total" not in inputs and not ("population_female" in inputs and "population_male" in inputs):
        return "input population_total (or population_female and population_male) not in the run configuration"
    years: tuple[int, ...] = ()
    why = ""
    drought = fw.edition_spec().drought
    if fw.parameters("drought_exposure").population_year_fill == "none":  # every drought year needs its own grid
        years = tuple(range(drought.years[0], drought.years[1] + 1))
        why = "every drought year: the specs' drought_exposure.population_year_fill is 'none'"
    needs = [Need("population_total", "raster", "person", years, why=why)] if "population_total" in inputs else []
    # the four-year maps read each sex for the year they read the total (the epoch's, from the total's years)
    total_years = inputs["population_total"].listed_years() if "population_total" in inputs else []
    epoch_years = tuple(_epoch_population_year(total_years, int(a), int(b), "nearest")
                        for a, b in drought.epochs) if total_years else ()
    sex_why = "; ".join(w for w in (why, "the population_total year of each four-year epoch" if epoch_years else "") if w)
    needs += [Need(n, "raster", "person", years + epoch_years, why=sex_why)
              for n in ("population_female", "population_male") if n in inputs]
    if "population_national" in inputs:
        needs.append(Need("population_national", "table", "person", same_grid=False))
    return needs


#: the values of population_national's sex column (any case, spaces around allowed)
_SEXES = ("total", "female", "male")


def _read_national_population(loaded: LoadedConfig, fw: Any) -> tuple[Any, Path]:
    """Input population_national as read (columns checked, values against the declared plausibility)."""
    import pandas as pd

    from ..stage_tables import check_input_table

    files = input_files(loaded, "population_national", loaded.config.inputs["population_national"])
    path = next(iter(files.values()))
    t = pd.read_csv(path, comment="#")
    missing = {"year", "sex", "population"} - set(t.columns)
    if missing:
        raise InputError(f"inputs.population_national: {path.name} lacks column(s) {sorted(missing)} (need year, sex, population[, unit])")
    for col in ("year", "population"):  # a word where a number belongs: refused here, not a ValueError in the run
        num = pd.to_numeric(t[col], errors="coerce")
        bad = num.isna() & t[col].notna()
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise InputError(f"inputs.population_national: {path.name}, data row {i + 1} (year {t['year'].iloc[i]!r}), "
                             f"column {col!r}: {t[col].iloc[i]!r} is not a number; enter a plain number (no units or "
                             "thousands separators)")
        t[col] = num
    sex = t["sex"].map(lambda v: str(v).strip().lower() if isinstance(v, str) else v)
    bad = ~sex.isin(_SEXES)
    if bad.any():  # an unknown value would be left out of CP-1.T2 and the percentages by sex without a word
        i = int(bad.to_numpy().argmax())
        raise InputError(f"inputs.population_national: {path.name}, data row {i + 1} (year {t['year'].iloc[i]:g}), "
                         f"column 'sex': {t['sex'].iloc[i]!r} is not one of {list(_SEXES)}; write the row's sex as "
                         "one of them")
    twice = pd.DataFrame({"year": t["year"], "sex": sex}).duplicated()
    if twice.any():  # the later row would replace the earlier one
        i = int(twice.to_numpy().argmax())
        raise InputError(f"inputs.population_national: {path.name}, data row {i + 1}: year {t['year'].iloc[i]:g} and "
                         f"sex {sex.iloc[i]!r} appear twice; keep one row for each year and sex")
    t["sex"] = sex
    values = t[["year", "population"]].copy()
    values.attrs["source"] = str(path)
    t.attrs["warnings"] = check_input_table(loaded, fw, "population_national", values)
    return t, path


def _so3_exposure_check(loaded: LoadedConfig, fw: Any) -> list[str]:
    """--check and the run's prepare: the national population table reads and is plausible."""
    if "population_national" not in loaded.config.inputs:
        return []
    try:
        t, _ = _read_national_population(loaded, fw)
    except IndicatorsError as exc:
        return [str(exc)]
    return list(t.attrs["warnings"])  # the warnings the specs allow (InputWarning)


def _national_population(ctx: Context) -> dict[int, dict[str, float]] | None:
    """National population totals by year and sex (CP-1.T2) from input population_national, in persons."""
    if not ctx.has("population_national"):
        return None
    from ..units import conversion_factor

    t, path = _read_national_population(ctx.loaded, ctx.framework)
    out: dict[int, dict[str, float]] = {}
    for row in t.itertuples(index=False):
        unit = getattr(row, "unit", None) or ctx.spec("population_national").units or "person"
        out.setdefault(int(row.year), {})[str(row.sex).strip().lower()] = float(row.population) * conversion_factor(
            str(unit), "person", where=f"inputs.population_national ({path.name})")
    return out


def _run_so3_exposure(ctx: Context) -> None:
    fw = ctx.framework
    k = ctx.shared["drought"]
    classes = ctx.shared["drought_classes"]
    exp = ctx.params("SO3-2", "drought_exposure")
    key = fw.edition_spec().sex_percentage if exp.sex_percentage == "edition" else exp.sex_percentage
    sex = {"share_of_sex_total": "2026", "share_within_exposed": "2022"}[key]
    ctx.record("SO3-2", "sex_percentage", sex)
    pops = {n: inside_values(ctx, ctx.raster(n)) for n in ("population_total", "population_female", "population_male")
            if ctx.has(n)}
    for v in pops.values():
        v.attrs["units"] = "person"
    codes = [c for c in sorted(k["codes"]) if c not in k["drought_codes"]] + sorted(k["drought_codes"])
    land = so3_land_mask(ctx, "SO3-2", [int(y) for y in classes["year"].values])
    a = ctx.config.country.admin_units
    _, admin = ctx.polygons(classes.rio.crs)
    zonal = None
    if admin is not None and "population_total" in pops:
        from ..so3.exposure import drought_exposure_zonal

        # the per-unit sums first: by the pixel-centre rule their pass also sums each population grid per climate
        # cell (summarize_cells._centre_cell_sums), which the national tables below look up: each grid decoded once
        # for both (issue 16)
        zonal = drought_exposure_zonal(classes, pops.get("population_total"), admin, codes=codes,
                                       drought_codes=k["drought_codes"], nodata=k["nodata"],
                                       meanings=[k["names"][c] for c in codes], female=pops.get("population_female"),
                                       male=pops.get("population_male"), sex_percentage=sex, land_mask=land,
                                       water_population=exp.water_population, id_field=a.id_field, name_field=a.name_field,
                                       population_year_fill=exp.population_year_fill, method=coverage_rule(ctx),
                                       cells=ctx.shared.get("drought_cells"))
    drought_exposure = ctx.metric_function("SO3-2.population_exposed")  # exposure.drought_exposure (its spec binding)
    tab = drought_exposure(classes, pops.get("population_total"), codes=codes, drought_codes=k["drought_codes"],
                           nodata=k["nodata"], meanings=[k["names"][c] for c in codes], female=pops.get("population_female"),
                           male=pops.get("population_male"), sex_percentage=sex, population_totals=_national_population(ctx),
                           land_mask=land, water_population=exp.water_population,
                           population_year_fill=exp.population_year_fill, cells=ctx.shared.get("drought_cells"))
    tab.attrs = {}
    add_population_profile(ctx, _national_population(ctx))  # CP-1.T2 (2026 edition; indicators/country_profile.py)
    ctx.choose("SO3-2", "D8", "Percentages by sex: " + ("exposed women / all women (2026 definition)." if sex == "2026"
                                                       else "share of each sex among the exposed (2022 definition)."))
    units = {"population": "person", "percent": "percent", "percent_2026": "percent", "percent_2022": "percent"}
    note = "Population grid of the nearest available year (ties: the later); people outside the boundary are left out."
    for tid, group, title in (("SO3-2.T1", "total", "Population exposed to drought, per intensity class (total)"),
                              ("SO3-2.T2", "female", "Female population exposed to drought, per intensity class"),
                              ("SO3-2.T3", "male", "Male population exposed to drought, per intensity class")):
        part = tab[tab["group"] == group].drop(columns=["group"])
        if not part.empty:
            ctx.add_table(Table(tid, title, part, units=units, notes=[note]))
    if zonal is not None:
        zonal = zonal[zonal["level"] == "unit"].drop(columns=["level"]) if "level" in zonal.columns else zonal
        zonal.attrs = {}
        ctx.add_table(Table("SO3-2.units", "Population exposed to drought per administrative unit (total, female, male)",
                            zonal, units=units, notes=[note, "Percentages use each unit's own population from the grid."]))
    if "population_total" in pops:
        so3_trend_table(ctx, "SO3-2", tab, value="percent", filters={"kind": "any_drought", "group": "total"},
                         what="percent of the population exposed to drought (any intensity)")
    # four-year maps (D7): people in the cells of each epoch's most-severe-class map, with the epoch's most recent population
    ep = ctx.shared.get("drought_epochs")
    if ep is not None and "population_total" in pops:
        _so3_epoch_exposure(ctx, ep, pops, k, codes=codes, sex=sex, exp=exp, units=units)
    anyd = tab[tab["kind"] == "any_drought"].pivot_table(index="year", columns="group", values="percent", aggfunc="first")
    ctx.add_chart(Chart("SO3-2", "Population exposed to drought (any intensity)", anyd, ylabel="% of the population"))
    per = tab[(tab["group"] == "total") & (tab["kind"] == "class") & tab["class"].isin(k["drought_codes"])]
    data = per.pivot_table(index="year", columns="class", values="population", aggfunc="sum")
    legend = {e.code: e for e in legend_entries(k["legend"])}
    ctx.add_chart(Chart("SO3-2", "People exposed per drought intensity class", data.rename(columns=lambda c: k["names"][c]),
                        ylabel="persons", kind="stacked", colors=[legend[c].color for c in data.columns]))


def _epoch_population_year(available: Sequence[int], first: int, last: int, fill: str) -> int:
    """The population year of the epoch [first, last]: :func:`indicators.so3.exposure.epoch_population_year`
    (PRAIS22 §3.2 Step 4), whose fill from outside the epoch needs ``population_year_fill: nearest``."""
    from ..so3.exposure import epoch_population_year

    year, how = epoch_population_year(first, last, available)
    if how != "inside the epoch" and fill != "nearest":
        raise InputError(f"inputs.population_total: no population map in the epoch {first}-{last} and the specs' "
                         f"drought_exposure.population_year_fill is {fill!r}; add one (available: "
                         f"{sorted(int(y) for y in available)}) or use 'nearest'")
    return year


def _so3_epoch_exposure(ctx: Context, ep: Any, pops: Mapping[str, Any], k: Mapping[str, Any], *, codes: Sequence[int],
                        sex: str, exp: Any, units: Mapping[str, str]) -> None:
    """SO3-2 four-year exposure maps (rasters) and their table, one population grid per epoch."""
    import pandas as pd
    import xarray as xr

    from ..so3.exposure import epoch_exposure_map

    available = [int(v) for v in pops["population_total"]["year"].values]
    maps, frames, used = [], [], {}
    for label, first, last in zip(ep["epoch"].values, ep["epoch_start"].values if "epoch_start" in ep.coords else
                                  [int(str(v).split("-")[0]) for v in ep["epoch"].values], ep["epoch_end"].values):
        year = _epoch_population_year(available, int(first), int(last), exp.population_year_fill)
        used[str(label)] = year
        one = ep.sel(epoch=[label])
        layer = {n: v.sel(year=year, drop=True) for n, v in pops.items()}
        maps.append(epoch_exposure_map(one, layer["population_total"], drought_codes=k["drought_codes"], nodata=k["nodata"]))
        t = ctx.metric_function("SO3-2.population_exposed")(one, layer.get("population_total"), codes=codes, drought_codes=k["drought_codes"], nodata=k["nodata"],
                             meanings=[k["names"][c] for c in codes], female=layer.get("population_female"),
                             male=layer.get("population_male"), sex_percentage=sex,
                             land_mask=so3_land_mask(ctx, "SO3-2", [str(label)], dim="epoch", first_years={str(label): int(first)}),
                             water_population=exp.water_population, dim="epoch", cells=ctx.shared.get("drought_epoch_cells"))
        t["population_year"] = year
        frames.append(t)
    emap = xr.concat(maps, dim="epoch", coords="minimal", compat="override").drop_vars("population_year", errors="ignore")
    # lazy: the writer computes one epoch's map at a time (the whole stack of a fine grid would not fit)
    emap = outside_as_nan(ctx, emap).astype("float32").rio.write_crs(ep.rio.crs)
    emap.attrs.update(long_name="population exposed to drought (most severe class of the epoch)", units="person")
    ctx.record("SO3-2", "epoch population years", used)
    ctx.add_raster(RasterOutput("SO3-2", "population_exposed_epochs",
                                "People in drought cells of each four-year epoch (most severe class; the epoch's most recent population)",
                                emap, units="persons"))
    etab = pd.concat(frames, ignore_index=True)
    etab.attrs = {}
    etab["epoch"] = etab["epoch"].astype(str)
    ctx.add_table(Table("SO3-2.epochs", "Population exposed per drought class in each four-year epoch (most severe class)",
                        etab, units=dict(units), notes=["Each epoch uses its most recent population grid: the latest inside the "
                                                       "epoch, else the latest before it (population_year_fill: nearest)."]))
    ctx.choose("SO3-2", "D7", "Four-year exposure maps: the population of each epoch's most recent population grid in the "
               "cells of the epoch's most-severe-class map.")


STAGE = Stage("so3_exposure", "SO3-2 population exposed to drought", ("SO3-2",), ("indicators.so3.exposure",),
              _so3_exposure_needs, _run_so3_exposure, after=("so3_hazard",), check=_so3_exposure_check,
              inputs=("population_total", "population_female", "population_male", "population_national"),
              # CP-1.T2 (national population) when the edition declares it
              tables=("SO3-2.T1", "SO3-2.T2", "SO3-2.T3", "SO3-2.units", "SO3-2.epochs", "SO3-2.trend", "CP-1.T2"))

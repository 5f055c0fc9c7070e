"""The SO2 stages: SO2-1/SO2-2 national statistics (tables) and SO2-3 population exposed to land degradation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..config.schema import InputSpec
from ..errors import IndicatorsError
from ..report.model import Chart
from ..report.tables import Table
from . import run_tables
from ..stage import Context, Need, Stage
from ..stage_helpers import coverage_rule, inside_values, pending_call
from ..stage_tables import (add_frames, edition_span, input_table, series_args, series_chart, series_params, tables_check,
                            trend_args)


SO2_TABLES = ("so2_1_poverty", "so2_2_water")


def _so2_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    have = [n for n in ("so2_1_poverty", "so2_2_water") if n in inputs]
    return [Need(n, "table", same_grid=False) for n in have] or "inputs so2_1_poverty / so2_2_water not in the run configuration"


def _so2_input_skips(loaded: Any, fw: Any) -> dict[str, str]:
    """SO2-1 without its table so2_1_poverty, SO2-2 without so2_2_water (the stage runs for the other one): what the
    plan, ``--check`` and the run skip (Stage.data_skips)."""
    inputs = loaded.config.inputs
    return {code: f"input {name} not in the run configuration"
            for code, name in (("SO2-1", "so2_1_poverty"), ("SO2-2", "so2_2_water")) if name not in inputs}


def _table_args(fw: Any, name: str) -> dict[str, Any]:
    """The arguments of the SO2 table input *name*'s checks and computation, from the specs: the series rule
    (:func:`~indicators.stage_tables.series_args`) and, for SO2-1, the edition's poverty line and PPP year."""
    args = series_args(fw)
    if name == "so2_1_poverty":
        args.update(fw.binding_arguments("SO2-1.poverty"))
    return args


def _checked(name: str) -> Any:
    """The computation's own checks of table input *name* (people.checked_*_table), for the stage check."""
    from .people import checked_poverty_table, checked_water_table

    fn = checked_poverty_table if name == "so2_1_poverty" else checked_water_table
    return lambda loaded, fw, table: fn(table, **_table_args(fw, name))


def _run_so2_tables(ctx: Context) -> None:
    """Each metric through its spec binding (:meth:`~indicators.stage.Context.metric_function`: the bound function
    with its spec arguments, e.g. SO2-1's poverty line), given the table and the series rule."""
    fw = ctx.framework
    years = edition_span(fw)
    if ctx.has("so2_1_poverty"):
        p = series_params(ctx, "SO2-1")
        args = _table_args(fw, "so2_1_poverty")
        for name in ("poverty_line_usd_per_day", "ppp_year"):
            if name in args:  # (a rebound SO2-1.poverty may take neither)
                ctx.record("SO2-1", name, args[name])
        ctx.record("SO2-1", "years", list(years))
        table = input_table(ctx.loaded, fw, "so2_1_poverty", table_schema)
        out = ctx.metric_function("SO2-1.poverty")(table, **series_args(fw), **trend_args(p))
        add_frames(ctx, "SO2-1", _split_poverty_gini(out))
        series_chart(ctx, "SO2-1", out["series"], ["below_poverty_line_pct"], "Population below the poverty line", "%", by="scope")
    if ctx.has("so2_2_water"):
        p = series_params(ctx, "SO2-2")
        ctx.record("SO2-2", "years", list(years))
        table = input_table(ctx.loaded, fw, "so2_2_water", table_schema)
        out = ctx.metric_function("SO2-2.safe_drinking_water")(table, **_table_args(fw, "so2_2_water"), **trend_args(p))
        add_frames(ctx, "SO2-2", out)
        cols = [c for c in ("safely_managed_water_total_pct", "safely_managed_water_urban_pct", "safely_managed_water_rural_pct")
                if c in out["series"].columns]
        series_chart(ctx, "SO2-2", out["series"], cols, "Safely managed drinking water", "%", by="scope")


def _split_poverty_gini(out: Mapping[str, Any]) -> dict[str, Any]:
    """SO2-1's series as PRAIS has it: the poverty share (T1) and the Gini index (T2, when given) apart."""
    frames = dict(out)
    series = frames.pop("series")
    keys = [c for c in ("scope", "year") if c in series.columns]
    gini = [c for c in series.columns if c.startswith("gini")]
    poverty = series.drop(columns=gini)
    poverty.attrs = dict(series.attrs)
    split = {"poverty": poverty}
    if gini and series[gini].notna().any().any():
        g = series[keys + gini].dropna(subset=gini, how="all")
        g.attrs = dict(series.attrs)
        split["gini"] = g
    return {**split, **frames}


def _so23_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    """The population maps, each with the years the run reads (:func:`_population_years`): a year a period needs
    and a map lacks is refused by the input checks (``--check`` and the run), not met while computing."""
    if "population_total" not in inputs:
        return "input population_total not in the run configuration"
    years = tuple(_population_years(inputs["population_total"].listed_years(), fw).values())
    fill = fw.parameters("drought_exposure").population_year_fill
    why = ("the population of each period's last year: the specs' drought_exposure.population_year_fill is "
           f"{fill!r}, 'nearest' takes the nearest year given" if fill != "nearest" else
           "the population of each period's last year, or the nearest year population_total gives")
    return [Need(n, "raster", "person", years, why=why)
            for n in ("population_total", "population_female", "population_male") if n in inputs]


def _population_year(available: Sequence[int], year: int, fill: str) -> int:
    """The population year read for *year*: itself, or with ``population_year_fill: nearest`` the nearest available
    (ties: the later; :func:`indicators.so3.exposure.nearest_population_year`, SO3-2's rule)."""
    if fill == "nearest" and len(available):
        from ..so3.exposure import nearest_population_year

        return nearest_population_year(year, available)
    return int(year)


def _population_years(available: Sequence[int], fw: Any) -> dict[str, int]:
    """The population year of each period (its last year, or the nearest available with the specs'
    ``drought_exposure.population_year_fill: nearest``), for every population map: the stage's needs and its run."""
    fill = fw.parameters("drought_exposure").population_year_fill
    return {p.id: _population_year(available, p.years[1], fill) for p in fw.periods()}


def _run_so23(ctx: Context) -> None:
    import pandas as pd

    from ..summarize import compute_tables

    fw = ctx.framework
    exp = ctx.params("SO2-3", "drought_exposure")
    basis = {"share_of_sex_total": "own_total", "share_within_exposed": "exposed"}[
        fw.edition_spec().sex_percentage if exp.sex_percentage == "edition" else exp.sex_percentage]
    ctx.record("SO2-3", "sex_percent_basis", basis)
    pops = {n: ctx.raster(n) for n in ("population_total", "population_female", "population_male") if ctx.has(n)}
    _, admin = ctx.polygons(ctx.reference().rio.crs)
    a = ctx.config.country.admin_units
    frames = []
    exposed = ctx.metric_function("SO2-3.population_exposed")  # land_degradation_exposure.population_exposed_to_degradation
    used = _population_years([int(v) for v in pops["population_total"]["year"].values], fw)
    # every period's table in one pass: periods that read the same population year decode its grids once
    layers: dict[int, dict[str, Any]] = {}
    pending = []
    for p in ctx.shared["periods"]:
        year = used[p.id]
        layer = layers.setdefault(year, {k: inside_values(ctx, v.sel(year=year, drop=True)) for k, v in pops.items()})
        pending.append(pending_call(exposed, ctx.shared["sdg"][p.id], layer["population_total"],
                                    population_female=layer.get("population_female"),
                                    population_male=layer.get("population_male"), sex_percent_basis=basis, units=admin,
                                    method=coverage_rule(ctx), id_field=a.id_field if a else None))
    for p, t in zip(ctx.shared["periods"], compute_tables(*pending)):
        t.insert(0, "population_year", used[p.id])
        t.insert(0, "period", p.id)
        frames.append(t)
    tab = pd.concat(frames, ignore_index=True)
    tab.attrs = {}
    ctx.add_table(Table("SO2-3.T1", "Population on degraded, stable and improved land, by sex", tab,
                        units={"population": "person", "female": "person", "male": "person", "percent": "percent",
                               "percent_female": "percent", "percent_male": "percent"},
                        notes=[f"Population of each period's last year (population_year_fill: {exp.population_year_fill}).",
                               "Degraded, stable and improved land as in SO1-4.T1: for a reporting period its status against "
                               "the baseline (degraded = status 1-3), for the baseline the baseline assessment."]))
    run_tables.add_sex_tables(ctx, tab, "Percentages by sex: see SO2-3.T1's basis (D8).")  # T2/T3 (indicators/so2/run_tables.py)
    ctx.choose("SO2-3", "D8", "Percentages by sex: " + ("exposed women / all women (2026)" if basis == "own_total"
                                                       else "share of each sex among the exposed (2022)") + ".")
    nat = tab[(tab["level"] == "national") & (tab["class"] == "degraded")].set_index("period")
    cols = [c for c in ("percent", "percent_female", "percent_male") if c in nat.columns]
    ctx.add_chart(Chart("SO2-3", "Population on degraded land", nat[cols], ylabel="% of the population"))


def table_schema(fw: Any, name: str) -> Any:
    """The schema (columns, types, ranges from the specs) of the SO2 table input *name*."""
    from .people import poverty_table_schema, water_table_schema

    rng = tuple(fw.parameters("series").percent_range)
    if name == "so2_1_poverty":
        return poverty_table_schema(rng)
    if name == "so2_2_water":
        return water_table_schema(rng)
    raise IndicatorsError(f"internal: no table schema for input {name!r}")


#: SO2-1 and SO2-2 from national statistics (tables)
NATIONAL_STATISTICS = Stage("so2_tables", "SO2-1, SO2-2 national statistics", ("SO2-1", "SO2-2"), ("indicators.so2.people",),
                            _so2_needs, _run_so2_tables, data_skips=_so2_input_skips,
                            check=tables_check(SO2_TABLES, table_schema, {n: _checked(n) for n in SO2_TABLES}), inputs=SO2_TABLES,
                            # stage_tables.PRAIS_TABLE_IDS names the frames that have a manual id
                            tables=("SO2-1.T1", "SO2-1.T2", "SO2-1.T3", "SO2-1.gaps", "SO2-2.T1", "SO2-2.T2", "SO2-2.gaps",
                                    "SO2-2.checks"))

#: SO2-3 from the SO1 status maps and the population rasters
LAND_DEGRADATION_EXPOSURE = Stage("so23", "SO2-3 population exposed to land degradation", ("SO2-3",),
                                  ("indicators.so2.land_degradation_exposure",), _so23_needs, _run_so23, after=("so1",),
                                  inputs=("population_total", "population_female", "population_male"),
                                  tables=("SO2-3.T1", "SO2-3.T2", "SO2-3.T3"))

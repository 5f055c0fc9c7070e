"""The SO4 table stage: SO4-2 Red List Index and SO4-3 KBA coverage (SO4-1 is computed with SO1-3, indicators.so1.run).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config.schema import InputSpec
from ..errors import IndicatorsError
from ..stage import Context, Need, Stage
from ..stage_helpers import read_all_fields
from ..stage_tables import (add_frames, edition_span, input_table, series_args, series_chart, series_params, tables_check,
                            trend_args)


SO4_TABLES = ("so4_2_red_list", "so4_3_kba_coverage")


def _so4_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    needs = [Need("so4_2_red_list", "table", same_grid=False)] if "so4_2_red_list" in inputs else []
    if _so4_kba_polygons(inputs):
        needs += [Need("kba", "vector", same_grid=False), Need("protected_areas", "vector", same_grid=False)]
    elif "so4_3_kba_coverage" in inputs:
        needs.append(Need("so4_3_kba_coverage", "table", same_grid=False))
    return needs or "inputs so4_2_red_list / kba + protected_areas / so4_3_kba_coverage not in the run configuration"


def _run_so4_tables(ctx: Context) -> None:
    """Each metric through its spec binding (:meth:`~indicators.stage.Context.metric_function`); SO4-3 from a reported
    coverage table (no polygons) through kba_protected_coverage_from_table, which no metric binds."""
    from ..so4.protected_areas import kba_protected_coverage_from_table

    years = edition_span(ctx.framework)
    if ctx.has("so4_2_red_list"):
        p = series_params(ctx, "SO4-2")
        ctx.params("SO4-2", "red_list")  # recorded: its value_range is the table's range
        ctx.record("SO4-2", "years", list(years))
        table = input_table(ctx.loaded, ctx.framework, "so4_2_red_list", table_schema)
        out = ctx.metric_function("SO4-2.red_list_index")(table, **_table_args(ctx.framework, "so4_2_red_list"), **trend_args(p))
        add_frames(ctx, "SO4-2", out)
        series_chart(ctx, "SO4-2", out["series"], ["rli", "rli_lower", "rli_upper"], "Red List Index", "RLI (0-1)")
    kba_ok = ctx.has("kba") and ctx.has("protected_areas") and "establishment_year" in ctx.spec("protected_areas").fields
    if kba_ok:
        p = series_params(ctx, "SO4-3")
        kb = ctx.params("SO4-3", "kba")
        ks, ps = ctx.spec("kba"), ctx.spec("protected_areas")
        # all attributes are needed (establishment year); the compute function repairs and reports geometries
        kba, pa = _kba_layers(ctx.loaded)
        out = ctx.metric_function("SO4-3.kba_coverage")(kba, pa, years=list(range(years[0], years[1] + 1)), kba_id_field=ks.id_field or "id",
                                     establishment_year_field=ps.fields["establishment_year"], protected_area_id_field=ps.id_field,
                                     unknown_year=kb.unknown_year, unknown_year_values=list(kb.unknown_year_values),
                                     area_crs=None, **_year_check(ctx.framework), **trend_args(p))
        ctx.choose("SO4-3", "D4", "KBA and protected-area areas are geodesic areas on the WGS84 ellipsoid.")
        add_frames(ctx, "SO4-3", out)
        series_chart(ctx, "SO4-3", out["series"], ["mean_coverage_pct"], "Mean KBA coverage by protected areas", "%")
    elif ctx.has("so4_3_kba_coverage"):
        p = series_params(ctx, "SO4-3")
        table = input_table(ctx.loaded, ctx.framework, "so4_3_kba_coverage", table_schema)
        out = kba_protected_coverage_from_table(table, **_table_args(ctx.framework, "so4_3_kba_coverage"), **trend_args(p))
        add_frames(ctx, "SO4-3", out)
        series_chart(ctx, "SO4-3", out["series"], ["mean_coverage_pct"], "Mean KBA coverage by protected areas", "%")


def _kba_layers(loaded: Any) -> tuple[Any, Any]:
    """The KBA and protected-area layers with every attribute, named by input and file in the messages."""
    from ..config.paths import input_files

    layers = []
    for name in ("kba", "protected_areas"):
        path = next(iter(input_files(loaded, name, loaded.config.inputs[name]).values()))
        gdf = read_all_fields(path)
        gdf.attrs["source"] = f"inputs.{name} ({path.name})"
        layers.append(gdf)
    return layers[0], layers[1]


def _so4_check(loaded: Any, fw: Any) -> list[str]:
    """Before computing: the tables, and the KBA and protected-area layers checked by the function SO4-3 runs
    (:func:`indicators.so4.protected_areas.checked_layers`: CRS, fields, ids, geometry types, establishment years)."""
    from .protected_areas import checked_layers

    lines = tables_check(SO4_TABLES, table_schema, {"so4_2_red_list": _checked_red_list,
                                                    "so4_3_kba_coverage": _checked_coverage})(loaded, fw)
    if not _so4_kba_polygons(loaded.config.inputs):
        return lines
    import warnings

    ks, ps, kb = loaded.config.inputs["kba"], loaded.config.inputs["protected_areas"], fw.parameters("kba")
    try:
        kba, pa = _kba_layers(loaded)
    except Exception:  # a missing or unreadable file: reported by the configuration's input checks
        return lines
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # repairs are reported by the run itself
            *_, year_warnings = checked_layers(
                kba, pa, years=[edition_span(fw)[0]], kba_id_field=ks.id_field or "id",
                establishment_year_field=ps.fields["establishment_year"], protected_area_id_field=ps.id_field,
                unknown_year=kb.unknown_year, unknown_year_values=list(kb.unknown_year_values), **_year_check(fw))
    except IndicatorsError as exc:
        lines.append(str(exc))
    else:
        lines += year_warnings  # on_violation: warn (InputWarning): into the report and provenance.json
    return lines


def _year_check(fw: Any) -> dict[str, Any]:
    """The protected areas' establishment years checked against their declared plausibility (the specs'
    ``plausibility.inputs.protected_areas``: years within the edition, none before the first plausible year;
    refused, or counted in a warning with ``on_violation: warn``): the arguments of
    :func:`~indicators.so4.protected_areas.checked_layers` for the check and the run."""
    from ..plausibility import rule_for, year_problem

    rule, span = rule_for(fw, "protected_areas"), edition_span(fw)
    if rule is None:
        return {"implausible_year": None}
    return {"implausible_year": lambda y: year_problem(y, rule, span), "implausible_year_action": rule.on_violation}


def _table_args(fw: Any, name: str) -> dict[str, Any]:
    """The arguments of the SO4 table input *name*'s checks and computation, from the specs (the series rule; the
    Red List Index's own value range)."""
    return series_args(fw, fw.parameters("red_list").value_range if name == "so4_2_red_list" else None)


def _checked_red_list(loaded: Any, fw: Any, table: Any) -> Any:
    """The Red List table through the computation's own checks (:func:`~indicators.so4.red_list.checked_red_list_table`)."""
    from .red_list import checked_red_list_table

    return checked_red_list_table(table, **_table_args(fw, "so4_2_red_list"))


def _checked_coverage(loaded: Any, fw: Any, table: Any) -> Any:
    """The directly reported SO4-3 table through the computation's own checks, when the run uses it (KBA and
    protected-area polygons, when configured, are used instead)."""
    from .protected_areas import checked_coverage_table

    if _so4_kba_polygons(loaded.config.inputs):
        return None
    return checked_coverage_table(table, **_table_args(fw, "so4_3_kba_coverage"))


def _so4_input_skips(loaded: Any, fw: Any) -> dict[str, str]:
    """SO4-2 without its table, SO4-3 without polygons or a coverage table (the stage runs for the other one), each
    with what is missing: what the plan, ``--check`` and the run skip (Stage.data_skips)."""
    inputs = loaded.config.inputs
    skips = {}
    if "so4_2_red_list" not in inputs:
        skips["SO4-2"] = "input so4_2_red_list not in the run configuration"
    if not _so4_kba_polygons(inputs) and "so4_3_kba_coverage" not in inputs:
        absent = [n for n in ("kba", "protected_areas") if n not in inputs]
        polygons = (f"input{'s' if len(absent) > 1 else ''} {' and '.join(absent)} not in the run configuration" if absent else
                    "inputs.protected_areas names no establishment_year field (fields: {establishment_year: <column>})")
        skips["SO4-3"] = f"{polygons}, nor a so4_3_kba_coverage table"
    return skips


def _so4_kba_polygons(inputs: Mapping[str, InputSpec]) -> bool:
    """SO4-3 from polygons: KBA and protected areas with an establishment year configured."""
    return "kba" in inputs and "protected_areas" in inputs and "establishment_year" in inputs["protected_areas"].fields


def table_schema(fw: Any, name: str) -> Any:
    """The schema (columns, types, ranges from the specs) of the SO4 table input *name*."""
    if name == "so4_2_red_list":
        from .red_list import red_list_table_schema

        return red_list_table_schema(tuple(fw.parameters("red_list").value_range))
    if name == "so4_3_kba_coverage":
        from .protected_areas import coverage_table_schema

        return coverage_table_schema(tuple(fw.parameters("series").percent_range))
    raise IndicatorsError(f"internal: no table schema for input {name!r}")


STAGE = Stage("so4_tables", "SO4-2 Red List Index, SO4-3 KBA coverage", ("SO4-2", "SO4-3"),
              ("indicators.so4.red_list", "indicators.so4.protected_areas"), _so4_needs, _run_so4_tables,
              check=_so4_check, inputs=(*SO4_TABLES, "kba", "protected_areas"), data_skips=_so4_input_skips,
              # stage_tables.PRAIS_TABLE_IDS names the frames that have a manual id
              tables=("SO4-2.T1", "SO4-2.T2", "SO4-2.gaps", "SO4-3.T1", "SO4-3.T2", "SO4-3.per_kba", "SO4-3.repairs",
                      "SO4-3.excluded", "SO4-3.gaps"))

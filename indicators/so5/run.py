"""The SO5 stage: financial flows (SO5-1..4, USD) and the SO5-5 narrative.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config.loading import LoadedConfig
from ..config.paths import input_files
from ..config.schema import InputSpec
from ..errors import IndicatorsError
from ..report.model import Chart
from ..stage import Context, Need, Stage
from ..stage_tables import add_frames, input_table, series_params, tables_check, trend_args


SO5_TABLES = ("so5_flows", "exchange_rates", "so5_5_narrative")
FLOW_CODES = ("SO5-1", "SO5-2", "SO5-3", "SO5-4")


def _so5_indicators_computed(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    needs = []
    if "so5_flows" in inputs:
        needs += [Need("so5_flows", "table", same_grid=False), Need("exchange_rates", "table", same_grid=False)]
    if "so5_5_narrative" in inputs:
        needs.append(Need("so5_5_narrative", "table", same_grid=False))
    return needs or "inputs so5_flows / so5_5_narrative not in the run configuration"


def _run_so5(ctx: Context) -> None:
    fw = ctx.framework
    if ctx.has("so5_flows"):
        p = series_params(ctx, "SO5-1")
        ctx.params("SO5-1", "so5")  # recorded: the Rio-marker weights
        flows = input_table(ctx.loaded, fw, "so5_flows", table_schema)
        for code, reason in flows_without_rows(flows, ctx.path("so5_flows").name).items():
            ctx.skip(code, reason)
        rates = input_table(ctx.loaded, fw, "exchange_rates", table_schema)
        results = _flow_results(ctx, flows, rates, trend_args(p))
        for code in FLOW_CODES:
            out = results[code]
            series, trend = out["series"], out["trend"]
            if code not in set(series["indicator"]):
                continue
            part = {"series": series[series["indicator"] == code], "trend": trend[trend["indicator"] == code]}
            for k, v in part.items():
                v.attrs = dict(out[k].attrs)
            add_frames(ctx, code, part)
            s = part["series"]
            if not s.empty:
                data = s.pivot_table(index="year", columns="direction", values="disbursed_usd", aggfunc="sum")
                ctx.add_chart(Chart(code, f"{code} disbursed resources by direction (USD, Rio-marker weighted)", data.sort_index(), ylabel="USD"))
            if code != "SO5-1":
                ctx.result.parameters.setdefault(code, {}).update(ctx.result.parameters.get("SO5-1", {}))
        add_frames(ctx, "SO5-1", {"flows": results["SO5-1"]["flows"]}, prefix="tier2_")
    if ctx.has("so5_5_narrative"):
        items = {i.code: i.name for i in fw.indicators if i.parent == "SO5-5"}
        ctx.record("SO5-5", "sub_items", sorted(items))
        table = input_table(ctx.loaded, fw, "so5_5_narrative", table_schema)
        add_frames(ctx, "SO5-5", {"narrative": ctx.metric_function("SO5-5.future_support")(table, sub_items=items)})


def _flow_results(ctx: Context, flows: Any, rates: Any, trend: Mapping[str, Any]) -> dict[str, Any]:
    """Each flow indicator's result (SO5-1 … SO5-4) from its metric's spec binding
    (:meth:`~indicators.stage.Context.metric_function`); indicators bound alike (the specs bind all four to
    resource_flows_indicator) share one call, which computes every indicator's rows of the flows table."""
    fw = ctx.framework
    calls: dict[str, Any] = {}
    results: dict[str, Any] = {}
    for code in FLOW_CODES:
        metric = next(m for m in fw.indicator(code).metrics if m.compute is not None)
        key = metric.compute.model_dump_json()
        if key not in calls:
            calls[key] = ctx.metric_function(metric.id)(flows, exchange_rates=rates, **_weights(fw), **trend)
        results[code] = calls[key]
    return results


def flows_without_rows(flows: Any, file_name: str) -> dict[str, str]:
    """The flow indicators (SO5-1 … SO5-4) the flows table has no rows for, with the reason they are skipped."""
    present = set(flows["indicator"])
    return {code: f"the flows table {file_name} has no {code} rows" for code in FLOW_CODES if code not in present}


def _so5_data_skips(loaded: LoadedConfig, fw: Any) -> dict[str, str]:
    """What the run will skip for want of an input or of rows, known before computing (the plan's and ``--check``'s
    answer)."""
    inputs = loaded.config.inputs
    skips = {} if "so5_5_narrative" in inputs else {"SO5-5": "input so5_5_narrative not in the run configuration"}
    if "so5_flows" not in inputs:
        return {**skips, **{code: "input so5_flows not in the run configuration" for code in FLOW_CODES}}
    files = input_files(loaded, "so5_flows", loaded.config.inputs["so5_flows"])
    return {**skips, **flows_without_rows(input_table(loaded, fw, "so5_flows", table_schema), next(iter(files.values())).name)}


def table_schema(fw: Any, name: str) -> Any:
    """The schema (columns, types, ranges from the specs) of the SO5 table input *name*."""
    from .finance import EXCHANGE_RATE_SCHEMA, flows_table_schema, narrative_table_schema

    if name == "so5_flows":
        return flows_table_schema(tuple(dict(fw.parameters("so5").rio_marker_weights)))
    if name == "exchange_rates":
        return EXCHANGE_RATE_SCHEMA
    if name == "so5_5_narrative":
        return narrative_table_schema(tuple(i.code for i in fw.indicators if getattr(i, "parent", None) == "SO5-5"))
    raise IndicatorsError(f"internal: no table schema for input {name!r}")


def _weights(fw: Any) -> dict[str, Any]:
    """The Rio-marker weights of the specs' ``so5`` block, as the flows' check and computation take them."""
    s5 = fw.parameters("so5")
    return {"rio_marker_weights": dict(s5.rio_marker_weights), "unmarked_weight": s5.unmarked_weight}


def _so5_check(loaded: LoadedConfig, fw: Any) -> list[str]:
    """The SO5 tables read with their schemas and plausibility, then the flows through the computation's own checks
    (:func:`~indicators.so5.finance.flows_in_usd`: a row with neither amount, a currency or year without a rate, ...),
    so they are refused before anything is computed."""
    from ..plausibility import InputWarning
    from .finance import flows_in_usd

    problems = tables_check(SO5_TABLES, table_schema)(loaded, fw)
    refused = any(not isinstance(p, InputWarning) for p in problems)  # warnings the specs allow do not stop the check
    if refused or "so5_flows" not in loaded.config.inputs or "exchange_rates" not in loaded.config.inputs:
        return problems
    try:
        flows_in_usd(input_table(loaded, fw, "so5_flows", table_schema),
                     input_table(loaded, fw, "exchange_rates", table_schema), **_weights(fw))
    except IndicatorsError as exc:
        problems.append(f"inputs.so5_flows: {exc}")
    return problems


STAGE = Stage("so5", "SO5 resources (USD) and future support", ("SO5-1", "SO5-2", "SO5-3", "SO5-4", "SO5-5"),
              ("indicators.so5.finance",), _so5_indicators_computed, _run_so5, check=_so5_check,
              inputs=SO5_TABLES, data_skips=_so5_data_skips,
              tables=(*(f"SO5-{n}.{t}" for n in (1, 2, 3, 4) for t in ("series", "trend")), "SO5-1.tier2_flows",
                      "SO5-5.narrative"))

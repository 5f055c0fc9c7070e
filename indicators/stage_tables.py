"""Helpers the stages of table indicators share (SO2-1/2, SO4-2/3, SO4-1, SO5): series parameters, table inputs read with their schema, frames added as reporting tables, series charts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .config.loading import LoadedConfig
from .config.paths import input_files
from .errors import IndicatorsError, InputError
from .report.model import Chart
from .report.tables import Table
from .stage import Context

#: a table input's schema given the framework and the input name: (framework, name) -> schema
SchemaFn = Callable[[Any, str], Any]


def edition_span(fw: Any) -> tuple[int, int]:
    """First and last year of the edition's periods (the span annual series must cover)."""
    periods = fw.periods()
    return (min(p.years[0] for p in periods), max(p.years[1] for p in periods))


def series_params(ctx: Context, indicator: str) -> Any:
    """The ``series`` parameter block (gap rule, ranges, qualitative trend), recorded for *indicator*."""
    return ctx.params(indicator, "series")


def trend_args(p: Any) -> dict[str, Any]:
    return {"trend_tolerance": p.trend_tolerance, "trend_method": p.trend_method}


TABLE_TITLES = {
    "series": "Annual series", "trend": "Qualitative trend (Tier 1) with Mann-Kendall and Sen extras",
    "gaps": "Missing years", "checks": "Consistency checks", "flows": "Tier 2 activity table (USD)",
    "per_kba": "Coverage of each KBA", "repairs": "Geometries repaired", "excluded": "Protected areas left out",
    "change": "Change between periods", "narrative": "Narrative answers",
    "poverty": "Population below the international poverty line (%)", "gini": "Income inequality (Gini index, 0-100)",
}


#: PRAIS reporting-table ids (methodology Part B §1.2) of the frames a table indicator returns;
#: frames without one keep a descriptive id ``<indicator>.<key>`` (docs/user-guide.md §5.1)
PRAIS_TABLE_IDS: dict[tuple[str, str], str] = {
    ("SO2-1", "poverty"): "T1", ("SO2-1", "gini"): "T2", ("SO2-1", "trend"): "T3",
    ("SO2-2", "series"): "T1", ("SO2-2", "trend"): "T2",
    ("SO4-2", "series"): "T1", ("SO4-2", "trend"): "T2",
    ("SO4-3", "series"): "T1", ("SO4-3", "trend"): "T2",
}


def add_frames(ctx: Context, indicator: str, frames: Mapping[str, Any], *, prefix: str = "") -> None:
    """Add the DataFrames a table indicator returns as reporting tables: ``<indicator>.T<n>`` where PRAIS
    has a table for them (:data:`PRAIS_TABLE_IDS`), else ``<indicator>.<key>``."""
    for key, df in frames.items():
        if df is None or (key in ("gaps", "checks", "repairs", "excluded") and df.empty):
            continue
        units = {str(k): str(v) for k, v in (df.attrs.get("units") or {}).items()}
        frame = df.reset_index(drop=True)
        frame.attrs = {}
        tid = PRAIS_TABLE_IDS.get((indicator, f"{prefix}{key}"), f"{prefix}{key}")
        title = TABLE_TITLES.get(key, key.replace("_", " "))
        ctx.add_table(Table(f"{indicator}.{tid}", title, frame, units={k: v for k, v in units.items() if k in frame.columns}))


def series_chart(ctx: Context, indicator: str, frame: Any, columns: Sequence[str], title: str, ylabel: str,
                  *, by: str | None = None) -> None:
    """Line chart of *columns* over ``year`` (one line per column, or per *by* value for one column)."""
    f = frame
    if by is not None and by in f.columns:
        if len(columns) != 1:
            f = f[f[by] == f[by].iloc[0]]
            title = f"{title} ({f[by].iloc[0]})"
            data = f.set_index("year")[list(columns)]
        else:
            data = f.pivot_table(index="year", columns=by, values=columns[0], aggfunc="first")
    else:
        data = f.set_index("year")[list(columns)]
    data = data.dropna(axis=1, how="all")
    if data.empty:
        return
    ctx.add_chart(Chart(indicator, title, data.sort_index(), ylabel=ylabel))


def input_table(loaded: LoadedConfig, fw: Any, name: str, schema_of: SchemaFn, *,
                warnings: list[str] | None = None) -> Any:
    """Table input *name* read and checked against its schema ``schema_of(fw, name)`` (:func:`indicators.tables.read_table`)
    and its declared plausibility; the warnings the specs allow are appended to *warnings*."""
    from .tables import read_table

    files = input_files(loaded, name, loaded.config.inputs[name])
    if len(files) != 1:
        raise InputError(f"inputs.{name}: expected one table file, got {len(files)}")
    table = read_table(next(iter(files.values())), schema_of(fw, name))
    found = check_input_table(loaded, fw, name, table)
    if warnings is not None:
        warnings += found
    return table


def check_input_table(loaded: LoadedConfig, fw: Any, name: str, table: Any) -> list[str]:
    """The declared plausibility of table input *name* (:func:`indicators.plausibility.check_table`)."""
    from .plausibility import check_table, rule_for

    return check_table(table, rule_for(fw, name), label=f"inputs.{name}", years=edition_span(fw),
                       units=loaded.config.inputs[name].units)


#: the checks a stage's computation makes on a table input's content (a function of the compute module: the poverty
#: line, the years a series must cover, ...), given the configuration, the framework and the table as read; it raises
#: the run's own refusal (IndicatorsError)
ContentFn = Callable[[LoadedConfig, Any, Any], Any]


def series_args(fw: Any, value_range: Sequence[float] | None = None) -> dict[str, Any]:
    """What a table indicator's series must hold, from the specs' ``series`` block: the value range (percent unless
    *value_range* is given), the years to cover (:func:`edition_span`) and the gap rule. The one source of these
    arguments for the stage's check (``--check`` and the run's prepare) and its computation."""
    p = fw.parameters("series")
    rng = tuple(p.percent_range) if value_range is None else tuple(value_range)
    return {"value_range": rng, "years": edition_span(fw), "allow_gaps": p.allow_gaps}


def tables_check(names: Sequence[str], schema_of: SchemaFn,
                 contents: Mapping[str, ContentFn] | None = None) -> Callable[[LoadedConfig, Any], list[str]]:
    """A stage check reading the stage's (small) table inputs with their schemas before anything is computed,
    so a bad value fails ``indicators run --check`` and stops a run before any stage computes; *contents* adds,
    per input, the checks its computation makes (:data:`ContentFn`), so ``--check`` refuses what the run would.
    Returns the problems and the warnings the specs allow (:class:`~indicators.plausibility.InputWarning`)."""

    def check(loaded: LoadedConfig, fw: Any) -> list[str]:
        problems: list[str] = []
        for name in names:
            if name in loaded.config.inputs:
                try:
                    table = input_table(loaded, fw, name, schema_of, warnings=problems)
                    if contents and name in contents:
                        contents[name](loaded, fw, table)
                except IndicatorsError as exc:
                    text = str(exc)
                    problems.append(text if text.startswith(f"inputs.{name}") else f"inputs.{name}: {text}")
        return problems

    return check

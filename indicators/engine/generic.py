"""The generic stage: an indicator with ``run: generic`` is computed from its metrics' bindings, with no Stage code.

Adding such an indicator takes a spec entry (the indicator, its metric bound to a function, its declared tables), the
pure function, and the run configuration's inputs (decision D30).  The engine builds the indicator's
:class:`~indicators.stage.Stage` from the spec:

* ``needs`` and ``inputs``: the configuration inputs the bindings ``read`` (so ``--check`` and the plan know what
  the stage reads, and skip it when one is not configured);
* ``tables``: the indicator's declared tables (the run refuses any other, :meth:`~indicators.stage.Context.add_table`);
* ``check``: the table inputs read before anything is computed (``--check`` refuses an unreadable table);
* ``run``: per bound metric, its inputs opened (a table as a DataFrame, cells as text, read by the project's table
  reader with the file's lines kept; a raster through :meth:`~indicators.stage.Context.raster`; a vector as a
  GeoDataFrame), its function called through its binding (:meth:`~indicators.stage.Context.metric_function`:
  the spec arguments applied), and each table it returns ``{declared table id: DataFrame}`` added with its
  declaration's title and units.  The function's own :class:`~indicators.errors.IndicatorsError` is the run's
  refusal (one line, exit status 2), as for every stage.

``indicators validate`` checks the bindings of a generic indicator (``read``, ``writes``, the function's parameters:
indicators/specs/checks/bindings.py).  A hand-written Stage stays the tool for families of indicators that share
rasters, masks and periods (land, drought).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config.loading import LoadedConfig
from ..config.schema import InputSpec
from ..errors import SpecError
from ..report.tables import Table
from ..stage import Context, Need, Stage
from ..stage_helpers import read_all_fields
from ..stage_tables import input_table, tables_check


def _text_schema(fw: Any, name: str) -> Any:
    """A table input of a generic indicator read with no declared columns: every cell as text (the function types
    and checks its own columns; ``attrs["lines"]`` holds each row's line of the file for its messages)."""
    from ..tables.schema import TableSchema

    return TableSchema(title=f"inputs.{name}", columns=())


def _kind(spec: InputSpec | None) -> str:
    kind = spec.resolved_kind() if spec is not None else None
    return kind or "table"


def _open(ctx: Context, name: str) -> Any:
    """Configuration input *name* as the bound function receives it."""
    kind = _kind(ctx.spec(name))
    if kind == "raster":
        return ctx.raster(name)
    if kind == "vector":
        return read_all_fields(ctx.path(name))
    return input_table(ctx.loaded, ctx.framework, name, _text_schema)


def _add_returned(ctx: Context, metric: Any, out: Any) -> None:
    """The tables a bound function returned, each under its declared id with the declaration's title and units."""
    import pandas as pd

    from ..specs.table_model import declaration

    b = metric.compute
    what = f"metric {metric.id}: {b.function}"
    if not isinstance(out, Mapping):
        raise SpecError(f"{what} returned a {type(out).__name__}, not {{table id: DataFrame}}; return a mapping of "
                        f"the tables in its binding's writes ({', '.join(b.writes)})")
    for tid, frame in out.items():
        if tid not in b.writes:
            raise SpecError(f"{what} returned table {tid!r}, which its binding does not write (writes: "
                            f"{', '.join(b.writes)}); list it in compute.writes and declare it")
        if not isinstance(frame, pd.DataFrame):
            raise SpecError(f"{what} returned a {type(frame).__name__} for table {tid}, not a pandas DataFrame")
        decl = declaration(ctx.framework, tid)
        table = frame.reset_index(drop=True)
        units = {str(c): decl.unit_of(str(c)) for c in table.columns} if decl is not None else {}
        units.update({str(k): str(v) for k, v in (frame.attrs.get("units") or {}).items()})
        table.attrs = {}
        ctx.add_table(Table(tid, decl.title if decl is not None else tid, table,
                            units={k: v for k, v in units.items() if v is not None and k in table.columns}))


def generic_stage(ind: Any) -> Stage:
    """The stage of indicator *ind* (``run: generic``), built from its spec."""
    metrics = [m for m in ind.metrics if m.compute is not None and m.status != "planned"]
    reads = tuple(dict.fromkeys(name for m in metrics for name in m.compute.read.values()))
    modules = tuple(dict.fromkeys(m.compute.function.partition(":")[0] for m in metrics))

    def needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
        if not reads:
            return f"{ind.code}: no metric binding reads a configuration input (compute.read)"
        return [Need(n, _kind(inputs.get(n)), same_grid=_kind(inputs.get(n)) == "raster") for n in reads]  # type: ignore[arg-type]

    def check(loaded: LoadedConfig, fw: Any) -> list[str]:
        """The table inputs read before anything is computed (a malformed file fails ``--check``)."""
        cfg = loaded.config.inputs
        return tables_check([n for n in reads if n in cfg and _kind(cfg[n]) == "table"], _text_schema)(loaded, fw)

    def run(ctx: Context) -> None:
        # a function's IndicatorsError (its refusal of bad data) propagates: the run's one-line refusal, exit status 2
        for m in metrics:
            data = {param: _open(ctx, name) for param, name in m.compute.read.items()}
            _add_returned(ctx, m, ctx.metric_function(m.id)(**data))

    return Stage(f"generic:{ind.code}", f"{ind.code} {ind.name}", (ind.code,), modules, needs, run, check=check,
                 inputs=reads, tables=tuple(t.id for t in ind.tables))

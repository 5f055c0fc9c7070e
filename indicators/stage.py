"""What a stage is and what it sees: :class:`Need`, :class:`Stage` and the run :class:`Context`.

The layer the objective packages build their stages on; it knows neither the engine nor any objective.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config.loading import LoadedConfig
from .config.paths import input_files
from .config.schema import GRID_INPUTS, InputKind, InputSpec
from .errors import IndicatorsError, InputError
from .progress import Progress
from .report.model import Chart, Choice, RasterOutput, RunResult
from .report.tables import Table


@dataclass(frozen=True)
class Need:
    """An input a stage reads: its config name, kind, a compatible unit and the years it must cover."""

    input: str
    kind: InputKind = "raster"
    units: str | None = None
    years: tuple[int, ...] = ()
    same_grid: bool = True
    #: why those years (said when one is missing), e.g. the parameter choosing them
    why: str = ""


#: a stage's needs given the configured inputs and the framework: a list of Needs, or a skip reason
NeedsFn = Callable[[Mapping[str, InputSpec], Any], "list[Need] | str"]


@dataclass(frozen=True)
class Stage:
    """One family of indicators computed together.

    *modules* must import for the stage to run (a compute module not yet in
    this version makes the stage "not implemented"); *needs* says which inputs
    it reads (or why it cannot run with the configured ones); *after* names
    stages whose results it uses; *run* does the work on a :class:`Context`.
    """

    id: str
    title: str
    indicators: tuple[str, ...]
    modules: tuple[str, ...]
    needs: NeedsFn
    run: Callable[[Context], None]
    after: tuple[str, ...] = ()
    #: optional check of the stage's inputs before anything is computed: (loaded, framework) -> problems
    check: Callable[[LoadedConfig, Any], list[str]] | None = None
    #: every input name the stage may read (its vocabulary: a configured name no stage reads is a misspelling)
    inputs: tuple[str, ...] = ()
    #: indicators of the stage its input data cannot give (e.g. a table without their rows), with the reason:
    #: (loaded, framework) -> {code: reason}. The plan (and so ``--check``) and the run both call it, so what
    #: ``--check`` predicts is what the run does.
    data_skips: Callable[[LoadedConfig, Any], dict[str, str]] | None = None
    #: every table id the stage can write, under the run's (2022 manual's) ids; a per-period table by its id without
    #: the period. The registry of builders: ``indicators validate`` refuses a table the specs declare that no stage
    #: lists and a listed table the specs do not declare (indicators/specs/checks/tables.py), and the run refuses a
    #: table its stage does not list (:meth:`Context.add_table`), so the list cannot drift from what is written.
    tables: tuple[str, ...] = ()

    def writes(self, table_id: str) -> bool:
        """Whether *table_id* (or, for ``<id>.<period>``, its ``<id>``) is one of the stage's tables."""
        return table_id in self.tables or table_id.rpartition(".")[0] in self.tables


def module_missing(modules: Iterable[str]) -> str | None:
    """The first of *modules* that cannot be imported, or None."""
    for m in modules:
        try:
            if importlib.util.find_spec(m) is None:
                return m
        except ModuleNotFoundError:
            return m
    return None


class Context:
    """What a stage sees: the configuration, the framework, opened inputs, earlier results, the result."""

    def __init__(self, loaded: LoadedConfig, framework: Any, progress: Progress, result: RunResult) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.framework = framework
        self.progress = progress
        self.result = result
        self.shared: dict[str, Any] = {}  # results passed between stages
        self._rasters: dict[str, Any] = {}
        self._reference: Any = None
        self._cache: dict[str, Any] = {}
        self.skips: dict[str, str] = {}
        self.stores: list[Any] = []
        self.scratch: Path | None = None  # parent directory of intermediate rasters (see execute)
        self.stage: Stage | None = None  # the running stage (set by the engine): its tables are the ones it may add

    # ---- inputs -------------------------------------------------------------------------
    def spec(self, name: str) -> InputSpec:
        return self.config.inputs[name]

    def has(self, name: str) -> bool:
        return name in self.config.inputs

    def path(self, name: str) -> Path:
        files = input_files(self.loaded, name, self.spec(name))
        if len(files) != 1:
            raise InputError(f"inputs.{name}: expected one file, got {len(files)}")
        return next(iter(files.values()))

    def raster(self, name: str, *, legend: Mapping[int, str] | None = None, long_name: str | None = None,
               year_dim: str = "year", native: bool = False) -> Any:
        """Open input *name* lazily: a (y, x) array, or (year, y, x) when it holds several years.

        With *native* the raster stays on its own grid even when the input sets ``align``
        (e.g. precipitation: the SPI is computed on its grid, the classes are aligned).
        """
        key = f"{name}:native" if native else name
        if key in self._rasters:
            return self._rasters[key]
        import xarray as xr

        from .io import open_raster

        spec = self.spec(name)
        chunks = self.config.options.chunks
        chunks = "auto" if chunks == "auto" else {"x": chunks, "y": chunks}
        kw = dict(units=None if legend is not None else spec.units, nodata=spec.nodata, variable=spec.variable,
                  legend=legend, long_name=long_name, chunks=chunks, band=spec.band)
        files = input_files(self.loaded, name, spec)
        if len(files) > 1 or (files and next(iter(files)) != ""):
            parts = []
            for key, p in files.items():
                a = open_raster(p, name=name, **kw)
                parts.append(a.expand_dims({year_dim: [int(key)] if key.isdigit() else [key]}))
            da = xr.concat(parts, dim=year_dim, combine_attrs="override")
            da.attrs["source"] = ", ".join(str(p) for p in files.values())
        else:
            p = next(iter(files.values()))
            da = open_raster(p, name=name, band_dim_name=year_dim, **kw)
            if year_dim in da.dims and spec.years and da.sizes[year_dim] == len(spec.years):
                da = da.assign_coords({year_dim: list(spec.years)})
            elif "time" in da.dims:
                pass  # netCDF series: the stage reads its time axis
            elif da.ndim == 2 and spec.years and len(spec.years) == 1:
                da = da.expand_dims({year_dim: list(spec.years)})
        if spec.align and not native:
            from .grid_resample import align_to

            da = align_to(self.reference(), da, kind="class" if legend is not None else "continuous")
        elif self._reference is None and spec.align is None and not native and "time" not in da.dims:
            # (a raster read on its own grid, e.g. a precomputed drought index, never defines the common grid)
            self._reference = da.isel({year_dim: 0}, drop=True) if year_dim in da.dims else da
        self._rasters[key] = da
        return da

    #: inputs that define the common grid, in order of preference
    GRID_INPUTS = GRID_INPUTS

    def reference(self) -> Any:
        """The run's common grid (a 2-D raster): the first of GRID_INPUTS that is configured."""
        if self._reference is None:
            for name in self.GRID_INPUTS:
                if self.has(name) and not self.spec(name).align:
                    if name == "land_cover":  # a class raster: opened with its legend (no units to declare)
                        self.land_cover_source()
                    else:
                        self.raster(name)
                    break
            else:
                raise InputError("no raster input defines the grid of this run (land_cover, population_total, …)")
        return self._reference

    def table_path(self, name: str) -> Path:
        return self.path(name)

    # ---- geometry -----------------------------------------------------------------------
    def polygons(self, crs: Any) -> tuple[Any, Any]:
        """Boundary and admin units as GeoDataFrames in *crs* (cached)."""
        key = f"polygons:{crs}"
        if key not in self._cache:
            import warnings

            from .io import read_polygons

            c = self.config.country
            with warnings.catch_warnings():
                # a repair or an antimeridian split is said by the input checks (config.checks.check_inputs), into the
                # report and provenance, as --check says it
                warnings.simplefilter("ignore", UserWarning)
                boundary = read_polygons(self.loaded.resolve(c.boundary), to_crs=crs)
                admin = None
                if c.admin_units:
                    a = c.admin_units
                    admin = read_polygons(self.loaded.resolve(a.path), id_field=a.id_field, name_field=a.name_field,
                                          layer=a.layer, to_crs=crs)
            self._cache[key] = (boundary, admin)
            if self.result.boundary is None:
                self.result.boundary, self.result.admin = boundary, admin
        return self._cache[key]

    def land_cover_source(self) -> Any:
        """Input ``land_cover`` in its source legend (year, y, x), opened with the legend's class names (cached).

        The UNCCD 7-class land cover and the D3 land mask are :mod:`indicators.so1.land`'s.
        """
        fw = self.framework
        lc = fw.parameters("land_cover")
        source = fw.legend(lc.source_legend)
        legend = {c.code: c.name for c in source.classes}
        return self.raster("land_cover", legend=legend, long_name=f"land cover ({source.name})")

    # ---- parameters and results -----------------------------------------------------------
    def params(self, indicator: str, block: str) -> Any:
        """The framework's parameter block *block*, recorded for *indicator* in the report."""
        value = self.framework.parameters(block)
        dumped = value.model_dump(mode="json") if hasattr(value, "model_dump") else value
        rec = self.result.parameters.setdefault(indicator, {})
        if isinstance(dumped, Mapping):
            for k, v in dumped.items():
                if k not in ("source", "note"):
                    rec[f"{block}.{k}"] = v
        else:
            rec[block] = dumped
        return value

    def metric_function(self, metric_id: str) -> Callable[..., Any]:
        """Metric *metric_id*'s bound compute function (its spec's ``compute.function``, which an overlay may
        rebind) with the binding's spec arguments applied: the stage passes the data and any further keywords
        (:func:`indicators.specs.binding.bound_function`)."""
        from .specs.binding import bound_function

        return bound_function(self.framework, metric_id)

    def record(self, indicator: str, name: str, value: Any) -> None:
        self.result.parameters.setdefault(indicator, {})[name] = value

    def choose(self, indicator: str, decision: str, text: str) -> None:
        choice = Choice(indicator, decision, text)
        if choice not in self.result.choices:  # a helper called per period or year states its choice once
            self.result.choices.append(choice)

    def add_raster(self, out: RasterOutput) -> None:
        self.result.rasters.append(out)

    def add_table(self, table: Table) -> None:
        if table.id in self.result.tables:
            raise IndicatorsError(f"internal: table {table.id} produced twice")
        if self.stage is not None and not self.stage.writes(table.id):
            raise IndicatorsError(f"internal: stage {self.stage.id!r} writes table {table.id}, which it does not list "
                                  "(Stage.tables); list it there and declare it in the specs")
        if table.declaration is None:  # what the specs declare the table to be (issue 17)
            from .specs.table_model import declaration

            found = declaration(self.framework, table.id)
            table.declaration = found.record() if found is not None else None
        self.result.tables[table.id] = table

    def add_chart(self, chart: Chart) -> None:
        self.result.charts.append(chart)

    def compute(self, *objs: Any) -> tuple[Any, ...]:
        return self.progress.compute(*objs)

    def compute_tables(self, *items: Any) -> list[Any]:
        """:func:`indicators.summarize.compute_tables` (pending tables and other dask results in one pass), with
        the progress bar."""
        from .summarize import compute_tables

        if self.progress.quiet or self.progress.client is not None:
            return compute_tables(*items)
        from dask.diagnostics import ProgressBar

        with ProgressBar(minimum=1.0, out=self.progress.stream):
            return compute_tables(*items)

    def keep(self, store: Any) -> None:
        """Keep a :class:`~indicators.io.RasterStore` (its files back result rasters) until :func:`release`."""
        self.stores.append(store)

    def skip(self, indicator: str, reason: str) -> None:
        """Mark an indicator of the running stage as not computed (e.g. its input holds no rows for it)."""
        self.skips[indicator] = reason

    def produced(self, indicator: str) -> bool:
        r = self.result
        return (any(t.indicator == indicator for t in r.tables.values()) or any(x.indicator == indicator for x in r.rasters)
                or any(c.indicator == indicator for c in r.charts))

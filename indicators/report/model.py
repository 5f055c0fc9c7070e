"""What a run hands to the writers: finished rasters, tables, charts, parameters and choices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .figures import LegendEntry
from .tables import Table


@dataclass
class RasterOutput:
    """A computed raster to write as ``<indicator>/<name>.tif`` and to map in the report."""

    indicator: str
    name: str
    title: str
    data: Any  # xarray.DataArray, computed (numpy-backed)
    legend: list[LegendEntry] | None = None  # None: continuous raster
    units: str | None = None

    @property
    def key(self) -> str:
        return f"{self.indicator}/{self.name}"


@dataclass
class Chart:
    """An annual series to chart: *frame* has years as index, one column per series."""

    indicator: str
    title: str
    frame: Any  # pandas.DataFrame
    ylabel: str
    kind: str = "line"  # or "stacked"
    colors: list[str] | None = None


@dataclass
class Choice:
    """A methodological choice made in this run, linked to its decision (``D6``)."""

    indicator: str
    decision: str
    text: str


@dataclass
class Skipped:
    """An indicator not computed, and why."""

    indicator: str
    reason: str


@dataclass
class RunResult:
    """Everything the writers need; produced by :func:`indicators.engine.execute`."""

    country: str
    edition: str
    profile: str | None
    indicators: list[str] = field(default_factory=list)  # computed, in framework order
    titles: dict[str, str] = field(default_factory=dict)  # indicator -> name
    rasters: list[RasterOutput] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)  # indicator -> name -> value
    choices: list[Choice] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: input findings the specs allow as warnings (on_violation / nan: warn): in the report and the provenance
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    provenance: dict[str, Any] = field(default_factory=dict)
    boundary: Any = None  # GeoDataFrame in the rasters' CRS, for map outlines
    admin: Any = None
    #: the rasters as the report maps them, read back from the written COGs at the maps' size: set when the run
    #: is written without its report, which the caller renders later (``indicators compare``)
    report_rasters: list[RasterOutput] | None = None

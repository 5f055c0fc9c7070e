"""The whole framework from Python: ``indicators.run(config)`` → :class:`Run`, written only by ``Run.write(out)``.

The same engine as ``indicators run`` (which is a thin wrapper over :func:`run` and :meth:`Run.write`):
every check before computing, the stages the specs bind, the same tables, rasters, report and provenance.

Nothing is written into the user's directories until :meth:`Run.write`.  The SO1 stage streams its inputs
once and stores its intermediate layers as tiled GeoTIFFs (``io.RasterStore``) so that memory stays flat as
the country grows; :func:`run` keeps those files in a temporary directory *owned by the result* (under the
system's temporary directory, or under *scratch*), removed by :meth:`Run.close`, on leaving a ``with`` block,
or when the result is garbage-collected.  Not in memory: a national 30 m grid does not fit, and the layers
read back from those files stay lazy.
"""

from __future__ import annotations

import copy
import os
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ArgumentError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

    from .config.loading import LoadedConfig
    from .config.schema import RunConfig
    from .engine import Prepared
    from .report.model import RunResult

__all__ = ["Run", "run"]


def _loaded(config: Any, *, edition: str | None, profile: str | None, overlay: str | os.PathLike | None) -> LoadedConfig:
    """A validated configuration from a path, a mapping, a RunConfig or a LoadedConfig, with the overrides applied."""
    from .config.loading import LoadedConfig, config_from_mapping, load_config
    from .config.schema import RunConfig

    if isinstance(config, LoadedConfig):
        loaded = config
    elif isinstance(config, RunConfig):
        loaded = LoadedConfig(config, None, Path.cwd())
    elif isinstance(config, Mapping):
        # relative paths of a dict start at the current directory (as a file's start at its folder)
        loaded = config_from_mapping(dict(config), source="run(config=<dict>)", base_dir=Path.cwd())
    elif isinstance(config, (str, os.PathLike)):
        loaded = load_config(config)
    else:
        raise ArgumentError(f"run(config=...): got {type(config).__name__}; pass the path of a run configuration "
                            "YAML file, a dict with the same fields, or an indicators.config.RunConfig")
    changes = {k: v for k, v in (("edition", edition), ("profile", profile),
                                 ("overlay", None if overlay is None else str(overlay))) if v is not None}
    if changes:
        from .config.loading import config_from_mapping as validate

        data = loaded.config.model_dump(mode="json", exclude_none=True)
        data.update(changes)
        # validated again: an edition or profile the model refuses is refused here too
        loaded = LoadedConfig(validate(data, source=str(loaded.path or "run config")).config, loaded.path, loaded.base_dir)
    return loaded


def run(config: str | os.PathLike | Mapping[str, Any] | RunConfig | LoadedConfig, *, edition: str | None = None,
        profile: str | None = None, overlay: str | os.PathLike | None = None, scheduler: str | None = None,
        quiet: bool = True, scratch: str | os.PathLike | None = None) -> Run:
    """Compute a country's indicators from a run configuration; nothing is written until :meth:`Run.write`.

    Parameters
    ----------
    config : path, dict or RunConfig
        The run configuration: a YAML file (relative paths start at its folder), a dict with the same
        fields (relative paths start at the current directory) or a :class:`indicators.config.RunConfig`.
    edition, profile, overlay : str, optional
        Replace the configuration's ``edition``, ``profile`` or ``overlay`` (an overlay id or YAML path).
    scheduler : str, optional
        Address of a dask.distributed scheduler (``tcp://host:8786``); default: local threads.
    quiet : bool
        Print no progress (default); ``False`` prints the stages' progress on stderr as the CLI does.
    scratch : path, optional
        Parent of the result's temporary directory of intermediate rasters (default: the system's
        temporary directory).  With a multi-machine cluster it must be a directory every worker can write.

    Returns
    -------
    Run
        Layers, tables, skipped indicators and provenance; use it as a context manager (or call
        :meth:`Run.close`) to remove its temporary files.

    Raises
    ------
    indicators.errors.IndicatorsError
        Every problem of the configuration, the specs and the inputs, found before computing (the same
        refusals as ``indicators run --check``).
    """
    from .engine import compute_run, connect

    loaded = _loaded(config, edition=edition, profile=profile, overlay=overlay)
    client = connect(scheduler)
    try:
        result, prep = compute_run(loaded, quiet=quiet, client=client, scheduler=scheduler, scratch=scratch)
    except BaseException:
        if client is not None:
            client.close()
        raise
    return Run(result, prep, client)


def _cleanup(result: RunResult, client: Any) -> None:
    from .engine import release

    release(result)
    if client is not None:
        client.close()


class Run:
    """A computed run (made by :func:`run`): layers, tables, skipped indicators, provenance; :meth:`write` writes it.

    Owns the temporary files behind some layers and the scheduler connection: closed by :meth:`close`,
    on leaving a ``with`` block or when garbage-collected; the layers are unusable afterwards.
    """

    def __init__(self, result: RunResult, prep: Prepared, client: Any = None):
        self._result = result
        self._prep = prep
        self._written: list[Path] = []
        self._finalizer = weakref.finalize(self, _cleanup, result, client)

    # ---------------------------------------------------------------- what was computed
    @property
    def indicators(self) -> list[str]:
        """Codes of the computed indicators, in framework order."""
        return list(self._result.indicators)

    @property
    def skipped(self) -> dict[str, str]:
        """Indicator code → why it was not computed."""
        return {s.indicator: s.reason for s in self._result.skipped}

    @property
    def layers(self) -> dict[str, xr.Dataset]:
        """One :class:`xarray.Dataset` per indicator with rasters (lazy where the engine keeps them lazy):
        a variable per layer, with its CF attributes, and the CRS."""
        import xarray as xr

        by: dict[str, dict[str, Any]] = {}
        for r in self._result.rasters:
            by.setdefault(r.indicator, {})[r.name] = r.data
        out = {}
        for code, arrays in by.items():
            first = next(iter(arrays.values()))
            ds = xr.Dataset(arrays)
            crs = first.rio.crs
            out[code] = ds.rio.write_crs(crs) if crs is not None else ds
            out[code].attrs.update(indicator=code, title=self._result.titles.get(code, code))
        return out

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Table id → :class:`pandas.DataFrame`; ``df.attrs`` holds ``units`` (column → unit), ``title``,
        ``notes``, ``indicator``, ``id`` and ``declaration``: the specs' declaration of the table (id, title, rows,
        columns, units per column, denominator; None for a table the specs do not declare)."""
        out = {}
        for tid, t in self._result.tables.items():
            df = t.frame.copy()
            df.attrs = {"id": t.id, "indicator": t.indicator, "title": t.title, "units": dict(t.units),
                        "notes": list(t.notes), "declaration": copy.deepcopy(t.declaration)}
            out[tid] = df
        return out

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        """Indicator → parameter → value used."""
        return self._result.parameters

    @property
    def provenance(self) -> dict[str, Any]:
        """The provenance record (as ``provenance.json``; ``outputs`` lists the files of the last :meth:`write`)."""
        from .engine import provenance

        return provenance(self._result, self._prep, self._written)

    # ---------------------------------------------------------------- writing and closing
    def write(self, out_dir: str | os.PathLike, *, overwrite: bool = False, header: str | None = None) -> Path:
        """Write rasters, tables, report.html, run-config.yaml and provenance.json into *out_dir*, atomically
        (complete or not at all), exactly as ``indicators run -o out_dir``.  Refused (nothing written) when
        *out_dir* is, contains or lies among the inputs, or exists and is not empty without *overwrite*."""
        from .config.paths import input_locations, resolved_config_text
        from .engine import write_run
        from .report.atomic import check_output_dir, check_output_location

        if not self._finalizer.alive:
            raise ArgumentError("Run.write: this result is closed (its temporary rasters are gone); run again")
        loaded = self._prep.loaded
        check_output_location(out_dir, input_locations(loaded))
        check_output_dir(out_dir, overwrite=overwrite)
        if header is None:
            header = (f"Run configuration used for this output (from {loaded.path or 'indicators.run'}), with absolute "
                      "paths.\nRe-run with: indicators run run-config.yaml -o OUT")
        text = resolved_config_text(loaded, header=header)
        self._written = write_run(self._result, self._prep, out_dir, overwrite=overwrite, config_text=text)
        return Path(out_dir)

    @property
    def result(self) -> RunResult:
        """The engine's own record (what the writers read)."""
        return self._result

    def close(self) -> None:
        """Remove the temporary files behind the layers and close the scheduler connection."""
        self._finalizer()

    def __enter__(self) -> Run:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        skipped = f", skipped {', '.join(self.skipped)}" if self.skipped else ""
        return (f"<indicators.Run {self._result.country} edition {self._result.edition}: "
                f"{', '.join(self.indicators) or 'nothing'} computed{skipped}; {len(self._result.tables)} table(s)>")

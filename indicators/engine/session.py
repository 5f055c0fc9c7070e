"""The whole of ``indicators run``: GDAL cache, scheduler connection, prepare, execute, atomic write.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..config.loading import LoadedConfig
from ..errors import IndicatorsError, InputError
from ..report.model import RunResult
from ..stage import Stage
from .executing import Prepared, execute, prepare, release
from .outputs import write_outputs


#: how long to wait for a dask scheduler before reporting it unreachable
CONNECT_TIMEOUT = "10s"


#: GDAL block cache of a run, MiB: the stages stream their inputs once, so a larger cache only takes memory
#: (benchmarks/bench_sdg.py); a GDAL_CACHEMAX set by the user wins
GDAL_CACHE_MB = 64


@contextmanager
def gdal_cache(mb: int = GDAL_CACHE_MB) -> Iterator[None]:
    """``GDAL_CACHEMAX`` = *mb* for the duration of a run, unless the environment sets it."""
    if "GDAL_CACHEMAX" in os.environ:
        yield
        return
    os.environ["GDAL_CACHEMAX"] = str(int(mb))
    try:
        yield
    finally:
        os.environ.pop("GDAL_CACHEMAX", None)


def connect(scheduler: str | None) -> Any:
    """A dask.distributed Client for *scheduler* (an address such as tcp://host:8786), or None."""
    if not scheduler:
        return None
    try:
        from distributed import Client

        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=True)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler {scheduler}: cannot connect to the dask scheduler ({exc}); check the address") from None


def cluster_failure(exc: BaseException, scheduler: str | None) -> str:
    """One line for a run that failed on the dask cluster: which worker or file, and what to check.

    A worker that dies is retried by dask (``distributed.scheduler.allowed-failures``); this is what is left
    when the retries are spent, the cluster was restarted, or a worker cannot read an input."""
    name = type(exc).__name__
    first = (str(exc).strip().splitlines() or [name])[0]
    if isinstance(exc, IndicatorsError):  # a missing or unreadable input found while computing
        return (f"{exc}; on the dask cluster {scheduler}, check also that every worker sees the input files at the "
                "same path (a shared file system) and may read them")
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        return (f"a dask worker of {scheduler} could not read an input{where}: {first}; check that every worker sees the "
                "input files at the same path (a shared file system) and may read them, then run again")
    if name == "KilledWorker" or "Killed" in name:
        return (f"a dask worker of {scheduler} died while computing ({first}); check the workers' memory limit "
                "and their logs, then run again")
    if name in ("CancelledError", "CommClosedError", "FutureCancelledError") or "cancel" in first.lower():
        return (f"the computation on {scheduler} was cancelled ({name}: {first}): the cluster was restarted or lost "
                "its workers; check the scheduler and the workers, then run again")
    return f"the run failed on the dask cluster {scheduler} ({name}: {first}); check the workers' logs, then run again"


def run_to_directory(loaded: LoadedConfig, out: str | os.PathLike, *, overwrite: bool = False, quiet: bool = False,
                     scheduler: str | None = None, stages: Sequence[Stage] | None = None,
                     config_text: str | None = None, stream: Any = None, framework: Any = None,
                     report: bool = True) -> RunResult:
    """Check everything, compute, and write *out* atomically. The whole of ``indicators run``.

    ``report=False``: report.html is left to the caller (:func:`indicators.engine.outputs.write_outputs`).
    """
    with gdal_cache():
        return _run_to_directory(loaded, out, overwrite=overwrite, quiet=quiet, scheduler=scheduler, stages=stages,
                                 config_text=config_text, stream=stream, framework=framework, report=report)


def _run_to_directory(loaded: LoadedConfig, out: str | os.PathLike, *, overwrite: bool, quiet: bool, scheduler: str | None,
                      stages: Sequence[Stage] | None, config_text: str | None, stream: Any, framework: Any,
                      report: bool = True) -> RunResult:
    from ..report.atomic import check_output_dir

    check_output_dir(out, overwrite=overwrite)
    # a wrong scheduler address is reported before the inputs are read
    client = connect(scheduler)
    try:
        # with a cluster, intermediate rasters go beside the output: workers that write the output's
        # file system can write them (the system's temporary directory is private to this machine)
        scratch = Path(out).resolve().parent if client is not None else None
        result, prep = compute_run(loaded, quiet=quiet, client=client, scheduler=scheduler, stages=stages,
                                   framework=framework, stream=stream, scratch=scratch)
        try:
            write_run(result, prep, out, overwrite=overwrite, config_text=config_text, report=report)
        finally:
            release(result)
    finally:
        if client is not None:
            client.close()
    return result


def compute_run(loaded: LoadedConfig, *, quiet: bool = False, client: Any = None, scheduler: str | None = None,
                stages: Sequence[Stage] | None = None, framework: Any = None, stream: Any = None,
                scratch: str | os.PathLike | None = None) -> tuple[RunResult, Prepared]:
    """Check everything and compute; nothing is written but the intermediate rasters of the stages that
    stream their inputs once (in a temporary directory under *scratch*, removed by :func:`release`)."""
    from datetime import datetime, timezone

    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with gdal_cache():
        # the inputs' values: every cell in execute(), before any stage; not a block sample here as well
        prep = prepare(loaded, stages=stages, framework=framework, sample_rasters=False)
        try:
            result = execute(prep, quiet=quiet, client=client, stream=stream, scratch=scratch)
        except Exception as exc:
            if client is None:
                raise
            raise InputError(cluster_failure(exc, scheduler)) from None
    result.provenance["started_at"] = started
    if scheduler:
        result.provenance["scheduler"] = scheduler
    return result, prep


def write_run(result: RunResult, prep: Prepared, out: str | os.PathLike, *, overwrite: bool = False,
              config_text: str | None = None, report: bool = True) -> list[Path]:
    """Write a computed run into *out* atomically (complete or not at all); the paths written, relative to *out*."""
    from ..report.atomic import atomic_output_dir

    with gdal_cache(), atomic_output_dir(out, overwrite=overwrite) as tmp:
        return write_outputs(result, prep, tmp, config_text=config_text, report=report)

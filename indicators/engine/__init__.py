"""The engine: plans a run from the specs, checks everything before computing, executes the stages, writes the outputs.

It knows no indicator by name: each indicator's spec names the stage that computes it
(``run: <package>.<module>:<NAME>``, a Stage), resolved by import when the run is planned
(:mod:`indicators.engine.bindings`).  Modules, in the order of a run:

* :mod:`~indicators.engine.bindings` — the stages the specs name, in dependency order;
* :mod:`~indicators.engine.planning` — which stages run, which indicators are skipped and why, input requirements;
* :mod:`~indicators.engine.executing` — :func:`prepare` (every check that can fail) and :func:`execute`;
* :mod:`~indicators.engine.outputs` — rasters, tables, report and provenance into the output directory;
* :mod:`~indicators.engine.session` — the whole of ``indicators run``: GDAL cache, dask scheduler, atomic output.

Stages, the :class:`~indicators.stage.Context` they see and the helpers they share live below the
engine (:mod:`indicators.stage`, :mod:`indicators.stage_helpers`, :mod:`indicators.stage_tables`);
each objective's stages live in its own package (its ``run`` modules).
"""

from __future__ import annotations

from ..stage import Context, Need, Stage
from .bindings import resolve_stage, stages_from_specs
from .executing import Prepared, default_specs_dir, execute, input_vocabulary, load_run_framework, prepare, release
from .outputs import provenance, write_outputs
from .planning import Plan, plan
from .session import CONNECT_TIMEOUT, GDAL_CACHE_MB, compute_run, connect, gdal_cache, run_to_directory, write_run

__all__ = [
    "CONNECT_TIMEOUT", "GDAL_CACHE_MB", "Context", "compute_run", "write_run", "Need", "Plan", "Prepared", "Stage", "connect", "default_specs_dir",
    "execute", "gdal_cache", "input_vocabulary", "load_run_framework", "plan", "prepare", "provenance", "release",
    "resolve_stage", "run_to_directory", "stages_from_specs", "write_outputs",
]

"""Writing a finished run: rasters, tables, report, provenance.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..config.paths import input_files
from ..errors import ComputeError
from ..heap import trim_heap
from ..report.model import RunResult
from .executing import Prepared, default_specs_dir


def check_legend_matches_flags(r: Any) -> None:
    """Refuse to colour a class raster with a legend whose codes are not the raster's own flag values."""
    flags = r.data.attrs.get("flag_values")
    if flags is None:
        return
    if isinstance(flags, str):
        flags = flags.split()
    elif not isinstance(flags, (list, tuple)):
        flags = list(getattr(flags, "tolist", lambda: [flags])())
    codes = {int(e.code) for e in r.legend}
    stray = sorted(int(v) for v in flags if int(v) not in codes)
    if stray:
        raise ComputeError(
            f"{r.indicator}/{r.name}: the legend has codes {sorted(codes)} but the raster stores {stray}; "
            "the map colours would be wrong (report this as a bug)"
        )


def write_outputs(result: RunResult, prep: Prepared, out_dir: Path, *, config_text: str | None = None,
                  report: bool = True) -> list[Path]:
    """Write rasters, tables, report.html and provenance.json into *out_dir* (an empty directory).

    ``report=False`` leaves report.html to the caller (``indicators compare`` renders it once the comparison
    it shows is computed): every map is then read back from the written COGs (``result.report_rasters``), so
    nothing of the run is held in memory but the tables; provenance.json lists report.html all the same.
    """
    from ..report.page import write_report
    from ..report.provenance import Checksums, write_json
    from ..report.rasters import write_cogs
    from ..report.reporting_package import write_reporting_package
    from ..report.tables import write_tables

    t0 = time.perf_counter()
    trim_heap()  # writing starts from what the run holds, not from its compute peak (indicators/heap.py)
    written: list[Path] = []
    mapped = []  # the rasters as the report maps them: lazy layers from the COGs just written (decode only)
    for r in result.rasters:
        if r.legend:
            check_legend_matches_flags(r)
        colors = {e.code: e.color for e in r.legend} if r.legend else None
        paths = write_cogs(r.data, out_dir / r.indicator / f"{r.name}.tif", colors=colors, extra_tags={"indicator": r.indicator},
                           labels={e.code: e.label for e in r.legend} if r.legend else None, inputs_root=prep.loaded.base_dir)
        written += [p.relative_to(out_dir) for p in paths]
        mapped.append(_from_written(r, paths, deferred=not report))
        trim_heap()  # each map's blocks freed before the next: 1125 -> 861 MiB for the write phase at 10000²
    # the writing's parts, into provenance's timings once the report is written (keys "write …"; "write outputs" is
    # their total with the rest): the report shows the compute's timings, as a compared run's report does
    parts = {"write maps (COGs)": round(time.perf_counter() - t0, 3)}
    # the inputs' checksums beside the tables and the report, which run Python on one core (Checksums)
    checksums = Checksums(hashed_inputs(prep))
    try:
        meta = {"country": result.country, "edition": result.edition, "profile": result.profile}
        written += write_tables(result.tables, out_dir, meta=meta)
        written += write_reporting_package(result.tables, out_dir, meta)  # reporting/<period>.json (docs/reporting-package.md)
        parts["write tables"] = round(time.perf_counter() - t0 - parts["write maps (COGs)"], 3)
        if report:
            t1 = time.perf_counter()
            write_report(dataclasses.replace(result, rasters=mapped), out_dir / "report.html")
            parts["write report"] = round(time.perf_counter() - t1, 3)
        else:  # the caller renders it from these (in memory, at the maps' size: the files move with the directory)
            result.report_rasters = mapped
        written.append(Path("report.html"))
        if config_text is not None:
            (out_dir / "run-config.yaml").write_text(config_text, encoding="utf-8")
            written.append(Path("run-config.yaml"))
        result.timings.update(parts)
        result.timings["write outputs"] = round(time.perf_counter() - t0, 3)
        prov = provenance(result, prep, written, checksum=checksums)
    finally:
        checksums.close()
    write_json(prov, out_dir / "provenance.json")
    written.append(Path("provenance.json"))
    return written


def _from_written(r: Any, paths: Sequence[Path], *, deferred: bool = False) -> Any:
    """*r* with its data read back for the map from its written COG(s) when it is a lazy (dask) layer, else *r*.

    The map reads an overview of the written files (:func:`indicators.report.figures.read_for_map`): a
    decode of about the figure's size, where the lazy layer would recompute its whole chain (resampling,
    masks, population) and a full-resolution read would decode every block.  *deferred* (the report is
    rendered later, once the run's directory has been moved into place): every layer, read now at that size.
    """
    from ..report.figures import read_for_map

    if not deferred and getattr(r.data.data, "dask", None) is None:
        return r
    data = read_for_map(paths, r.data)
    return dataclasses.replace(r, data=data.load() if deferred else data)


def _country_files(prep: Prepared) -> dict[str, Path]:
    loaded = prep.loaded
    cfg = loaded.config
    geo = {"boundary": loaded.resolve(cfg.country.boundary)}
    if cfg.country.admin_units:
        geo["admin_units"] = loaded.resolve(cfg.country.admin_units.path)
    return {k: p for k, p in geo.items() if p.is_file()}


def hashed_inputs(prep: Prepared) -> list[Path]:
    """The local files whose SHA-256 :func:`provenance` records: the run's inputs, its country files and its
    configuration."""
    from ..remote import RemotePath

    loaded = prep.loaded
    # a URL's is_file() is a request: URLs are left to provenance, which hashes them when it writes (Checksums)
    paths = [p for name in sorted(prep.plan.requirements)
             for p in input_files(loaded, name, loaded.config.inputs[name]).values()
             if not isinstance(p, RemotePath) and p.is_file()]
    paths += _country_files(prep).values()
    if loaded.path and loaded.path.is_file():
        paths.append(loaded.path)
    return paths


def provenance(result: RunResult, prep: Prepared, written: Sequence[Path], *,
               checksum: Callable[[Path], str] | None = None) -> dict[str, Any]:
    """The provenance record: software, specs hash, parameters, inputs with checksums, timings.  *checksum* gives a
    file's SHA-256 (default :func:`~indicators.report.provenance.sha256_file`; the run passes its
    :class:`~indicators.report.provenance.Checksums`, started before the tables)."""
    from ..report.provenance import sha256_file, sha256_files, software_versions

    checksum = checksum or sha256_file
    loaded, fw = prep.loaded, prep.framework
    cfg = loaded.config
    inputs: dict[str, Any] = {}
    for name in sorted(prep.plan.requirements):
        spec = cfg.inputs[name]
        files = input_files(loaded, name, spec)
        inputs[name] = {
            "files": {k or name: {"path": str(p), "sha256": checksum(p), "bytes": p.stat().st_size}
                      for k, p in files.items() if p.is_file()},
            "units": spec.units, "years": spec.years, "source": spec.source,
            "needed_by": list(prep.plan.requirements[name].needed_by),
        }
    for k, p in _country_files(prep).items():
        inputs[f"country.{k}"] = {"files": {k: {"path": str(p), "sha256": checksum(p), "bytes": p.stat().st_size}}}
    specs_dir = loaded.resolve(cfg.specs) if cfg.specs else default_specs_dir()
    spec_files = sorted(specs_dir.rglob("*.yaml")) if specs_dir.is_dir() else []
    overlay_file = loaded.resolve(cfg.overlay) if cfg.overlay else None
    return {
        "software": software_versions(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else None,
        "config": {"path": str(loaded.path) if loaded.path else None,
                   "sha256": checksum(loaded.path) if loaded.path and loaded.path.is_file() else None,
                   "content": cfg.model_dump(mode="json", exclude_none=True)},
        "specs": {
            "framework_hash": fw.spec_hash() if hasattr(fw, "spec_hash") else None,
            "files_hash": sha256_files(spec_files, root=specs_dir) if spec_files else None,
            "directory": str(specs_dir),
            "edition": result.edition,
            "profile": result.profile,
            "overlay": getattr(getattr(fw, "overlay", None), "id", None),
            "overlay_sha256": sha256_file(overlay_file) if overlay_file and overlay_file.is_file() else None,
        },
        "indicators": {"computed": result.indicators,
                       "skipped": [{"indicator": s.indicator, "reason": s.reason} for s in result.skipped]},
        "parameters": result.parameters,
        "parameter_blocks": fw.blocks.model_dump(mode="json") if hasattr(fw, "blocks") else None,
        "warnings": [str(w) for w in result.warnings],
        "choices": [{"indicator": c.indicator, "decision": c.decision, "text": c.text} for c in result.choices],
        "inputs": inputs,
        "outputs": sorted(str(p) for p in written),
        "timings_s": result.timings,
        "started_at": result.provenance.get("started_at"),
    }

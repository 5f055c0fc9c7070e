"""Where a run configuration's files are: each input's files, the configuration with absolute paths, and
what an output directory must keep clear of."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from .loading import LoadedConfig
from .schema import InputSpec


def input_files(loaded: LoadedConfig, name: str, spec: InputSpec) -> dict[str, Path]:
    """The file of each year/period key of an input (``{"": path}`` for a single file)."""
    return input_file_paths(spec, loaded.resolve)


def input_file_paths(spec: InputSpec, resolve: Callable[[str], Any]) -> dict[str, Any]:
    """:func:`input_files` with paths resolved by *resolve* (relative to a configuration's folder)."""
    if isinstance(spec.path, Mapping):
        return {k: resolve(p) for k, p in spec.path.items()}
    if "{year}" in spec.path:
        return {str(y): resolve(spec.path.replace("{year}", str(y))) for y in (spec.years or [])}
    return {"": resolve(spec.path)}


def resolved_config_text(loaded: LoadedConfig, *, header: str = "") -> str:
    """YAML text of the configuration with every path made absolute (re-runnable from anywhere).

    Written as ``run-config.yaml`` beside a run's outputs: the record of what
    ran, and a template for a country's own configuration.
    """
    cfg = loaded.config
    data = cfg.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    country = data["country"]
    country["boundary"] = str(loaded.resolve(cfg.country.boundary))
    if cfg.country.admin_units:
        country["admin_units"]["path"] = str(loaded.resolve(cfg.country.admin_units.path))
    for key in ("overlay", "specs"):
        value = getattr(cfg, key)
        if value and (key == "specs" or Path(value).suffix.lower() in (".yaml", ".yml")):
            data[key] = str(loaded.resolve(value))
    for name, spec in cfg.inputs.items():
        entry = data["inputs"][name]
        if isinstance(spec.path, Mapping):
            entry["path"] = {k: str(loaded.resolve(p)) for k, p in spec.path.items()}
        else:
            entry["path"] = str(loaded.resolve(spec.path))
        if spec.years and len(spec.years) > 2 and spec.years == list(range(spec.years[0], spec.years[-1] + 1)):
            entry["years"] = f"{spec.years[0]}-{spec.years[-1]}"
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)
    lines = [f"# {line}" if line else "#" for line in header.splitlines()] if header else []
    return ("\n".join(lines) + "\n" if lines else "") + body


def input_locations(loaded: LoadedConfig) -> list[tuple[str, Path, bool]]:
    """What an output directory must keep clear of: ``(label, path, inside)`` for
    :func:`indicators.report.atomic.check_output_location`.

    Every input file (boundary, admin units, each input's files), the overlay, the
    specs directory, the configuration file and the configuration's folder when
    inputs live in it (issue 15 §3, D27), which the output may neither be, contain
    nor lie inside; the current and the home directory, which the output may
    neither be nor contain (a results folder below either is the usual place).
    """
    from ..specs.loader import specs_dir

    cfg = loaded.config
    out: list[tuple[str, Path, bool]] = [("the country boundary", loaded.resolve(cfg.country.boundary), True)]
    if cfg.country.admin_units:
        out.append(("the admin units", loaded.resolve(cfg.country.admin_units.path), True))
    for name, spec in cfg.inputs.items():
        for key, p in input_files(loaded, name, spec).items():
            out.append((f"input {name}{'[' + key + ']' if key else ''}", p, True))
    if cfg.overlay and Path(cfg.overlay).suffix.lower() in (".yaml", ".yml"):
        out.append(("the overlay", loaded.resolve(cfg.overlay), True))
    out.append(("the specs directory", loaded.resolve(cfg.specs) if cfg.specs else specs_dir(), True))
    out = [entry for entry in out if isinstance(entry[1], Path)]  # an input at a URL is beyond a local output's reach
    if loaded.path is not None:
        config_file = loaded.path.resolve()
        out.append(("the run configuration", config_file, True))
        folder = config_file.parent
        if any(p.resolve().is_relative_to(folder) for label, p, _ in out[:-2] if label != "the specs directory"):
            # the folder holding the configuration and its inputs is the inputs' folder: an output below it is
            # refused too (D27), so a later --overwrite or a glob over the folder never meets a report
            out.append(("the configuration's folder (inputs live there)", folder, True))
    return out + _working_places()


def _working_places() -> list[tuple[str, Path, bool]]:
    """The current and the home directory: an output may neither be nor contain them (D27), no more."""
    return [("the current directory", Path.cwd(), False), ("the home directory", Path.home(), False)]


def read_file_locations(files: Sequence[tuple[str, str | Path]],
                        specs: Path | None = None) -> list[tuple[str, Path, bool]]:
    """What the output of a command reading *files* without a configuration (``indicators prepare``) must keep
    clear of, for :func:`indicators.report.atomic.check_output_location`.

    *files* holds ``(label, path)`` for every file the command reads (each ``--input``, the boundary, the admin
    units). The output may neither be, contain nor lie inside any of them nor inside the folder holding one (the
    inputs' folders: what the configuration's folder is to a run, D27), nor be, contain or lie inside the specs
    directory (the dataset catalogue); it may neither be nor contain the current or the home directory.
    """
    from ..remote import is_url
    from ..specs.loader import specs_dir

    local = [(label, Path(p).expanduser().absolute()) for label, p in files if not is_url(str(p))]
    out: list[tuple[str, Path, bool]] = [(label, p, True) for label, p in local]
    folders: set[Path] = set()
    for label, p in local:
        folder = p.resolve().parent
        if folder not in folders:
            folders.add(folder)
            out.append((f"the folder of {label} (inputs live there)", folder, True))
    out.append(("the specs directory", specs or specs_dir(), True))
    return out + _working_places()

"""Reading a run configuration: a YAML file or a mapping validated into a :class:`LoadedConfig`.

Every schema problem becomes one line of a SpecError, in the project's words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, SpecError
from .schema import RunConfig


@dataclass(frozen=True)
class LoadedConfig:
    """A validated configuration and the directory its relative paths start from."""

    config: RunConfig
    path: Path | None
    base_dir: Path

    def resolve(self, p: str) -> Path:
        """A configured path: relative ones start at :attr:`base_dir`; a URL stays a URL (a
        :class:`indicators.remote.RemotePath`, read by GDAL's virtual file systems or fsspec)."""
        from ..remote import as_input_path

        return as_input_path(p, self.base_dir)


def _loc(loc: Iterable[Any]) -> str:
    return ".".join(str(x) for x in loc if not str(x).startswith("function-")) or "(top level)"


#: the forms a configuration string must have, in words (pydantic reports the bare pattern)
PATTERN_WORDS = {"^[A-Z]{3}$": "three capital letters (an ISO 3166-1 alpha-3 code such as KEN, or XAA-XZZ for a "
                                "user-assigned one)"}


def _schema_message(err: Mapping[str, Any]) -> str:
    """One schema problem in the project's words: what was given, what is expected, how to fix it."""
    kind, given = err["type"], err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see docs/user-guide.md for the fields)"
    if kind == "missing":
        return "required field is missing; add it (see docs/user-guide.md for the fields)"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return f"{given!r} is not valid: give {PATTERN_WORDS.get(pattern, f'a text of the form {pattern}')}"
    if kind in ("int_parsing", "int_type", "float_parsing", "float_type", "int_from_float"):
        return f"{given!r} is not a number; give a number"
    if kind in ("bool_parsing", "bool_type"):
        return f"{given!r} is not true or false; give true or false"
    if kind in ("string_type",):
        return f"{given!r} is not a text; give a text (quote it in YAML)"
    if kind in ("literal_error", "enum"):
        return f"{given!r} is not one of the allowed values: {ctx.get('expected', '')}"
    return err["msg"].removeprefix("Value error, ")


def config_from_mapping(data: Any, *, source: str = "<run config>", base_dir: Path | None = None) -> LoadedConfig:
    """Validate a mapping as a :class:`RunConfig`; every problem becomes one line of a SpecError."""
    if not isinstance(data, Mapping):
        raise SpecError(f"{source}: a run configuration is a YAML mapping (country:, inputs:, …), got {type(data).__name__}")
    try:
        cfg = RunConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            msg = _schema_message(err)
            lines.append(f"{source}: {_loc(err['loc'])}: {msg}")
        from .checks import raw_path_problems  # checks import this module

        lines += raw_path_problems(data, source, base_dir or Path.cwd())
        raise SpecError(join_lines(lines, f"{len(lines)} problem(s) in run configuration {source}")) from None
    return LoadedConfig(cfg, None, base_dir or Path.cwd())


def load_config(path: str | Path) -> LoadedConfig:
    """Read and validate a run configuration YAML file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"run configuration {path} does not exist: pass the path of a YAML file (see `indicators demo` for a template)")
    from ..safe_yaml import load

    parsed = load(path, what="run configuration")
    if parsed.duplicates:
        loc, line, first = parsed.duplicates[0]
        key = ".".join(str(k) for k in loc)
        raise SpecError(f"{path}:{line}: {key}: this key appears twice in the same mapping (first on line {first}); "
                        "YAML would keep only the last: remove or rename one of them")
    data = parsed.data
    loaded = config_from_mapping(data, source=str(path), base_dir=path.resolve().parent)
    return LoadedConfig(loaded.config, path, path.resolve().parent)


def parameter_overrides(cfg: RunConfig) -> dict[str, dict[str, Any]]:
    """The parameter overrides the run configuration applies on top of the profile and overlay.

    ``parameters:`` as written; and, under ``profile: trends_earth`` with an ``lpd``
    input and no ``ndvi``, ``productivity.method: precomputed_lpd`` (Trends.Earth's
    custom-data mode: a precomputed 5-class LPD is used as given) unless
    ``parameters`` says otherwise.
    """
    out = {k: dict(v) for k, v in cfg.parameters.items()}
    if cfg.profile == "trends_earth" and "lpd" in cfg.inputs and "ndvi" not in cfg.inputs:
        out.setdefault("productivity", {}).setdefault("method", "precomputed_lpd")
    return out


def join_lines(lines: list[str], head: str) -> str:
    return head + ":\n" + "\n".join(f"  - {line}" for line in lines)

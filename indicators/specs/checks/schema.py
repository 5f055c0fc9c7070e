"""Checks of one spec file on its own: the spec model's schema, and the sections its ``kind`` may hold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from ..loader import Document
from ..model import SpecFile
from ..problems import Problem, dedupe, format_path


# ------------------------------------------------------------------------------------------
# pydantic errors → problems


def data_loc(data: Any, loc: Sequence[Any], error_type: str) -> tuple[Any, ...]:
    """Keep the part of a pydantic *loc* that exists in *data* (drops union tags such as 'int')."""
    out: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif error_type == "missing" and i == len(loc) - 1:
            out.append(part)
            break
        else:
            continue
        out.append(part)
    return tuple(out)


def _explain(err: dict[str, Any]) -> tuple[str, str]:
    kind = err["type"]
    got = err.get("input")
    field_name = err["loc"][-1] if err["loc"] else "value"
    if kind == "missing":
        return f"required field {field_name!r} is missing", f"add '{field_name}:' (see docs/specs.md)"
    if kind == "extra_forbidden":
        return f"unknown field {field_name!r}", "remove it or correct its spelling (see docs/specs.md for the fields allowed here)"
    if kind == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        return f"{got!r} is not a valid identifier here (pattern {pattern})", "use the canonical spelling, e.g. SO1-1, SO5-5.1, lower_case_id"
    if kind == "literal_error":
        return f"{got!r} is not allowed; {err['msg'][0].lower()}{err['msg'][1:]}", "use one of the listed values"
    text = err["msg"]
    return f"{text[0].lower()}{text[1:]} (got {got!r})", "correct the value"


def schema_problem(file: str, line: int | None, path: str, err: dict[str, Any]) -> Problem:
    problem, fix = _explain(err)
    return Problem(file, line, path, problem, fix, "schema")


def schema_problems(doc: Document) -> list[Problem]:
    """Check one file against :class:`SpecFile`."""
    try:
        SpecFile.model_validate(doc.data)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = data_loc(doc.data, err["loc"], err["type"])
            out.append(schema_problem(doc.name, doc.line_of(loc), format_path(loc), err))
        return dedupe(out)
    return kind_problems(doc)


_KIND_SECTIONS = {
    "framework": {"framework", "editions", "objectives", "parameters", "legends", "nestings", "matrices", "classifications", "lookup_tables", "factor_sets", "indicators"},
    "objective": {"objectives", "indicators", "parameters", "legends", "nestings", "matrices", "classifications", "lookup_tables", "factor_sets"},
    "legends": {"legends", "nestings", "matrices", "classifications", "lookup_tables", "factor_sets", "parameters"},
    "profile": {"profile", "legends", "nestings", "matrices", "classifications", "lookup_tables", "factor_sets", "parameter_overrides", "edition_overrides"},
    "datasets": {"datasets"},
    "overlay": {"overlay", "legends", "nestings", "matrices", "classifications", "lookup_tables", "factor_sets", "parameter_overrides", "edition_overrides",
                "indicators", "compute_overrides"},
}


def kind_problems(doc: Document) -> list[Problem]:
    """Sections a file of its ``kind`` may not hold, and the header a profile/overlay must have."""
    kind = doc.kind or ""
    allowed = _KIND_SECTIONS.get(kind, set()) | {"spec_version", "kind"}
    out = []
    for key in doc.data:
        if key not in allowed:
            out.append(Problem(doc.name, doc.line_of((key,)), str(key), f"a '{kind}' file may not hold the section {key!r}",
                               f"move it to a file of the right kind (allowed here: {', '.join(sorted(allowed - {'spec_version', 'kind'}))})", "kind"))
    if kind in ("profile", "overlay") and not isinstance(doc.data.get(kind), dict):
        out.append(Problem(doc.name, doc.line_of(()), kind, f"a '{kind}' file needs a '{kind}:' header", f"add '{kind}: {{id: ..., ...}}'", "schema"))
    return out

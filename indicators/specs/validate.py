"""Validation of spec files: schema, ids, references, matrices, thresholds, units, bindings, editions.

Every finding is a :class:`~indicators.specs.problems.Problem` printed as
``<file>:<line>: <field.path>: <problem>; <fix>``.  A compute binding whose
module or function does not exist yet is a *planned* finding, not an error,
so the catalog can be complete before the code.

The rules live in :mod:`indicators.specs.checks`, one module per family; this
module runs them on each file and on the merged framework of every edition ×
profile × overlay.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .checks.bindings import check_bindings
from .checks.context import CheckContext
from .checks.editions import check_editions
from .checks.legends import check_classifications, check_lookup_tables, check_matrices, check_nestings
from .checks.parameters import check_blocks
from .checks.references import check_references, check_unique
from .checks.schema import data_loc, schema_problem, schema_problems
from .checks.tables import check_stage_tables
from .checks.tiers import check_tiers
from .checks.units import check_units
from .loader import BASE_KINDS, Document, Merged, collect_files, merge, read_document, specs_dir
from .model import Framework
from .problems import Problem, dedupe

# ------------------------------------------------------------------------------------------
# checks on the merged framework


def check_merged(merged: Merged, *, bindings: bool = True) -> tuple[Framework | None, list[Problem]]:
    """Build the :class:`Framework` from merged data and run every cross-item check.

    ``bindings=False`` skips importing the compute modules (the loader uses it
    so that loading specs never imports xarray or dask).
    """
    try:
        fw = Framework.model_validate(merged.raw)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = data_loc(merged.raw, err["loc"], err["type"])
            file, line, path = merged.locate(loc)
            if loc and loc[-1] in ("blocks", "info", "profile") and err["type"] == "missing":
                what = {"blocks": "parameter blocks", "info": "'framework' section", "profile": "profile"}[loc[-1]]
                out.append(Problem(file, line, path, f"the merged specs have no {what}", "add the file that defines it (see docs/specs.md)", "schema"))
                continue
            if len(loc) >= 2 and loc[0] == "blocks" and err["type"] == "missing" and len(loc) == 2:
                out.append(Problem(file, line, path, f"parameter block {loc[1]!r} is not defined", "define it in the default specs", "schema"))
                continue
            out.append(schema_problem(file, line, path, err))
        return None, dedupe(out)
    ctx = CheckContext(fw, merged)
    for check in CHECKS:
        if check in (check_bindings, check_stage_tables) and not bindings:
            continue  # both import the objective packages
        check(ctx)
    return fw, ctx.problems


CHECKS: tuple[Callable[[CheckContext], None], ...] = (
    check_unique,
    check_references,
    check_matrices,
    check_nestings,
    check_classifications,
    check_lookup_tables,
    check_units,
    check_bindings,
    check_editions,
    check_stage_tables,
    check_tiers,
    check_blocks,
)


# ------------------------------------------------------------------------------------------
# entry points


@dataclass
class Report:
    problems: list[Problem]
    files: list[str]
    combinations: list[str]

    strict: bool = False  # planned bindings count as errors (validate --strict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error" or (self.strict and p.severity == "planned")]

    @property
    def planned(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "planned"]

    @property
    def ok(self) -> bool:
        return not self.errors



def validate_documents(docs: Sequence[Document]) -> Report:
    """Validate the documents: each file's schema, then the merged framework for every edition × profile (× overlay)."""
    problems: list[Problem] = []
    for d in docs:
        problems += d.problems
        problems += schema_problems(d)
    files = [d.name for d in docs]
    combos: list[str] = []
    if any(p.rule in ("schema", "kind") for p in problems):
        return Report(dedupe(problems), files, combos)  # cross-checks need well-formed files
    base = [d for d in docs if d.kind in BASE_KINDS]
    profiles = [d for d in docs if d.kind == "profile"] or [None]
    overlays = [None] + [d for d in docs if d.kind == "overlay"]
    probe = merge(base)
    editions = [str(e.get("id")) for e in probe.raw["editions"] if isinstance(e, dict)] or [None]
    for prof in profiles:
        for over in overlays:
            for ed in editions:
                merged = merge(base, prof, over, edition=ed)
                problems += merged.problems
                _fw, more = check_merged(merged)
                problems += more
                pid = prof.data["profile"]["id"] if prof is not None else "-"
                oid = over.data["overlay"]["id"] if over is not None else "-"
                combos.append(f"edition={ed} profile={pid} overlay={oid}")
    info = probe.raw.get("info") or {}
    if profiles != [None] and info.get("default_profile") not in {p.data["profile"]["id"] for p in profiles if p is not None}:
        loc = ("info", "default_profile")
        file, line, path = probe.locate(loc)
        problems.append(Problem(file, line, path, f"default profile {info.get('default_profile')!r} is not among the profiles",
                                "add specs/profiles/<id>.yaml or change default_profile", "reference"))
    return Report(dedupe(problems), files, combos)


def validate_paths(paths: Sequence[str | Path] | None = None) -> Report:
    """Validate spec files or directories (default: the specs directory).

    When the paths hold no ``framework`` file (e.g. a single overlay), the
    default framework files are added from :func:`~indicators.specs.loader.specs_dir`
    so that references can be checked; a given file replaces the default file
    of the same name.

    Raises
    ------
    SpecReadError
        A file cannot be read or parsed (exit status 2).
    """
    files = collect_files(paths or [specs_dir()])
    docs = [read_document(p) for p in files]
    if not any(d.kind == "framework" for d in docs):
        given = {p.name for p in files}
        defaults = [read_document(p) for p in collect_files([specs_dir()]) if p.name not in given]
        docs = [d for d in defaults if d.kind in (*BASE_KINDS, "profile")] + docs
    return validate_documents(docs)

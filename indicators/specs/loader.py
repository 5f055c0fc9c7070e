"""Read spec files (with line numbers), merge defaults + profile + overlay, build the Framework.

Layout of a specs directory (found next to the package, or at
``$INDICATORS_SPECS_DIR``): every ``*.yaml`` below it is read; its ``kind``
says what it is.  ``framework``/``objective``/``legends`` files are the
defaults and are merged section by section (items by id, parameter blocks by
name, duplicates are problems).  A ``profile`` file and then an ``overlay``
file are applied on top: their items replace or add items by id, their
``parameter_overrides`` and ``edition_overrides`` change single fields; an
overlay's indicators are added (an overlay replaces no indicator of the specs)
and its ``compute_overrides`` replace metrics' compute bindings.  The merged
result is validated exactly like the defaults.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base_model import canonical_code
from .model import ITEM_SECTIONS, Framework
from .parameter_model import PARAMETER_BLOCKS
from .problems import Problem, SpecReadError, format_path

BASE_KINDS = ("framework", "objective", "legends")
ENV_VAR = "INDICATORS_SPECS_DIR"


def specs_dir() -> Path:
    """The specs directory: ``$INDICATORS_SPECS_DIR``, or the shipped ``specs/`` (repository root or installed copy)."""
    from ..resources import bundled_path

    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return bundled_path("specs")


# ------------------------------------------------------------------------------------------
# reading YAML with the line of every node


@dataclass
class Document:
    path: Path
    data: dict[str, Any]
    lines: dict[tuple[Any, ...], int]
    problems: list[Problem] = field(default_factory=list)

    @property
    def kind(self) -> str | None:
        kind = self.data.get("kind")
        return kind if isinstance(kind, str) else None

    @property
    def name(self) -> str:
        return display_path(self.path)

    def line_of(self, loc: Sequence[Any]) -> int | None:
        """Line of the deepest node of *loc* that exists in the file."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 1)


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def parse_document(text: str, path: Path) -> Document:
    """Parse YAML *text* (:mod:`indicators.safe_yaml`); raise :class:`SpecReadError` when it is not a YAML mapping."""
    from ..safe_yaml import YamlReadError, parse

    name = display_path(path)
    try:
        parsed = parse(text, name)
    except YamlReadError as exc:
        raise SpecReadError(str(exc)) from None
    data = parsed.data
    if not isinstance(data, dict):
        raise SpecReadError(f"{name}:1: <document>: a spec file must be a YAML mapping, got {type(data).__name__}; start with 'spec_version: 1' and 'kind: ...'")
    doc = Document(path=path, data=data, lines=parsed.lines)
    for loc, line, first in parsed.duplicates:
        doc.problems.append(
            Problem(name, line, format_path(loc), f"key {loc[-1]!r} appears twice in the same mapping (first on line {first}); YAML keeps only the last",
                    "remove or rename one of them", "duplicate_key")
        )
    return doc


def read_document(path: str | Path) -> Document:
    """Read one spec file: size-bounded, safe YAML (:func:`indicators.safe_yaml.read_text`)."""
    from ..safe_yaml import YamlReadError, read_text

    path = Path(path)
    try:
        text = read_text(path, name=display_path(path), what="spec file")
    except YamlReadError as exc:
        raise SpecReadError(str(exc)) from None
    return parse_document(text, path)


def collect_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand directories to the ``*.yaml``/``*.yml`` files below them (sorted); keep files as given."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            files.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file()))
        elif p.exists():
            files.append(p)
        else:
            raise SpecReadError(f"{p}: <document>: no such file or directory; give a spec file or the specs/ directory")
    return files


def read_directory(root: str | Path | None = None) -> list[Document]:
    return [read_document(p) for p in collect_files([root or specs_dir()])]


# ------------------------------------------------------------------------------------------
# merging


@dataclass
class Merged:
    raw: dict[str, Any]
    origin: dict[tuple[Any, ...], tuple[Document, tuple[Any, ...]]]
    problems: list[Problem]

    def locate(self, loc: Sequence[Any]) -> tuple[str, int | None, str]:
        """(file, line, file-relative path) of a location in the merged data."""
        loc = tuple(loc)
        for n in range(len(loc), -1, -1):
            hit = self.origin.get(loc[:n])
            if hit is not None:
                doc, dpath = hit
                full = dpath + loc[n:]
                return doc.name, doc.line_of(full), format_path(full)
        return "<merged>", None, format_path(loc)


def _record(value: Any, mpath: tuple, doc: Document, dpath: tuple, origin: dict) -> None:
    origin[mpath] = (doc, dpath)
    if isinstance(value, dict):
        for k, v in value.items():
            _record(v, mpath + (k,), doc, dpath + (k,), origin)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _record(v, mpath + (i,), doc, dpath + (i,), origin)


def _item_key(section: str, item: Any) -> Any:
    if not isinstance(item, dict):
        return None
    key = item.get(ITEM_SECTIONS[section])
    return canonical_code(key) if section in ("objectives", "indicators") else key


def _deep_merge(target: dict, patch: dict, mpath: tuple, doc: Document, dpath: tuple, origin: dict) -> None:
    """Merge *patch* into *target*: mappings recursively, lists of items with ``id`` by id, anything else replaced."""
    for key, value in patch.items():
        cur = target.get(key)
        if isinstance(cur, dict) and isinstance(value, dict):
            _deep_merge(cur, value, mpath + (key,), doc, dpath + (key,), origin)
        elif (
            isinstance(cur, list)
            and isinstance(value, list)
            and all(isinstance(v, dict) and "id" in v for v in cur + value)
        ):
            index = {item["id"]: i for i, item in enumerate(cur)}
            for j, item in enumerate(value):
                if item["id"] in index:
                    i = index[item["id"]]
                    _deep_merge(cur[i], item, mpath + (key, i), doc, dpath + (key, j), origin)
                else:
                    cur.append(copy.deepcopy(item))
                    _record(item, mpath + (key, len(cur) - 1), doc, dpath + (key, j), origin)
        else:
            target[key] = copy.deepcopy(value)
            _record(value, mpath + (key,), doc, dpath + (key,), origin)


def merge(base: Sequence[Document], profile: Document | None = None, overlay: Document | None = None, *, edition: str | None = None) -> Merged:
    """Merge the default documents, then the profile, then the overlay."""
    raw: dict[str, Any] = {"spec_version": 1, **{s: [] for s in ITEM_SECTIONS}, "blocks": {}}
    origin: dict[tuple[Any, ...], tuple[Document, tuple[Any, ...]]] = {}
    problems: list[Problem] = []
    keys: dict[str, dict[Any, tuple[Document, int]]] = {s: {} for s in ITEM_SECTIONS}
    framework_doc: Document | None = None

    def dup(doc: Document, loc: tuple, what: str, first: Document, first_loc: tuple) -> None:
        problems.append(
            Problem(doc.name, doc.line_of(loc), format_path(loc),
                    f"{what} is already defined in {first.name}:{first.line_of(first_loc)}",
                    "give it another id, or change it in a profile/overlay instead of redefining it", "unique_id")
        )

    for doc in base:
        data = doc.data
        if isinstance(data.get("framework"), dict):
            if framework_doc is not None:
                dup(doc, ("framework",), "the 'framework' section", framework_doc, ("framework",))
            else:
                framework_doc = doc
                raw["info"] = copy.deepcopy(data["framework"])
                _record(data["framework"], ("info",), doc, ("framework",), origin)
        for section in ITEM_SECTIONS:
            items = data.get(section) or []
            if not isinstance(items, list):
                continue
            for i, item in enumerate(items):
                key = _item_key(section, item)
                if key is not None and key in keys[section]:
                    first, j = keys[section][key]
                    dup(doc, (section, i, ITEM_SECTIONS[section]), f"{section[:-1] if section != 'matrices' else 'matrix'} {key!r}", first, (section, j))
                    continue
                if key is not None:
                    keys[section][key] = (doc, i)
                raw[section].append(copy.deepcopy(item))
                _record(item, (section, len(raw[section]) - 1), doc, (section, i), origin)
        blocks = data.get("parameters") or {}
        if isinstance(blocks, dict):
            for name, block in blocks.items():
                if name in raw["blocks"]:
                    first_doc = origin[("blocks", name)][0]
                    dup(doc, ("parameters", name), f"parameter block {name!r}", first_doc, ("parameters", name))
                    continue
                raw["blocks"][name] = copy.deepcopy(block)
                _record(block, ("blocks", name), doc, ("parameters", name), origin)

    for layer in (profile, overlay):
        if layer is None:
            continue
        _apply_layer(raw, origin, problems, layer)

    if profile is not None and isinstance(profile.data.get("profile"), dict):
        raw["profile"] = copy.deepcopy(profile.data["profile"])
        _record(profile.data["profile"], ("profile",), profile, ("profile",), origin)
    if overlay is not None and isinstance(overlay.data.get("overlay"), dict):
        raw["overlay"] = copy.deepcopy(overlay.data["overlay"])
        _record(overlay.data["overlay"], ("overlay",), overlay, ("overlay",), origin)
    info = raw.get("info") if isinstance(raw.get("info"), dict) else {}
    if "profile" not in raw:  # no profile file: the defaults as they are
        raw["profile"] = {"id": info.get("default_profile", "default"), "title": "Defaults", "description": "no profile applied", "source": "specs defaults"}
    raw["edition"] = str(edition) if edition is not None else info.get("default_edition")
    return Merged(raw, origin, problems)


def _apply_layer(raw: dict, origin: dict, problems: list[Problem], doc: Document) -> None:
    data = doc.data
    for section in ITEM_SECTIONS:
        items = data.get(section) or []
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            key = _item_key(section, item)
            existing = [j for j, it in enumerate(raw[section]) if _item_key(section, it) == key]
            if existing and section == "indicators":  # a country adds indicators; it rebinds a metric, never redefines one
                first_doc, first_loc = origin.get((section, existing[0]), (doc, ()))
                problems.append(Problem(doc.name, doc.line_of((section, i, "code")), format_path((section, i, "code")),
                                        f"indicator {key!r} is already defined in {first_doc.name}:{first_doc.line_of(first_loc)}",
                                        "give the country's indicator a code of its own; change a metric's function with "
                                        "compute_overrides", "unique_id"))
                continue
            if existing:
                raw[section][existing[0]] = copy.deepcopy(item)
                # drop the origins of the replaced item before recording the new one
                for k in [k for k in origin if k[:2] == (section, existing[0])]:
                    del origin[k]
                _record(item, (section, existing[0]), doc, (section, i), origin)
            else:
                raw[section].append(copy.deepcopy(item))
                _record(item, (section, len(raw[section]) - 1), doc, (section, i), origin)
    overrides = data.get("parameter_overrides") or {}
    if isinstance(overrides, dict):
        for name, patch in overrides.items():
            loc = ("parameter_overrides", name)
            if name not in PARAMETER_BLOCKS:
                problems.append(Problem(doc.name, doc.line_of(loc), format_path(loc), f"unknown parameter block {name!r}",
                                        f"use one of: {', '.join(PARAMETER_BLOCKS)}", "reference"))
                continue
            if name not in raw["blocks"] or not isinstance(raw["blocks"][name], dict):
                problems.append(Problem(doc.name, doc.line_of(loc), format_path(loc), f"parameter block {name!r} has no defaults to override",
                                        "define the block in the default specs first", "reference"))
                continue
            if isinstance(patch, dict):
                _deep_merge(raw["blocks"][name], patch, ("blocks", name), doc, loc, origin)
    _apply_compute_overrides(raw, origin, problems, doc)
    ed_over = data.get("edition_overrides") or {}
    if isinstance(ed_over, dict):
        for ed_id, patch in ed_over.items():
            loc = ("edition_overrides", ed_id)
            idx = [j for j, e in enumerate(raw["editions"]) if isinstance(e, dict) and str(e.get("id")) == str(ed_id)]
            if not idx:
                known = ", ".join(str(e.get("id")) for e in raw["editions"] if isinstance(e, dict))
                problems.append(Problem(doc.name, doc.line_of(loc), format_path(loc), f"edition {ed_id!r} is not defined",
                                        f"use one of: {known}", "reference"))
                continue
            if isinstance(patch, dict):
                _deep_merge(raw["editions"][idx[0]], patch, ("editions", idx[0]), doc, loc, origin)


def _apply_compute_overrides(raw: dict, origin: dict, problems: list[Problem], doc: Document) -> None:
    """An overlay's ``compute_overrides``: each named metric's compute binding replaced by the one given (D30)."""
    overrides = doc.data.get("compute_overrides") or {}
    if not isinstance(overrides, dict):
        return
    where = {m.get("id"): (i, j) for i, ind in enumerate(raw["indicators"]) if isinstance(ind, dict)
             for j, m in enumerate(ind.get("metrics") or []) if isinstance(m, dict)}
    for metric_id, binding in overrides.items():
        loc = ("compute_overrides", metric_id)
        if metric_id not in where:
            problems.append(Problem(doc.name, doc.line_of(loc), format_path(loc), f"metric {metric_id!r} is not defined",
                                    "use the id of a metric of the specs (indicators[].metrics[].id)", "reference"))
            continue
        i, j = where[metric_id]
        path = ("indicators", i, "metrics", j, "compute")
        raw["indicators"][i]["metrics"][j]["compute"] = copy.deepcopy(binding)
        for k in [k for k in origin if k[:5] == path]:
            del origin[k]
        _record(binding, path, doc, loc, origin)


# ------------------------------------------------------------------------------------------
# the public loader


def _select(docs: Sequence[Document], kind: str, wanted: str | Path | None) -> Document | None:
    """The profile or overlay document named *wanted* (an id among the specs, or a file path)."""
    if wanted is None:
        return None
    from ..errors import SpecError

    candidates = [d for d in docs if d.kind == kind]
    known = sorted(str(d.data[kind].get("id")) for d in candidates if isinstance(d.data.get(kind), dict))
    ids = f"one of {', '.join(known)}" if known else f"no {kind} id (the specs define none)"
    wanted_path = Path(wanted)
    if wanted_path.suffix in (".yaml", ".yml"):
        for d in candidates:
            if d.path.resolve() == wanted_path.resolve():
                return d
        if not wanted_path.is_file():
            raise SpecError(f"{kind} file {wanted_path} does not exist; give the path of an existing {kind} file, "
                            f"or use {ids}")
        return read_document(wanted_path)
    for d in candidates:
        section = d.data.get(kind)
        if isinstance(section, dict) and section.get("id") == str(wanted):
            return d
    article = "an" if kind[0] in "aeiou" else "a"
    raise SpecError(f"{kind} {str(wanted)!r} is not defined; use {ids}, or the path of {article} {kind} file (.yaml)")


def _check_edition(merged: Merged) -> None:
    """One clear error when the requested edition is none of the defined ones."""
    from ..errors import SpecError

    editions = merged.raw.get("editions")
    wanted = merged.raw.get("edition")
    if not isinstance(editions, list) or wanted is None:
        return  # no editions at all: the validator reports that
    known = [str(e.get("id")) for e in editions if isinstance(e, dict)]
    if known and str(wanted) not in known:
        raise SpecError(f"edition {str(wanted)!r} is not defined; use one of {', '.join(sorted(known))}")


def load_framework(
    edition: str | int | None = None,
    profile: str | Path | None = None,
    overlay: str | Path | None = None,
    *,
    specs: str | Path | None = None,
    parameters: Mapping[str, Any] | None = None,
    parameters_source: str = "run configuration",
) -> Framework:
    """Load, merge and validate the specs; return the typed, immutable :class:`Framework`.

    Parameters
    ----------
    edition : str or int, optional
        Reporting edition (``"2022"`` or ``"2026"``); default: the framework's
        ``default_edition`` (2026, decision D2).
    profile : str or path, optional
        Profile id (``"default"``, ``"trends_earth"``) or a profile file; default:
        the framework's ``default_profile``.
    overlay : str or path, optional
        A national overlay: its id among the specs' overlays, or a file path.
    specs : path, optional
        Specs directory (default: :func:`specs_dir`).
    parameters : mapping, optional
        Parameter overrides by block (as an overlay's ``parameter_overrides``),
        applied last: a run configuration's ``parameters:``.
    parameters_source : str
        Where *parameters* come from, for messages and provenance.

    Raises
    ------
    SpecError
        With one line per problem (file:line: field: problem; fix).
    """
    from ..errors import SpecError
    from .checks.schema import schema_problems
    from .validate import check_merged

    docs = read_directory(specs)
    base = [d for d in docs if d.kind in BASE_KINDS]
    info = next((d.data["framework"] for d in base if isinstance(d.data.get("framework"), dict)), {})
    prof = _select(docs, "profile", profile if profile is not None else info.get("default_profile"))
    over = _select(docs, "overlay", overlay)
    merged = merge(base, prof, over, edition=None if edition is None else str(edition))
    if parameters:
        _apply_layer(merged.raw, merged.origin, merged.problems,
                     Document(Path(parameters_source), {"parameter_overrides": dict(parameters)}, {}))
    if edition is not None:  # a requested edition (a wrong default_edition is the validator's problem)
        _check_edition(merged)
    used = [*base, *(x for x in (prof, over) if x)]
    problems = [p for d in used for p in [*d.problems, *schema_problems(d)]] + merged.problems
    framework, more = check_merged(merged, bindings=False)
    problems += more
    errors = [p for p in problems if p.severity == "error"]
    if errors or framework is None:
        lines = "\n".join(p.line_text() for p in errors[:20])
        extra = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise SpecError(f"the specs do not validate ({len(errors)} problem(s)):\n{lines}{extra}")
    return framework

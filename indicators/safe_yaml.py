"""Bounded, safe reading of the package's YAML files (specs and run configurations).

One reader for every YAML file a user hands the package, so that a hostile or
broken file fails fast with a message naming the file and line:

* files above :data:`MAX_YAML_BYTES` are refused before they are read;
* only the YAML safe schema is constructed: a tag such as ``!!python/object``
  is refused, never executed;
* aliases (``*name``) are allowed - the shipped specs share blocks with them -
  but the size of the document *after* expanding them is bounded
  (:data:`MAX_ALIAS_EXPANSION` times the nodes written, plus
  :data:`ALIAS_EXPANSION_SLACK`); a "billion laughs" alias bomb is refused after
  one linear pass over the composed nodes, before anything is built from it;
* duplicate keys in one mapping are reported with both lines (YAML itself would
  silently keep the last one).

The composed node graph is walked once, iteratively, so time and memory are
linear in the file size (libyaml's C parser when PyYAML has it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError
from .text import control_character

#: largest YAML file read, bytes (a national overlay or configuration is a few kB; the shipped specs ~100 kB)
MAX_YAML_BYTES = 32 * 2**20
#: a document may grow at most this many times its written node count by expanding aliases ...
MAX_ALIAS_EXPANSION = 10
#: ... plus this many nodes (small files sharing a block a few times are always fine)
ALIAS_EXPANSION_SLACK = 100_000

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlReadError(SpecError):
    """A YAML file is too large, does not parse, or is unsafe to expand."""


@dataclass
class YamlDocument:
    """A parsed YAML document: its data, the line of every node, and duplicate keys found."""

    data: Any
    #: line (1-based) of each node, keyed by its path of keys/indices from the root
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)
    #: (path of the repeated key, its line, line of its first occurrence)
    duplicates: list[tuple[tuple[Any, ...], int, int]] = field(default_factory=list)


def read_text(path: str | Path, *, name: str | None = None, max_bytes: int | None = None, what: str = "YAML file") -> str:
    """The UTF-8 text of *path*, refused when larger than *max_bytes* (default :data:`MAX_YAML_BYTES`;
    checked before reading)."""
    max_bytes = MAX_YAML_BYTES if max_bytes is None else max_bytes
    path = Path(path)
    name = name or str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise YamlReadError(f"{name}: the {what} is {size / 2**20:.1f} MiB, above the limit of "
                                f"{max_bytes / 2**20:.0f} MiB; give the right file (a spec or configuration "
                                "is a few kB), or split it")
        with open(path, "rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise YamlReadError(f"{name}: cannot read the {what} ({exc.strerror or exc}); check the path") from None
    if len(raw) > max_bytes:  # grew since stat, or a special file
        raise YamlReadError(f"{name}: the {what} is larger than the limit of {max_bytes / 2**20:.0f} MiB; "
                            "give the right file, or split it")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlReadError(f"{name}:{line}: the {what} is not UTF-8 text (byte {raw[exc.start]:#x}); "
                            "save it as UTF-8") from None


def parse(text: str, name: str) -> YamlDocument:
    """Parse one YAML document safely; raise :class:`YamlReadError` naming ``name:line`` on any problem."""
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return YamlDocument(None, {(): 1})
        lines, duplicates = _inspect(root, name)
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise YamlReadError(_yaml_message(exc, name)) from None
    except RecursionError:
        raise YamlReadError(f"{name}: the YAML nests too deeply; flatten the structure") from None
    finally:
        loader.dispose()
    return YamlDocument(data, lines, duplicates)


def load(path: str | Path, *, name: str | None = None, max_bytes: int | None = None, what: str = "YAML file") -> YamlDocument:
    """:func:`read_text` then :func:`parse`."""
    name = name or str(path)
    return parse(read_text(path, name=name, max_bytes=max_bytes, what=what), name)


def _yaml_message(exc: yaml.YAMLError, name: str) -> str:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"{name}:{mark.line + 1}" if mark is not None else name
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if isinstance(exc, yaml.constructor.ConstructorError) and "tag" in str(problem):
        return (f"{where}: {problem.strip()}; tags are not allowed in this file (only plain YAML values): "
                "remove the '!...' tag")
    return f"{where}: YAML does not parse ({problem}); fix the syntax (indentation, quotes, colons)"


def _scalar_key(node: yaml.Node) -> Any:
    """A mapping key as the constructor would make it (plain scalars only; others by their node id)."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:str":
            return node.value
        try:
            return _KEY_CONSTRUCTOR.construct_object(node)
        except yaml.YAMLError:
            return node.value
        finally:
            _KEY_CONSTRUCTOR.constructed_objects.pop(node, None)
    return ("<complex key>", id(node))


_KEY_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _inspect(root: yaml.Node, name: str) -> tuple[dict[tuple[Any, ...], int], list]:
    """One pass over the composed graph: bound alias expansion, then record lines and duplicate keys.

    Aliases make the composed graph share nodes; its *expanded* size is counted
    with a memo per node (linear in the nodes written), so an alias bomb is
    measured, not expanded.  Only when the bound holds are the lines recorded
    by walking the expanded tree (then known to be small).
    """
    written = 0
    expanded: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(expanded[id(c)] for c in _children(node))
            expanded[key] = total
            continue
        if key in expanded:
            continue
        if key in on_path:
            raise YamlReadError(f"{name}:{node.start_mark.line + 1}: an alias refers to the block that contains it "
                                "(a recursive structure); remove the alias")
        written += 1
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in expanded)
    total = expanded[id(root)]
    limit = MAX_ALIAS_EXPANSION * written + ALIAS_EXPANSION_SLACK
    if total > limit:
        raise YamlReadError(f"{name}: expanding the YAML aliases (*name) would make {_big(total)} values from the "
                            f"{written} written (limit {limit}); this is an alias bomb or a mistake: "
                            "write the values out, or use fewer nested aliases")

    lines: dict[tuple[Any, ...], int] = {}
    duplicates: list[tuple[tuple[Any, ...], int, int]] = []
    walk: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())]
    while walk:
        node, loc = walk.pop()
        lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            _refuse_control_character(node, loc, name)
        elif isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, value_node in node.value:
                k = _scalar_key(key_node)
                line = key_node.start_mark.line + 1
                if isinstance(key_node, yaml.ScalarNode):
                    _refuse_control_character(key_node, loc, name)
                try:
                    first = seen.get(k)
                except TypeError:  # an unhashable key: the constructor reports it
                    first = None
                    k = ("<unhashable key>", id(key_node))
                if first is not None:
                    duplicates.append((loc + (k,), line, first))
                seen[k] = line
                lines[loc + (k,)] = line
                walk.append((value_node, loc + (k,)))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[loc + (i,)] = item.start_mark.line + 1
                walk.append((item, loc + (i,)))
    duplicates.sort(key=lambda d: d[1])
    return lines, duplicates


def _refuse_control_character(node: yaml.ScalarNode, loc: tuple[Any, ...], name: str) -> None:
    """Refuse a text holding a control character (:mod:`indicators.text`): the names and titles of a YAML file go
    into the tables, the workbook and the report, which cannot hold one."""
    char = control_character(node.value)
    if char is not None:
        where = ".".join(str(k) for k in loc)
        raise YamlReadError(f"{name}:{node.start_mark.line + 1}: {where + ': ' if where else ''}the text "
                            f"{node.value[:60]!r} holds the control character {char}, which the tables, the workbook "
                            "and the report cannot hold; remove it (in a double-quoted text an escape such as \\a "
                            "makes one)")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _big(n: int) -> str:
    return f"{n:,}" if n < 10**12 else f"about 10^{len(str(n)) - 1}"

"""What every check of the merged framework is given: the framework, where each value came from, the problems."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..loader import Merged
from ..model import Framework
from ..problems import Problem


@dataclass
class CheckContext:
    fw: Framework
    merged: Merged
    problems: list[Problem] = field(default_factory=list)

    def add(self, loc: Sequence[Any], problem: str, fix: str, rule: str, severity: str = "error") -> None:
        file, line, path = self.merged.locate(loc)
        self.problems.append(Problem(file, line, path, problem, fix, rule, severity))  # type: ignore[arg-type]


def repeated(values: Iterable[Any]) -> set[Any]:
    return {v for v, n in Counter(values).items() if n > 1}


_GETTERS = {
    "legend": "legends",
    "nesting": "nestings",
    "matrix": "matrices",
    "classification": "classifications",
    "lookup_table": "lookup_tables",
    "factor_set": "factor_sets",
}


def item_ids(fw: Framework, kind: str) -> set[str]:
    """Ids of the items of *kind* (memoised per framework: asked once per reference of every item)."""
    memo = _IDS_MEMO.get(id(fw))
    if memo is None or memo[0] is not fw:
        memo = (fw, {})
        _IDS_MEMO.clear()  # one framework at a time: no growth, no stale ids
        _IDS_MEMO[id(fw)] = memo
    found = memo[1].get(kind)
    if found is None:
        found = memo[1][kind] = {item.id for item in getattr(fw, _GETTERS[kind])}
    return found


_IDS_MEMO: dict[int, tuple[Framework, dict[str, set[str]]]] = {}

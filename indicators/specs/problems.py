"""Problems found in spec files, and the formatting of their location."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import SpecError


class SpecReadError(SpecError):
    """A spec file cannot be read or parsed (the CLI exits 2)."""

    exit_code = 2


def format_path(loc: tuple[Any, ...]) -> str:
    """``("indicators", 2, "metrics", 0, "unit")`` → ``indicators[2].metrics[0].unit``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "<document>"


@dataclass(frozen=True)
class Problem:
    """One finding: where it is, what is wrong, how to fix it."""

    file: str
    line: int | None
    path: str
    problem: str
    fix: str
    rule: str
    severity: Literal["error", "planned"] = "error"

    def line_text(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        tag = "" if self.severity == "error" else f"[{self.severity}] "
        return f"{where}: {self.path}: {tag}{self.problem}; {self.fix}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "problem": self.problem,
            "fix": self.fix,
            "rule": self.rule,
            "severity": self.severity,
        }


def dedupe(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple] = set()
    out = []
    for p in problems:
        key = (p.file, p.line, p.path, p.problem)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out

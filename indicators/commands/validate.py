"""``indicators validate [PATH ...]``: check spec files; one line per problem.

Exit status: 0 clean, 1 problems found, 2 a file cannot be read or parsed.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="spec files or directories (default: the specs/ directory)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (json: for machines)")
    parser.add_argument("--strict", action="store_true",
                        help="refuse planned bindings too (a metric marked 'status: planned' whose function does not exist)")
    parser.add_argument("--show-planned", action="store_true", help="also list compute bindings whose function is not written yet")


def run(args: argparse.Namespace) -> int:
    from ..specs.problems import SpecReadError
    from ..specs.validate import validate_paths

    try:
        report = validate_paths(args.paths or None)
    except SpecReadError as exc:
        if args.format == "json":
            print(json.dumps({"ok": False, "read_error": str(exc), "problems": []}, indent=2))
        else:
            print(str(exc))
        return 2
    if getattr(args, "strict", False):
        report.strict = True
    shown = report.problems if args.show_planned or report.strict else report.errors
    if args.format == "json":
        print(json.dumps({
            "ok": report.ok,
            "files": report.files,
            "combinations": report.combinations,
            "errors": len(report.errors),
            "planned": len(report.planned),
            "problems": [p.as_dict() for p in report.problems],
        }, indent=2, ensure_ascii=False))
    else:
        for p in shown:
            print(p.line_text())
        print(f"{len(report.files)} file(s), {len(report.combinations)} edition/profile/overlay combination(s): "
              f"{len(report.errors)} problem(s), {len(report.planned)} binding(s) planned", file=sys.stderr)
    return 0 if report.ok else 1

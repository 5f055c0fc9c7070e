"""``indicators catalog``: write docs/catalog.md from the specs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", help="where to write (default: docs/catalog.md beside specs/ in a source "
                                                 "checkout; standard output for an installed package)")
    parser.add_argument("--specs", help="specs directory (default: the package's specs/ or $INDICATORS_SPECS_DIR)")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the file differs from what would be written")


def run(args: argparse.Namespace) -> int:
    from ..specs.catalog import render_catalog
    from ..specs.loader import specs_dir

    root = Path(args.specs) if args.specs else specs_dir()
    checkout = root.resolve().parent  # the repository, when the specs are a source checkout's (pyproject.toml beside)
    text = render_catalog(root)
    if not args.output and not (checkout / "pyproject.toml").is_file():
        # an installed package: its specs sit in site-packages, where nothing is written
        if args.check:
            print(f"indicators: error: {root} is not in a source checkout (no pyproject.toml beside it), so there is no "
                  "docs/catalog.md to compare: pass -o FILE, the catalog to compare", file=sys.stderr)
            return 2
        sys.stdout.write(text)
        return 0
    out = Path(args.output) if args.output else checkout / "docs" / "catalog.md"
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            print(f"{out} is stale; run 'indicators catalog' to regenerate it", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0

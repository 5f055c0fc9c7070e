"""``indicators run CONFIG -o OUT``: compute a country's indicators and write the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The output and execution flags shared by ``run`` and ``demo``."""
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="output directory (written atomically: complete or not at all)")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a dask.distributed scheduler (e.g. tcp://10.0.0.5:8786) instead of local threads")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", metavar="CONFIG", help="run configuration (YAML); see docs/user-guide.md")
    add_common_arguments(parser)


def summary(result, out: str | Path) -> str:
    """A short account of a finished run, for the terminal."""
    lines = [f"wrote {out}: {len(result.indicators)} indicator(s), {len(result.tables)} table(s), "
             f"{len(result.rasters)} raster(s); open {Path(out) / 'report.html'}"]
    if result.indicators:
        lines.append("computed: " + ", ".join(result.indicators))
    for s in result.skipped:
        lines.append(f"skipped {s.indicator}: {s.reason}")
    return "\n".join(lines)


def execute_config(loaded, args: argparse.Namespace, *, header: str) -> int:
    from ..config import resolved_config_text
    from ..runner import run_to_directory

    text = resolved_config_text(loaded, header=header)
    result = run_to_directory(loaded, args.output, overwrite=args.overwrite, quiet=args.quiet,
                              scheduler=args.scheduler, config_text=text)
    if not args.quiet:
        print(summary(result, args.output), file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    from ..config import load_config

    loaded = load_config(args.config)
    header = (f"Run configuration used for this output (from {args.config}), with absolute paths.\n"
              "Re-run with: indicators run run-config.yaml -o OUT")
    return execute_config(loaded, args, header=header)

"""``indicators run CONFIG -o OUT``: compute a country's indicators and write the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EPILOG = """\
examples:
  indicators run my-config.yaml -o results/2026          compute and write the report
  indicators run my-config.yaml --check                  check the configuration and every input only
  indicators run my-config.yaml -o results/2026 --overwrite --quiet
  indicators run my-config.yaml -o results/2026 --language fr    the report in French
  indicators run my-config.yaml -o OUT --scheduler tcp://10.0.0.5:8786

Every problem in the configuration and the inputs is reported before anything is
computed, one line each. OUT is written atomically: complete or not at all.

exit status: 0 done; 2 a problem with the configuration, the specs, the inputs or
the output location (the message says what to fix); 130 interrupted (Ctrl-C),
143 terminated (SIGTERM), 129 hung up (SIGHUP): nothing is left behind.
"""


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """The output and execution flags shared by ``run`` and ``demo``."""
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="output directory, new or empty (written atomically: complete or not at all); "
                             "required unless --check")
    parser.add_argument("--check", action="store_true",
                        help="only check the configuration, the specs and every input (no computing, nothing written)")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    from ..report.i18n import DEFAULT_LANGUAGE, LANGUAGES

    parser.add_argument("--language", metavar="LANG", default=DEFAULT_LANGUAGE, choices=LANGUAGES,
                        help=f"language of report.html and of the XLSX README: {', '.join(LANGUAGES)} (default {DEFAULT_LANGUAGE})")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on a dask.distributed scheduler (e.g. tcp://10.0.0.5:8786) instead of local threads")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", metavar="CONFIG", help="run configuration (YAML); see docs/user-guide.md, "
                        "or `indicators demo` for a template")
    add_common_arguments(parser)
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def summary(result, out: str | Path) -> str:
    """A short account of a finished run, for the terminal."""
    # a map of several years or periods is one GeoTIFF per layer: say both counts
    files = sum(1 for _ in Path(out).rglob("*.tif"))
    lines = [f"wrote {out}: {len(result.indicators)} indicator(s), {len(result.tables)} table(s), "
             f"{len(result.rasters)} map(s) in {files} GeoTIFF(s); open {Path(out) / 'report.html'}"]
    if result.indicators:
        lines.append("computed: " + ", ".join(result.indicators))
    for s in result.skipped:
        lines.append(f"skipped {s.indicator}: {s.reason}")
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines)


def execute_config(loaded, args: argparse.Namespace, *, header: str) -> int:
    from ..config.paths import input_locations
    from ..errors import InputError
    from ..engine import prepare
    from ..runs import run as run_config
    from ..report.atomic import check_output_dir, check_output_location, run_staging
    from ..report.i18n import report_language

    if args.output:
        # never onto, around or among the inputs, and writable: refused before anything is checked further or
        # computed, by `--check` as by the run (one check, two callers)
        check_output_location(args.output, input_locations(loaded))
        check_output_dir(args.output, overwrite=args.overwrite)
    if args.check:
        prep = prepare(loaded)
        if not args.quiet:
            print(f"{loaded.path or 'the configuration'}: no problem found; would compute "
                  f"{', '.join(prep.plan.indicators) or 'nothing'}", file=sys.stderr)
            for s in prep.plan.skipped:
                print(f"would skip {s.indicator}: {s.reason}", file=sys.stderr)
            for w in prep.raster_warnings + prep.warnings:
                print(f"warning: {w}", file=sys.stderr)
        return 0
    if not args.output:
        raise InputError("no output directory: give -o/--output OUT (or --check to only check the inputs)")
    # one run per output (lock); scratch files in a marked staging directory beside it, removed on any exit
    command = f"indicators {getattr(args, 'command', None) or 'run'}"  # run or demo: named if a second one is refused
    with run_staging(args.output, command), report_language(getattr(args, "language", None)):
        # with a cluster, intermediate rasters go beside the output: workers that write the output's
        # file system can write them (the system's temporary directory is private to this machine)
        scratch = Path(args.output).resolve().parent if args.scheduler else None
        with run_config(loaded, scheduler=args.scheduler, quiet=args.quiet, scratch=scratch) as done:
            done.write(args.output, overwrite=args.overwrite, header=header)
            result = done.result
    if not args.quiet:
        print(summary(result, args.output), file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    from ..config.loading import load_config

    loaded = load_config(args.config)
    header = (f"Run configuration used for this output (from {args.config}), with absolute paths.\n"
              "Re-run with: indicators run run-config.yaml -o OUT")
    return execute_config(loaded, args, header=header)

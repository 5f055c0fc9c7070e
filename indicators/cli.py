"""The ``indicators`` command line.

Each sub-command lives in its own module and is imported only when used, so
``indicators validate`` does not pay for dask or rasterio.  Expected errors
(:class:`~indicators.errors.IndicatorsError`) print one line without a
traceback and exit with their ``exit_code``.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

# sub-command -> (module, one-line help). Each module defines
# ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": ("indicators.commands.validate", "check spec files (schema, references, matrices, thresholds, units, bindings)"),
    "schema": ("indicators.commands.schema", "print the JSON Schema of the spec format"),
    "catalog": ("indicators.commands.catalog", "write docs/catalog.md from the specs"),
    "run": ("indicators.commands.run", "compute the indicators of a run configuration and write the report"),
    "demo": ("indicators.commands.demo", "run everything on the bundled sample data"),
    "compare": ("indicators.commands.compare", "run two configurations (national vs default data) and set them side by side"),
    "prepare": ("indicators.commands.prepare", "cut a country's inputs from global dataset files and write a run configuration"),
}


EPILOG = """\
examples:
  indicators demo -o /tmp/arvelia              try it on the bundled synthetic country
  indicators run my-config.yaml --check        check a configuration and its inputs (fast; for CI)
  indicators run my-config.yaml -o results     compute and write the report
  indicators validate specs/                   check the specs (after editing an overlay or a profile)

`indicators COMMAND --help` describes each command; docs/user-guide.md the run configuration.
exit status: 0 success; 1 `validate`/`catalog --check` found problems; 2 an error (the message
names the file, field or value and says what to do); 130 interrupted, 143 SIGTERM, 129 SIGHUP.
"""


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="indicators",
        description="UNCCD strategic framework indicators (SO1-SO5): compute a country's indicators from its own "
                    "data and write the reporting tables, maps and an HTML report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        try:
            mod = import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            p.set_defaults(_missing=name)
            continue
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread like Ctrl-C so that every cleanup runs."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _handle_termination() -> dict:
    """SIGTERM and SIGHUP unwind the program like SIGINT (exit 128 + the signal's number).

    Only the first signal raises: a second one arriving while the cleanup runs is ignored,
    so the cleanup finishes.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return {}
    caught: list[int] = []

    def handler(signum, frame):
        if caught:
            return
        caught.append(signum)
        raise Terminated(signum)

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) is signal.SIG_DFL:
            previous[sig] = signal.signal(sig, handler)
    return previous


def main(argv: list[str] | None = None) -> int:
    import signal

    from .errors import IndicatorsError
    from .heap import limit_arenas

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if getattr(args, "_missing", None):
        print(f"indicators: error: the '{args._missing}' command is not available in this version", file=sys.stderr)
        return 2
    previous = _handle_termination()
    limit_arenas()  # before the run's threads start (indicators/heap.py)
    try:
        return int(args._run(args) or 0)
    except IndicatorsError as exc:
        print(f"indicators: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        # the machine, not the program: a full disk, a vanished or read-only directory, a permission
        where = f" {exc.filename}" if exc.filename else ""
        print(f"indicators: error: cannot read or write{where}: {exc.strerror or exc}; check that the location "
              "exists, is writable and has free space, then run again", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        what = {signal.SIGINT: "interrupted"}.get(signum, f"stopped by {signal.Signals(signum).name}")
        print(f"indicators: {what}", file=sys.stderr)
        return 128 + int(signum)
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""``indicators demo -o OUT``: the whole run on the bundled sample data (the fictional Arvelia)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .run import add_common_arguments, execute_config


def sample_config_path() -> Path:
    """The demo's run configuration, ``sample_data/demo_config.yaml`` (the checkout's or the installed copy)."""
    from ..resources import bundled_path

    return bundled_path("sample_data/demo_config.yaml")


EPILOG = """\
examples:
  indicators demo -o /tmp/arvelia        the whole run on the synthetic country Arvelia
  indicators demo --check                check the bundled configuration and inputs only

The run configuration used is written to OUT/run-config.yaml: copy it as a template
for your own country. Exit status as for `indicators run`.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def run(args: argparse.Namespace) -> int:
    from ..config.loading import load_config
    from ..errors import InputError

    path = sample_config_path()
    if not path.is_file():
        raise InputError(f"the sample data are not available ({path} is missing); reinstall the package from a wheel or sdist built with its data (setup.py), or run from a checkout")
    loaded = load_config(path)
    header = ("Run configuration of `indicators demo` (the bundled, synthetic sample data), with absolute paths.\n"
              "Use it as a template: copy it, point each input to your own files, and run\n"
              "  indicators run my-config.yaml -o OUT\n"
              "Fields are described in docs/user-guide.md.")
    return execute_config(loaded, args, header=header)

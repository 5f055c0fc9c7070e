"""Where the write phase's seconds go: ``indicators run`` in this process, each writing step timed.

Issue 16, part 3.  Runs ``indicators.cli.main(["run", CONFIG, "-o", OUT, "--quiet"])`` (the command line's own
entry point) on the inputs of ``bench_run.py`` with the writing steps wrapped: each COG (``write_cog``: its
staging pass ``store_blocks``, its overviews, the COG driver's compressed copy), the tables, the report and the
reporting package.  Printed per step: wall seconds, the process's CPU seconds over that wall time (every thread:
GDAL compresses on both cores) and the number of calls; then the run's wall and CPU.

The sum of the COG copies' and overviews' CPU is what the declared maps cost to encode (DEFLATE level 1) before
any indicator is computed: with the floor of ``bench_sdg.py`` it bounds the run's wall from below on this machine.

    python benchmarks/write_phase.py --size 10000

The wrapping adds a few calls per COG; its times are in process, the product's are ``bench_run.py``'s.
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


class _Steps:
    """Wall and CPU seconds per step, summed over calls."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = collections.defaultdict(float)
        self.cpu: dict[str, float] = collections.defaultdict(float)
        self.calls: collections.Counter[str] = collections.Counter()

    def wrap(self, owner, name: str, key) -> None:
        """Replace ``owner.name`` by a timed call; *key* names the step from the call's arguments."""
        inner = getattr(owner, name)

        @functools.wraps(inner)
        def timed(*args, **kwargs):
            t, c = time.perf_counter(), _cpu()
            try:
                return inner(*args, **kwargs)
            finally:
                k = key(args)
                self.wall[k] += time.perf_counter() - t
                self.cpu[k] += _cpu() - c
                self.calls[k] += 1

        setattr(owner, name, timed)

    def print(self) -> None:
        print(f"{'wall s':>8} {'CPU s':>8} {'calls':>5}  step")
        for k in sorted(self.wall, key=lambda k: -self.wall[k]):
            print(f"{self.wall[k]:8.2f} {self.cpu[k]:8.2f} {self.calls[k]:5d}  {k}")


def _install(steps: _Steps) -> None:
    import rasterio.io
    import rasterio.shutil

    import indicators.cluster
    import indicators.report.page
    import indicators.report.rasters
    import indicators.report.reporting_package
    import indicators.report.tables

    def dtype_of(args) -> str:
        return str(getattr(args[0], "dtype", "?"))

    steps.wrap(indicators.report.rasters, "write_cog", lambda a: f"COG {getattr(a[0], 'name', '?')} ({dtype_of(a)}), all steps")
    steps.wrap(indicators.cluster, "store_blocks", lambda a: f"  staging pass ({dtype_of(a)})")
    steps.wrap(rasterio.io.DatasetWriter, "build_overviews", lambda a: f"  overviews ({a[0].dtypes[0]})")
    steps.wrap(rasterio.shutil, "copy", lambda a: "  COG driver copy (compression)")
    steps.wrap(indicators.report.tables, "write_tables", lambda a: "tables (CSV, JSON, workbook)")
    steps.wrap(indicators.report.reporting_package, "write_reporting_package", lambda a: "reporting package")
    steps.wrap(indicators.report.page, "write_report", lambda a: "report.html (maps, charts, page)")


def main(argv: list[str] | None = None) -> int:
    import bench_run

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=2000, help="pixels per side of the generated layers (default 2000)")
    a = p.parse_args(argv)
    config = bench_run.make_data(a.size)
    out = bench_run.data_dir(a.size).with_name(f"{bench_run.data_dir(a.size).name}-out_write")  # beside its inputs (D27)
    shutil.rmtree(out, ignore_errors=True)
    steps = _Steps()
    _install(steps)
    from indicators.cli import main as cli

    t, c = time.perf_counter(), _cpu()
    try:
        rc = cli(["run", str(config), "-o", str(out), "--quiet"])
    finally:
        shutil.rmtree(out, ignore_errors=True)
    print(f"indicators run at {a.size}² px per layer (in process): exit {rc}, wall {time.perf_counter() - t:.1f} s, "
          f"CPU {_cpu() - c:.1f} s on {os.cpu_count()} CPUs")
    steps.print()
    return rc


if __name__ == "__main__":
    sys.exit(main())

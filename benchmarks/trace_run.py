"""What holds memory in ``indicators run``: the CLI in this process under ``tracemalloc``, sampled per stage.

Issue 16, part 3.  Runs ``indicators.cli.main(["run", CONFIG, "-o", OUT])`` (the command line's own entry
point, not --quiet: its progress lines mark the stages) on the inputs of ``bench_run.py`` with
``tracemalloc`` tracing (numpy registers its buffers with it; GDAL's block cache, matplotlib's Agg
canvas and other C allocations are not traced: compare with the RSS column).  A sampler thread polls
the traced total every 50 ms; whenever a stage reaches a new high (by 32 MiB; not during the start and checks), it keeps the live
allocations of 256 KiB or more, grouped by the innermost frame in the ``indicators`` package and the
innermost frame of all (the allocating call).  Printed per stage: peak traced MiB, RSS at that moment,
and the largest holders with MiB and bytes per pixel of one layer.  Run it at two sizes: a holder whose
bytes per pixel stay constant grows with the grid (a whole layer, or a stack of them).

    python benchmarks/trace_run.py --size 2000
    python benchmarks/trace_run.py --size 4000 --top 12
    python benchmarks/trace_run.py --soc-kernel           # so1.soc._soc_kernel alone on 1 Mpx x 20 years

Tracing slows the run (2-4x); its times are not the product's: use ``bench_run.py`` for time.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import threading
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

MIN_BLOCK = 256 * 1024
STEP = 32 * 2**20
STAGE_LINE = re.compile(r"\[(\d+)/(\d+)\] (.*)")


class _StageTap(io.TextIOBase):
    """stderr that notes which stage the run is in (from its progress lines) and passes the text on."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.stage = "start + checks"

    def write(self, s: str) -> int:
        for line in s.replace("\r", "\n").splitlines():
            m = STAGE_LINE.search(line)
            if m:
                self.stage = m.group(3)
            elif line.strip().startswith("done in"):
                self.stage = "write outputs"
            if line.strip() and "% Completed" not in line:  # dask's progress bar is noise here
                self.inner.write(line + "\n")
        return len(s)

    def flush(self) -> None:
        self.inner.flush()


def _holders(pkg: str) -> dict[tuple[str, str], int]:
    """Live traced blocks of MIN_BLOCK or more, summed by (innermost indicators frame, allocating frame)."""
    snap = tracemalloc.take_snapshot()
    out: dict[tuple[str, str], int] = {}
    for tr in snap.traces:
        if tr.size < MIN_BLOCK:
            continue
        frames = list(tr.traceback)[::-1]  # tracemalloc lists the oldest frame first: most recent first here
        own = next((f for f in frames if f.filename.startswith(pkg)), None)
        where = f"{os.path.relpath(own.filename, os.path.dirname(pkg))}:{own.lineno}" if own else "(no indicators frame)"
        alloc = frames[0]
        key = (where, f"{Path(alloc.filename).name}:{alloc.lineno}")
        out[key] = out.get(key, 0) + tr.size
    return out


def soc_kernel_probe(n: int = 1_000_000, years: int = 20) -> None:
    """``so1.soc._soc_kernel`` (the annual SOC stock series) on one block of *n* pixels: time and peak traced bytes."""
    import numpy as np

    import indicators
    from indicators.so1.soc import _soc_kernel, stock_change_factors

    fw = indicators.load_framework(edition="2022", profile="trends_earth")
    args = fw.binding_arguments("SO1-3.soc_stock")
    _, coef, power = stock_change_factors(args["factors"].model_dump(mode="json", by_alias=True), None)
    rng = np.random.default_rng(0)
    lc = np.repeat(rng.integers(1, 8, (n, 1)).astype(np.uint8), years, axis=1)
    lc[:, years // 2:] = rng.integers(1, 8, (n, 1))  # a class change half way
    soc0 = rng.uniform(20, 120, n).astype(np.float32)
    t0 = time.perf_counter()
    _soc_kernel(soc0, lc, np.float64(0.69), coef, power, 20)
    seconds = time.perf_counter() - t0
    tracemalloc.start()
    out = _soc_kernel(soc0, lc, np.float64(0.69), coef, power, 20)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"_soc_kernel, {n / 1e6:.1f} Mpx x {years} years: {seconds:.2f} s untraced; peak traced {peak / 2**20:.0f} MiB = "
          f"{peak / n:.0f} B per pixel of the block (output {out.nbytes / n:.0f} B/px); load {os.getloadavg()[0]:.1f}")


def main(argv: list[str] | None = None) -> int:
    import psutil

    import bench_run

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=2000)
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--frames", type=int, default=25, help="tracemalloc traceback depth")
    p.add_argument("--soc-kernel", action="store_true", help="only time and trace so1.soc._soc_kernel on 1 Mpx x 20 years")
    a = p.parse_args(argv)
    if a.soc_kernel:
        soc_kernel_probe()
        return 0
    config = bench_run.make_data(a.size)
    out = bench_run.data_dir(a.size).with_name(f"{bench_run.data_dir(a.size).name}-out_trace")  # beside its inputs (D27)
    shutil.rmtree(out, ignore_errors=True)

    import indicators
    from indicators.cli import main as cli_main

    # the heavy imports before tracing starts (fewer traces: cheaper snapshots)
    import dask.array, exactextract, geopandas, matplotlib.figure, rasterio, rioxarray, xarray  # noqa: E401, F401
    import indicators.engine, indicators.report.page, indicators.summarize  # noqa: E401, F401

    pkg = str(Path(indicators.__file__).resolve().parent)
    tap = _StageTap(sys.stderr)
    me = psutil.Process()
    best: dict[str, tuple[int, int, dict]] = {}  # stage -> (traced, rss, holders)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            cur, _ = tracemalloc.get_traced_memory()
            stage = tap.stage
            if stage != "start + checks" and cur > best.get(stage, (0,))[0] + STEP:
                rss = me.memory_info().rss
                best[stage] = (cur, rss, _holders(pkg))
            time.sleep(0.05)

    tracemalloc.start(a.frames)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    old = sys.stderr
    sys.stderr = tap
    t0 = time.perf_counter()
    try:
        rc = cli_main(["run", str(config), "-o", str(out)])
    finally:
        sys.stderr = old
        stop.set()
        sampler.join()
    wall = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    shutil.rmtree(out, ignore_errors=True)
    px = a.size * a.size
    print(f"\n{a.size}² ({px / 1e6:.0f} Mpx per layer): exit {rc}, {wall:.0f} s under tracemalloc, peak traced "
          f"{peak / 2**20:.0f} MiB, peak RSS {me.memory_info().rss / 2**20:.0f} MiB now / "
          f"{__import__('resource').getrusage(__import__('resource').RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB max")
    for stage, (cur, rss, holders) in best.items():
        print(f"\n[{stage[:70]}] peak traced {cur / 2**20:.0f} MiB (RSS then {rss / 2**20:.0f} MiB); "
              f"blocks >= 256 KiB: {sum(holders.values()) / 2**20:.0f} MiB")
        for (where, alloc), size in sorted(holders.items(), key=lambda kv: -kv[1])[:a.top]:
            print(f"  {size / 2**20:8.1f} MiB {size / px:6.2f} B/px  {where:<42} alloc {alloc}")
    return rc


if __name__ == "__main__":
    sys.exit(main())

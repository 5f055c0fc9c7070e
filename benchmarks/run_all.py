"""Run every benchmark in one command, each in its own process, and print their reports.

    python benchmarks/run_all.py            # small sizes (a few minutes on 2 cores)
    python benchmarks/run_all.py --full     # the issues' sizes: 20000² px SDG and zonal, 500×500×480 SPI, the
                                            # product ladder 2000²…20000² (hours)

Each benchmark prints wall times, peak memory and ratios against references measured in the same
run; nothing here asserts a time. The optional comparison libraries of the SPI benchmark are the
``bench`` extra: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: benchmark script -> (arguments at the small size, arguments at the issue's size)
BENCHMARKS = {
    "bench_zonal.py": ([], ["--size", "20000"]),
    "bench_sdg.py": ([], ["--size", "20000"]),
    "bench_spi.py": ([], ["--size", "500x500x480"]),
    "bench_spei.py": ([], ["--size", "500x500x480"]),
    "bench_gamma.py": ([], []),
    "bench_so3.py": ([], ["--sizes", "2000,6000,10000,20000", "--cases", "floor,ours", "--parts", "so3_2_years"]),
    "bench_cluster.py": ([], ["--size", "20000"]),
    "bench_run.py": ([], ["--sizes", "2000,6000,10000,20000"]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="run at the sizes the issues name (long)")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="run only this benchmark (repeatable)")
    args = parser.parse_args(argv)
    failed = []
    for script, (small, full) in BENCHMARKS.items():
        if args.only and script not in args.only:
            continue
        cmd = [sys.executable, str(HERE / script), *(full if args.full else small)]
        print(f"\n=== {' '.join(cmd[1:])}", flush=True)
        if subprocess.run(cmd).returncode != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

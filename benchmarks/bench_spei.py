"""Benchmark: SPEI-12 throughput, with our SPI-12 on the same cube in the same run as the reference.

Precipitation is bench_spi's synthetic seasonal gamma climate; PET a smooth seasonal cycle varying over
space, so the water balance is negative in dry months. Both run lazily through dask (time=-1, about
8 000 cells per chunk) and are streamed into a preallocated array, as writing a file would. Each case
runs after a warm-up on 2x2 cells (JIT cache, unit registry), ``--repeat`` times; the best wall time
counts. CPU time (user + system, all threads) is printed beside it because the machine is shared.

Cases: ``spei`` / ``spi`` (every month), ``spei_dec`` / ``spi_dec`` (December only, the SO3-1
workload), ``spei_fit`` (fit_spei, all 12 months: the PWM fits alone).

Usage (default small; keep runs under ~30 s on the shared machine)::

    python benchmarks/bench_spei.py                      # 100x100x480, 2 threads
    python benchmarks/bench_spei.py --size 200x200x480 --cases spei,spi --repeat 2
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_spi import CALIBRATION, SCALE, _lazy, _time, make_data  # noqa: E402

CASES = ("spei", "spi", "spei_dec", "spi_dec", "spei_fit")


def make_pet(ny: int, nx: int, nt: int, seed: int = 7) -> np.ndarray:
    """Synthetic monthly PET (mm/month): a seasonal cycle (peak in July) scaled per cell, with noise."""
    rng = np.random.default_rng(seed)
    month = np.arange(nt) % 12
    season = 1.0 + 0.8 * np.cos(2 * np.pi * (month - 6) / 12.0)
    level = rng.uniform(20.0, 90.0, (ny, nx))
    return level * season[:, None, None] * rng.uniform(0.85, 1.15, (nt, ny, nx))


def _arrays(precip: np.ndarray, pet: np.ndarray, chunk_rows: int):
    import xarray as xr

    nt = precip.shape[0]
    t = {"time": _time(nt)}
    p = xr.DataArray(_lazy(precip, chunk_rows), dims=("time", "y", "x"), coords=t, attrs={"units": "mm"})
    e = xr.DataArray(_lazy(pet, chunk_rows), dims=("time", "y", "x"), coords=t, attrs={"units": "mm/month"})
    return p, e


def _case(name: str, precip: np.ndarray, pet: np.ndarray, chunk_rows: int):
    """The lazy result of one case."""
    from indicators.so3.spei import fit_spei, spei
    from indicators.so3.spi import spi

    p, e = _arrays(precip, pet, chunk_rows)
    month = 12 if name.endswith("_dec") else None
    if name.startswith("spei_fit"):
        return fit_spei(p, e, SCALE, CALIBRATION).to_array("parameter")
    if name.startswith("spei"):
        return spei(p, e, SCALE, CALIBRATION, month=month)
    return spi(p, SCALE, CALIBRATION, month=month)


def _run(name: str, precip: np.ndarray, pet: np.ndarray, chunk_rows: int, threads: int) -> tuple[float, float, np.ndarray]:
    import dask
    import dask.array

    lazy = _case(name, precip, pet, chunk_rows)
    out = np.empty(lazy.shape, dtype=lazy.dtype)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    with dask.config.set(scheduler="threads", num_workers=threads):
        dask.array.store(lazy.data, out, lock=False)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="100x100x480", help="NYxNXxMONTHS (default 100x100x480)")
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma list from {CASES}")
    ap.add_argument("--threads", type=int, default=2, help="dask threads")
    ap.add_argument("--repeat", type=int, default=1, help="runs per case; the best wall time counts")
    args = ap.parse_args(argv)
    ny, nx, nt = (int(v) for v in args.size.lower().split("x"))
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if set(cases) - set(CASES):
        ap.error(f"unknown case(s) {sorted(set(cases) - set(CASES))}")
    chunk_rows = max(1, 8000 // nx)
    precip, pet = make_data(ny, nx, nt), make_pet(ny, nx, nt)
    cells = ny * nx
    print(f"SPEI-{SCALE} vs SPI-{SCALE}, {ny}x{nx} cells x {nt} months, calibration {CALIBRATION[0]}-{CALIBRATION[1]}, "
          f"threads={args.threads}, chunk rows={chunk_rows}")
    print(f"{'case':9s} {'wall s':>8s} {'cpu s':>7s} {'cells/s':>10s} {'NaN %':>7s}")
    best: dict[str, float] = {}
    for name in cases:
        _run(name, precip[:, :2, :2].copy(), pet[:, :2, :2].copy(), 1, 1)  # warm-up
        runs = [_run(name, precip, pet, chunk_rows, args.threads) for _ in range(max(1, args.repeat))]
        wall, cpu, out = min(runs, key=lambda r: r[0])
        best[name] = wall
        print(f"{name:9s} {wall:8.2f} {cpu:7.2f} {cells / wall:10.0f} {100.0 * np.isnan(out).mean():7.2f}")
    for a, b in (("spei", "spi"), ("spei_dec", "spi_dec")):
        if a in best and b in best:
            print(f"throughput {a} / {b}: {best[b] / best[a]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

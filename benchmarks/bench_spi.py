"""Benchmark: SPI-12 against climate_indices (gamma) and xclim (APP, floc=0) on the same data.

Each implementation runs in its own fresh subprocess, so its peak memory is its
own; its CPU time (user + system, all threads) is reported beside the wall time,
because on a shared machine the wall time depends on what else runs. The data are written once to a temporary ``.npy`` file (float64, (time,
y, x)) and loaded by each worker. Reported per implementation: wall time,
cells per second, peak RSS, peak RSS above the process's footprint before the
data were loaded (as a multiple of the input's size), and the largest absolute
SPI difference from ours (plus the share of values whose D6 drought class
differs).

Workloads:

* ``full``: the whole monthly SPI-12 series, calibration 1981–2010;
* ``dec``: December SPI-12 only (the SO3-1 workload: one fit per cell, one
  value per year). climate_indices computes every month and December is
  selected; xclim is given ``month=[12]``.

Usage (the defaults are small; the issue's size is ``--size 500x500x480``)::

    python benchmarks/bench_spi.py --size 100x100x480
    python benchmarks/bench_spi.py --size 100x100x480 --impl ours,ours_dec,ci,ci_dec

climate_indices and xclim are the ``bench`` extra (``pip install climate-indices xclim``);
missing ones are reported and skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

START_YEAR = 1980
CALIBRATION = (1981, 2010)
SCALE = 12
IMPLS = ("ours", "ours_dec", "ci", "ci_dec", "xclim", "xclim_dec")
REFERENCE = {"ci": "ours", "xclim": "ours", "ci_dec": "ours_dec", "xclim_dec": "ours_dec", "ours_dec": "ours"}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def make_data(ny: int, nx: int, nt: int, seed: int = 42) -> np.ndarray:
    """Synthetic monthly precipitation (mm): a seasonal gamma climate varying over space, 5 % dry months."""
    rng = np.random.default_rng(seed)
    month = np.arange(nt) % 12
    season = 1.0 + 0.6 * np.cos(2 * np.pi * (month - 1) / 12.0)
    shape = rng.uniform(0.8, 4.0, (ny, nx))
    scale = rng.uniform(5.0, 60.0, (ny, nx))
    data = rng.gamma(shape, 1.0, (nt, ny, nx)) * scale * season[:, None, None]
    data[rng.random(data.shape) < 0.05] = 0.0
    return data


def _time(nt: int):
    import pandas as pd

    return pd.date_range(f"{START_YEAR}-01-01", periods=nt, freq="MS")


class _InMemory:
    """The cube as a lazily read source: slicing gives views, and there is no ``copy`` method.

    ``dask.array.from_array`` copies any array-like that has ``copy()`` in full when the graph is
    built (915 MiB at 500 x 500 x 480, about 1.6 s of one thread, mostly the kernel zeroing fresh
    pages), which timed the harness rather than the SPI; a file opened lazily is not copied either.
    """

    def __init__(self, data: np.ndarray):
        self._data = data
        self.shape, self.dtype, self.ndim = data.shape, data.dtype, data.ndim

    def __getitem__(self, index):
        return self._data[index]


def _lazy(data: np.ndarray, chunk_rows: int):
    """Dask view of the cube, chunked (time=-1, y=chunk_rows, x=-1), without hashing 1 GB of data for a name
    (``DataArray.chunk`` would; a file opened lazily is not hashed either) and without copying it."""
    import dask.array

    return dask.array.from_array(_InMemory(data), chunks=(-1, chunk_rows, -1), name=False, asarray=True, meta=np.empty((0, 0, 0), data.dtype))


def _run_ours(data: np.ndarray, threads: int, chunk_rows: int, december: bool) -> np.ndarray:
    import dask
    import dask.array
    import xarray as xr

    from indicators.so3.spi import spi

    nt, ny, nx = data.shape
    da = xr.DataArray(_lazy(data, chunk_rows), dims=("time", "y", "x"), coords={"time": _time(nt)}, attrs={"units": "mm"})
    lazy = spi(da, SCALE, CALIBRATION, month=12 if december else None)
    # stream the chunks into one preallocated array, as writing to zarr/NetCDF would
    # (compute() would hold every chunk's result and their concatenation at once)
    out = np.empty(lazy.shape, dtype=lazy.dtype)
    with dask.config.set(scheduler="threads", num_workers=threads):
        dask.array.store(lazy.data, out, lock=False)
    return out


def _run_ci(data: np.ndarray, december: bool) -> np.ndarray:
    from climate_indices import compute, indices

    out = indices.spi(
        data,
        SCALE,
        indices.Distribution.gamma,
        START_YEAR,
        CALIBRATION[0],
        CALIBRATION[1],
        compute.Periodicity.monthly,
        spatial_time_major=True,
    )
    out = np.asarray(out).reshape(data.shape)
    return out[11::12] if december else out


def _run_xclim(data: np.ndarray, threads: int, chunk_rows: int, december: bool) -> np.ndarray:
    import dask
    import xarray as xr
    from xclim.indices import standardized_precipitation_index

    nt, ny, nx = data.shape
    # xclim sums the rolling window over the values as given, so pass monthly totals ("mm/month"):
    # a rate in mm/d would weight every month equally and give a different index (up to 0.19 SPI here)
    pr = xr.DataArray(_lazy(data, chunk_rows), dims=("time", "y", "x"), coords={"time": _time(nt)}, attrs={"units": "mm/month"})
    kwargs = {"month": [12]} if december else {}
    with dask.config.set(scheduler="threads", num_workers=threads):
        out = standardized_precipitation_index(
            pr,
            freq="MS",
            window=SCALE,
            dist="gamma",
            method="APP",
            fitkwargs={"floc": 0},
            cal_start=f"{CALIBRATION[0]}-01-01",
            cal_end=f"{CALIBRATION[1]}-12-31",
            **kwargs,
        ).compute()
    values = out.transpose("time", "y", "x").values
    return values[11::12] if december else values


def worker(impl: str, data_path: str, out_path: str, threads: int, chunk_rows: int) -> None:
    import warnings

    warnings.simplefilter("ignore")
    # import the implementation's modules before measuring the baseline
    if impl.startswith("ours"):
        import indicators.so3.spi  # noqa: F401
    elif impl.startswith("ci"):
        import climate_indices.indices  # noqa: F401
    else:
        import xclim.indices  # noqa: F401

    def run(data: np.ndarray, rows: int) -> np.ndarray:
        if impl.startswith("ours"):
            return _run_ours(data, threads, rows, impl.endswith("_dec"))
        if impl.startswith("ci"):
            return _run_ci(data, impl.endswith("_dec"))
        return _run_xclim(data, threads, rows, impl.endswith("_dec"))

    data = np.load(data_path, mmap_mode="r")
    # warm-up on 2x2 cells: one-time costs (unit registry, JIT cache, lazy imports) are not throughput
    run(np.array(data[:, :2, :2]), 1)
    base = _rss_bytes()
    data = np.array(data)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    out = run(data, chunk_rows)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    np.save(out_path, np.asarray(out, dtype="float64"))
    print(json.dumps({"wall": wall, "cpu": cpu, "peak": peak, "base": base}))


def _classes(x: np.ndarray) -> np.ndarray:
    # D6: boundary to the more severe class; NaN → 255
    c = np.searchsorted(np.array([-2.0, -1.5, -1.0, 0.0]), x, side="left")
    return np.where(np.isnan(x), 255, c)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="100x100x480", help="NYxNXxMONTHS (default 100x100x480; the issue's size: 500x500x480)")
    ap.add_argument("--impl", default=",".join(IMPLS), help=f"comma list from {IMPLS}")
    ap.add_argument("--threads", type=int, default=2, help="dask threads for ours and xclim")
    ap.add_argument("--chunk-rows", type=int, default=0, help="rows per dask chunk (default: about 8 000 cells)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    ny, nx, nt = (int(v) for v in args.size.lower().split("x"))
    chunk_rows = args.chunk_rows or max(1, 8000 // nx)
    if args.worker:
        worker(args.worker, args.data, args.out, args.threads, chunk_rows)
        return 0

    impls = [i.strip() for i in args.impl.split(",") if i.strip()]
    unknown = set(impls) - set(IMPLS)
    if unknown:
        ap.error(f"unknown implementation(s) {sorted(unknown)}")
    cells = ny * nx
    with tempfile.TemporaryDirectory(prefix="bench_spi_") as tmp:
        data_path = Path(tmp) / "precip.npy"
        np.save(data_path, make_data(ny, nx, nt))
        input_bytes = data_path.stat().st_size
        print(f"SPI-{SCALE}, {ny}x{nx} cells x {nt} months (float64 input {input_bytes / 2**20:.1f} MiB), "
              f"calibration {CALIBRATION[0]}-{CALIBRATION[1]}, threads={args.threads}, chunk rows={chunk_rows}")
        results: dict[str, dict] = {}
        for impl in impls:
            out_path = Path(tmp) / f"{impl}.npy"
            cmd = [sys.executable, __file__, "--worker", impl, "--data", str(data_path), "--out", str(out_path),
                   "--size", args.size, "--threads", str(args.threads), "--chunk-rows", str(chunk_rows)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or ["?"])[-1]
                print(f"{impl:10s} skipped: {last}")
                continue
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            res["values"] = np.load(out_path)
            results[impl] = res

        header = f"{'impl':10s} {'wall s':>8s} {'cpu s':>7s} {'cells/s':>10s} {'peak MiB':>9s} {'(peak-base)/input':>18s} {'max|diff|':>10s} {'vs':>9s} {'class chg %':>11s} {'NaN mismatch':>12s}"
        print(header)
        for impl, res in results.items():
            ref = REFERENCE.get(impl)
            diff = chg = mism = float("nan")
            if ref in results:
                # xclim does not clip; compare on the common [-3.09, 3.09] range
                a, b = np.clip(res["values"], -3.09, 3.09), results[ref]["values"]
                if impl == "ours_dec" and ref == "ours":
                    b = b[11::12]
                both = np.isfinite(a) & np.isfinite(b)
                diff = float(np.max(np.abs(a[both] - b[both]))) if both.any() else float("nan")
                chg = 100.0 * float(np.mean(_classes(a)[both] != _classes(b)[both])) if both.any() else float("nan")
                mism = int(np.sum(np.isnan(a) != np.isnan(b)))
            extra = (res["peak"] - res["base"]) / input_bytes
            print(f"{impl:10s} {res['wall']:8.2f} {res['cpu']:7.2f} {cells / res['wall']:10.0f} {res['peak'] / 2**20:9.0f} {extra:18.2f} "
                  f"{diff:10.2e} {ref or '-':>9s} {chg:11.4f} {mism:12}")
        for fast, slow in [("ours", "ci"), ("ours", "xclim"), ("ours_dec", "ci_dec"), ("ours_dec", "xclim_dec")]:
            if fast in results and slow in results:
                print(f"throughput {fast} / {slow}: {results[slow]['wall'] / results[fast]['wall']:.1f}x wall, "
                      f"{results[slow]['cpu'] / results[fast]['cpu']:.1f}x CPU time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: SDG 15.3.1 (baseline + one reporting period, national and per-unit tables) on local threads
against a 2-worker multi-process dask.distributed cluster on this machine.

Data and pipeline are those of ``bench_sdg.py`` (its ``ours`` case: 10 input GeoTIFFs, the 3
sub-indicators and SDG layer per period, the status, national tables of the 10 layers in one dask pass
that also stores the SDG and status layers, then the per-unit tables of those 3 layers with
exactextract). Cases, each in a fresh process:

1. ``local`` — dask's threaded scheduler, as ``indicators run`` without ``--scheduler``;
2. ``cluster`` — ``LocalCluster(processes=True, n_workers=2, threads_per_worker=1)`` started in the case's
   process, the client set as dask's default (as ``indicators run --scheduler`` does); the stored layers
   are written by the workers (``store_rasters(shared=True)``), the per-unit tables read them in the client.

Printed: wall seconds per case, the ratio cluster / local, the client's peak RSS and each worker's peak RSS
(``resource.getrusage`` in the worker processes). Both cases' national tables must agree (checked).

Usage (small by default; the issue's size is 20000, whose data generation alone takes minutes)::

    python benchmarks/bench_cluster.py                 # 2000 x 2000 px per layer
    python benchmarks/bench_cluster.py --size 4000
    python benchmarks/bench_cluster.py --size 20000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_sdg  # noqa: E402
from _common import emit, peak_rss_mib, rss_mib, run_worker  # noqa: E402

CASES = ("local", "cluster")


def _worker_peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def pipeline(size: int, p: dict, units, *, shared: bool, scratch: str | None) -> dict:
    from indicators.io import store_rasters
    from indicators.summarize import class_area_table, compute_tables, zonal_class_areas_many

    t0 = time.perf_counter()
    layers = bench_sdg._layers(size, p)
    pending = {k: class_area_table(v, codes=bench_sdg._codes(k), nodata=0, compute=False) for k, v in layers.items()}
    spool = store_rasters({k: layers[k] for k in bench_sdg.UNIT_LAYERS}, shared=shared, scratch=scratch)
    results = compute_tables(*pending.values(), spool.task)
    tables = dict(zip(pending, results[:-1]))
    raster = time.perf_counter() - t0
    zonal_class_areas_many(spool.open(), units, codes=[1, 2, 3], nodata=0, method="exact")
    spool.close()
    return {"raster": raster, "total": time.perf_counter() - t0, "tables": tables}


def worker(case: str, size: int) -> None:
    os.environ["GDAL_CACHEMAX"] = str(bench_sdg.GDAL_CACHE_MB)
    base = rss_mib()
    from indicators.io import read_polygons

    p = bench_sdg.spec_parameters()
    units = read_polygons(bench_sdg.units_path(size), id_field="unit", to_crs="EPSG:4326")
    out: dict = {"case": case}
    if case == "local":
        res = pipeline(size, p, units, shared=False, scratch=None)
    elif case == "cluster":
        from distributed import Client, LocalCluster

        with tempfile.TemporaryDirectory(dir=bench_sdg.DATA) as scratch, \
                LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                             env={"GDAL_CACHEMAX": str(bench_sdg.GDAL_CACHE_MB)}) as cluster, \
                Client(cluster, set_as_default=True) as client:
            client.wait_for_workers(2)
            res = pipeline(size, p, units, shared=True, scratch=scratch)
            out["worker_peak_mib"] = sorted(client.run(_worker_peak_mib).values())
    else:
        raise SystemExit(f"unknown case {case}")
    t = res["tables"]["report", "sdg"]
    out["sdg_report_km2"] = t.loc[t["kind"] == "class", "area_km2"].round(6).tolist()
    out.update(seconds=res["total"], raster=res["raster"], peak_rss_mib=peak_rss_mib(), base_mib=base)
    emit(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=2000, help="raster side in pixels (default 2000; the issue's is 20000)")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker(a.worker, a.size)
        return
    bench_sdg.make_data(a.size)
    print(f"size {a.size} x {a.size} = {a.size * a.size / 1e6:.1f} Mpx per layer, 10 input layers, "
          f"{bench_sdg.N_UNITS} units; machine: {os.cpu_count()} CPUs")
    print(f"{'case':<9}{'seconds':>9}{'raster s':>10}{'client peak MiB':>17}  worker peak MiB")
    res = {}
    for case in a.cases.split(","):
        r = run_worker(__file__, ["--worker", case, "--size", str(a.size)], timeout=4 * 3600)
        res[case] = r
        if "error" in r:
            print(f"{case:<9} ERROR {r['error']}")
            continue
        workers = ", ".join(f"{m:.0f}" for m in r.get("worker_peak_mib", [])) or "-"
        print(f"{case:<9}{r['seconds']:>9.2f}{r['raster']:>10.2f}{r['peak_rss_mib']:>17.0f}  {workers}")
    if "seconds" in res.get("local", {}) and "seconds" in res.get("cluster", {}):
        same = res["local"]["sdg_report_km2"] == res["cluster"]["sdg_report_km2"]
        print(f"cluster / local wall time: {res['cluster']['seconds'] / res['local']['seconds']:.2f}x; "
              f"national SDG tables {'identical' if same else 'DIFFER'}")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()

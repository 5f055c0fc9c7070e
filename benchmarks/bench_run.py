"""Benchmark of the product: ``indicators run`` end to end, as the country grows.

Issue 16, part 1.  The kernel benchmarks (``bench_sdg.py``, ``bench_zonal.py``, ``bench_so3.py``)
time library calls; a user runs ``indicators run``.  This script generates inputs shaped like the
issue's (Trends.Earth's local chain: SDG 15.3.1 baseline + one reporting period + status, and its
drought summary), writes a run configuration, and runs the REAL command line
(``<venv>/bin/indicators run CONFIG -o OUT --quiet``) in a subprocess at each size of a ladder.

Data (once per size, in ``benchmarks/_data/run_<N>/``, git-ignored), on a geographic grid of
1/480° cells (≈ 230 m) from 20°E, 50°N, N × N pixels per layer, tiled (512²) DEFLATE GeoTIFFs, written
strip by strip (bounded memory):

* ``lc_{2000,2015,2019}.tif``: land cover already in the 7 UNCCD classes (uint8, 0 nodata), in patches
  of 25 px with 8 % of the patches changing class between maps; class 7 (water) is inland water;
* ``lpd_{baseline,report_1}.tif``: 5-class LPD (uint8, 0 nodata), patches plus pixel noise;
* ``soc_2000.tif``: SOC stock 0–30 cm in t/ha (float32, -9999 nodata);
* ``pop_{total,female,male}_2019.tif``: persons per pixel (float32, -9999 nodata); male = total − female;
* ``spi.tif``: the December SPI-12 of 2000–2019, one band per year (float32, -9999 nodata), on its own
  grid of 1/20° (24 × 24 fine pixels per cell, as a coarse climate product is);
* nodata: 1 % of the 25-px patches are nodata in every layer, and 0.5 % of pixels in each layer;
* ``boundary.gpkg``: one polygon (the raster box less a wavy margin, so the run clips);
  ``units.gpkg``: 200 admin units (Voronoi cells of random points, clipped to the boundary).

Run configuration (``run.yaml`` + ``overlay.yaml``): ``profile: trends_earth``, ``edition: "2022"``
with the Trends.Earth periods (baseline 2000–2015, report_1 2015–2019; the overlay's ``edition_overrides``)
and twenty drought years 2000–2019 (five four-year epochs; the edition's drought years must hold its periods); the overlay sets ``productivity.method:
precomputed_lpd`` (the LPD maps are inputs, as in the Trends.Earth chain measured by the issue), a
7-class source legend nested one to one into the UNCCD legend, and a single SOC climate factor (0.69,
temperate moist) instead of a climate-zone raster.  Indicators: SO1-1 … SO1-4, SO4-1 (through SO1-3),
SO2-3, SO3-1, SO3-2, with per-unit tables, COG maps, the HTML report and the workbook.

Printed per size: wall time; the stages from ``provenance.json`` (``timings_s``), plus "start + checks"
(wall − compute − writing), and the writing's parts (its ``write …`` timings: the maps as COGs, the tables and
workbook, the report); peak RSS of the subprocess tree (psutil, polled every 0.1 s, and the
kernel's ``ru_maxrss`` of the largest child); bytes of peak RSS per pixel of one layer; and the ratio of
the wall time to the SDG 15.3.1 kernel floor of ``bench_sdg.py`` (its ``floor`` case: one single-threaded
decode + lookup-table + histogram pass over 10 input layers of the same size) measured in the same run on
``bench_sdg``'s own data of the same size.  Beside it, the *encode floor*: the run's own COGs (the declared
maps) decoded into memory and written again by the product's ``write_cog`` in a fresh process, the writes alone
timed (``--no-encode`` skips it).  A run that writes these maps cannot take less than the two floors together;
``(floor + encode floor) / floor`` says how far above the decode floor that already is.  ``--stages`` drops ``--quiet`` and attributes the peak RSS to
the stage running when it occurred (from the progress lines).

Usage::

    python benchmarks/bench_run.py                                  # 2000² px per layer
    python benchmarks/bench_run.py --sizes 2000,4000 --stages       # peak RSS per stage too
    python benchmarks/bench_run.py --sizes 2000,6000,10000,20000    # the issue's ladder (hours of data generation)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DATA = HERE / "_data"
RES = 1 / 480
X0, Y0 = 20.0, 50.0
SPI_FACTOR = 24  # fine pixels per drought-index cell along each axis (1/20°)
PATCH = 25
STRIP = 512
N_UNITS = 200
LC_YEARS = (2000, 2015, 2019)
LPD_PERIODS = ("baseline", "report_1")
DROUGHT_YEARS = tuple(range(2000, 2020))  # the edition's drought years must hold its periods (2000-2019)
POP_YEAR = 2019
NODATA_F = -9999.0
POLL_S = 0.1
#: SPI shift per drought year (a few dry years)
DRY_YEARS_SHIFT = np.array([0, 0.6, 0, 0, 0, 0, 1.0, 0, 0, 0, 0, 0, 0, 0, 0.8, 0, 0, 0, 1.2, 0])


def data_dir(size: int) -> Path:
    return DATA / f"run_{size}"


def indicators_command() -> str:
    """The ``indicators`` script beside this interpreter (the venv's), else the one on PATH."""
    here = Path(sys.executable).parent / "indicators"
    return str(here) if here.exists() else (shutil.which("indicators") or "indicators")


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def _vectors(size: int, d: Path, rng: np.random.Generator) -> None:
    import geopandas as gpd
    import shapely

    w, h = size * RES, size * RES
    x1, y0 = X0 + w, Y0 - h
    # a wavy margin of 1-4 % of the side: cells outside the boundary exist on every side
    t = np.linspace(0, 1, 400, endpoint=False)
    m = lambda k: (0.025 + 0.015 * np.sin(2 * np.pi * (3 * t + k))) * w  # noqa: E731
    ring = np.concatenate([
        np.c_[X0 + t * w, Y0 - m(0)],                 # north edge, west to east
        np.c_[x1 - m(0.3), Y0 - t * h],               # east edge, north to south
        np.c_[x1 - t * w, y0 + m(0.6)],               # south edge, east to west
        np.c_[X0 + m(0.9), y0 + t * h],               # west edge, south to north
    ])
    boundary = shapely.make_valid(shapely.Polygon(ring))
    gpd.GeoDataFrame({"name": ["Benchland"]}, geometry=[boundary], crs="EPSG:4326").to_file(d / "boundary.gpkg")
    pts = shapely.MultiPoint(rng.uniform((X0, y0), (x1, Y0), (N_UNITS, 2)))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=shapely.box(X0, y0, x1, Y0))),
                                 boundary)
    cells = [c for c in cells if not c.is_empty]
    gpd.GeoDataFrame({"unit_id": np.arange(1, len(cells) + 1), "name": [f"unit {i}" for i in range(1, len(cells) + 1)]},
                     geometry=cells, crs="EPSG:4326").to_file(d / "units.gpkg", layer="units")


def make_data(size: int, seed: int = 16) -> Path:
    """Write the inputs, the overlay and the run configuration of *size* (once); return the configuration."""
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    d = data_dir(size)
    config = d / "run.yaml"
    if (d / "complete").exists():
        return config
    t0 = time.perf_counter()
    d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    transform = Affine(RES, 0, X0, 0, -RES, Y0)
    base = dict(driver="GTiff", width=size, height=size, count=1, crs="EPSG:4326", transform=transform, tiled=True,
                blockxsize=512, blockysize=512, compress="deflate", num_threads="all_cpus")
    u8 = dict(base, dtype="uint8", nodata=0)
    f32 = dict(base, dtype="float32", nodata=NODATA_F)

    # one value per 25-px patch; the pixels take their patch's value
    nc = size // PATCH + 2
    lc = {2000: rng.choice(np.arange(1, 8, dtype=np.uint8), (nc, nc), p=[.22, .25, .28, .04, .05, .11, .05])}
    for prev, year in zip(LC_YEARS, LC_YEARS[1:]):
        change = rng.random((nc, nc)) < 0.08
        lc[year] = np.where(change, rng.integers(1, 8, (nc, nc)), lc[prev]).astype(np.uint8)
    lpd = {p: rng.choice(np.arange(1, 6, dtype=np.uint8), (nc, nc), p=[.08, .08, .14, .55, .15]) for p in LPD_PERIODS}
    soc = rng.uniform(20, 120, (nc, nc)).astype(np.float32)
    density = (rng.lognormal(1.0, 1.2, (nc, nc)) * (rng.random((nc, nc)) < 0.7)).astype(np.float32)  # persons / px
    female_share = rng.uniform(0.48, 0.53, (nc, nc)).astype(np.float32)
    hole = rng.random((nc, nc)) < 0.01  # nodata patches, in every layer

    names = {**{f"lc_{y}": u8 for y in LC_YEARS}, **{f"lpd_{p}": u8 for p in LPD_PERIODS}, "soc_2000": f32,
             **{f"pop_{s}_{POP_YEAR}": f32 for s in ("total", "female", "male")}}
    dsts = {n: rasterio.open(d / f"{n}.tif", "w", **prof) for n, prof in names.items()}
    try:
        for r0 in range(0, size, STRIP):
            r1 = min(size, r0 + STRIP)
            srng = np.random.default_rng([seed, r0])
            rows, cols = np.arange(r0, r1) // PATCH, np.arange(size) // PATCH
            noise = srng.random((r1 - r0, size), dtype=np.float32)
            holes = hole[rows][:, cols]
            win = Window(0, r0, size, r1 - r0)

            def put(name: str, block: np.ndarray, nodata, salt: float) -> None:
                block = block.copy()
                block[holes | ((noise > salt) & (noise < salt + 0.005))] = nodata
                dsts[name].write(block, 1, window=win)

            for i, y in enumerate(LC_YEARS):
                put(f"lc_{y}", lc[y][rows][:, cols], 0, 0.10 + 0.01 * i)
            for i, p in enumerate(LPD_PERIODS):
                block = lpd[p][rows][:, cols].copy()
                block[(noise > 0.5) & (noise < 0.53)] = 4 - i  # pixel noise
                put(f"lpd_{p}", block, 0, 0.20 + 0.01 * i)
            put("soc_2000", np.round(soc[rows][:, cols] * (0.97 + 0.06 * noise), 1), NODATA_F, 0.30)
            total = np.round(density[rows][:, cols] * (0.5 + noise), 2)
            female = np.round(total * female_share[rows][:, cols], 2)
            put(f"pop_total_{POP_YEAR}", total, NODATA_F, 0.40)
            put(f"pop_female_{POP_YEAR}", female, NODATA_F, 0.40)
            put(f"pop_male_{POP_YEAR}", total - female, NODATA_F, 0.40)
    finally:
        for dst in dsts.values():
            dst.close()

    # December SPI-12 of the drought years on 1/20° cells, spatially smooth, a few dry years
    ns = -(-size // SPI_FACTOR)
    k = max(2, ns // 8)
    field = rng.normal(0, 1, (len(DROUGHT_YEARS), ns // k + 2, ns // k + 2))
    spi = np.repeat(np.repeat(field, k, axis=1), k, axis=2)[:, :ns, :ns]
    spi = spi + 0.4 * rng.normal(0, 1, spi.shape) - DRY_YEARS_SHIFT[:, None, None]
    spi = np.clip(spi, -3.09, 3.09).astype(np.float32)
    spi[:, :2, :2] = NODATA_F
    with rasterio.open(d / "spi.tif", "w", driver="GTiff", width=ns, height=ns, count=len(DROUGHT_YEARS), dtype="float32",
                       crs="EPSG:4326", transform=Affine(RES * SPI_FACTOR, 0, X0, 0, -RES * SPI_FACTOR, Y0),
                       nodata=NODATA_F, tiled=True, compress="deflate") as dst:
        dst.write(spi)
    _vectors(size, d, rng)
    _write_config(d)
    (d / "complete").write_text("")
    print(f"  data {size}² generated in {time.perf_counter() - t0:.1f} s", flush=True)
    return config


OVERLAY = {
    "spec_version": 1,
    "kind": "overlay",
    "overlay": {"id": "bench_run", "country": "XBR", "name": "Benchland (benchmark)",
                "description": "Trends.Earth-shaped inputs of benchmarks/bench_run.py", "source": "benchmarks/bench_run.py"},
    "legends": [{"id": "unccd_7class_input", "name": "UNCCD 7 classes as stored in the input maps (0 nodata)",
                 "source": "benchmarks/bench_run.py", "nodata": 0,
                 "classes": [{"code": c, "name": f"UNCCD class {c}"} for c in range(1, 8)]}],
    "nestings": [{"id": "unccd_7class_input_to_unccd", "child_legend": "unccd_7class_input", "parent_legend": "unccd_7class",
                  "source": "benchmarks/bench_run.py (one to one)",
                  "groups": [{"parent": c, "children": [c]} for c in range(1, 8)]}],
    "parameter_overrides": {
        "productivity": {"method": "precomputed_lpd"},
        "land_cover": {"source_legend": "unccd_7class_input", "nesting": "unccd_7class_input_to_unccd"},
        "soc": {"climate_factor": 0.69},
    },
    "edition_overrides": {"2022": {
        "drought": {"years": [DROUGHT_YEARS[0], DROUGHT_YEARS[-1]], "epochs": [[y, y + 3] for y in DROUGHT_YEARS[::4]]},
        "periods": [{"id": "report_1", "land_cover": {"initial": 2015, "final": 2019},
                     "soc": {"initial": 2015, "final": 2019}}],
    }},
}


def _write_config(d: Path) -> None:
    import yaml

    (d / "overlay.yaml").write_text(yaml.safe_dump(OVERLAY, sort_keys=False))
    f32 = {"units": "person", "years": POP_YEAR}
    cfg = {
        "country": {"name": "Benchland", "boundary": "boundary.gpkg",
                    "admin_units": {"path": "units.gpkg", "id_field": "unit_id", "name_field": "name", "layer": "units"}},
        "edition": "2022",
        "profile": "trends_earth",
        "overlay": "overlay.yaml",
        "indicators": ["SO1-1", "SO1-2", "SO1-3", "SO1-4", "SO2-3", "SO3-1", "SO3-2"],
        "inputs": {
            "land_cover": {"path": "lc_{year}.tif", "years": list(LC_YEARS), "source": "bench_run.py"},
            "lpd": {"path": {p: f"lpd_{p}.tif" for p in LPD_PERIODS}, "nodata": 0, "source": "bench_run.py"},
            "soc_reference": {"path": "soc_2000.tif", "units": "t/ha", "years": 2000, "source": "bench_run.py"},
            "population_total": {"path": f"pop_total_{POP_YEAR}.tif", **f32},
            "population_female": {"path": f"pop_female_{POP_YEAR}.tif", **f32},
            "population_male": {"path": f"pop_male_{POP_YEAR}.tif", **f32},
            "drought_index": {"path": "spi.tif", "units": "1", "years": f"{DROUGHT_YEARS[0]}-{DROUGHT_YEARS[-1]}",
                              "source": "bench_run.py (December SPI-12)"},
        },
    }
    (d / "run.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))


# ---------------------------------------------------------------------------
# Running the product
# ---------------------------------------------------------------------------

STAGE_DONE = re.compile(r"^\[\d+/\d+\] (.*): done in ([0-9.]+) s$")


def _tree_rss(proc) -> int:
    import psutil

    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_product(config: Path, out: Path, *, stages: bool = False) -> dict:
    """``indicators run CONFIG -o OUT [--quiet]`` in a subprocess: wall time, peak RSS, the provenance's timings.

    With *stages*, the peak RSS is attributed to the stage running when it was sampled. On a log (this pipe) the run
    prints a stage's line at its end, ``[i/n] title: done in X s``: the stage spans the X seconds before that line
    arrived; a sample before the first stage is "start + checks", after the last "write outputs", between two stages
    "between stages"."""
    import psutil

    if out.exists():
        shutil.rmtree(out)
    cmd = [indicators_command(), "run", str(config), "-o", str(out)] + ([] if stages else ["--quiet"])
    env = dict(os.environ)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    popen = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    proc = psutil.Process(popen.pid)
    spans: list[tuple[float, float, str]] = []  # (start, end, title) of each finished stage
    errors: list[str] = []

    def read_stderr() -> None:
        for raw in popen.stderr:
            for line in raw.replace("\r", "\n").splitlines():
                m = STAGE_DONE.match(line.strip())
                if m:
                    end = time.perf_counter()
                    spans.append((end - float(m.group(2)), end, m.group(1)))
                elif line.strip() and not line.lstrip().startswith("["):
                    errors.append(line)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    peak, samples = 0, []
    while popen.poll() is None:
        rss = _tree_rss(proc)
        peak = max(peak, rss)
        samples.append((time.perf_counter(), rss))
        time.sleep(POLL_S)
    wall = time.perf_counter() - t0
    reader.join(timeout=5)
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    by_stage: dict[str, int] = {}
    for t, rss in samples:
        where = next((title for start, end, title in spans if start <= t <= end), None)
        if where is None:
            where = ("start + checks" if not spans or t < spans[0][0] else
                     "write outputs" if t > spans[-1][1] else "between stages")
        by_stage[where] = max(by_stage.get(where, 0), rss)
    res = {"wall": wall, "peak_tree_mib": peak / 2**20, "returncode": popen.returncode,
           # ru_maxrss of the children is a maximum over all children so far: valid when it grew in this run
           "maxrss_mib": maxrss / 1024 if maxrss > before else None,
           "peak_by_stage_mib": {k: v / 2**20 for k, v in by_stage.items()}}
    if popen.returncode != 0:
        res["error"] = "\n".join(errors[-15:])
        return res
    prov = json.loads((out / "provenance.json").read_text())
    res["timings"] = prov.get("timings_s", {})
    return res


def floor_seconds(size: int) -> float | None:
    """The SDG 15.3.1 kernel floor of ``bench_sdg.py`` at *size* (its data, its worker), in a fresh process."""
    import bench_sdg
    from _common import run_worker

    bench_sdg.make_data(size)
    r = run_worker(bench_sdg.__file__, ["--worker", "floor", "--size", str(size)], timeout=7200)
    if "error" in r:
        print(f"  floor: ERROR {r['error']}")
        return None
    return float(r["seconds"])


def encode_seconds(out: Path) -> dict:
    """The run's own maps encoded again from memory (``--worker encode``, a fresh process): the floor of writing them."""
    from _common import run_worker

    r = run_worker(__file__, ["--worker", "encode", "--out", str(out)], timeout=7200)
    if "error" in r:
        print(f"  encode floor: ERROR {r['error']}")
    return r


def encode_worker(out: Path) -> None:
    """Each COG of a run's output folder decoded into memory (not timed), then written again by the product's
    ``write_cog`` (in-memory staging, overviews, the COG driver's DEFLATE copy; class layers by nearest, others by
    average, as the run does) into a scratch folder: the wall and CPU (every thread) of the writes alone."""
    import tempfile

    import rioxarray

    from _common import emit
    from indicators.report.rasters import write_cog

    wall = cpu = 0.0
    cogs = sorted(p for p in out.rglob("*.tif") if not p.name.startswith("."))
    with tempfile.TemporaryDirectory(dir=out.parent) as scratch:
        for i, path in enumerate(cogs):
            da = rioxarray.open_rasterio(path, masked=False).squeeze("band", drop=True).load()
            da.attrs = {k: v for k, v in da.attrs.items() if k in ("flag_values", "_FillValue")}
            target = Path(scratch) / f"{i}.tif"
            t, c = time.perf_counter(), sum(os.times()[:2])
            write_cog(da, target)
            wall += time.perf_counter() - t
            cpu += sum(os.times()[:2]) - c
            target.unlink()
            del da
    emit({"seconds": wall, "cpu": cpu, "cogs": len(cogs)})


SHORT = {"SO1 land": "SO1", "SO2-3 population": "SO2-3", "SO3-1 drought": "SO3-1", "SO3-2 population": "SO3-2"}


def _short(title: str) -> str:
    return next((v for k, v in SHORT.items() if title.startswith(k)), title[:28])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="2000", help="comma-separated sides in pixels (default 2000; the issue's ladder "
                                                   "is 2000,6000,10000,20000)")
    p.add_argument("--stages", action="store_true", help="run without --quiet and attribute the peak RSS to stages")
    p.add_argument("--no-floor", action="store_true", help="skip bench_sdg's floor")
    p.add_argument("--no-encode", action="store_true", help="skip the encode floor (the run's maps written again)")
    p.add_argument("--keep", action="store_true", help="keep the output directories (benchmarks/_data/run_<N>-out)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker == "encode":
        encode_worker(Path(a.out))
        return 0
    sizes = [int(s) for s in a.sizes.split(",")]
    print(f"indicators run (the CLI: {indicators_command()}), profile trends_earth, edition 2022 + overlay; "
          f"GDAL_CACHEMAX as the run sets it; load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} "
          f"{os.getloadavg()[2]:.2f}; {os.cpu_count()} CPUs")
    rows = []
    for size in sizes:
        config = make_data(size)
        out = data_dir(size).with_name(f"{data_dir(size).name}-out")  # beside its inputs, never among them (D27)
        load0 = os.getloadavg()[0]
        r = run_product(config, out, stages=a.stages)
        r["load"] = (load0, os.getloadavg()[0])
        if "error" in r:
            print(f"{size}²: indicators run failed (exit {r['returncode']}):\n{r['error']}")
            return 1
        enc = {} if a.no_encode else encode_seconds(out)
        if not a.keep:
            shutil.rmtree(out, ignore_errors=True)
        fl = None if a.no_floor else floor_seconds(size)
        t = r["timings"]
        compute, write = t.get("total compute", 0.0), t.get("write outputs", 0.0)
        stages = {k: v for k, v in t.items() if k != "total compute" and not k.startswith("write ")}
        parts = {k[len("write "):]: v for k, v in t.items() if k.startswith("write ") and k != "write outputs"}
        px = size * size
        print(f"\n{size}² = {px / 1e6:.1f} Mpx per layer; load {r['load'][0]:.2f} before, {r['load'][1]:.2f} after")
        print(f"  wall {r['wall']:.1f} s = start + checks {r['wall'] - compute - write:.1f} + compute {compute:.1f} "
              f"+ write outputs {write:.1f} ({100 * write / r['wall']:.0f} %)"
              + (": " + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()) if parts else ""))
        print("  stages: " + ", ".join(f"{_short(k)} {v:.1f}" for k, v in stages.items()))
        maxrss = f", ru_maxrss {r['maxrss_mib']:.0f} MiB" if r["maxrss_mib"] else ""
        print(f"  peak RSS {r['peak_tree_mib']:.0f} MiB (process tree, polled){maxrss}; "
              f"{r['peak_tree_mib'] * 2**20 / px:.1f} bytes per pixel of one layer")
        if a.stages:
            print("  peak RSS by stage (MiB): " + ", ".join(f"{_short(k)} {v:.0f}" for k, v in r["peak_by_stage_mib"].items()))
        if fl:
            print(f"  bench_sdg floor {fl:.2f} s; wall / floor {r['wall'] / fl:.1f}x, compute / floor {compute / fl:.1f}x")
        if "seconds" in enc:
            print(f"  encode floor {enc['seconds']:.2f} s wall, {enc['cpu']:.1f} s CPU: the run's {enc['cogs']} COGs "
                  "written again from memory" + (f"; floor + encode floor = {(fl + enc['seconds']) / fl:.1f}x floor, "
                                                 f"wall / (floor + encode floor) {r['wall'] / (fl + enc['seconds']):.1f}x"
                                                 if fl else ""))
        rows.append((size, r, fl, stages, compute, write, enc.get("seconds")))
    print("\n| px per layer | load | wall s | start+checks s | " + " | ".join(_short(k) for k in rows[0][3]) +
          " | write s (% of wall) | peak RSS MiB | bytes/px | floor s | wall / floor | encode floor s | "
          "(floor + encode floor) / floor |")
    print("|---" * (11 + len(rows[0][3])) + "|")
    for size, r, fl, stages, compute, write, enc_s in rows:
        cells = [f"{size}²", f"{r['load'][0]:.1f}–{r['load'][1]:.1f}", f"{r['wall']:.1f}",
                 f"{r['wall'] - compute - write:.1f}", *[f"{v:.1f}" for v in stages.values()],
                 f"{write:.1f} ({100 * write / r['wall']:.0f} %)", f"{r['peak_tree_mib']:.0f}",
                 f"{r['peak_tree_mib'] * 2**20 / size ** 2:.0f}", f"{fl:.2f}" if fl else "–",
                 f"{r['wall'] / fl:.1f}×" if fl else "–", f"{enc_s:.2f}" if enc_s else "–",
                 f"{(fl + enc_s) / fl:.1f}×" if fl and enc_s else "–"]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: SDG 15.3.1 (baseline + one reporting period) from files, against its references.

Issue 3, performance part.  Data (written once to ``benchmarks/_data/``,
git-ignored), on a geographic grid of 1/480° cells from 50°N, 20°E, tiled
(512 × 512) DEFLATE GeoTIFFs:

* per period (``baseline``, ``report``) the 5 inputs of our API:
  ``lc_initial``, ``lc_final`` (uint8, UNCCD 7 classes, 0 nodata),
  ``lpd`` (uint8, the precomputed 5-class LPD, 0 nodata), ``soc_initial``,
  ``soc_final`` (float32 SOC stocks in t/ha, NaN nodata) — the shape of
  ``soc_degradation(soc_initial, soc_final)``; the stocks themselves
  (``soc_stocks`` from a reference + annual land cover) are a separate step
  and not part of this benchmark;
* 200 admin units (Voronoi cells of random points, clipped to the raster);
* ``sdg_report`` — the reporting period's SDG layer written to disk (by the
  floor's logic), only for the exactextract reference.

Parameters come from the shipped specs (transition matrix, LPD → 3 classes,
SOC threshold 10 % exclusive, nodata rule "degraded_wins", status matrix and
collapse).  Every case runs in a fresh process; ``GDAL_CACHEMAX`` is set to
64 MiB in every worker (a single streaming pass does not profit from GDAL's
block cache; the default one makes it slower).  Cases:

1. ``floor`` — one plain pass: for each strip of 512 rows, decode the 10
   inputs with rasterio windows, then numpy lookup tables for land-cover
   degradation (8×8 transition table), LPD → 3 classes, SOC percent change in
   float32 classified at ±10 %, one out all out (a 64-entry table on the
   three sub-indicator codes), status expanded (4×4 table) and collapsed; then
   one numba row histogram per output layer (10 layers: 3 sub-indicators + SDG
   per period, status expanded, status) × exact row areas.  Single thread.
2. ``ours`` — the library: ``open_raster`` (dask chunks), ``land_cover_degradation``,
   ``lpd_to_3class``, ``soc_degradation``, ``one_out_all_out``, ``status``, then
   ``class_area_table(..., compute=False)`` of the same 10 layers, computed in ONE dask
   graph (``compute_tables``) together with writing the SDG layers of both periods and
   the status to temporary uncompressed GeoTIFFs (``io.store_rasters``), so every input
   is decoded once and nothing holds a whole raster; then the per-unit tables of those
   3 layers with ``zonal_class_areas_many(method="exact")`` (one exactextract pass,
   coverage computed once per unit).  Timed parts: ``raster`` (up to the national
   tables and the stored layers) and ``units_all3``; their sum is the case's time.
   ``units_report`` (not in the sum) is ``zonal_class_areas(method="exact")`` of the
   report SDG layer alone, the like-for-like comparison with ``ee_alone``.
3. ``ours_naive`` — the same public calls, each table computed on its own (every
   table re-decodes its inputs), per-unit tables one ``zonal_class_areas`` at a time on
   the lazy layers: what a straightforward script does.
4. ``ee_alone`` — exactextract alone on ``sdg_report`` (its rasterio file source, ``RasterioRasterSource``) and the same
   units with the same built-in ops and 1-column row-area weights as ours.

Printed: wall times, peak RSS, and the ratios ``ours.raster / floor`` (target ≤ 3),
``ours.units_report / ee_alone`` (target ≤ 1.2).

Usage (small by default; the issue's size is 20000)::

    python benchmarks/bench_sdg.py                    # 2000 x 2000 px per layer
    python benchmarks/bench_sdg.py --size 6000
    python benchmarks/bench_sdg.py --size 20000       # 10 x 4e8 px inputs; data generation takes minutes
    python benchmarks/bench_sdg.py --cases floor,ours
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, peak_rss_mib, rss_mib, run_worker, timed  # noqa: E402

RES = 1 / 480
X0, Y0 = 20.0, 50.0
N_UNITS = 200
PERIODS = ("baseline", "report")
LAYERS = ("lc_initial", "lc_final", "lpd", "soc_initial", "soc_final")
STRIP = 512
CASES = ("floor", "ours", "ee_alone")
DATA = Path(__file__).resolve().parent / "_data"
GDAL_CACHE_MB = 64


def path(size: int, period: str, layer: str) -> Path:
    return DATA / f"sdg_{period}_{layer}_{size}.tif"


def units_path(size: int) -> Path:
    return DATA / f"sdg_units_{size}.gpkg"


def sdg_path(size: int) -> Path:
    return DATA / f"sdg_report_{size}.tif"


# ---------------------------------------------------------------------------
# Parameters from the specs, as lookup tables for the floor
# ---------------------------------------------------------------------------


def spec_parameters() -> dict:
    import indicators

    fw = indicators.load_framework()
    prod = fw.parameters("productivity")
    s = fw.binding_arguments("SO1-4.status")
    return {
        "matrix": fw.binding_arguments("SO1-1.land_cover_change")["matrix"].model_dump(mode="json", by_alias=True),
        "lpd_mapping": fw.lookup_table(prod.lpd_to_3class).model_dump(mode="json"),
        "soc": fw.binding_arguments("SO1-3.soc_degradation"),
        "nodata_rule": fw.parameters("one_out_all_out").nodata_rule,
        "status_matrix": s["matrix"].model_dump(mode="json"),
        "status_collapse": s["collapse"].model_dump(mode="json"),
    }


def floor_tables(p: dict) -> dict:
    """The parameters as plain numpy lookup tables (built with the library's parsers, outside the timing)."""
    from indicators.so1.land_cover import degradation_matrix
    from indicators.so1.sdg import status_tables

    _, lc = degradation_matrix(p["matrix"])
    lc8 = np.zeros((8, 8), np.uint8)
    lc8[: lc.shape[0], : lc.shape[1]] = lc
    lc8[0, :] = lc8[:, 0] = 0
    lpd = np.zeros(256, np.uint8)
    for r in p["lpd_mapping"]["rows"]:
        lpd[r["when"][0]] = r["then"][0] + 2
    oao = np.zeros(64, np.uint8)
    for pr in range(4):
        for lcd in range(4):
            for so in range(4):
                vals = (pr, lcd, so)
                deg, imp, nod = 1 in vals, 3 in vals, 0 in vals
                out = 1 if deg else 3 if imp else 2
                if nod and (p["nodata_rule"] != "degraded_wins" or not deg):
                    out = 0
                oao[pr * 16 + lcd * 4 + so] = out
    st, collapse = status_tables(p["status_matrix"], p["status_collapse"])
    col = np.zeros(256, np.uint8)
    col[: collapse.size] = collapse
    return {"lc": lc8.ravel(), "lpd": lpd, "oao": oao, "status": st.ravel(), "collapse": col,
            "soc_t": float(p["soc"]["threshold"])}


def floor_strip(arrs: dict, t: dict) -> dict:
    """Per-pixel logic of both periods and the status on one strip (numpy only)."""
    out = {}
    for per in PERIODS:
        lci, lcf = arrs[per, "lc_initial"], arrs[per, "lc_final"]
        lcd = t["lc"][np.minimum(lci, 7) * 8 + np.minimum(lcf, 7)]
        prod = t["lpd"][arrs[per, "lpd"]]
        s0, s1 = arrs[per, "soc_initial"], arrs[per, "soc_final"]
        with np.errstate(invalid="ignore", divide="ignore"):
            pch = (s1 - s0) / s0 * np.float32(100)
        soc = np.where(pch < -t["soc_t"], 1, np.where(pch > t["soc_t"], 3, 2)).astype(np.uint8)
        soc[~((s0 > 0) & np.isfinite(pch))] = 0
        sdg = t["oao"][prod * 16 + lcd * 4 + soc]
        out[per, "lc_deg"], out[per, "prod"], out[per, "soc_deg"], out[per, "sdg"] = lcd, prod, soc, sdg
    exp = t["status"][out["baseline", "sdg"] * 4 + out["report", "sdg"]]
    out["status_expanded"], out["status"] = exp, t["collapse"][exp]
    return out


# ---------------------------------------------------------------------------
# Data (once per size, strip by strip: bounded memory)
# ---------------------------------------------------------------------------


def make_data(size: int, seed: int = 11) -> None:
    import geopandas as gpd
    import rasterio
    import shapely
    from affine import Affine
    from rasterio.windows import Window

    files = [path(size, per, lay) for per in PERIODS for lay in LAYERS] + [units_path(size), sdg_path(size)]
    if all(f.exists() for f in files):
        return
    t0 = time.perf_counter()
    DATA.mkdir(parents=True, exist_ok=True)
    transform = Affine(RES, 0, X0, 0, -RES, Y0)
    base = dict(driver="GTiff", width=size, height=size, count=1, crs="EPSG:4326", transform=transform, tiled=True,
                blockxsize=512, blockysize=512, compress="deflate", num_threads="all_cpus")
    profiles = {"uint8": dict(base, dtype="uint8", nodata=0), "float32": dict(base, dtype="float32", nodata=float("nan"))}
    rng = np.random.default_rng(seed)
    patch = 25
    nc = size // patch + 2
    lc0c = rng.integers(1, 8, (nc, nc)).astype(np.uint8)
    chg1 = rng.random((nc, nc)) < 0.08
    lc1c = np.where(chg1, rng.integers(1, 8, (nc, nc)), lc0c).astype(np.uint8)
    chg2 = rng.random((nc, nc)) < 0.08
    lc2c = np.where(chg2, rng.integers(1, 8, (nc, nc)), lc1c).astype(np.uint8)
    lpdc = {per: rng.choice(np.arange(1, 6, dtype=np.uint8), (nc, nc), p=[.08, .08, .14, .55, .15]) for per in PERIODS}
    soc0c = rng.uniform(20, 120, (nc, nc)).astype(np.float32)
    f1c = rng.choice(np.array([0.8, 0.95, 1.0, 1.05, 1.2], np.float32), (nc, nc), p=[.1, .2, .4, .2, .1])
    f2c = rng.choice(np.array([0.8, 0.95, 1.0, 1.05, 1.2], np.float32), (nc, nc), p=[.1, .2, .4, .2, .1])
    coarse = {
        "baseline": {"lc_initial": lc0c, "lc_final": lc1c, "lpd": lpdc["baseline"], "soc_initial": soc0c,
                     "soc_final": soc0c * f1c},
        "report": {"lc_initial": lc1c, "lc_final": lc2c, "lpd": lpdc["report"], "soc_initial": soc0c * f1c,
                   "soc_final": soc0c * f1c * f2c},
    }
    dsts = {(per, lay): rasterio.open(path(size, per, lay), "w",
                                      **profiles["float32" if lay.startswith("soc") else "uint8"])
            for per in PERIODS for lay in LAYERS}
    sdg_dst = rasterio.open(sdg_path(size), "w", **dict(profiles["uint8"], nodata=None))
    tabs = floor_tables(spec_parameters())
    try:
        for r0 in range(0, size, STRIP):
            r1 = min(size, r0 + STRIP)
            srng = np.random.default_rng([seed, r0])
            rows, cols = np.arange(r0, r1) // patch, np.arange(size) // patch
            shape = (r1 - r0, size)
            noise = srng.random(shape, dtype=np.float32)
            arrs = {}
            for per in PERIODS:
                for lay in LAYERS:
                    block = coarse[per][lay][rows][:, cols]
                    if lay.startswith("soc"):
                        # smooth stocks with pixel-level variation, 0.1 t/ha resolution; 0.5 % missing
                        block = np.round(block * (0.97 + 0.06 * noise), 1).astype(np.float32)
                        block[noise > 0.995] = np.nan
                    else:
                        block = block.copy()
                        block[noise < 0.01] = 0  # 1 % nodata
                        if lay == "lpd":
                            block[(noise > 0.5) & (noise < 0.53)] = 5 - (per == "report")  # pixel noise
                    arrs[per, lay] = block
                    dsts[per, lay].write(block, 1, window=Window(0, r0, size, r1 - r0))
            sdg_dst.write(floor_strip(arrs, tabs)["report", "sdg"], 1, window=Window(0, r0, size, r1 - r0))
    finally:
        for d in dsts.values():
            d.close()
        sdg_dst.close()
    extent = shapely.box(X0, Y0 - size * RES, X0 + size * RES, Y0)
    pts = shapely.MultiPoint(rng.uniform((X0, Y0 - size * RES), (X0 + size * RES, Y0), (N_UNITS, 2)))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=extent)), extent)
    gpd.GeoDataFrame({"unit": np.arange(1, len(cells) + 1)}, geometry=cells, crs="EPSG:4326").to_file(units_path(size))
    print(f"data generated in {time.perf_counter() - t0:.1f} s", flush=True)


# ---------------------------------------------------------------------------
# Worker side: one case per process
# ---------------------------------------------------------------------------


def run_floor(size: int, tabs: dict, hist) -> dict:
    import rasterio
    from rasterio.windows import Window

    from indicators.grid import row_areas

    srcs = {(per, lay): rasterio.open(path(size, per, lay)) for per in PERIODS for lay in LAYERS}
    ra = row_areas((srcs["baseline", "lpd"].crs, srcs["baseline", "lpd"].transform, (size, size)))
    totals: dict = {}
    try:
        for r0 in range(0, size, STRIP):
            r1 = min(size, r0 + STRIP)
            win = Window(0, r0, size, r1 - r0)
            arrs = {k: s.read(1, window=win) for k, s in srcs.items()}
            for key, layer in floor_strip(arrs, tabs).items():
                totals[key] = totals.get(key, 0) + hist(layer, ra[r0:r1])
    finally:
        for s in srcs.values():
            s.close()
    return totals


def _inputs(size: int):
    from indicators.io import open_raster

    lc = {c: f"class {c}" for c in range(1, 8)}
    lpd = {c: f"lpd {c}" for c in range(1, 6)}
    out = {}
    for per in PERIODS:
        for lay in LAYERS:
            kw = {"units": "t/ha"} if lay.startswith("soc") else {"legend": lpd if lay == "lpd" else lc}
            out[per, lay] = open_raster(path(size, per, lay), **kw)
    return out


def _layers(size: int, p: dict):
    """The lazy SO1 layers of both periods and the status (nothing is computed here)."""
    from indicators.so1.land_cover import land_cover_degradation
    from indicators.so1.productivity import lpd_to_3class
    from indicators.so1.sdg import one_out_all_out, status
    from indicators.so1.soc import soc_degradation

    inp = _inputs(size)
    layers = {}
    for per in PERIODS:
        lcd = land_cover_degradation(inp[per, "lc_initial"], inp[per, "lc_final"], p["matrix"])
        prod = lpd_to_3class(inp[per, "lpd"], mapping=p["lpd_mapping"], nodata_codes=[0])
        soc = soc_degradation(inp[per, "soc_initial"], inp[per, "soc_final"], **p["soc"])
        layers[per, "lc_deg"], layers[per, "prod"], layers[per, "soc_deg"] = lcd, prod, soc
        layers[per, "sdg"] = one_out_all_out(prod, lcd, soc, nodata_rule=p["nodata_rule"])
    st = status(layers["baseline", "sdg"], layers["report", "sdg"], matrix=p["status_matrix"],
                collapse=p["status_collapse"])
    layers["status_expanded"], layers["status"] = st["status_expanded"], st["status"]
    for k, v in layers.items():
        layers[k] = v.rio.write_crs(inp["baseline", "lpd"].rio.crs)
    return layers


def _codes(key) -> list[int]:
    return list(range(1, 8)) if key == "status_expanded" else [1, 2, 3]


UNIT_LAYERS = (("baseline", "sdg"), ("report", "sdg"), "status")


def run_ours(size: int, p: dict, units, *, naive: bool) -> dict:
    """Our pipeline; returns the timings of its parts and the tables."""
    from indicators.summarize import class_area_table, zonal_class_areas

    t0 = time.perf_counter()
    layers = _layers(size, p)
    if naive:
        tables = {k: class_area_table(v, codes=_codes(k), nodata=0) for k, v in layers.items()}
        unit_inputs = {k: layers[k] for k in UNIT_LAYERS}
        spool = None
    else:
        from indicators.io import store_rasters
        from indicators.summarize import compute_tables

        pending = {k: class_area_table(v, codes=_codes(k), nodata=0, compute=False) for k, v in layers.items()}
        spool = store_rasters({k: layers[k] for k in UNIT_LAYERS})  # a temporary directory
        results = compute_tables(*pending.values(), spool.task)  # one pass: every input decoded once
        tables = dict(zip(pending, results[:-1]))
        unit_inputs = spool.open()
    timings = {"raster": time.perf_counter() - t0, "peak_rss_raster_mib": peak_rss_mib()}
    if naive:
        unit_tables = {}
        for k, v in unit_inputs.items():
            t1 = time.perf_counter()
            unit_tables[k] = zonal_class_areas(v, units, codes=[1, 2, 3], nodata=0, method="exact")
            timings[f"units_{k[0] if isinstance(k, tuple) else k}"] = time.perf_counter() - t1
    else:
        from indicators.summarize import zonal_class_areas_many

        t1 = time.perf_counter()
        unit_tables = zonal_class_areas_many(unit_inputs, units, codes=[1, 2, 3], nodata=0, method="exact")
        timings["units_all3"] = time.perf_counter() - t1
    if spool is not None:
        spool.close()
    timings["total"] = time.perf_counter() - t0
    if not naive:
        # the single-layer table of the report SDG layer, for the ratio to exactextract alone (not in the total)
        with store_rasters({"sdg": layers["report", "sdg"]}) as one:
            compute_tables(one.task)
            sdg = one.open()["sdg"]
            t1 = time.perf_counter()
            zonal_class_areas(sdg, units, codes=[1, 2, 3], nodata=0, method="exact")
            timings["units_report"] = time.perf_counter() - t1
    return {"timings": timings, "tables": tables, "unit_tables": unit_tables}


def _ee_alone(size: int, units):
    import rasterio
    from exactextract import Operation, exact_extract
    from exactextract.raster import NumPyRasterSource, RasterioRasterSource

    from indicators.grid import row_areas

    with rasterio.open(sdg_path(size)) as r:
        b, crs, tr = r.bounds, r.crs, r.transform
    src = RasterioRasterSource(str(sdg_path(size)), 1, name="classes")
    area = NumPyRasterSource(np.ascontiguousarray(row_areas((crs, tr, (size, size)))[:, None]), *b, name="area",
                             srs_wkt=crs.to_wkt())
    ops = [Operation("unique", "u", src, None), Operation("weighted_frac", "af", src, area),
           Operation("sum", "at", area, None)]
    return exact_extract([src, area], units[[units.geometry.name]], ops, output="pandas")


def worker(case: str, size: int) -> None:
    os.environ["GDAL_CACHEMAX"] = str(GDAL_CACHE_MB)
    base = rss_mib()
    out: dict = {"case": case}
    p = spec_parameters()
    if case == "floor":
        tabs = floor_tables(p)
        from bench_zonal import _numba_floor

        hist = _numba_floor()  # one 256-bin histogram per row x row area (the bench_zonal floor kernel)
        hist(np.zeros((1, 1), np.uint8), np.ones(1))  # compile (or load the cache) outside the timing
        seconds, totals = timed(lambda: run_floor(size, tabs, hist))
        out["sdg_report_km2"] = totals["report", "sdg"][:4].tolist()
        out["status_km2"] = totals["status"][:4].tolist()
    elif case in ("ours", "ours_naive"):
        from indicators.io import read_polygons

        units = read_polygons(units_path(size), id_field="unit", to_crs="EPSG:4326")
        from indicators.summarize import class_area_table, zonal_class_areas

        first = _inputs(size)["baseline", "lpd"]
        class_area_table(first[:4, :4], codes=[1, 2, 3, 4, 5])  # load the numba cache
        zonal_class_areas(first, units.iloc[:1], codes=[1, 2, 3, 4, 5], method="exact")  # warm, as ee_alone is
        seconds, res = timed(lambda: run_ours(size, p, units, naive=case == "ours_naive"))
        seconds = res["timings"]["total"]
        out.update({k: v for k, v in res["timings"].items()})
        t = res["tables"]["report", "sdg"]
        nod = float(t.loc[t["kind"] == "nodata", "area_km2"].iloc[0])
        out["sdg_report_km2"] = [nod] + t.loc[t["kind"] == "class", "area_km2"].tolist()
        t = res["tables"]["status"]
        nod = float(t.loc[t["kind"] == "nodata", "area_km2"].iloc[0])
        out["status_km2"] = [nod] + t.loc[t["kind"] == "class", "area_km2"].tolist()
        u = res["unit_tables"]["report", "sdg"]
        u = u[u.level == "unit"]
        u[["unit", "kind", "class", "area_km2"]].to_pickle(DATA / f"sdg_units_ours_{size}.pkl")
    elif case == "ee_alone":
        from indicators.io import read_polygons

        units = read_polygons(units_path(size), id_field="unit", to_crs="EPSG:4326")
        _ee_alone(size, units.iloc[:1])  # warm-up on one unit
        seconds, table = timed(lambda: _ee_alone(size, units))
        table.to_pickle(DATA / f"sdg_units_ee_{size}.pkl")
    else:
        raise SystemExit(f"unknown case {case}")
    out.update(seconds=seconds, peak_rss_mib=peak_rss_mib(), base_mib=base)
    emit(out)


def main() -> None:
    global N_UNITS
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=2000, help="raster side in pixels (default 2000; the issue's is 20000)")
    p.add_argument("--units", type=int, default=N_UNITS, help="number of admin units (default 200)")
    p.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, from {CASES + ('ours_naive',)}")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    a = p.parse_args()
    N_UNITS = a.units
    if a.worker:
        worker(a.worker, a.size)
        return
    make_data(a.size)
    res = {}
    mpx = a.size * a.size / 1e6
    print(f"size {a.size} x {a.size} = {mpx:.1f} Mpx per layer, 10 input layers, {N_UNITS} units, "
          f"GDAL_CACHEMAX {GDAL_CACHE_MB} MiB")
    print(f"{'case':<12}{'seconds':>9}{'peak MiB':>10}{'base MiB':>10}  parts")
    for case in a.cases.split(","):
        r = run_worker(__file__, ["--worker", case, "--size", str(a.size), "--units", str(N_UNITS)], timeout=7200)
        res[case] = r
        if "error" in r:
            print(f"{case:<12} ERROR {r['error']}")
            continue
        parts = ", ".join(f"{k} {r[k]:.2f}" for k in r if k == "raster" or k.startswith("units_"))
        if "peak_rss_raster_mib" in r:
            parts += f"; peak MiB after the raster part {r['peak_rss_raster_mib']:.0f}"
        print(f"{case:<12}{r['seconds']:>9.2f}{r['peak_rss_mib']:>10.0f}{r['base_mib']:>10.0f}  {parts}")
    print("ratios (same run):")
    fl = res.get("floor", {}).get("seconds")
    ee = res.get("ee_alone", {}).get("seconds")
    for case in ("ours", "ours_naive"):
        r = res.get(case, {})
        if "raster" in r and fl:
            print(f"  {case} raster part / floor: {r['raster'] / fl:.2f}x (target <= 3); whole pipeline "
                  f"(raster part + the 3 per-unit tables) / floor {r['seconds'] / fl:.2f}x")
        if "units_report" in r and ee:
            print(f"  {case} per-unit table of the report SDG layer / ee_alone: {r['units_report'] / ee:.2f}x "
                  "(target <= 1.2)")
        units = r.get("units_all3", sum(r[k] for k in r if k.startswith("units_") and k != "units_report"))
        if ee and units:
            print(f"  {case} the 3 per-unit tables (SDG baseline, report, status) / ee_alone: {units / ee:.2f}x")
    if "floor" in res and "ours" in res and "sdg_report_km2" in res["ours"]:
        a1, b1 = np.array(res["floor"]["sdg_report_km2"]), np.array(res["ours"]["sdg_report_km2"])
        a2, b2 = np.array(res["floor"]["status_km2"]), np.array(res["ours"]["status_km2"])
        print(f"  national km² (nodata, 1, 2, 3) floor vs ours: max rel diff SDG {np.max(np.abs(b1 / a1 - 1)):.1e}, "
              f"status {np.max(np.abs(b2[:4] / a2[:4] - 1)):.1e}")


if __name__ == "__main__":
    main()

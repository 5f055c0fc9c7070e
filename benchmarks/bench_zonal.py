"""Benchmark: class area tables, national and per admin unit, against their references.

Data (written once to ``benchmarks/_data/``, git-ignored): a synthetic
geographic uint8 class raster (1/480° ≈ 250 m cells from 50°N, 7 classes in
patches plus nodata, tiled DEFLATE GeoTIFF) and 200 admin units (Voronoi cells
of random points, clipped to the raster).

Every case runs in a fresh subprocess (best wall time of 3 runs of the operation
alone, after a warm-up call on a tiny input; peak RSS of the whole process):

* ``floor_numba``  — the floor of whole-raster class totals: one numba pass
  counting values per row on the in-memory array, × row area;
* ``floor_bincount`` — ``np.bincount`` on the in-memory array (int64 copy);
* ``class_table``  — ``class_area_table`` on the in-memory array;
* ``class_table_file`` — ``class_area_table`` streaming the GeoTIFF with dask
  (includes decoding; peak RSS should stay flat as the raster grows);
* ``ee_alone``     — exactextract alone, the same built-in ops and the same
  1-column exact row-area weights as ours (``unique``, ``weighted_frac``, ``sum``);
* ``zonal_exact``  — ``zonal_class_areas(method="exact")`` (includes each unit's
  geodesic area);
* ``zonal_centre`` — ``zonal_class_areas(method="centre")`` on the in-memory array;
* ``zonal_centre_file`` — the same, streaming the GeoTIFF with dask.

Printed: times, peak RSS, ratios to the references measured in the same run
(class_table / floor_numba, zonal_exact / ee_alone, zonal_centre / ee_alone),
and the per-unit difference between exact and centre areas.

Usage (the default is small; the issue's size is 20000)::

    python benchmarks/bench_zonal.py                 # 2000 x 2000 px
    python benchmarks/bench_zonal.py --size 20000    # 4e8 px: ~1 GB of RAM per in-memory case, minutes
    python benchmarks/bench_zonal.py --cases class_table,floor_numba
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, peak_rss_mib, rss_mib, run_worker, timed  # noqa: E402

RES = 1 / 480
X0, Y0 = 20.0, 50.0
N_UNITS = 200
CODES = [1, 2, 3, 4, 5, 6, 7]
NODATA = 255
CASES = (
    "floor_numba", "floor_bincount", "class_table", "class_table_file",
    "ee_alone", "zonal_exact", "zonal_centre", "zonal_centre_file",
)
DATA = Path(__file__).resolve().parent / "_data"


def paths(size: int) -> tuple[Path, Path]:
    return DATA / f"zonal_classes_{size}.tif", DATA / f"zonal_units_{size}.gpkg"


def make_data(size: int, seed: int = 7) -> None:
    """Write the class raster and the units once per size (row blocks, bounded memory)."""
    import geopandas as gpd
    import rasterio
    import shapely
    from affine import Affine

    tif, gpkg = paths(size)
    if tif.exists() and gpkg.exists():
        return
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    patch = 25
    coarse = rng.integers(1, 8, (size // patch + 2, size // patch + 2)).astype(np.uint8)
    transform = Affine(RES, 0, X0, 0, -RES, Y0)
    profile = dict(driver="GTiff", width=size, height=size, count=1, dtype="uint8", crs="EPSG:4326",
                   transform=transform, nodata=NODATA, tiled=True, blockxsize=512, blockysize=512, compress="deflate")
    step = 2048
    with rasterio.open(tif, "w", **profile) as dst:
        for r0 in range(0, size, step):
            r1 = min(size, r0 + step)
            rows = np.arange(r0, r1) // patch
            block = coarse[rows][:, np.arange(size) // patch]
            noise = rng.random(block.shape) < 0.05
            block = np.where(noise, rng.integers(1, 8, block.shape).astype(np.uint8), block)
            block[rng.random(block.shape) < 0.01] = NODATA
            dst.write(block, 1, window=rasterio.windows.Window(0, r0, size, r1 - r0))
    extent = shapely.box(X0, Y0 - size * RES, X0 + size * RES, Y0)
    pts = shapely.MultiPoint(rng.uniform((X0, Y0 - size * RES), (X0 + size * RES, Y0), (N_UNITS, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=extent))
    cells = shapely.intersection(cells, extent)
    gpd.GeoDataFrame({"unit": np.arange(1, len(cells) + 1)}, geometry=cells, crs="EPSG:4326").to_file(gpkg)


# ---------------------------------------------------------------------------
# Worker side: one case per process
# ---------------------------------------------------------------------------


def _load(size: int, *, lazy: bool = False):
    from indicators.io import open_raster, read_polygons

    tif, gpkg = paths(size)
    legend = {c: f"class {c}" for c in CODES}
    da = open_raster(tif, legend=legend, chunks="auto" if lazy else None)
    units = read_polygons(gpkg, id_field="unit", to_crs=da)
    return da, units


def _numba_floor():
    import numba

    @numba.njit(nogil=True, cache=True)
    def area_per_value(a, row_area):
        # one 256-bin histogram per row, folded into km² per value at the end of the row
        out = np.zeros(256, np.float64)
        hist = np.zeros(256, np.int64)
        for r in range(a.shape[0]):
            hist[:] = 0
            for c in range(a.shape[1]):
                hist[a[r, c]] += 1
            for v in range(256):
                out[v] += hist[v] * row_area[r]
        return out

    return area_per_value


def _ee_alone(da, units):
    from exactextract import Operation, exact_extract
    from exactextract.raster import NumPyRasterSource

    from indicators.grid import row_areas

    b = da.rio.bounds()
    wkt = da.rio.crs.to_wkt()
    src = NumPyRasterSource(da.values, *b, name="classes", srs_wkt=wkt)
    area = NumPyRasterSource(np.ascontiguousarray(row_areas(da)[:, None]), *b, name="area", srs_wkt=wkt)
    ops = [Operation("unique", "u", src, None), Operation("weighted_frac", "af", src, area),
           Operation("sum", "at", area, None)]
    return lambda: exact_extract([src, area], units[[units.geometry.name]], ops, output="pandas")


def best(fn, repeats: int = 3):
    """Best wall time of a few runs (the machine is shared) and the last result."""
    runs = [timed(fn) for _ in range(repeats)]
    return min(t for t, _ in runs), runs[-1][1]


def worker(case: str, size: int) -> None:
    from indicators.grid import row_areas
    from indicators.summarize import class_area_table, zonal_class_areas

    base = rss_mib()
    out: dict = {"case": case}
    if case in ("floor_numba", "floor_bincount", "class_table"):
        da, _ = _load(size)
        arr = da.values
        ra = row_areas(da)
        if case == "floor_numba":
            kernel = _numba_floor()
            kernel(arr[:2], ra[:2])  # compile (or load the cache) outside the timing
            seconds, _ = best(lambda: kernel(arr, ra))
        elif case == "floor_bincount":
            seconds, _ = best(lambda: np.bincount(arr.ravel(), minlength=256))
        else:
            class_area_table(da[:4, :4], codes=CODES)  # warm the numba cache
            seconds, _ = best(lambda: class_area_table(da, codes=CODES))
    elif case == "class_table_file":
        da, _ = _load(size, lazy=True)
        class_area_table(da[:4, :4], codes=CODES)
        seconds, _ = best(lambda: class_area_table(da, codes=CODES))
    elif case == "ee_alone":
        da, units = _load(size)
        _ee_alone(da[:8, :8], units.iloc[:1])()  # warm, as ours is
        seconds, _ = best(_ee_alone(da, units))
    elif case in ("zonal_exact", "zonal_centre", "zonal_centre_file"):
        da, units = _load(size, lazy=case.endswith("_file"))
        method = "exact" if case == "zonal_exact" else "centre"
        zonal_class_areas(da[:8, :8], units.iloc[:1], codes=CODES, method=method)  # warm
        seconds, table = best(lambda: zonal_class_areas(da, units, codes=CODES, method=method))
        keep = table[table.level == "unit"][["unit", "kind", "class", "area_km2"]]
        keep.to_pickle(DATA / f"zonal_{method}_{size}.pkl")
        out["geodesic_vs_pixel_max_rel"] = float(
            (table.unit_pixel_area_km2 / table.unit_geodesic_area_km2 - 1).abs().max()
        )
    else:
        raise SystemExit(f"unknown case {case}")
    out.update(seconds=seconds, peak_rss_mib=peak_rss_mib(), base_mib=base, mpx_per_s=size * size / 1e6 / seconds)
    emit(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=2000, help="raster side in pixels (default 2000; the issue's is 20000)")
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--worker", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        worker(a.worker, a.size)
        return
    make_data(a.size)
    results = {}
    print(f"size {a.size} x {a.size} = {a.size * a.size / 1e6:.1f} Mpx, {N_UNITS} units")
    print(f"{'case':<20}{'seconds':>10}{'Mpx/s':>10}{'peak MiB':>10}{'base MiB':>10}")
    for case in a.cases.split(","):
        r = run_worker(__file__, ["--worker", case, "--size", str(a.size)])
        results[case] = r
        if "error" in r:
            print(f"{case:<20} ERROR {r['error']}")
            continue
        print(f"{case:<20}{r['seconds']:>10.3f}{r['mpx_per_s']:>10.1f}{r['peak_rss_mib']:>10.0f}{r['base_mib']:>10.0f}")

    def ratio(x, ref):
        if x in results and ref in results and "seconds" in results[x] and "seconds" in results[ref]:
            print(f"  {x} / {ref}: {results[x]['seconds'] / results[ref]['seconds']:.2f}x")

    print("ratios (same run):")
    for x, ref in (("class_table", "floor_numba"), ("class_table", "floor_bincount"), ("class_table_file", "floor_numba"),
                   ("zonal_exact", "ee_alone"), ("zonal_centre", "ee_alone"), ("zonal_centre_file", "ee_alone")):
        ratio(x, ref)
    if "zonal_exact" in results:
        print(f"  exact: max |pixel total / geodesic area - 1| per unit = {results['zonal_exact']['geodesic_vs_pixel_max_rel']:.2e}")
    ex, ce = DATA / f"zonal_exact_{a.size}.pkl", DATA / f"zonal_centre_{a.size}.pkl"
    if ex.exists() and ce.exists():
        import pandas as pd

        e, c = pd.read_pickle(ex), pd.read_pickle(ce)
        tot_e = e.groupby("unit").area_km2.sum()
        tot_c = c.groupby("unit").area_km2.sum()
        rel = ((tot_c - tot_e) / tot_e).abs()
        cls = (c.area_km2 - e.area_km2).abs() / tot_e.reindex(e.unit).to_numpy()
        print(f"  centre vs exact, per-unit total: median {rel.median():.2e}, max {rel.max():.2e}; "
              f"per unit x class (share of the unit): median {cls.median():.2e}, max {cls.max():.2e}")


if __name__ == "__main__":
    main()

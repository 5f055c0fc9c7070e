"""Benchmark: SO3-1 / SO3-2 (drought hazard and exposure) as the common grid grows — is memory bounded?

SO3-1 and SO3-2 take a coarse monthly precipitation grid (small), classify the
December SPI-12 of each year on it, map the classes onto a fine population grid
(``grid_resample.resample_nearest``, lazily) and sum land area and people per class per
year, nationally and per admin unit, plus four-year epoch maps.  This script
measures wall time and peak memory of that pipeline at several sizes of the
fine grid, against a single streaming pass over the same population file
measured in the same run.

Data (written once per size to ``benchmarks/_data/``, git-ignored):

* a country box of 16⅔° × 16⅔° from 20°E, 50°N (EPSG:4326);
* ``so3_precip.nc``: monthly precipitation 1981–2023 on 0.25° cells (67 × 67 ×
  516, float32, mm/month), a seasonal gamma climate as in ``bench_spi.py``;
  the south-east corner is sea (NaN), so its drought class is nodata;
* ``so3_pop_<N>.tif``: the population grid, N × N float32 cells of 16⅔°/N
  (N = 2000: 1/120°, about 1 km; N = 20000: 1/1200°, about 100 m), persons per
  cell, NaN on the sea, tiled 512 × 512, DEFLATE.  ONE file serves the five
  population years 2000, 2005, 2010, 2015, 2020 (hard links named per year, as
  a ``{year}`` path in a run configuration would be): every year is opened and
  decoded on its own, as separate files would be, but the values are the same;
* 50 admin units (Voronoi cells clipped to the box) and the boundary (the box).

The fine grid grows with N while the coarse grid, the years and the units stay
the same, so any growth of memory with N comes from the fine-grid path.

Cases, each in a fresh process (``GDAL_CACHEMAX`` 64 MiB everywhere):

1. ``ours`` — the library as ``indicators.so3.run_hazard._run_so3_hazard`` and the SO3-2 stage call
   it, without the report: ``open_raster`` of the precipitation →
   ``so3.spi.spi`` (binding SO3-1.spi: December SPI-12, calibration 1981–2010)
   → ``annual_spi`` → ``drought_hazard_classes`` computed on the coarse grid →
   ``grid_resample.resample_nearest`` onto the lazily opened population grid (the
   common grid) → SO3-1: ``drought_zonal_area_table`` with the boundary
   (national, exact coverage) and with the admin units (per unit) → SO3-2:
   population (nodata → NaN, outside the boundary → NaN by ``rasterize_polygons``
   like ``indicators.stage_helpers.inside_boundary``) → ``drought_exposure`` per year (SO3-2.T1) and
   ``drought_exposure_zonal`` per unit (SO3-2.units, exact) → epochs:
   ``epoch_most_severe``, the national area per epoch class
   (``drought_zonal_area_table(dim="epoch")`` with the boundary, SO3-1.epochs),
   per epoch ``drought_exposure(dim="epoch")`` with the epoch's population year
   and ``epoch_exposure_map`` (summed, not stored).  Timed parts: ``coarse``,
   ``so3_1_national``, ``so3_1_units``, ``so3_2_years``, ``so3_2_units``,
   ``epochs``; peak RSS after each part.  No land cover (no water mask) and no
   female/male grids.
2. ``runner_emap`` — what ``indicators.so3.run_exposure._so3_epoch_exposure`` does with the epoch
   exposure maps: ``ctx.compute(emap...)`` of the (epoch, y, x) float32 stack
   (6 epochs), i.e. the whole stack in memory.  Run only up to ``--emap-max``
   (default 10000): at 20000² it would need ~9 GiB.
3. ``floor`` — one plain streaming pass per population year over the same
   file (rasterio windows of 512 rows, single thread): a numba kernel adds the
   persons and the exact row area of every fine cell to the coarse cell
   holding its centre (the same centre rule as ``resample_nearest``); then the
   national land area and the population per class per year and per epoch are
   bincounts over the 67 × 67 coarse cells.  The coarse part (SPI and classes)
   is the library's, in memory (≈ 0.1 s).  No per-unit table.

Printed per size: wall time and peak RSS of each case, peak RSS − base (base =
the process after imports and warm-up), ours/floor ratios of time and memory,
and the agreement of the national tables (km² and persons per class per year).

Usage (small by default; ~1 min)::

    python benchmarks/bench_so3.py                           # --size 2000, all cases, ~1.5 min
    python benchmarks/bench_so3.py --sizes 2000,4000,6000    # the growth table, ~15 min (6000²: ~10 min)
    python benchmarks/bench_so3.py --sizes 2000,6000,10000,20000 --cases floor,ours --parts so3_2_years  # ~15 min
    python benchmarks/bench_so3.py --size 20000              # all parts at ~100 m: hours with the current resample
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

X0, Y0 = 20.0, 50.0
EXTENT = 50.0 / 3.0  # degrees: 2000 px of 1/120°, 20000 px of 1/1200°
COARSE = 0.25
NC = int(np.ceil(EXTENT / COARSE - 1e-9))  # 67 coarse cells per side
FIRST_YEAR, LAST_YEAR = 1981, 2023
POP_YEARS = (2000, 2005, 2010, 2015, 2020)
N_UNITS = 50
STRIP = 512
CASES = ("floor", "ours", "runner_emap")
DATA = Path(__file__).resolve().parent / "_data"
GDAL_CACHE_MB = 64


def precip_path() -> Path:
    return DATA / "so3_precip.nc"


def pop_file(size: int) -> Path:
    return DATA / f"so3_pop_{size}.tif"


def pop_path(size: int, year: int) -> Path:
    return DATA / f"so3_pop_{size}_{year}.tif"


def units_path() -> Path:
    return DATA / "so3_units.gpkg"


def boundary_path() -> Path:
    return DATA / "so3_boundary.gpkg"


def _is_sea(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The south-east corner of the box (about 6 % of it)."""
    return (lon - X0) + (Y0 - lat) > 1.65 * EXTENT


# ---------------------------------------------------------------------------
# Data (once; the population strip by strip: bounded memory)
# ---------------------------------------------------------------------------


def make_coarse(seed: int = 7) -> None:
    import geopandas as gpd
    import pandas as pd
    import shapely
    import xarray as xr

    if precip_path().exists() and units_path().exists() and boundary_path().exists():
        return
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    nt = (LAST_YEAR - FIRST_YEAR + 1) * 12
    month = np.arange(nt) % 12
    season = 1.0 + 0.6 * np.cos(2 * np.pi * (month - 1) / 12.0)
    shape = rng.uniform(0.8, 4.0, (NC, NC))
    scale = rng.uniform(5.0, 60.0, (NC, NC))
    data = (rng.gamma(shape, 1.0, (nt, NC, NC)) * scale * season[:, None, None]).astype(np.float32)
    data[rng.random(data.shape) < 0.05] = 0.0
    lat = Y0 - COARSE * (np.arange(NC) + 0.5)
    lon = X0 + COARSE * (np.arange(NC) + 0.5)
    data[:, _is_sea(lon[None, :], lat[:, None])] = np.nan
    da = xr.DataArray(data, dims=("time", "lat", "lon"),
                      coords={"time": pd.date_range(f"{FIRST_YEAR}-01-01", periods=nt, freq="MS"), "lat": lat, "lon": lon},
                      name="precip", attrs={"units": "mm/month", "long_name": "monthly precipitation total"})
    da.to_netcdf(precip_path(), encoding={"precip": {"_FillValue": np.float32(np.nan), "zlib": True}})
    box = shapely.box(X0, Y0 - EXTENT, X0 + EXTENT, Y0)
    pts = shapely.MultiPoint(rng.uniform((X0, Y0 - EXTENT), (X0 + EXTENT, Y0), (N_UNITS, 2)))
    cells = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=box)), box)
    gpd.GeoDataFrame({"unit": np.arange(1, len(cells) + 1)}, geometry=cells, crs="EPSG:4326").to_file(units_path())
    gpd.GeoDataFrame({"id": [1]}, geometry=[box], crs="EPSG:4326").to_file(boundary_path())


def make_population(size: int, seed: int = 11) -> None:
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    if not pop_file(size).exists():
        t0 = time.perf_counter()
        res = EXTENT / size
        profile = dict(driver="GTiff", width=size, height=size, count=1, dtype="float32", nodata=float("nan"),
                       crs="EPSG:4326", transform=Affine(res, 0, X0, 0, -res, Y0), tiled=True, blockxsize=512,
                       blockysize=512, compress="deflate", num_threads="all_cpus")
        rng = np.random.default_rng(seed)
        nd = 50  # settlement pattern: 50 x 50 patches of lognormal density
        density = rng.lognormal(2.0, 1.5, (nd, nd)).astype(np.float32)
        cols = np.arange(size) * nd // size
        lon = X0 + res * (np.arange(size) + 0.5)
        tmp = pop_file(size).with_suffix(".part")
        with rasterio.open(tmp, "w", **profile) as dst:
            for r0 in range(0, size, STRIP):
                r1 = min(size, r0 + STRIP)
                srng = np.random.default_rng([seed, r0])
                block = density[(np.arange(r0, r1) * nd // size)][:, cols]
                block = np.round(block * srng.random((r1 - r0, size), dtype=np.float32) * 2, 2).astype(np.float32)
                lat = Y0 - res * (np.arange(r0, r1) + 0.5)
                block[_is_sea(lon[None, :], lat[:, None])] = np.nan
                dst.write(block, 1, window=Window(0, r0, size, r1 - r0))
        tmp.rename(pop_file(size))
        print(f"population {size}² written in {time.perf_counter() - t0:.1f} s", flush=True)
    for y in POP_YEARS:
        if not pop_path(size, y).exists():
            os.link(pop_file(size), pop_path(size, y))


# ---------------------------------------------------------------------------
# Parameters from the specs (as the runner reads them)
# ---------------------------------------------------------------------------


def drought_parameters() -> dict:
    """SPI binding, classes, epochs and reporting years, as ``indicators.so3.run_hazard.drought_classification`` reads them."""
    import indicators

    fw = indicators.load_framework()
    dc = fw.parameters("drought_classes")
    cls = fw.classification(dc.classification)
    ordered = sorted(cls.classes, key=lambda c: (c.lower is not None, c.lower if c.lower is not None else 0.0))
    names = {c.code: c.name for c in fw.legend(dc.legend).classes}
    codes = [c.code for c in ordered]
    drought_codes = [c.code for c in ordered if c.upper is not None and c.upper <= 0.0]
    d = fw.edition_spec().drought
    return {
        "spi": dict(fw.binding_arguments("SO3-1.spi")),
        "breaks": [c.upper for c in ordered[:-1]],
        "codes": codes,
        "right_closed": cls.closed == "right",
        "meanings": [names[c] for c in sorted(codes)],
        "severity": [c.code for c in reversed(ordered)],
        "drought_codes": drought_codes,
        "table_codes": [c for c in sorted(codes) if c not in drought_codes] + sorted(drought_codes),
        "names": names,
        "nodata": int(fw.parameters("encoding").class_nodata),
        "years": (int(d.years[0]), int(d.years[1])),
        "epochs": [tuple(int(v) for v in e) for e in d.epochs],
    }


def coarse_classes(p: dict, *, chunks="auto"):
    """December SPI-12 → drought classes on the coarse grid, computed (the runner's first step)."""
    from indicators.io import open_raster
    from indicators.so3.hazard import annual_spi, drought_hazard_classes
    from indicators.so3.spi import spi

    precip = open_raster(precip_path(), chunks=chunks)
    annual = annual_spi(spi(precip, **p["spi"], units="mm/month"), month=p["spi"]["month"])
    annual = annual.sel(year=list(range(p["years"][0], p["years"][1] + 1)))
    classes = drought_hazard_classes(annual, breaks=p["breaks"], codes=p["codes"], right_closed=p["right_closed"],
                                     meanings=p["meanings"], nodata=p["nodata"])
    classes = classes.rio.write_crs(precip.rio.crs).rio.write_nodata(p["nodata"], encoded=False)
    return classes.compute()


# ---------------------------------------------------------------------------
# floor: one streaming pass per population year
# ---------------------------------------------------------------------------


def _floor_kernel():
    import numba

    @numba.njit(nogil=True, cache=True)
    def to_coarse(pop, rowidx, colidx, row_area, area_cc, pop_cc):
        # every fine cell adds its area and its persons to the coarse cell holding its centre
        for r in range(pop.shape[0]):
            ri, ra = rowidx[r], row_area[r]
            for c in range(pop.shape[1]):
                ci = colidx[c]
                area_cc[ri, ci] += ra
                w = pop[r, c]
                if not np.isnan(w):
                    pop_cc[ri, ci] += w

    return to_coarse


def _coarse_index(size: int, classes) -> tuple[np.ndarray, np.ndarray]:
    """Coarse row/column of each fine row/column: the pixel holding the fine cell's centre (as resample_nearest)."""
    inv = ~classes.rio.transform()
    res = EXTENT / size
    xc = X0 + res * (np.arange(size) + 0.5)
    yc = Y0 - res * (np.arange(size) + 0.5)
    col = np.floor(inv.a * xc + inv.c).astype(np.int64)
    row = np.floor(inv.e * yc + inv.f).astype(np.int64)
    return row, col


def run_floor(size: int, p: dict, classes, kernel) -> dict:
    import rasterio
    from rasterio.windows import Window

    from indicators.grid import row_areas

    nyc, nxc = classes.shape[1:]
    rowidx, colidx = _coarse_index(size, classes)
    area_cc = np.zeros((nyc, nxc))
    pop_cc = {}
    for i, year in enumerate(POP_YEARS):
        acc = np.zeros((nyc, nxc))
        area = area_cc if i == 0 else np.zeros((nyc, nxc))
        with rasterio.open(pop_path(size, year)) as src:
            ra = row_areas((src.crs, src.transform, (size, size)))
            for r0 in range(0, size, STRIP):
                r1 = min(size, r0 + STRIP)
                kernel(src.read(1, window=Window(0, r0, size, r1 - r0)), rowidx[r0:r1], colidx, ra[r0:r1], area, acc)
        pop_cc[year] = acc
    from indicators.so3.exposure import epoch_population_year, nearest_population_year

    cls = np.asarray(classes.values)
    years = [int(y) for y in classes["year"].values]
    out = {"area": {}, "pop": {}, "epoch_area": {}, "epoch_pop": {}}
    for k, y in enumerate(years):
        c = cls[k].ravel()
        out["area"][y] = np.bincount(c, weights=area_cc.ravel(), minlength=256)
        out["pop"][y] = np.bincount(c, weights=pop_cc[nearest_population_year(y, POP_YEARS)].ravel(), minlength=256)
    rank = np.full(256, 255, np.uint8)
    for i, code in enumerate(p["severity"]):
        rank[code] = i
    back = np.full(256, p["nodata"], np.uint8)
    back[: len(p["severity"])] = p["severity"]
    for first, last in p["epochs"]:
        sel = [years.index(y) for y in range(first, last + 1) if y in years]
        r = rank[cls[sel]]
        worst = np.where(r == 255, 0, r.astype(np.int16) + 1).max(axis=0)  # 0: nodata in every year
        ep = np.where(worst == 0, p["nodata"], back[np.maximum(worst - 1, 0)]).ravel()
        label = f"{first}-{last}"
        out["epoch_area"][label] = np.bincount(ep, weights=area_cc.ravel(), minlength=256)
        year, _ = epoch_population_year(first, last, POP_YEARS)
        out["epoch_pop"][label] = np.bincount(ep, weights=pop_cc[year].ravel(), minlength=256)
    return out


# ---------------------------------------------------------------------------
# ours: the library as the runner calls it
# ---------------------------------------------------------------------------


def _population(size: int, boundary):
    """(year, y, x) persons, nodata → NaN, outside the boundary → NaN (the SO3-2 stage's ``pops``), and the
    common grid (the first year's raster, as ``Context.reference``)."""
    import xarray as xr

    from indicators.io import open_raster
    from indicators.so1.sdg import rasterize_polygons

    parts = [open_raster(pop_path(size, y), units="person", name="population_total").expand_dims(year=[y])
             for y in POP_YEARS]
    pop = xr.concat(parts, dim="year", combine_attrs="override")
    reference = pop.isel(year=0, drop=True)
    bare = reference.drop_vars([c for c in reference.coords if c not in reference.dims])
    inside = (rasterize_polygons(boundary, bare) > 0).rio.write_crs(reference.rio.crs)
    nod = pop.rio.nodata
    masked = (pop.where(pop != nod) if nod is not None and not np.isnan(nod) else pop).where(inside)
    masked = masked.rio.write_crs(reference.rio.crs)
    masked.attrs["units"] = "person"
    return reference, masked, inside


PARTS = ("so3_1_national", "so3_1_units", "so3_2_years", "so3_2_units", "epochs")


def run_ours(size: int, p: dict, boundary, admin, timings: dict, parts=PARTS) -> dict:
    from indicators.grid_resample import resample_nearest
    from indicators.so3.exposure import drought_exposure, drought_exposure_zonal, epoch_exposure_map, epoch_population_year
    from indicators.so3.hazard import drought_zonal_area_table, epoch_most_severe

    def part(name, fn):
        if name not in parts and name != "coarse":
            return None
        t0 = time.perf_counter()
        out = fn()
        timings[name] = time.perf_counter() - t0
        timings[f"peak_after_{name}"] = peak_rss_mib()
        return out

    classes = part("coarse", lambda: coarse_classes(p))
    nd, dc, codes = p["nodata"], p["drought_codes"], p["table_codes"]
    meanings = [p["names"][c] for c in codes]
    reference, pop, inside = _population(size, boundary)
    fine = resample_nearest(reference, classes)  # lazy: each part's computations resample the blocks they need
    fine.attrs.update({a: classes.attrs[a] for a in ("flag_values", "flag_meanings", "long_name") if a in classes.attrs})
    fine.attrs["_FillValue"] = nd
    kw = dict(codes=codes, drought_codes=dc, meanings=meanings, nodata=nd)

    def national():
        t = drought_zonal_area_table(fine, boundary, **kw)
        return t[t["level"] == "national"]

    t1 = part("so3_1_national", national)
    part("so3_1_units", lambda: drought_zonal_area_table(fine, admin, id_field="unit", **kw))
    t2 = part("so3_2_years", lambda: drought_exposure(fine, pop, sex_percentage="2026", **kw))
    part("so3_2_units", lambda: drought_exposure_zonal(fine, pop, admin, sex_percentage="2026", id_field="unit", **kw))

    def epochs():
        ep = epoch_most_severe(fine, epochs=p["epochs"], severity=p["severity"], nodata=nd).rio.write_crs(fine.rio.crs)
        area = drought_zonal_area_table(ep, boundary, dim="epoch", **kw)
        area = area[area["level"] == "national"]
        frames, sums = [], []
        for label, first, last in zip(ep["epoch"].values, ep["epoch_start"].values, ep["epoch_end"].values):
            year, _ = epoch_population_year(int(first), int(last), POP_YEARS)
            one, layer = ep.sel(epoch=[label]), pop.sel(year=year, drop=True)
            emap = epoch_exposure_map(one, layer, drought_codes=dc, nodata=nd)
            sums.append(float(emap.where(inside).sum()))  # the map, computed block by block and summed
            frames.append(drought_exposure(one, layer, sex_percentage="2026", dim="epoch", **kw))
        return area, frames, sums

    ep_res = part("epochs", epochs)
    return {"classes": classes, "t1": t1, "t2": t2, "epochs": ep_res}


def run_runner_emap(size: int, p: dict, boundary) -> float:
    """The epoch exposure maps as ``indicators.so3.run_exposure._so3_epoch_exposure`` computes them: the whole (epoch, y, x) stack."""
    import xarray as xr

    from indicators.grid_resample import resample_nearest
    from indicators.so3.exposure import epoch_exposure_map, epoch_population_year
    from indicators.so3.hazard import epoch_most_severe

    classes = coarse_classes(p)
    reference, pop, inside = _population(size, boundary)
    fine = resample_nearest(reference, classes)
    ep = epoch_most_severe(fine, epochs=p["epochs"], severity=p["severity"], nodata=p["nodata"]).rio.write_crs(fine.rio.crs)
    maps = []
    for label, first, last in zip(ep["epoch"].values, ep["epoch_start"].values, ep["epoch_end"].values):
        year, _ = epoch_population_year(int(first), int(last), POP_YEARS)
        maps.append(epoch_exposure_map(ep.sel(epoch=[label]), pop.sel(year=year, drop=True),
                                       drought_codes=p["drought_codes"], nodata=p["nodata"]))
    emap = xr.concat(maps, dim="epoch", coords="minimal", compat="override").drop_vars("population_year", errors="ignore")
    emap = emap.where(inside).astype("float32").rio.write_crs(ep.rio.crs).compute()  # runner: ctx.compute(emap...)
    return float(emap.sum())


# ---------------------------------------------------------------------------
# Worker side: one case per process
# ---------------------------------------------------------------------------


def _warm_up(p: dict) -> None:
    """Load the numba caches and the SPI kernels on tiny inputs (outside the timing and the base)."""
    import xarray as xr

    from indicators.summarize import class_area_table, weighted_class_sum
    from indicators.so3.spi import spi

    from indicators.io import open_raster

    precip = open_raster(precip_path()).isel(y=slice(0, 2), x=slice(0, 2)).compute()
    spi(precip, **p["spi"], units="mm/month").compute()
    tiny = xr.DataArray(np.zeros((4, 4), np.uint8), dims=("y", "x"),
                        coords={"y": 50 - np.arange(4) - 0.5, "x": np.arange(4) + 0.5}).rio.write_crs("EPSG:4326")
    class_area_table(tiny, codes=[0, 1], nodata=255)
    weighted_class_sum(tiny, tiny.astype("float32").rio.write_crs("EPSG:4326"), codes=[0, 1], nodata=255)


def _ours_tables(res: dict, p: dict) -> dict:
    """The national numbers of ours, keyed like the floor's: {year or epoch: {class: value}}."""
    out: dict = {}
    t1, t2 = res["t1"], res["t2"]
    if t1 is not None:
        cls = t1[t1["kind"] == "class"]
        out["area"] = {int(y): dict(zip(map(int, g["class"]), g["area_km2"])) for y, g in cls.groupby("year")}
        nod = t1[t1["kind"] == "nodata"]
        for y, a in zip(nod["year"], nod["area_km2"]):
            out["area"][int(y)][p["nodata"]] = float(a)
    if t2 is not None:
        t2 = t2[t2["group"] == "total"]
        out["pop"] = {}
        for y, g in t2.groupby("year"):
            c = g[g["kind"] == "class"]
            out["pop"][int(y)] = dict(zip(map(int, c["class"]), c["population"]))
            out["pop"][int(y)][p["nodata"]] = float(g.loc[g["kind"] == "nodata", "population"].sum())
    if res["epochs"] is not None:
        area, frames, sums = res["epochs"]
        ea = area[area["kind"] == "class"]
        out["epoch_area"] = {str(e): dict(zip(map(int, g["class"]), g["area_km2"])) for e, g in ea.groupby("epoch")}
        out["epoch_pop"] = {}
        for f in frames:
            f = f[(f["group"] == "total") & (f["kind"] == "class")]
            out["epoch_pop"][str(f["epoch"].iloc[0])] = dict(zip(map(int, f["class"]), f["population"]))
        out["epoch_map_sums"] = sums
    return out


def worker(case: str, size: int, parts=PARTS) -> None:
    os.environ["GDAL_CACHEMAX"] = str(GDAL_CACHE_MB)
    start = rss_mib()
    p = drought_parameters()
    from indicators.io import read_polygons

    boundary = read_polygons(boundary_path(), id_field="id", to_crs="EPSG:4326")
    admin = read_polygons(units_path(), id_field="unit", to_crs="EPSG:4326")
    out: dict = {"case": case, "start_mib": start}
    if case == "floor":
        classes = coarse_classes(p, chunks=None)
        kernel = _floor_kernel()
        kernel(np.zeros((1, 1), np.float32), np.zeros(1, np.int64), np.zeros(1, np.int64), np.ones(1),
               np.zeros((1, 1)), np.zeros((1, 1)))  # compile (or load the cache) outside the timing
        base = rss_mib()
        seconds, res = timed(lambda: run_floor(size, p, classes, kernel))
        keep = list(p["codes"]) + [p["nodata"]]
        for key in ("area", "pop", "epoch_area", "epoch_pop"):
            out[key] = {label: {c: float(v[c]) for c in keep} for label, v in res[key].items()}
    elif case == "ours":
        _warm_up(p)
        base = rss_mib()
        timings: dict = {}
        seconds, res = timed(lambda: run_ours(size, p, boundary, admin, timings, parts))
        out.update(timings)
        out.update(_ours_tables(res, p))
    elif case == "runner_emap":
        _warm_up(p)
        base = rss_mib()
        seconds, total = timed(lambda: run_runner_emap(size, p, boundary))
        out["epoch_map_total"] = total
    else:
        raise SystemExit(f"unknown case {case}")
    out.update(seconds=seconds, peak_rss_mib=peak_rss_mib(), base_mib=base)
    emit(out)


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def _agreement(fl: dict, ours: dict, key: str) -> float:
    """Max relative difference of ours vs the floor over every (year or epoch, class) with a non-zero value."""
    worst = 0.0
    if key not in ours:
        return float("nan")
    for label, per_class in ours[key].items():
        ref = fl[key][str(label)]
        for code, v in per_class.items():
            r = ref[str(code)]
            if r > 0 or v > 0:
                worst = max(worst, abs(v - r) / max(abs(r), 1e-300))
    return worst


def run_size(size: int, cases: list[str], emap_max: int, parts: str) -> dict:
    make_population(size)
    res = {}
    mpx = size * size / 1e6
    print(f"\nsize {size} x {size} = {mpx:.0f} Mpx population grid (cells of {3600 * EXTENT / size:.1f}″), "
          f"{len(POP_YEARS)} population years, {NC}² coarse cells, {LAST_YEAR - FIRST_YEAR + 1} years of precipitation, "
          f"{N_UNITS} units", flush=True)
    print(f"{'case':<12}{'seconds':>9}{'peak MiB':>10}{'base MiB':>10}{'peak-base':>11}  parts (s; peak MiB after)")
    for case in cases:
        if case == "runner_emap" and size > emap_max:
            print(f"{case:<12} skipped above --emap-max {emap_max} (the (6, {size}, {size}) float32 stack: "
                  f"{6 * 4 * size * size / 2**30:.1f} GiB)")
            continue
        r = run_worker(__file__, ["--worker", case, "--size", str(size), "--parts", parts], timeout=14400)
        res[case] = r
        if "error" in r:
            print(f"{case:<12} ERROR {r['error']}")
            continue
        shown = ", ".join(f"{k} {r[k]:.1f} ({r['peak_after_' + k]:.0f})" for k in
                          ("coarse", "so3_1_national", "so3_1_units", "so3_2_years", "so3_2_units", "epochs") if k in r)
        print(f"{case:<12}{r['seconds']:>9.2f}{r['peak_rss_mib']:>10.0f}{r['base_mib']:>10.0f}"
              f"{r['peak_rss_mib'] - r['base_mib']:>11.0f}  {shown}", flush=True)
    fl, ours = res.get("floor", {}), res.get("ours", {})
    if "seconds" in fl and "seconds" in ours:
        nat = sum(ours.get(k, 0.0) for k in ("coarse", "so3_1_national", "so3_2_years", "epochs"))
        print(f"ratios (same run): ours total / floor {ours['seconds'] / fl['seconds']:.1f}x, national parts only "
              f"(no per-unit table) {nat / fl['seconds']:.1f}x; peak-base ours / floor "
              f"{(ours['peak_rss_mib'] - ours['base_mib']) / max(fl['peak_rss_mib'] - fl['base_mib'], 1):.1f}x, "
              f"peak ours / floor {ours['peak_rss_mib'] / fl['peak_rss_mib']:.2f}x")
        print("agreement ours vs floor (max relative difference per year or epoch x class): "
              f"area {_agreement(fl, ours, 'area'):.1e}, population {_agreement(fl, ours, 'pop'):.1e}, "
              f"epoch area {_agreement(fl, ours, 'epoch_area'):.1e}, epoch population {_agreement(fl, ours, 'epoch_pop'):.1e}")
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=2000, help="population grid side in cells (default 2000)")
    ap.add_argument("--sizes", help="comma-separated sides, run in turn (e.g. 2000,4000,6000); overrides --size")
    ap.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, from {CASES}")
    ap.add_argument("--emap-max", type=int, default=10000, help="largest size for runner_emap (default 10000)")
    ap.add_argument("--parts", default=",".join(PARTS), help=f"parts of ours to run (default all: {','.join(PARTS)})")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker(a.worker, a.size, a.parts.split(","))
        return
    make_coarse()
    sizes = [int(s) for s in a.sizes.split(",")] if a.sizes else [a.size]
    print(f"GDAL_CACHEMAX {GDAL_CACHE_MB} MiB; dask threaded scheduler ({os.cpu_count()} cores) for ours; floor single thread")
    for size in sizes:
        run_size(size, a.cases.split(","), a.emap_max, a.parts)


if __name__ == "__main__":
    main()

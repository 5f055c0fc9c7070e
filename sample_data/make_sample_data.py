#!/usr/bin/env python
"""Generate the bundled sample data: the fictional country of Arvelia.

Everything here is synthetic. The script draws a plausible small country
(irregular outline with a sea coast, a lake, five admin units, towns) and the
raster, vector and table inputs that SO1/SDG 15.3.1, SO2-3 and SO3 need for the
baseline (2000-2015) and the two reporting periods (2016-2019, 2016-2023):

* land cover in ESA CCI codes for every year 2000-2023 (annual maps, so the
  annual SOC dynamics can run) and one map (2019) in a small national legend;
* annual mean NDVI 2000-2023 with regional trends;
* a precomputed JRC-style 5-class LPD for each of the three periods;
* the reference SOC stock (year 2000), an IPCC climate-zone raster;
* gridded population (total, female, male) for 2000, 2005, ..., 2020 and a
  national yearly population table by sex;
* a precomputed DVI raster (2018) and DVI factor tables (national and per
  admin unit) for the 13 recommended factors;
* monthly precipitation 1981-2023 on a 1/8 degree grid (NetCDF), and monthly
  potential evapotranspiration on the same grid and months (for the SPEI).

It deliberately does not import the ``indicators`` package: the sample data
must be an independent input to the code it exercises.

Determinism: every random draw comes from a ``numpy.random.default_rng`` with a
fixed seed per theme, GeoPackage timestamps are pinned (``OGR_CURRENT_DATE``)
and nothing writes a wall-clock time, so re-running the script with the same
library versions reproduces every file byte for byte. The versions used are
recorded in ``manifest.json`` with each file's sha256.

Usage::

    python sample_data/make_sample_data.py            # rewrite sample_data/ in place
    python sample_data/make_sample_data.py --out DIR  # write the same tree under DIR
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

# Pin GeoPackage "last_change" timestamps before GDAL is loaded, so the
# files do not depend on the time they were written.
os.environ["OGR_CURRENT_DATE"] = "2026-01-01T00:00:00Z"
# Small SQLite pages keep the tiny GeoPackages small (default pages waste ~80 KB per file).
os.environ["OGR_SQLITE_PRAGMA"] = "page_size=1024"

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import rasterio  # noqa: E402
import rasterio.features  # noqa: E402
import shapely  # noqa: E402
import xarray as xr  # noqa: E402
from rasterio.transform import Affine  # noqa: E402
from scipy import ndimage  # noqa: E402
from shapely.geometry import MultiPolygon, Polygon, shape  # noqa: E402

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------
# The grid shared by every SO1/SO2-3 raster: 30 arc-second pixels (1/120 deg)
# --------------------------------------------------------------------------
RES = 1.0 / 120.0
WEST, NORTH = 10.3, 46.2
WIDTH, HEIGHT = 288, 216  # 10.3-12.7 E, 44.4-46.2 N
TRANSFORM = Affine(RES, 0.0, WEST, 0.0, -RES, NORTH)
CRS = "EPSG:4326"
LON = WEST + (np.arange(WIDTH) + 0.5) * RES
LAT = NORTH - (np.arange(HEIGHT) + 0.5) * RES
LON2, LAT2 = np.meshgrid(LON, LAT)

YEARS = list(range(2000, 2024))
POP_YEARS = [2000, 2005, 2010, 2015, 2020]
# The three productivity windows (methodology Part B 2.4).
LPD_PERIODS = {"baseline": (2000, 2015), "report_1": (2004, 2019), "report_2": (2008, 2023)}
DRY_YEARS = {2003: 0.66, 2007: 0.68, 2012: 0.70, 2017: 0.64, 2022: 0.58}  # precipitation factor
# The climate grid (SO3 precipitation and PET): 1/8 degree cells, lon 10.25-12.75 E, lat 44.25-46.25 N
# (covers the rasters' rectangle with a margin).
CLIMATE_RES = 0.125
CLIMATE_WEST, CLIMATE_NORTH = 10.25, 46.25
CLIMATE_NX, CLIMATE_NY = 20, 16
# Where each dry year is driest (lon, lat of the core, radii in degrees): the precipitation factor of
# DRY_YEARS applies in full at the core and fades away from it, so a dry year is a drought in part of
# the country only.
DROUGHT_CORES = {
    2003: (12.35, 44.85, 0.80, 0.60),  # the south-east hills
    2007: (10.65, 45.45, 0.65, 0.45),  # the west
    2012: (12.10, 45.50, 0.60, 0.40),  # the east
    2017: (11.20, 46.00, 0.60, 0.35),  # the Alpine north
    2022: (11.55, 44.95, 0.95, 0.60),  # the south, widest
}

FLOAT_NODATA = -9999.0
COUNTRY = {"name": "Arvelia", "iso3": "XAV"}  # XAA-XZZ are user-assigned ISO 3166 codes

# ESA CCI-LC codes and names (the ones this script uses all exist in the
# 37-class legend).
ESA_NAMES = {
    10: "cropland_rainfed", 11: "cropland_rainfed_herbaceous_cover", 12: "cropland_rainfed_tree_or_shrub_cover",
    20: "cropland_irrigated", 30: "mosaic_cropland", 40: "mosaic_natural_vegetation",
    60: "tree_broadleaved_deciduous", 61: "tree_broadleaved_deciduous_closed", 62: "tree_broadleaved_deciduous_open",
    70: "tree_needleleaved_evergreen", 90: "tree_mixed", 100: "mosaic_tree_and_shrub", 110: "mosaic_herbaceous",
    120: "shrubland", 122: "shrubland_deciduous", 130: "grassland", 140: "lichens_and_mosses",
    150: "sparse_vegetation", 153: "sparse_herbaceous_cover", 160: "tree_cover_flooded_fresh_or_brakish_water",
    170: "tree_cover_flooded_saline_water", 180: "shrub_or_herbaceous_cover_flooded", 190: "urban",
    200: "bare_areas", 201: "bare_areas_consolidated", 202: "bare_areas_unconsolidated", 210: "water",
    220: "snow_and_ice",
}

# Fictional national legend (one map, 2019) and how it nests into the 7 UNCCD classes.
NATIONAL_LEGEND = [
    (11, "Coniferous forest", 1), (12, "Broadleaf and mixed forest", 1), (21, "Shrubland", 2),
    (22, "Meadows and pastures", 2), (31, "Arable land", 3), (32, "Orchards and vineyards", 3),
    (41, "Marshes and flooded woodland", 4), (51, "Built-up land", 5), (61, "Bare rock, sand and glaciers", 6),
    (71, "Lakes, rivers and sea", 7),
]
ESA_TO_NATIONAL = {
    70: 11, 90: 11, 60: 12, 61: 12, 62: 12, 100: 12, 120: 21, 122: 21, 110: 22, 130: 22, 140: 22, 150: 22,
    153: 22, 40: 22, 10: 31, 11: 31, 20: 31, 30: 31, 12: 32, 160: 41, 170: 41, 180: 41, 190: 51, 200: 61,
    201: 61, 202: 61, 220: 61, 210: 71,
}

# Base annual mean NDVI by ESA class (before offsets, trends and noise).
NDVI_BASE = {
    10: 0.58, 11: 0.56, 12: 0.62, 20: 0.66, 30: 0.62, 40: 0.64, 60: 0.79, 61: 0.81, 62: 0.72, 70: 0.74,
    90: 0.77, 100: 0.70, 110: 0.60, 120: 0.52, 122: 0.50, 130: 0.55, 140: 0.30, 150: 0.24, 153: 0.26,
    160: 0.66, 170: 0.55, 180: 0.52, 190: 0.27, 200: 0.08, 201: 0.07, 202: 0.10, 210: 0.00, 220: -0.03,
}
# Reference SOC stock, 0-30 cm, t C/ha by ESA class (multiplied by a smooth field).
SOC_BASE = {
    10: 48, 11: 50, 12: 52, 20: 46, 30: 55, 40: 62, 60: 78, 61: 82, 62: 70, 70: 88, 90: 84, 100: 72,
    110: 64, 120: 58, 122: 55, 130: 72, 140: 55, 150: 40, 153: 42, 160: 120, 170: 105, 180: 135,
    190: 32, 200: 14, 201: 12, 202: 16,
}
# Rural population density (persons/km2) by ESA class, before the smooth field.
RURAL_DENSITY = {
    10: 110, 11: 105, 12: 95, 20: 125, 30: 90, 40: 55, 60: 18, 61: 15, 62: 22, 70: 9, 90: 12, 100: 22,
    110: 40, 120: 15, 122: 15, 130: 12, 140: 1, 150: 1, 153: 1, 160: 5, 170: 3, 180: 4, 190: 180,
    200: 0.5, 201: 0.2, 202: 0.5, 210: 0, 220: 0,
}

# Towns: name, lon, lat, population in 2000, annual growth.
TOWNS = [
    ("Arvena", 11.55, 45.33, 430_000, 0.011), ("Lusentia", 10.98, 45.15, 165_000, 0.008),
    ("Calvora", 12.22, 45.30, 115_000, 0.006), ("Marova", 11.02, 45.52, 92_000, 0.007),
    ("Sestri", 12.08, 44.88, 68_000, 0.002), ("Brenna", 11.62, 45.80, 52_000, 0.001),
    ("Ponte Alva", 11.85, 45.10, 31_000, 0.009), ("Vessa", 10.82, 45.33, 24_000, 0.006),
    ("Ordal", 12.40, 45.62, 21_000, 0.003), ("Carsi", 11.30, 45.05, 18_000, 0.005),
    ("Tiera", 11.95, 45.55, 16_000, 0.004), ("Montel", 11.10, 45.86, 9_000, -0.004),
]

ADMIN_UNITS = [  # unit_id, name, seed lon, seed lat
    ("XAV-01", "Brennia", 11.45, 45.92), ("XAV-02", "Marovano", 10.95, 45.45),
    ("XAV-03", "Arvena Capital Region", 11.62, 45.35), ("XAV-04", "Calvoria", 12.25, 45.42),
    ("XAV-05", "Sestrano", 11.95, 44.90),
]


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------
def smooth_noise(rng: np.random.Generator, sigma_px: float, shape=(HEIGHT, WIDTH)) -> np.ndarray:
    """Spatially coherent noise, zero mean and unit standard deviation."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma_px, mode="reflect")
    return (field - field.mean()) / field.std()


def blob(lon0: float, lat0: float, rlon: float, rlat: float) -> np.ndarray:
    """Gaussian bump (peak 1) centred on (lon0, lat0) with radii in degrees."""
    return np.exp(-(((LON2 - lon0) / rlon) ** 2 + ((LAT2 - lat0) / rlat) ** 2))


def quantize(values: np.ndarray, step: float) -> np.ndarray:
    """Round to a multiple of *step*; with step = 2**-k the float32 mantissa ends in zeros and DEFLATE compresses well."""
    return (np.round(values / step) * step).astype("float32")


def wobbly_ring(rng, cx, cy, ax, ay, n=1440, kmax=60, amp=0.16, slope=1.35, rot=0.0) -> Polygon:
    """Star-shaped closed outline: an ellipse whose radius carries random harmonics (natural-looking border)."""
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for k in range(2, kmax + 1):
        r += rng.normal(0.0, 1.0) * k ** (-slope) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    r = 1.0 + amp * (r - 1.0) / np.abs(r - 1.0).max()
    x, y = ax * r * np.cos(theta), ay * r * np.sin(theta)
    xr_, yr_ = x * np.cos(rot) - y * np.sin(rot), x * np.sin(rot) + y * np.cos(rot)
    return Polygon(np.column_stack([cx + xr_, cy + yr_]).round(6))


def pixel_mask(geom) -> np.ndarray:
    """True where the pixel centre lies inside *geom*."""
    return rasterio.features.geometry_mask([geom], (HEIGHT, WIDTH), TRANSFORM, invert=True)


def pixel_area_km2() -> np.ndarray:
    """Approximate cell area (spherical, R = 6371 km); fine for scaling synthetic densities."""
    r = 6371.0
    lat_n, lat_s = np.radians(LAT + RES / 2), np.radians(LAT - RES / 2)
    col = r * r * np.radians(RES) * (np.sin(lat_n) - np.sin(lat_s))
    return np.repeat(col[:, None], WIDTH, axis=1)


def lookup(codes: np.ndarray, table: dict, default=np.nan) -> np.ndarray:
    out = np.full(codes.shape, default, dtype="float64")
    for code, value in table.items():
        out[codes == code] = value
    return out


def write_raster(path: Path, data: np.ndarray, *, nodata, tags: dict, description: str) -> None:
    """Tiled DEFLATE GeoTIFF on the common grid, with CF-like tags."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dtype = str(data.dtype)
    profile = dict(
        driver="GTiff", width=WIDTH, height=HEIGHT, count=1, dtype=dtype, crs=CRS, transform=TRANSFORM,
        nodata=nodata, tiled=True, blockxsize=256, blockysize=256, compress="deflate", zlevel=9,
        predictor=3 if dtype.startswith("float") else 2, interleave="band",
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(**{k: str(v) for k, v in tags.items()})
        dst.set_band_description(1, description)


def class_tags(codes, meanings, long_name, source) -> dict:
    return {
        "long_name": long_name, "units": "1", "flag_values": " ".join(str(c) for c in codes),
        "flag_meanings": " ".join(meanings), "source": source,
    }


def write_gpkg(gdf, path: Path, layer: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def write_csv(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n")


# --------------------------------------------------------------------------
# geography: outline, coast, lake, admin units, terrain
# --------------------------------------------------------------------------
def make_geography():
    rng = np.random.default_rng(20260101)
    outline = wobbly_ring(rng, 11.50, 45.33, 0.98, 0.70, kmax=90, amp=0.24, slope=1.05)
    # Sea to the south-west: a wavy coastline from (10.3, 45.3) to (11.9, 44.4).
    t = np.linspace(0.0, 1.0, 900)
    p0, p1 = np.array([10.30, 45.30]), np.array([11.90, 44.40])
    d = p1 - p0
    normal = np.array([d[1], -d[0]]) / np.hypot(*d)  # points away from the sea (north-east)
    wig = np.zeros_like(t)
    for k in range(1, 70):
        wig += rng.normal(0, 1) * k ** (-1.1) * np.sin(np.pi * k * t + rng.uniform(0, 2 * np.pi))
    wig = 0.07 * wig / np.abs(wig).max()
    coast = p0 + np.outer(t, d) + np.outer(wig, normal)
    start = coast[0] - np.array([0.5, 0.0])
    end = coast[-1] - np.array([0.0, 0.5])
    sea = Polygon(np.vstack([[start], coast, [end], [[9.5, 43.5]]]).round(6))
    country = outline.difference(sea)
    if isinstance(country, MultiPolygon):  # keep the mainland, drop slivers
        country = max(country.geoms, key=lambda g: g.area)
    country = shapely.set_precision(country, 1e-6)
    lake = wobbly_ring(rng, 11.26, 45.58, 0.045, 0.10, n=360, kmax=25, amp=0.22, rot=0.25)
    lake = shapely.set_precision(lake, 1e-6)
    assert country.buffer(-0.05).contains(lake), "the lake must lie well inside the country"

    # Admin units: nearest seed, with distances perturbed by smooth noise so the
    # borders wander, labelled on a grid 4x finer than the rasters, then polygonised
    # (polygons of one label raster partition the rectangle exactly).
    f = 4
    fine_lon = WEST + (np.arange(WIDTH * f) + 0.5) * RES / f
    fine_lat = NORTH - (np.arange(HEIGHT * f) + 0.5) * RES / f
    flon, flat = np.meshgrid(fine_lon, fine_lat)
    dist = []
    for _, _, slon, slat in ADMIN_UNITS:
        noise = ndimage.gaussian_filter(rng.standard_normal(flon.shape), 28.0)
        noise /= noise.std()
        dist.append(np.hypot((flon - slon) * np.cos(np.radians(45.3)), flat - slat) + 0.035 * noise)
    labels = (np.argmin(np.stack(dist), axis=0) + 1).astype("int32")
    labels = ndimage.median_filter(labels, size=5, mode="nearest").astype("int32")
    fine_tr = Affine(RES / f, 0.0, WEST, 0.0, -RES / f, NORTH)
    parts: dict[int, list] = {}
    for geom, value in rasterio.features.shapes(labels, transform=fine_tr):
        parts.setdefault(int(value), []).append(shape(geom))
    clipped = []
    for i in range(1, len(ADMIN_UNITS) + 1):
        g = shapely.union_all(parts[i]).intersection(country)
        clipped.append(sorted((p for p in getattr(g, "geoms", [g]) if p.geom_type == "Polygon"),
                              key=lambda p: -p.area))
    # Keep each unit contiguous: a fragment cut off by the coast or the border
    # goes to the unit whose main part shares the longest edge with it.
    mains = [c[0] for c in clipped]
    members = [[m] for m in mains]
    for c in clipped:
        for frag in c[1:]:
            shared = [frag.boundary.intersection(m.boundary).length for m in mains]
            members[int(np.argmax(shared))].append(frag)
    units = []
    for (uid, name, _, _), polys in zip(ADMIN_UNITS, members):
        g = shapely.union_all(polys)
        g = MultiPolygon(list(getattr(g, "geoms", [g])))
        units.append((uid, name, g))
    return country, sea, lake, units


def make_terrain(country, sea, lake):
    rng = np.random.default_rng(20260102)
    in_country, in_sea, in_lake = pixel_mask(country), pixel_mask(sea), pixel_mask(lake)
    north = 1.0 / (1.0 + np.exp(-(LAT2 - 45.72) / 0.07))
    ridges = np.clip(0.55 + 0.25 * smooth_noise(rng, 4.0) + 0.20 * smooth_noise(rng, 1.5), 0.05, 1.4)
    hills = blob(12.22, 44.82, 0.30, 0.18)
    elev = 60 + 2650 * north * ridges + 520 * hills * (0.8 + 0.2 * smooth_noise(rng, 3)) + 40 * smooth_noise(rng, 6)
    elev = np.where(in_sea, 0.0, np.maximum(elev, 2.0))
    dist_sea_km = ndimage.distance_transform_edt(~in_sea) * RES * 111.0 * 0.85
    return dict(in_country=in_country, in_sea=in_sea, in_lake=in_lake, elev=elev, hills=hills, north=north,
                dist_sea_km=dist_sea_km)


def town_kernel(year: int, rng_field: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(urban score, town population per km2) for *year*; a town's footprint grows with its population."""
    score = np.zeros((HEIGHT, WIDTH))
    density = np.zeros((HEIGHT, WIDTH))
    kx = np.cos(np.radians(45.3))
    for _, lon, lat, pop0, growth in TOWNS:
        pop = pop0 * (1.0 + growth) ** (year - 2000)
        s = 0.0085 * np.sqrt(pop / 10_000.0)  # degrees: ~1 km for a town of 10 000
        g = np.exp(-(((LON2 - lon) * kx) ** 2 + (LAT2 - lat) ** 2) / (2 * s * s))
        score = np.maximum(score, g * np.clip(np.log10(pop) - 3.6, 0.2, None))
        density += pop * g / (2 * np.pi * (s * 111.0) ** 2)
    return score * (1.0 + 0.25 * rng_field), density


# --------------------------------------------------------------------------
# land cover 2000-2023 (ESA CCI codes)
# --------------------------------------------------------------------------
def make_land_cover(terr):
    rng = np.random.default_rng(20260103)
    elev, hills, dsea = terr["elev"], terr["hills"], terr["dist_sea_km"]
    n1, n2, n3 = smooth_noise(rng, 2.0), smooth_noise(rng, 1.0), smooth_noise(rng, 3.0)
    white = rng.random((HEIGHT, WIDTH))
    lc = np.full((HEIGHT, WIDTH), 10, dtype="uint8")
    # lowland agriculture
    lc[n1 > 0.3] = 11
    lc[(n2 > 0.9)] = 30
    lc[(n3 < -0.9)] = 40
    lc[(n1 < -1.2)] = 60
    irrigated = np.abs(ndimage.gaussian_filter(rng.standard_normal((HEIGHT, WIDTH)), 12.0))
    irrigated /= irrigated.max()
    lc[(irrigated < 0.08) & (elev < 250)] = 20
    lc[(elev > 180) & (elev < 450) & (n2 > 0.2) & (n1 < 0.3)] = 12
    # south-eastern hills
    h = hills > 0.35
    lc[h & (n1 > -0.2)] = 61
    lc[h & (n2 > 0.6)] = 122
    lc[h & (n3 > 1.0)] = 110
    lc[h & (n1 < -0.9)] = 30
    # mountains by altitude belt
    lc[(elev >= 450) & (elev < 1000)] = np.where(n2[(elev >= 450) & (elev < 1000)] > 0.7, 100, 60)
    lc[(elev >= 450) & (elev < 800) & (n1 < -0.8)] = 30
    belt = (elev >= 1000) & (elev < 1800)
    lc[belt] = np.where(n1[belt] > 0.6, 90, 70)
    lc[(elev >= 1800) & (elev < 2150)] = np.where(n3[(elev >= 1800) & (elev < 2150)] > 1.1, 140, 130)
    lc[(elev >= 2150) & (elev < 2450)] = np.where(n2[(elev >= 2150) & (elev < 2450)] > 0.0, 150, 153)
    lc[(elev >= 2450) & (elev < 2800)] = 201
    lc[elev >= 2800] = 220
    # coast: marshes, a saline lagoon fringe and beaches
    coast = (dsea < 4.0) & ~terr["in_sea"]
    lc[coast & (n3 > 0.0)] = 180
    lc[coast & (dsea < 1.5) & (n2 > 0.8)] = 170
    lc[coast & (dsea < 1.2) & (n1 > 1.0)] = 202
    # lake shore: flooded woodland on a part of the shore
    shore = ndimage.binary_dilation(terr["in_lake"], iterations=1) & ~terr["in_lake"]
    lc[shore & (n2 > -0.3)] = 160
    lc[terr["in_sea"] | terr["in_lake"]] = 210

    urban_noise = smooth_noise(rng, 1.0)
    # change years: each candidate process gets a smooth+random year of change
    cy_noise = smooth_noise(rng, 2.0)
    years = {}
    # 1) deforestation in the south-eastern hills (forest -> mosaic cropland / grassland)
    defor = (blob(12.32, 44.95, 0.10, 0.07) > 0.35) & np.isin(lc, [61, 60, 122])
    defor_year = np.round(2011 + 5 * cy_noise + 3 * (white - 0.5)).astype(int)
    defor_to = np.where(n2 > 0.3, 130, 30)
    # 2) afforestation / abandonment of alpine pastures and mountain mosaics (-> needleleaved / mixed)
    affor = (blob(11.85, 45.95, 0.25, 0.10) > 0.3) & np.isin(lc, [130, 30, 100])
    affor_year = np.round(2009 + 7 * cy_noise + 4 * (white - 0.5)).astype(int)
    affor_to = np.where(lc == 30, 100, 90)
    # 3) wetland drainage near the coast (-> irrigated cropland), mostly 2014-2020
    drain = (blob(11.20, 44.90, 0.20, 0.10) > 0.3) & np.isin(lc, [180])
    drain_year = np.round(2017 + 3 * cy_noise).astype(int)
    # 4) cropland withdrawal to grassland in the south-west plain
    withdraw = (blob(10.75, 45.32, 0.12, 0.08) > 0.4) & np.isin(lc, [10, 11]) & (n1 > 0.0)
    withdraw_year = np.round(2005 + 9 * (white - 0.5) + 10 * (cy_noise > 0.5)).astype(int)
    # 5) a bare quarry restored to grassland
    quarry = blob(11.92, 45.42, 0.02, 0.015) > 0.5
    out = {}
    for y in YEARS:
        m = lc.copy()
        m[quarry] = 200 if y < 2014 else 130
        m[defor & (y >= defor_year)] = defor_to[defor & (y >= defor_year)]
        m[affor & (y >= affor_year)] = affor_to[affor & (y >= affor_year)]
        m[drain & (y >= drain_year)] = 20
        m[withdraw & (y >= withdraw_year)] = 130
        score, _ = town_kernel(y, urban_noise)
        urban = (score > 0.35) & ~np.isin(m, [210, 220, 201])
        m[urban] = 190
        m[terr["in_sea"] | terr["in_lake"]] = 210
        out[y] = m
    years.update(out)
    return years


# --------------------------------------------------------------------------
# NDVI, LPD, SOC, climate zones
# --------------------------------------------------------------------------
def ndvi_trend(year: int) -> np.ndarray:
    """Deterministic NDVI change (relative to 2000) from regional processes."""
    t = year - 2000
    decline = -0.0055 * t * blob(12.30, 44.95, 0.28, 0.20)                      # long decline (SE hills)
    improve = 0.0045 * t * blob(11.55, 45.62, 0.30, 0.10)                       # greening foothills
    late = -0.0085 * max(0, year - 2012) * blob(10.78, 45.40, 0.22, 0.14)       # decline since 2012 (W plain)
    recover = np.where(year <= 2010, -0.006 * t, -0.06 + 0.0075 * (year - 2010)) * blob(12.35, 45.60, 0.18, 0.12)
    stressed = -0.004 * max(0, year - 2015) * blob(11.75, 45.12, 0.16, 0.10)    # recent stress (S plain)
    return decline + improve + late + recover + stressed


def make_ndvi(lc_years, terr):
    rng = np.random.default_rng(20260104)
    sea = terr["in_sea"]
    offset = 0.025 * smooth_noise(rng, 1.5) + 0.012 * rng.standard_normal((HEIGHT, WIDTH))
    clim_pattern = 1.0 + 0.35 * smooth_noise(rng, 20.0)
    clean, noisy = {}, {}
    for y in YEARS:
        base = lookup(lc_years[y], NDVI_BASE)
        vegetated = base > 0.2
        anomaly = -0.045 * (1 - DRY_YEARS.get(y, 1.0)) / 0.35 if y in DRY_YEARS else 0.0
        anomaly = anomaly + 0.010 * rng.standard_normal()
        signal = base + np.where(vegetated, offset + ndvi_trend(y) + anomaly * clim_pattern, 0.3 * offset)
        clean[y] = signal
        v = signal + 0.014 * rng.standard_normal((HEIGHT, WIDTH))
        v = np.clip(v, -0.2, 0.95)
        v = quantize(v, 2.0 ** -9)
        v[sea] = FLOAT_NODATA
        noisy[y] = v
    return clean, noisy


def make_lpd(clean, lc_years, terr):
    """JRC-style 5-class LPD from the noise-free NDVI signal (trend + state), with label noise.

    This is a plausible stand-in for an external product, not the project's own
    LPD algorithm: relative OLS slope gives declining / moderate decline /
    increasing, a drop of the last three years below the earlier mean gives
    'stressed', and about 3 % of pixels are perturbed by one class.
    """
    rng = np.random.default_rng(20260105)
    out = {}
    gap = blob(11.80, 45.97, 0.025, 0.02) > 0.5  # a small no-data patch (persistent cloud/snow in the source)
    for name, (a, b) in LPD_PERIODS.items():
        yrs = np.arange(a, b + 1)
        stack = np.stack([clean[y] for y in yrs])
        t = yrs - yrs.mean()
        slope = np.tensordot(t, stack, axes=1) / (t * t).sum()
        mean = stack.mean(axis=0)
        rel = slope / np.maximum(mean, 0.05)
        state = (stack[-3:].mean(axis=0) - stack[:-3].mean(axis=0)) / np.maximum(mean, 0.05)
        lpd = np.full((HEIGHT, WIDTH), 4, dtype="uint8")
        lpd[state < -0.035] = 3
        lpd[rel < -0.0035] = 2
        lpd[rel < -0.0075] = 1
        lpd[(rel > 0.0045) & (state > -0.02)] = 5
        flip = rng.random((HEIGHT, WIDTH)) < 0.03
        step = np.where(rng.random((HEIGHT, WIDTH)) < 0.5, -1, 1)
        lpd = np.where(flip, np.clip(lpd.astype(int) + step, 1, 5), lpd).astype("uint8")
        water_snow = np.isin(lc_years[b], [210, 220]) | terr["in_sea"]
        lpd[water_snow | gap] = 0
        out[name] = lpd
    return out


def make_soc(lc2000, terr):
    rng = np.random.default_rng(20260106)
    base = lookup(lc2000, SOC_BASE)
    cool = 1.0 + 0.25 * terr["north"]  # colder uplands hold more carbon
    field = np.exp(0.12 * smooth_noise(rng, 3.0) + 0.06 * rng.standard_normal((HEIGHT, WIDTH)))
    soc = np.round(base * cool * field).astype("float32")
    soc[np.isnan(base)] = FLOAT_NODATA  # water, snow and ice
    return soc


def make_climate_zones(terr):
    """IPCC climate zones (Part C 1.4 codes): 1 warm temperate moist, 2 warm temperate dry, 3 cool temperate moist."""
    rng = np.random.default_rng(20260107)
    zone = np.ones((HEIGHT, WIDTH), dtype="uint8")
    dry = blob(12.20, 44.92, 0.35, 0.22) * (1 + 0.15 * smooth_noise(rng, 8.0))
    zone[dry > 0.55] = 2
    zone[terr["elev"] > 1100] = 3
    zone[terr["in_sea"]] = 0
    return zone


def make_national_lc(lc2019):
    rng = np.random.default_rng(20260108)
    nat = np.zeros(lc2019.shape, dtype="uint8")
    for esa, code in ESA_TO_NATIONAL.items():
        nat[lc2019 == esa] = code
    assert not (nat == 0).any(), "every ESA code in the 2019 map must have a national class"
    # The national map is an independent product: in patches it disagrees with ESA
    # on arable land versus meadows and on broadleaf forest versus shrubland.
    patches = smooth_noise(rng, 1.2) > 1.6
    swap = {31: 22, 22: 31, 12: 21, 21: 12}
    for a, b in swap.items():
        nat[patches & (lc2019 == lc2019) & (nat == a)] = b + 100  # mark, then settle (avoid double swap)
    nat[nat > 100] -= 100
    return nat


# --------------------------------------------------------------------------
# population and DVI
# --------------------------------------------------------------------------
def make_population(lc_years, terr):
    rng = np.random.default_rng(20260109)
    area = pixel_area_km2()
    texture = np.exp(0.30 * smooth_noise(rng, 2.0) + 0.15 * rng.standard_normal((HEIGHT, WIDTH)))
    female_share = 0.512 + 0.004 * smooth_noise(rng, 10.0) - 0.012 * terr["north"]
    urban_noise = np.zeros((HEIGHT, WIDTH))
    out = {}
    for y in POP_YEARS:
        rural_trend = np.where(terr["elev"] > 700, (1 - 0.006) ** (y - 2000), (1 + 0.002) ** (y - 2000))
        rural = lookup(lc_years[y], RURAL_DENSITY, 0.0) * texture * rural_trend
        _, towns = town_kernel(y, urban_noise)
        total = np.round((rural + towns) * area)
        total[terr["in_sea"] | terr["in_lake"]] = 0.0
        fshare = np.clip(female_share + 0.006 * (towns > 500), 0.48, 0.54)
        female = np.round(total * fshare)
        male = total - female
        out[y] = {k: v.astype("float32") for k, v in (("total", total), ("female", female), ("male", male))}
    return out


def make_dvi(terr):
    rng = np.random.default_rng(20260110)
    _, towns = town_kernel(2018, np.zeros((HEIGHT, WIDTH)))
    urbanness = np.clip(np.log10(1 + towns) / 4.0, 0, 1)
    dvi = 0.34 + 0.22 * terr["north"] + 0.28 * blob(12.25, 44.85, 0.35, 0.25) - 0.18 * urbanness
    dvi = dvi + 0.04 * smooth_noise(rng, 6.0) + 0.015 * smooth_noise(rng, 1.0)
    dvi = quantize(np.clip(dvi, 0.02, 0.98), 2.0 ** -10)
    dvi[terr["in_sea"]] = FLOAT_NODATA
    return dvi


# --------------------------------------------------------------------------
# SO3 tables: DVI factors (national and per unit), population by sex
# --------------------------------------------------------------------------
# factor id (the ids of the spec factor set dvi_recommended, specs/legends/dvi_factors.yaml), unit (the factor's spec unit),
# value in 2000, value in 2023, noise sd, sex-disaggregated (female/male offsets), decimals
DVI_FACTORS = [
    # A lower-middle-income profile; the two core factors shared with SO2 follow the
    # levels of tables/so2_1_poverty.csv and tables/so2_2_water.csv (national rows).
    ("literacy_rate", "percent", 84.0, 93.5, 0.25, (-5.5, 5.0), 1),
    ("rural_population", "percent", 52.0, 43.0, 0.2, None, 1),
    ("life_expectancy", "year", 67.5, 73.8, 0.25, (2.8, -2.8), 1),
    ("working_age_population", "percent", 61.0, 65.5, 0.1, (-0.6, 0.6), 1),
    ("government_effectiveness", "dimensionless", -0.45, -0.10, 0.07, None, 2),
    ("refugee_population", "percent", 0.30, 0.90, 0.05, None, 2),
    ("poverty", "percent", 24.0, 11.4, 0.3, (1.2, -1.2), 1),
    ("gdp_per_capita", "USD/person", 3100, 6400, 90, None, 0),
    ("agriculture_gdp_share", "percent", 18.0, 12.5, 0.3, None, 1),
    ("energy_use_per_capita", "kWh/person", 7800, 11400, 220, None, 0),
    ("drinking_water", "percent", 64.3, 83.5, 0.4, None, 1),
    ("renewable_water_per_capita", "m**3/person", 3900, 3050, 40, None, 0),
    ("irrigated_area", "percent", 14.0, 19.0, 0.3, None, 1),
]
# per-unit profile: (rurality, income, remoteness) in standard deviations from the nation
UNIT_PROFILE = {"XAV-01": (1.5, -0.6, 1.0), "XAV-02": (0.3, 0.1, -0.2), "XAV-03": (-1.2, 0.9, -1.0),
                "XAV-04": (0.4, -0.1, 0.2), "XAV-05": (1.0, -0.8, 0.8)}
UNIT_SENSITIVITY = {  # how a factor moves per unit of (rurality, income, remoteness), in the factor's unit
    "literacy_rate": (-2.5, 2.0, -1.5), "rural_population": (12.0, -3.0, 4.0), "life_expectancy": (-1.2, 1.2, -0.8),
    "working_age_population": (-1.5, 1.0, -1.0), "government_effectiveness": (-0.10, 0.15, -0.10),
    "refugee_population": (-0.10, 0.20, -0.05), "poverty": (3.0, -3.5, 2.5),
    "gdp_per_capita": (-600, 1200, -400), "agriculture_gdp_share": (4.0, -3.0, 2.0),
    "energy_use_per_capita": (-1100.0, 1700.0, -550.0), "drinking_water": (-6.0, 4.0, -5.0),
    "renewable_water_per_capita": (900, -300, 700), "irrigated_area": (3.0, 1.0, -6.0),
}


def national_factor_series(rng) -> pd.DataFrame:
    rows = []
    yrs = np.array(YEARS)
    for fid, unit, v0, v1, sd, sex, dec in DVI_FACTORS:
        frac = (yrs - 2000) / (2023 - 2000)
        series = v0 + (v1 - v0) * frac + sd * rng.standard_normal(len(yrs))
        if fid == "poverty":  # the 2009 and 2012 crises show in the poverty series
            series = series + 1.2 * np.isin(yrs, [2009, 2010]) + 0.8 * np.isin(yrs, [2012, 2013])
        if fid == "gdp_per_capita":
            series = series - 250 * np.isin(yrs, [2009]) - 150 * np.isin(yrs, [2012, 2020])
        for y, v in zip(yrs, series):
            rows.append((int(y), fid, round(float(v), dec), unit, "total"))
            if sex:
                rows.append((int(y), fid, round(float(v + sex[0]), dec), unit, "female"))
                rows.append((int(y), fid, round(float(v + sex[1]), dec), unit, "male"))
    return pd.DataFrame(rows, columns=["year", "factor", "value", "unit", "sex"])


def unit_factor_series(national: pd.DataFrame, rng) -> pd.DataFrame:
    dec = {f[0]: f[6] for f in DVI_FACTORS}
    frames = []
    for uid, prof in UNIT_PROFILE.items():
        df = national.copy()
        shift = df["factor"].map(lambda f: float(np.dot(UNIT_SENSITIVITY[f], prof)))
        jitter = df["factor"].map(lambda f: abs(UNIT_SENSITIVITY[f][0]) * 0.05) * rng.standard_normal(len(df))
        value = df["value"] + shift + jitter
        pct = df["unit"] == "percent"
        value = value.where(~pct, value.clip(0.0, 100.0))
        value = value.where(df["factor"] != "government_effectiveness", value.clip(-2.5, 2.5))
        df["value"] = [round(max(v, 0.0) if f != "government_effectiveness" else v, dec[f])
                       for v, f in zip(value, df["factor"])]
        df.insert(0, "unit_id", uid)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def population_table(pop, in_country) -> pd.DataFrame:
    sums = {y: {s: float(pop[y][s][in_country].sum(dtype="float64")) for s in ("total", "female", "male")}
            for y in POP_YEARS}
    rows = []
    for y in YEARS:
        for s in ("female", "male"):
            if y <= 2020:
                v = np.interp(y, POP_YEARS, [sums[k][s] for k in POP_YEARS])
            else:  # continue the 2015-2020 growth rate
                g = (sums[2020][s] / sums[2015][s]) ** (1 / 5)
                v = sums[2020][s] * g ** (y - 2020)
            rows.append([y, s, round(v)])
    df = pd.DataFrame(rows, columns=["year", "sex", "population"])
    tot = df.groupby("year", as_index=False)["population"].sum().assign(sex="total")
    df = pd.concat([tot[["year", "sex", "population"]], df]).sort_values(["year", "sex"], kind="stable")
    df["unit"] = "persons"
    return df.reset_index(drop=True)


# --------------------------------------------------------------------------
# SO3 precipitation (its own, coarser grid, NetCDF)
# --------------------------------------------------------------------------
def climate_grid() -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre longitudes and latitudes (north to south) of the climate grid."""
    lon = CLIMATE_WEST + (np.arange(CLIMATE_NX) + 0.5) * CLIMATE_RES
    lat = CLIMATE_NORTH - (np.arange(CLIMATE_NY) + 0.5) * CLIMATE_RES
    return lon, lat


def drought_core_weight(year: int, glon: np.ndarray, glat: np.ndarray) -> np.ndarray:
    """Where a dry year is dry: 1 at its core, falling off with distance, slightly negative far away.

    The slightly negative rim makes the far side of the country a little wetter than normal, as when a
    blocking high sends the rain around it; elsewhere (not a dry year) the weight is 0.
    """
    if year not in DROUGHT_CORES:
        return np.zeros_like(glon)
    lon0, lat0, rlon, rlat = DROUGHT_CORES[year]
    d2 = ((glon - lon0) / rlon) ** 2 + ((glat - lat0) / rlat) ** 2
    return 1.3 * np.exp(-d2) - 0.3


def smooth_field(rng: np.random.Generator, shape, sigma_cells: float) -> np.ndarray:
    """Spatially coherent noise on the climate grid, zero mean and unit standard deviation per 2-D slice."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), (0,) * (len(shape) - 2) + (sigma_cells,) * 2,
                                    mode="reflect")
    axes = (-2, -1)
    return (field - field.mean(axis=axes, keepdims=True)) / field.std(axis=axes, keepdims=True)


def make_precip() -> xr.Dataset:
    rng = np.random.default_rng(20260111)
    res = CLIMATE_RES
    lon, lat = climate_grid()
    ny, nx = lat.size, lon.size
    glon, glat = np.meshgrid(lon, lat)
    # Climatology (mm/month): autumn maximum, summer minimum on the plain and coast,
    # wetter uplands with a summer convective peak in the north, drier south-east.
    plain = np.array([58, 52, 63, 78, 86, 72, 48, 62, 82, 108, 104, 70], dtype=float)
    north = 1.0 / (1.0 + np.exp(-(glat - 45.85) / 0.15))
    se = np.exp(-(((glon - 12.4) / 0.6) ** 2 + ((glat - 44.6) / 0.45) ** 2))
    coast = np.exp(-(((glon - 10.6) / 0.7) ** 2 + ((glat - 44.5) / 0.5) ** 2))
    summer = np.array([0, 0, 0, 0, 0.3, 1, 1, 0.9, 0.3, 0, 0, 0])
    clim = plain[:, None, None] * (1 + 0.7 * north) * (1 - 0.25 * se)
    clim = clim * (1 + summer[:, None, None] * (0.6 * north - 0.45 * se - 0.35 * coast))
    shape_k = np.array([5.0, 4.5, 4.5, 5.0, 5.0, 3.5, 2.4, 2.6, 3.2, 4.0, 4.5, 5.0])
    zero_p = np.array([0.03, 0.04, 0.02, 0.01, 0.0, 0.01, 0.06, 0.05, 0.02, 0.01, 0.01, 0.03])
    forced_dry = {(2003, 8), (2022, 7), (2012, 8), (2017, 6), (2007, 4), (1989, 2), (1993, 7)}
    years = np.arange(1981, 2024)
    # Year-to-year anomalies with a spatial pattern (log factors): a national part, smooth blobs some
    # 60 km across, a gradient in a random direction, and in the dry years a drought core (DROUGHT_CORES)
    # on top of a drier region as a whole.
    blobs = smooth_field(rng, (len(years), ny, nx), 2.5)
    xs, ys = glon - glon.mean(), glat - glat.mean()  # degrees from the centre
    values = np.empty((len(years) * 12, ny, nx), dtype="float64")
    for iy, y in enumerate(years):
        y = int(y)
        national = float(np.clip(rng.normal(0.0, 0.05), -0.12, 0.12))
        angle, slope = rng.uniform(0, 2 * np.pi), rng.normal(0.0, 0.12)
        log_yf = national + 0.09 * blobs[iy] + slope * (np.cos(angle) * xs + np.sin(angle) * ys)
        if y in DRY_YEARS:
            log_yf = log_yf + np.log(DRY_YEARS[y]) * drought_core_weight(y, glon, glat) - 0.12
        yf = np.exp(log_yf) * (1 - 0.0015 * max(0, y - 1990))
        core = np.clip(drought_core_weight(y, glon, glat), 0.0, 1.0)
        for m in range(12):
            regional = rng.gamma(4 * shape_k[m], 0.25 / shape_k[m])
            dry_spell = rng.random() < zero_p[m]
            if (y, m + 1) in forced_dry:  # a dry month: at the dry year's core, or everywhere in 1989 and 1993
                regional = regional * 0.025 ** (core if y in DROUGHT_CORES else 1.0)
                dry_spell = True
            elif dry_spell:  # a dry spell around a random place
                spot_lon, spot_lat = rng.uniform(lon[0], lon[-1]), rng.uniform(lat[-1], lat[0])
                regional = regional * 0.025 ** np.exp(-((glon - spot_lon) / 1.0) ** 2 - ((glat - spot_lat) / 0.7) ** 2)
            local = np.exp(0.3 * smooth_field(rng, (ny, nx), 2.5) + 0.1 * smooth_field(rng, (ny, nx), 1.0))
            v = clim[m] * yf * regional * local
            if dry_spell:
                v[v < 4.0] = 0.0  # a rainless month where the dry spell is strongest
            values[iy * 12 + m] = v
    values = np.round(np.maximum(values, 0.0), 1).astype("float32")
    time = pd.date_range("1981-01-01", periods=len(years) * 12, freq="MS")
    ds = xr.Dataset(
        {"precip": (("time", "lat", "lon"), values, {
            "long_name": "monthly precipitation total", "standard_name": "lwe_thickness_of_precipitation_amount",
            "units": "mm/month", "cell_methods": "time: sum", "grid_mapping": "spatial_ref"}),
         "spatial_ref": ((), np.int32(0), {
             "crs_wkt": rasterio.crs.CRS.from_epsg(4326).to_wkt(), "spatial_ref": rasterio.crs.CRS.from_epsg(4326).to_wkt(),
             "grid_mapping_name": "latitude_longitude", "semi_major_axis": 6378137.0,
             "inverse_flattening": 298.257223563,
             "GeoTransform": f"{CLIMATE_WEST} {res} 0.0 {CLIMATE_NORTH} 0.0 {-res}"})},
        coords={"time": ("time", time, {"standard_name": "time", "long_name": "start of month"}),
                "lat": ("lat", lat, {"standard_name": "latitude", "units": "degrees_north", "axis": "Y"}),
                "lon": ("lon", lon, {"standard_name": "longitude", "units": "degrees_east", "axis": "X"})},
        attrs={"title": "Arvelia sample data: synthetic monthly precipitation 1981-2023",
               "Conventions": "CF-1.8", "source": "synthetic (sample_data/make_sample_data.py); not real data",
               "comment": "time stamps mark the first day of each month; values are monthly totals"},
    )
    return ds


def make_pet(precip: xr.Dataset) -> xr.Dataset:
    """Monthly potential evapotranspiration on the precipitation grid and months (for the SPEI).

    A Thornthwaite-like seasonal cycle (about 10 mm in winter, 140 mm in July on the plain,
    about 800 mm a year), lower in the Alpine north, higher in the dry south-east and on the
    coast; hot, dry summers where the precipitation has its forced dry months and in the dry
    years, most at each dry year's drought core (DROUGHT_CORES), a slight warming trend and
    smooth year-to-year noise.  Its own seed: the other files do not change when it is added.
    """
    rng = np.random.default_rng(20260114)
    lon, lat = precip["lon"].values, precip["lat"].values
    glon, glat = np.meshgrid(lon, lat)
    plain = np.array([11, 19, 40, 66, 100, 126, 142, 122, 82, 46, 20, 10], dtype=float)
    north = 1.0 / (1.0 + np.exp(-(glat - 45.85) / 0.15))
    se = np.exp(-(((glon - 12.4) / 0.6) ** 2 + ((glat - 44.6) / 0.45) ** 2))
    coast = np.exp(-(((glon - 10.6) / 0.7) ** 2 + ((glat - 44.5) / 0.5) ** 2))
    clim = plain[:, None, None] * (1 - 0.38 * north) * (1 + 0.12 * se + 0.06 * coast)
    years = np.unique(pd.DatetimeIndex(precip["time"].values).year)
    hot = {(2003, 6), (2003, 7), (2003, 8), (2022, 6), (2022, 7), (2012, 7), (2012, 8), (2017, 6), (2017, 7), (2007, 4)}
    values = np.empty((len(years) * 12, len(lat), len(lon)), dtype="float64")
    for iy, y in enumerate(years):
        core = np.clip(drought_core_weight(int(y), glon, glat), 0.0, 1.0)
        yf = (1.0 + 0.0012 * (y - 1981)) * float(np.clip(rng.normal(1.0, 0.035), 0.92, 1.08)) * (1 + 0.06 * core)
        for m in range(12):
            local = 1 + 0.03 * smooth_field(rng, (len(lat), len(lon)), 1.5)
            if (int(y), m + 1) in hot:
                heat = 1.06 + 0.16 * core
            else:
                heat = float(np.clip(rng.normal(1.0, 0.05), 0.88, 1.12))
            values[iy * 12 + m] = clim[m] * yf * heat * local
    values = np.round(np.maximum(values, 0.0), 1).astype("float32")
    da = precip["precip"]
    return xr.Dataset(
        {"pet": (da.dims, values, {
            "long_name": "monthly potential evapotranspiration", "standard_name": "water_potential_evaporation_amount",
            "units": "mm/month", "cell_methods": "time: sum", "grid_mapping": "spatial_ref"}),
         "spatial_ref": precip["spatial_ref"]},
        coords={"time": precip["time"], "lat": precip["lat"], "lon": precip["lon"]},
        attrs={"title": "Arvelia sample data: synthetic monthly potential evapotranspiration 1981-2023",
               "Conventions": "CF-1.8", "source": "synthetic (sample_data/make_sample_data.py); not real data",
               "comment": "same grid and months as precip_monthly.nc; time stamps mark the first day of each month; "
                          "values are monthly totals"},
    )


# --------------------------------------------------------------------------
# recode polygons (D16) and writing everything
# --------------------------------------------------------------------------
def make_recode_polygons(country):
    rng = np.random.default_rng(20260112)
    specs = [
        # id, centre, radii, periods, deg_to, stable_to, imp_to, process, basis
        (1, (11.48, 45.60), (0.06, 0.035), "baseline,report_1,report_2", None, None, -1,
         "invasion of a non-native shrub (Ailanthus) on abandoned terraces",
         "false positive: the NDVI gain is woody-weed encroachment, confirmed by a 2021 field survey"),
        (2, (10.80, 45.42), (0.05, 0.03), "report_2", 0, None, None,
         "change from maize to winter cereals with summer fallow",
         "false negative: the NDVI decline after 2012 follows a crop-rotation change, not land degradation "
         "(agricultural census 2020)"),
        (3, (12.30, 45.60), (0.04, 0.03), "baseline", 1, None, None,
         "clearing of invasive black locust before native reforestation",
         "false negative: the decline 2000-2010 is the planned clearing of a restoration project (ministry records)"),
        (4, (11.70, 45.18), (0.03, 0.02), "report_1,report_2", None, -1, None,
         "illegal landfill on former pasture",
         "false positive: the site appears stable but was covered by waste from 2017 (environmental inspectorate)"),
    ]
    rows = []
    for pid, (cx, cy), (ax, ay), periods, deg, stab, imp, process, basis in specs:
        g = wobbly_ring(rng, cx, cy, ax, ay, n=180, kmax=12, amp=0.25).intersection(country)
        rows.append(dict(id=pid, periods_affected=periods, recode_deg_to=deg, recode_stable_to=stab,
                         recode_imp_to=imp, process=process, basis=basis, geometry=g))
    return rows


def generate(out: Path) -> list[Path]:
    import geopandas as gpd

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    country, sea, lake, units = make_geography()
    terr = make_terrain(country, sea, lake)

    # ---- vectors
    vec = out / "vectors"
    area_km2 = {}
    geod = __import__("pyproj").Geod(ellps="WGS84")
    for uid, _, g in units:
        area_km2[uid] = abs(geod.geometry_area_perimeter(g)[0]) / 1e6
    gdf = gpd.GeoDataFrame({"name": [COUNTRY["name"]], "iso3": [COUNTRY["iso3"]]}, geometry=[MultiPolygon([country])],
                           crs=CRS)
    write_gpkg(gdf, vec / "boundary.gpkg", "boundary")
    gdf = gpd.GeoDataFrame({"unit_id": [u[0] for u in units], "name": [u[1] for u in units]},
                           geometry=[u[2] for u in units], crs=CRS)
    write_gpkg(gdf, vec / "admin_units.gpkg", "admin_units")
    gdf = gpd.GeoDataFrame({"name": ["Lake Arvo"], "lc_class": ["water"]}, geometry=[lake], crs=CRS)
    write_gpkg(gdf, vec / "lake.gpkg", "lake")
    rows = make_recode_polygons(country)
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    for c in ("recode_deg_to", "recode_stable_to", "recode_imp_to"):
        gdf[c] = gdf[c].astype("Int16")
    write_gpkg(gdf, vec / "recode_polygons.gpkg", "recode_polygons")
    written += [vec / f for f in ("boundary.gpkg", "admin_units.gpkg", "lake.gpkg", "recode_polygons.gpkg")]

    # ---- land cover
    lc_years = make_land_cover(terr)
    used = sorted(set(np.unique(np.stack(list(lc_years.values())))))
    src = "synthetic (sample_data/make_sample_data.py); ESA CCI-LC legend codes"
    for y, m in lc_years.items():
        p = out / "land_cover" / f"esa_cci_lc_{y}.tif"
        write_raster(p, m, nodata=0, description=f"land cover {y} (ESA CCI-LC codes)",
                     tags=class_tags(used, [ESA_NAMES[c] for c in used], f"land cover {y}", src))
        written.append(p)
    nat = make_national_lc(lc_years[2019])
    p = out / "land_cover" / "national_lc_2019.tif"
    write_raster(p, nat, nodata=0, description="national land cover 2019 (Arvelia national legend)",
                 tags=class_tags([c for c, _, _ in NATIONAL_LEGEND],
                                 [n.lower().replace(",", "").replace(" ", "_") for _, n, _ in NATIONAL_LEGEND],
                                 "national land cover 2019", "synthetic national legend; see national_legend.yaml"))
    written.append(p)

    # ---- productivity
    clean, ndvi = make_ndvi(lc_years, terr)
    for y, v in ndvi.items():
        p = out / "productivity" / f"ndvi_{y}.tif"
        write_raster(p, v, nodata=FLOAT_NODATA, description=f"annual mean NDVI {y}",
                     tags={"long_name": f"annual mean NDVI {y}", "units": "1", "source": "synthetic",
                           "comment": "values are multiples of 2**-9 (about 0.002); sea is nodata"})
        written.append(p)
    lpd = make_lpd(clean, lc_years, terr)
    meanings = ["declining", "moderate_decline", "stressed", "stable", "increasing"]
    for name, arr in lpd.items():
        a, b = LPD_PERIODS[name]
        p = out / "productivity" / f"lpd_{name}_{a}_{b}.tif"
        write_raster(p, arr, nodata=0, description=f"land productivity dynamics {a}-{b} (JRC-style, 5 classes)",
                     tags=class_tags([1, 2, 3, 4, 5], meanings, f"land productivity dynamics {a}-{b}",
                                     "synthetic JRC-style LPD; 0 = no data"))
        written.append(p)

    # ---- SOC and climate zones
    p = out / "soc" / "soc_reference_2000.tif"
    write_raster(p, make_soc(lc_years[2000], terr), nodata=FLOAT_NODATA, description="SOC stock 0-30 cm, 2000",
                 tags={"long_name": "soil organic carbon stock 0-30 cm (reference year 2000)", "units": "t/ha",
                       "source": "synthetic"})
    written.append(p)
    p = out / "soc" / "ipcc_climate_zones.tif"
    write_raster(p, make_climate_zones(terr), nodata=0, description="IPCC climate zone",
                 tags=class_tags([1, 2, 3], ["warm_temperate_moist", "warm_temperate_dry", "cool_temperate_moist"],
                                 "IPCC climate zone", "synthetic; codes as in Trends.Earth ipcc_climate_zones"))
    written.append(p)

    # ---- population
    pop = make_population(lc_years, terr)
    for y, d in pop.items():
        for s, arr in d.items():
            p = out / "population" / f"population_{s}_{y}.tif"
            write_raster(p, arr, nodata=FLOAT_NODATA, description=f"population {s} {y}",
                         tags={"long_name": f"population ({s}) {y}", "units": "persons", "source": "synthetic",
                               "comment": "persons per pixel (integer counts); total = female + male"})
            written.append(p)

    # ---- DVI raster
    p = out / "vulnerability" / "dvi_2018.tif"
    write_raster(p, make_dvi(terr), nodata=FLOAT_NODATA, description="drought vulnerability index 2018",
                 tags={"long_name": "drought vulnerability index (0 least, 1 most vulnerable)", "units": "1",
                       "source": "synthetic, in the manner of the JRC DVI"})
    written.append(p)

    # ---- tables
    rng = np.random.default_rng(20260113)
    national = national_factor_series(rng)
    p = out / "tables" / "dvi_factors_national.csv"
    write_csv(national, p)
    written.append(p)
    p = out / "tables" / "dvi_factors_units.csv"
    write_csv(unit_factor_series(national, rng), p)
    written.append(p)
    p = out / "tables" / "population_national.csv"
    write_csv(population_table(pop, terr["in_country"]), p)
    written.append(p)

    # ---- precipitation
    p = out / "climate" / "precip_monthly.nc"
    p.parent.mkdir(parents=True, exist_ok=True)
    ds = make_precip()
    enc = {"precip": {"zlib": True, "complevel": 6, "shuffle": True, "_FillValue": np.float32(FLOAT_NODATA),
                      "chunksizes": (516, CLIMATE_NY, CLIMATE_NX)},
           "time": {"units": "days since 1981-01-01 00:00:00", "calendar": "standard", "dtype": "int32"},
           "lat": {"_FillValue": None}, "lon": {"_FillValue": None}}
    if p.exists():
        p.unlink()
    ds.to_netcdf(p, engine="netcdf4", format="NETCDF4", encoding=enc)
    written.append(p)
    # ---- potential evapotranspiration (SPEI), same grid and months
    p = out / "climate" / "pet_monthly.nc"
    enc = {"pet": {**enc["precip"]}, "time": enc["time"], "lat": enc["lat"], "lon": enc["lon"]}
    if p.exists():
        p.unlink()
    make_pet(ds).to_netcdf(p, engine="netcdf4", format="NETCDF4", encoding=enc)
    written.append(p)

    write_manifest(out, written)
    return written


def library_versions() -> dict:
    import geopandas
    import netCDF4
    import pyogrio
    import scipy

    return {
        "numpy": np.__version__, "scipy": scipy.__version__, "pandas": pd.__version__, "shapely": shapely.__version__,
        "geopandas": geopandas.__version__, "rasterio": rasterio.__version__, "gdal_rasterio": rasterio.__gdal_version__,
        "pyogrio": pyogrio.__version__, "gdal_pyogrio": pyogrio.__gdal_version_string__, "xarray": xr.__version__,
        "netCDF4": netCDF4.__version__, "hdf5": netCDF4.__hdf5libversion__, "netcdf_c": netCDF4.__netcdf4libversion__,
    }


def write_manifest(out: Path, written: list[Path]) -> None:
    files = {}
    for p in sorted(written):
        data = p.read_bytes()
        files[p.relative_to(out).as_posix()] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    manifest = {
        "generator": "sample_data/make_sample_data.py",
        "versions": library_versions(),
        "total_bytes": sum(f["bytes"] for f in files.values()),
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE, help="output directory (default: beside this script)")
    args = ap.parse_args(argv)
    written = generate(args.out)
    total = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} files, {total / 1e6:.2f} MB, under {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

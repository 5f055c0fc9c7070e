"""SO1-1's regional transition matrices in a run (2026 edition, up to five; decision D28).

Input ``land_cover_regions`` (polygons with an ``id_field``) and the parameter ``land_cover.regional_matrices``
(region id → matrix id) go together. :func:`region_problems` is the one checker of the pair: the SO1 stage's
``check`` (``indicators run --check`` and the run's up-front checks) and the stage's run (:func:`land_cover_regions`)
both call it. In the run the regions become a zone raster on the land-cover grid (:func:`start`), each period's
degradation judges a cell by its zone's matrix (:func:`degradation`), and :class:`RegionalTables` gives SO1-1.T7 and
T9 under the regional matrices and writes SO1-1.regions and SO1-1.regional_matrices.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..config.loading import LoadedConfig, join_lines
from ..errors import IndicatorsError, InputError
from ..report.tables import Table
from ..specs.parameter_model import MAX_REGIONAL_MATRICES, region_key
from ..stage import Context

INPUT = "land_cover_regions"
PARAMETER = "parameters land_cover.regional_matrices"
#: two regions overlap when their intersection exceeds this share of the smaller one (digitising slivers pass)
OVERLAP_TOLERANCE = 1e-6
REST = "outside the regions"


@dataclass(frozen=True)
class Regions:
    """The checked regions: ids and matrix ids in the file's order (zone k = the k-th), the polygons."""

    ids: tuple[str, ...]
    matrix_ids: tuple[str, ...]
    polygons: Any
    source: str  # inputs.land_cover_regions (file name)


def region_problems(loaded: LoadedConfig, fw: Any) -> tuple[list[str], Regions | None]:
    """Every problem of the regions and their matrices, one line each naming the input (and file), the region id,
    the value and the fix; and the regions when there is none (None: no regions configured)."""
    cfg = loaded.config
    spec = cfg.inputs.get(INPUT)
    matrices = {str(k): str(v) for k, v in (fw.parameters("land_cover").regional_matrices or {}).items()}
    src = str(loaded.path) if loaded.path else "the run config"
    if spec is None:
        if not matrices:
            return [], None
        return [f"{PARAMETER}: binds regions {', '.join(map(repr, matrices))} to matrices but inputs.{INPUT} is not "
                f"configured; add the region polygons to {src} (inputs.{INPUT}: {{path: regions.gpkg, id_field: "
                "<field of the region ids>}) or remove the parameter"], None
    if spec.id_field is None:
        return [f"inputs.{INPUT}: no id_field; name the field holding each region's id (the keys of {PARAMETER}) "
                f"in {src}"], None
    from ..config.paths import input_files
    from ..io import read_polygons

    files = input_files(loaded, INPUT, spec)
    if len(files) != 1:
        return [f"inputs.{INPUT}: {len(files)} files; give one polygon file holding every region (path: regions.gpkg)"], None
    path = next(iter(files.values()))
    label = f"inputs.{INPUT} ({path.name})"
    try:
        gdf = read_polygons(path, id_field=spec.id_field)
    except InputError as exc:
        return [f"inputs.{INPUT}: {exc}"], None
    ids = [str(region_key(v)) for v in gdf[spec.id_field].tolist()]
    lines: list[str] = []
    if len(ids) > MAX_REGIONAL_MATRICES:
        lines.append(f"{label}: {len(ids)} regions (ids {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}); the "
                     f"2026 edition allows at most {MAX_REGIONAL_MATRICES} regional matrices (PRAIS26): merge regions, or "
                     "leave some to the national matrix (remove them from the file)")
    for rid in ids:
        if rid not in matrices:
            lines.append(f"{label}: region {rid!r} ({spec.id_field}) has no matrix in {PARAMETER} "
                         f"(given for {', '.join(map(repr, matrices)) or 'no region'}); add {rid}: <matrix id> there, or "
                         "remove the region from the file")
    for rid, mid in matrices.items():
        if rid not in ids:
            lines.append(f"{PARAMETER}: region {rid!r} (matrix {mid}) is no region of inputs.{INPUT} ({path.name}, "
                         f"{spec.id_field}: {', '.join(map(repr, ids))}); correct the region id or remove the entry")
    if len(ids) <= MAX_REGIONAL_MATRICES:
        lines += _overlaps(gdf, ids, label)
    lines += _outside(loaded, gdf, ids, label)
    if lines:
        return lines, None
    return [], Regions(tuple(ids), tuple(matrices[r] for r in ids), gdf, label)


def _overlaps(gdf: Any, ids: list[str], label: str) -> list[str]:
    """One line per pair of regions sharing more than OVERLAP_TOLERANCE of the smaller one's area."""
    geoms = list(gdf.geometry.values)
    lines = []
    for i in range(len(geoms)):
        for j in range(i + 1, len(geoms)):
            shared = geoms[i].intersection(geoms[j]).area
            smaller = min(geoms[i].area, geoms[j].area)
            if smaller > 0 and shared > OVERLAP_TOLERANCE * smaller:
                lines.append(f"{label}: regions {ids[i]!r} and {ids[j]!r} overlap ({100 * shared / smaller:.3g} % of the "
                             "smaller); a cell is judged by one matrix: make the regions disjoint")
    return lines


def _outside(loaded: LoadedConfig, gdf: Any, ids: list[str], label: str) -> list[str]:
    """Regions outside the extent of the land-cover rasters, or sharing no area with the country boundary."""
    import shapely

    from ..config.checks import polygons_on_header
    from ..config.headers import raster_header
    from ..config.paths import input_files
    from ..io import read_polygons

    cfg = loaded.config
    lc = cfg.inputs.get("land_cover")
    if lc is not None:
        try:
            ref = raster_header(next(iter(input_files(loaded, "land_cover", lc).values())), lc.variable)
        except Exception:  # an unreadable land cover is the input checks' problem
            ref = None
        if ref is not None and ref["crs"] is not None:
            ref["path"] = next(iter(input_files(loaded, "land_cover", lc).values()))
            try:
                polygons_on_header(gdf, ref, label=label)
            except InputError as exc:
                return [str(exc)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the boundary's repairs are reported by the run itself
            boundary = read_polygons(loaded.resolve(cfg.country.boundary), to_crs=gdf.crs)
    except IndicatorsError:  # the boundary's own problems are the configuration checks'
        return []
    country = shapely.union_all(boundary.geometry.values)
    return [f"{label}: region {rid!r} shares no area with the country boundary ({Path(cfg.country.boundary).name}); "
            "correct its geometry or the file's CRS, or remove the region" for rid, geom in zip(ids, gdf.geometry.values)
            if geom.intersection(country).area <= 0]


def regions_check(loaded: LoadedConfig, fw: Any) -> list[str]:
    """The SO1 stage's check of the regions (what the run refuses, by :func:`region_problems`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # repairs are reported by the run itself
        return region_problems(loaded, fw)[0]


def land_cover_regions(loaded: LoadedConfig, fw: Any) -> Regions | None:
    """The checked regions (None: none configured); InputError listing every problem of :func:`region_problems`."""
    lines, regions = region_problems(loaded, fw)
    if lines:
        raise InputError(join_lines(lines, f"{len(lines)} problem(s) in the regional matrices of "
                                           f"{loaded.path or 'the run config'}"))
    return regions


# ---- the run ---------------------------------------------------------------------------------------------------

@dataclass
class RegionRun:
    """The regions of a run on its land-cover grid: zone k = ``regions.ids[k - 1]``, judged by ``matrices[k - 1]``."""

    regions: Regions
    matrices: list[Any]  # spec Matrix objects
    zones: Any  # uint8 (y, x), 0 outside every region


def start(ctx: Context, template: Any) -> RegionRun | None:
    """The run's regions rasterized once on *template*'s grid (the land cover), or None without regions."""
    from .land_cover_regions import region_zones

    fw = ctx.framework
    regions = land_cover_regions(ctx.loaded, fw)
    if regions is None:
        return None
    polygons = regions.polygons.to_crs(template.rio.crs)
    run = RegionRun(regions, [fw.matrix(m) for m in regions.matrix_ids], region_zones(polygons, template))
    bound = "; ".join(f"{r}: {m}" for r, m in zip(regions.ids, regions.matrix_ids))
    ctx.choose("SO1-1", "D28", f"Regional transition matrices ({regions.source}): {bound}. A cell whose centre lies in "
               "a region is judged by that region's matrix, every other cell by the national matrix "
               f"{fw.parameters('land_cover').transition_matrix}.")
    return run


def degradation(run: RegionRun | None, lc_initial: Any, lc_final: Any, matrix: Any) -> Any:
    """SO1-1 land-cover degradation of a period: the national *matrix* everywhere without regions, else each
    region's matrix inside it (:func:`~indicators.so1.land_cover_regions.regional_land_cover_degradation`)."""
    from .land_cover import land_cover_degradation
    from .land_cover_regions import regional_land_cover_degradation

    if run is None:
        return land_cover_degradation(lc_initial, lc_final, matrix)
    return regional_land_cover_degradation(lc_initial, lc_final, matrix, zones=run.zones, matrices=run.matrices)


@dataclass
class RegionalTables:
    """Each zone's transitions per period (zone 0: outside every region) and the tables built on them."""

    ctx: Context
    run: RegionRun
    codes: list[int]
    names: dict[int, str]
    national: Any  # the national matrix (spec object)
    frames: dict[str, list[pd.DataFrame]] = field(default_factory=dict)

    def transitions(self, period: str, lc_initial: Any, lc_final: Any) -> list[pd.DataFrame]:
        """Zone by zone, the transition table of *period* (rows initial, columns final class names, km², + "no data"
        column; zone 0 also holds the "no data" row of every zone, less the area outside the boundary): one pass."""
        from ..stage_helpers import outside_km2
        from ..summarize import cross_area_table
        from .encoding import NODATA
        from .land_cover_regions import zoned_land_cover

        if period in self.frames:
            return self.frames[period]
        n = len(self.run.matrices)
        zoned, m = zoned_land_cover(lc_initial, self.run.zones, codes=self.codes, regions=n)
        zoned = zoned.rio.write_crs(lc_initial.rio.crs)
        rows = [z * m + c for z in range(n + 1) for c in self.codes]
        t = cross_area_table(zoned, lc_final, codes_a=rows, codes_b=self.codes, nodata_a=NODATA, nodata_b=NODATA)
        labels = [self.names[c] for c in self.codes]
        t.columns = labels + ["no data"]
        out = []
        for z in range(n + 1):
            f = t.loc[[z * m + c for c in self.codes]].copy()
            if z == 0:
                f = pd.concat([f, t.loc[["nodata"]]])
            f.index = pd.Index(labels + (["no data"] if z == 0 else []), name="initial")
            out.append(f)
        out[0].loc["no data", "no data"] -= outside_km2(self.ctx)
        self.frames[period] = out
        return out

    def _matrices(self) -> list[Any]:
        return [self.national, *self.run.matrices]

    def processes(self, period: str, lc_initial: Any, lc_final: Any) -> pd.DataFrame:
        """SO1-1.T7 of *period*: the area per process, each zone's transitions under its own matrix."""
        from .tables import regional_process_table

        parts = [(f, m.model_dump(mode="json", by_alias=True))
                 for f, m in zip(self.transitions(period, lc_initial, lc_final), self._matrices())]
        return regional_process_table(parts, codes=self.codes)

    def t9(self, period: str, legend: Any) -> pd.DataFrame:
        """SO1-1.T9's rows of *period*: degraded / stable / improved summed over the zones under their matrices, and
        the no-data area (every transition from or to no data)."""
        from .run_tables import meaning_frame, meaning_sums

        total = {"degraded": 0.0, "stable": 0.0, "improved": 0.0, "no data": 0.0}
        for f, mx in zip(self.frames[period], self._matrices()):
            for k, v in meaning_sums(f.reset_index(), mx, legend).items():
                total[k] += v
        return meaning_frame(total)

    def add_tables(self, periods: Any, legend: Any) -> None:
        """SO1-1.regions (per period and zone: degraded / stable / improved under the zone's matrix) and
        SO1-1.regional_matrices (each region's matrix, as SO1-1.T4a), and the notes on T4a, T4b and T7."""
        from .run_tables import LAYOUT_NOTE, matrix_meaning_table, meaning_frame, meaning_sums

        ids = [REST, *self.run.regions.ids]
        rows = []
        for p in periods:
            for rid, f, mx in zip(ids, self.frames.get(p.id, []), self._matrices()):
                sums = meaning_sums(f.reset_index(), mx, legend)
                sums.pop("no data")
                frame = meaning_frame(sums)
                frame.insert(0, "matrix", mx.id)
                frame.insert(0, "region", rid)
                frame.insert(0, "period", p.id)
                rows.append(frame)
        src = self.run.regions.source
        ctx = self.ctx
        ctx.add_table(Table("SO1-1.regions", "Land-cover degradation per region and period under each region's "
                            "transition matrix: degraded, stable and improved area", pd.concat(rows, ignore_index=True),
                            units={"area_km2": "km**2", "percent": "percent"},
                            notes=[f"Regions of {src}, D28: a cell whose centre lies in a region is judged by its matrix; "
                                   f"'{REST}': every other cell, by the national matrix (SO1-1.T4a). Transitions from or to "
                                   "no data are left out; percent of the region's degraded + stable + improved area. The "
                                   "sums over the regions are SO1-1.T9's.", LAYOUT_NOTE]))
        frames = []
        for rid, mx in zip(self.run.regions.ids, self.run.matrices):
            f = matrix_meaning_table(mx, legend)
            f.insert(0, "matrix", mx.id)
            f.insert(0, "region", rid)
            frames.append(f)
        ctx.add_table(Table("SO1-1.regional_matrices", "Regional land-cover transition matrices (UNCCD legend): "
                            "meaning of each transition in each region", pd.concat(frames, ignore_index=True),
                            notes=[f"Regions of {src}, each bound to its matrix by {PARAMETER} (D28); rows: initial "
                                   "class, columns: final class, as SO1-1.T4a.", LAYOUT_NOTE]))
        note = f"National matrix outside the regions of {src}; each region's matrix inside it: SO1-1.regional_matrices (D28)."
        for tid, t in ctx.result.tables.items():
            if tid in ("SO1-1.T4a", "SO1-1.T4b") or tid.startswith("SO1-1.T7."):
                t.notes.append(note)

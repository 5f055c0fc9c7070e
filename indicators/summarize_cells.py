"""Tables of a coarse class raster put on a fine grid, summed through its source cells.

Part of :mod:`indicators.summarize`.  A drought class map lives on its climate grid (1/20° in the product benchmark,
0.05–0.5° in the default data) and reaches the population / land-cover grid by nearest lookup
(:func:`indicators.grid_resample.resample_nearest`): each fine cell takes the class of the source cell holding its centre.  A
weighted table of such a layer (persons per class, nationally or per unit) is a sum over source cells,
Σ_c w_c · [class(c) = k], with w_c what the fine grid puts in source cell c (per unit: Σ coverage × weight).  So the
fine grid is read once per weight grid, for the w_c, and each year of classes is a lookup on the source grid, instead
of one pass over the fine grid per year.  The sums are the per-pixel tables' sums in another order (equal up to
rounding: relative 1e-15).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .grid import check_same_grid, grid_of
from .grid_resample import resample_nearest
from .summarize_bins import _Areas, _block_tasks, _legend, _name, _bin_weighted_sums, _to_bins, _yx
from .summarize_national import _weights_and_valid, _weights_block_as_float, weighted_class_frame
from .summarize_exact import _exact_extract, _exact_sums
from .summarize_keys import _merge, _strip_sums
from .summarize_zonal import _geodesic_areas_km2, _unit_frame, _unit_table


#: cells per strip of a block in the pixel-centre sums (their keys, sort and areas: ~40 bytes a cell)
STRIP_CELLS = 2**20


@dataclass(frozen=True)
class NearestCells:
    """A raster on a finer grid as :func:`~indicators.grid_resample.resample_nearest` puts it there, kept in two factors.

    ``index`` (y, x, int32, lazy, on the fine grid) is the row-major position of the source cell each fine cell takes
    (-1 where its centre is outside the source); ``source`` (…, y, x) is the source raster, in memory.  The fine
    raster is ``source`` looked up at ``index`` (the source's nodata where -1).
    """

    index: xr.DataArray
    source: xr.DataArray
    water: int | None = None  # set by :meth:`masked`: positions are 2 × (cell + 1) + land, water cells hold this code
    # computed cell_weight_sums by the weights' dask name, shared by every NearestCells of the same index
    # (:meth:`with_source`): the years' and the epochs' tables read a population grid once between them
    sums: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, reference: xr.DataArray, source: xr.DataArray) -> NearestCells:
        """The factors of ``resample_nearest(reference, source)`` (the same rule: the index is that function applied
        to a raster of cell positions)."""
        ydim, xdim = source.rio.y_dim, source.rio.x_dim
        ny, nx = source.sizes[ydim], source.sizes[xdim]
        ids = xr.DataArray(np.arange(ny * nx, dtype=np.int32).reshape(ny, nx), dims=(ydim, xdim),
                           coords={ydim: source[ydim].values, xdim: source[xdim].values}, name="source_cell")
        ids = ids.rio.write_crs(source.rio.crs).rio.write_transform(source.rio.transform()).rio.write_nodata(-1)
        lead = [d for d in source.dims if d not in (ydim, xdim)]
        return cls(resample_nearest(reference, ids), source.transpose(*lead, ydim, xdim))

    def with_source(self, source: xr.DataArray) -> NearestCells:
        """Another raster of the same source grid (e.g. the four-year epochs of the years) through the same index
        and the same store of computed sums."""
        if source.shape[-2:] != self.source.shape[-2:]:
            raise ValueError(f"NearestCells.with_source: grid {source.shape[-2:]} is not {self.source.shape[-2:]}")
        ydim, xdim = source.rio.y_dim, source.rio.x_dim
        lead = [d for d in source.dims if d not in (ydim, xdim)]
        return replace(self, source=source.transpose(*lead, ydim, xdim))

    @property
    def fill(self) -> Any:
        """What a fine cell outside the source holds: the source's nodata (as ``resample_nearest`` fills)."""
        nd = self.source.rio.nodata if self.source.rio.nodata is not None else self.source.rio.encoded_nodata
        return np.nan if nd is None else nd

    @property
    def positions(self) -> int:
        """How many values :meth:`values` gives (the largest ``index + 1`` plus one)."""
        n = int(np.prod(self.source.shape[-2:])) + 1
        return 2 * n if self.water is not None else n

    def values(self, **sel: Any) -> np.ndarray:
        """One layer's values per position ``index + 1``: the fill first (outside the source), then the cells; after
        :meth:`masked`, each of them twice, as water (even positions) and as itself (odd)."""
        layer = np.asarray(self.source.sel(sel).values)
        if layer.ndim != 2:
            raise ValueError(f"NearestCells.values needs one layer (select every leading dimension), got {layer.shape}")
        out = np.concatenate([np.asarray([self.fill], dtype=layer.dtype), layer.ravel()])
        if self.water is None:
            return out
        both = np.empty(2 * out.size, dtype=out.dtype)
        both[0::2], both[1::2] = self.water, out
        return both

    def masked(self, land: xr.DataArray, water: int) -> NearestCells:
        """The fine raster with *water* where *land* is False (``fine.where(land, water)``, as SO3's land mask makes
        inland water a row of its own): each fine cell's position becomes 2 × (cell + 1) + land."""
        if self.water is not None:
            raise ValueError("NearestCells.masked: already masked")
        check_same_grid(self.index, land, names=["classes", "land mask"])
        index = (self.index.astype(np.int32) + 1) * 2 + land.astype(bool).astype(np.int32) - 1
        index = index.rio.write_crs(self.index.rio.crs).rio.write_transform(self.index.rio.transform())
        return NearestCells(index.rename("source_cell"), self.source, water=int(water))  # its own positions: own sums


def cell_weight_sums(cells: NearestCells, weights: xr.DataArray, *, compute: bool = True) -> Any:
    """What *weights* (on the fine grid; NaN and ``rio.nodata`` missing) put in each source cell, (2, cells + 1):
    row 0 the weight sums, row 1 the missing-weight cell counts, column 0 the fine cells outside the source.  One
    block-wise pass; ``compute=False`` returns it lazy (several share a pass through :func:`compute_tables`, by bands
    of rows: :mod:`indicators.summarize_bands`).

    A block's sums are kept over the window of positions it holds (a block of the fine grid covers a few rows of
    source cells), not over every position: a dense partial per block was 16 bytes per source cell, 22 MB a block
    for a 1/20° index under a 20000² grid (issue 16)."""
    from .summarize_bands import MergedParts, compute_banded

    weights = _yx(weights)
    check_same_grid(cells.index, weights, names=["classes", "weights"])
    npos = cells.positions
    head = 2 if cells.water is not None else 1  # positions of fine cells outside the source: kept apart
    nd = weights.rio.nodata

    def block(ix, wv, rows, cols):
        pos = np.asarray(ix, np.int32) + 1
        inner = pos[pos >= head]
        lo, n = (int(inner.min()), int(inner.max()) - int(inner.min()) + 1) if inner.size else (head, 0)
        # bins: the positions below head, then the window lo..lo+n-1
        bins = np.where(pos < head, pos, pos - (lo - head)).astype(np.int32)
        # the weights as they are with their nodata mask (as weighted_class_sum's): no float64 copy of each
        # population block in the graph (issue 16)
        w, valid = _weights_and_valid(wv, nd)
        return lo, _bin_weighted_sums(bins, np.arange(head + n, dtype=np.int32), w, valid, head + n)

    def dense(window) -> np.ndarray:
        lo, sums = window
        out = np.zeros((2, npos))
        out[:, :head] = sums[:, :head]
        out[:, lo : lo + sums.shape[1] - head] = sums[:, head:]
        return out

    arrays = [cells.index, weights]
    if not any(hasattr(a.data, "dask") for a in arrays):
        ny, nx = cells.index.shape
        return dense(block(*(a.data for a in arrays), slice(0, ny), slice(0, nx)))
    tasks, ychunks, width = _block_tasks(block, arrays)
    parts = MergedParts(tuple(map(tuple, tasks)), lambda windows: _merge_windows(windows, head), dense, ychunks, width)
    return compute_banded([parts])[0] if compute else parts


def _merge_windows(windows: Sequence[tuple[int, np.ndarray]], head: int) -> tuple[int, np.ndarray]:
    """Several (lo, sums) windows of :func:`cell_weight_sums` as one, over the union of their positions."""
    spans = [(lo, lo + s.shape[1] - head) for lo, s in windows if s.shape[1] > head]
    lo = min((a for a, _ in spans), default=head)
    hi = max((b for _, b in spans), default=head)
    out = np.zeros((2, head + hi - lo))
    for start, s in windows:
        out[:, :head] += s[:, :head]
        if s.shape[1] > head:
            out[:, head + start - lo : head + start - lo + s.shape[1] - head] += s[:, head:]
    return lo, out


def cell_weight_sums_kept(cells: NearestCells, grids: Sequence[xr.DataArray]) -> list[np.ndarray]:
    """:func:`cell_weight_sums` of several weight grids, in one pass for those not summed before: a dask-backed
    grid's sums are kept in ``cells.sums`` under its dask name (the same selection of the same file has the same
    name), so the years' and the epochs' tables read a population grid once between them."""
    from .summarize_national import compute_tables

    names = [getattr(g.data, "name", None) for g in grids]
    todo = [i for i, n in enumerate(names) if n is None or n not in cells.sums]
    done = dict(zip(todo, compute_tables(*(cell_weight_sums(cells, grids[i], compute=False) for i in todo)) if todo else []))
    for i in todo:
        if names[i] is not None:
            cells.sums[names[i]] = done[i]
    return [done[i] if i in done else cells.sums[names[i]] for i in range(len(grids))]


def weighted_class_sum_by_cells(cells: NearestCells, sums: np.ndarray, sel: Mapping[str, Any], *, codes: Sequence[int],
                                nodata: Any = None, water_codes: Sequence[int] = (), units: str = "1",
                                name: str | None = None) -> pd.DataFrame:
    """:func:`~indicators.summarize.weighted_class_sum` of the layer *sel* of ``cells.source`` on the fine grid,
    from the weights' :func:`cell_weight_sums` *sums*: the same table, without reading the fine grid again."""
    legend = _legend(cells.source, codes, nodata, water_codes, "classes")
    bins = _to_bins(cells.values(**sel), legend)
    out = np.stack([np.bincount(bins, weights=np.asarray(sums[k]), minlength=legend.nbins) for k in (0, 1)])
    return weighted_class_frame(out, legend, units, name or _name(cells.source, "classes"))


@dataclass(frozen=True)
class ZonalCellSums:
    """Per unit, the source cells it covers (positions ``index + 1``), their area (km², Σ coverage × cell area) and,
    with weights, their weight (Σ coverage × weight): exactextract's coverage of the fine grid, summed per cell."""

    units: Any
    id_field: str
    per_unit: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]
    geodesic: np.ndarray
    weights: xr.DataArray | None
    method: str


def zonal_cell_sums(cells: NearestCells, units: Any, *, weights: xr.DataArray | None = None,
                    id_field: str | None = None, method: str = "exact") -> ZonalCellSums:
    """One pass of *units* over the fine grid: per unit, area and weight per source cell, by exact coverage
    (exactextract) or the pixel-centre rule (``method="centre"``, as :func:`~indicators.summarize.zonal_class_areas`).
    Each layer's per-unit table is then :func:`zonal_class_areas_by_cells`, a lookup."""
    return zonal_cell_sums_many(cells, units, [weights], id_field=id_field, method=method)[0]


def zonal_cell_sums_many(cells: NearestCells, units: Any, weights: Sequence[xr.DataArray | None], *,
                         id_field: str | None = None, method: str = "exact") -> list[ZonalCellSums]:
    """:func:`zonal_cell_sums` of each of *weights* (None: areas only), each bit for bit what it gives alone.  By the
    pixel-centre rule one pass serves them all (the units burnt and the index read once per strip: SO3-2's total,
    female and male grids); exact coverage makes one exactextract pass per weight."""
    from .errors import InputError

    index = cells.index
    units, id_field = _unit_frame(units, index, id_field)
    given = list(weights)
    weights = [None if w is None else _yx(w) for w in weights]
    for w in weights:
        if w is not None:
            check_same_grid(index, w, names=["classes", "weights"])
    grid = grid_of(index)
    if method == "exact":
        per_weight = []
        for w in weights:
            out = _exact_extract([index], units, w, grid, _Areas.of(index))
            per_weight.append([(values + 1, area, weight) for values, area, weight in _exact_sums(out, 0, w is not None)])
    elif method == "centre":
        layers = [w for w in weights if w is not None]
        per_unit = _centre_cell_sums(cells, units, layers, grid, names=[getattr(w.data, "name", None) for w in given
                                                                         if w is not None])
        layer_of = np.cumsum([w is not None for w in weights]) - 1  # each weight's row among the layers
        per_weight = [[(pos, area, None if w is None else sums[r]) for pos, area, sums in per_unit]
                      for w, r in zip(weights, layer_of)]
    else:
        raise InputError(f"method must be 'exact' or 'centre', got {method!r}")
    geodesic = _geodesic_areas_km2(units, grid)
    return [ZonalCellSums(units, id_field, pu, geodesic, w, method) for pu, w in zip(per_weight, weights)]


def _centre_cell_sums(cells: NearestCells, units: Any, weights: Sequence[xr.DataArray], grid: Any, *,
                      names: Sequence[str | None] = ()):
    """Per unit (pixel-centre rule), the positions it holds with their area sums and the sums of each of *weights*
    (layers × positions): each block's (unit, position) keys summed there, the blocks' short lists merged at the end
    (never a units × cells table).

    The same pass computes :func:`cell_weight_sums` of each weight not yet in ``cells.sums`` and keeps it there under
    its dask name (*names*, the weights' as the caller holds them): the national tables of the same grids then look
    them up instead of decoding the grids again (SO3-2: total, female and male)."""
    from shapely import STRtree

    from .summarize_bands import MergedParts, compute_banded
    from .summarize_zonal import _rasterize_block

    geoms = np.asarray(units.geometry.values)
    tree = STRtree(geoms)
    zdtype = np.uint16 if len(geoms) < np.iinfo(np.uint16).max else np.uint32
    areas = _Areas.of(cells.index)
    npos = cells.positions
    # the weights as they are (float32 population): each strip's cells become float64 with their nodata as NaN where
    # they are summed (:func:`_weights_block_as_float`), not as float64 blocks in the graph (three population grids'
    # float64 blocks were held at once, issue 16)
    weights = [_yx(w) for w in weights]
    nodata = [w.rio.nodata for w in weights]
    arrays = [cells.index] + ([areas.pix] if areas.pix is not None else []) + weights

    def strip(rows: slice, cols: slice, index, pix, ws):
        zones = _rasterize_block(geoms, tree, grid, rows, cols, zdtype)
        return _strip_sums(zones, np.asarray(index), areas.rows[rows], pix, ws, npos)

    def one(index, *rest):
        # in strips of about 2**20 cells: the keys, their sort and the areas of a whole block (8 bytes per cell
        # each) would hold several times the block per thread
        rest = list(rest)
        cols, rows = rest.pop(), rest.pop()
        pix = np.asarray(rest.pop(0)) if areas.pix is not None else None
        ws = [np.asarray(w) for w in rest]
        step = max(1, STRIP_CELLS // max(1, cols.stop - cols.start))
        parts = [strip(slice(rows.start + r, min(rows.stop, rows.start + r + step)), cols, index[r : r + step],
                       None if pix is None else pix[r : r + step],
                       [_weights_block_as_float(w[r : r + step], nd) for w, nd in zip(ws, nodata)])
                 for r in range(0, rows.stop - rows.start, step)]
        return _merge(parts, npos)

    def merge(parts):
        return _merge(parts, npos)

    if any(hasattr(a.data, "dask") for a in arrays):
        # by bands of rows (:mod:`indicators.summarize_bands`), each band's blocks merged as they come: one dask
        # compute of every block held the inputs of many blocks at once (2.2 GiB at 20000², issue 16)
        tasks, ychunks, width = _block_tasks(one, arrays)
        centre = MergedParts(tuple(map(tuple, tasks)), merge, lambda m: m, ychunks, width)
        along = _cell_sums_along(cells, weights, names, ychunks)
        done = compute_banded([centre, *along.values()])
        merged, area, weight = done[0]
        cells.sums.update(zip(along, done[1:]))
    else:
        ny, nx = cells.index.shape
        merged, area, weight = one(*(np.asarray(a.data) for a in arrays), slice(0, ny), slice(0, nx))
    zone, position = np.divmod(merged, npos)
    edges = np.searchsorted(zone, np.arange(1, len(geoms) + 2))
    return [(position[a:b], area[a:b], weight[:, a:b]) for a, b in zip(edges[:-1], edges[1:])]


def _cell_sums_along(cells: NearestCells, weights: Sequence[xr.DataArray], names: Sequence[str | None],
                     ychunks: tuple[int, ...]) -> dict[str, Any]:
    """The pending :func:`cell_weight_sums` of the *weights* whose sums ``cells.sums`` does not hold yet, by their
    dask name, banded like a pass of *ychunks* rows (each merges its own blocks in its own order: the sums are those
    of a pass of their own)."""
    along: dict[str, Any] = {}
    for w, name in zip(weights, names):
        if name is None or name in cells.sums or name in along or not hasattr(w.data, "dask"):
            continue
        parts = cell_weight_sums(cells, w, compute=False)
        if getattr(parts, "ychunks", None) == ychunks:  # else it could not share the bands (nor keep memory flat)
            along[name] = parts
    return along


def zonal_class_areas_by_cells(cells: NearestCells, sums: ZonalCellSums, sel: Mapping[str, Any], *,
                               codes: Sequence[int], nodata: Any = None, water_codes: Sequence[int] = (),
                               name_field: str | None = None) -> pd.DataFrame:
    """:func:`~indicators.summarize.zonal_class_areas` (the method of *sums*) of the layer *sel* of ``cells.source``
    on the fine grid, from :func:`zonal_cell_sums`: the same table (units, then national rows), as a lookup."""
    from .errors import InputError

    if name_field is not None and name_field not in sums.units.columns:
        raise InputError(f"units have no name field {name_field!r}")
    legend = _legend(cells.source, codes, nodata, water_codes, "classes")
    bins = _to_bins(cells.values(**sel), legend)
    acc = np.zeros((2, len(sums.units) + 1, legend.nbins))
    for i, (positions, area, weight) in enumerate(sums.per_unit):
        b = bins[positions]
        np.add.at(acc[0, i + 1], b, area)
        if weight is not None:
            np.add.at(acc[1, i + 1], b, weight)
    return _unit_table(acc, legend, _name(cells.source, "classes"), sums.units, sums.id_field, name_field,
                       sums.geodesic, sums.method, sums.weights)

"""Tables of a coarse class raster put on a fine grid, summed through its source cells.

Part of :mod:`indicators.summarize`.  A drought class map lives on its climate grid (1/20° in the product benchmark,
0.05–0.5° in the default data) and reaches the population / land-cover grid by nearest lookup
(:func:`indicators.grid.resample_nearest`): each fine cell takes the class of the source cell holding its centre.  A
weighted table of such a layer (persons per class, nationally or per unit) is a sum over source cells,
Σ_c w_c · [class(c) = k], with w_c what the fine grid puts in source cell c (per unit: Σ coverage × weight).  So the
fine grid is read once per weight grid, for the w_c, and each year of classes is a lookup on the source grid, instead
of one pass over the fine grid per year.  The sums are the per-pixel tables' sums in another order (equal up to
rounding: relative 1e-15).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd
import xarray as xr

from .grid import check_same_grid, grid_of, resample_nearest
from .summarize_bins import _Areas, _legend, _name, _reduce_blocks, _to_bins, _yx
from .summarize_national import _as_float_weights, weighted_class_frame
from .summarize_zonal import _exact_extract, _exact_sums, _geodesic_areas_km2, _unit_frame, _unit_table


@dataclass(frozen=True)
class NearestCells:
    """A raster on a finer grid as :func:`~indicators.grid.resample_nearest` puts it there, kept in two factors.

    ``index`` (y, x, int32, lazy, on the fine grid) is the row-major position of the source cell each fine cell takes
    (-1 where its centre is outside the source); ``source`` (…, y, x) is the source raster, in memory.  The fine
    raster is ``source`` looked up at ``index`` (the source's nodata where -1).
    """

    index: xr.DataArray
    source: xr.DataArray

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

    @property
    def fill(self) -> Any:
        """What a fine cell outside the source holds: the source's nodata (as ``resample_nearest`` fills)."""
        nd = self.source.rio.nodata if self.source.rio.nodata is not None else self.source.rio.encoded_nodata
        return np.nan if nd is None else nd

    def values(self, **sel: Any) -> np.ndarray:
        """One layer's values per position ``index + 1``: the fill first (outside the source), then the cells."""
        layer = np.asarray(self.source.sel(sel).values)
        if layer.ndim != 2:
            raise ValueError(f"NearestCells.values needs one layer (select every leading dimension), got {layer.shape}")
        return np.concatenate([np.asarray([self.fill], dtype=layer.dtype), layer.ravel()])


@numba.njit(nogil=True, cache=True)
def _cell_weighted_sums(index, w, ncells):
    """Per position index + 1: the sum of w (row 0) and the count of cells without a weight (NaN, row 1)."""
    ny, nx = index.shape
    out = np.zeros((2, ncells + 1), np.float64)
    for r in range(ny):
        for c in range(nx):
            i = index[r, c] + 1
            x = w[r, c]
            if np.isnan(x):
                out[1, i] += 1.0
            else:
                out[0, i] += x
    return out


def cell_weight_sums(cells: NearestCells, weights: xr.DataArray, *, compute: bool = True) -> Any:
    """What *weights* (on the fine grid; NaN and ``rio.nodata`` missing) put in each source cell, (2, cells + 1):
    row 0 the weight sums, row 1 the missing-weight cell counts, column 0 the fine cells outside the source.  One
    block-wise pass; ``compute=False`` returns it lazy (several share a pass through :func:`compute_tables`)."""
    weights = _yx(weights)
    check_same_grid(cells.index, weights, names=["classes", "weights"])
    ncells = int(np.prod(cells.source.shape[-2:]))

    def block(ix, wv, rows, cols):
        return _cell_weighted_sums(np.asarray(ix, np.int32), np.asarray(wv, np.float64), ncells)

    return _reduce_blocks(block, [cells.index, _as_float_weights(weights)], (2, ncells + 1), compute=compute)


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


def zonal_cell_sums(cells: NearestCells, units: Any, *, weights: xr.DataArray | None = None,
                    id_field: str | None = None) -> ZonalCellSums:
    """One exact-coverage pass (exactextract) of *units* over the fine grid: per unit, area and weight per source
    cell.  Each layer's per-unit table is then :func:`zonal_class_areas_by_cells`, a lookup."""
    index = cells.index
    units, id_field = _unit_frame(units, index, id_field)
    if weights is not None:
        weights = _yx(weights)
        check_same_grid(index, weights, names=["classes", "weights"])
    grid = grid_of(index)
    out = _exact_extract([index], units, weights, grid, _Areas.of(index))
    per_unit = [(values + 1, area, weight) for values, area, weight in _exact_sums(out, 0, weights is not None)]
    return ZonalCellSums(units, id_field, per_unit, _geodesic_areas_km2(units, grid), weights)


def zonal_class_areas_by_cells(cells: NearestCells, sums: ZonalCellSums, sel: Mapping[str, Any], *,
                               codes: Sequence[int], nodata: Any = None, water_codes: Sequence[int] = (),
                               name_field: str | None = None) -> pd.DataFrame:
    """:func:`~indicators.summarize.zonal_class_areas` (``method="exact"``) of the layer *sel* of ``cells.source`` on
    the fine grid, from :func:`zonal_cell_sums`: the same table (units, then national rows), as a lookup."""
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
                       sums.geodesic, "exact", sums.weights)

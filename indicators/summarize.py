"""National and per-polygon area tables of class rasters (D3, D4).

Every raster indicator ends in one of these tables:

* :func:`class_area_table` — km² per class for the whole raster, a water row, a
  nodata row, total land area (D3), percent of land; an official land area
  replaces the denominator and the pixel-derived one is kept beside it.
* :func:`zonal_class_areas` — per polygon (admin unit) × class, by exact
  fractional pixel coverage (exactextract built-in weighted operations with a
  1-column raster of exact row areas) or by the pixel-centre rule (rasterize
  once, one fused numba pass); optional weights (population) give
  "people per class per unit"; each unit's geodesic area beside its pixel total;
  national rows are the sums of the unit rows; :func:`zonal_class_weights` gives
  one class layer's tables for several weights (total, female, male) in one pass.
* :func:`cross_area_table` — km² per (class of a) × (class of b): transition
  matrices, land cover × LPD.
* :func:`weighted_class_sum` — sum of a weight raster (population) per class.

All work on numpy- or dask-backed DataArrays: dask inputs are reduced block by
block into small (bins) or (zones × bins) partial sums, never loaded whole.

Areas come from :func:`indicators.grid.cell_area` only.  Method and numbers:
methodology.md Part A D3/D4, PERFORMANCE.md "Zonal summaries".
"""

from __future__ import annotations

# one public home; the work lives in summarize_bins (legends, kernels), summarize_national, summarize_zonal
from .summarize_national import (PendingTable, PendingTables, class_area_table, compute_tables, cross_area_table,
                                 weighted_class_sum)
from .summarize_zonal import national_rows, reproject_units, zonal_class_areas, zonal_class_areas_many, zonal_class_weights

__all__ = [
    "class_area_table",
    "zonal_class_areas",
    "zonal_class_areas_many",
    "zonal_class_weights",
    "cross_area_table",
    "weighted_class_sum",
    "national_rows",
    "compute_tables",
    "PendingTable",
    "PendingTables",
    "reproject_units",
]

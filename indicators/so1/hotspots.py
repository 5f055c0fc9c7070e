"""SO1-4.T4 / T5 candidates: connected areas of degradation (hotspots) or improvement (brightspots) in the status map.

The manual asks countries to name hotspots and brightspots; the run proposes candidates for the country to
confirm. The search is block-wise so memory stays flat: the 3-class status map is reduced lazily to blocks of
``block`` x ``block`` cells (the degraded / improved area of each block, km²), the small block grid is labelled
with :func:`scipy.ndimage.label` (8-connected), and each connected group of blocks where the class covers at least
``min_share`` of the block is a candidate when its class area reaches ``min_area_km2``. Decision: docs/decisions.md#d18.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

#: defaults of the candidate search (docs/decisions.md D18)
BLOCK_CELLS = 4
MIN_SHARE = 0.5
MIN_AREA_KM2 = 5.0


def _block_sum(da: xr.DataArray, block: int) -> np.ndarray:
    return np.asarray(da.coarsen(y=block, x=block, boundary="pad").sum().values, dtype="float64")


def connected_candidates(
    three_class: xr.DataArray,
    cell_km2: xr.DataArray,
    code: int,
    *,
    also: Mapping[str, xr.DataArray] | None = None,
    block: int = BLOCK_CELLS,
    min_share: float = MIN_SHARE,
    min_area_km2: float = MIN_AREA_KM2,
) -> pd.DataFrame:
    """Connected groups of blocks where *code* covers at least *min_share* of the block, with class area >= *min_area_km2*.

    Parameters
    ----------
    three_class : DataArray (y, x)
        The 3-class map (1 degraded, 2 stable, 3 improved, 0 no data), dask-backed or not.
    cell_km2 : DataArray
        Area of each cell, km² (:func:`indicators.grid.cell_area`), broadcastable to *three_class*.
    code : int
        The class searched (1 degraded: hotspots; 3 improved: brightspots).
    also : mapping name -> 3-class DataArray, optional
        Sub-indicator maps (land cover, productivity, SOC) whose area of the same class inside each candidate is reported.
    block, min_share, min_area_km2
        Block edge in cells, the share of a block's valid area the class must cover, the smallest candidate (km²).

    Returns
    -------
    DataFrame, one row per candidate, largest first: ``candidate``, ``area_km2`` (class area inside the candidate),
    ``extent_km2`` (valid area of its blocks), ``lon``/``lat`` (or ``x``/``y``; area-weighted centroid of the class),
    and ``<name>_km2`` per *also* map.
    """
    from scipy import ndimage

    area = xr.ones_like(three_class, dtype="float64") * cell_km2
    cls = _block_sum(area.where(three_class == code, 0.0), block)
    valid = _block_sum(area.where(three_class != 0, 0.0), block)
    xs = _block_sum((area * three_class["x"]).where(three_class == code, 0.0), block)
    ys = _block_sum((area * three_class["y"]).where(three_class == code, 0.0), block)
    extra = {name: _block_sum(area.where(m == code, 0.0), block) for name, m in (also or {}).items()}
    with np.errstate(invalid="ignore", divide="ignore"):
        dense = (valid > 0) & (cls >= min_share * valid)
    labels, n = ndimage.label(dense, structure=np.ones((3, 3), dtype=bool))
    if n == 0:
        return pd.DataFrame(columns=["candidate", "area_km2", "extent_km2", "x", "y", *[f"{k}_km2" for k in extra]])
    idx = np.arange(1, n + 1)

    def per(a: np.ndarray) -> np.ndarray:
        return np.asarray(ndimage.sum(a, labels, idx), dtype="float64")

    a = per(cls)
    frame = pd.DataFrame({"area_km2": a, "extent_km2": per(valid), "x": per(xs) / a, "y": per(ys) / a,
                          **{f"{k}_km2": per(v) for k, v in extra.items()}})
    frame = frame[frame["area_km2"] >= min_area_km2].sort_values("area_km2", ascending=False, kind="stable")
    frame.insert(0, "candidate", [f"{'H' if code == 1 else 'B'}{i + 1}" for i in range(len(frame))])
    return frame.reset_index(drop=True)

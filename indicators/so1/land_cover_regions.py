"""SO1-1 with regional transition matrices (2026 edition, up to five; decision D28).

A country may judge land-cover change in some regions by a matrix of their own [PRAIS26 introduction]. The regions
become a zone raster on the land-cover grid (:func:`region_zones`: 0 outside every region, *k* inside the *k*-th
region, pixel-centre rule), and :func:`regional_land_cover_degradation` judges each cell by its zone's matrix, the
cells of zone 0 by the national one. :func:`zoned_land_cover` tags the land cover with the zone so that one
cross-tabulation gives every zone's transitions (the regional area tables).

Every function is lazy and blockwise: numpy- or dask-backed DataArrays in, the same out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..errors import ArgumentError
from .encoding import NODATA, three_class_attrs
from .land_cover import land_cover_degradation, transition_multiplier


def region_zones(polygons: Any, template: xr.DataArray) -> xr.DataArray:
    """Zone of each cell of *template*'s grid: *k* (1-based row of *polygons*) where the cell's centre lies in the
    *k*-th polygon, 0 elsewhere (uint8, lazy per block like *template*).

    *polygons* is a GeoDataFrame of at most 255 disjoint polygons (reprojected to the grid's CRS when both CRSs are
    known); where polygons overlap the later one wins (:func:`indicators.rasterize.rasterize_polygons`).
    """
    from ..rasterize import rasterize_polygons

    if len(polygons) > 255:
        raise ArgumentError(f"polygons: {len(polygons)} regions; at most 255 fit the zone raster")
    zones = rasterize_polygons(polygons, template).astype("uint8")
    zones.attrs.update(long_name="region of the regional transition matrices (row number, 0 none)", units="1", nodata=0)
    return zones.rename("region")


def regional_land_cover_degradation(
    lc_initial: xr.DataArray,
    lc_final: xr.DataArray,
    matrix: Any,
    *,
    zones: xr.DataArray,
    matrices: Sequence[Any],
    codes: Sequence[int] | None = None,
) -> xr.DataArray:
    """SO1-1 land-cover degradation with a transition matrix per region.

    Parameters
    ----------
    lc_initial, lc_final : DataArray
        Land cover in the UNCCD legend at the start and end of the period (as for
        :func:`~indicators.so1.land_cover.land_cover_degradation`).
    matrix : transition matrix
        The national matrix: it judges the cells of zone 0.
    zones : DataArray of int, same grid
        0 outside every region, *k* inside the *k*-th region (:func:`region_zones`).
    matrices : sequence of transition matrices
        ``matrices[k - 1]`` judges the cells of zone *k*; each as *matrix* (a spec ``fw.matrix(id)``, its dump or
        ``{initial: {final: meaning}}``).
    codes : sequence of int, optional
        Row/column codes of 2-D list matrices.

    Returns
    -------
    DataArray uint8: 1 degraded, 2 stable, 3 improved, 0 nodata; each cell's value is
    ``land_cover_degradation`` under its zone's matrix. A zone above ``len(matrices)`` is an error.
    """
    national = land_cover_degradation(lc_initial, lc_final, matrix, codes=codes)
    if not matrices:
        return national
    if zones.shape != national.shape:
        raise ArgumentError(f"zones: shape {zones.shape} is not the land cover's {national.shape}; rasterize the regions "
                            "on the land-cover grid (region_zones)")
    regional = [land_cover_degradation(lc_initial, lc_final, m, codes=codes) for m in matrices]
    n = len(regional)

    def _pick(nat: np.ndarray, zone: np.ndarray, *layers: np.ndarray) -> np.ndarray:
        top = int(zone.max()) if zone.size else 0
        if top > n:
            raise ArgumentError(f"zones: zone {top} has no matrix ({n} regional matrices); give one matrix per zone")
        out = nat.copy()
        for k, layer in enumerate(layers, start=1):
            inside = zone == k
            out[inside] = layer[inside]
        return out

    out = xr.apply_ufunc(_pick, national, zones, *regional, dask="parallelized", output_dtypes=["uint8"])
    out.attrs.update(three_class_attrs("land cover degradation (SO1-1)",
                                       method=f"transition matrix per region ({n} regional, national elsewhere; D28), "
                                              "Part B §2.3"))
    return out.rename("land_cover_degradation")


def zoned_land_cover(land_cover: xr.DataArray, zones: xr.DataArray, *, codes: Sequence[int],
                     regions: int) -> tuple[xr.DataArray, int]:
    """Land cover tagged with its zone: ``zone × M + class`` (M = :func:`~indicators.so1.land_cover.transition_multiplier`
    of *codes*), NODATA (0) where the class is not one of *codes*; zone 0 keeps the class code itself.

    *regions* is the number of regions (zones 1..regions). Returns the layer (uint8 when every code fits, else
    uint16) and M. Cross-tabulated against the final land cover it gives every zone's transitions at once (rows
    ``zone × M + initial``).
    """
    valid = np.asarray([int(c) for c in codes])
    m = transition_multiplier(codes)
    top = int(regions) * m + int(valid.max())
    if top > np.iinfo("uint16").max:
        raise ArgumentError(f"regions: {regions} regions of classes up to {int(valid.max())} need codes up to {top}, "
                            "more than uint16 holds")
    dtype = "uint8" if top <= np.iinfo("uint8").max else "uint16"

    def _tag(a: np.ndarray, z: np.ndarray) -> np.ndarray:
        return np.where(np.isin(a, valid), z.astype("uint32") * m + a.astype("uint32"), NODATA).astype(dtype)

    out = xr.apply_ufunc(_tag, land_cover, zones, dask="parallelized", output_dtypes=[dtype])
    out.attrs.update(long_name="land cover tagged with its region (zone x M + class)", nodata=NODATA)
    return out.rename("zoned_land_cover"), m


__all__ = ["region_zones", "regional_land_cover_degradation", "zoned_land_cover"]

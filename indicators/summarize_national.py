"""National area tables: km² per class (D3), cross-tabulations, weighted sums; pending tables computed together.

Part of :mod:`indicators.summarize` (the public names live there).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
import xarray as xr

from .errors import InputError
from .grid import check_same_grid
from .summarize_bins import (EVERY_CELL, _Areas, _Binner, _bin_weighted_sums, _block_parts, _Legend, _legend, _name, _pair_counts,
                             _raise_other, _row_bin_counts, _row_bin_counts_masked, _row_reduce_blocks, _yx)


@dataclass(frozen=True)
class PendingTable:
    """A table whose block reduction is not computed yet (``class_area_table(..., compute=False)``).

    ``part`` is the small reduced array (dask, or numpy for in-memory inputs);
    ``finish`` turns its computed value into the table.
    """

    part: Any
    finish: Callable[[np.ndarray], pd.DataFrame]

    def compute(self) -> pd.DataFrame:
        return compute_tables(self)[0]

    def then(self, shape: Callable[[Any], Any]) -> PendingTable:
        """The same reduction, its table passed through ``shape`` when finished."""
        return PendingTable(self.part, lambda value: shape(self.finish(value)))


@dataclass(frozen=True)
class PendingTables:
    """One result made of several pending tables (e.g. a stock per class, its area and its area with data):
    ``finish(list of their tables)``; the reductions share the pass of every other table computed with them.
    Items may be :class:`PendingTable` or :class:`PendingTables`."""

    items: tuple[Any, ...]
    finish: Callable[[list[Any]], Any]

    def compute(self) -> Any:
        return compute_tables(self)[0]

    def then(self, shape: Callable[[Any], Any]) -> PendingTables:
        return PendingTables(self.items, lambda tables: shape(self.finish(tables)))


def _flat(item: Any) -> list[Any]:
    return [leaf for it in item.items for leaf in _flat(it)] if isinstance(item, PendingTables) else [item]


def _rebuild(item: Any, done: Any) -> Any:
    """*item*'s result from the iterator *done* of its leaves' results, in :func:`_flat`'s order."""
    if isinstance(item, PendingTables):
        return item.finish([_rebuild(it, done) for it in item.items])
    return next(done)


def compute_tables(*items: Any) -> list[Any]:
    """Compute pending tables, and any other dask results, in ONE dask computation.

    Parameters
    ----------
    *items : PendingTable, PendingTables or dask collection / delayed
        Tables from ``class_area_table(..., compute=False)``; anything else is
        computed along (e.g. the write task of :func:`indicators.io.store_rasters`).

    Returns
    -------
    list
        A DataFrame per PendingTable (the finished result per PendingTables), the
        computed value of every other item, in order.

    Notes
    -----
    dask merges the graphs: every input block is decoded once and feeds every
    table that needs it (PERFORMANCE.md, "Zonal summaries": one streaming pass).
    When every item allows it (block reductions of one grid, a raster store), the
    pass runs by bands of rows so that memory does not grow with the grid
    (:func:`indicators.summarize_bands.compute_banded`).
    """
    from .summarize_bands import compute_banded

    leaves = [leaf for it in items for leaf in _flat(it)]
    values = compute_banded([it.part if isinstance(it, PendingTable) else it for it in leaves])
    done = iter([it.finish(np.asarray(v)) if isinstance(it, PendingTable) else v for it, v in zip(leaves, values)])
    return [_rebuild(it, done) for it in items]


def _bin_areas(classes: xr.DataArray, legend: _Legend, land_mask: xr.DataArray | None):
    """(reduction, finish): ``finish(computed reduction)`` is (km² per bin, cell count per bin) of the raster."""
    binner = _Binner(classes.dtype, legend)
    areas = _Areas.of(classes)
    arrays = [classes]
    if land_mask is not None:
        arrays.append(_yx(land_mask).astype(bool))
    if areas.pix is None:

        def count(v, *rest):
            rows, cols = rest[-2:]
            v = binner.prepare(v)
            if land_mask is None:
                return _row_bin_counts(v, binner.lut, legend.nbins)
            return _row_bin_counts_masked(
                v, binner.lut, rest[0], legend.water_bin, legend.n_class, legend.nbins
            )

        # Integer counts per (row, bin), then one fixed-order product with the row areas:
        # the result does not depend on the chunking.
        part = _row_reduce_blocks(count, arrays, legend.nbins)
        return part, lambda counts: (areas.rows @ counts, counts.sum(axis=0, dtype=np.int64))

    identity = np.arange(legend.nbins, dtype=np.int32)

    def weighted(v, *rest):
        # Non-equal-area projections: every cell has its own area, so sum areas per bin directly.
        b = binner.lut[binner.prepare(v)]
        if land_mask is not None:
            b = np.where((b < legend.n_class) & ~np.asarray(rest[0], bool), legend.water_bin, b)
        res = _bin_weighted_sums(b, identity, np.asarray(rest[-3], np.float64), EVERY_CELL, legend.nbins)
        counts = np.bincount(b.ravel(), minlength=legend.nbins).astype(np.float64)
        return np.stack([res[0], counts])

    part = _block_parts(weighted, arrays + [areas.pix], (2, legend.nbins))
    return part, lambda out: (out[0], out[1].astype(np.int64))


@overload
def class_area_table(
    classes: xr.DataArray,
    *,
    codes: Sequence[int],
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
    land_mask: xr.DataArray | None = None,
    official_land_area_km2: float | None = None,
    compute: Literal[True] = True,
) -> pd.DataFrame: ...


@overload
def class_area_table(
    classes: xr.DataArray,
    *,
    codes: Sequence[int],
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
    land_mask: xr.DataArray | None = None,
    official_land_area_km2: float | None = None,
    compute: Literal[False],
) -> PendingTable: ...


@overload
def class_area_table(
    classes: xr.DataArray,
    *,
    codes: Sequence[int],
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
    land_mask: xr.DataArray | None = None,
    official_land_area_km2: float | None = None,
    compute: bool = True,
) -> pd.DataFrame | PendingTable: ...


def class_area_table(
    classes: xr.DataArray,
    *,
    codes: Sequence[int],
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
    land_mask: xr.DataArray | None = None,
    official_land_area_km2: float | None = None,
    compute: bool = True,
) -> pd.DataFrame | PendingTable:
    """National area per class, water and nodata rows, total land area (D3) and percent of land.

    Parameters
    ----------
    classes : DataArray (y, x) of integer class codes, numpy- or dask-backed, with a CRS.
    codes : sequence of int
        The class codes to report (one row each, in this order, zero if absent).
    nodata : int or sequence of int, optional
        Nodata code(s); default ``classes.rio.nodata``.
    water_codes : sequence of int, optional
        Codes of inland water (e.g. land-cover class 7): they form the water row.
    land_mask : DataArray of bool, optional
        True on land; valid cells where it is False are counted as water (D3:
        water from the baseline's first land-cover year).  Same grid as *classes*.
    official_land_area_km2 : float, optional
        The official national land area: it becomes the denominator of
        ``percent_of_land``; the pixel-derived land area is kept beside it.
    compute : bool, default True
        False: return a :class:`PendingTable` instead; :func:`compute_tables`
        then computes several tables (and other dask results) in one pass over
        their common inputs, so each input file is decoded once.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``"class"``, ``"water"``, ``"nodata"``,
        ``"land_area"``, ``"official_land_area"``), ``class`` (nullable int),
        ``area_km2``, ``cells`` and ``percent_of_land`` (class rows only).  The
        class rows partition the land area; classes + water + nodata partition
        the raster.  ``attrs``: ``land_area_km2`` (the denominator) and
        ``land_area_source`` (``"pixels"`` or ``"official"``).

    Raises
    ------
    InputError
        Non-integer classes, overlapping codes, or cells with undeclared values.

    References
    ----------
    methodology.md Part A D3 (total land area), D4 (areas).
    """
    classes = _yx(classes)
    name = _name(classes, "classes")
    legend = _legend(classes, codes, nodata, water_codes, "classes")
    if land_mask is not None:
        check_same_grid(classes, land_mask)
    part, finish = _bin_areas(classes, legend, land_mask)
    pending = PendingTable(part, lambda counts: _class_table(*finish(np.asarray(counts)), legend, name,
                                                             official_land_area_km2))
    return pending.compute() if compute else pending


def _class_table(area: np.ndarray, cells: np.ndarray, legend: _Legend, name: str,
                 official_land_area_km2: float | None) -> pd.DataFrame:
    _raise_other(cells[legend.other_bin], legend, name, "classes")
    land = float(area[: legend.n_class].sum())
    denominator = land if official_land_area_km2 is None else float(official_land_area_km2)
    if denominator <= 0:
        raise InputError(f"{name}: total land area is {denominator} km²; no land cells to report on")
    rows = [("class", c, area[i], cells[i], 100.0 * area[i] / denominator) for i, c in enumerate(legend.codes)]
    rows.append(("water", None, area[legend.water_bin], cells[legend.water_bin], np.nan))
    rows.append(("nodata", None, area[legend.nodata_bin], cells[legend.nodata_bin], np.nan))
    rows.append(("land_area", None, land, int(cells[: legend.n_class].sum()), 100.0 * land / denominator))
    if official_land_area_km2 is not None:
        rows.append(("official_land_area", None, denominator, pd.NA, 100.0))
    df = pd.DataFrame(rows, columns=["kind", "class", "area_km2", "cells", "percent_of_land"])
    df["class"] = df["class"].astype("Int64")
    df["cells"] = df["cells"].astype("Int64")
    df.attrs.update(
        land_area_km2=denominator,
        land_area_source="pixels" if official_land_area_km2 is None else "official",
        pixel_land_area_km2=land,
        source=name,
    )
    return df


def cross_area_table(
    a: xr.DataArray,
    b: xr.DataArray,
    *,
    codes_a: Sequence[int],
    codes_b: Sequence[int],
    nodata_a: int | Sequence[int] | None = None,
    nodata_b: int | Sequence[int] | None = None,
    compute: bool = True,
) -> pd.DataFrame | PendingTable:
    """Area (km²) of each pair (class of *a*, class of *b*): a transition or cross-tabulation matrix.

    Parameters
    ----------
    a, b : DataArray (y, x) of integer codes on the same grid (e.g. land cover
        at the baseline and at the end of the period; land cover × LPD).
    codes_a, codes_b : sequences of int
        Row and column codes, in order.
    nodata_a, nodata_b : optional
        Nodata codes; default each raster's ``rio.nodata``.
    compute : bool, default True
        False: a :class:`PendingTable`, computed in one pass with other tables
        (:func:`compute_tables`).

    Returns
    -------
    pandas.DataFrame
        Index = *codes_a* + ``"nodata"``, columns = *codes_b* + ``"nodata"``,
        values in km².  Its total is the raster's total area.
    """
    a, b = _yx(a), _yx(b)
    check_same_grid(a, b)
    la = _legend(a, codes_a, nodata_a, (), "a")
    lb = _legend(b, codes_b, nodata_b, (), "b")
    ba, bb = _Binner(a.dtype, la), _Binner(b.dtype, lb)
    areas = _Areas.of(a)
    nbins = la.nbins * lb.nbins
    arrays = [a, b] + ([areas.pix] if areas.pix is not None else [])

    def count(va, vb, *rest):
        rows = rest[-2]
        counts = _pair_counts(ba.prepare(va), ba.lut, bb.prepare(vb), bb.lut, lb.nbins, nbins)
        if areas.pix is not None:
            # per-pixel areas: weight each cell by its own area (one extra pass)
            keys = ba.lut[ba.prepare(va)].astype(np.int64) * lb.nbins + bb.lut[bb.prepare(vb)]
            return np.bincount(keys.ravel(), weights=np.asarray(rest[0], np.float64).ravel(), minlength=nbins)
        return areas.rows[rows] @ counts

    def finish(value: np.ndarray) -> pd.DataFrame:
        return _cross_frame(np.asarray(value).reshape(la.nbins, lb.nbins), a, b, la, lb)

    pending = PendingTable(_block_parts(count, arrays, (nbins,)), finish)
    return pending.compute() if compute else pending


def _cross_frame(total: np.ndarray, a: xr.DataArray, b: xr.DataArray, la: _Legend, lb: _Legend) -> pd.DataFrame:
    """:func:`cross_area_table`'s frame from its (bins of a, bins of b) km²; refuses values outside the codes."""
    if total[la.other_bin].sum() > 0 or total[:, lb.other_bin].sum() > 0:
        raise InputError(
            f"{_name(a, 'a')} / {_name(b, 'b')}: cells hold values outside codes_a {list(la.codes)} / codes_b "
            f"{list(lb.codes)} and their nodata; declare or recode them"
        )
    keep_a = list(range(la.n_class)) + [la.nodata_bin]
    keep_b = list(range(lb.n_class)) + [lb.nodata_bin]
    out = pd.DataFrame(
        total[np.ix_(keep_a, keep_b)],
        index=pd.Index(list(la.codes) + ["nodata"], name=a.name or "a"),
        columns=pd.Index(list(lb.codes) + ["nodata"], name=b.name or "b"),
    )
    out.attrs["units"] = "km2"
    return out


def weighted_class_sum(
    classes: xr.DataArray,
    weights: xr.DataArray,
    *,
    codes: Sequence[int],
    nodata: int | Sequence[int] | None = None,
    water_codes: Sequence[int] = (),
    compute: bool = True,
) -> pd.DataFrame | PendingTable:
    """Sum of a weight raster (e.g. population) per class, national.

    Parameters
    ----------
    classes : DataArray (y, x) of integer codes.
    weights : DataArray (y, x) on the same grid, in its own units
        (``attrs["units"]``, e.g. ``"person"``); NaN and ``rio.nodata`` cells
        count as missing (not zero) and are reported.
    codes, nodata, water_codes, compute : as in :func:`class_area_table` (``compute=False``: several sums, e.g.
        one per year of classes over one population grid, share one pass through :func:`compute_tables`).

    Returns
    -------
    pandas.DataFrame
        Columns ``kind`` (``"class"``, ``"water"``, ``"nodata"``), ``class``,
        ``value``; ``attrs["units"]`` is the weights' units and
        ``attrs["missing_weight_cells"]`` the count of cells without a weight.
    """
    classes, weights = _yx(classes), _yx(weights)
    check_same_grid(classes, weights)
    legend = _legend(classes, codes, nodata, water_codes, "classes")
    binner = _Binner(classes.dtype, legend)
    nd = weights.rio.nodata

    def block(v, wv, rows, cols):
        # the weights as they are, their nodata by the comparison block != nodata: no float64 copy of each block in
        # the graph, held until every table of a pass has read it (issue 16)
        w, valid = _weights_and_valid(wv, nd)
        return _bin_weighted_sums(binner.prepare(v), binner.lut, w, valid, legend.nbins)

    units = weights.attrs.get("units", "1")
    name = _name(classes, "classes")

    def finish(out: np.ndarray) -> pd.DataFrame:
        return weighted_class_frame(out, legend, units, name)

    pending = PendingTable(_block_parts(block, [classes, weights], (2, legend.nbins)), finish)
    return pending.compute() if compute else pending


def weighted_class_frame(out: np.ndarray, legend: Any, units: str, name: str) -> pd.DataFrame:
    """The table of :func:`weighted_class_sum` from its bin sums *out* (2, bins): weight sums, missing-weight cells."""
    _raise_other((out[0, legend.other_bin] != 0) + out[1, legend.other_bin], legend, name, "classes")
    rows = [("class", c, out[0, i]) for i, c in enumerate(legend.codes)]
    rows += [("water", None, out[0, legend.water_bin]), ("nodata", None, out[0, legend.nodata_bin])]
    df = pd.DataFrame(rows, columns=["kind", "class", "value"])
    df["class"] = df["class"].astype("Int64")
    df.attrs.update(units=units, missing_weight_cells=int(out[1].sum()))
    return df


def _weights_and_valid(block: np.ndarray, nodata: Any) -> tuple[np.ndarray, np.ndarray]:
    """A block of weights for :func:`~indicators.summarize_bins._bin_weighted_sums`: float32 or float64 as it is (other
    types as float64), and where it holds a value (``block != nodata``;
    ``EVERY_CELL`` without a declared nodata)."""
    block = np.asarray(block)
    w = block if block.dtype in (np.float32, np.float64) else block.astype(np.float64)
    return w, (block != nodata) if _declared(nodata) else EVERY_CELL


def _declared(nodata: Any) -> bool:
    return nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata))


def _weights_block_as_float(block: np.ndarray, nodata: Any) -> np.ndarray:
    """One block of the weights (their ``rio.nodata`` given) as float64, NaN where the block holds *nodata* (the
    comparison of :func:`_weights_and_valid`), converted where it is used rather than as a float64 copy of every block
    in the graph."""
    out = np.asarray(block, dtype=np.float64)
    if _declared(nodata):
        out = np.where(block != nodata, out, np.nan)
    return out

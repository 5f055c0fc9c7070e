"""Parts of the SO1 stage shared by its steps: the one dask pass, the period stacks and the 3-class legend of its
rasters, the recodes of a lazy layer, and :class:`So1Frame` (what the steps after the pass read)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..stage import Context


def three_legend(ctx: Context) -> list[Any]:
    """The specs' 3-class legend keyed by the codes the SO1 rasters store.

    The specs give the manual's meanings −1/0/+1; the rasters store them as the
    unsigned codes of :mod:`indicators.so1.encoding` (D15), so each entry is
    re-keyed through the meaning, never by position.
    """
    from ..report.figures import LegendEntry
    from ..so1.encoding import meaning_code

    legend = ctx.framework.legend("sdg_3class")
    entries = [LegendEntry(meaning_code(c.code), c.name, c.color or "#999999") for c in legend.classes]
    return sorted(entries, key=lambda e: e.code)


def period_stack(layers: Mapping[str, Any], name: str, attrs: Mapping[str, Any]) -> Any:
    """The per-period layers stacked on a ``period`` dimension (one map of the report), named *name*, with *attrs*."""
    import xarray as xr

    da = xr.concat(list(layers.values()), dim="period", combine_attrs="override").assign_coords(period=list(layers))
    da.attrs = dict(attrs)
    return da.rename(name)


class OnePass:
    """What the SO1 stage computes in ONE dask pass (bench_sdg's pipeline): pending national tables
    (``compute=False``) and the layers that the report and the later tables read, written block by block to
    temporary GeoTIFFs (:func:`indicators.io.store_rasters`).  Every input block is decoded once and no
    whole raster is held in memory; the later tables read the stored files."""

    def __init__(self) -> None:
        self.tables: dict[Any, Any] = {}
        self.layers: dict[Any, Any] = {}

    def table(self, key: Any, pending: Any) -> None:
        self.tables[key] = pending

    def store(self, key: Any, layer: Any, *, crs: Any, nodata: Any) -> None:
        """Store *layer* (y, x) with its CRS and an explicit nodata (an input's encoding must not leak into it)."""
        self.layers[key] = layer.rio.write_crs(crs).rio.write_nodata(nodata, encoded=False)

    def run(self, ctx: Context) -> tuple[dict[Any, Any], dict[Any, Any]]:
        """(computed tables, stored layers as lazy file-backed rasters), by key."""
        keys = list(self.tables)
        from ..io import store_rasters

        # with a cluster, its workers write the blocks they compute through the file paths (shared=True)
        store = store_rasters(self.layers, shared=ctx.progress.client is not None, scratch=ctx.scratch)
        ctx.keep(store)
        values = ctx.compute_tables(*self.tables.values(), store.banded)  # by bands of rows: memory flat in the grid
        # the grid's own coordinates (a file's are recomputed from its transform and may differ in the last bits,
        # which would misalign them with the inputs)
        stored = {k: v.assign_coords({d: self.layers[k][d] for d in ("y", "x")}) for k, v in store.open().items()}
        return dict(zip(keys, values[:len(keys)])), stored


def recoded(layer: Any, polygons: Any, period: str) -> Any:
    """:func:`indicators.so1.sdg.apply_recodes` of a lazy layer (polygons already in its CRS)."""
    from ..so1.sdg import apply_recodes

    return apply_recodes(layer, polygons, period=period)


@dataclass
class So1Frame:
    """What the SO1 stage's steps after the one pass share: the periods, the 7-class land cover and its legend, the
    land of each period and its area, the pass's tables and its stored layers."""

    periods: list[Any]
    reports: list[Any]
    with_status: bool
    codes7: list[int]
    names7: dict[int, str]
    lc7: Any
    lc_years: list[int]
    lc_sel: Any
    land_of: dict[str, Any]
    water_year: dict[str, int]
    la: Any
    official: float | None
    total_land: dict[Any, float]
    out_note: str
    tabs: dict[Any, Any]
    stored: dict[Any, Any]

    @property
    def keys(self) -> list[str]:
        return [p.id for p in self.periods]

    def layer(self, name: str, k: Any) -> Any:
        """A layer the pass stored, as a lazy file-backed raster."""
        return self.stored[(name, k)]

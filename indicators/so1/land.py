"""The run's land cover in the 7 UNCCD classes and the D3 land mask, cached on a stage :class:`~indicators.stage.Context`.

SO1 computes with them and SO3 takes its land from the same mask (one land area for every objective).
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..stage import Context
from .land_cover import nest_land_cover


def land_cover_7(ctx: Context) -> Any:
    """Land cover nested into the 7 UNCCD classes (year, y, x), from input ``land_cover`` (cached)."""
    if "lc7" not in ctx._cache:
        fw = ctx.framework
        lc = fw.parameters("land_cover")
        source = fw.legend(lc.source_legend)
        target = fw.legend(lc.legend)
        raw = ctx.land_cover_source()
        nodata = [source.nodata] if source.nodata is not None else []
        ctx._cache["lc7"] = nest_land_cover(raw, fw.nesting(lc.nesting).model_dump(mode="json"), nodata_codes=nodata,
                                            names={c.code: c.name for c in target.classes})
    return ctx._cache["lc7"]


def land_mask(ctx: Context, indicator: str, *, year: int | None = None) -> Any:
    """True on land (D3): not inland water in the baseline's first land-cover year; None without land cover.

    With the specs' ``land_area.water_year: each_period``, *year* (a period's first land-cover
    year) gives that year's water instead; without *year* it is the baseline's.
    """
    if not ctx.has("land_cover"):
        return None
    fw = ctx.framework
    la = fw.parameters("land_area")
    base = int(fw.period("baseline").land_cover.initial)
    each = la.water_year == "each_period"
    year = int(year) if each and year is not None else base
    key = f"land_mask:{year}"
    if key not in ctx._cache:
        lc7 = land_cover_7(ctx)
        if year not in [int(v) for v in lc7["year"].values]:
            which = "the baseline's first year" if year == base else "a period's first year"
            raise InputError(f"inputs.land_cover: no layer for {year}, {which}, which defines inland water (D3)")
        ctx._cache[key] = (lc7.sel(year=year, drop=True) != la.water_class).rename("land_mask")
    when = "each period's first land-cover year" if each else "the baseline's first land-cover year"
    ctx.choose(indicator, "D3", "Total land area: valid cells inside the boundary minus inland water "
               f"(class {la.water_class} in {when}).")
    return ctx._cache[key]

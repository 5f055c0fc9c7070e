"""The run's land cover in the 7 UNCCD classes and the D3 land mask, cached on a stage :class:`~indicators.stage.Context`.

SO1 computes with them and SO3 takes its land from the same mask (one land area for every objective).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import InputError
from ..stage import Context, Need
from .land_cover import nest_land_cover


def national_land_cover(fw: Any) -> tuple[Any, Any] | None:
    """The specs' national land cover: (legend, nesting) of input ``land_cover_national`` when the parameters
    ``land_cover.national_legend`` and ``land_cover.national_nesting`` name them, else None (the input is then
    recorded, not read)."""
    lc = fw.parameters("land_cover")
    if lc.national_legend is None or lc.national_nesting is None:
        return None
    return fw.legend(lc.national_legend), fw.nesting(lc.national_nesting)


def national_land_cover_needs(inputs: Mapping[str, Any], fw: Any) -> list[Need]:
    """Input ``land_cover_national`` as a stage that reads the 7-class land cover needs it (on the common grid)."""
    if "land_cover_national" in inputs and national_land_cover(fw) is not None:
        return [Need("land_cover_national", "raster")]
    return []


def land_cover_7class(fw: Any, raw: Any, national: Any = None) -> Any:
    """The 7 UNCCD classes (year, y, x) from land cover *raw* in the specs' source legend and, when the specs name
    a national legend and nesting (:func:`national_land_cover`), *national* (year, y, x) in that legend: each of its
    years replaces (or adds) that year of *raw*, each nested through its own nesting (decision 11/COP.14:
    national data where the country has them, the default data elsewhere)."""
    import xarray as xr

    lc = fw.parameters("land_cover")
    source, target = fw.legend(lc.source_legend), fw.legend(lc.legend)
    names = {c.code: c.name for c in target.classes}

    def nest(da: Any, legend: Any, nesting: Any) -> Any:
        nodata = [legend.nodata] if legend.nodata is not None else []
        return nest_land_cover(da, nesting.model_dump(mode="json"), nodata_codes=nodata, names=names)

    lc7 = nest(raw, source, fw.nesting(lc.nesting))
    spec = national_land_cover(fw)
    if national is None or spec is None:
        return lc7
    nat7 = nest(national, *spec)
    years = [int(y) for y in nat7["year"].values]
    kept = lc7.sel(year=[int(y) for y in lc7["year"].values if int(y) not in years])
    nat7 = nat7.assign_coords(y=lc7["y"], x=lc7["x"])  # on the common grid (checked before computing)
    merged = xr.concat([kept, nat7], dim="year", combine_attrs="override").sortby("year")
    merged.attrs["national_years"] = years
    return merged


def land_cover_7(ctx: Context) -> Any:
    """Land cover nested into the 7 UNCCD classes (year, y, x), from input ``land_cover`` and, where the specs
    name its legend and nesting, ``land_cover_national`` (cached; :func:`land_cover_7class`)."""
    if "lc7" not in ctx._cache:
        fw = ctx.framework
        national = None
        spec = national_land_cover(fw)
        if spec is not None and ctx.has("land_cover_national"):
            legend = spec[0]
            national = ctx.raster("land_cover_national", legend={c.code: c.name for c in legend.classes},
                                  long_name=f"national land cover ({legend.name})")
            if "year" not in national.dims:
                raise InputError("inputs.land_cover_national: give its year (years: 2019) or one file per year")
        ctx._cache["lc7"] = land_cover_7class(fw, ctx.land_cover_source(), national)
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

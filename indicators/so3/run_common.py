"""What the SO3 stages share: the land mask of a reporting year or epoch, and trend tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..report.tables import Table
from ..so1.land import land_mask
from ..stage import Context


def so3_land_year(fw: Any, year: int) -> int:
    """The land-cover year whose inland water masks SO3 year *year* under ``land_area.water_year: each_period``.

    Mirrors SO1, where each period's water is that of the period's first land-cover year: a
    year takes the first land-cover year of the latest period of the edition that starts on or
    before it (ties: the first listed); a year before every period takes the baseline's.  2026:
    2000-2015 → 2000 (baseline), 2016-2023 → 2016 (both reporting periods start in 2016).
    Four-year epochs use the rule for their first year.
    """
    started = [p for p in fw.periods() if int(p.years[0]) <= int(year)]
    if not started:
        return int(fw.period("baseline").land_cover.initial)
    latest = max(int(p.years[0]) for p in started)
    return int(next(p for p in started if int(p.years[0]) == latest).land_cover.initial)


def so3_land_years(fw: Any, years: Iterable[int]) -> list[int]:
    """The land-cover years SO3 reads for inland water (D3) over *years*."""
    if fw.parameters("land_area").water_year != "each_period":
        return [int(fw.period("baseline").land_cover.initial)]
    return sorted({so3_land_year(fw, y) for y in years})


def so3_land_mask(ctx: Context, indicator: str, labels: Sequence[Any], *, dim: str = "year",
                   first_years: Mapping[Any, int] | None = None) -> Any:
    """SO3's land mask (D3): True on land, None without land cover.

    With ``land_area.water_year: baseline_initial`` one 2-D mask, the baseline's first land-cover
    year.  With ``each_period`` one mask per label along *dim* (years, or epochs whose first years
    are *first_years*), each from :func:`so3_land_year`; the rule and the years used are recorded.
    """
    if not ctx.has("land_cover"):
        return None
    fw = ctx.framework
    if fw.parameters("land_area").water_year != "each_period":
        return land_mask(ctx, indicator)
    import pandas as pd
    import xarray as xr

    used = {lab: so3_land_year(fw, (first_years or {}).get(lab, lab)) for lab in labels}
    masks = [land_mask(ctx, indicator, year=used[lab]) for lab in labels]
    stacked = xr.concat(masks, dim=pd.Index(list(labels), name=dim), coords="minimal", compat="override")
    spans: dict[int, list[Any]] = {}
    for lab, y in used.items():
        spans.setdefault(y, []).append(lab)
    text = "; ".join(f"{dim} {v[0]}{'-' + str(v[-1]) if len(v) > 1 else ''}: land cover {y}" for y, v in spans.items())
    ctx.choose(indicator, "D3", "Inland water of each year (land_area.water_year: each_period): the first land-cover year "
               f"of the latest period starting on or before it ({text}).")
    ctx.record(indicator, f"land_area.water_year each_period ({dim})", {str(k): v for k, v in used.items()})
    return stacked


def so3_trend_table(ctx: Context, indicator: str, table: Any, *, value: str, filters: Mapping[str, Any], what: str,
                     tid: str | None = None) -> None:
    """Non-normative trend extras of an SO3 annual series (:func:`indicators.so3.hazard.drought_trends`): Mann-Kendall,
    Sen's slope, and the reporting period's mean against the baseline's (the edition's baseline and reporting years)."""
    import pandas as pd

    from ..so3.hazard_tables import drought_trends

    periods = list(ctx.framework.periods())
    base = next(p for p in periods if p.id == "baseline")
    reports = [p for p in periods if p.id != "baseline"]
    if not reports:
        return
    span = (int(reports[-1].years[0]), int(reports[-1].years[1]))
    t = drought_trends(table, baseline=(int(base.years[0]), int(base.years[1])), period=span, value=value, filters=filters)
    mk = t["mann_kendall"]
    row = {"series": what, "baseline": f"{base.years[0]}-{base.years[1]}", "period": f"{span[0]}-{span[1]}",
           "baseline_mean": t.get("baseline_mean"), "period_mean": t.get("period_mean"), "difference": t.get("difference"),
           "sens_slope_per_year": t["sens_slope_per_year"], "mann_kendall_z": mk.get("z"), "mann_kendall_p": mk.get("p")}
    ctx.add_table(Table(tid or f"{indicator}.trend", f"{what}: trend extras (non-normative)", pd.DataFrame([row]),
                        notes=[str(t["note"])]))

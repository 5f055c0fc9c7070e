"""CP-1, the country profile of the 2026 edition: land area (CP-1.T1) and demographics (CP-1.T2).

The 2026 manual (introduction, "Country profile") moves the land area out of SO1-1 into CP-1.T1 (total land,
water bodies and total country area, km², for 2000, 2015, 2019 and 2023 or the closest years) and adds the
national population by sex (CP-1.T2, annual since 2000).  Both are written only where the run's edition declares
them (specs: ``editions[].country_profile_tables``).  CP-1.T1 is SO1-1.T1 at the periods' boundary years, the
same numbers; CP-1.T2 is the national population input.  Layout: docs/decisions.md D25.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .report.tables import Table

LAYOUT_NOTE = "Layout decided by the project where the manual leaves it open (docs/decisions.md, D25)."


def declared(ctx: Any, table_id: str) -> bool:
    """True when the run's edition declares the country-profile table *table_id*."""
    return any(t.id == table_id for t in ctx.framework.edition_spec().country_profile_tables)


def profile_years(periods: Any) -> list[int]:
    """The land-area years of CP-1.T1: the first period's initial land-cover year and every period's final year."""
    periods = list(periods)
    years = [periods[0].land_cover.initial, *(p.land_cover.final for p in periods)]
    return sorted(set(int(y) for y in years))


def land_area_profile(land_area: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """CP-1.T1: the rows of SO1-1.T1 (*land_area*, a ``row`` column and one column per year) at *years*."""
    t = land_area.rename(columns={c: str(c) for c in land_area.columns})
    return t[["row", *[str(y) for y in years if str(y) in t.columns]]].reset_index(drop=True)


def add_land_area_profile(ctx: Any, land_area: pd.DataFrame, periods: Any) -> None:
    """CP-1.T1 from SO1-1.T1, where the edition declares it."""
    if not declared(ctx, "CP-1.T1"):
        return
    t = land_area_profile(land_area, profile_years(periods))
    ctx.add_table(Table("CP-1.T1", "Country profile: total land area, water bodies and total country area, km²", t,
                        units={c: "km**2" for c in t.columns if c != "row"},
                        notes=["The numbers of SO1-1.T1 (the SDG 15.3.1 denominator) at the first land-cover year and "
                               "each period's final land-cover year.", LAYOUT_NOTE]))


def population_profile(totals: Mapping[int, Mapping[str, float]]) -> pd.DataFrame:
    """CP-1.T2: one row per year, the total, female and male population (persons; missing: empty)."""
    rows = [{"year": int(y), **{k: float(v[k]) if k in v else float("nan") for k in ("total", "female", "male")}}
            for y, v in sorted(totals.items())]
    return pd.DataFrame(rows, columns=["year", "total", "female", "male"])


def add_population_profile(ctx: Any, totals: Mapping[int, Mapping[str, float]] | None) -> None:
    """CP-1.T2 from the national population input (persons), where the edition declares it."""
    if not declared(ctx, "CP-1.T2") or not totals:
        return
    ctx.add_table(Table("CP-1.T2", "Country profile: national population, total, female and male, per year",
                        population_profile(totals), units={"total": "person", "female": "person", "male": "person"},
                        notes=["Input population_national (the denominators of SO3-2 under the 2026 edition), in "
                               "persons; the platform takes thousands (divide by 1000).", LAYOUT_NOTE]))

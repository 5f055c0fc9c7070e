"""SO2-3.T2 / T3: the population exposed to land degradation of one sex (women, men), sliced from SO2-3.T1.

The manual's SO2-3 has a table per sex besides the total, like SO3-2 (T1 total, T2 female, T3 male); SO2-3.T1 keeps
every column (its values are unchanged), T2 and T3 repeat its rows with one sex's count and percentage
(docs/decisions.md D19).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..report.tables import Table

KEYS = ["period", "population_year", "level", "unit", "class"]


def one_sex_table(t1: pd.DataFrame, sex: str) -> pd.DataFrame:
    """Rows of SO2-3.T1 with the count and percentage of *sex* (``female`` or ``male``)."""
    out = t1[[c for c in KEYS if c in t1.columns] + [sex, f"percent_{sex}"]].copy()
    return out.rename(columns={sex: "population", f"percent_{sex}": "percent"})


def add_sex_tables(ctx: Any, t1: pd.DataFrame, basis_note: str) -> None:
    for tid, sex, who in (("SO2-3.T2", "female", "Female"), ("SO2-3.T3", "male", "Male")):
        if sex not in t1.columns:  # no population_<sex> input: nothing to slice, and no number is made up
            ctx.choose("SO2-3", "D19", f"{tid} ({sex} population) not written: the configuration has no "
                       f"population_{sex} input.")
            continue
        ctx.add_table(Table(tid, f"{who} population on degraded, stable and improved land", one_sex_table(t1, sex),
                            units={"population": "person", "percent": "percent"},
                            notes=[f"The {sex} columns of SO2-3.T1. {basis_note}",
                                   "Layout decided by the project where the manual leaves it open (docs/decisions.md, D19)."]))

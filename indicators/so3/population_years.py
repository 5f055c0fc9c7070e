"""Which population grid serves a drought year or a four-year epoch (SO3-2; SO2-3 uses the year rule too).

Methodology Part B §3.3: a missing population year is filled with the nearest available year; an epoch takes its
most recent grid (PRAIS22 §3.2 Step 4).
"""

from __future__ import annotations

from collections.abc import Sequence

import xarray as xr

from ..errors import InputError


def nearest_population_year(target: int, available: Sequence[int]) -> int:
    """The available population year nearest to *target*; a tie goes to the later year.

    Example: population for 2000–2020 and a drought year 2023 → 2020 (PRAIS26
    duplicates the 2020 grid for 2021–2023).
    """
    years = sorted(int(y) for y in available)
    if not years:
        raise InputError("no population year is available")
    return min(years, key=lambda y: (abs(y - int(target)), -y))


def epoch_population_year(first: int, last: int, available: Sequence[int]) -> tuple[int, str]:
    """The population grid of the epoch [*first*, *last*] and a note on how it was chosen.

    PRAIS22 §3.2 Step 4 (methodology Part B §3.3): "the most recent population
    grid of that epoch", i.e. the latest available year inside the epoch; with
    none inside, the latest year before the epoch; with none before either,
    the earliest year after it (the nearest-year fill of §3.3). A grid after
    the epoch is never taken while an earlier one exists.

    Example: grids 2000, 2005, 2010 and the epoch 2000–2003 → 2000 (2005 lies
    after the epoch although it is nearer to its end).

    Returns
    -------
    (year, note) : the year used and ``"inside the epoch"``, ``"latest before the
    epoch"`` or ``"earliest after the epoch (no grid in or before it)"``.
    """
    years = sorted({int(y) for y in available})
    if not years:
        raise InputError("no population year is available")
    first, last = int(first), int(last)
    if last < first:
        raise InputError(f"epoch {first}-{last} ends before it starts")
    inside = [y for y in years if first <= y <= last]
    if inside:
        return inside[-1], "inside the epoch"
    before = [y for y in years if y < first]
    if before:
        return before[-1], "latest before the epoch"
    return years[0], "earliest after the epoch (no grid in or before it)"


def _grid_for(pop: xr.DataArray, year: int, epoch: tuple[int, int] | None = None,
              fill: str = "nearest") -> tuple[xr.DataArray, int | None, str]:
    """The population grid for a year (nearest available; with ``fill="none"`` that year's or an error) or an epoch
    (its most recent grid)."""
    if "year" not in pop.dims:
        return pop, None, "single grid"
    available = [int(v) for v in pop["year"].values]
    if epoch is None:
        if fill == "none" and int(year) not in available:
            raise InputError(f"no population grid for {year} (available: {sorted(available)}) and "
                             "population_year_fill is 'none'; add that year's grid or fill from the nearest year "
                             "(drought_exposure.population_year_fill: nearest)")
        used, how = nearest_population_year(year, available), "nearest available year"
    else:
        used, how = epoch_population_year(epoch[0], epoch[1], available)
    return pop.sel(year=used, drop=True), used, how

"""Units: one pint registry for the whole package, and the checks at the boundary.

Compute functions receive plain numbers in documented units; the boundary
(:func:`conversion_factor`, :func:`check_dimension`) converts whatever the user
declared into those units, or raises a :class:`~indicators.errors.UnitError`
naming the value and the expected dimension.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pint

from .errors import UnitError


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The package's unit registry (built once, on first use)."""
    ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    # Currencies are kept as independent base dimensions; conversion between
    # them is done with an exchange-rate table, never by pint.
    ureg.define("USD = [currency_usd]")
    ureg.define("person = [population] = people = persons = inhabitant")
    return ureg


_CF_POWER = re.compile(r"(?<![\w*^])([A-Za-z_]+)(-?\d+)(?![\w.])")


def _from_cf_syntax(text: str) -> str:
    """Turn CF/UDUNITS unit syntax ("kg m-2 s-1") into pint syntax ("kg * m**-2 * s**-1")."""
    s = text.strip()
    if not s or any(op in s for op in ("/", "*", "^")):
        return s
    tokens = s.split()
    if len(tokens) == 1 and not _CF_POWER.fullmatch(tokens[0]):
        return s
    return " * ".join(_CF_POWER.sub(r"\1**\2", tok) for tok in tokens)


@lru_cache(maxsize=4096)
def _parsed(text: str) -> pint.Unit:
    """The parsed unit of *text* (cached: a run checks the same few unit strings thousands of times)."""
    return registry().Unit(_from_cf_syntax(text))


def parse_unit(text: str, *, where: str = "") -> pint.Unit:
    """Parse a unit string (pint or CF/UDUNITS syntax); raise UnitError naming *where* when it does not parse."""
    try:
        return _parsed(text)
    except Exception as exc:  # pint raises several unrelated types
        loc = f"{where}: " if where else ""
        raise UnitError(f"{loc}unit {text!r} does not parse ({exc}); use a pint unit such as 'km**2', 'mm/month' or 'percent'") from None


def check_dimension(unit: str, expected: str, *, where: str = "") -> None:
    """Raise UnitError unless *unit* has the same dimensionality as *expected*."""
    ureg = registry()
    u = parse_unit(unit, where=where)
    e = parse_unit(expected, where=where)
    if u.dimensionality != e.dimensionality:
        loc = f"{where}: " if where else ""
        raise UnitError(
            f"{loc}unit {unit!r} has dimension {u.dimensionality}, expected one compatible with {expected!r} ({e.dimensionality})"
        )
    del ureg


def conversion_factor(src: str, dst: str, *, where: str = "") -> float:
    """Multiplicative factor that converts a value in *src* units to *dst* units."""
    check_dimension(src, dst, where=where)
    return _factor(src, dst)


@lru_cache(maxsize=4096)
def _factor(src: str, dst: str) -> float:
    return float(registry().Quantity(1.0, parse_unit(src)).to(parse_unit(dst)).magnitude)


def monthly_water_to_mm(units: str, days_in_month: np.ndarray) -> np.ndarray:
    """Per-time-step factors that turn a monthly water amount in *units* into mm per month.

    Parameters
    ----------
    units : str
        Any pint/CF unit of a monthly precipitation (or evapotranspiration)
        amount or rate: a depth (``mm``, ``m``), a mass per area (``kg m-2``,
        taken as water), a rate per calendar month (``mm/month``: the value *is*
        the month's total) or a physical rate (``mm/day``, ``m s-1``,
        ``kg m-2 s-1``), which is multiplied by the month's length.
    days_in_month : ndarray of int
        Length of each time step's month in days.

    Returns
    -------
    ndarray of float64, one factor per time step.
    """
    ureg = registry()
    u = parse_unit(units, where="precipitation units")
    q = ureg.Quantity(1.0, u)
    mm = ureg.Unit("mm")
    water = ureg.Quantity(1000.0, "kg / m**3")
    days = np.asarray(days_in_month, dtype="float64")
    # mass per area (or its rate) is water: divide by the density of water
    if q.dimensionality == (ureg.Quantity(1.0, "kg/m**2")).dimensionality or q.dimensionality == (
        ureg.Quantity(1.0, "kg/m**2/s")
    ).dimensionality:
        q = q / water
    if q.dimensionality == ureg.Quantity(1.0, mm).dimensionality:
        return np.full(days.shape, float(q.to(mm).magnitude))
    if q.dimensionality == ureg.Quantity(1.0, "mm/s").dimensionality:
        if "month" in str(u):
            # "per month" means per calendar month: the value is already the month's total
            return np.full(days.shape, float((q * ureg.Quantity(1.0, "month")).to(mm).magnitude))
        per_day = float((q * ureg.Quantity(1.0, "day")).to(mm).magnitude)
        return per_day * days
    raise UnitError(
        f"precipitation units {units!r} are neither a depth (mm), a mass per area (kg m-2) nor a rate "
        "(mm/month, mm/day, kg m-2 s-1); declare the input's units in attrs['units'] or with units="
    )

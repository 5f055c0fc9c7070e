"""Units: one pint registry for the whole package, and the checks at the boundary.

Compute functions receive plain numbers in documented units; the boundary
(:func:`conversion_factor`, :func:`check_dimension`) converts whatever the user
declared into those units, or raises a :class:`~indicators.errors.UnitError`
naming the value and the expected dimension.
"""

from __future__ import annotations

import re
from functools import lru_cache

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


def parse_unit(text: str, *, where: str = "") -> pint.Unit:
    """Parse a unit string (pint or CF/UDUNITS syntax); raise UnitError naming *where* when it does not parse."""
    ureg = registry()
    try:
        return ureg.Unit(_from_cf_syntax(text))
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
    ureg = registry()
    return float(ureg.Quantity(1.0, parse_unit(src)).to(parse_unit(dst)).magnitude)

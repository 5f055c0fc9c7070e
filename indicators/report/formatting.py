"""How a number is shown: one formatting layer for the HTML report, the XLSX workbook and tables.json.

The values written to CSV and JSON keep their precision; only presentation
rounds.  A column's *quantity* (area, percentage, people, money, carbon, a
p-value, a dimensionless index) is read from its declared unit, or from its
name where no unit is declared (``*_km2``, ``*_pct``, ``population``), and
fixes three things:

* the unit as a UDUNITS/CF string for machines (``km2``, ``%``, ``t ha-1``);
* the unit as a reader sees it (``km²``, ``%``, ``persons``, ``t C/ha``);
* the decimals shown (areas to 0.01 km², percentages to 0.01, people to the person).

Missing values ("not applicable": NaN, ``None``, pandas' ``NA``) are shown as
empty cells, and p-values below 0.001 as ``< 0.001``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from collections.abc import Callable
from typing import Any

import numpy as np

from .i18n import number_format, translate


@dataclass(frozen=True)
class Quantity:
    """What a column holds, as presentation needs it."""

    kind: str  # area, percent, people, money, carbon, carbon_density, p_value, index, count, year, text
    cf_unit: str | None  # UDUNITS/CF string, e.g. "km2"; None: no unit (text, years, counts)
    decimals: int | None  # places shown; None: as written (text, integers)


_AREA = Quantity("area", "km2", 2)
_PERCENT = Quantity("percent", "%", 2)
_PEOPLE = Quantity("people", "person", 0)
_MONEY = Quantity("money", "USD", 0)
_CARBON = Quantity("carbon", "t", 0)
_CARBON_DENSITY = Quantity("carbon_density", "t ha-1", 2)
_P_VALUE = Quantity("p_value", "1", 3)
_INDEX = Quantity("index", "1", 3)
_COUNT = Quantity("count", None, 0)
_YEAR = Quantity("year", None, None)
_PLAIN = Quantity("number", None, 3)

# declared units (pint's spelling as the runner writes them, and UDUNITS spellings) -> quantity
_BY_UNIT: dict[str, Quantity] = {
    "km**2": _AREA, "km2": _AREA, "km^2": _AREA, "square_kilometer": _AREA,
    "percent": _PERCENT, "%": _PERCENT, "pct": _PERCENT,
    "person": _PEOPLE, "persons": _PEOPLE, "people": _PEOPLE,
    "usd": _MONEY, "USD": _MONEY,
    "t": _CARBON, "tonne": _CARBON, "t C": _CARBON,
    "t/ha": _CARBON_DENSITY, "t ha-1": _CARBON_DENSITY, "tonne / hectare": _CARBON_DENSITY,
    "1": _INDEX, "": _INDEX, "dimensionless": _INDEX,
}

# column-name rules where no unit is declared (first match wins)
_BY_NAME: list[tuple[str, Quantity]] = [
    (r"(^|_)p$|_p_value$|mann_kendall_p$", _P_VALUE),
    (r"(^|_)(year|first_year|last_year|population_year|period_start|period_end|status_yr)$", _YEAR),
    (r"_km2$|^area$", _AREA),
    (r"_pct$|^percent|_percent$|^share$|^change_pct$|percent_points$", _PERCENT),
    (r"^(population|female|male|denominator)$|^population_", _PEOPLE),
    (r"_usd$", _MONEY),
    (r"_t_per_ha$", _CARBON_DENSITY),
    (r"_t$", _CARBON),
    (r"^(n_|cells$)|_cells$|^n$", _COUNT),
    (r"(tau|_z|spei|spi|dvi|rli|gini|slope|mean|difference|index|tolerance)", _INDEX),
]

#: how each CF unit reads, per language (the catalogue holds the words)
_LABEL_KEYS = {"km2": "unit.km2", "%": "unit.percent", "person": "unit.persons", "USD": "unit.usd",
               "t": "unit.t_c", "t ha-1": "unit.t_c_per_ha"}


def _rate(unit: str | None) -> tuple[str | None, bool]:
    """``("percent", True)`` for ``percent/year``: a per-year rate of a known unit."""
    if unit and str(unit).strip().endswith("/year"):
        return str(unit).strip()[: -len("/year")], True
    return unit, False


@lru_cache(maxsize=4096)  # asked per cell of a report's tables (10⁶ cells): the regex rules once per column
def quantity_of(column: str, unit: str | None = None) -> Quantity:
    """The quantity of *column*, from its declared *unit* first, then its name."""
    unit, _ = _rate(unit)
    if unit is not None and str(unit).strip() == "year":
        return _YEAR
    if unit is not None and str(unit).startswith("percent"):
        unit = "percent"  # e.g. "percent (Gini index 0-100)"
    if unit is not None and str(unit).strip() in _BY_UNIT:
        q = _BY_UNIT[str(unit).strip()]
        # a dimensionless p-value is still a p-value
        if q is _INDEX and re.search(_BY_NAME[0][0], column):
            return _P_VALUE
        return q
    name = column.lower()
    for pattern, q in _BY_NAME:
        if re.search(pattern, name):
            return q
    return _PLAIN


def cf_unit(column: str, unit: str | None = None) -> str | None:
    """The UDUNITS/CF unit string of *column* (``km2``, ``%``, ``person``, ``USD``, ``t ha-1``, ``1``), or None."""
    base, per_year = _rate(unit)
    q = quantity_of(column, unit)
    cf = str(base).replace("**", "") if q is _PLAIN and base else q.cf_unit
    if per_year and cf is not None:
        return "year-1" if cf == "1" else f"{cf} year-1"
    return cf


def unit_label(column: str, unit: str | None = None, language: str = "en") -> str:
    """The unit of *column* as a reader sees it (``km²``, ``%``, ``persons``, ``t C/ha``); empty if none."""
    cf = cf_unit(column, unit)
    if cf is None or cf == "1":
        return ""
    per_year = cf.endswith("year-1")
    base = cf[: -len("year-1")].strip() if per_year else cf
    key = _LABEL_KEYS.get(base)
    text = translate(key, language) if key else base
    if per_year:
        return translate("unit.per_year", language).format(unit=text) if text else translate("unit.per_year_bare", language)
    return text


def format_value(value: Any, column: str, unit: str | None = None, language: str = "en") -> str:
    """*value* as text for a report cell: decimals per quantity, ``< 0.001`` for small p-values, empty if missing."""
    return value_formatter(column, unit, language)(value)


@lru_cache(maxsize=4096)
def value_formatter(column: str, unit: str | None = None, language: str = "en") -> Callable[[Any], str]:
    """:func:`format_value` of one column: its quantity and words looked up once, not per cell (a 2000² run's
    report formats 1.4 million cells)."""
    import pandas as pd

    q = quantity_of(column, unit)
    yes, no = translate("value.yes", language), translate("value.no", language)
    small_p = "< " + _number(0.001, 3, language)
    whole = q is _YEAR or q is _PLAIN  # an integer shown as it is

    def text(value: Any) -> str:
        # a float first (most cells); then None, NA and NaT (missing), a bool before an int (bool is an int)
        if isinstance(value, (float, np.floating)):
            v = float(value)
            if math.isnan(v):
                return ""
            if math.isinf(v):
                return "∞" if v > 0 else "−∞"
            if q is _P_VALUE and 0 <= v < 0.001:
                return small_p
            if q is _YEAR or q.decimals is None:
                return str(int(v)) if v.is_integer() else _number(v, 3, language)
            return _number(v, q.decimals, language, group=True)
        if value is None or value is pd.NA or value is pd.NaT:
            return ""
        if isinstance(value, (bool, np.bool_)):
            return yes if value else no
        if isinstance(value, (np.integer, int)):
            return str(int(value)) if whole else _number(float(value), 0, language, group=True)
        return str(value)

    return text


@lru_cache(maxsize=4096)
def floats_formatter(column: str, unit: str | None = None, language: str = "en") -> Callable[[list[float]], list[str]]:
    """``[format_value(v, column, unit, language) for v in values]`` of Python floats only (a float column's
    values), a column at once: each value formatted by one ``format`` and only the odd texts (a sign, NaN,
    infinity) looked at again; a 6000² run's report shows ~0.6 M float cells."""
    q = quantity_of(column, unit)
    one = value_formatter(column, unit, language)
    if q is _YEAR or q.decimals is None:  # whole numbers shown as integers: value by value
        return lambda values: [one(v) for v in values]
    fixed = f"{{:,.{q.decimals}f}}".format  # _number's text, with grouping
    marks = number_format(language)

    def texts(values: list[float]) -> list[str]:
        out = [t if t[0] in _DIGITS else _odd_text(t) for t in map(fixed, values)]
        if marks != (".", ","):
            out = [_with_marks(t, marks) for t in out]
        if q is _P_VALUE:
            small_p = one(0.0)
            out = [small_p if 0 <= v < 0.001 else t for v, t in zip(values, out)]
        return out

    return texts


_DIGITS = frozenset("0123456789")


def _odd_text(text: str) -> str:
    """A formatted float that does not start with a digit as :func:`value_formatter` shows it: NaN empty,
    infinities as ``∞``, a negative number with a true minus sign, never ``-0``."""
    if text == "nan":
        return ""
    if text in ("inf", "-inf"):
        return "∞" if text == "inf" else "−∞"
    return _signed(text)


def _signed(text: str) -> str:
    """*text* (a number formatted with ``,`` and ``.``) never ``-0``, and a true minus sign."""
    if text.startswith("-") and re.fullmatch(r"-0(\.0+)?", text.replace(",", "")):
        text = text[1:]
    if text.startswith("-"):
        text = "−" + text[1:]  # a true minus sign reads better in print
    return text


def _with_marks(text: str, marks: tuple[str, str]) -> str:
    """*text* (formatted with ``,`` and ``.``) with the language's (decimal mark, group mark)."""
    decimal_mark, group_mark = marks
    return text.replace(",", "\x00").replace(".", decimal_mark).replace("\x00", group_mark)


def _number(value: float, decimals: int, language: str, *, group: bool = False) -> str:
    """Fixed decimals, the language's decimal mark and digit grouping, never ``-0``."""
    text = f"{value:,.{decimals}f}" if group else f"{value:.{decimals}f}"
    return _with_marks(_signed(text), number_format(language))


def column_label(column: str, unit: str | None = None, language: str = "en") -> str:
    """A column's header as a reader sees it: its name in words and its unit, e.g. ``area (km²)``."""
    name = translate(f"column.{column}", language, default=None)
    if name is None:
        name = re.sub(r"_(km2|pct|usd|t_per_ha|t)$", "", column) if quantity_of(column, unit) is not _PLAIN else column
        name = name.replace("_", " ")
    label = unit_label(column, unit, language)
    return f"{name} ({label})" if label else name

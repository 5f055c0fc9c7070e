"""Checks that every unit parses and has the dimension of what it measures (rule ``units``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..indicator_model import QUANTITY_UNITS
from .context import CheckContext


def _unit_check(ctx: CheckContext, loc: Sequence[Any], unit: str | None, expected: str | None, what: str) -> None:
    from ...errors import UnitError
    from ...units import check_dimension, parse_unit

    if unit is None:
        if expected is not None:
            ctx.add(loc, f"{what} needs a unit", f"add 'unit: {expected}' (or a unit of the same dimension)", "units")
        return
    try:
        parse_unit(unit)
    except UnitError:
        ctx.add(loc, f"unit {unit!r} does not parse", "write a pint/CF unit such as 'km**2', 'percent', 'person', 'USD', 't/ha'", "units")
        return
    if expected is not None:
        try:
            check_dimension(unit, expected)
        except UnitError:
            ctx.add(loc, f"unit {unit!r} does not have the dimension of {what} ({expected})", f"use {expected} or a unit convertible to it", "units")


def check_units(ctx: CheckContext) -> None:
    fw = ctx.fw
    for i, ind in enumerate(fw.indicators):
        for j, m in enumerate(ind.metrics):
            _unit_check(ctx, ("indicators", i, "metrics", j, "unit"), m.unit, QUANTITY_UNITS[m.quantity], f"a {m.quantity} metric")
    for i, cl in enumerate(fw.classifications):
        _unit_check(ctx, ("classifications", i, "unit"), cl.unit, None, "a classified variable")
    for i, fs in enumerate(fw.factor_sets):
        for j, f in enumerate(fs.factors):
            _unit_check(ctx, ("factor_sets", i, "factors", j, "unit"), f.unit, None, "a factor")
    for i, ed in enumerate(fw.editions):
        _unit_check(ctx, ("editions", i, "poverty_line", "unit"), ed.poverty_line.unit, "USD/day", "a poverty line (money per person per day)")
    b = fw.blocks
    if b.land_area is not None and b.land_area.official is not None:
        _unit_check(ctx, ("blocks", "land_area", "official", "unit"), b.land_area.official.unit, "km**2", "a land area")
    if b.area is not None:
        _unit_check(ctx, ("blocks", "area", "area_unit"), b.area.area_unit, "km**2", "an area")
    if b.trajectory is not None:
        _unit_check(ctx, ("blocks", "trajectory", "slope_floor_unit"), b.trajectory.slope_floor_unit, "1/year", "a slope per year")

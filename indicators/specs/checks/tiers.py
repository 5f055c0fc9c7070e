"""Checks of the tiers (decision D1): the 11/COP.14 drought tier only on SO3 indicators (rule ``tiers``)."""

from __future__ import annotations

from .context import CheckContext


def check_tiers(ctx: CheckContext) -> None:
    """D1: the SO3 tier (11/COP.14) is only on SO3 indicators; the other 'tiers' stay in their own fields."""
    seen: dict[int, str] = {}
    for i, ind in enumerate(ctx.fw.indicators):
        loc = ("indicators", i)
        if ind.objective == "SO3" and ind.parent is None:
            if ind.tier is None:
                ctx.add(loc + ("tier",), f"{ind.code} has no drought tier", "set tier: 1 (hazard), 2 (exposure) or 3 (vulnerability) per decision 11/COP.14", "tiers")
            elif ind.tier in seen:
                ctx.add(loc + ("tier",), f"tier {ind.tier} is already used by {seen[ind.tier]}", "each 11/COP.14 tier belongs to one progress indicator", "tiers")
            else:
                seen[ind.tier] = ind.code
            if ind.candidate_metric_basis is None:
                ctx.add(loc + ("candidate_metric_basis",), f"{ind.code} lacks the basis of its candidate metric", "copy it from the 11/COP.14 annex table", "tiers")
        elif ind.tier is not None:
            ctx.add(loc + ("tier",), f"'tier' is the SO3 drought tier of 11/COP.14 and {ind.code} is not an SO3 indicator",
                    "use reporting_tiers (SO5), assessment_tiers (SO3-3) or ipcc_tier (SOC) instead (decision D1)", "tiers")
        if ind.reporting_tiers and ind.objective != "SO5":
            ctx.add(loc + ("reporting_tiers",), "reporting tiers belong to SO5 indicators", "remove them or move them to an SO5 indicator", "tiers")
        if ind.assessment_tiers and ind.code != "SO3-3":
            ctx.add(loc + ("assessment_tiers",), "vulnerability-assessment tiers belong to SO3-3", "remove them", "tiers")

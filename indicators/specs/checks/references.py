"""Checks that ids are unique and that every reference names an existing item (rules ``unique_id``, ``reference``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from ..base_model import field_ref_kind
from ..parameter_model import MAX_REGIONAL_MATRICES, PARAMETER_BLOCKS
from .context import CheckContext, item_ids, repeated


def check_unique(ctx: CheckContext) -> None:
    fw = ctx.fw
    seen: dict[str, tuple] = {}
    for i, ind in enumerate(fw.indicators):
        for j, m in enumerate(ind.metrics):
            if m.id in seen:
                ctx.add(("indicators", i, "metrics", j, "id"), f"metric id {m.id!r} is used twice", "give each metric its own id", "unique_id")
            seen[m.id] = (i, j)
    for i, lg in enumerate(fw.legends):
        for code in repeated(lg.codes()):
            ctx.add(("legends", i, "classes"), f"class code {code} appears twice in legend {lg.id!r}", "give each class its own code", "unique_id")
    for i, ed in enumerate(fw.editions):
        for pid in repeated(p.id for p in ed.periods):
            ctx.add(("editions", i, "periods"), f"period {pid!r} appears twice in edition {ed.id}", "give each period its own id", "unique_id")
    for i, fs in enumerate(fw.factor_sets):
        for fid in repeated(f.id for f in fs.factors):
            ctx.add(("factor_sets", i, "factors"), f"factor {fid!r} appears twice", "give each factor its own id", "unique_id")
    for cid in repeated(c.id for c in fw.info.criteria):
        ctx.add(("info", "criteria"), f"criterion {cid!r} appears twice", "give each criterion its own id", "unique_id")
    for i, c in enumerate(fw.classifications):
        for code in repeated(k.code for k in c.classes):
            ctx.add(("classifications", i, "classes"), f"class code {code} appears twice", "give each interval its own code", "unique_id")



def _ref_problem(ctx: CheckContext, loc: Sequence[Any], kind: str, value: str) -> None:
    known = ", ".join(sorted(item_ids(ctx.fw, kind)))
    ctx.add(loc, f"{kind.replace('_', ' ')} {value!r} is not defined", f"use one of: {known}", "reference")


def _check_model_refs(ctx: CheckContext, model: BaseModel, loc: tuple) -> None:
    """Every field declared as a reference (x-ref) names an existing item."""
    for name in type(model).model_fields:
        kind = field_ref_kind(type(model), name)
        value = getattr(model, name)
        if kind:
            values = value if isinstance(value, tuple) else (value,)
            for k, v in enumerate(values):
                if v is not None and v not in item_ids(ctx.fw, kind):
                    _ref_problem(ctx, loc + ((name, k) if isinstance(value, tuple) else (name,)), kind, v)
        elif isinstance(value, BaseModel):
            _check_model_refs(ctx, value, loc + (name,))
        elif isinstance(value, tuple):
            for k, v in enumerate(value):
                if isinstance(v, BaseModel):
                    _check_model_refs(ctx, v, loc + (name, k))


def check_references(ctx: CheckContext) -> None:
    fw = ctx.fw
    objectives = {o.code for o in fw.objectives}
    codes = {i.code for i in fw.indicators}
    for i, ind in enumerate(fw.indicators):
        if ind.objective not in objectives:
            ctx.add(("indicators", i, "objective"), f"strategic objective {ind.objective!r} is not defined",
                    f"use one of: {', '.join(sorted(objectives))}", "reference")
        elif not ind.code.startswith(ind.objective + "-"):
            ctx.add(("indicators", i, "objective"), f"indicator {ind.code} is filed under {ind.objective}",
                    f"set objective: {ind.code.split('-')[0]}", "reference")
        for fname in ("parent", "multipurpose_of"):
            target = getattr(ind, fname)
            if target is not None and target not in codes:
                ctx.add(("indicators", i, fname), f"indicator {target!r} is not defined", "name an existing indicator code", "reference")
        if ind.parent is not None and not ind.code.startswith(ind.parent + "."):
            ctx.add(("indicators", i, "code"), f"sub-item {ind.code} does not start with its parent code {ind.parent}",
                    f"number it {ind.parent}.<n>", "reference")
        for j, m in enumerate(ind.metrics):
            mloc = ("indicators", i, "metrics", j)
            if not m.id.startswith(ind.code + "."):
                ctx.add(mloc + ("id",), f"metric {m.id!r} is listed under indicator {ind.code}", f"name it {ind.code}.<name>", "reference")
            _check_model_refs(ctx, m, mloc)
            for k, block in enumerate(m.parameters):
                if block not in PARAMETER_BLOCKS or getattr(fw.blocks, block) is None:
                    ctx.add(mloc + ("parameters", k), f"parameter block {block!r} is not defined", f"use one of: {', '.join(PARAMETER_BLOCKS)}", "reference")
    for section in ("legends", "nestings", "matrices", "classifications", "lookup_tables"):
        for i, item in enumerate(getattr(fw, section)):
            _check_model_refs(ctx, item, (section, i))
    _check_model_refs(ctx, fw.blocks, ("blocks",))
    prod = fw.blocks.productivity
    if prod is not None:
        if prod.lpd_source not in prod.lpd_sources:
            ctx.add(("blocks", "productivity", "lpd_source"), f"LPD source {prod.lpd_source!r} is not declared in lpd_sources",
                    f"use one of: {', '.join(prod.lpd_sources)}", "reference")
        if prod.combination_table not in prod.combination_presets:
            ctx.add(("blocks", "productivity", "combination_table"), f"{prod.combination_table!r} is not one of the combination presets",
                    "add it to combination_presets", "reference")
    dvi = fw.blocks.dvi
    if dvi is not None and dvi.weights and dvi.factor_set in item_ids(fw, "factor_set"):
        known = {f.id for f in fw.factor_set(dvi.factor_set).factors}
        for name in dvi.weights:
            if name not in known:
                ctx.add(("blocks", "dvi", "weights", name), f"factor {name!r} is not in factor set {dvi.factor_set!r}", f"use one of: {', '.join(sorted(known))}", "reference")
    _check_plausibility_parameters(ctx)
    _check_national_land_cover(ctx)
    _check_transition_matrices(ctx)
    soc = fw.blocks.soc
    if soc is not None:
        regimes = {r.id for r in soc.climate_regimes}
        for k, rid in enumerate(soc.climate_zone_to_regime):
            if rid != 0 and rid not in regimes:
                ctx.add(("blocks", "soc", "climate_zone_to_regime", k), f"climate regime {rid} is not defined", f"use 0 or one of {sorted(regimes)}", "reference")


def _check_national_land_cover(ctx: CheckContext) -> None:
    """land_cover.national_legend and national_nesting: both or neither, the nesting from that legend into
    land_cover.legend (what input land_cover_national is read through)."""
    lc = ctx.fw.blocks.land_cover
    if lc is None or (lc.national_legend is None and lc.national_nesting is None):
        return
    loc = ("blocks", "land_cover")
    if lc.national_legend is None or lc.national_nesting is None:
        missing = "national_legend" if lc.national_legend is None else "national_nesting"
        ctx.add(loc + (missing,), f"{missing} is not set but its pair is", "set both national_legend and national_nesting, "
                "or neither", "reference")
        return
    if lc.national_nesting not in item_ids(ctx.fw, "nesting"):
        return  # reported as an undefined reference
    ns = ctx.fw.nesting(lc.national_nesting)
    if str(ns.child_legend) != str(lc.national_legend) or str(ns.parent_legend) != str(lc.legend):
        ctx.add(loc + ("national_nesting",), f"nesting {ns.id!r} nests {ns.child_legend!r} into {ns.parent_legend!r}, "
                f"not national_legend {lc.national_legend!r} into legend {lc.legend!r}",
                f"name a nesting from {lc.national_legend!r} into {lc.legend!r}", "reference")


def _check_transition_matrices(ctx: CheckContext) -> None:
    """land_cover.transition_matrix and each of land_cover.regional_matrices: a matrix of meanings over
    land_cover.legend (the form the land-cover degradation reads); at most MAX_REGIONAL_MATRICES regions (D28).
    Each matrix's own cells (every class pair, values -1/0/1) are check_matrices'."""
    lc = ctx.fw.blocks.land_cover
    if lc is None:
        return
    loc = ("blocks", "land_cover")
    named = [(loc + ("transition_matrix",), lc.transition_matrix, "transition_matrix")]
    regional = dict(lc.regional_matrices or {})
    if len(regional) > MAX_REGIONAL_MATRICES:
        ctx.add(loc + ("regional_matrices",), f"{len(regional)} regional matrices (regions {', '.join(regional)}); the "
                f"2026 edition allows at most {MAX_REGIONAL_MATRICES} (PRAIS26)",
                f"keep at most {MAX_REGIONAL_MATRICES} regions (merge regions, or leave some to transition_matrix)", "reference")
    named += [(loc + ("regional_matrices", region), mid, f"the matrix of region {region!r}") for region, mid in regional.items()]
    known = item_ids(ctx.fw, "matrix")
    for where, mid, what in named:
        if mid not in known:
            if what != "transition_matrix":  # transition_matrix is an x-ref field: reported by _check_model_refs
                _ref_problem(ctx, where, "matrix", mid)
            continue
        mx = ctx.fw.matrix(mid)
        if mx.kind != "meaning" or str(mx.legend) != str(lc.legend):
            ctx.add(where, f"{what} is {mid!r}, a {mx.kind} matrix over legend {mx.legend!r}; the land-cover degradation "
                    f"reads a matrix of meanings (-1/0/1) over legend {lc.legend!r}",
                    f"name a matrix with kind: meaning and legend: {lc.legend}", "reference")


def _check_plausibility_parameters(ctx: CheckContext) -> None:
    """A plausibility rule's legend_parameter names a legend and its scale_parameter a positive number, so a
    misspelt reference fails ``indicators validate``, not a run's first raster check."""
    block = ctx.fw.blocks.plausibility
    if block is None:
        return
    for name, rule in block.inputs.items():
        for field in ("legend_parameter", "scale_parameter"):
            ref = getattr(rule, field)
            if ref is None:
                continue
            loc = ("blocks", "plausibility", "inputs", name, field)
            try:
                value = ctx.fw.resolve(ref)
            except (KeyError, AttributeError, ValueError):
                ctx.add(loc, f"{ref!r} does not resolve to a parameter", "write parameters:<block>.<field> of an existing "
                        "parameter", "reference")
                continue
            if field == "scale_parameter" and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                ctx.add(loc, f"{ref!r} is {value!r}, not a positive number", "name a numeric scale parameter", "reference")

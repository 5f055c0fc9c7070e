"""Validation of spec files: schema, ids, references, matrices, thresholds, units, bindings, editions.

Every finding is a :class:`~indicators.specs.problems.Problem` printed as
``<file>:<line>: <field.path>: <problem>; <fix>``.  A compute binding whose
module or function does not exist yet is a *planned* finding, not an error,
so the catalog can be complete before the code.
"""

from __future__ import annotations

import inspect
import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .loader import BASE_KINDS, Document, Merged, collect_files, merge, read_document, specs_dir
from .base_model import field_ref_kind
from .indicator_model import QUANTITY_UNITS
from .legend_model import factor_symbol_ok
from .model import Framework, SpecFile
from .parameter_model import PARAMETER_BLOCKS
from .problems import Problem, format_path

# ------------------------------------------------------------------------------------------
# pydantic errors → problems


def _data_loc(data: Any, loc: Sequence[Any], error_type: str) -> tuple[Any, ...]:
    """Keep the part of a pydantic *loc* that exists in *data* (drops union tags such as 'int')."""
    out: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif error_type == "missing" and i == len(loc) - 1:
            out.append(part)
            break
        else:
            continue
        out.append(part)
    return tuple(out)


def _explain(err: dict[str, Any]) -> tuple[str, str]:
    kind = err["type"]
    got = err.get("input")
    field_name = err["loc"][-1] if err["loc"] else "value"
    if kind == "missing":
        return f"required field {field_name!r} is missing", f"add '{field_name}:' (see docs/specs.md)"
    if kind == "extra_forbidden":
        return f"unknown field {field_name!r}", "remove it or correct its spelling (see docs/specs.md for the fields allowed here)"
    if kind == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        return f"{got!r} is not a valid identifier here (pattern {pattern})", "use the canonical spelling, e.g. SO1-1, SO5-5.1, lower_case_id"
    if kind == "literal_error":
        return f"{got!r} is not allowed; {err['msg'][0].lower()}{err['msg'][1:]}", "use one of the listed values"
    text = err["msg"]
    return f"{text[0].lower()}{text[1:]} (got {got!r})", "correct the value"


def _schema_problem(file: str, line: int | None, path: str, err: dict[str, Any]) -> Problem:
    problem, fix = _explain(err)
    return Problem(file, line, path, problem, fix, "schema")


def schema_problems(doc: Document) -> list[Problem]:
    """Check one file against :class:`SpecFile`."""
    try:
        SpecFile.model_validate(doc.data)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = _data_loc(doc.data, err["loc"], err["type"])
            out.append(_schema_problem(doc.name, doc.line_of(loc), format_path(loc), err))
        return _dedupe(out)
    return kind_problems(doc)


_KIND_SECTIONS = {
    "framework": {"framework", "editions", "objectives", "parameters", "legends", "nestings", "matrices", "classifications", "lookup_tables", "factor_sets", "indicators"},
    "objective": {"objectives", "indicators", "parameters", "legends", "nestings", "matrices", "classifications", "lookup_tables", "factor_sets"},
    "legends": {"legends", "nestings", "matrices", "classifications", "lookup_tables", "factor_sets", "parameters"},
    "profile": {"profile", "legends", "nestings", "matrices", "classifications", "lookup_tables", "factor_sets", "parameter_overrides", "edition_overrides"},
    "datasets": {"datasets"},
    "overlay": {"overlay", "legends", "nestings", "matrices", "classifications", "lookup_tables", "factor_sets", "parameter_overrides", "edition_overrides"},
}


def kind_problems(doc: Document) -> list[Problem]:
    """Sections a file of its ``kind`` may not hold, and the header a profile/overlay must have."""
    kind = doc.kind or ""
    allowed = _KIND_SECTIONS.get(kind, set()) | {"spec_version", "kind"}
    out = []
    for key in doc.data:
        if key not in allowed:
            out.append(Problem(doc.name, doc.line_of((key,)), str(key), f"a '{kind}' file may not hold the section {key!r}",
                               f"move it to a file of the right kind (allowed here: {', '.join(sorted(allowed - {'spec_version', 'kind'}))})", "kind"))
    if kind in ("profile", "overlay") and not isinstance(doc.data.get(kind), dict):
        out.append(Problem(doc.name, doc.line_of(()), kind, f"a '{kind}' file needs a '{kind}:' header", f"add '{kind}: {{id: ..., ...}}'", "schema"))
    return out


# ------------------------------------------------------------------------------------------
# checks on the merged framework


@dataclass
class _Ctx:
    fw: Framework
    merged: Merged
    problems: list[Problem] = field(default_factory=list)

    def add(self, loc: Sequence[Any], problem: str, fix: str, rule: str, severity: str = "error") -> None:
        file, line, path = self.merged.locate(loc)
        self.problems.append(Problem(file, line, path, problem, fix, rule, severity))  # type: ignore[arg-type]


def check_merged(merged: Merged, *, bindings: bool = True) -> tuple[Framework | None, list[Problem]]:
    """Build the :class:`Framework` from merged data and run every cross-item check.

    ``bindings=False`` skips importing the compute modules (the loader uses it
    so that loading specs never imports xarray or dask).
    """
    try:
        fw = Framework.model_validate(merged.raw)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = _data_loc(merged.raw, err["loc"], err["type"])
            file, line, path = merged.locate(loc)
            if loc and loc[-1] in ("blocks", "info", "profile") and err["type"] == "missing":
                what = {"blocks": "parameter blocks", "info": "'framework' section", "profile": "profile"}[loc[-1]]
                out.append(Problem(file, line, path, f"the merged specs have no {what}", "add the file that defines it (see docs/specs.md)", "schema"))
                continue
            if len(loc) >= 2 and loc[0] == "blocks" and err["type"] == "missing" and len(loc) == 2:
                out.append(Problem(file, line, path, f"parameter block {loc[1]!r} is not defined", "define it in the default specs", "schema"))
                continue
            out.append(_schema_problem(file, line, path, err))
        return None, _dedupe(out)
    ctx = _Ctx(fw, merged)
    for check in CHECKS:
        if check is check_bindings and not bindings:
            continue
        check(ctx)
    return fw, ctx.problems


def _dupes(values: Iterable[Any]) -> set[Any]:
    return {v for v, n in Counter(values).items() if n > 1}


def check_unique(ctx: _Ctx) -> None:
    fw = ctx.fw
    seen: dict[str, tuple] = {}
    for i, ind in enumerate(fw.indicators):
        for j, m in enumerate(ind.metrics):
            if m.id in seen:
                ctx.add(("indicators", i, "metrics", j, "id"), f"metric id {m.id!r} is used twice", "give each metric its own id", "unique_id")
            seen[m.id] = (i, j)
    for i, lg in enumerate(fw.legends):
        for code in _dupes(lg.codes()):
            ctx.add(("legends", i, "classes"), f"class code {code} appears twice in legend {lg.id!r}", "give each class its own code", "unique_id")
    for i, ed in enumerate(fw.editions):
        for pid in _dupes(p.id for p in ed.periods):
            ctx.add(("editions", i, "periods"), f"period {pid!r} appears twice in edition {ed.id}", "give each period its own id", "unique_id")
    for i, fs in enumerate(fw.factor_sets):
        for fid in _dupes(f.id for f in fs.factors):
            ctx.add(("factor_sets", i, "factors"), f"factor {fid!r} appears twice", "give each factor its own id", "unique_id")
    for cid in _dupes(c.id for c in fw.info.criteria):
        ctx.add(("info", "criteria"), f"criterion {cid!r} appears twice", "give each criterion its own id", "unique_id")
    for i, c in enumerate(fw.classifications):
        for code in _dupes(k.code for k in c.classes):
            ctx.add(("classifications", i, "classes"), f"class code {code} appears twice", "give each interval its own code", "unique_id")


_GETTERS = {
    "legend": "legends",
    "nesting": "nestings",
    "matrix": "matrices",
    "classification": "classifications",
    "lookup_table": "lookup_tables",
    "factor_set": "factor_sets",
}


def _ids(fw: Framework, kind: str) -> set[str]:
    """Ids of the items of *kind* (memoised per framework: asked once per reference of every item)."""
    memo = _IDS_MEMO.get(id(fw))
    if memo is None or memo[0] is not fw:
        memo = (fw, {})
        _IDS_MEMO.clear()  # one framework at a time: no growth, no stale ids
        _IDS_MEMO[id(fw)] = memo
    found = memo[1].get(kind)
    if found is None:
        found = memo[1][kind] = {item.id for item in getattr(fw, _GETTERS[kind])}
    return found


_IDS_MEMO: dict[int, tuple[Framework, dict[str, set[str]]]] = {}


def _ref_problem(ctx: _Ctx, loc: Sequence[Any], kind: str, value: str) -> None:
    known = ", ".join(sorted(_ids(ctx.fw, kind)))
    ctx.add(loc, f"{kind.replace('_', ' ')} {value!r} is not defined", f"use one of: {known}", "reference")


def _check_model_refs(ctx: _Ctx, model: BaseModel, loc: tuple) -> None:
    """Every field declared as a reference (x-ref) names an existing item."""
    for name in type(model).model_fields:
        kind = field_ref_kind(type(model), name)
        value = getattr(model, name)
        if kind:
            values = value if isinstance(value, tuple) else (value,)
            for k, v in enumerate(values):
                if v is not None and v not in _ids(ctx.fw, kind):
                    _ref_problem(ctx, loc + ((name, k) if isinstance(value, tuple) else (name,)), kind, v)
        elif isinstance(value, BaseModel):
            _check_model_refs(ctx, value, loc + (name,))
        elif isinstance(value, tuple):
            for k, v in enumerate(value):
                if isinstance(v, BaseModel):
                    _check_model_refs(ctx, v, loc + (name, k))


def check_references(ctx: _Ctx) -> None:
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
    if dvi is not None and dvi.weights and dvi.factor_set in _ids(fw, "factor_set"):
        known = {f.id for f in fw.factor_set(dvi.factor_set).factors}
        for name in dvi.weights:
            if name not in known:
                ctx.add(("blocks", "dvi", "weights", name), f"factor {name!r} is not in factor set {dvi.factor_set!r}", f"use one of: {', '.join(sorted(known))}", "reference")
    soc = fw.blocks.soc
    if soc is not None:
        regimes = {r.id for r in soc.climate_regimes}
        for k, rid in enumerate(soc.climate_zone_to_regime):
            if rid != 0 and rid not in regimes:
                ctx.add(("blocks", "soc", "climate_zone_to_regime", k), f"climate regime {rid} is not defined", f"use 0 or one of {sorted(regimes)}", "reference")


def check_matrices(ctx: _Ctx) -> None:
    fw = ctx.fw
    legends = {lg.id: lg for lg in fw.legends}
    for i, mx in enumerate(fw.matrices):
        loc = ("matrices", i)
        lg = legends.get(mx.legend)
        if lg is None:
            continue  # reported as a reference problem
        codes = lg.codes()
        if sorted(mx.columns) != sorted(codes) or len(set(mx.columns)) != len(mx.columns):
            missing = sorted(set(codes) - set(mx.columns))
            extra = sorted(set(mx.columns) - set(codes))
            ctx.add(loc + ("columns",), f"columns {list(mx.columns)} do not match the classes of legend {lg.id!r} (missing {missing}, unknown {extra})",
                    f"list each code of the legend once: {list(codes)}", "matrix_complete")
        rows = [r.from_ for r in mx.rows]
        for code in sorted(set(codes) - set(rows)):
            ctx.add(loc + ("rows",), f"no row for class {code} ({lg.by_code(code).name})", f"add a row 'from: {code}' with {len(mx.columns)} values", "matrix_complete")
        for code in _dupes(rows):
            ctx.add(loc + ("rows",), f"class {code} has more than one row", "keep one row per class", "matrix_complete")
        for j, row in enumerate(mx.rows):
            rloc = loc + ("rows", j)
            if row.from_ not in codes:
                ctx.add(rloc + ("from",), f"class {row.from_} is not in legend {lg.id!r}", f"use one of {list(codes)}", "matrix_complete")
            if len(row.values) != len(mx.columns):
                ctx.add(rloc + ("values",), f"row {row.from_} has {len(row.values)} values for {len(mx.columns)} columns",
                        "give one value per column", "matrix_complete")
            if row.processes is not None and len(row.processes) != len(mx.columns):
                ctx.add(rloc + ("processes",), f"row {row.from_} has {len(row.processes)} process names for {len(mx.columns)} columns",
                        "give one name (or null) per column", "matrix_complete")
            for c in row.unlikely:
                if c not in mx.columns:
                    ctx.add(rloc + ("unlikely",), f"unlikely transition to {c}: no such column", f"use one of {list(mx.columns)}", "matrix_complete")
            for k, v in enumerate(row.values):
                if mx.kind == "meaning" and v not in (-1, 0, 1):
                    ctx.add(rloc + ("values", k), f"transition meaning {v!r} is not -1, 0 or 1",
                            "use -1 (degradation), 0 (stable) or 1 (improvement)", "matrix_values")
                elif mx.kind == "factor" and (not factor_symbol_ok(v) or (not isinstance(v, str) and v <= 0)):
                    ctx.add(rloc + ("values", k), f"factor {v!r} is not a positive number, 'f', '1/f' or '1/<number>'",
                            "write a positive number or one of the symbols", "matrix_values")


def check_nestings(ctx: _Ctx) -> None:
    fw = ctx.fw
    legends = {lg.id: lg for lg in fw.legends}
    for i, ns in enumerate(fw.nestings):
        loc = ("nestings", i)
        child, parent = legends.get(ns.child_legend), legends.get(ns.parent_legend)
        if child is None or parent is None:
            continue
        listed = [c for g in ns.groups for c in g.children]
        for j, g in enumerate(ns.groups):
            if g.parent not in parent.codes():
                ctx.add(loc + ("groups", j, "parent"), f"class {g.parent} is not in legend {parent.id!r}", f"use one of {list(parent.codes())}", "nesting")
            for k, c in enumerate(g.children):
                if c not in child.codes():
                    ctx.add(loc + ("groups", j, "children", k), f"code {c} is not in legend {child.id!r}", f"add it to {child.id!r} or remove it", "nesting")
        for c in sorted(_dupes(listed)):
            ctx.add(loc + ("groups",), f"code {c} of {child.id!r} is nested in more than one class", "list each code exactly once", "nesting")
        for c in sorted(set(child.codes()) - set(listed)):
            ctx.add(loc + ("groups",), f"code {c} ({child.by_code(c).name}) of {child.id!r} is not nested in any class of {parent.id!r}",
                    "add it to the group of the class it belongs to", "nesting")


def check_classifications(ctx: _Ctx) -> None:
    fw = ctx.fw
    for i, cl in enumerate(fw.classifications):
        loc = ("classifications", i)
        cls = list(enumerate(cl.classes))
        for j, c in cls:
            if c.lower is not None and c.upper is not None and c.lower >= c.upper:
                ctx.add(loc + ("classes", j), f"class {c.code} ({c.name}) is empty: lower {c.lower} is not below upper {c.upper}",
                        "swap or correct the bounds", "thresholds")
        keyed = [(j, c) for j, c in cls]
        lows = [(-math.inf if c.lower is None else c.lower) for _, c in keyed]
        if lows != sorted(lows):
            ctx.add(loc + ("classes",), "classes are not ordered by their lower bound", "list them from the lowest interval up", "thresholds")
            continue
        first_j, first = keyed[0]
        if first.lower is not None:
            ctx.add(loc + ("classes", first_j, "lower"), f"values below {first.lower} fall in no class",
                    "set 'lower: null' (−∞) on the lowest class", "thresholds")
        last_j, last = keyed[-1]
        if last.upper is not None:
            ctx.add(loc + ("classes", last_j, "upper"), f"values above {last.upper} fall in no class",
                    "set 'upper: null' (+∞) on the highest class", "thresholds")
        for (ja, a), (jb, b) in itertools.pairwise(keyed):
            if a.upper is None or b.lower is None:
                ctx.add(loc + ("classes", jb), f"classes {a.code} and {b.code} overlap (an inner bound is null)",
                        "only the lowest lower and the highest upper bound may be null", "thresholds")
            elif a.upper < b.lower:
                ctx.add(loc + ("classes", jb, "lower"), f"gap between {a.upper} and {b.lower}: values there fall in no class",
                        f"set lower: {a.upper}", "thresholds")
            elif a.upper > b.lower:
                ctx.add(loc + ("classes", jb, "lower"), f"class {b.code} starts at {b.lower}, below the end {a.upper} of class {a.code}: the classes overlap",
                        f"set lower: {a.upper}", "thresholds")
        if cl.legend in _ids(fw, "legend"):
            codes = fw.legend(cl.legend).codes()
            for j, c in cls:
                if c.code not in codes:
                    ctx.add(loc + ("classes", j, "code"), f"code {c.code} is not a class of legend {cl.legend!r}", f"use one of {list(codes)}", "reference")
        if cl.nodata is not None and cl.nodata in {c.code for c in cl.classes}:
            ctx.add(loc + ("nodata",), f"nodata code {cl.nodata} is also a class code", "choose a code no class uses", "thresholds")


def check_lookup_tables(ctx: _Ctx) -> None:
    fw = ctx.fw
    legends = {lg.id: lg for lg in fw.legends}
    for i, lt in enumerate(fw.lookup_tables):
        loc = ("lookup_tables", i)
        domains: list[tuple[int, ...]] = []
        ok = True
        for part in ("keys", "outputs"):
            for j, key in enumerate(getattr(lt, part)):
                lg = legends.get(key.legend)
                if lg is None:
                    ok = False
                    continue
                if key.codes is not None:
                    bad = [c for c in key.codes if c not in lg.codes()]
                    if bad:
                        ctx.add(loc + (part, j, "codes"), f"codes {bad} are not in legend {lg.id!r}", f"use codes of {list(lg.codes())}", "lookup")
                        ok = False
                if part == "keys":
                    domains.append(key.codes if key.codes is not None else lg.codes())
        if not ok:
            continue
        out_domains = [k.codes if k.codes is not None else legends[k.legend].codes() for k in lt.outputs]
        matches: dict[tuple[int, ...], list[int]] = {}
        for j, row in enumerate(lt.rows):
            rloc = loc + ("rows", j)
            if len(row.when) != len(lt.keys):
                ctx.add(rloc + ("when",), f"{len(row.when)} conditions for {len(lt.keys)} keys", f"give one value per key ({', '.join(k.name for k in lt.keys)})", "lookup")
                continue
            if len(row.then) != len(lt.outputs):
                ctx.add(rloc + ("then",), f"{len(row.then)} results for {len(lt.outputs)} outputs", f"give one value per output ({', '.join(o.name for o in lt.outputs)})", "lookup")
                continue
            choices = []
            for k, (w, dom) in enumerate(zip(row.when, domains)):
                if w != "*" and w not in dom:
                    ctx.add(rloc + ("when", k), f"{w} is not a code of key {lt.keys[k].name!r}", f"use '*' or one of {list(dom)}", "lookup")
                choices.append(dom if w == "*" else (w,))
            for k, (v, dom) in enumerate(zip(row.then, out_domains)):
                if v not in dom:
                    ctx.add(rloc + ("then", k), f"{v} is not a code of output {lt.outputs[k].name!r}", f"use one of {list(dom)}", "lookup")
            for combo in itertools.product(*choices):
                matches.setdefault(combo, []).append(j)
        names = [k.name for k in lt.keys]
        missing = [dict(zip(names, c)) for c in itertools.product(*domains) if c not in matches]
        if missing:
            shown = ", ".join(map(str, missing[:4])) + (" …" if len(missing) > 4 else "")
            ctx.add(loc + ("rows",), f"no row matches {len(missing)} combination(s): {shown}", "add rows (or widen one with '*')", "lookup")
        overlaps: dict[int, tuple[set[int], list[tuple[int, ...]]]] = {}
        for combo, rows in matches.items():
            if len(rows) > 1:
                earlier, combos = overlaps.setdefault(rows[-1], (set(), []))
                earlier.update(rows[:-1])
                combos.append(combo)
        for row, (earlier, combos) in overlaps.items():
            example = dict(zip(names, combos[0]))
            ctx.add(loc + ("rows", row), f"row {row} matches {len(combos)} combination(s) that rows {sorted(earlier)} match too, e.g. {example}",
                    "make the rows mutually exclusive", "lookup")


def _unit_check(ctx: _Ctx, loc: Sequence[Any], unit: str | None, expected: str | None, what: str) -> None:
    from ..errors import UnitError
    from ..units import check_dimension, parse_unit

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


def check_units(ctx: _Ctx) -> None:
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


def _resolve_function(spec: str) -> tuple[Callable[..., Any] | None, str | None]:
    module_name, _, func_name = spec.partition(":")
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            return None, f"module {module_name} does not exist yet"
        raise
    func = getattr(module, func_name, None)
    if func is None:
        return None, f"{module_name} has no function {func_name} yet"
    return func, None


def _names_existing_parameter(fw: Framework, ref: str) -> bool:
    kind, _, rest = ref.partition(":")
    block, _, name = rest.partition(".")
    return kind == "parameters" and block in PARAMETER_BLOCKS and getattr(fw.blocks, block) is not None and name in type(getattr(fw.blocks, block)).model_fields


def check_run_binding(ctx: _Ctx, i: int, ind: Any) -> None:
    """An indicator's ``run`` names a stage (``module:NAME``) that exists and computes the indicator."""
    if ind.run is None:
        return
    loc = ("indicators", i, "run")
    try:
        stage, why = _resolve_function(ind.run)
    except Exception as exc:  # an import that fails for another reason is the code's problem, not the spec's
        ctx.add(loc, f"importing {ind.run} failed ({type(exc).__name__}: {exc})", "fix the module so that it imports", "binding")
        return
    if stage is None:
        ctx.add(loc, (why or "").replace("has no function", "has no stage"),
                "name a Stage defined in the module (package.module:NAME)", "binding")
        return
    codes = getattr(stage, "indicators", None)
    if not isinstance(codes, tuple) or not callable(getattr(stage, "run", None)):
        ctx.add(loc, f"{ind.run} is a {type(stage).__name__}, not a stage", "name a Stage (indicators.stage.Stage)", "binding")
    elif ind.code not in codes:
        ctx.add(loc, f"stage {ind.run} computes {', '.join(codes)}, not {ind.code}",
                "bind the indicator to the stage that computes it", "binding")


def check_bindings(ctx: _Ctx) -> None:
    fw = ctx.fw
    for i, ind in enumerate(fw.indicators):
        check_run_binding(ctx, i, ind)
        for j, m in enumerate(ind.metrics):
            if m.compute is None:
                continue
            loc = ("indicators", i, "metrics", j, "compute")
            for name, ref in m.compute.arguments.items():
                try:
                    fw.resolve(ref)
                except (KeyError, AttributeError) as exc:
                    if _names_existing_parameter(fw, ref):
                        continue  # the field exists but its value is a bad reference: reported on the field itself
                    ctx.add(loc + ("arguments", name), f"reference {ref!r} does not resolve ({str(exc).strip(chr(34))})",
                            "use matrix:<id>, legend:<id>, classification:<id>, lookup_table:<id>, factor_set:<id>, nesting:<id>, parameters:<block>[.<field>] or edition:<field>",
                            "binding")
            try:
                func, why = _resolve_function(m.compute.function)
            except Exception as exc:  # an import that fails for another reason is the code's problem, not the spec's
                ctx.add(loc + ("function",), f"importing {m.compute.function} failed ({type(exc).__name__}: {exc})", "fix the module so that it imports", "binding")
                continue
            if func is None:
                if m.status == "planned":
                    ctx.add(loc + ("function",), f"{why} (metric marked 'status: planned')",
                            "write the function, or leave the metric planned (validate --strict refuses it)", "binding", "planned")
                else:
                    ctx.add(loc + ("function",), why or f"{m.compute.function} does not exist",
                            "correct the module:function name, or mark the metric 'status: planned'", "binding")
                continue
            try:
                sig = inspect.signature(func)
            except (TypeError, ValueError):
                continue
            params = sig.parameters
            var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
            accepted = {n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
            for name in [*m.compute.inputs, *m.compute.arguments]:
                if name not in accepted and not var_kw:
                    ctx.add(loc + (("inputs",) if name in m.compute.inputs else ("arguments", name)),
                            f"{m.compute.function}{sig} has no parameter {name!r}",
                            f"rename the input to one of ({', '.join(accepted)}) or add '{name}' to the function", "binding")


def check_editions(ctx: _Ctx) -> None:
    fw = ctx.fw
    ids = [e.id for e in fw.editions]
    for eid in _dupes(ids):
        ctx.add(("editions",), f"edition {eid} is defined twice", "keep one", "editions")
    defaults = [e.id for e in fw.editions if e.default]
    if len(defaults) != 1:
        ctx.add(("editions",), f"{len(defaults)} editions are marked default ({defaults})", "mark exactly one edition 'default: true'", "editions")
    if fw.info.default_edition not in ids:
        ctx.add(("info", "default_edition"), f"default edition {fw.info.default_edition} is not defined", f"use one of {ids}", "editions")
    elif defaults and defaults[0] != fw.info.default_edition:
        ctx.add(("info", "default_edition"), f"default_edition {fw.info.default_edition} differs from the edition marked default ({defaults[0]})",
                "make them agree", "editions")
    if fw.edition not in ids:
        ctx.add(("edition",), f"edition {fw.edition} is not defined", f"choose one of {ids}", "editions")
    for i, ed in enumerate(fw.editions):
        for k, tid in enumerate(t.id for t in ed.country_profile_tables):
            if not re.fullmatch(r"CP-\d+\.T\d+", tid):
                ctx.add(("editions", i, "country_profile_tables", k), f"table id {tid!r} is not a country-profile table",
                        "use the manual's id, CP-<n>.T<n> (e.g. CP-1.T1)", "editions")
    for i, ind in enumerate(fw.indicators):
        loc = ("indicators", i)
        for eid in ids:
            if eid not in ind.status:
                ctx.add(loc + ("status",), f"no status for edition {eid}", f"add '{eid}: {{status: adopted|optional|proposed|reported_under}}'", "editions")
        for eid, tables in ind.reporting_tables.items():
            for k, tid in enumerate(tables):
                if not re.fullmatch(re.escape(ind.code) + r"\.T\d+[a-z]?", tid):
                    ctx.add(loc + ("reporting_tables", eid, k), f"table id {tid!r} is not a table of {ind.code}",
                            f"use the manual's id, {ind.code}.T<n> (e.g. {ind.code}.T1)", "editions")
        own = {t for ts in ind.reporting_tables.values() for t in ts} | set(ind.other_tables)
        for k, decl in enumerate(ind.tables):
            if decl.id not in own:
                ctx.add(loc + ("tables", k, "id"), f"table {decl.id!r} is declared but is none of {ind.code}'s tables",
                        "list it in reporting_tables or other_tables, or declare one of those", "editions")
        for fname in ("status", "reporting_tables", "name_by_edition"):
            for eid in getattr(ind, fname):
                if eid not in ids:
                    ctx.add(loc + (fname, eid), f"edition {eid} is not defined", f"use one of {ids}", "editions")
        for j, m in enumerate(ind.metrics):
            for eid in m.definition_by_edition:
                if eid not in ids:
                    ctx.add(loc + ("metrics", j, "definition_by_edition", eid), f"edition {eid} is not defined", f"use one of {ids}", "editions")

    def ordered(loc: tuple, rng: tuple[int, int]) -> bool:
        if rng[0] > rng[1]:
            ctx.add(loc, f"year range {list(rng)} ends before it starts", "write [first, last]", "editions")
            return False
        return True

    for i, ed in enumerate(fw.editions):
        eloc = ("editions", i)
        if not any(p.id == "baseline" for p in ed.periods):
            ctx.add(eloc + ("periods",), f"edition {ed.id} has no 'baseline' period", "add the baseline period", "editions")
        for j, p in enumerate(ed.periods):
            ploc = eloc + ("periods", j)
            years_ok = ordered(ploc + ("years",), p.years)
            span = ed.drought.years  # the edition's annual years
            if years_ok and span[0] <= span[1] and (p.years[0] < span[0] or p.years[1] > span[1]):
                ctx.add(ploc + ("years",), f"period {p.id} {list(p.years)} leaves edition {ed.id}'s years {list(span)}",
                        f"keep the period inside {list(span)} (or correct the edition's drought.years)", "editions")
            for lc_name in ("land_cover", "soc"):
                lc = getattr(p, lc_name)
                if lc.initial >= lc.final:
                    ctx.add(ploc + (lc_name,), f"initial year {lc.initial} is not before final year {lc.final}", "swap or correct the years", "editions")
                elif years_ok and not (p.years[0] - 1 <= lc.initial and p.years[0] <= lc.final <= p.years[1]):
                    # the initial map may be the previous period's last year (Trends.Earth), the final one inside the period
                    ctx.add(ploc + (lc_name,), f"years {lc.initial}-{lc.final} do not belong to the period {list(p.years)}",
                            f"start in {p.years[0] - 1} or later and end within {list(p.years)}", "editions")
            if years_ok:
                for n in ("trajectory", "performance", "state_comparison"):
                    win = getattr(p.productivity, n)
                    if win[0] <= win[1] and not p.years[0] <= win[1] <= p.years[1]:
                        ctx.add(ploc + ("productivity", n), f"window {list(win)} does not end inside the period {list(p.years)}",
                                f"end it within {list(p.years)} (normally in {p.years[1]})", "editions")
            w = p.productivity
            wl = ploc + ("productivity",)
            if all(ordered(wl + (n,), getattr(w, n)) for n in ("trajectory", "state_baseline", "state_comparison", "performance")):
                if w.state_baseline[1] + 1 != w.state_comparison[0]:
                    ctx.add(wl + ("state_comparison",), f"the comparison years {list(w.state_comparison)} do not follow the baseline years {list(w.state_baseline)}",
                            f"start them in {w.state_baseline[1] + 1}", "editions")
                if w.state_baseline[0] < w.trajectory[0] or w.state_comparison[1] > w.trajectory[1]:
                    ctx.add(wl + ("state_baseline",), f"the state windows leave the trajectory window {list(w.trajectory)}",
                            "keep state_baseline and state_comparison inside the trajectory years", "editions")
        dl = eloc + ("drought",)
        d = ed.drought
        if ordered(dl + ("years",), d.years):
            prev_end = None
            for k, ep in enumerate(d.epochs):
                if not ordered(dl + ("epochs", k), ep):
                    continue
                if ep[1] - ep[0] + 1 != d.epoch_length:
                    ctx.add(dl + ("epochs", k), f"epoch {list(ep)} is not {d.epoch_length} years long", f"use {d.epoch_length}-year epochs", "editions")
                if ep[0] < d.years[0] or ep[1] > d.years[1]:
                    ctx.add(dl + ("epochs", k), f"epoch {list(ep)} leaves the annual series {list(d.years)}", "keep epochs inside the years", "editions")
                if prev_end is not None and ep[0] != prev_end + 1:
                    ctx.add(dl + ("epochs", k), f"epoch {list(ep)} does not follow the previous one (ends {prev_end})", f"start it in {prev_end + 1}", "editions")
                prev_end = ep[1]


def check_tiers(ctx: _Ctx) -> None:
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


def check_blocks(ctx: _Ctx) -> None:
    fw = ctx.fw
    spi = fw.blocks.spi
    if spi is not None and spi.calibration[0] >= spi.calibration[1]:
        ctx.add(("blocks", "spi", "calibration"), f"calibration window {list(spi.calibration)} is reversed or empty",
                "write [first, last] with first < last (e.g. [1981, 2010])", "parameters")
    cb = fw.blocks.counterbalancing
    if cb is not None and cb.legend in _ids(fw, "legend"):
        codes = set(fw.legend(cb.legend).codes())
        sets = {"gains": cb.gains, "losses": cb.losses, "neutral": cb.neutral}
        listed = [c for v in sets.values() for c in v]
        if sorted(listed) != sorted(codes):
            ctx.add(("blocks", "counterbalancing"), f"gains, losses and neutral {sets} do not split the classes {sorted(codes)} of {cb.legend!r} exactly once",
                    "list every status class in exactly one set", "parameters")
    st = fw.blocks.status
    if st is not None and st.legend in _ids(fw, "legend") and st.matrix in _ids(fw, "lookup_table"):
        out_legends = {o.legend for o in fw.lookup_table(st.matrix).outputs}
        if st.legend not in out_legends:
            ctx.add(("blocks", "status", "legend"), f"status legend {st.legend!r} is not the output legend of {st.matrix!r}",
                    f"use {sorted(out_legends)}", "parameters")
    ranges = [(("blocks", "series", "percent_range"), fw.blocks.series and fw.blocks.series.percent_range),
              (("blocks", "red_list", "value_range"), fw.blocks.red_list and fw.blocks.red_list.value_range)]
    for loc, rng in ranges:
        if rng and not rng[0] < rng[1]:
            ctx.add(loc, f"range {list(rng)} is not ordered (lowest first, and lowest < highest)",
                    f"write [{min(rng)}, {max(rng)}]" if rng[0] != rng[1] else "give two different values", "parameters")
    lc = fw.blocks.land_cover
    if lc is not None and lc.legend in _ids(fw, "legend") and lc.water_class not in fw.legend(lc.legend).codes():
        ctx.add(("blocks", "land_cover", "water_class"), f"water class {lc.water_class} is not in legend {lc.legend!r}", "use the code of 'Water bodies'", "parameters")


CHECKS: tuple[Callable[[_Ctx], None], ...] = (
    check_unique,
    check_references,
    check_matrices,
    check_nestings,
    check_classifications,
    check_lookup_tables,
    check_units,
    check_bindings,
    check_editions,
    check_tiers,
    check_blocks,
)


# ------------------------------------------------------------------------------------------
# entry points


@dataclass
class Report:
    problems: list[Problem]
    files: list[str]
    combinations: list[str]

    strict: bool = False  # planned bindings count as errors (validate --strict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error" or (self.strict and p.severity == "planned")]

    @property
    def planned(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "planned"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _dedupe(problems: Iterable[Problem]) -> list[Problem]:
    seen: set[tuple] = set()
    out = []
    for p in problems:
        key = (p.file, p.line, p.path, p.problem)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def validate_documents(docs: Sequence[Document]) -> Report:
    """Validate the documents: each file's schema, then the merged framework for every edition × profile (× overlay)."""
    problems: list[Problem] = []
    for d in docs:
        problems += d.problems
        problems += schema_problems(d)
    files = [d.name for d in docs]
    combos: list[str] = []
    if any(p.rule in ("schema", "kind") for p in problems):
        return Report(_dedupe(problems), files, combos)  # cross-checks need well-formed files
    base = [d for d in docs if d.kind in BASE_KINDS]
    profiles = [d for d in docs if d.kind == "profile"] or [None]
    overlays = [None] + [d for d in docs if d.kind == "overlay"]
    probe = merge(base)
    editions = [str(e.get("id")) for e in probe.raw["editions"] if isinstance(e, dict)] or [None]
    for prof in profiles:
        for over in overlays:
            for ed in editions:
                merged = merge(base, prof, over, edition=ed)
                problems += merged.problems
                _fw, more = check_merged(merged)
                problems += more
                pid = prof.data["profile"]["id"] if prof is not None else "-"
                oid = over.data["overlay"]["id"] if over is not None else "-"
                combos.append(f"edition={ed} profile={pid} overlay={oid}")
    info = probe.raw.get("info") or {}
    if profiles != [None] and info.get("default_profile") not in {p.data["profile"]["id"] for p in profiles if p is not None}:
        loc = ("info", "default_profile")
        file, line, path = probe.locate(loc)
        problems.append(Problem(file, line, path, f"default profile {info.get('default_profile')!r} is not among the profiles",
                                "add specs/profiles/<id>.yaml or change default_profile", "reference"))
    return Report(_dedupe(problems), files, combos)


def validate_paths(paths: Sequence[str | Path] | None = None) -> Report:
    """Validate spec files or directories (default: the specs directory).

    When the paths hold no ``framework`` file (e.g. a single overlay), the
    default framework files are added from :func:`~indicators.specs.loader.specs_dir`
    so that references can be checked; a given file replaces the default file
    of the same name.

    Raises
    ------
    SpecReadError
        A file cannot be read or parsed (exit status 2).
    """
    files = collect_files(paths or [specs_dir()])
    docs = [read_document(p) for p in files]
    if not any(d.kind == "framework" for d in docs):
        given = {p.name for p in files}
        defaults = [read_document(p) for p in collect_files([specs_dir()]) if p.name not in given]
        docs = [d for d in defaults if d.kind in (*BASE_KINDS, "profile")] + docs
    return validate_documents(docs)

"""Checks of the items over legends: matrices, nestings, classifications and lookup tables.

Rules ``matrix_complete``, ``matrix_values``, ``nesting``, ``thresholds`` (classification intervals) and
``lookup`` (every key combination matched by exactly one row).
"""

from __future__ import annotations

import itertools
import math

from ..legend_model import factor_symbol_ok
from .context import CheckContext, item_ids, repeated


def check_matrices(ctx: CheckContext) -> None:
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
        for code in repeated(rows):
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


def check_nestings(ctx: CheckContext) -> None:
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
        for c in sorted(repeated(listed)):
            ctx.add(loc + ("groups",), f"code {c} of {child.id!r} is nested in more than one class", "list each code exactly once", "nesting")
        for c in sorted(set(child.codes()) - set(listed)):
            ctx.add(loc + ("groups",), f"code {c} ({child.by_code(c).name}) of {child.id!r} is not nested in any class of {parent.id!r}",
                    "add it to the group of the class it belongs to", "nesting")


def check_classifications(ctx: CheckContext) -> None:
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
        if cl.legend in item_ids(fw, "legend"):
            codes = fw.legend(cl.legend).codes()
            for j, c in cls:
                if c.code not in codes:
                    ctx.add(loc + ("classes", j, "code"), f"code {c.code} is not a class of legend {cl.legend!r}", f"use one of {list(codes)}", "reference")
        if cl.nodata is not None and cl.nodata in {c.code for c in cl.classes}:
            ctx.add(loc + ("nodata",), f"nodata code {cl.nodata} is also a class code", "choose a code no class uses", "thresholds")


def check_lookup_tables(ctx: CheckContext) -> None:
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

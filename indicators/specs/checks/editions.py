"""Checks of the reporting editions: one default, statuses and table ids per edition, consistent years (rule ``editions``)."""

from __future__ import annotations

import re

from .context import CheckContext, repeated


def check_editions(ctx: CheckContext) -> None:
    fw = ctx.fw
    ids = [e.id for e in fw.editions]
    for eid in repeated(ids):
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
        own = ({t for ts in ind.reporting_tables.values() for t in ts} | {t for e in ids for t in ind.other_tables_of(e)}
               | set(ind.optional_tables))
        for k, decl in enumerate(ind.tables):
            if decl.id not in own:
                ctx.add(loc + ("tables", k, "id"), f"table {decl.id!r} is declared but is none of {ind.code}'s tables",
                        "list it in reporting_tables, other_tables or optional_tables, or declare one of those", "editions")
        check_renumbering(ctx, loc, ind, ids)
        check_listed_tables(ctx, loc, ind, ids)
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


def check_renumbering(ctx: CheckContext, loc: tuple, ind, ids: list[str]) -> None:
    """Edition-specific declarations (decision D23): known editions, one declaration per id and edition, a declaration
    for each reporting table of an edition, ``written_from`` naming the indicator's own tables, each once."""
    for k, decl in enumerate(ind.tables):
        for eid in decl.editions:
            if eid not in ids:
                ctx.add(loc + ("tables", k, "editions"), f"edition {eid} is not defined", f"use one of {ids}", "editions")
        for src in decl.written_from:
            if not src.startswith(ind.code + "."):
                ctx.add(loc + ("tables", k, "written_from"), f"{decl.id} is written from {src!r}, not a table of {ind.code}",
                        f"name one of {ind.code}'s tables (the 2022 ids the run writes)", "editions")
    if not ind.tables:
        return
    for eid in ids:
        in_ed = [(k, d) for k, d in enumerate(ind.tables) if d.in_edition(eid)]
        seen: dict[str, int] = {}
        sources: dict[str, str] = {}
        for k, d in in_ed:
            if d.id in seen:
                ctx.add(loc + ("tables", k, "id"), f"table {d.id!r} is declared twice for edition {eid}",
                        "give one of them 'editions' that leave the other", "editions")
            seen[d.id] = k
            for src in d.written_from:
                if src in sources and sources[src] != d.id:
                    ctx.add(loc + ("tables", k, "written_from"), f"{src} is written as {sources[src]} and as {d.id} in edition {eid}",
                            "write each of the run's tables once per edition", "editions")
                sources[src] = d.id
        for j, tid in enumerate(ind.reporting_tables.get(eid, ())):
            if tid not in seen and re.fullmatch(re.escape(ind.code) + r"\.T\d+[a-z]?", tid):  # else reported above
                ctx.add(loc + ("reporting_tables", eid, j), f"reporting table {tid} of edition {eid} has no declaration",
                        f"declare it under tables (with editions: [\"{eid}\"] if its id means another table elsewhere)", "editions")


def check_listed_tables(ctx: CheckContext, loc: tuple, ind, ids: list[str]) -> None:
    """Every id in ``other_tables`` and ``optional_tables`` is one of the indicator's and has a declaration (id,
    title, columns) in each edition it is written in: a run writes no table that the specs do not describe."""
    for field in ("other_tables", "optional_tables"):
        for k, tid in enumerate(getattr(ind, field)):
            if not tid.startswith(ind.code + "."):
                ctx.add(loc + (field, k), f"table id {tid!r} is not a table of {ind.code}",
                        f"name it {ind.code}.<name>", "editions")
                continue
            for eid in ids:
                if field == "other_tables" and tid not in ind.other_tables_of(eid):
                    continue  # published under another id in this edition (written_from, D23)
                if not any(d.id == tid and d.in_edition(eid) for d in ind.tables):
                    ctx.add(loc + (field, k), f"table {tid} of edition {eid} has no declaration",
                            "declare it under tables (id, title, rows, columns, units)", "editions")
                    break

"""Each declared table has a builder, each builder's table a declaration (rule ``tables``; issue 11 item 6).

Every stage lists the table ids it can write (``Stage.tables``, under the run's ids, which are the 2022 manual's;
a per-period table without its period).  For each edition:

* a table an indicator declares it writes (``Indicator.tables_of``: reporting, other and optional tables; a
  renumbered one through the run's tables it is ``written_from``, D23) must be listed by the stage its ``run``
  binding names: a declared table with no builder would never be written;
* a table that stage lists for one of its indicators must be one of those: the run would write a table the specs
  do not describe (the run itself refuses a table its stage does not list, :meth:`indicators.stage.Context.add_table`);
* a country-profile table the edition declares (CP-1, no indicator's) must be listed by some stage.

Stages are imported by name, as the run bindings are (checks/bindings.py): the specs library imports no objective
package.  A binding that does not resolve is the ``binding`` rule's finding, so it is skipped here.
"""

from __future__ import annotations

import re
from typing import Any

from ..binding import resolve_function
from .context import CheckContext


def _stage(ind: Any) -> Any:
    """The stage *ind*'s ``run`` binding names, or None when it does not resolve to a stage computing *ind* (the
    binding rule's finding: its tables would say nothing about the indicator's)."""
    if not ind.run:
        return None
    try:
        stage, _ = resolve_function(ind.run)
    except Exception:  # noqa: BLE001 - an import failure is the binding rule's finding
        return None
    if not isinstance(getattr(stage, "tables", None), tuple) or ind.code not in getattr(stage, "indicators", ()):
        return None
    return stage


def run_table_ids(ind: Any, edition: str, periods: set[str]) -> dict[str, tuple[int, str]]:
    """The run's table ids that *ind* declares it writes in *edition* -> (index in ``tables``, declared id).

    A per-period source (``SO1-1.T6.baseline``) counts as its table (``SO1-1.T6``); a listed id without a
    declaration is the ``editions`` rule's finding and is left out."""
    out: dict[str, tuple[int, str]] = {}
    listed = set(ind.tables_of(edition))
    for k, decl in enumerate(ind.tables):
        if decl.id not in listed or not decl.in_edition(edition):
            continue
        for src in decl.written_from or (decl.id,):
            base, _, last = src.rpartition(".")
            out.setdefault(base if base and last in periods else src, (k, decl.id))
    return out


def _has_table_problem(ctx: CheckContext, i: int) -> bool:
    """Whether the editions rule found a problem with indicator *i*'s tables (an id, a declaration, ``written_from``):
    the stage comparison would only repeat it."""
    file, _, path = ctx.merged.locate(("indicators", i))
    return any(p.rule == "editions" and p.file == file and p.path.startswith((path + ".", path + "["))
               for p in ctx.problems)


def check_stage_tables(ctx: CheckContext) -> None:
    fw = ctx.fw
    # every edition, the first one at fault named: each edition x profile x overlay is checked with all editions
    # in view, so a finding reads the same in each and is reported once (as in the editions rule)
    editions = [str(e.id) for e in fw.editions]
    periods = {p.id for e in fw.editions for p in e.periods}
    stages: dict[int, Any] = {}
    for i, ind in enumerate(fw.indicators):
        stage = _stage(ind)
        if stage is None or _has_table_problem(ctx, i):
            continue
        stages[id(stage)] = stage
        loc = ("indicators", i)
        declared = {e: run_table_ids(ind, e, periods) for e in editions}
        reported: set[str] = set()
        for e in editions:
            for rid, (k, tid) in declared[e].items():
                if rid not in stage.tables and (tid, rid) not in reported:
                    reported.add((tid, rid))
                    via = "" if rid == tid else f" (written from the run's {rid})"
                    ctx.add(loc + ("tables", k, "id"), f"table {tid}{via} of edition {e} has no builder: stage "
                            f"{ind.run} does not write it", f"list {rid!r} in the stage's tables (Stage.tables) and add "
                            "it there, or remove the table from the specs", "tables")
        for rid in stage.tables:
            missing = [e for e in editions if rid.startswith(ind.code + ".") and rid not in declared[e]]
            if missing:
                ctx.add(loc + ("run",), f"stage {ind.run} writes table {rid}, which {ind.code} does not declare in "
                        f"edition {missing[0]}", f"declare it under {ind.code}'s tables and list it in other_tables or "
                        "optional_tables (or in reporting_tables)", "tables")
    if any(p.rule == "binding" and p.severity == "error" for p in ctx.problems):
        return  # a stage bound wrongly leaves the builders unknown: its finding comes first
    written = {rid for s in stages.values() for rid in s.tables}
    for e, ed in enumerate(fw.editions):
        for k, t in enumerate(ed.country_profile_tables):
            # an id that is no country-profile table's is the editions rule's finding
            if re.fullmatch(r"CP-\d+\.T\d+", t.id) and t.id not in written:
                ctx.add(("editions", e, "country_profile_tables", k), f"country-profile table {t.id} of edition {ed.id} "
                        "has no builder: no stage writes it", "list it in a stage's tables (Stage.tables) and add it "
                        "there, or remove it from the specs", "tables")

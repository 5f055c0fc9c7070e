"""Publishing a run's tables under its edition's table ids (decision D23).

Stages write the 2022 manual's ids; an edition that renumbers them (the 2026 manual renumbers the land tables
and stacks some baseline / reporting-period pairs into one table) declares so in the specs
(``tables[].written_from``, :func:`~indicators.specs.table_model.edition_table_ids`).  After the last stage the
engine renames those tables, concatenates the ones written under one id (same columns, in the run's order),
attaches the edition's declaration and rewrites the ids that titles and notes mention.  Without a renumbering
nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..errors import IndicatorsError
from ..report.tables import Table
from ..specs.table_model import declaration, edition_table_ids

#: a manual's table id as titles and notes mention it (<code>.T<n>, with a letter for a split table)
_MENTION = re.compile(r"\b(?:SO\d-\d|CP-\d)\.T\d+[a-z]?\b")


def _published_id(tid: str, ids: Mapping[str, str]) -> str:
    """*tid* under the edition's ids: its own entry, else its per-period base's with the period kept."""
    if tid in ids:
        return ids[tid]
    base, _, period = tid.rpartition(".")
    return f"{ids[base]}.{period}" if base in ids else tid


def publish_tables(tables: Mapping[str, Table], framework: Any) -> dict[str, Table]:
    """The run's *tables* under the edition's ids (a new dict in the run's order; the same one if nothing moves)."""
    ids = edition_table_ids(framework)
    if not ids:
        return dict(tables)
    groups: dict[str, list[Table]] = {}
    for tid, t in tables.items():
        groups.setdefault(_published_id(tid, ids), []).append(t)
    text = {k: v for k, v in ids.items() if _MENTION.fullmatch(k)}

    def retext(s: str) -> str:
        return _MENTION.sub(lambda m: text.get(m.group(0), m.group(0)), s)

    out: dict[str, Table] = {}
    for new, parts in groups.items():
        moved = new != parts[0].id or len(parts) > 1
        if len(parts) == 1:
            t = parts[0]
            title, frame, units, notes = t.title, t.frame, dict(t.units), list(t.notes)
        else:
            if any(list(p.frame.columns) != list(parts[0].frame.columns) for p in parts):
                raise IndicatorsError(f"internal: {', '.join(p.id for p in parts)} are published as {new} "
                                      "but have different columns")
            found = declaration(framework, new)
            title = found.title if found is not None else parts[0].title
            frame = pd.concat([p.frame for p in parts], ignore_index=True)
            units = {k: v for p in parts for k, v in p.units.items()}
            notes = list(dict.fromkeys(n for p in parts for n in p.notes))
        title, notes = retext(title), [retext(n) for n in notes]
        if not moved and title == parts[0].title and notes == parts[0].notes:
            out[new] = parts[0]
            continue
        t = Table(new, title, frame, units=units, notes=notes)
        found = declaration(framework, new) if moved else None
        t.declaration = found.record() if found is not None else parts[0].declaration
        out[new] = t
    return out

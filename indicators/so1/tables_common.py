"""What the SO1 table modules share: the 3-class names, class names from a legend, and the shaping of pending
(not yet computed) area tables (:class:`indicators.summarize.PendingTable`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..summarize import PendingTable
from .encoding import DEGRADED, IMPROVED, STABLE


THREE_NAMES = {DEGRADED: "degraded", STABLE: "stable", IMPROVED: "improved"}


def class_names(codes: Sequence[int], names: Mapping[int, str] | None, default: Mapping[int, str]) -> list[str]:
    """The name of each code from *names* (else *default*), ``class <code>`` for a code neither names."""
    nm = names or default
    return [str(nm.get(int(c), f"class {c}")) for c in codes]


def shape_pending(pending: PendingTable, shape: Any, compute: bool) -> pd.DataFrame | PendingTable:
    """*pending* shaped by ``shape(table)``: computed now, or still pending (one pass with others, compute_tables)."""
    out = pending.then(shape)
    return out.compute() if compute else out


def stack_pending(pendings: Sequence[PendingTable], shape: Any, compute: bool) -> pd.DataFrame | PendingTable:
    """Several pending tables of one grid and legend (equal reductions) as one: ``shape(list of tables)``."""
    from ..summarize_bands import Stacked, is_banded

    parts = [p.part for p in pendings]
    if all(is_banded(p) for p in parts):
        part: Any = Stacked(tuple(parts))  # computed whole or by bands of rows, with the other tables of a pass
    elif all(hasattr(p, "dask") for p in parts):
        import dask.array as dsa

        part = dsa.stack(parts)
    else:
        part = np.stack([np.asarray(p) for p in parts])
    out = PendingTable(part, lambda value: shape([p.finish(np.asarray(value)[i]) for i, p in enumerate(pendings)]))
    return out.compute() if compute else out

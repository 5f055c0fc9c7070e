"""Reductions over a grid's blocks computed whole or band by band (rows of blocks), so memory stays flat.

Part of :mod:`indicators.summarize`.  Why: several tables and stored layers computed in ONE dask pass share their
input blocks (each block decoded once), but dask's ordering finishes one table's reduction over *every* block before
the next, so the shared blocks of the whole grid stay in memory until the last table has read them: the pass held
about 16 bytes per pixel, growing with the country (issue 16).  Computed by bands of rows, a pass holds one band's
blocks; every block is still decoded once, and the per-band partials are combined exactly as the whole reduction
would (integer counts per row are concatenated; sums are added).

An item takes part in banding through four members (duck-typed, also by :class:`indicators.io.store.BandedStore`):
``ychunks`` (the row chunks of its grid), ``whole()`` (the dask result of the whole grid), ``band(r0, r1)`` (the
dask result of rows ``r0:r1``, on chunk boundaries) and ``combine(values)`` (the bands' computed values → the
whole's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: pixels per band: a band's blocks of every layer of a pass stay in memory together (SO1: ~16 bytes per pixel,
#: so ~128 MiB), and a band holds enough blocks for the threads to share
BAND_PIXELS = 2**23


@dataclass(frozen=True)
class BlockParts:
    """A reduction kept as its per-block partials: computed whole or by bands of rows.

    ``how="sum"``: *parts* is ``(y blocks, x blocks, *out)``, one entry per block, summed over the blocks.
    ``how="rows"``: *parts* is ``(rows, x blocks, *out)`` integer counts chunked by the grid's rows, summed over the
    x blocks (a value per row, in the narrowest unsigned type a row's count fits: the bands' rows are concatenated).
    """

    parts: Any
    how: str
    ychunks: tuple[int, ...]
    width: int

    def whole(self) -> Any:
        return self.parts.sum(axis=(0, 1)) if self.how == "sum" else self.parts.sum(axis=1, dtype=self._row_dtype())

    def band(self, r0: int, r1: int) -> Any:
        if self.how == "rows":
            return self.parts[r0:r1].sum(axis=1, dtype=self._row_dtype())
        edges = np.cumsum((0, *self.ychunks))
        c0, c1 = int(np.searchsorted(edges, r0)), int(np.searchsorted(edges, r1))
        return self.parts[c0:c1].sum(axis=(0, 1))

    def _row_dtype(self) -> Any:
        # a row's count in a bin is at most the grid's width: the narrowest unsigned type that holds it (the pass keeps
        # every band's (rows, bins) counts until the end: 8 bytes per count were 63 MiB of SO1's peak at 20000² px)
        return np.uint16 if self.width < 2**16 else np.uint32 if self.width < 2**32 else np.int64

    def combine(self, values: Sequence[Any]) -> Any:
        if self.how == "rows":
            return np.concatenate([np.asarray(v) for v in values], axis=0)
        total = np.array(values[0], copy=True)
        for v in values[1:]:
            total += np.asarray(v)
        return total


@dataclass(frozen=True)
class MergedParts:
    """A reduction whose per-block partials are Python values of varying size (not arrays of one shape), merged by
    *merge* (associative: partials → one partial) and turned into the result by *finish*; computed whole or by bands
    of rows.

    ``parts`` holds one tuple of delayed partials per row of blocks.  A band merges its blocks' partials as soon as
    they are computed, so a pass holds one band's partials, never one per block of the grid.
    """

    parts: tuple[tuple[Any, ...], ...]
    merge: Callable[[list[Any]], Any]
    finish: Callable[[Any], Any]
    ychunks: tuple[int, ...]
    width: int

    def _blocks(self, r0: int, r1: int) -> list[Any]:
        edges = np.cumsum((0, *self.ychunks))
        c0, c1 = int(np.searchsorted(edges, r0)), int(np.searchsorted(edges, r1))
        return [p for row in self.parts[c0:c1] for p in row]

    def whole(self) -> Any:
        import dask

        return dask.delayed(self.finish)(dask.delayed(self.merge)(self._blocks(0, sum(self.ychunks))))

    def band(self, r0: int, r1: int) -> Any:
        import dask

        return dask.delayed(self.merge)(self._blocks(r0, r1))

    def combine(self, values: Sequence[Any]) -> Any:
        return self.finish(self.merge(list(values)))


@dataclass(frozen=True)
class Stacked:
    """Several reductions of one grid stacked on a new first axis (as ``dask.array.stack``), banded together."""

    members: tuple[Any, ...]

    @property
    def ychunks(self) -> tuple[int, ...] | None:
        found = {getattr(m, "ychunks", None) for m in self.members}
        return found.pop() if len(found) == 1 else None

    @property
    def width(self) -> int:
        return max(getattr(m, "width", 0) for m in self.members)

    def whole(self) -> Any:
        import dask.array as dsa

        return dsa.stack([m.whole() for m in self.members])

    def band(self, r0: int, r1: int) -> Any:
        import dask.array as dsa

        return dsa.stack([m.band(r0, r1) for m in self.members])

    def combine(self, values: Sequence[Any]) -> Any:
        return np.stack([m.combine([np.asarray(v)[i] for v in values]) for i, m in enumerate(self.members)])


def is_banded(item: Any) -> bool:
    return all(hasattr(item, a) for a in ("ychunks", "whole", "band", "combine"))


def whole(item: Any) -> Any:
    """What dask computes for *item* in one pass (its whole reduction, or the item itself)."""
    return item.whole() if is_banded(item) else item


def row_bands(items: Sequence[Any], band_pixels: int | None = None) -> list[tuple[int, int]] | None:
    """Bands of rows (on the chunk boundaries every item shares) of about *band_pixels* pixels, or None when the
    items cannot be banded (one is not a banded reduction, their grids are chunked differently) or one band
    would hold the whole grid."""
    if not items or not all(is_banded(it) for it in items):
        return None
    band_pixels = BAND_PIXELS if band_pixels is None else band_pixels
    chunks = {it.ychunks for it in items}
    if len(chunks) != 1 or None in chunks:
        return None
    ychunks = chunks.pop()
    width = max(int(getattr(it, "width", 0) or 0) for it in items) or 1
    bands: list[tuple[int, int]] = []
    r0 = rows = 0
    for c in ychunks:
        rows += c
        if rows * width >= band_pixels:
            bands.append((r0, r0 + rows))
            r0, rows = r0 + rows, 0
    if rows:
        bands.append((r0, r0 + rows))
    return bands if len(bands) > 1 else None


def compute_banded(items: Sequence[Any], band_pixels: int | None = None) -> list[Any]:
    """The computed value of every item: band by band when they allow it (:func:`row_bands`), else in one pass."""
    import dask

    bands = row_bands(items, band_pixels)
    if bands is None:
        return list(dask.compute(*[whole(it) for it in items]))
    got: list[list[Any]] = [[] for _ in items]
    from .heap import trim_heap

    for r0, r1 in bands:
        for acc, value in zip(got, dask.compute(*[it.band(r0, r1) for it in items])):
            acc.append(value)
        trim_heap()  # the band's freed blocks back to the system, not piled up over the pass (indicators/heap.py)
    return [it.combine(values) for it, values in zip(items, got)]

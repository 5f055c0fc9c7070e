"""Giving freed memory back to the operating system between the steps of a run (glibc only).

Why: a run allocates many block-sized arrays (several MB each) from several threads. glibc keeps what they free in
its arenas, and raises its mmap threshold to the largest block freed, so later blocks come from the arenas too; the
process's resident memory then stays at its highest, and each phase adds its own working set on top of what the
previous one left (issue 16: the write phase added ~300 MiB above the compute peak at 10000² px). ``malloc_trim``
returns the arenas' free pages between phases. Fixing the mmap threshold instead (every block mapped and unmapped)
kept memory lower still, but took a third more time (page faults on every new block).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): nothing to do
        return None


def trim_heap() -> None:
    """Return the memory the process has freed to the operating system (a no-op where libc has no malloc_trim)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)

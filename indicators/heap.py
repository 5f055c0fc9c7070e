"""Giving freed memory back to the operating system between the steps of a run (glibc only).

Why: a run allocates many block-sized arrays (several MB each) from several threads. glibc keeps what they free in
its arenas, and raises its mmap threshold to the largest block freed, so later blocks come from the arenas too; the
process's resident memory then stays at its highest, and each phase adds its own working set on top of what the
previous one left (issue 16: the write phase added ~300 MiB above the compute peak at 10000² px). ``malloc_trim``
returns the arenas' free pages between phases, and after each band of rows of a pass
(:func:`indicators.summarize_bands.compute_banded`): within one long pass the fragments pile up too (SO1 alone at
20000² px peaked at 1209 MiB, 1017 with a trim per band, in the same time). Fixing the mmap threshold instead
(every block mapped and unmapped) kept memory lower still, but took a third more time (page faults on every new
block).

And :func:`limit_arenas`, once at the command's start: by default glibc gives each new thread its own arena (up to
8 per core), and a block freed in one arena is of no use to a thread allocating from another, so every thread's
arena grows to its own high-water mark. Two arenas shared by every thread (the main one, dask's, GDAL's) kept SO1's
peak at 20000² px at 1220 instead of 1350 MB, in the same time (``MALLOC_ARENA_MAX=2``, measured on ``indicators
run`` with SO1 only; a fixed 4 MiB mmap threshold gave 1226 MB but took 11 % more).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

#: glibc's mallopt parameter number for the largest number of arenas (malloc.h)
_M_ARENA_MAX = -8
#: arenas a run's process keeps (see the module's docstring)
RUN_ARENAS = 2


@functools.lru_cache(maxsize=None)
def _libc_function(name: str):
    lib = ctypes.util.find_library("c")
    if not lib:
        return None
    try:
        return getattr(ctypes.CDLL(lib), name)
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): nothing to do
        return None


def _malloc_trim():
    return _libc_function("malloc_trim")


def limit_arenas(n: int = RUN_ARENAS) -> bool:
    """Let glibc's malloc use at most *n* arenas from now on (arenas already made stay); True when it took.

    Left alone when the environment sets ``MALLOC_ARENA_MAX`` (the user's choice), or where libc has no mallopt.
    Call it before the threads that allocate start: a command's first step.
    """
    mallopt = _libc_function("mallopt")
    if mallopt is None or "MALLOC_ARENA_MAX" in os.environ:
        return False
    return bool(mallopt(_M_ARENA_MAX, int(n)))


def trim_heap() -> None:
    """Return the memory the process has freed to the operating system (a no-op where libc has no malloc_trim)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)

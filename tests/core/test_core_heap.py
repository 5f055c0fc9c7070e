"""indicators.heap.trim_heap: memory freed in the middle of the heap goes back to the operating system."""

from __future__ import annotations

import os
import sys

import pytest

from indicators import heap


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_trim_heap_gives_freed_blocks_back():
    if not sys.platform.startswith("linux") or heap._malloc_trim() is None:
        pytest.skip("needs glibc's malloc_trim (Linux with glibc)")
    blocks = [bytearray(64 * 1024) for _ in range(3000)]  # ~190 MiB below the mmap threshold: from the heap
    last = blocks.pop()  # still in use at the top of the heap: free() alone cannot shrink it
    blocks.clear()
    before = _rss()
    heap.trim_heap()
    after = _rss()
    assert before - after > 100 * 2**20, (before, after)
    del last


def test_trim_heap_is_safe_to_call_anytime():
    for _ in range(3):
        heap.trim_heap()  # no memory freed: nothing happens, and a libc without malloc_trim is a no-op


_ARENAS_SCRIPT = """
import ctypes, ctypes.util, sys, threading
from indicators import heap
if sys.argv[1] == "limit":
    assert heap.limit_arenas(2)
barrier = threading.Barrier(6)
held = []
def work():
    barrier.wait()  # the six threads allocate at the same time: each takes an arena of its own if it may
    held.append([bytearray(4096) for _ in range(2000)])
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(6)]
[t.start() for t in threads]
[t.join() for t in threads]
ctypes.CDLL(ctypes.util.find_library("c")).malloc_stats()  # one "Arena n:" block per arena, on stderr
"""


def _arenas(mode: str) -> int:
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    proc = subprocess.run([sys.executable, "-c", _ARENAS_SCRIPT, mode], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.count("Arena ")


def test_limit_arenas_caps_the_arenas_threads_allocate_from():
    if not sys.platform.startswith("linux") or heap._libc_function("mallopt") is None:
        pytest.skip("needs glibc's mallopt (Linux with glibc)")
    assert _arenas("limit") <= 2
    assert _arenas("free") > 2  # without the limit the same threads make more: the count above is the limit's


def test_banded_pass_trims_the_heap_after_each_band(monkeypatch):
    """A pass by bands gives freed memory back after every band, not once at the stage's end: the fragments a band's
    blocks leave otherwise pile up over a long pass (SO1 at 20000² px: 1209 -> 1017 MiB peak)."""
    import dask.array as da
    import numpy as np

    from indicators.summarize_bands import compute_banded

    calls = []
    monkeypatch.setattr(heap, "trim_heap", lambda: calls.append(len(calls)))
    grid = da.ones((12, 4), chunks=(4, 4))

    class Rows:  # a banded item (duck-typed, as indicators.summarize_bands documents): row sums
        ychunks, width = grid.chunks[0], 4

        def whole(self):
            return grid.sum(axis=1)

        def band(self, r0, r1):
            return grid[r0:r1].sum(axis=1)

        def combine(self, values):
            return np.concatenate(values)

    (sums,) = compute_banded([Rows()], band_pixels=16)  # one 4 x 4 chunk per band: three bands
    assert sums.tolist() == [4.0] * 12
    assert len(calls) == 3

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

"""Shared benchmark helpers: run one case in a fresh subprocess, report wall time and peak RSS.

A case is a function in the calling benchmark module; the worker process imports
the module, calls ``setup`` (not timed), then the case (timed), and prints one
JSON line.  Peak RSS (``ru_maxrss``) is the whole process's, including imports;
``base_mib`` is the footprint before the case's own data were loaded.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any


def rss_mib() -> float:
    """Current resident set size of this process, MiB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def run_worker(script: str, args: list[str], timeout: float = 1800) -> dict[str, Any]:
    """Run ``python script *args`` and parse the last JSON line it prints."""
    proc = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, timeout=timeout)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]}
    return json.loads(lines[-1])


def emit(result: dict[str, Any]) -> None:
    """Print a worker's result as one JSON line (what :func:`run_worker` reads)."""
    print(json.dumps(result, default=float), flush=True)

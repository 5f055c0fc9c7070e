"""Progress of a run: one line per stage, dask's progress bar for the lazy parts, ``--quiet``."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class Progress:
    """Prints ``[i/n] stage … done in s`` lines and wraps dask computations in a progress bar.

    With *quiet* nothing is printed.  With a dask.distributed *client*,
    computations run on the cluster and ``distributed.progress`` is shown.
    """

    def __init__(self, total: int, *, quiet: bool = False, stream: TextIO | None = None, client: Any = None) -> None:
        self.total = total
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.client = client
        self.index = 0
        self.timings: dict[str, float] = {}

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    @contextmanager
    def stage(self, title: str) -> Iterator[None]:
        """Time a stage and report it; the time is kept in :attr:`timings`."""
        self.index += 1
        self.say(f"[{self.index}/{self.total}] {title}")
        t0 = time.perf_counter()
        try:
            yield
        finally:
            dt = time.perf_counter() - t0
            self.timings[title] = round(dt, 3)
            self.say(f"      done in {dt:.1f} s")

    def compute(self, *objs: Any) -> tuple[Any, ...]:
        """``dask.compute(*objs)`` with a progress bar (local threads or the distributed client)."""
        import dask

        if self.client is not None:
            futures = self.client.compute(list(objs))
            if not self.quiet:
                from distributed import progress

                progress(futures, notebook=False)
                print(file=self.stream)
            return tuple(self.client.gather(futures))
        if self.quiet:
            return dask.compute(*objs)
        from dask.diagnostics import ProgressBar

        with ProgressBar(minimum=1.0, out=self.stream):
            return dask.compute(*objs)

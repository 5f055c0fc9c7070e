"""Progress of a run, suited to where it goes: a live bar on a terminal, plain lines in a log.

On a terminal each stage prints ``[i/n] stage`` and ``done in s``, and dask
computations draw dask's live progress bar.  Anywhere else (a file, a pipe, a
CI log) there are no carriage returns: one line per stage with its duration,
and, for a computation longer than a second, a line every ~10 %.  ``--quiet``
prints nothing.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

#: a log gets a line each time a computation passes another STEP_PERCENT
STEP_PERCENT = 10
# dask.diagnostics.ProgressBar's redraw: "[#####     ] | 50% Completed |  1.2s"
_BAR = re.compile(r"\|\s*(\d+)% Completed\s*\|\s*([0-9.]+\s*[a-z]*)")


def is_terminal(stream: Any) -> bool:
    """Whether *stream* is an interactive terminal (a live bar can redraw in place)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class LogLines:
    """A text stream for logs: a progress bar's in-place redraws become a line every :data:`STEP_PERCENT`.

    Text written to it is passed on line by line; a bar redraw (``\\r[###  ] | 40% Completed | 2.1s``) is
    passed on only when it has advanced another step, as ``<prefix>  40 % after 2.1s``.  Nothing written
    contains a carriage return.
    """

    def __init__(self, stream: TextIO, prefix: str = "") -> None:
        self.raw = stream
        self.prefix = prefix
        self._pending = ""
        self._next = STEP_PERCENT
        self._last = -1

    def write(self, text: str) -> int:
        self._pending += text
        *done, self._pending = re.split(r"[\r\n]", self._pending)
        for segment in done:
            self._emit(segment)
        return len(text)

    def _emit(self, segment: str) -> None:
        m = _BAR.search(segment)
        if m is None:
            if segment.strip():
                self.raw.write(segment + "\n")
            return
        pct = int(m.group(1))
        if pct < self._last:  # a new bar
            self._next = STEP_PERCENT
        self._last = pct
        if pct >= self._next:
            self.raw.write(f"{self.prefix}{pct:>4d} % after {m.group(2).strip()}\n")
            self._next = (pct // STEP_PERCENT + 1) * STEP_PERCENT

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return False


class Progress:
    """Reports stages and wraps dask computations in a progress display suited to the stream.

    With *quiet* nothing is printed.  With a dask.distributed *client*,
    computations run on the cluster (with ``distributed.progress`` on a terminal).
    *live* forces the terminal (True) or log (False) style; by default it
    follows ``stream.isatty()``.
    """

    def __init__(self, total: int, *, quiet: bool = False, stream: TextIO | None = None, client: Any = None,
                 live: bool | None = None) -> None:
        self.total = total
        self.quiet = quiet
        raw = stream or sys.stderr
        self.live = is_terminal(raw) if live is None else live
        # what progress bars write to: the terminal itself, or a log's line filter
        self.stream: Any = raw if self.live else LogLines(raw)
        self.raw = raw
        self.client = client
        self.index = 0
        self.timings: dict[str, float] = {}

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.raw, flush=True)

    @contextmanager
    def stage(self, title: str) -> Iterator[None]:
        """Time a stage and report it; the time is kept in :attr:`timings`."""
        self.index += 1
        head = f"[{self.index}/{self.total}] {title}"
        if self.live:
            self.say(head)
        else:  # a log: the stage's one line comes at its end, with its duration; progress lines carry its number
            self.stream.prefix = f"[{self.index}/{self.total}]"
        t0 = time.perf_counter()
        try:
            yield
        finally:
            dt = time.perf_counter() - t0
            self.timings[title] = round(dt, 3)
            self.say(f"      done in {dt:.1f} s" if self.live else f"{head}: done in {dt:.1f} s")

    @contextmanager
    def bar(self, minimum: float = 1.0) -> Iterator[None]:
        """Show the progress of the dask computations (local scheduler) run inside the block."""
        if self.quiet:
            yield
            return
        from dask.diagnostics import ProgressBar

        with ProgressBar(minimum=minimum, out=self.stream):
            yield

    def compute(self, *objs: Any) -> tuple[Any, ...]:
        """``dask.compute(*objs)`` with a progress display (local threads or the distributed client)."""
        import dask

        if self.client is not None:
            futures = self.client.compute(list(objs))
            if not self.quiet and self.live:
                from distributed import progress

                progress(futures, notebook=False)
                print(file=self.raw)
            return tuple(self.client.gather(futures))
        with self.bar():
            return dask.compute(*objs)

"""indicators.progress: a live bar on a terminal, plain lines (no carriage return) in a log."""

from __future__ import annotations

import io
import re
import time

import dask
import dask.array as da

from indicators.progress import LogLines, Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _slow_sum(n_tasks: int = 40, seconds: float = 0.04):
    """A computation of *n_tasks* tasks taking about n_tasks * seconds on one thread."""
    def slow(block):
        time.sleep(seconds)
        return block

    return da.ones((n_tasks,), chunks=1).map_blocks(slow).sum()


def test_log_gets_one_line_per_stage_and_a_line_every_ten_percent():
    log = io.StringIO()
    p = Progress(2, stream=log)
    with dask.config.set(scheduler="synchronous"):
        with p.stage("first stage"):
            (total,) = p.compute(_slow_sum())
        with p.stage("quick stage"):
            p.compute(da.ones(3, chunks=1).sum())
    assert total == 40
    text = log.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert re.fullmatch(r"\[1/2\] first stage: done in \d+\.\d s", lines[-2]), lines
    assert re.fullmatch(r"\[2/2\] quick stage: done in \d+\.\d s", lines[-1]), lines
    steps = [int(m.group(1)) for m in (re.fullmatch(r"\[1/2\]\s+(\d+) % after .*", ln) for ln in lines[:-2]) if m]
    assert steps == sorted(steps) and steps[-1] == 100, lines
    assert 3 <= len(steps) <= 11  # about one per 10 % (from the first second on), never one per redraw
    tens = [s // 10 for s in steps]
    assert all(a < b for a, b in zip(tens, tens[1:], strict=False)), steps  # each line passes another 10 %
    assert len(lines) == len(steps) + 2  # the quick stage (under a second) shows no progress line


def test_terminal_gets_the_live_bar():
    term = _Terminal()
    p = Progress(1, stream=term)
    with dask.config.set(scheduler="synchronous"), p.stage("stage"):
        p.compute(_slow_sum(30, 0.05))
    text = term.getvalue()
    assert text.startswith("[1/1] stage\n") and "\r[" in text and "100% Completed" in text


def test_quiet_prints_nothing():
    log = io.StringIO()
    p = Progress(1, stream=log, quiet=True)
    with p.stage("s"):
        p.compute(da.ones(3, chunks=1).sum())
    assert log.getvalue() == "" and "s" in p.timings


def test_log_lines_filter_bar_redraws_written_by_any_writer():
    out = io.StringIO()
    lines = LogLines(out, prefix="[1/1]")
    for pct in (0, 3, 9, 10, 11, 25, 26, 60, 100):
        lines.write(f"\r[####      ] | {pct}% Completed | {pct / 10:.1f} s")
    lines.write("\nplain text\n")
    assert out.getvalue().splitlines() == ["[1/1]  10 % after 1.0 s", "[1/1]  25 % after 2.5 s", "[1/1]  60 % after 6.0 s",
                                           "[1/1] 100 % after 10.0 s", "plain text"]

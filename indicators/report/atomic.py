"""Atomic output directories: a run's outputs appear complete or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError


def check_output_dir(out: str | os.PathLike, *, overwrite: bool) -> Path:
    """Return *out* as a Path, or raise InputError if it cannot be (re)written.

    Called before any computation, so a run that would fail at the very end
    because the target exists, or the place is not writable, fails at once instead.
    Writability is probed by creating (and removing) a directory beside *out*.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"output path {out} exists and is not a directory; choose another -o/--output")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise InputError(f"output directory {out} exists and is not empty; pass --overwrite to replace it or choose another -o/--output")
    parent = out.resolve().parent
    if not parent.is_dir():
        blocker = _first_non_directory(parent)
        if blocker is not None:
            raise InputError(f"cannot create the output {out}: {blocker} is a file and is not a directory; "
                             "choose another -o/--output")
        raise InputError(f"the parent directory of the output {out} does not exist: create {parent} first")
    # Permission bits say nothing for root, read-only mounts, /proc-like or network file
    # systems: try what the run will do, a directory beside the output, and remove it again.
    try:
        probe = tempfile.mkdtemp(prefix=f".{out.name}.probe-", dir=parent)
    except OSError as exc:
        raise InputError(f"cannot write in {parent}: making a directory there failed ({exc.strerror or exc}); "
                         "choose a writable location with -o/--output") from None
    os.rmdir(probe)
    return out


def _first_non_directory(path: Path) -> Path | None:
    """The nearest existing ancestor of *path* (itself included) when it is not a directory, else None."""
    for p in (path, *path.parents):
        if p.exists():
            return None if p.is_dir() else p
    return None


@contextmanager
def atomic_output_dir(out: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a fresh temporary directory beside *out*; on success move it to *out*.

    The temporary directory lives in the same parent as *out*, so the final
    ``os.replace`` is a rename on one file system.  On any exception the
    temporary directory is removed and *out* is left untouched.  With
    *overwrite*, an existing *out* is first renamed aside and deleted only
    after the new directory is in place.
    """
    out = check_output_dir(out, overwrite=overwrite)
    parent = out.resolve().parent
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; an output directory is not
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
        os.replace(out, old / out.name)
    try:
        os.replace(tmp, out)
    except BaseException:
        if old is not None:  # put the previous output back
            os.replace(old / out.name, out)
            shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)

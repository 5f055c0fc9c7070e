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
        raise InputError(f"output directory {out} exists and is not empty; replace it (--overwrite; overwrite=True in Python) or choose another output directory")
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
    # a marker, so that a later run into *out* can remove it if this process is killed outright
    _write_marker(tmp, out.resolve(), "partial")
    try:
        yield tmp
        (tmp / MARKER).unlink()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; an output directory is not
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=parent))
        _write_marker(old, out.resolve(), "old")
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


# ------------------------------------------------------------------------------------------
# outputs never touch inputs; one run per output; staging that one cleanup removes

#: file inside every staging directory a run makes beside its output (never removed by name alone)
MARKER = ".indicators-staging.json"


def _resolved(p: str | os.PathLike) -> Path:
    return Path(os.path.abspath(os.path.expanduser(str(p)))).resolve()


def _within(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_output_location(out: str | os.PathLike, protected: list[tuple[str, Path, bool]]) -> None:
    """Refuse an output that is, contains or (for *inside* entries) lies inside a protected path.

    *protected* holds ``(label, path, inside)``: the output may never be *path* nor
    contain it (``--overwrite`` would replace it); with *inside* it may not lie below
    it either (inputs, the specs, the configuration's folder when inputs live there).
    Called before anything is computed; raises :class:`InputError` with one line.
    """
    target = _resolved(out)
    for label, path, inside in protected:
        p = _resolved(path)
        if _within(p, target):
            what = "is" if p == target else "contains"
            raise InputError(f"the output {out} {what} {label} {p}; --overwrite would destroy it: "
                             "choose an output directory outside the inputs (e.g. a new results/ folder elsewhere)")
        if inside and _within(target, p):
            raise InputError(f"the output {out} is inside {label} {p}; a run never writes among its inputs: "
                             "choose an output directory outside it")


def _write_marker(directory: Path, out: Path, role: str) -> None:
    import json

    (directory / MARKER).write_text(json.dumps({"output": str(out), "role": role, "pid": os.getpid()}), encoding="utf-8")


def _read_marker(directory: Path) -> dict | None:
    import json

    try:
        data = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def remove_stale_staging(out: str | os.PathLike) -> list[Path]:
    """Remove staging directories of *out* left by earlier killed runs; return them.

    A directory is removed only when it sits beside *out*, its name starts with
    ``.<name>.`` and its marker file names this very output. A previous output
    renamed aside by an interrupted ``--overwrite`` (role ``old``) is put back
    when *out* no longer exists, instead of being deleted. Call with the output's
    lock held (:func:`output_lock`), so no live run owns them.
    """
    out = _resolved(out)
    parent = out.parent
    removed: list[Path] = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for d in entries:
        if not d.name.startswith(f".{out.name}.") or not d.is_dir() or d.is_symlink():
            continue
        marker = _read_marker(d)
        if marker is None or marker.get("output") != str(out):
            continue
        if marker.get("role") == "old" and (d / out.name).is_dir() and not out.exists():
            os.replace(d / out.name, out)
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


@contextmanager
def output_lock(out: str | os.PathLike, command: str = "indicators run") -> Iterator[Path]:
    """Hold an exclusive lock on *out* (a ``.<name>.lock`` file beside it) for the whole run.

    A second run into the same output is refused at once (InputError) instead of
    silently replacing the first one's output; the refusal names the *command* holding
    the lock (``indicators run``, ``demo``, ``compare``) and its process. The lock is the
    kernel's (flock): a killed run releases it; the file is removed on exit.
    """
    import fcntl
    import json

    target = _resolved(out)
    lock_path = target.parent / f".{target.name}.lock"
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder, pid = _lock_holder(os.pread(fd, 400, 0).decode("utf-8", "replace"))
            os.close(fd)
            raise InputError(f"another {holder} is writing the output {out} ({pid}); wait for it to finish "
                             "or choose another -o/--output") from None
        try:  # the file we locked may have been removed by the previous holder: lock the current one
            same = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"command": command, "pid": os.getpid()}).encode(), 0)
        yield lock_path
    finally:
        try:
            os.unlink(lock_path)
        except OSError:
            pass
        os.close(fd)


def _lock_holder(text: str) -> tuple[str, str]:
    """``("indicators compare", "pid 4242")``: the command and process a lock file names (what :func:`output_lock`
    writes); ``"process"`` when it names no command (not yet written, or by another program)."""
    import json

    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not data.get("command"):
        return "process", text.strip() or "its id not yet written"
    return str(data["command"]), f"pid {data.get('pid', '?')}"


@contextmanager
def run_staging(out: str | os.PathLike, command: str = "indicators run") -> Iterator[Path]:
    """Lock *out*, clear stale staging of earlier killed runs, and yield a scratch directory for this run.

    The scratch directory lives in a marked staging directory beside *out*
    (``.<name>.staging-*``); for the duration, Python's and GDAL's temporary
    files go there (``tempfile.tempdir``, ``TMPDIR``, ``CPL_TMPDIR``), so one
    removal on exit - success, error, Ctrl-C, SIGTERM or SIGHUP - removes
    every intermediate file, and a run killed outright leaves only marked
    directories that the next run into *out* removes. *command* names the command holding the lock, in the
    refusal of a second one (:func:`output_lock`).
    """
    target = _resolved(out)
    with output_lock(target, command):
        remove_stale_staging(target)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
        _write_marker(staging, target, "staging")
        scratch = staging / "scratch"
        scratch.mkdir()
        saved_tempdir = tempfile.tempdir
        saved_env = {k: os.environ.get(k) for k in ("TMPDIR", "CPL_TMPDIR")}
        tempfile.tempdir = str(scratch)
        os.environ.update(TMPDIR=str(scratch), CPL_TMPDIR=str(scratch))
        try:
            yield scratch
        finally:
            tempfile.tempdir = saved_tempdir
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            shutil.rmtree(staging, ignore_errors=True)

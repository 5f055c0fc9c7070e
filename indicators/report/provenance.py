"""provenance.json: what was run, with what, on what, and how long it took."""

from __future__ import annotations

import hashlib
import platform
import sys
import threading
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from .tables import dumps_json

_PACKAGES = ("numpy", "pandas", "xarray", "rioxarray", "rasterio", "dask", "distributed", "geopandas",
             "shapely", "pyproj", "pint", "pydantic", "exactextract", "scipy", "numba", "openpyxl", "matplotlib")


def sha256_file(path: str | Path, *, chunk: int = 1 << 24, stop: threading.Event | None = None) -> str:
    """Hex SHA-256 of a file's bytes (a URL input is read through fsspec).

    Read in chunks of 16 MiB into one buffer: the read and the hash release the GIL, and each takes it back once per
    chunk, so the hashing shares few hand-offs with a thread running Python (:class:`Checksums`).  *stop* set: the
    hashing gives up between two chunks (:class:`HashingStopped`)."""
    from ..remote import RemotePath

    if isinstance(path, RemotePath):
        return path.sha256()
    h = hashlib.sha256()
    buf = bytearray(chunk)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while True:
            if stop is not None and stop.is_set():  # before each read: a stopped hash reads nothing more
                raise HashingStopped(str(path))
            n = f.readinto(buf)
            if not n:
                break
            h.update(view[:n])
    return h.hexdigest()


class HashingStopped(Exception):
    """:func:`sha256_file` gave up: its *stop* was set (a run closing its :class:`Checksums` early)."""


class Checksums:
    """:func:`sha256_file` of several files in one background thread, started early and asked for later.

    The run starts it once its rasters are written: what follows (tables, workbook, report) runs Python on one core
    and leaves the other idle, which the checksums of the inputs then use (0.4 s of the 10000² benchmark's inputs,
    issue 16).  A file not hashed there (a URL, one not given, or any after :meth:`close`) is hashed when asked for."""

    def __init__(self, paths: Iterable[str | Path]):
        from concurrent.futures import ThreadPoolExecutor

        from ..remote import RemotePath

        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checksums")
        # local files only: a URL is read through fsspec's event loop, which a run on a cluster with NetCDF at a URL
        # also uses (h5py's lock held while it waits on that loop); such files are hashed when asked for, as before
        local = {str(p): p for p in paths if not isinstance(p, RemotePath)}
        self._pending = {key: self._pool.submit(sha256_file, p, stop=self._stop) for key, p in local.items()}

    def __call__(self, path: str | Path) -> str:
        from concurrent.futures import CancelledError  # (its TimeoutError is the builtin one from Python 3.11 on)

        pending = self._pending.get(str(path))
        while pending is not None:
            try:
                # a short wait at a time: Ctrl-C reaches the main thread between two (a lock wait with no timeout
                # is not interrupted on Windows)
                return pending.result(timeout=0.25)
            except TimeoutError:
                continue
            except (HashingStopped, CancelledError):
                break
        return sha256_file(path)

    def close(self) -> None:
        """Stop the thread: the checksums not started are dropped and the one under way gives up at its next chunk,
        so a run that stops early (an error, Ctrl-C) does not wait for the inputs to be read."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)


def sha256_files(paths: Iterable[str | Path], *, root: str | Path | None = None) -> str:
    """One SHA-256 over several files: each file's relative name and bytes, in sorted order."""
    h = hashlib.sha256()
    items = sorted((str(Path(p).relative_to(root)) if root else Path(p).name, Path(p)) for p in paths)
    for name, p in items:
        h.update(name.encode("utf-8") + b"\0")
        h.update(sha256_file(p).encode("ascii") + b"\n")
    return h.hexdigest()


def software_versions() -> dict[str, str]:
    """Versions of Python, this package and its main dependencies."""
    from .. import __version__

    out = {"python": sys.version.split()[0], "platform": platform.platform(), "unccd-indicators": __version__}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def write_json(obj: Any, path: str | Path) -> Path:
    """Write *obj* as deterministic JSON (sorted keys)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps_json(obj), encoding="utf-8")
    return path

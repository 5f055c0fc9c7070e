"""The check every reader makes first: the input path names an existing file."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise InputError(f"{what} {path} does not exist; check the path in the run configuration")
    if path.is_dir() and path.suffix.lower() not in {".gdb", ".zarr"}:
        raise InputError(f"{what} {path} is a directory, not a file")

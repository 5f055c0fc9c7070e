"""provenance.json: what was run, with what, on what, and how long it took."""

from __future__ import annotations

import hashlib
import platform
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from .tables import dumps_json

_PACKAGES = ("numpy", "pandas", "xarray", "rioxarray", "rasterio", "dask", "distributed", "geopandas",
             "shapely", "pyproj", "pint", "pydantic", "exactextract", "scipy", "numba", "openpyxl", "matplotlib")


def sha256_file(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes (a URL input is read through fsspec)."""
    from ..remote import RemotePath

    if isinstance(path, RemotePath):
        return path.sha256()
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


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

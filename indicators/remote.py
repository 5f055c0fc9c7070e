"""Inputs given as URLs, so that every worker of a cluster can read them: ``https://`` and ``s3://`` (also
``http://``, ``gs://``, ``az://``).

Rasters (GeoTIFF/COG) are read by GDAL's virtual file systems: rasterio turns ``https://…`` into
``/vsicurl/https://…`` and ``s3://bucket/key`` into ``/vsis3/bucket/key`` itself, reading only the
byte ranges of the blocks a task needs; the URL is all a dask graph carries, and each worker opens it.
NetCDF files are read by h5netcdf through an fsspec file (HTTP range requests with ``aiohttp``; S3 with
``s3fs``): GDAL's netCDF driver cannot read from its virtual file systems. Credentials come from the
environment (``AWS_ACCESS_KEY_ID``…, ``AWS_PROFILE``; ``AWS_NO_SIGN_REQUEST=YES`` for public buckets),
as GDAL and fsspec read them, and are never written into a configuration or provenance.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import urllib.error
import urllib.request
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlparse

from .errors import InputError

SCHEMES = ("http", "https", "s3", "gs", "az")
#: seconds to wait for a server when checking that an input exists
TIMEOUT_S = 30


def is_url(value: Any) -> bool:
    """Whether *value* (a configured path) is a URL of a scheme this package reads."""
    return isinstance(value, (str, RemotePath)) and urlparse(str(value)).scheme.lower() in SCHEMES and "://" in str(value)


class RemotePath:
    """A configured input at a URL, with the few ``pathlib.Path`` methods the checks and the provenance use."""

    def __init__(self, url: str | RemotePath) -> None:
        self.url = str(url)
        self._parsed = urlparse(self.url)

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"RemotePath({self.url!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RemotePath) and other.url == self.url

    def __hash__(self) -> int:
        return hash(self.url)

    @property
    def scheme(self) -> str:
        return self._parsed.scheme.lower()

    @property
    def name(self) -> str:
        return posixpath.basename(self._parsed.path)

    @property
    def suffix(self) -> str:
        return posixpath.splitext(self.name)[1]

    @property
    def stem(self) -> str:
        return posixpath.splitext(self.name)[0]

    def is_absolute(self) -> bool:
        return True

    def expanduser(self) -> RemotePath:
        return self

    def is_dir(self) -> bool:
        return False

    def _head(self) -> dict[str, str] | None:
        """The HTTP headers of the URL (None when it does not exist); an unreachable server is an InputError."""
        request = urllib.request.Request(self.url, method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return {k.lower(): v for k, v in response.headers.items()}
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                return None
            raise InputError(f"{self.url}: the server answered HTTP {exc.code} {exc.reason}; check the URL and its access rights") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(f"{self.url}: cannot reach the server ({reason}); check the URL and the network") from None

    def _fs(self) -> Any:
        import fsspec

        try:
            return fsspec.filesystem(self.scheme)
        except ImportError as exc:
            raise InputError(f"{self.url}: reading {self.scheme}:// URLs needs an optional package ({exc}); "
                             "install unccd-indicators[remote]") from None

    def exists(self) -> bool:
        if self.scheme in ("http", "https"):
            return self._head() is not None
        return bool(self._fs().exists(self.url))

    def is_file(self) -> bool:
        return self.exists()

    def stat(self) -> SimpleNamespace:
        if self.scheme in ("http", "https"):
            headers = self._head() or {}
            size = headers.get("content-length")
            return SimpleNamespace(st_size=int(size) if size is not None else None)
        return SimpleNamespace(st_size=self._fs().size(self.url))

    def open(self, mode: str = "rb") -> Any:
        """A seekable binary file reading the URL by ranges (fsspec); picklable, so a dask graph can carry it."""
        if mode != "rb":
            raise ValueError("remote inputs are read only")
        import fsspec

        try:
            return fsspec.open(self.url, "rb").open()
        except ImportError as exc:
            raise InputError(f"{self.url}: reading {self.scheme}:// NetCDF needs an optional package ({exc}); "
                             "install unccd-indicators[remote]") from None

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.open() as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    def gdal_path(self) -> str:
        """The GDAL virtual file system path (``/vsicurl/…``, ``/vsis3/…``) of the URL."""
        rest = self.url.split("://", 1)[1]
        return {"http": f"/vsicurl/{self.url}", "https": f"/vsicurl/{self.url}", "s3": f"/vsis3/{rest}",
                "gs": f"/vsigs/{rest}", "az": f"/vsiaz/{rest}"}[self.scheme]


def as_input_path(value: str, base_dir: os.PathLike | str) -> Any:
    """A configured path: a :class:`RemotePath` for a URL, else a ``Path`` (relative ones start at *base_dir*)."""
    from pathlib import Path

    if is_url(value):
        return RemotePath(value)
    q = Path(value).expanduser()
    return q if q.is_absolute() else Path(base_dir) / q


def open_netcdf_dataset(path: Any, **kwargs: Any) -> Any:
    """``xarray.open_dataset`` of a local path or a URL (through h5netcdf on an fsspec file)."""
    import xarray as xr

    if isinstance(path, RemotePath):
        return xr.open_dataset(path.open(), engine="h5netcdf", **kwargs)
    return xr.open_dataset(path, **kwargs)

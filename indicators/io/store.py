"""Writing lazy rasters block by block to tiled GeoTIFFs inside a dask computation (:func:`store_rasters`), and
reopening them lazily (:meth:`RasterStore.open`)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import InputError
from .rasters import open_raster


class RasterStore:
    """Layers written block by block to tiled GeoTIFFs as part of a dask computation.

    Made by :func:`store_rasters`.  ``task`` is the (uncomputed) write; compute
    it together with the tables that read the same inputs
    (:func:`indicators.summarize.compute_tables`), then :meth:`open` the files
    as lazy, file-backed rasters (e.g. for per-unit tables, which then read
    windows straight from the files).  Used as a context manager, a temporary
    directory is removed on exit.
    """

    def __init__(self, layers: Mapping[str, xr.DataArray], directory: str | Path | None, compress: str | None,
                 shared: bool = False, scratch: str | Path | None = None):
        import tempfile
        import threading

        import dask.array as dsa
        import rasterio

        from ..grid import grid_of

        self._tmp = tempfile.TemporaryDirectory(prefix="indicators-", dir=scratch) if directory is None else None
        self.shared = shared
        self.directory = Path(self._tmp.name if self._tmp else directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.layers = dict(layers)
        self.paths: dict[str, Path] = {}
        self._datasets = []
        sources, targets = [], []
        lock = threading.Lock()  # one GDAL handle per file is not thread-safe: serialise the (cheap) writes
        for key, da in self.layers.items():
            if da.ndim != 2:
                raise InputError(f"store_rasters: {key!r} has dims {da.dims}; only 2-D (y, x) rasters can be stored")
            da = da.transpose(da.rio.y_dim, da.rio.x_dim)
            grid = grid_of(da)
            path = self.directory / f"{_safe_name(key)}.tif"
            nodata = da.rio.nodata if da.rio.nodata is not None else da.attrs.get("nodata")
            profile = dict(driver="GTiff", width=grid.shape[1], height=grid.shape[0], count=1, dtype=da.dtype.name,
                           crs=grid.crs, transform=grid.transform, nodata=nodata, tiled=True, blockxsize=512,
                           blockysize=512, BIGTIFF="IF_SAFER")
            if compress:
                profile["compress"] = compress
            self.paths[key] = path
            data = da.data if hasattr(da.data, "dask") else dsa.from_array(np.asarray(da.data), chunks=(2048, -1))
            sources.append(data)
            if shared:
                # create the (sparse) file here; each block opens it by path, so any worker seeing it can write
                with rasterio.open(path, "w", SPARSE_OK=True, **profile):
                    pass
                targets.append(_PathWindowWriter(str(path), f"indicators-store-{uuid.uuid4().hex}"))
            else:
                ds = rasterio.open(path, "w", **profile)
                self._datasets.append(ds)
                targets.append(_WindowWriter(ds, lock))
        self.banded = BandedStore(sources, targets)
        self.task = self.banded.whole()

    def _close_writers(self) -> None:
        for ds in self._datasets:
            if not ds.closed:
                ds.close()

    def open(self) -> dict[str, xr.DataArray]:
        """The stored layers as lazy rasters (attributes of the originals, ``source`` = the file)."""
        self._close_writers()
        out = {}
        for key, da in self.layers.items():
            flags, meanings = da.attrs.get("flag_values"), da.attrs.get("flag_meanings")
            nodata = da.rio.nodata if da.rio.nodata is not None else da.attrs.get("nodata")
            if flags is not None and meanings is not None and nodata is not None and da.dtype.kind in "iu":
                legend = dict(zip((int(v) for v in flags), str(meanings).split()))
                r = open_raster(self.paths[key], legend=legend, nodata=nodata, name=da.name)
            else:
                r = open_raster(self.paths[key], units=da.attrs.get("units", "1"), nodata=nodata, name=da.name)
            r.attrs = {**da.attrs, "source": str(self.paths[key])}
            out[key] = r
        return out

    def close(self) -> None:
        """Close the writers and remove the files of a temporary directory."""
        self._close_writers()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> RasterStore:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class BandedStore:
    """The write of a :class:`RasterStore` as an item of :func:`indicators.summarize_bands.compute_banded`: whole,
    or the rows ``r0:r1`` of every layer (so a banded pass writes each band's blocks with the band)."""

    def __init__(self, sources: list[Any], targets: list[Any]) -> None:
        self.sources, self.targets = sources, targets
        found = {tuple(int(c) for c in s.chunks[0]) for s in sources}
        self.ychunks = found.pop() if len(found) == 1 else None
        self.width = max((int(s.shape[1]) for s in sources), default=0)

    def whole(self) -> Any:
        import dask.array as dsa

        return dsa.store(self.sources, self.targets, lock=False, compute=False)

    def band(self, r0: int, r1: int) -> Any:
        import dask.array as dsa

        return dsa.store([s[r0:r1] for s in self.sources], [_RowOffset(t, r0) for t in self.targets], lock=False,
                         compute=False)

    def combine(self, values: Any) -> None:
        return None


class _RowOffset:
    """A store target seen from row *r0* on: the windows of a band land at their rows in the whole file."""

    def __init__(self, target: Any, r0: int) -> None:
        self.target, self.r0 = target, r0

    def __setitem__(self, key, value) -> None:
        rows, cols = key
        self.target[slice((rows.start or 0) + self.r0, (rows.stop if rows.stop is not None else value.shape[0]) + self.r0),
                    cols] = value


class _WindowWriter:
    """dask.array.store target writing (row slice, column slice) windows of one band."""

    def __init__(self, ds, lock):
        self.ds, self.lock = ds, lock

    def __setitem__(self, key, value) -> None:
        from rasterio.windows import Window

        rows, cols = key
        win = Window(cols.start or 0, rows.start or 0, value.shape[1], value.shape[0])
        with self.lock:
            self.ds.write(np.asarray(value), 1, window=win)


class _PathWindowWriter:
    """dask.array.store target for a distributed cluster: picklable (a path and a lock name); each window opens
    the file, writes and closes it, under a cluster-wide lock (GDAL cannot update one file from several
    processes at once)."""

    def __init__(self, path: str, lock_name: str):
        self.path, self.lock_name = path, lock_name

    def _lock(self):
        try:
            from distributed import Lock, get_worker

            get_worker()
        except (ImportError, ValueError):
            return _LOCAL_PATH_LOCK  # not on a distributed worker: threads of this process
        return Lock(self.lock_name)

    def __setitem__(self, key, value) -> None:
        import rasterio
        from rasterio.windows import Window

        rows, cols = key
        win = Window(cols.start or 0, rows.start or 0, value.shape[1], value.shape[0])
        with self._lock(), rasterio.open(self.path, "r+") as ds:
            ds.write(np.asarray(value), 1, window=win)


_LOCAL_PATH_LOCK = threading.Lock()


def _safe_name(key: Any) -> str:
    text = "_".join(map(str, key)) if isinstance(key, tuple) else str(key)
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text) or "layer"


def store_rasters(
    layers: Mapping[Any, xr.DataArray],
    directory: str | Path | None = None,
    *,
    compress: str | None = None,
    shared: bool = False,
    scratch: str | Path | None = None,
) -> RasterStore:
    """Prepare writing lazy 2-D rasters to tiled GeoTIFFs, block by block (nothing is computed yet).

    Parameters
    ----------
    layers : mapping of key → DataArray (y, x) with a CRS
        Numpy- or dask-backed; class layers keep their legend and nodata.
    directory : str or Path, optional
        Where to write ``<key>.tif``; default a temporary directory removed by
        :meth:`RasterStore.close`.
    compress : str, optional
        GDAL compression (e.g. ``"deflate"``); default none: the files are
        intermediates, and writing uncompressed costs no CPU.
    shared : bool
        Write through the file paths instead of this process's open file
        handles, under a cluster-wide lock, so that the workers of a
        ``dask.distributed`` cluster can write the blocks they compute (the
        workers must see *directory*: the same machine, or a shared file
        system). Without it, a distributed scheduler would have to send every
        block back to this process.
    scratch : str or Path, optional
        Parent of the temporary directory when *directory* is not given
        (default: the system's temporary directory, which a remote cluster's
        workers do not see).

    Returns
    -------
    RasterStore
        ``task`` to compute (alone, or with :func:`indicators.summarize.compute_tables`),
        then ``open()`` for the file-backed rasters.
    """
    return RasterStore(layers, directory, compress, shared, scratch)

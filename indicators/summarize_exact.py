"""exactextract as the per-unit tables use it: raster sources reading windows of lazy arrays or files, strips
bounded by the chunk size, and one call returning each unit's values with their area and weight fractions.

Part of :mod:`indicators.summarize` (the public names live there).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from .grid import Grid
from .summarize_bins import _Areas


def _window_source(data, grid: Grid, *, name: str, fill_nan: float | None = None, missing: Any = None):
    """exactextract raster source reading windows of a (numpy or dask) array on demand.

    Only the window exactextract asks for is read (computed, for dask), so a
    raster is never loaded whole; *fill_nan* replaces NaN and *missing* in weights.
    *data* may also be a ``read(row0, col0, nrows, ncols)`` callable (a file reader).
    """
    from exactextract.raster import RasterSource

    if callable(data):
        read = data
    else:

        def read(y0, x0, ny, nx):
            return data[y0 : y0 + ny, x0 : x0 + nx]

    class Source(RasterSource):
        def __init__(self):
            super().__init__()
            self.set_name(name)

        def res(self):
            return (abs(grid.transform.a), abs(grid.transform.e))

        def extent(self):
            return _extent(grid)

        def srs_wkt(self):
            return grid.crs.to_wkt()

        def nodata_value(self):
            return None

        def read_window(self, x0, y0, nx, ny):
            if grid.transform.e > 0:  # south-up storage: flip the window
                y0 = grid.shape[0] - y0 - ny
                win = np.asarray(read(y0, x0, ny, nx))[::-1]
            else:
                win = np.asarray(read(y0, x0, ny, nx))
            if fill_nan is not None:
                win = win.astype(np.float64)
                if missing is not None:
                    win[win == missing] = np.nan
                win = np.where(np.isnan(win), fill_nan, win)
            return np.ascontiguousarray(win)

    return Source()


def _file_reader(da: xr.DataArray):
    """A window reader of the file *da* is an unmodified read of (``indicators.io.open_raster``), else None.

    Reading windows straight from the file (raw values, no masking) avoids
    slicing a dask graph per polygon, which decodes whole row chunks.
    """
    ident = da.encoding.get("indicators_file") if da.chunks is not None else None
    if not ident or ident.get("dask_name") != getattr(da.data, "name", None):
        return None
    import rasterio
    from rasterio.windows import Window

    ds = rasterio.open(ident["path"])
    band = int(ident["band"])

    def read(y0, x0, ny, nx):
        return ds.read(band, window=Window(x0, y0, nx, ny))

    read.close = ds.close
    return read


def _extent(grid: Grid) -> tuple[float, float, float, float]:
    t, (ny, nx) = grid.transform, grid.shape
    xs = (t.c, t.c + t.a * nx)
    ys = (t.f, t.f + t.e * ny)
    return (min(xs), min(ys), max(xs), max(ys))


def _strip_cells(grid: Grid, arrays) -> int:
    """Cells per window of exactextract's raster-sequential strategy: one row of dask chunks, full width.

    exactextract reads full-width strips of ``max_cells_in_memory`` cells (default 3e7: a whole layer of
    up to ~5500² cells at once, for every raster, as float64 after our window conversions); a strip of
    one chunk row computes each dask chunk once and bounds the memory by the chunk size, not the grid.
    """
    ny, nx = grid.shape
    rows = max((max(a.chunks[a.dims.index(a.rio.y_dim)]) for a in arrays if a.chunks is not None), default=ny)
    # subdivide() keeps the grid whole when it has fewer cells than the bound: ask for one cell more than a strip
    return int(min(rows, ny) * nx) if rows < ny else int(ny * nx + 1)


#: what exactextract may hold of the class layers' strips in one pass (bytes); more layers are summarised in several
#: passes over the units, each sharing the coverage computation among its layers
EXACT_PASS_BYTES = 256 * 2**20


def _layers_per_pass(grid: Grid, arrays, weights) -> int:
    """How many class layers one exactextract pass takes: a strip of every layer (read as float64, with its weighted
    fraction when there are weights) stays within :data:`EXACT_PASS_BYTES`; at least one."""
    per_layer = _strip_cells(grid, list(arrays) + ([weights] if weights is not None else [])) * 8 * (2 if weights is not None else 1)
    return max(1, EXACT_PASS_BYTES // per_layer)


def _exact_sums(out, k: int, weighted: bool):
    """Per unit, from :func:`_exact_extract`'s frame: layer *k*'s distinct values, the area of each (km²) and, with
    weights, the weight sum of each (Σ coverage × weight)."""
    for i, (u, af, at) in enumerate(zip(out[f"u{k}"], out[f"af{k}"], out["at"])):
        weight = np.nan_to_num(np.asarray(out[f"wf{k}"].iloc[i], np.float64)) * out["wt"].iloc[i] if weighted else None
        yield np.asarray(u, dtype=np.int64), np.nan_to_num(np.asarray(af, np.float64)) * at, weight


def _exact_extract(layers, units, weights, grid: Grid, areas: _Areas):
    """exactextract over integer *layers* (DataArrays on one grid): per unit, each layer's values (``u<k>``) with
    their area fractions (``af<k>``) and weight fractions (``wf<k>``), the area (``at``) and weight (``wt``) sums."""
    from exactextract import Operation, exact_extract
    from exactextract.raster import NumPyRasterSource

    ext = _extent(grid)
    wkt = grid.crs.to_wkt()
    readers = [_file_reader(c) for c in layers]
    w_reader = _file_reader(weights) if weights is not None else None
    # A lazily computed raster is read strip by strip, each strip computed once
    # (exactextract's raster-sequential strategy); polygon by polygon (feature-
    # sequential) would recompute the overlapping row chunks of every polygon's window.
    lazy = any(r is None and hasattr(c.data, "dask") for r, c in zip(readers, layers)) or areas.pix is not None or (
        weights is not None and w_reader is None and hasattr(weights.data, "dask"))
    if areas.pix is None:
        # One column of exact row areas: exactextract reads it on the class grid (integer multiple).
        rows = areas.rows if grid.transform.e < 0 else areas.rows[::-1]
        area_src = NumPyRasterSource(np.ascontiguousarray(rows[:, None]), *ext, name="area", srs_wkt=wkt)
    else:
        area_src = _window_source(areas.pix.data, grid, name="area", fill_nan=0.0)
    ops = [Operation("sum", "at", area_src, None)]
    rasters = [area_src]
    w_src = None
    if weights is not None:
        w_src = _window_source(w_reader or weights.data, grid, name="w", fill_nan=0.0, missing=weights.rio.nodata)
        ops.append(Operation("sum", "wt", w_src, None))
        rasters.append(w_src)
    for k, (classes, reader) in enumerate(zip(layers, readers)):
        data = classes.data
        if reader is not None:
            src = _window_source(reader, grid, name=f"c{k}")
        elif not hasattr(data, "dask") and grid.transform.e < 0:
            src = NumPyRasterSource(np.ascontiguousarray(data), *ext, name=f"c{k}", srs_wkt=wkt)
        else:
            src = _window_source(data, grid, name=f"c{k}")
        ops += [Operation("unique", f"u{k}", src, None), Operation("weighted_frac", f"af{k}", src, area_src)]
        if w_src is not None:
            ops.append(Operation("weighted_frac", f"wf{k}", src, w_src))
        rasters.append(src)
    vec = units[[units.geometry.name]].reset_index(drop=True)
    strip = {"max_cells_in_memory": _strip_cells(grid, list(layers) + ([weights] if weights is not None else []))}
    try:
        out = exact_extract(rasters, vec, ops, output="pandas",
                            strategy="raster-sequential" if lazy else "feature-sequential", **(strip if lazy else {}))
    finally:
        for r in readers + [w_reader]:
            if r is not None:
                r.close()
    return out

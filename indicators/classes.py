"""Class rasters: the one class-threshold helper, lookup-table recoding and CF flag metadata.

Every classification by thresholds in the package (drought intensity from SPI,
SOC change, productivity z-scores, …) goes through :func:`classify_by_breaks`,
so the boundary rule (which class a value exactly on a break belongs to) is a
parameter stated once and recorded in the output's attributes.
Every recoding by a lookup table (legend nesting, LPD 5 → 3 classes, status
collapse, …) goes through :func:`recode`.

Both work unchanged on numpy- and dask-backed DataArrays and on plain arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from .errors import ArgumentError

BoundaryRule = Literal["right", "left"]


def _apply(func, values, dtype, **attrs_out):
    """Apply an elementwise numpy *func* to ndarray or DataArray (lazily for dask)."""
    try:
        import xarray as xr
    except ImportError:  # pragma: no cover - xarray is a dependency
        xr = None
    if xr is not None and isinstance(values, xr.DataArray):
        out = xr.apply_ufunc(func, values, dask="parallelized", output_dtypes=[dtype], keep_attrs=False)
        # keep_attrs=False also strips the attributes of coordinates, among them
        # the CRS that rioxarray keeps on `spatial_ref`: put the input's coordinates back.
        out = out.assign_coords(values.coords)
        out.attrs.update(attrs_out)
        return out
    return func(np.asarray(values))


def classify_by_breaks(
    values: Any,
    breaks: Sequence[float],
    codes: Sequence[int],
    *,
    right_closed: bool,
    nodata: int,
    dtype: str = "uint8",
) -> Any:
    """Assign each value to the interval between consecutive *breaks*.

    Parameters
    ----------
    values : array-like or xarray.DataArray
        Continuous values (e.g. SPI, percent change). NaN gives *nodata*.
    breaks : sequence of float
        Strictly increasing inner boundaries b_1 < … < b_k; the line is cut into
        k + 1 intervals (−∞, b_1], (b_1, b_2], …, (b_k, +∞) — the whole real
        line is covered, without gaps or overlaps.
    codes : sequence of int
        k + 1 class codes, one per interval, from the lowest interval up.
    right_closed : bool
        True: intervals are (b_i, b_{i+1}], so a value equal to a break goes to
        the *lower* interval. False: [b_i, b_{i+1}), so it goes to the upper one.
        Example (SPI, decision D6): mild drought is −1 < SPI ≤ 0, so the manual's
        convention is ``right_closed=True``; Trends.Earth's is ``False``.
    nodata : int
        Code for NaN (missing) input.
    dtype : str
        Output integer dtype (D15: small unsigned integers).

    Returns
    -------
    Same type as *values*, integer codes.
    """
    b = np.asarray(breaks, dtype="float64")
    c = np.asarray(codes, dtype=dtype)
    if b.ndim != 1 or (b.size > 1 and not np.all(np.diff(b) > 0)):
        raise ValueError(f"breaks must be strictly increasing, got {list(breaks)}")
    if c.size != b.size + 1:
        raise ValueError(f"{b.size} breaks need {b.size + 1} codes, got {c.size}")
    fill = np.asarray(nodata, dtype=dtype)
    side = "left" if right_closed else "right"

    def _classify(x: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(b, x, side=side)
        out = c[np.minimum(idx, c.size - 1)]
        return np.where(np.isnan(x), fill, out).astype(dtype, copy=False)

    rule = "(lower, upper]" if right_closed else "[lower, upper)"
    return _apply(_classify, values, dtype, class_breaks=list(map(float, b)), class_interval_rule=rule)


def recode(
    values: Any,
    mapping: Mapping[int, int],
    *,
    nodata: int,
    default: int | None = None,
    input_nodata: Sequence[int] = (),
    dtype: str = "uint8",
) -> Any:
    """Recode integer classes through a lookup table.

    Parameters
    ----------
    values : array-like or xarray.DataArray of integers (floats with NaN allowed)
    mapping : {input code: output code}
    nodata : int
        Output code for NaN, for codes in *input_nodata*, and — when *default*
        is None — for any code absent from *mapping*.
    default : int, optional
        Output for codes absent from *mapping* (None: they become *nodata*).
    input_nodata : sequence of int
        Input codes that mean "no data" (e.g. JRC LPD 0 and 15).

    Notes
    -----
    8- and 16-bit integer inputs (the usual class rasters) are read through a
    table over the dtype's whole range, built once per call and dtype (≈ 0.4 ns
    per cell instead of ≈ 30 ns); other inputs take the general kernel.  Both
    give the same result.
    """
    if not isinstance(mapping, Mapping) or not mapping:
        raise ArgumentError(f"mapping {mapping!r}: recode needs a non-empty {{input code: output code}} dict")
    keys = np.fromiter(mapping.keys(), dtype="int64", count=len(mapping))
    vals = np.fromiter(mapping.values(), dtype="int64", count=len(mapping))
    missing = nodata if default is None else default
    order = np.argsort(keys)
    keys, vals = keys[order], vals[order]
    bad = np.asarray(list(input_nodata), dtype="int64")

    def _general(x: np.ndarray) -> np.ndarray:
        isnan = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, dtype=bool)
        if x.dtype.kind == "f":
            fraction = np.flatnonzero(~isnan & (x != np.floor(x)))
            if fraction.size:  # a class code is a whole number: 10.5 was read as class 10
                raise ArgumentError(f"values hold {fraction.size} cell(s) that are not whole numbers (the first "
                                    f"{x.flat[fraction[0]]:g}) where class codes are expected; classify or round the "
                                    "raster first")
        xi = np.where(isnan, 0, x).astype("int64", copy=False)
        pos = np.clip(np.searchsorted(keys, xi), 0, keys.size - 1)
        out = np.where(keys[pos] == xi, vals[pos], missing)
        out = np.where(isnan | np.isin(xi, bad), nodata, out)
        return out.astype(dtype, copy=False)

    # Integers of at most 16 bits take at most 65 536 values: the general kernel is evaluated
    # once on all of them and each block is read through that table (one pass, no int64
    # temporaries).  The table *is* the general kernel, so both paths agree by construction.
    tables: dict[np.dtype, np.ndarray] = {}

    def _recode(x: np.ndarray) -> np.ndarray:
        if x.dtype not in _TABLE_DTYPES:
            return _general(x)
        table = tables.get(x.dtype)
        if table is None:
            info = np.iinfo(x.dtype)
            table = tables[x.dtype] = _general(np.arange(info.min, info.max + 1, dtype=x.dtype))
        return take_table(x, table, offset=-int(np.iinfo(x.dtype).min))

    return _apply(_recode, values, dtype)


#: input dtypes that :func:`recode` reads through a table over the dtype's whole range
_TABLE_DTYPES = frozenset(np.dtype(t) for t in ("uint8", "int8", "uint16", "int16"))


def _take_table_loop(x, table, offset, out):  # compiled by numba on first use (see take_table)
    for i in range(x.size):
        out[i] = table[x[i] + offset]


_take_table_kernel = None


def take_table(x: np.ndarray, table: np.ndarray, *, offset: int = 0) -> np.ndarray:
    """``table[x + offset]`` elementwise for an integer array, in one pass (numba).

    *table* must cover every value of *x*: a table over the whole range of an 8- or
    16-bit dtype, with ``offset = -dtype.min`` for signed dtypes (0 for unsigned ones).
    Used by :func:`recode` and by the tabulated fast paths of the SO1 kernels.
    """
    global _take_table_kernel
    if _take_table_kernel is None:  # numba is imported only when a table is applied
        import numba

        _take_table_kernel = numba.njit(nogil=True, cache=True)(_take_table_loop)
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty(flat.size, dtype=table.dtype)
    _take_table_kernel(flat, table, np.int64(offset), out)
    return out.reshape(np.shape(x))


def flag_attrs(
    codes: Sequence[int],
    meanings: Sequence[str],
    *,
    nodata: int,
    long_name: str,
    **extra: Any,
) -> dict[str, Any]:
    """CF attributes of a class raster: ``flag_values``, ``flag_meanings``, ``_FillValue``-style nodata.

    Meanings are turned into CF tokens (spaces → underscores, lower case).
    """
    if len(codes) != len(meanings):
        raise ValueError(f"{len(codes)} codes but {len(meanings)} meanings")
    tokens = [_cf_token(m) for m in meanings]
    attrs: dict[str, Any] = {
        "long_name": long_name,
        "units": "1",
        "flag_values": np.asarray(codes, dtype="int64").tolist(),
        "flag_meanings": " ".join(tokens),
        "nodata": int(nodata),
    }
    attrs.update(extra)
    return attrs


def _cf_token(text: str) -> str:
    out = []
    for ch in text.strip().lower():
        out.append(ch if ch.isalnum() else "_")
    token = "".join(out)
    while "__" in token:
        token = token.replace("__", "_")
    return token.strip("_")

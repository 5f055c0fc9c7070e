"""One block of an input's plausibility check: its cells outside the declared range or codes, its NaN cells, the
first of each (the run reads every block of every input before any stage: a pass over the country).

Part of :mod:`indicators.plausibility`.  :func:`_block_summary` counts in one numba pass per block where the
comparisons are exact in float64 (integer cells; float cells whose bounds and nodata their dtype holds exactly);
otherwise numpy's own comparisons, with numpy's promotion (:func:`_block_summary_numpy`, also the reference of
the tests).  The numpy formulation's masks and temporaries were 4.6 CPU-s of a 10⁸-pixel run.
"""

from __future__ import annotations

import math

import numba
import numpy as np


def _block_summary(block: np.ndarray, offset: tuple[int, ...], low: float | None, low_exclusive: bool,
                   high: float | None, codes: np.ndarray | None, nodata: float | None) -> tuple:
    """(outside, nan, first outside index, its value, first NaN index, cells checked) of one block."""
    values = np.asarray(block)
    kind = values.dtype.kind
    if kind not in "uif" or values.ndim == 0 or values.size == 0 or (codes is not None and kind == "f"):
        return _block_summary_numpy(block, offset, low, low_exclusive, high, codes, nodata)
    nan_nodata = nodata is not None and isinstance(nodata, float) and math.isnan(nodata)
    bounds = [v for v in (low, high) if v is not None] + ([] if nodata is None or nan_nodata else [nodata])
    if kind == "f" and any(values.dtype.type(v) != v for v in bounds):  # numpy compares in the block's dtype
        return _block_summary_numpy(block, offset, low, low_exclusive, high, codes, nodata)
    if kind in "ui" and (values.dtype.itemsize == 8 or any(abs(float(v)) >= 2.0**53 for v in bounds)):
        return _block_summary_numpy(block, offset, low, low_exclusive, high, codes, nodata)
    table, table_min = _code_table(values.dtype, codes)
    flat = values.reshape(-1, values.shape[-1])
    bad, nan, first_bad, first_nan, checked = _summary_kernel(
        flat, nodata is not None and not nan_nodata, float(nodata) if nodata is not None and not nan_nodata else 0.0,
        nan_nodata, low is not None, float(low) if low is not None else 0.0, bool(low_exclusive), high is not None,
        float(high) if high is not None else 0.0, codes is not None, table, table_min,
        np.asarray(codes if codes is not None else [], np.float64))
    first_index = value = first_nan_index = None
    if bad:
        idx = np.unravel_index(int(first_bad), values.shape)
        first_index = tuple(int(i + o) for i, o in zip(idx, offset))
        value = float(values[idx])
    if nan:
        idx = np.unravel_index(int(first_nan), values.shape)
        first_nan_index = tuple(int(i + o) for i, o in zip(idx, offset))
    return int(bad), int(nan), first_index, value, first_nan_index, int(checked)


def _code_table(dtype: np.dtype, codes: np.ndarray | None) -> tuple[np.ndarray, int]:
    """For 8- and 16-bit integer cells: a table over the dtype's range, True at the codes (else an empty table)."""
    if codes is None or dtype.kind not in "ui" or dtype.itemsize > 2:
        return np.zeros(0, dtype=bool), 0
    info = np.iinfo(dtype)
    codes = np.asarray(codes, dtype=np.float64)
    whole = codes[np.isfinite(codes) & (codes == np.round(codes)) & (codes >= info.min) & (codes <= info.max)]
    table = np.zeros(int(info.max) - int(info.min) + 1, dtype=bool)
    table[whole.astype(np.int64) - int(info.min)] = True
    return table, int(info.min)


@numba.njit(nogil=True, cache=True)
def _summary_kernel(values, has_nodata, nodata, nan_nodata, has_low, low, low_exclusive, has_high, high, has_codes,
                    table, table_min, codes):  # pragma: no cover - compiled
    bad = 0
    nan = 0
    checked = 0
    first_bad = -1
    first_nan = -1
    width = values.shape[1]
    for i in range(values.shape[0]):
        for j in range(width):
            v = np.float64(values[i, j])
            if np.isnan(v):
                if not nan_nodata:
                    if first_nan < 0:
                        first_nan = i * width + j
                    nan += 1
                continue
            if has_nodata and v == nodata:
                continue
            checked += 1
            out = False
            if has_low and (v <= low if low_exclusive else v < low):
                out = True
            if has_high and v > high:
                out = True
            if has_codes and not out:
                if table.size > 0:
                    out = not table[np.int64(values[i, j]) - table_min]
                else:
                    found = False
                    for k in range(codes.size):
                        if v == codes[k]:
                            found = True
                            break
                    out = not found
            if out:
                if first_bad < 0:
                    first_bad = i * width + j
                bad += 1
    return bad, nan, first_bad, first_nan, checked


def _block_summary_numpy(block: np.ndarray, offset: tuple[int, ...], low: float | None, low_exclusive: bool,
                   high: float | None, codes: np.ndarray | None, nodata: float | None) -> tuple:
    """What :func:`_block_summary` gives, by numpy arrays of the whole block (the reference; the path for what the
    kernel does not take)."""
    values = np.asarray(block)
    valid = np.ones(values.shape, dtype=bool)
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        valid &= values != nodata
    is_nan = np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.shape, dtype=bool)
    nan_declared = nodata is not None and isinstance(nodata, float) and math.isnan(nodata)
    nan_bad = np.zeros(values.shape, dtype=bool) if nan_declared else is_nan
    check = valid & ~is_nan
    bad = np.zeros(values.shape, dtype=bool)
    if low is not None:
        bad |= check & ((values <= low) if low_exclusive else (values < low))
    if high is not None:
        bad |= check & (values > high)
    if codes is not None:
        bad |= check & ~_is_code(values, codes)
    first_bad = first_nan = None
    value = None
    if bad.any():
        idx = np.unravel_index(int(np.flatnonzero(bad)[0]), values.shape)
        first_bad = tuple(int(i + o) for i, o in zip(idx, offset))
        value = float(values[idx])
    if nan_bad.any():
        idx = np.unravel_index(int(np.flatnonzero(nan_bad)[0]), values.shape)
        first_nan = tuple(int(i + o) for i, o in zip(idx, offset))
    return int(bad.sum()), int(nan_bad.sum()), first_bad, value, first_nan, int(check.sum())


def _is_code(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``np.isin(values, codes)``; for 8- and 16-bit integer values by a table over the dtype's range (np.isin sorts
    or widens every block: the input check's largest cost on class maps)."""
    table, table_min = _code_table(values.dtype, codes)
    if table.size:
        return table[values] if table_min == 0 else table[values.astype(np.int32) - table_min]
    return np.isin(values, codes)

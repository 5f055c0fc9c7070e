"""The SPEI's block kernels: the water balance D = P − PET of a (time, cells) block, its window sums,
the per-calendar-month fit and the transform, alone or fused.

Blocks and accumulation are the SPI's (:mod:`indicators.so3.standardized`): the whole time axis, at most
``CELL_BLOCK`` cells at a time, vectorised over cells.
"""

from __future__ import annotations

import numpy as np

from . import standardized as si
from .spei_loglogistic import fit_kernel, standardize
from .spei_pwm import sorted_rows


def _balance(xp: np.ndarray, xe: np.ndarray, fp: np.ndarray, fe: np.ndarray) -> np.ndarray:
    """D = P·fp − PET·fe in mm/month, (time, cells) float64 and contiguous.

    Materialised once per cell block: the window sums then read contiguous rows, which measured
    faster than summing the two strided inputs separately even for December only."""
    d = np.multiply(xp, fp[:, None], dtype="float64")
    d -= xe * fe[:, None]
    return d


def _window_balance(d: np.ndarray, scale: int, targets: np.ndarray) -> np.ndarray:
    """(len(targets), cells) window sums of D; negative balances are normal, so the kernel's count is ignored."""
    return si.window_sums(d, np.ones(d.shape[0]), scale, targets)[0]


def _fit_cells(d: np.ndarray, scale: int, month_targets, min_values: int, pwm: str) -> np.ndarray:
    """(4, months, cells) parameters of one (time, cells) water-balance block."""
    out = np.empty((4, len(month_targets), d.shape[1]), dtype="float64")
    for j, targets in enumerate(month_targets):
        fit_kernel(sorted_rows(_window_balance(d, scale, targets)), min_values, pwm == "unbiased", out[:, j, :])
    return out


def _transform_cells(d: np.ndarray, params, scale, targets, groups, clip, out):
    """Write the SPEI of one (time, cells) water-balance block into *out* (targets, cells)."""
    sums = _window_balance(d, scale, targets)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for j, rows in groups:
            v = sums[rows]  # a view for slices, a copy for index arrays
            standardize(v, params[0, j], params[1, j], params[2, j], clip)
            if not isinstance(rows, slice):
                sums[rows] = v
    out[...] = sums


def _blocks(pblock, eblock, fp, fe):
    """(column slice, D) per ≤ CELL_BLOCK cells of the two (…, time) blocks; the cell count; the spatial shape."""
    xp, spatial = si.as_cells(pblock)
    xe, _ = si.as_cells(eblock)

    def gen():
        for cols, xpb in si.cell_blocks(xp):
            yield cols, _balance(xpb, xe[:, cols], fp, fe)

    return gen(), xp.shape[1], spatial


def fit_block(pblock, eblock, fp, fe, scale, month_targets, min_values, pwm):
    """Kernel of :func:`fit_spei`: two (…, time) blocks → (…, 4, months)."""
    gen, ncell, spatial = _blocks(pblock, eblock, fp, fe)
    out = np.empty((4, len(month_targets), ncell), dtype="float64")
    for cols, d in gen:
        out[:, :, cols] = _fit_cells(d, scale, month_targets, min_values, pwm)
    return si.fit_result(out, spatial)


def transform_block(pblock, eblock, params, fp, fe, scale, targets, groups, clip, dtype):
    """Kernel of :func:`transform_spei`: (…, time) blocks and (…, 3, months) params → (…, targets)."""
    p = si.parameters_of_block(params)  # (3, months, cells)
    gen, ncell, spatial = _blocks(pblock, eblock, fp, fe)
    out = np.empty((len(targets), ncell), dtype=dtype)
    for cols, d in gen:
        _transform_cells(d, p[:, :, cols], scale, targets, groups, clip, out[:, cols])
    return si.block_result(out, spatial)


def spei_block(pblock, eblock, fp, fe, scale, month_targets, min_values, pwm, targets, groups, clip, dtype):
    """Fused kernel of :func:`spei`: fit and transform each cell block while its inputs are in cache."""
    gen, ncell, spatial = _blocks(pblock, eblock, fp, fe)
    out = np.empty((len(targets), ncell), dtype=dtype)
    for cols, d in gen:
        params = _fit_cells(d, scale, month_targets, min_values, pwm)
        _transform_cells(d, params, scale, targets, groups, clip, out[:, cols])
    return si.block_result(out, spatial)

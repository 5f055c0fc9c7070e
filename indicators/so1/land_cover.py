"""SO1-1 land cover: legend nesting, transitions and the land-cover degradation sub-indicator.

Methodology Part B §2.2 (the 7-class UNCCD legend and its nesting), §2.3 (the
transition matrix), Part C §1.3 (Trends.Earth's transition coding).  Encoding:
:mod:`indicators.so1.encoding` (7-class land cover uint8 1..7, 0 nodata;
3-class degradation uint8 1 degraded / 2 stable / 3 improved, 0 nodata).

Every function is elementwise and lazy: numpy- or dask-backed DataArrays in,
the same out.  Area tables built on these layers are in
:mod:`indicators.so1.tables`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..classes import flag_attrs
from ..errors import ArgumentError, InputError, SpecError
from .encoding import (NODATA, as_plain, class_matrix, is_u8, lookup2, meaning_code, pair_lut, recode_classes, tabulate2, take2,
                       three_class_attrs)

#: names of the 7 UNCCD classes (Part B §2.2), used only for flag_meanings when no legend is given
UNCCD_CLASS_NAMES = {
    1: "tree-covered areas", 2: "grassland", 3: "cropland", 4: "wetland",
    5: "artificial surfaces", 6: "other land", 7: "water bodies",
}


def _code(value: Any, where: str, low: int = 1, high: int = 255) -> int:
    """An integer class code in [low, high] (a bool, a float with a fraction or a word is refused)."""
    what = f"give an integer {low}..{high}"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, str, float, np.floating)):
        raise SpecError(f"nesting: {where} {value!r} is not a class code; {what}")
    try:
        code = int(value)
    except (TypeError, ValueError, OverflowError):
        raise SpecError(f"nesting: {where} {value!r} is not a class code; {what}") from None
    if (not isinstance(value, str) and code != value) or not low <= code <= high:
        raise SpecError(f"nesting: {where} {value!r} must be an integer class code; {what}")
    return code


def nesting_mapping(nesting: Any) -> tuple[dict[int, list[int]], dict[int, int]]:
    """Parse a nesting into ``({parent: [children]}, {child: parent})``, refusing malformed ones.

    *nesting* is a :class:`~indicators.specs.legend_model.Nesting`, its dump (``{"groups": [...]}``), a list of
    ``{parent: code, children: [codes]}`` groups or a mapping ``{parent: [children]}``.  Every error is a
    :class:`~indicators.errors.SpecError` naming the argument, the value and the fix.
    """
    nesting = as_plain(nesting)
    if isinstance(nesting, Mapping) and "groups" in nesting:
        nesting = nesting["groups"]
    if isinstance(nesting, (str, bytes)) or not isinstance(nesting, (Mapping, Sequence)):
        raise SpecError(f"nesting: {type(nesting).__name__} {nesting!r} is not a nesting; pass fw.nesting(id), "
                        "{parent code: [child codes]} or [{parent: code, children: [codes]}, ...]")
    if not isinstance(nesting, Mapping):  # the specs' list of {parent, children} groups
        groups: dict[Any, Any] = {}
        for i, g in enumerate(nesting):
            if not isinstance(g, Mapping) or "parent" not in g or "children" not in g:
                raise SpecError(f"nesting: group {i} ({g!r}) must be a mapping with 'parent' and 'children'")
            groups[g["parent"]] = g["children"]
        nesting = groups
    if not nesting:
        raise SpecError("nesting: it is empty; list the national codes under each UNCCD class")
    parents: dict[int, list[int]] = {}
    mapping: dict[int, int] = {}
    for parent, children in nesting.items():
        p = _code(parent, "parent class")
        if isinstance(children, (str, bytes)) or not isinstance(children, (Sequence, set, frozenset, np.ndarray)):
            raise SpecError(f"nesting: the children of class {parent!r} are {children!r}; give a list of codes, "
                            f"e.g. {{{p}: [10, 11]}}")
        kids = parents.setdefault(p, [])
        for c in children:
            c = _code(c, f"child code of class {parent!r}", low=-(2**31), high=2**31 - 1)
            if c in mapping:
                raise SpecError(
                    f"land-cover nesting: national code {c} is listed under both {mapping[c]} and {p}; "
                    "list each national code under exactly one UNCCD class"
                )
            mapping[c] = p
            kids.append(c)
    return parents, mapping


def nest_land_cover(
    land_cover: xr.DataArray,
    nesting: Any,
    *,
    nodata_codes: Sequence[int] = (),
    names: Mapping[int, str] | None = None,
) -> xr.DataArray:
    """Recode a national (or ESA CCI) legend into the UNCCD classes through the nesting.

    Parameters
    ----------
    land_cover : DataArray of int
        Land cover in the national legend (any dims, e.g. ``(year, y, x)``).
    nesting : Nesting, {UNCCD code: [national codes]} or the specs' ``groups`` list
        The spec object ``fw.nesting(id)`` (or its dump), a mapping, or
        ``[{parent: code, children: [codes]}, ...]``.  Each national code is listed
        under exactly one UNCCD class (as in Trends.Earth's
        ``land_cover_nesting_unccd_esa.json`` and the specs' legend nesting).  National codes not listed become nodata.
    nodata_codes : sequence of int
        National codes meaning "no data" (e.g. −32768, 0 for ESA CCI).
    names : {UNCCD code: name}, optional
        Class names for ``flag_meanings`` (default: the 7 UNCCD classes).

    Returns
    -------
    DataArray uint8, UNCCD class codes, 0 nodata (Part B §2.2).
    """
    if not isinstance(land_cover, xr.DataArray):
        raise ArgumentError(f"land_cover: expected an xarray.DataArray, got {type(land_cover).__name__}; read it with "
                            "indicators.open_raster(path)")
    if land_cover.size == 0:
        raise ArgumentError(f"land_cover: empty array (sizes {dict(land_cover.sizes)}); give at least one cell")
    nesting, mapping = nesting_mapping(nesting)
    out = recode_classes(land_cover, mapping, nodata=NODATA, input_nodata=list(nodata_codes), dtype="uint8")
    codes = sorted({int(p) for p in nesting})
    nm = names or UNCCD_CLASS_NAMES
    out.attrs.update(flag_attrs(codes, [nm.get(c, f"class {c}") for c in codes], nodata=NODATA,
                                long_name="land cover (UNCCD legend)"))
    return out.rename("land_cover")


def transition_multiplier(codes: Sequence[int]) -> int:
    """M of the transition code ``initial × M + final``: the smallest power of 10 above every code."""
    top = max(int(c) for c in codes)
    m = 10
    while m <= top:
        m *= 10
    return m


def land_cover_transitions(lc_initial: xr.DataArray, lc_final: xr.DataArray, *, codes: Sequence[int]) -> xr.DataArray:
    """Transition code per cell: ``initial × M + final`` (uint16), 0 where either date is nodata.

    With the 7-class legend M = 10, so 11 … 77 as in Trends.Earth (whose codes
    are the 1-based positions in the sorted legend, identical for 1..7).
    Codes outside *codes* count as nodata.
    """
    codes = [int(c) for c in codes]
    m = transition_multiplier(codes)
    if max(codes) * m + max(codes) > np.iinfo("uint16").max:
        raise SpecError(f"land-cover codes {codes} are too large for uint16 transition codes")
    valid = np.asarray(codes)

    def _trans(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ok = np.isin(a, valid) & np.isin(b, valid)
        return np.where(ok, a.astype("uint16") * m + b.astype("uint16"), 0).astype("uint16")

    out = xr.apply_ufunc(_trans, lc_initial, lc_final, dask="parallelized", output_dtypes=["uint16"])
    tc = [a * m + b for a in codes for b in codes]
    out.attrs.update(flag_attrs(tc, [f"{a}_to_{b}" for a in codes for b in codes], nodata=0,
                                long_name="land-cover transition (initial x M + final)", transition_multiplier=m))
    return out.rename("land_cover_transition")


def degradation_matrix(matrix: Any, codes: Sequence[int] | None = None) -> tuple[list[int], np.ndarray]:
    """Parse a transition matrix of meanings into (codes, lookup table of internal 3-class codes).

    *matrix* is a dict of dicts ``{initial: {final: meaning}}`` or a 2-D list
    with *codes*; meanings are −1/0/1 or names (see :mod:`~indicators.so1.encoding`).
    """
    codes_out, pairs = class_matrix(
        matrix, codes, where="land-cover transition matrix",
        parse=lambda v, w: meaning_code(v, where=w),
    )
    return codes_out, pair_lut(pairs, fill=NODATA, dtype="uint8")


def land_cover_degradation(
    lc_initial: xr.DataArray,
    lc_final: xr.DataArray,
    matrix: Any,
    *,
    codes: Sequence[int] | None = None,
) -> xr.DataArray:
    """SO1-1 land-cover degradation: the transition matrix applied to each cell.

    Parameters
    ----------
    lc_initial, lc_final : DataArray
        Land cover in the UNCCD (7-class) legend at the start and end of the
        period, on the same grid (uint8, 0 nodata; see :func:`nest_land_cover`).
    matrix : Matrix, dict of dicts or 2-D list
        The spec object ``fw.matrix(id)`` (or its dump), or
        ``{initial code: {final code: meaning}}`` with meanings −1/0/1 or
        degraded/stable/improved; rows are the initial class, columns the final
        class (Part B §2.3).  It must be complete (every pair).
    codes : sequence of int, optional
        Row/column codes when *matrix* is a 2-D list.

    Returns
    -------
    DataArray uint8: 1 degraded, 2 stable, 3 improved, 0 nodata (either date
    nodata, or a class absent from the matrix).
    """
    if lc_initial.shape != lc_final.shape:
        raise InputError(f"land cover initial {lc_initial.shape} and final {lc_final.shape} differ in shape")
    codes_out, lut = degradation_matrix(matrix, codes)

    def _reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return lookup2(a, b, lut, NODATA)

    table = tabulate2(_reference)  # the reference on every uint8 pair: the fast path equals it by construction

    def _deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if is_u8(a, b) and a.shape == b.shape:
            return take2(a, b, table)
        return _reference(a, b)

    out = xr.apply_ufunc(_deg, lc_initial, lc_final, dask="parallelized", output_dtypes=["uint8"])
    out.attrs.update(three_class_attrs("land cover degradation (SO1-1)", method="transition matrix, Part B §2.3"))
    return out.rename("land_cover_degradation")


def land_cover_years(land_cover: xr.DataArray, years: Sequence[int], *, dim: str = "year") -> list[xr.DataArray]:
    """Select years of a ``(year, y, x)`` land-cover stack, with an error naming the missing ones."""
    have = [int(v) for v in land_cover[dim].values]
    missing = [int(y) for y in years if int(y) not in have]
    if missing:
        raise InputError(f"land cover has no layer for year(s) {missing}; available: {have}")
    return [land_cover.sel({dim: int(y)}, drop=True) for y in years]


__all__ = [
    "UNCCD_CLASS_NAMES",
    "degradation_matrix",
    "land_cover_degradation",
    "land_cover_transitions",
    "land_cover_years",
    "nest_land_cover",
    "transition_multiplier",
]

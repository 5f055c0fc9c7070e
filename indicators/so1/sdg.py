"""SO1-4 = SDG 15.3.1: one out, all out; status against the baseline; false positive/negative recodes.

Methodology decisions D12 (one out, all out), D13 (status), D16 (recode
polygons); Part B §2.6–2.7; Part C §1.5, §1.6, §1.9.

Encoding (:mod:`indicators.so1.encoding`): 3-class layers uint8 1 degraded /
2 stable / 3 improved, 0 nodata; expanded status uint8 1..7 (Part B §2.7), 0
nodata.  Tables (proportion of degraded land, change, LDN counterbalancing)
are in :mod:`indicators.so1.tables`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import xarray as xr

from ..classes import flag_attrs
from ..errors import InputError, SpecError
from ..rasterize import rasterize_polygons
from .encoding import (DEGRADED, IMPROVED, NODATA, STABLE, as_plain, is_u8, meaning_code, tabulate2, tabulate_nibbles, take1, take2,
                       take_nibbles, three_class_attrs)

NodataRule = Literal["degraded_wins", "any_nodata"]

#: names of the 7 expanded status classes (Part B §2.7), for flag_meanings
STATUS_NAMES = {
    1: "persistent degradation", 2: "recent degradation", 3: "baseline degradation", 4: "stability",
    5: "baseline improvement", 6: "recent improvement", 7: "persistent improvement",
}


def _oao_kernel(*layers: np.ndarray, rule: str) -> np.ndarray:
    stack = np.broadcast_arrays(*[np.asarray(a) for a in layers])
    valid = [(a >= DEGRADED) & (a <= IMPROVED) for a in stack]
    any_deg = np.zeros(stack[0].shape, dtype=bool)
    any_imp = np.zeros(stack[0].shape, dtype=bool)
    any_nodata = np.zeros(stack[0].shape, dtype=bool)
    for a, ok in zip(stack, valid):
        any_deg |= ok & (a == DEGRADED)
        any_imp |= ok & (a == IMPROVED)
        any_nodata |= ~ok
    out = np.where(any_deg, DEGRADED, np.where(any_imp, IMPROVED, STABLE))
    if rule == "degraded_wins":
        out = np.where(any_nodata & ~any_deg, NODATA, out)
    else:
        out = np.where(any_nodata, NODATA, out)
    return out.astype("uint8")


def one_out_all_out(
    productivity: xr.DataArray,
    land_cover: xr.DataArray,
    soc: xr.DataArray | None,
    *,
    nodata_rule: NodataRule,
) -> xr.DataArray:
    """SDG 15.3.1 layer of one period from the three sub-indicators (D12, Part B §2.6).

    Degraded if any sub-indicator is degraded; otherwise improved if any is
    improved; otherwise stable.  Nodata:

    * ``nodata_rule="degraded_wins"`` (D12 default): a degraded sub-indicator
      wins over a nodata one; otherwise any nodata gives nodata;
    * ``"any_nodata"`` (Trends.Earth): any nodata gives nodata.

    Parameters
    ----------
    productivity, land_cover, soc : DataArray uint8 (1/2/3, 0 nodata)
        The sub-indicators on one grid; *soc* may be None where a Party reports
        without it.

    Returns
    -------
    DataArray uint8 1 degraded / 2 stable / 3 improved, 0 nodata.
    """
    if nodata_rule not in ("degraded_wins", "any_nodata"):
        raise SpecError(f"one out, all out: nodata_rule {nodata_rule!r} must be 'degraded_wins' or 'any_nodata'")
    layers = [productivity, land_cover] + ([soc] if soc is not None else [])
    shapes = {tuple(a.shape) for a in layers}
    if len(shapes) != 1:
        raise InputError(f"one out, all out: sub-indicators differ in shape {sorted(shapes)}; put them on one grid")
    # the reference kernel on every combination of codes (0..3, 4 = any other code, all nodata alike)
    table = tabulate_nibbles(lambda *a: _oao_kernel(*a, rule=nodata_rule), len(layers))

    def _oao(*blocks: np.ndarray) -> np.ndarray:
        if is_u8(*blocks) and len({b.shape for b in blocks}) == 1:
            return take_nibbles(blocks, table)
        return _oao_kernel(*blocks, rule=nodata_rule)

    out = xr.apply_ufunc(_oao, *layers, dask="parallelized", output_dtypes=["uint8"])
    out.attrs.update(three_class_attrs("SDG 15.3.1 land degradation (one out, all out)", nodata_rule=nodata_rule,
                                       sub_indicators=", ".join(str(a.name) for a in layers)))
    return out.rename("sdg")


def status_tables(matrix: Any, collapse: Any) -> tuple[np.ndarray, np.ndarray]:
    """Parse the status matrix and its collapse into lookup tables.

    *matrix*: ``{baseline meaning: {period meaning: expanded code 1..7}}`` (meanings −1/0/1
    or names); *collapse*: ``{expanded code: meaning}``.  Both may also be the specs'
    lookup tables (``rows`` of ``when``/``then``, ``specs/legends/status.yaml``), as spec
    objects (``fw.lookup_table(id)``) or their dumps.  All 9 cells and every code used must be given.
    """
    matrix, collapse = as_plain(matrix), as_plain(collapse)
    try:
        if isinstance(matrix, Mapping) and "rows" in matrix:  # the specs' lookup table (when: [b, p], then: [code])
            nested: dict[Any, dict[Any, Any]] = {}
            for r in matrix["rows"]:
                nested.setdefault(r["when"][0], {})[r["when"][1]] = r["then"][0]
            matrix = nested
        if isinstance(collapse, Mapping) and "rows" in collapse:
            collapse = {r["when"][0]: r["then"][0] for r in collapse["rows"]}
    except (TypeError, KeyError, IndexError):
        raise SpecError("status matrix/collapse: 'rows' must be a list of {when: [...], then: [...]} "
                        "(the specs' lookup-table form)") from None
    for arg, value in (("matrix", matrix), ("collapse", collapse)):
        if not isinstance(value, Mapping) or not value:
            raise SpecError(f"status {arg} {value!r}: give the spec lookup table fw.lookup_table(id) (the status "
                            "block's matrix/collapse) or its nested mapping")
    lut = np.full((4, 4), NODATA, dtype="uint8")
    seen = set()
    for b, row in matrix.items():
        bc = meaning_code(b, where=f"status matrix row {b!r}")
        if not isinstance(row, Mapping):
            raise SpecError(f"status matrix row {b!r} must map period meanings to expanded status codes")
        for p, v in row.items():
            pc = meaning_code(p, where=f"status matrix[{b!r}][{p!r}]")
            try:
                code = int(v)
            except (TypeError, ValueError):
                raise SpecError(f"status matrix[{b!r}][{p!r}] = {v!r} is not an expanded status code") from None
            if not 1 <= code <= 254:
                raise SpecError(f"status matrix[{b!r}][{p!r}] = {v!r} must be a code 1..254")
            lut[bc, pc] = code
            seen.add((bc, pc))
    missing = [(b, p) for b in (1, 2, 3) for p in (1, 2, 3) if (b, p) not in seen]
    if missing:
        raise SpecError(f"status matrix is incomplete: missing (baseline, period) cells {missing} "
                        "(1 degraded, 2 stable, 3 improved)")
    size = int(lut.max()) + 1
    simple = np.full(max(size, 1), NODATA, dtype="uint8")
    for k, v in collapse.items():
        try:
            kc = int(k)
        except (TypeError, ValueError, OverflowError):
            raise SpecError(f"status collapse: key {k!r} is not an expanded status code 1..7") from None
        if not 0 <= kc < size:
            continue
        simple[kc] = meaning_code(v, where=f"status collapse[{k!r}]")
    used = sorted({int(c) for c in lut.ravel() if c != NODATA})
    unmapped = [c for c in used if simple[c] == NODATA]
    if unmapped:
        raise SpecError(f"status collapse does not map expanded code(s) {unmapped} to degraded/stable/improved")
    return lut, simple


def status(
    baseline: xr.DataArray,
    period: xr.DataArray,
    *,
    matrix: Any,
    collapse: Any,
    names: Mapping[int, str] | None = None,
) -> xr.Dataset:
    """Status of a reporting period against the baseline (D13, Part B §2.7).

    Both sides are 3-class layers (the SDG layer, or one sub-indicator: D13 applies
    the same matrix to each).  Nodata on either side gives nodata.

    Parameters
    ----------
    baseline, period : DataArray uint8 (1/2/3, 0 nodata)
    matrix : LookupTable or {baseline meaning: {period meaning: expanded code}}
        The Addendum's 3 × 3 expanded status matrix (codes 1..7); the spec object
        ``fw.lookup_table(id)``, its dump, or the nested mapping.
    collapse : LookupTable or {expanded code: meaning}
        Expanded → 3 classes (Addendum: {1,2,3} degraded, 4 stable, {5,6,7} improved).

    Returns
    -------
    Dataset with ``status_expanded`` (uint8 codes, 0 nodata) and ``status`` (uint8 3-class).
    """
    lut, simple = status_tables(matrix, collapse)

    def _status(b: np.ndarray, p: np.ndarray) -> np.ndarray:
        ok = (b >= 1) & (b <= 3) & (p >= 1) & (p <= 3)
        return np.where(ok, lut[np.where(ok, b, 0).astype("intp"), np.where(ok, p, 0).astype("intp")],
                        NODATA).astype("uint8")

    def _collapse(e: np.ndarray) -> np.ndarray:
        ok = (e > 0) & (e < simple.size)
        return np.where(ok, simple[np.where(ok, e, 0).astype("intp")], NODATA).astype("uint8")

    # uint8 blocks go through the reference kernels tabulated on every input value (one numba pass each)
    status_table = tabulate2(_status)
    collapse_table = _collapse(np.arange(256, dtype="uint8"))

    def _status_fast(b: np.ndarray, p: np.ndarray) -> np.ndarray:
        if is_u8(b, p) and b.shape == p.shape:
            return take2(b, p, status_table)
        return _status(b, p)

    def _collapse_fast(e: np.ndarray) -> np.ndarray:
        return take1(e, collapse_table) if is_u8(e) else _collapse(e)

    expanded = xr.apply_ufunc(_status_fast, baseline, period, dask="parallelized", output_dtypes=["uint8"])
    codes = sorted({int(c) for c in lut.ravel() if c != NODATA})
    nm = names or STATUS_NAMES
    expanded.attrs.update(flag_attrs(codes, [nm.get(c, f"status {c}") for c in codes], nodata=NODATA,
                                     long_name="land degradation status (expanded)"))
    simple_da = xr.apply_ufunc(_collapse_fast, expanded, dask="parallelized", output_dtypes=["uint8"])
    simple_da.attrs.update(three_class_attrs("land degradation status"))
    return xr.Dataset({"status_expanded": expanded.rename("status_expanded"), "status": simple_da.rename("status")})


# --------------------------------------------------------------------------------------------
# False positives / negatives (D16)
# --------------------------------------------------------------------------------------------

_RECODE_COLUMNS = {DEGRADED: "recode_deg_to", STABLE: "recode_stable_to", IMPROVED: "recode_imp_to"}


def _recode_target(value: Any, where: str) -> int | None:
    """None (unchanged) or the internal code a class is recoded to (nodata allowed)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str) and value.strip() == "":
        return None
    if isinstance(value, (int, np.integer)) and int(value) == -32768:
        return NODATA
    return meaning_code(value, where=where)


def _periods(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    return [str(v) for v in value]


def recode_lut(polygons: Any, *, period: str) -> np.ndarray:
    """``lut[polygon index + 1, class] → class`` for the polygons affecting *period* (row 0 = identity)."""
    n = len(polygons)
    lut = np.tile(np.arange(4, dtype="uint8"), (n + 1, 1))
    for i, (_, row) in enumerate(polygons.iterrows(), start=1):
        if period not in _periods(row.get("periods_affected")):
            continue
        for cls, col in _RECODE_COLUMNS.items():
            target = _recode_target(row.get(col), where=f"recode polygon {i} {col}")
            if target is not None:
                if target == cls:
                    continue
                lut[i, cls] = target
    return lut


def apply_recodes(
    sdg: xr.DataArray,
    polygons: Any,
    *,
    period: str,
) -> xr.Dataset:
    """Recode degraded/stable/improved inside false positive/negative polygons for one period (D16).

    Parameters
    ----------
    sdg : DataArray uint8 (1/2/3, 0 nodata)
        SDG layer (or a sub-indicator) of *period*, before status is computed.
    polygons : GeoDataFrame
        One row per polygon with columns ``periods_affected`` (list or comma-separated
        names, e.g. "baseline, report_1"), ``recode_deg_to``, ``recode_stable_to``,
        ``recode_imp_to`` (empty = unchanged; −1/0/1, names, or "nodata"/−32768),
        as in Trends.Earth's ``ErrorRecodeProperties`` (Part C §1.9).
    period : str
        Name of the period being recoded.

    Returns
    -------
    Dataset with ``sdg`` (recoded, same encoding) and ``recode_polygon`` (uint16 row number + 1).
    """
    for col in ("periods_affected", *_RECODE_COLUMNS.values()):
        if col not in polygons.columns:
            raise InputError(f"recode polygons: column {col!r} is missing; columns are {list(polygons.columns)}")
    lut = recode_lut(polygons, period=period)
    ids = rasterize_polygons(polygons, sdg)

    def _apply(values: np.ndarray, pid: np.ndarray) -> np.ndarray:
        v = np.asarray(values)
        ok = (v <= 3)
        return np.where(ok, lut[pid.astype("intp"), np.where(ok, v, 0).astype("intp")], v).astype("uint8")

    out = xr.apply_ufunc(_apply, sdg, ids, dask="parallelized", output_dtypes=["uint8"])
    out.attrs.update(sdg.attrs)
    out.attrs["recoded_period"] = period
    out.attrs["recode_polygons"] = int(len(polygons))
    return xr.Dataset({"sdg": out.rename(sdg.name or "sdg"), "recode_polygon": ids})


__all__ = [
    "STATUS_NAMES",
    "apply_recodes",
    "one_out_all_out",
    "rasterize_polygons",
    "recode_lut",
    "status",
    "status_tables",
]

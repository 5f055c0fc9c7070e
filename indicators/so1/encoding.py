"""The one class encoding of the SO1 layers, and the parsing of the tables the specs pass in.

Internal convention (decision D15), used by every SO1 / SDG 15.3.1 raster and table:

=====================  ==========  =============================================
layer                  dtype       codes
=====================  ==========  =============================================
3-class sub-indicator  uint8       1 degraded, 2 stable, 3 improved, 0 nodata
 and SDG 15.3.1
performance (2-class)  uint8       1 degraded, 2 stable (not degraded), 0 nodata
7-class land cover     uint8       1..7 (UNCCD legend), 0 nodata
5-class LPD            uint8       1 declining … 5 increasing, 0 nodata
expanded status        uint8       1..7 (Part B §2.7), 0 nodata
transition             uint16      initial × M + final (M = 10 for codes ≤ 9), 0 nodata
=====================  ==========  =============================================

``code − 2`` is the signed value −1/0/+1 of the reporting manual and of
Trends.Earth, so :func:`to_signed` gives the Trends.Earth int16 encoding
(nodata −32768) when a profile needs it.  0 is nodata everywhere: it is no
class of any 1-based legend, and an array initialised with zeros is "no data",
never silently a class.

Parameter tables from the specs may give a meaning either as the signed
integer of the manual (−1, 0, 1) or as a name (``"degraded"``/``"degradation"``/
``"-"``, ``"stable"``/``"0"``, ``"improved"``/``"improvement"``/``"+"``);
:func:`meaning_code` turns either into the internal code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numba
import numpy as np
import xarray as xr

from ..classes import flag_attrs, recode, take_table
from ..errors import SpecError

DEGRADED = 1
STABLE = 2
IMPROVED = 3
NODATA = 0

#: internal code → (signed manual value, CF meaning)
THREE_CLASS = {DEGRADED: (-1, "degraded"), STABLE: (0, "stable"), IMPROVED: (1, "improved")}

#: the 5-class land productivity dynamics (SO1-2): code → name
LPD_NAMES = {1: "declining", 2: "moderate decline", 3: "stressed", 4: "stable", 5: "increasing"}
LPD_CODES = (1, 2, 3, 4, 5)

_NAMES = {
    "degraded": DEGRADED, "degradation": DEGRADED, "degrading": DEGRADED, "declining": DEGRADED,
    "-": DEGRADED, "−": DEGRADED, "d": DEGRADED,
    "stable": STABLE, "stability": STABLE, "0": STABLE, "s": STABLE, "not degraded": STABLE,
    "improved": IMPROVED, "improvement": IMPROVED, "improving": IMPROVED, "increasing": IMPROVED,
    "+": IMPROVED, "i": IMPROVED,
    "nodata": NODATA, "no data": NODATA, "no_data": NODATA,
}


def meaning_code(value: Any, *, where: str = "parameter") -> int:
    """Internal 3-class code of a meaning given as −1/0/1 or as a name (see module docstring)."""
    if isinstance(value, (bool, np.bool_)):
        raise SpecError(f"{where}: {value!r} is not a class meaning; use -1/0/1 or degraded/stable/improved")
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and float(value).is_integer()):
        signed = int(value)
        if signed in (-1, 0, 1):
            return signed + 2
    elif isinstance(value, str):
        key = value.strip().lower()
        if key in _NAMES:
            return _NAMES[key]
        if key in ("-1", "1", "+1"):
            return int(key) + 2
    raise SpecError(
        f"{where}: {value!r} is not a class meaning; use -1/0/1 or one of degraded, stable, improved"
    )


def as_plain(obj: Any) -> Any:
    """The plain-data form of a spec item, the same form the YAML has; anything else unchanged.

    A typed spec object (:class:`~indicators.specs.legend_model.Nesting`, ``Matrix``,
    ``LookupTable``, … — any pydantic model) is dumped with ``mode="json"`` and
    ``by_alias=True`` (a matrix row's ``from``), so every SO1 function taking a
    table accepts ``fw.matrix(id)`` as well as its dump.  Optional fields left
    unset come out as None (e.g. a lookup key's ``codes``), which the parsers
    read as "the default".
    """
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True)
    return obj


def three_class_attrs(long_name: str, **extra: Any) -> dict[str, Any]:
    """CF flag attributes of a 3-class layer in the internal encoding."""
    return flag_attrs(
        [DEGRADED, STABLE, IMPROVED], ["degraded", "stable", "improved"], nodata=NODATA, long_name=long_name,
        **extra,
    )


def lpd_attrs(**extra: Any) -> dict[str, Any]:
    """CF flag attributes of a 5-class LPD layer."""
    return flag_attrs(list(LPD_CODES), [LPD_NAMES[c] for c in LPD_CODES], nodata=NODATA,
                      long_name="land productivity dynamics (5 classes)", **extra)


def as_class_dataarray(data: Any, template: xr.DataArray, attrs: Mapping[str, Any], name: str) -> xr.DataArray:
    """Wrap a numpy/dask array shaped like *template* with its coords and the given attrs."""
    out = xr.DataArray(data, dims=template.dims, coords=template.coords, name=name)
    out.attrs.update(attrs)
    return out


def restore_coords(out: xr.DataArray, like: xr.DataArray) -> xr.DataArray:
    """Put back the non-index coordinates of *like* (e.g. rioxarray's ``spatial_ref`` with the CRS).

    :func:`indicators.classes.recode` drops coordinate attributes (``keep_attrs=False``),
    which would lose the CRS the area tables need.
    """
    extra = {k: v for k, v in like.coords.items() if k not in like.dims and k in out.coords}
    return out.assign_coords(extra) if extra else out


def to_signed(classes: xr.DataArray, *, nodata: int = -32768) -> xr.DataArray:
    """Trends.Earth encoding of a 3-class layer: int16 −1/0/+1, *nodata* (−32768) for 0.

    Only for export under the ``trends_earth`` profile (methodology Part C §8);
    every computation here uses the internal codes.
    """

    def _f(x: np.ndarray) -> np.ndarray:
        return np.where(x == NODATA, nodata, x.astype("int16") - 2).astype("int16")

    out = xr.apply_ufunc(_f, classes, dask="parallelized", output_dtypes=["int16"])
    out.attrs.update(
        flag_attrs([-1, 0, 1], ["degraded", "stable", "improved"], nodata=nodata,
                   long_name=classes.attrs.get("long_name", classes.name or "classes"))
    )
    return out.rename(classes.name)


def class_matrix(
    matrix: Any,
    codes: Sequence[int] | None,
    *,
    where: str,
    parse=None,
) -> tuple[list[int], dict[tuple[int, int], Any]]:
    """Read a square matrix keyed by class code into ``{(row code, column code): value}``.

    Accepted shapes (rows = initial/baseline, columns = final/period):

    * dict of dicts ``{row code: {column code: value}}`` (keys may be str or int);
    * a 2-D list, with *codes* giving the code of each row and column in order;
    * a dict ``{"codes": [...], "matrix": [[...], ...]}`` (the same, self-described).

    Every row × column pair must be present: an incomplete matrix is a
    :class:`SpecError` naming the missing pairs.
    """
    parse = parse or (lambda v, w: v)
    matrix = as_plain(matrix)
    if isinstance(matrix, Mapping) and "matrix" in matrix and "codes" in matrix:
        codes, matrix = matrix["codes"], matrix["matrix"]
    if isinstance(matrix, Mapping) and "rows" in matrix and "columns" in matrix:
        matrix = spec_rows_matrix(matrix, key="values", where=where)
    pairs: dict[tuple[int, int], Any] = {}
    if isinstance(matrix, Mapping):
        row_codes = [_int_key(k, where) for k in matrix]
        col_codes: list[int] = []
        for r, row in matrix.items():
            if not isinstance(row, Mapping):
                raise SpecError(f"{where}: row {r!r} must map column codes to values")
            for c, v in row.items():
                ci = _int_key(c, where)
                if ci not in col_codes:
                    col_codes.append(ci)
                pairs[(_int_key(r, where), ci)] = parse(v, f"{where}[{r}][{c}]")
        all_codes = sorted(set(row_codes) | set(col_codes))
    else:
        if isinstance(matrix, (str, bytes)) or not isinstance(matrix, Sequence) or not all(
                isinstance(r, Sequence) and not isinstance(r, (str, bytes)) for r in matrix):
            raise SpecError(f"{where}: {matrix!r} is not a matrix; give the spec object fw.matrix(id), "
                            "{initial code: {final code: value}} or a 2-D list with codes=")
        if codes is None:
            raise SpecError(f"{where}: a 2-D list matrix needs the list of class codes of its rows/columns")
        rows = list(matrix)
        all_codes = [int(c) for c in codes]
        if len(rows) != len(all_codes) or any(len(r) != len(all_codes) for r in rows):
            raise SpecError(f"{where}: matrix must be {len(all_codes)}×{len(all_codes)} for codes {all_codes}")
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                pairs[(all_codes[i], all_codes[j])] = parse(v, f"{where}[{all_codes[i]}][{all_codes[j]}]")
    if codes is not None:
        all_codes = [int(c) for c in codes]
    if not all_codes:
        raise SpecError(f"{where}: the matrix is empty; give a value for every initial × final class pair")
    missing = [(a, b) for a in all_codes for b in all_codes if (a, b) not in pairs]
    if missing:
        raise SpecError(f"{where}: matrix is incomplete, missing (row, column) pairs {missing[:10]}; "
                        "every initial × final class pair must be given")
    return all_codes, pairs


def spec_rows_matrix(matrix: Mapping[str, Any], *, key: str, where: str) -> dict[int, dict[int, Any]]:
    """The specs' matrix form ``{columns: [...], rows: [{from: code, values: [...]}, ...]}`` as dict of dicts.

    *key* picks the per-row list (``"values"``, or ``"processes"`` for process names).
    """
    cols = [_int_key(c, where) for c in matrix["columns"]]
    out: dict[int, dict[int, Any]] = {}
    for r in matrix["rows"]:
        if "from" not in r or key not in r:
            raise SpecError(f"{where}: each row needs 'from' and '{key}'")
        vals = list(r[key])
        if len(vals) != len(cols):
            raise SpecError(f"{where}: row from {r['from']} has {len(vals)} {key}, expected {len(cols)}")
        out[_int_key(r["from"], where)] = dict(zip(cols, vals))
    return out


def _int_key(k: Any, where: str) -> int:
    try:
        return int(k)
    except (TypeError, ValueError):
        raise SpecError(f"{where}: key {k!r} is not an integer class code") from None


def pair_lut(pairs: Mapping[tuple[int, int], Any], *, fill: Any, dtype: str) -> np.ndarray:
    """2-D lookup table ``lut[row code, column code]`` (codes are small non-negative ints)."""
    size = max(max(a, b) for a, b in pairs) + 1
    if size > 4096 or min(min(a, b) for a, b in pairs) < 0:
        raise SpecError("class codes must be integers between 0 and 4095")
    lut = np.full((size, size), fill, dtype=dtype)
    for (a, b), v in pairs.items():
        lut[a, b] = v
    return lut


def lookup2(a: np.ndarray, b: np.ndarray, lut: np.ndarray, fill: Any, valid_a: np.ndarray | None = None,
            valid_b: np.ndarray | None = None) -> np.ndarray:
    """``lut[a, b]`` elementwise, *fill* where a or b is outside the table or invalid (NaN)."""
    af = np.asarray(a)
    bf = np.asarray(b)
    ok = np.ones(np.broadcast_shapes(af.shape, bf.shape), dtype=bool)
    for x, valid in ((af, valid_a), (bf, valid_b)):
        if x.dtype.kind == "f":
            ok &= np.isfinite(x)
        ok &= (x >= 0) & (x < lut.shape[0])
        if valid is not None:
            ok &= valid
    ai = np.where(ok, af, 0).astype("intp")
    bi = np.where(ok, bf, 0).astype("intp")
    return np.where(ok, lut[ai, bi], fill).astype(lut.dtype, copy=False)


# --------------------------------------------------------------------------------------------
# Fast paths for 8-bit class codes: the reference kernel tabulated once, applied with numba
# --------------------------------------------------------------------------------------------
#
# The numpy kernels of the SO1 functions allocate several full-size int64/bool
# temporaries per step (≈ 40–120 ns per cell).  For uint8 inputs there are only
# 256 (or 256 × 256) possible inputs, so the reference kernel is evaluated once
# on every one of them and the block is mapped through that table in one numba
# pass without temporaries.  The table *is* the reference kernel, so both paths
# agree by construction (and tests/so1 check it on random inputs).

@numba.njit(nogil=True, cache=True)
def _take2_kernel(a, b, lut, out):
    for i in range(a.size):
        out[i] = lut[(np.intp(a[i]) << 8) | np.intp(b[i])]


@numba.njit(nogil=True, cache=True)
def _take_nibbles2_kernel(a, b, lut, out):
    # codes above 3 share one slot (4): the callers' kernels treat them all alike (nodata)
    for i in range(a.size):
        out[i] = lut[min(np.intp(a[i]), 4) * 5 + min(np.intp(b[i]), 4)]


@numba.njit(nogil=True, cache=True)
def _take_nibbles3_kernel(a, b, c, lut, out):
    for i in range(a.size):
        out[i] = lut[(min(np.intp(a[i]), 4) * 5 + min(np.intp(b[i]), 4)) * 5 + min(np.intp(c[i]), 4)]


def is_u8(*arrays: Any) -> bool:
    """True when every array is a numpy uint8 array (the fast paths' input)."""
    return all(isinstance(a, np.ndarray) and a.dtype == np.uint8 for a in arrays)


def _flat(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).reshape(-1)


def tabulate2(kernel) -> np.ndarray:
    """``kernel(a, b)`` on every pair of uint8 values, flat (index = a·256 + b)."""
    a, b = np.meshgrid(np.arange(256, dtype=np.uint8), np.arange(256, dtype=np.uint8), indexing="ij")
    return np.ascontiguousarray(np.asarray(kernel(a, b))).reshape(-1)


def tabulate_nibbles(kernel, n: int) -> np.ndarray:
    """``kernel(*layers)`` on every combination of codes 0..4 of *n* uint8 layers (4 stands for any code > 3)."""
    grids = np.meshgrid(*[np.arange(5, dtype=np.uint8)] * n, indexing="ij")
    return np.ascontiguousarray(np.asarray(kernel(*grids))).reshape(-1)


def take1(x: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """``lut[x]`` for a uint8/uint16 array and a table over the whole dtype (index = value)."""
    return take_table(x, lut)


def take2(a: np.ndarray, b: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """``lut[a·256 + b]`` for two uint8 arrays of one shape (:func:`tabulate2`)."""
    out = np.empty(a.size, lut.dtype)
    _take2_kernel(_flat(a), _flat(b), lut, out)
    return out.reshape(a.shape)


def take_nibbles(layers: Sequence[np.ndarray], lut: np.ndarray) -> np.ndarray:
    """Table of :func:`tabulate_nibbles` applied to 2 or 3 uint8 arrays of one shape."""
    out = np.empty(layers[0].size, lut.dtype)
    flat = [_flat(a) for a in layers]
    if len(flat) == 2:
        _take_nibbles2_kernel(flat[0], flat[1], lut, out)
    else:
        _take_nibbles3_kernel(flat[0], flat[1], flat[2], lut, out)
    return out.reshape(layers[0].shape)


def recode_classes(
    values: xr.DataArray,
    mapping: Mapping[int, int],
    *,
    nodata: int,
    input_nodata: Sequence[int] = (),
    dtype: str = "uint8",
) -> xr.DataArray:
    """:func:`indicators.classes.recode` of a DataArray, keeping the input's coordinates (and so the CRS).

    ``recode`` itself reads 8/16-bit codes through a table over the dtype (one pass).
    """
    out = recode(values, mapping, nodata=nodata, input_nodata=input_nodata, dtype=dtype)
    return restore_coords(out, values)

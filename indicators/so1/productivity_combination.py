"""SO1-2: trajectory, state and performance combined through a combination table (D10, Part B §2.4).

Tables (a) and (c) give the 3-class sub-indicator, table (b) the 5-class LPD.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import xarray as xr

from ..errors import SpecError
from .encoding import DEGRADED, IMPROVED, LPD_CODES, NODATA, STABLE, as_plain, lpd_attrs, meaning_code, three_class_attrs


_ANY = ("any", "*", None)


def _meanings(value: Any, allowed: Sequence[int], where: str) -> list[int]:
    if isinstance(value, str) and value.strip().lower() in _ANY or value is None:
        return list(allowed)
    if isinstance(value, str) and value.strip().lower() in ("not degraded", "n", "no"):
        return [c for c in allowed if c != DEGRADED]
    if isinstance(value, str) and value.strip().lower() in ("y", "yes"):
        return [DEGRADED]
    if isinstance(value, (list, tuple)):
        out: list[int] = []
        for v in value:
            out += _meanings(v, allowed, where)
        return out
    code = meaning_code(value, where=where)
    if code not in allowed:
        raise SpecError(f"{where}: {value!r} is not allowed here")
    return [code]


def _spec_rows(table: Mapping[str, Any], output: str) -> list[dict[str, Any]]:
    """The specs' lookup-table form (keys, outputs, rows of when/then) as rows of this module's form."""
    keys = [k["name"] for k in table.get("keys", [])] or ["trajectory", "state", "performance"]
    if sorted(keys) != ["performance", "state", "trajectory"]:
        raise SpecError(f"productivity combination table keys {keys} must be trajectory, state, performance")
    outs = [o["name"] for o in table.get("outputs", [])]
    want = "lpd" if output == "lpd" else "status"
    if want not in outs:
        raise SpecError(f"productivity combination table {table.get('id', '')!r} has no output {want!r} "
                        f"(outputs: {outs}); choose output={'three_class' if want == 'lpd' else 'lpd'}")
    # a key declared with codes [-1, 0] only is binary: 0 there means "not degraded"
    # (codes absent or None, as a spec object's dump gives it, means the key's whole legend)
    binary = {k["name"]: list(k.get("codes") or [-1, 0, 1]) == [-1, 0] for k in table.get("keys", [])}
    rows = []
    for r in table["rows"]:
        when = dict(zip(keys, r["when"]))
        row = {}
        for name, v in when.items():
            if binary.get(name) and name != "performance" and str(v) == "0":
                v = "not degraded"
            row[name] = v
        row["result"] = r["then"][outs.index(want)]
        rows.append(row)
    return rows


def combination_lut(table: Any, *, output: Literal["lpd", "three_class"]) -> np.ndarray:
    """Parse a combination table into ``lut[trajectory, state, performance] → output code``.

    *table* is either the specs' lookup table (``keys``, ``outputs`` and ``rows`` of
    ``when: [trajectory, state, performance]``, ``then: [...]``, signed codes, ``"*"``
    for any; a key declared with codes [−1, 0] is binary, 0 = not degraded), or a
    list of rows with keys ``trajectory``, ``state``, ``performance`` and ``result``.
    Trajectory and state take degraded/stable/improved (or −1/0/1), performance
    degraded/stable (−1/0); any of them may be ``"any"``/``"*"``, ``"not degraded"``
    or a list.  The first matching row wins.  ``result`` is an LPD code 1..5
    (``output="lpd"``) or a meaning (``output="three_class"``).  Every one of the
    3 × 3 × 2 combinations must be covered.  The spec object ``fw.lookup_table(id)``
    is accepted as it is.
    """
    table = as_plain(table)
    if isinstance(table, Mapping) and table.get("rows") and isinstance(table["rows"][0], Mapping) \
            and "when" in table["rows"][0]:
        rows = _spec_rows(table, output)
    else:
        rows = table.get("rows") if isinstance(table, Mapping) else table
    if not isinstance(rows, (list, tuple)) or not rows:
        raise SpecError("productivity combination table: expected a non-empty list of rows")
    lut = np.full((4, 4, 3), NODATA, dtype="uint8")
    done = np.zeros((4, 4, 3), dtype=bool)
    three = [DEGRADED, STABLE, IMPROVED]
    for i, row in enumerate(rows):
        where = f"productivity combination table row {i + 1}"
        try:
            tr = _meanings(row["trajectory"], three, where + " trajectory")
            st = _meanings(row["state"], three, where + " state")
            pf = _meanings(row["performance"], [DEGRADED, STABLE], where + " performance")
            res = row["result"]
        except KeyError as exc:
            raise SpecError(f"{where}: missing key {exc}; rows need trajectory, state, performance, result") from None
        if output == "lpd":
            if int(res) not in LPD_CODES:
                raise SpecError(f"{where}: result {res!r} is not an LPD class 1..5")
            code = int(res)
        else:
            code = meaning_code(res, where=where + " result")
        for t in tr:
            for s in st:
                for p in pf:
                    if not done[t, s, p]:
                        lut[t, s, p] = code
                        done[t, s, p] = True
    missing = [(t, s, p) for t in three for s in three for p in (DEGRADED, STABLE) if not done[t, s, p]]
    if missing:
        names = {1: "degraded", 2: "stable", 3: "improved"}
        pretty = [f"(trajectory {names[t]}, state {names[s]}, performance {names[p]})" for t, s, p in missing]
        raise SpecError(f"productivity combination table does not cover {', '.join(pretty[:6])}")
    return lut


def combine_metrics(
    trajectory: xr.DataArray,
    state: xr.DataArray,
    performance: xr.DataArray,
    *,
    table: Any,
    output: Literal["lpd", "three_class"],
) -> xr.DataArray:
    """Combine trajectory, state and performance through a named combination table (D10, Part B §2.4).

    Any input nodata gives nodata.  ``output="lpd"`` gives the 5-class LPD (table (b));
    ``"three_class"`` gives the sub-indicator directly (tables (a) and (c)).
    """
    lut = combination_lut(table, output=output)

    def _comb(t: np.ndarray, s: np.ndarray, p: np.ndarray) -> np.ndarray:
        ok = (t >= 1) & (t <= 3) & (s >= 1) & (s <= 3) & (p >= 1) & (p <= 2)
        ti = np.where(ok, t, 0).astype("intp")
        si = np.where(ok, s, 0).astype("intp")
        pi = np.where(ok, p, 0).astype("intp")
        return np.where(ok, lut[ti, si, pi], NODATA).astype("uint8")

    out = xr.apply_ufunc(_comb, trajectory, state, performance, dask="parallelized", output_dtypes=["uint8"])
    if output == "lpd":
        out.attrs.update(lpd_attrs(method="trajectory x state x performance combination table"))
        return out.rename("lpd")
    out.attrs.update(three_class_attrs("land productivity (SO1-2)", method="combination table"))
    return out.rename("productivity")

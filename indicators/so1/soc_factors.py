"""SO1-3 stock change factors: the land-use factor matrix Fl, whose entries may involve the climate factor f, and f
per cell from an IPCC climate-zone raster (D11; Part B §2.5; the rules are in :mod:`indicators.so1.soc`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from ..errors import SpecError
from .encoding import class_matrix


_NUM = r"[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?"


def _parse_factor(value: Any, where: str) -> tuple[float, int]:
    """A matrix entry as (coefficient, power of f): 0.1 → (0.1, 0); "f" → (1, 1); "1/f" → (1, −1)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), 0
    if isinstance(value, str):
        t = value.replace(" ", "").lower()
        if re.fullmatch(_NUM, t):
            return float(t), 0
        if t == "f":
            return 1.0, 1
        if t in ("1/f", "f^-1", "f**-1"):
            return 1.0, -1
        m = re.fullmatch(rf"({_NUM})/({_NUM})", t)
        if m:
            return float(m.group(1)) / float(m.group(2)), 0
        m = re.fullmatch(rf"({_NUM})\*f", t) or re.fullmatch(rf"f\*({_NUM})", t)
        if m:
            return float(m.group(1)), 1
        m = re.fullmatch(rf"({_NUM})/f", t)
        if m:
            return float(m.group(1)), -1
    raise SpecError(f"{where}: stock change factor {value!r} must be a number, 'f', '1/f', 'a/b', 'a*f' or 'a/f'")


def stock_change_factors(factors: Any, codes: Sequence[int] | None = None) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Parse the Fl matrix into lookup tables (codes, coefficient[i, j], power of f[i, j]).

    *factors*: dict of dicts ``{initial: {final: entry}}`` or a 2-D list with *codes*;
    entries are numbers or expressions in the climate factor f (see :func:`_parse_factor`).
    """
    codes_out, pairs = class_matrix(factors, codes, where="SOC stock change factors (Fl)", parse=_parse_factor)
    size = max(codes_out) + 1
    coef = np.full((size, size), np.nan, dtype="float64")
    power = np.zeros((size, size), dtype="int8")
    for (a, b), (c, p) in pairs.items():
        coef[a, b] = c
        power[a, b] = p
    return codes_out, coef, power


def climate_factor_from_zones(zones: xr.DataArray, *, factors: Mapping[Any, float]) -> xr.DataArray:
    """Climate factor f per cell from an IPCC climate-zone raster: ``factors`` = {zone code: f}.

    Zones not listed (or NaN) get NaN, so transitions that need f there are nodata.
    Trends.Earth's table: zones 0..12 → regimes [0,2,1,2,1,2,1,2,1,5,4,4,3], regime
    1 → 0.80, 2 → 0.69, 3 → 0.58, 4 → 0.48, 5 → 0.64 (Part B §2.5) — supplied by the specs.
    """
    keys = np.asarray([int(k) for k in factors], dtype="float64")
    vals = np.asarray([float(v) for v in factors.values()], dtype="float64")
    order = np.argsort(keys)
    keys, vals = keys[order], vals[order]

    def _f(z: np.ndarray) -> np.ndarray:
        zf = np.asarray(z, dtype="float64")
        pos = np.clip(np.searchsorted(keys, zf), 0, keys.size - 1)
        return np.where(keys[pos] == zf, vals[pos], np.nan).astype("float32")

    out = xr.apply_ufunc(_f, zones, dask="parallelized", output_dtypes=["float32"])
    out.attrs.update(long_name="IPCC climate factor f of the land-use stock change factor", units="1")
    return out.rename("climate_factor")


def climate_factors_by_zone(zone_to_regime: Sequence[int], regimes: Sequence[Mapping[str, Any]]) -> dict[int, float]:
    """{zone code: f} from the specs' ``climate_zone_to_regime`` list (index = zone code) and ``climate_regimes``.

    Zones whose regime has no factor (Trends.Earth's regime 0) are left out, so they are nodata.
    """
    factor = {int(r["id"]): float(r["factor"]) for r in regimes}
    return {zone: factor[int(reg)] for zone, reg in enumerate(zone_to_regime) if int(reg) in factor}

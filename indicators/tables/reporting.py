"""Reporting-shaped tables: the qualitative trend of every series (:func:`series_trends`), the provenance record
(:func:`provenance`) and the ``attrs`` every reporting table carries (:func:`finish`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..trends import NON_NORMATIVE, mann_kendall, qualitative_trend, sens_slope


def series_trends(
    table: pd.DataFrame,
    *,
    value: str,
    tolerance: float,
    method: Literal["sen", "endpoints"],
    by: Sequence[str] = (),
    year: str = "year",
) -> pd.DataFrame:
    """Qualitative trend of every series in *table* (grouped *by*), with labelled extras.

    Columns: the *by* columns, ``series`` (the value column), ``first_year``,
    ``last_year``, ``n_years``, ``first_value``, ``last_value``, ``trend``
    (increasing / stable / declining, or empty with fewer than two values),
    ``tolerance`` and ``trend_method``; then the non-normative extras
    ``extra_mann_kendall_tau``, ``extra_mann_kendall_p`` and
    ``extra_sens_slope_per_year`` (value units per year).

    The qualitative trend is :func:`indicators.trends.qualitative_trend`: the
    change over the series (Sen's slope × span, or last − first) against
    *tolerance* × the mean absolute level.
    """
    records: list[dict[str, Any]] = []
    groups = table.groupby(list(by), sort=True, dropna=False) if by else [((), table)]
    for key, part in groups:
        part = part[[year, value]].dropna().sort_values(year)
        t = part[year].to_numpy(dtype="float64")
        v = part[value].to_numpy(dtype="float64")
        mk = mann_kendall(v, years=t)
        rec = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        rec.update(
            series=value,
            first_year=int(t[0]) if t.size else None,
            last_year=int(t[-1]) if t.size else None,
            n_years=int(t.size),
            first_value=float(v[0]) if v.size else np.nan,
            last_value=float(v[-1]) if v.size else np.nan,
            trend=qualitative_trend(t, v, tolerance=tolerance, method=method),
            tolerance=float(tolerance),
            trend_method=method,
            extra_mann_kendall_tau=mk.tau,
            extra_mann_kendall_p=mk.p,
            extra_sens_slope_per_year=sens_slope(t, v),
        )
        records.append(rec)
    cols = [*by, "series", "first_year", "last_year", "n_years", "first_value", "last_value", "trend", "tolerance",
            "trend_method", "extra_mann_kendall_tau", "extra_mann_kendall_p", "extra_sens_slope_per_year"]
    out = pd.DataFrame(records, columns=cols)
    out["first_year"] = out["first_year"].astype("Int64")
    out["last_year"] = out["last_year"].astype("Int64")
    out.attrs["notes"] = {"extra_*": NON_NORMATIVE}
    return out


def provenance(
    indicator: str,
    compute: str,
    *,
    parameters: Mapping[str, Any],
    inputs: Mapping[str, str],
    methodology: str,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The provenance record attached to every reporting table (``attrs["provenance"]``).

    *inputs* maps each input's name to its source (file path or in-memory label).
    """
    from .. import __version__

    return {
        "indicator": indicator,
        "compute": compute,
        "parameters": {k: _plain(v) for k, v in parameters.items()},
        "inputs": dict(inputs),
        "methodology": methodology,
        "library": f"unccd-indicators {__version__}",
        "notes": list(notes),
    }


def _plain(value: Any) -> Any:
    """Parameters as plain JSON-able values (tuples → lists, mappings → dicts)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def finish(table: pd.DataFrame, *, units: Mapping[str, str], prov: Mapping[str, Any], **extra: Any) -> pd.DataFrame:
    """Attach ``attrs["units"]`` and ``attrs["provenance"]`` (and *extra* attrs) to a reporting table."""
    table = table.reset_index(drop=True)
    table.attrs = {"units": {k: v for k, v in units.items() if k in table.columns}, "provenance": dict(prov), **extra}
    return table


def canonical_code(text: object) -> str:
    """Canonical indicator code (D1) of a table cell, whatever its type: 'SO 5-1' / 'so5-1' → 'SO5-1'.

    The spelling rule has one home, :func:`indicators.specs.base_model.canonical_code`; a cell read from
    a user's table may be a number, so it is turned into text first."""
    from ..specs.base_model import canonical_code as spec_canonical_code

    return spec_canonical_code(str(text))

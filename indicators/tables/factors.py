"""SO3-3 factor tables: the long DVI factor table (decision D9), read and converted to each factor's spec unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UnitError
from ..units import conversion_factor
from .reading import read_table
from .schema import Column, TableSchema, cell_error


#: the sexes a factor row may carry
FACTOR_SEXES = ("total", "female", "male")


def factor_table_schema(factor_ids: Sequence[str], *, unit_id_field: str | None = None) -> TableSchema:
    """Schema of a long DVI factor table: ``[<unit id>,] year, factor, value, unit[, sex]`` (SO3-3, decision D9).

    *factor_ids* are the ids of the spec factor set; any other id is an error
    naming the file, the line and the known ids.
    """
    cols = [Column(unit_id_field, "str", description="admin unit id")] if unit_id_field else []
    cols += [
        Column("year", "int", description="year of the value"),
        Column("factor", "str", choices=tuple(factor_ids), normalize=str.strip,
               description="factor id of the spec factor set"),
        Column("value", "float", description="the factor's value in the row's unit"),
        Column("unit", "str", description="unit of the value (pint spelling, e.g. percent, USD/person)"),
        Column("sex", "str", required=False, nullable=True, choices=FACTOR_SEXES, default="total",
               normalize=lambda s: s.strip().lower(), description="total, female or male"),
    ]
    key = ((unit_id_field,) if unit_id_field else ()) + ("year", "factor", "sex")
    return TableSchema("DVI factor", tuple(cols), key=key)


def read_factor_table(path: str | Path, factors: Sequence[Mapping[str, Any]], *,
                      unit_id_field: str | None = None) -> pd.DataFrame:
    """Read and check a long DVI factor table; values converted to each factor's spec unit.

    Parameters
    ----------
    path : path
        CSV with ``year, factor, value, unit`` and optionally ``sex`` (total /
        female / male) and, per admin unit, the column *unit_id_field*.
    factors : sequence of mappings
        The spec factor set's factors (``id`` and ``unit`` are used).
    unit_id_field : str, optional
        Column holding the admin unit id (per-unit tables).

    Returns
    -------
    DataFrame ``unit, year, sex, factor, value`` — ``unit`` is the admin unit id
    (``"national"`` for a national table), as :func:`indicators.so3.vulnerability.dvi_from_factors` reads it.

    Raises
    ------
    InputError
        An unknown factor id, sex or a repeated row: file, line, column and the known values.
    UnitError
        A unit that does not convert to the factor's spec unit (file, line).
    """
    spec_units = {str(f["id"]): str(f["unit"]) for f in factors}
    table = read_table(path, factor_table_schema(list(spec_units), unit_id_field=unit_id_field))
    scale = []
    for i, (fid, unit) in enumerate(zip(table["factor"], table["unit"])):
        try:
            scale.append(conversion_factor(str(unit).strip(), spec_units[fid]))
        except Exception as exc:  # noqa: BLE001 - pint's errors vary; the message carries them
            raise cell_error(table, i, "unit", f"unit {unit!r} of factor {fid!r} does not convert to its spec unit "
                             f"{spec_units[fid]!r} ({exc})", f"give {fid} in {spec_units[fid]!r} or a convertible unit",
                             cls=UnitError) from None
    out = pd.DataFrame({
        "unit": table[unit_id_field].astype(str) if unit_id_field else "national",
        "year": table["year"].astype("int64"),
        "sex": table["sex"].fillna("total").astype(str),
        "factor": table["factor"].astype(str),
        "value": table["value"].to_numpy(dtype="float64") * np.asarray(scale, dtype="float64"),
    })
    out.attrs = {"source": table.attrs.get("source"), "lines": table.attrs.get("lines"),
                 "units": {"value": "spec unit of each factor"}}
    return out

"""Plausibility of input values, as declared in the specs (``parameters: plausibility``).

Each input kind declares the values that are physically possible (a range in a
unit, a maximum per km² for counts such as population, the codes of a legend,
ordered bound columns, years within the edition).  This module is the one home
of those checks:

* :func:`check_raster` — one cheap, block-wise reduction over a (dask) raster:
  each block reports how many cells are outside, how many are NaN without a
  declared nodata, and its first offending cell; the blocks combine into the
  count and the first offending pixel in reading order.  Nothing is loaded
  whole; the same graph runs on a distributed cluster.
* :func:`check_table` — the same rules on a table input (rows, columns, years).

Both raise :class:`~indicators.errors.InputError` naming the input, the file,
the pixel (row, column and x, y) or row (line), the value and the fix; with
``on_violation: warn`` / ``nan: warn`` in the specs they return the findings
as warning lines instead, for the report and the provenance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError
from .plausibility_blocks import _block_summary

__all__ = ["InputWarning", "Finding", "rule_for", "legend_codes", "raster_findings", "check_raster", "check_table",
           "year_problem", "check_input_rasters", "CHECK_BLOCKS"]


class InputWarning(str):
    """A finding the specs allow (``on_violation: warn`` / ``nan: warn``): one line naming the input, the file, the
    count and the first pixel or row.  Stage checks return it beside their problems; the run carries it into the
    report's input-warnings section and ``provenance.json`` (``warnings``), ``--check`` prints it."""


def rule_for(framework: Any, name: str) -> Any | None:
    """The declared plausibility of input *name* (an ``InputPlausibility``), or None."""
    try:
        block = framework.parameters("plausibility")
    except KeyError:
        return None
    return block.inputs.get(name)


def legend_codes(framework: Any, rule: Any) -> tuple[int, ...] | None:
    """Codes allowed by the rule's legend (``legend`` or ``legend_parameter``) or by the positions of its
    ``codes_parameter`` list, or None."""
    if rule is None:
        return None
    if rule.codes_parameter:
        return tuple(range(len(framework.resolve(rule.codes_parameter))))
    legend = None
    if rule.legend_parameter:
        legend = framework.resolve(rule.legend_parameter)
    elif rule.legend:
        legend = framework.resolve(f"legend:{rule.legend}")
    if legend is None:
        return None
    return tuple(sorted(int(c.code) for c in legend.classes))


# --------------------------------------------------------------------------- rasters


@dataclass(frozen=True)
class Finding:
    """What one check found: cells/rows outside, NaN cells, and the first offending one."""

    outside: int
    nan: int
    first_index: tuple[int, ...] | None  # array index of the first offending cell (outside first, else NaN)
    first_value: float | None
    valid: int = 0  # cells holding a value (neither nodata nor NaN), in the blocks read
    sampled: bool = False  # True when only some blocks were read


def _combine(parts: Sequence[tuple], sampled: bool = False) -> Finding:
    outside = sum(p[0] for p in parts)
    nan = sum(p[1] for p in parts)
    bads = [(p[2], p[3]) for p in parts if p[2] is not None]
    nans = [p[4] for p in parts if p[4] is not None]
    if bads:
        index, value = min(bads, key=lambda b: b[0])
    elif nans:
        index, value = min(nans), float("nan")
    else:
        index, value = None, None
    return Finding(outside, nan, index, value, sum(p[5] for p in parts), sampled)


def raster_findings(data: Any, *, low: float | None = None, low_exclusive: bool = False, high: float | None = None,
                    codes: Iterable[int] | None = None, nodata: float | None = None,
                    max_blocks: int | None = None) -> Any:
    """A lazy :class:`Finding` for the array *data* (dask or numpy): ``dask.delayed``, compute it.

    One task per block plus one to combine: a single pass over the data, a few
    numbers per block in memory, in any dask scheduler (threads or a cluster).
    With *max_blocks*, only that many blocks, evenly spread over the array (the
    first and the last included), are read: a sample (``--check``), not a proof.
    """
    import dask
    import dask.array as dsa

    arr = data if isinstance(data, dsa.Array) else dsa.from_array(np.asarray(data), chunks=-1)
    code_arr = None if codes is None else np.asarray(sorted(codes))
    starts = [np.concatenate([[0], np.cumsum(c)[:-1]]).astype(int) for c in arr.chunks]
    blocks = arr.to_delayed()
    indices = list(np.ndindex(*blocks.shape))
    sampled = max_blocks is not None and len(indices) > max_blocks
    if sampled:
        picks = np.unique(np.linspace(0, len(indices) - 1, max_blocks).round().astype(int))
        indices = [indices[i] for i in picks]
    parts = []
    for index in indices:
        offset = tuple(int(starts[d][i]) for d, i in enumerate(index))
        parts.append(dask.delayed(_block_summary, pure=True)(blocks[index], offset, low, low_exclusive, high,
                                                              code_arr, nodata))
    return dask.delayed(_combine, pure=True)(parts, sampled)


def _bounds_in(rule: Any, units: str | None, label: str) -> tuple[float | None, float | None, float]:
    """(min, max) of *rule* converted to *units*, and the factor used."""
    from .units import conversion_factor

    factor = 1.0
    if rule.units and units and str(units) != str(rule.units):
        if _is_monthly_amount(str(rule.units)):
            return _monthly_bounds_in(rule, str(units))
        factor = conversion_factor(rule.units, units, where=label)
    low = None if rule.min is None else rule.min * factor
    high = None if rule.max is None else rule.max * factor
    return low, high, factor


def _is_monthly_amount(unit: str) -> bool:
    """True for a per-calendar-month water amount (``mm/month``): its file may hold a depth, a mass per area or
    a rate instead (:func:`indicators.units.monthly_water_to_mm`), which pint alone cannot convert."""
    from .units import parse_unit, registry

    return "month" in unit and parse_unit(unit).dimensionality == registry().Unit("mm/s").dimensionality


def _monthly_bounds_in(rule: Any, units: str) -> tuple[float | None, float | None, float]:
    """Bounds in mm/month turned into the file's *units*, lenient across month lengths (28 to 31 days).

    Units that are no monthly water amount at all (e.g. K) get no bounds here: the stage that reads the input
    refuses them in the same ``prepare``, naming the units it accepts."""
    import numpy as np

    from .errors import UnitError
    from .units import monthly_water_to_mm

    try:
        per_month = monthly_water_to_mm(units, np.array([28, 31])) / monthly_water_to_mm(str(rule.units), np.array([30, 30]))
    except UnitError:
        return None, None, 1.0
    low = None if rule.min is None else rule.min / float(per_month.max())
    high = None if rule.max is None else rule.max / float(per_month.min())
    return low, high, 1.0


def _pixel_text(da: Any, index: tuple[int, ...]) -> str:
    """``row r, column c (x=..., y=...)`` of a cell of *da*, with the leading (e.g. time) labels."""
    parts = []
    for dim, i in zip(da.dims, index):
        if dim in ("y", "x") or dim == getattr(da.rio, "y_dim", None) or dim == getattr(da.rio, "x_dim", None):
            continue
        label = da[dim].values[i] if dim in da.coords else i
        parts.append(f"{dim} {label}")
    y_dim, x_dim = da.dims[-2], da.dims[-1]
    r, c = index[-2], index[-1]
    where = f"row {r}, column {c}"
    if y_dim in da.coords and x_dim in da.coords:
        where += f" (x={float(da[x_dim].values[c]):.6g}, y={float(da[y_dim].values[r]):.6g})"
    return ", ".join(parts + [where])


def check_raster(da: Any, rule: Any, *, label: str, codes: Iterable[int] | None = None,
                 compute: Any = None, max_blocks: int | None = None) -> list[str]:
    """Check a raster input against its declared plausibility; raise or return warning lines.

    Parameters
    ----------
    da : xarray.DataArray
        The input as :func:`indicators.io.open_raster` returns it (lazy; ``rio.nodata``,
        ``attrs["units"]`` and ``attrs["source"]`` set).
    rule : InputPlausibility or None
        From :func:`rule_for`; None checks nothing.
    label : str
        The configured input, e.g. ``"inputs.population_total[2020]"``.
    codes : iterable of int, optional
        Allowed class codes (:func:`legend_codes`); the declared nodata is always allowed.
    compute : callable, optional
        How to compute the lazy finding (default ``dask.compute``; pass the run's
        ``Context.compute`` to use its scheduler).
    max_blocks : int, optional
        Read only this many blocks, evenly spread (a sample, for ``--check``); default every block; 0 reads none
        (everything but the values: the run's first look, whose every-cell check follows before any stage).

    Returns
    -------
    list of str
        Warning lines (``on_violation``/``nan: warn``); empty when all is plausible.

    Raises
    ------
    InputError
        Values outside, or NaN without a declared nodata (``refuse``): the input, the
        file, the count, the first pixel, its value, and the fix.
    """
    if rule is None:
        return []
    import dask

    src = da.attrs.get("source", "")
    units = da.attrs.get("units")
    nodata = da.rio.nodata if hasattr(da, "rio") else None
    low, high, _ = _bounds_in(rule, units, label)
    data = da
    what = f"{units}" if units else ""
    if rule.max_per_km2 is not None:
        import xarray as xr

        from .grid import cell_area
        from .units import conversion_factor

        # counts per cell -> per km2 (lazy); the nodata sentinel kept as it is, so it is still recognised
        high = rule.max_per_km2 * (conversion_factor(rule.units, units, where=label) if rule.units and units else 1.0)
        density = da / cell_area(da)
        data = density if nodata is None else xr.where(da == nodata, nodata, density)
        what = f"{units or ''}/km2"
    if max_blocks == 0:
        return []  # the file, its units and its rule checked; its values are read by the run's every-cell check
    allowed = None if codes is None else tuple(int(c) for c in codes)
    lazy = raster_findings(getattr(data, "data", data), low=low, low_exclusive=rule.min_exclusive, high=high,
                           codes=allowed, nodata=nodata, max_blocks=max_blocks)
    (finding,) = (compute or dask.compute)(lazy)
    if not finding.valid and finding.sampled:  # no value in the sample: read the rest before saying so
        (finding,) = (compute or dask.compute)(raster_findings(
            getattr(data, "data", data), low=low, low_exclusive=rule.min_exclusive, high=high, codes=allowed,
            nodata=nodata))
    if not finding.valid and not finding.outside and not finding.nan:
        raise InputError(f"{label}: every cell of {src} is the nodata {nodata} (no data): the file holds no values; check that "
                         "this is the file meant for this input (the path, the year, the band or variable) and that "
                         "its nodata is right")
    nan = finding.nan
    lines: list[str] = []
    if finding.outside:
        expected = _expected_text(rule, low, high, allowed, nodata=da.rio.nodata if hasattr(da, "rio") else None,
                                  units=what)
        where = _pixel_text(da, finding.first_index)
        raw = float(np.asarray(da.data[finding.first_index]))  # one cell: the value as stored in the file
        shown = f"{raw:g}" + (_unit_suffix(units) if allowed is None else "")
        if rule.max_per_km2 is not None:
            shown += f" ({finding.first_value:.4g} {what})"
        line = (f"{label}: {finding.outside} cell(s) of {src} are not plausible ({expected}); the first at {where} "
                f"is {shown}")
        if rule.on_violation == "refuse":
            from .config.schema import SCALED_INPUTS

            scaled = label.split(".", 1)[-1].split("[", 1)[0] in SCALED_INPUTS
            raise InputError(line + "; correct the file, its units or its nodata"
                             + (" (or declare the scale_factor of values stored scaled, e.g. 0.0001 for NDVI x 10 000)"
                                if scaled else ""))
        lines.append(InputWarning(line + "; the run goes on with them (on_violation: warn in the specs)"))
    if nan:
        where = _pixel_text(da, finding.first_index) if not finding.outside else "(see above)"
        line = (f"{label}: {nan} cell(s) of {src} are NaN but the file declares no NaN nodata (first at {where}); "
                "declare nodata (nodata: in the configuration) or fill the gaps")
        if rule.nan == "refuse":
            raise InputError(line)
        lines.append(InputWarning(line.split("; declare nodata")[0] + "; left out as no data (nan: warn in the specs)"))
    return lines


def _codes_text(codes: Sequence[int]) -> str:
    if len(codes) > 12 and list(codes) == list(range(codes[0], codes[-1] + 1)):  # a run too long to list: 0-12
        return f"{codes[0]}-{codes[-1]}"
    return ", ".join(map(str, codes[:12])) + (", ..." if len(codes) > 12 else "")


def _expected_text(rule: Any, low: float | None, high: float | None, codes: Sequence[int] | None, *,
                   nodata: Any, units: str) -> str:
    if codes is not None:
        return f"codes must be in the legend ({_codes_text(codes)}) or the nodata {nodata}"
    parts = []
    if low is not None:
        parts.append(f"{'>' if rule.min_exclusive else '>='} {low:g}")
    if high is not None:
        parts.append(f"<= {high:g}")
    return "values must be " + " and ".join(parts) + _unit_suffix(units)


def _unit_suffix(units: str | None) -> str:
    """" mm/month" after a value; nothing for a dimensionless value (units "1", as NDVI or the DVI)."""
    return f" {units}" if units and units != "1" else ""


# --------------------------------------------------------------------------- tables


def check_table(frame: Any, rule: Any, *, label: str, years: tuple[int, int] | None = None,
                units: str | None = None) -> list[str]:
    """Check a table input (a DataFrame as :func:`indicators.tables.read_table` returns it) against its rule.

    ``min``/``max`` apply to ``rule.columns`` (default: every numeric column but
    ``year``); ``ordered`` columns must not decrease along a row; the ``year_columns`` (default ``year``) hold
    plausible years (:func:`year_problem`: with ``years: edition`` none after the edition's span *years* and the
    current year both, data from the future; none before ``first_year``; a series that runs past the
    edition's span is kept: each indicator selects its own years, and a country uses one series for both
    editions).
    Raises InputError naming the file, line, column and value (or returns warning
    lines with ``on_violation: warn``).
    """
    if rule is None:
        return []
    from .tables import line_of, source_of

    src = source_of(frame)
    low, high, _ = _bounds_in(rule, units, label)
    columns = list(rule.columns) or [c for c in frame.columns if c != "year" and frame[c].dtype.kind in "fiu"]
    problems: list[str] = []

    def found(i: int, column: str, text: str, fix: str) -> None:
        problems.append(f"{label}: {src}, line {line_of(frame, i)}, column '{column}': {text}; {fix}")

    for column in columns:
        if column not in frame.columns:
            continue
        values = frame[column].to_numpy(dtype="float64", na_value=np.nan)
        for i, v in enumerate(values):
            if math.isnan(v):
                continue
            if low is not None and (v <= low if rule.min_exclusive else v < low):
                found(i, column, f"value {v:g} is not {'above' if rule.min_exclusive else 'at least'} {low:g}",
                      "correct the value (a rate or amount of 0 or less is not possible)" if rule.min_exclusive
                      else "correct the value")
            elif high is not None and v > high:
                found(i, column, f"value {v:g} is above {high:g}", "correct the value or its unit")
    if rule.ordered and all(c in frame.columns for c in rule.ordered):
        cols = list(rule.ordered)
        arr = frame[cols].to_numpy(dtype="float64", na_value=np.nan)
        for i, row in enumerate(arr):
            for k, (a, b, va, vb) in enumerate(zip(cols, cols[1:], row, row[1:])):
                if va > vb:  # blame the outer column: the lower bound first, then the upper ones
                    found(i, a if k == 0 else b, f"{a} {va:g} is above {b} {vb:g} (expected {' <= '.join(cols)})",
                          "check whether the columns are swapped")
    for column in (c for c in rule.year_columns if c in frame.columns):
        for i, y in enumerate(frame[column].tolist()):
            text = year_problem(y, rule, years)
            if text:
                found(i, column, text, "correct the year or remove the row")
    if problems and rule.on_violation == "refuse":
        raise InputError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return [InputWarning(f"{line} (kept as given: on_violation: warn in the specs)") for line in problems]


def year_problem(value: Any, rule: Any, span: tuple[int, int] | None) -> str | None:
    """Why *value* is not a plausible year under *rule* (``years: edition`` with the edition's *span*,
    ``first_year``), or None; a missing value (None, NaN) is none of this check's business."""
    import pandas as pd

    if rule is None or pd.isna(value):
        return None
    y = int(value)
    if rule.years == "edition" and span is not None:
        from datetime import date

        latest = max(span[1], date.today().year)
        if y > latest:
            return f"year {y} is in the future (after {latest}, the later of the edition's last year {span[1]} and this year)"
    if rule.first_year is not None and y < rule.first_year:
        return (f"year {y} is before {rule.first_year}, the first plausible year the specs declare "
                "(parameters.plausibility first_year; a year written short or in the wrong century?)")
    return None


# --------------------------------------------------------------------------- configured inputs

#: blocks read per raster file by ``indicators run --check`` (evenly spread, first and last included);
#: the run itself reads every block (``max_blocks=None``) before any stage computes
CHECK_BLOCKS = 64


def check_input_rasters(loaded: Any, framework: Any, names: Iterable[str], *, max_blocks: int | None = None,
                        compute: Any = None) -> list[str]:
    """Check every file of the raster inputs *names* that have a declared rule; the one raster checker.

    ``--check`` (engine ``prepare``) calls it with ``max_blocks=CHECK_BLOCKS`` (a block sample: cheap on a
    national raster); the run's ``prepare`` with ``max_blocks=0`` (the files, units and rules, no values) and its
    ``execute`` with ``max_blocks=None`` (every cell, before any stage): the sample was a second read of every input,
    a whole raster up to 64 blocks (issue 16).  Each file is checked on its own, so both name the same file, pixel and
    value when the sample holds the file's first implausible block (a raster of up to 64 blocks: always).  Returns
    warning lines; raises InputError on a refusal.
    """
    from .config.paths import input_files
    from .io import open_raster

    lines: list[str] = []
    for name in names:
        rule = rule_for(framework, name)
        spec = loaded.config.inputs.get(name)
        if rule is None or spec is None or spec.resolved_kind() != "raster":
            continue
        codes = legend_codes(framework, rule)
        # stored values x scale_factor (the input's) x the rule's scale parameter (the specs') are in the declared units
        f = (float(spec.scale_factor) if spec.scale_factor else 1.0) * \
            (float(framework.resolve(rule.scale_parameter)) if rule.scale_parameter else 1.0)
        if f != 1.0 and codes is None:
            rule = rule.model_copy(update={k: getattr(rule, k) / f for k in ("min", "max", "max_per_km2")
                                           if getattr(rule, k) is not None})
        files = input_files(loaded, name, spec)
        for key, path in files.items():
            label = f"inputs.{name}" + (f"[{key}]" if key else "")
            # class rasters: codes, dimensionless (a file without a units tag is fine, as in the run)
            da = open_raster(path, name=name, units="1" if codes is not None else spec.units, nodata=spec.nodata,
                             variable=spec.variable, band=spec.band)
            if codes is not None and da.dtype.kind not in "iu":
                raise InputError(f"{label}: {path.name} holds {da.dtype} values, but a class raster holds integer codes "
                                 f"(its legend: {_codes_text(codes)}); write the file with an integer type "
                                 "(gdal_translate -ot Byte) after checking what its values mean")
            lines += check_raster(da, rule, label=label, codes=codes, compute=compute, max_blocks=max_blocks)
    return lines

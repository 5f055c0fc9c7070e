"""SO3-1, tier 1 drought hazard: drought-class maps, land area per class, four-year epoch maps.

Methodology Part A D3 (land-area denominator), D5–D7 and Part B §3.2:

* one classification per year, by default of the December SPI-12 (any SPI or
  SPEI, computed here or precomputed, is accepted);
* drought intensity classes from SPI breaks, with the boundary rule as a
  parameter (D6: a value on a boundary goes to the more severe class;
  Trends.Earth: the milder one);
* area and percent of **land** per class and under any drought class, national
  and per administrative unit (the denominator is the valid land area, or an
  official land area; nodata and water are reported on rows of their own);
* four-year epoch maps of the most severe class over all the epoch's years (D7).

All class codes, names, breaks, epochs and the drought codes come in as
parameters from the specs (``specs/legends/drought.yaml``).

This module makes the maps; the tables are in :mod:`~indicators.so3.hazard_tables`, whose public names are
re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from ..classes import classify_by_breaks, flag_attrs, recode
from ..errors import InputError
from .hazard_tables import drought_area_table, drought_trends, drought_zonal_area_table, land_mask_at

__all__ = [
    "annual_spi",
    "drought_hazard_classes",
    "epoch_most_severe",
    "drought_area_table",
    "drought_zonal_area_table",
    "drought_trends",
    "land_mask_at",
]


def annual_spi(spi: xr.DataArray, *, month: int, time_dim: str = "time") -> xr.DataArray:
    """One SPI value per year: the given calendar month of a monthly (or already annual) series.

    Parameters
    ----------
    spi : xarray.DataArray
        SPI or SPEI with a date-time ``time`` dimension (e.g. a precomputed
        monthly SPI-12 collection, or the output of :func:`indicators.spi`).
    month : int
        Calendar month to keep (UNCCD SO3-1: 12, December).

    Returns
    -------
    xarray.DataArray with dimension ``year`` (int) instead of ``time``.
    """
    if time_dim not in spi.dims:
        raise InputError(f"SPI has no {time_dim!r} dimension (dims {spi.dims})")
    months = spi[time_dim].dt.month
    sel = spi.isel({time_dim: np.flatnonzero(months.values == int(month))})
    years = sel[time_dim].dt.year.values
    if sel.sizes[time_dim] == 0:
        raise InputError(f"SPI has no value for calendar month {month}")
    if np.unique(years).size != years.size:
        raise InputError(f"SPI has more than one value for month {month} in some year; give a monthly series")
    out = sel.assign_coords(year=(time_dim, years.astype("int64"))).swap_dims({time_dim: "year"}).drop_vars(time_dim)
    out.attrs = dict(spi.attrs, calendar_month=int(month))
    return out


def drought_hazard_classes(
    spi: xr.DataArray,
    *,
    breaks: Sequence[float],
    codes: Sequence[int],
    right_closed: bool,
    meanings: Sequence[str],
    nodata: int,
    dtype: str = "uint8",
) -> xr.DataArray:
    """Drought intensity class of each cell and year (SO3-1, D6).

    Parameters
    ----------
    spi : xarray.DataArray
        SPI/SPEI values (dimensionless), any dimensions (typically
        ``(year, y, x)``), numpy or dask. NaN gives *nodata*.
    breaks : sequence of float
        Increasing class boundaries, e.g. ``[-2, -1.5, -1, 0]`` (specs:
        ``drought_intensity_default``).
    codes : sequence of int
        One code per interval from the lowest up, e.g. ``[4, 3, 2, 1, 0]``
        (extreme, severe, moderate, mild, no drought).
    right_closed : bool
        True (D6, the manual): intervals ``(lower, upper]`` — a value on a
        boundary goes to the lower, more severe class and SPI = 0 is mild.
        False (Trends.Earth): ``[lower, upper)`` — the milder class; SPI = 0 is
        no drought.
    meanings : sequence of str
        Class names in the order of ``sorted(codes)`` (CF ``flag_meanings``).
    nodata : int
        Code for missing SPI.
    dtype : str
        Integer dtype of the classes (specs: ``encoding.class_dtype``; D15: uint8);
        *nodata* and the codes must fit in it.

    Returns
    -------
    xarray.DataArray (*dtype*) with CF ``flag_values``/``flag_meanings``,
    ``_FillValue``-style ``nodata`` and the boundary rule in its attributes.
    """
    if len(meanings) != len(codes):
        raise InputError(f"{len(codes)} drought codes but {len(meanings)} meanings")
    info = np.iinfo(np.dtype(dtype))
    outside = [int(v) for v in (*codes, nodata) if not info.min <= int(v) <= info.max]
    if outside:
        raise InputError(f"drought class codes / nodata {outside} do not fit the class dtype {dtype} "
                         f"({info.min}..{info.max}); set encoding.class_nodata and class_dtype to match")
    out = classify_by_breaks(spi, breaks, codes, right_closed=right_closed, nodata=nodata, dtype=dtype)
    out = _restore_coords(out, spi)
    out.name = "drought_class"
    rule = "boundary value to the more severe class" if right_closed else "boundary value to the milder class"
    out.attrs.update(
        flag_attrs(
            sorted(int(c) for c in codes),
            list(meanings),
            nodata=nodata,
            long_name="drought intensity class (SO3-1)",
            boundary_rule=rule,
            source_index=spi.attrs.get("long_name", "SPI"),
        )
    )
    out.attrs["_FillValue"] = int(nodata)
    for key in ("calibration_period", "spi_scale_months", "spei_scale_months", "calendar_month", "distribution"):
        if key in spi.attrs:
            out.attrs[key if key.startswith(("spi_", "spei_")) else f"spi_{key}"] = spi.attrs[key]
    return out


def _restore_coords(out: xr.DataArray, like: xr.DataArray, drop_dim: str | None = None) -> xr.DataArray:
    """Put back *like*'s non-index coordinates (e.g. rioxarray's ``spatial_ref`` with its CRS
    attributes), which elementwise helpers and reductions return without their attributes."""
    for name, coord in like.coords.items():
        if name in like.dims or (drop_dim is not None and drop_dim in coord.dims):
            continue
        if set(coord.dims) <= set(out.dims):
            out = out.assign_coords({name: coord})
    return out


def _severity_lookup(severity: Sequence[int]) -> tuple[dict[int, int], dict[int, int]]:
    order = [int(c) for c in severity]
    if len(set(order)) != len(order):
        raise InputError(f"severity order repeats a code: {order}")
    rank = {c: i for i, c in enumerate(order)}
    back = {i: c for c, i in rank.items()}
    return rank, back


def epoch_most_severe(
    classes: xr.DataArray,
    *,
    epochs: Sequence[Sequence[int]],
    severity: Sequence[int],
    nodata: int,
    year_dim: str = "year",
) -> xr.DataArray:
    """Most severe drought class of each cell over each epoch (D7; PRAIS Step 5).

    Parameters
    ----------
    classes : xarray.DataArray
        Annual drought classes with an integer ``year`` dimension.
    epochs : sequence of (first year, last year)
        Inclusive epochs, e.g. ``[(2000, 2003), (2004, 2007), …]``. Every year of
        an epoch present in *classes* is used (all four, unlike Trends.Earth's
        three); years absent from *classes* are listed in the ``epoch_missing_years``
        attribute and the epoch is summarised over the years available. An epoch
        with no year at all is left out (listed in ``epochs_without_data``).
    severity : sequence of int
        Class codes from the least to the most severe, e.g. ``[0, 1, 2, 3, 4]``.
    nodata : int
        Nodata code: ignored when another year of the epoch has a class; a cell
        with no class in any year of the epoch is *nodata*.

    Returns
    -------
    xarray.DataArray (uint8) with dimension ``epoch`` (labels ``"2000-2003"``)
    and coordinates ``epoch_start``, ``epoch_end``.
    """
    if year_dim not in classes.dims:
        raise InputError(f"drought classes have no {year_dim!r} dimension (dims {classes.dims})")
    rank, back = _severity_lookup(severity)
    rank_dtype = "uint8" if len(rank) < 255 else "uint16"
    have = set(int(y) for y in classes[year_dim].values)
    maps, labels, starts, ends, used, missing, empty = [], [], [], [], [], [], []
    for ep in epochs:
        first, last = int(ep[0]), int(ep[-1])
        if last < first:
            raise InputError(f"epoch {ep!r} ends before it starts")
        years = [y for y in range(first, last + 1) if y in have]
        label = f"{first}-{last}"
        if not years:
            empty.append(label)
            continue
        sub = classes.sel({year_dim: years})
        # severity rank + 1, and 0 for nodata (or a code outside the order): the maximum over the years is the most
        # severe class, 0 only where no year has one. Integers throughout: a float maximum skipping NaN would hold
        # 8 bytes per cell and year in every block of a fine grid.
        ranks = recode(sub, {c: i + 1 for c, i in rank.items()}, nodata=0, dtype=rank_dtype)
        worst = ranks.max(year_dim)
        # the classes' dtype (encoding.class_dtype)
        maps.append(recode(worst, {i + 1: c for i, c in back.items()}, nodata=nodata, dtype=classes.dtype))
        labels.append(label)
        starts.append(first)
        ends.append(last)
        used.append(f"{label}: {','.join(map(str, years))}")
        absent = [y for y in range(first, last + 1) if y not in have]
        if absent:
            missing.append(f"{label}: {','.join(map(str, absent))}")
    if not maps:
        raise InputError(f"no year of the epochs {[list(e) for e in epochs]} is in the drought classes")
    out = xr.concat(maps, dim="epoch", coords="minimal", compat="override").assign_coords(
        epoch=("epoch", labels), epoch_start=("epoch", starts), epoch_end=("epoch", ends)
    )
    out = _restore_coords(out, classes, drop_dim=year_dim)
    out.name = "drought_class_epoch"
    attrs = {k: v for k, v in classes.attrs.items() if k.startswith(("flag_", "nodata", "_FillValue", "units", "boundary"))}
    attrs.update(
        long_name="most severe drought class over the epoch (SO3-1)",
        epoch_rule="most severe class over every year of the epoch present (D7)",
        epoch_years="; ".join(used),
        epoch_missing_years="; ".join(missing) or "none",
        epochs_without_data=", ".join(empty) or "none",
    )
    attrs["nodata"] = int(nodata)
    attrs["_FillValue"] = int(nodata)
    out.attrs = attrs
    return out

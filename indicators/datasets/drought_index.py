"""A precomputed drought index published one file per accumulation scale (GMID), read as its catalogue entry says.

:func:`open_drought_index` adds to :func:`~indicators.datasets.readers.open_dataset`'s header checks (variable,
data type, scale factor, nodata) what such a product must also show before its values are used: the accumulation
scale asked for (the file says its own in the entry's ``accumulation_attribute``) and a monthly time axis inside
the release's years.  Only the header and the coordinates are read; the values stay lazy, so ``indicators
prepare`` reads the window of the boundary only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import InputError
from ..specs.model import DatasetEntry
from .catalogue import dataset_entry
from .readers import expect_error, open_dataset

__all__ = ["open_drought_index", "DEFAULT_ACCUMULATION_MONTHS"]

#: the scale the manuals classify (December SPI-12, PRAIS22/PRAIS26 §3.1 Step 3) and the specs' spi.scale_months
DEFAULT_ACCUMULATION_MONTHS = 12


def _file_scale_and_years(path: Path, entry: DatasetEntry) -> tuple[Any, np.ndarray]:
    """The variable's accumulation attribute (None when absent) and the years of its time axis (header only)."""
    with xr.open_dataset(path, mask_and_scale=False, decode_times=True) as ds:
        var = ds[entry.variable]
        if "time" not in var.dims:
            raise expect_error(path, entry, f"variable {entry.variable!r} has no 'time' axis (dims {var.dims}); "
                                            "a monthly series (time, lat, lon) is expected")
        times = var["time"].values
        if not np.issubdtype(times.dtype, np.datetime64):  # cftime: non-standard calendars still carry a year
            years = np.array([t.year for t in times])
        else:
            years = times.astype("datetime64[Y]").astype(int) + 1970
        return var.attrs.get(entry.accumulation_attribute), years


def _check_accumulation(path: Path, entry: DatasetEntry, have: Any, months: int) -> None:
    """The file is the accumulation scale asked for, as its attribute says (a missing attribute is refused: the
    scale cannot be told from the values)."""
    attr = entry.accumulation_attribute
    if have is None:
        raise expect_error(path, entry, f"attribute {attr} (the accumulation scale in months) is missing; expected "
                                        f"{attr}={months}")
    try:
        scale = int(float(np.asarray(have).ravel()[0]))
    except (TypeError, ValueError, IndexError):
        raise expect_error(path, entry, f"attribute {attr}={have!r} is not a number of months") from None
    if scale != months:
        raise expect_error(path, entry, f"it holds the {scale}-month scale ({attr}={scale}), expected {months} "
                                        f"months: give the {months}-month file")


def _check_time_coverage(path: Path, entry: DatasetEntry, years: np.ndarray) -> None:
    """Every month of the file inside the release's years (another release is another dataset)."""
    first, last = entry.time_coverage  # type: ignore[misc]
    if years.size == 0:
        raise expect_error(path, entry, f"the time axis is empty; expected months of {first}-{last}")
    lo, hi = int(years.min()), int(years.max())
    if lo < first or hi > last:
        raise expect_error(path, entry, f"the time axis spans {lo}-{hi}, outside {first}-{last} of this release")


def open_drought_index(dataset: str | DatasetEntry, path: str | Path, *, months: int = DEFAULT_ACCUMULATION_MONTHS,
                       chunks: Any = "auto", specs: str | Path | None = None) -> xr.DataArray:
    """Open *path* as the *months*-month file of drought-index dataset *dataset* (e.g. ``gmid_spi``), lazily.

    Values are returned as stored (packed integers); ``attrs["scale_factor"]`` scales them to index units and
    ``attrs["accumulation_months"]`` is *months*.

    Raises
    ------
    InputError
        One line naming the file and what is expected: *months* not a published scale, the header checks of
        :func:`~indicators.datasets.readers.open_dataset`, the file's accumulation attribute missing or another
        scale, no time axis, months outside the entry's ``time_coverage``.
    """
    entry = dataset if isinstance(dataset, DatasetEntry) else dataset_entry(dataset, specs)
    if not entry.accumulation_months:
        raise InputError(f"dataset {entry.id} is not a drought index published per accumulation scale")
    if months not in entry.accumulation_months:
        scales = entry.accumulation_months
        raise InputError(f"{entry.name} is published at {scales[0]}-{scales[-1]} months, not {months}; choose one of "
                         f"{', '.join(map(str, scales))}")
    da = open_dataset(entry, path, chunks=chunks, specs=specs)  # exists, variable, dtype, scale factor, nodata
    have, years = _file_scale_and_years(Path(path), entry)
    _check_accumulation(Path(path), entry, have, months)
    if entry.time_coverage:
        _check_time_coverage(Path(path), entry, years)
    da.attrs["accumulation_months"] = months
    return da

"""SO3-1 before computing: which drought index is computed or read, what this version supports, input checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config.loading import LoadedConfig
from ..config.paths import input_files
from ..config.schema import InputSpec
from ..errors import IndicatorsError
from ..so1.land import national_land_cover_needs
from ..specs.loader import specs_dir
from ..stage import Context, Need, module_missing
from .run_common import so3_land_years


#: Values of the specs' ``spi`` block that this version computes, per index and field.  Any other value is refused
#: by the SO3-1 check before anything is computed, so a country never gets an index computed otherwise than it
#: asked without being told; add a value here when indicators.so3.spi (or .spei) implements it.  The SPEI is
#: always log-logistic, fitted by probability-weighted moments, with the exact inverse normal: the fields'
#: other values describe the SPI and are not implemented for it.
SPI_SUPPORTED: dict[str, dict[str, tuple[str, ...]]] = {
    "spi": {"distribution": ("gamma",), "fit": ("thom", "mle"), "zero_handling": ("mixed", "center_of_mass"),
            "inverse_normal": ("exact", "abramowitz_stegun")},
    "spei": {"distribution": ("gamma",), "fit": ("thom",), "zero_handling": ("mixed",), "inverse_normal": ("exact",)},
}


def unsupported_spi_choices(spi: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    """(field, value, supported values) of every choice of the ``spi`` block that this version does not compute
    for the block's ``index`` (:data:`SPI_SUPPORTED`)."""
    table = SPI_SUPPORTED[str(spi.index)]
    return [(name, str(getattr(spi, name)), ok) for name, ok in table.items() if str(getattr(spi, name)) not in ok]


@dataclass(frozen=True)
class DroughtIndexPlan:
    """Where SO3-1's drought index comes from (:func:`drought_index_plan`)."""

    index: str  # "spi" | "spei": the index the classes are made from (the specs' spi.index)
    precomputed: bool  # classes from inputs.drought_index
    extension: bool  # SPEI computed beside the SPI (index spi, precipitation and pet given)

    @property
    def label(self) -> str:
        return self.index.upper()


def drought_index_plan(inputs: Mapping[str, Any], spi: Any) -> DroughtIndexPlan | None:
    """Which index SO3-1 classifies, given the configured inputs and the specs' ``spi`` block (D5).

    * ``inputs.drought_index`` given: that precomputed SPI or SPEI (``spi.index`` says which) is
      classified.  It wins over ``precipitation``: an index a country supplies on purpose (its
      met service's, or the default GMID data of the 2026 manual) is what it reports, and the
      choice is recorded in the report; precipitation is then read only for the SPEI extension.
    * otherwise ``spi.index`` is computed: SPI from ``precipitation``, SPEI from ``precipitation``
      and ``pet``.
    * with ``spi.index: spi``, ``precipitation`` and ``pet``, the SPEI is computed too and reported
      beside the SPI as an extension; the classes stay the SPI's.

    None when neither ``drought_index`` nor ``precipitation`` is configured.
    """
    precomputed = "drought_index" in inputs
    if not precomputed and "precipitation" not in inputs:
        return None
    extension = spi.index == "spi" and "precipitation" in inputs and "pet" in inputs
    return DroughtIndexPlan(str(spi.index), precomputed, extension)


def _spi_where(loaded: LoadedConfig) -> str:
    """Where the ``spi`` block comes from, for messages: the spec file, and the profile, overlay and the run
    configuration's own ``parameters:`` applied on it (each named only when it is there)."""
    cfg = loaded.config
    base = Path(cfg.specs) / "so3_drought.yaml" if cfg.specs else Path(specs_dir().name) / "so3_drought.yaml"
    extra = ([f"profile {cfg.profile}"] if cfg.profile and cfg.profile != "default" else []) + (
        [f"overlay {cfg.overlay}"] if cfg.overlay else []) + (
        ["run configuration's parameters.spi"] if "spi" in (cfg.parameters or {}) else [])
    return f"parameters.spi of {base.as_posix()}" + (f" (with the {' and '.join(extra)} applied)" if extra else "")


def _same_grid_problem(loaded: LoadedConfig, a: str, b: str) -> str | None:
    """A problem line when single-file raster inputs *a* and *b* are not on one grid (None when they are, or
    when a file cannot be read: check_inputs reports that)."""
    from ..config.headers import raster_header

    heads = []
    for name in (a, b):
        spec = loaded.config.inputs[name]
        files = input_files(loaded, name, spec)
        if len(files) != 1:
            return None
        try:
            heads.append(raster_header(next(iter(files.values())), spec.variable))
        except Exception:  # unreadable: reported by check_inputs
            return None
    ha, hb = heads
    if ha["crs"] == hb["crs"] and ha["shape"] == hb["shape"] and ha["transform"].almost_equals(hb["transform"]):
        return None
    return (f"inputs.{b}: not on the grid of inputs.{a} (shape {hb['shape']} vs {ha['shape']}, transform differs or CRS "
            f"differs); the SPEI takes precipitation minus potential evapotranspiration cell by cell: resample {b} onto "
            f"the {a} grid")


def _water_units_problems(inputs: Mapping[str, InputSpec], name: str) -> list[str]:
    """A monthly water amount's declared units: any depth, mass per area or rate the SPI/SPEI convert to mm per
    month (:func:`indicators.so3.standardized.precipitation_to_mm`)."""
    if name not in inputs:
        return []
    import numpy as np

    from ..so3.standardized import precipitation_to_mm

    units = inputs[name].units
    example = "mm/month, mm, mm/day, m, kg m-2 or kg m-2 s-1"
    if units is None:
        return [f"inputs.{name}: units missing; declare the units the monthly values are in ({example})"]
    try:
        precipitation_to_mm(str(units), np.array([31]))
    except IndicatorsError as exc:
        from ..units import parse_unit, registry

        try:
            dims = f" ({registry().Quantity(1.0, parse_unit(str(units), where=f'inputs.{name}.units')).dimensionality})"
        except IndicatorsError:
            dims = ""
        reason = str(exc).split(";")[0] if not dims else "not a monthly water amount or rate"
        return [f"inputs.{name}: units {str(units)!r}{dims}: {reason}; set inputs.{name}.units to the unit the values "
                f"are in ({example})"]
    return []


def _time_axis_problems(loaded: LoadedConfig, name: str) -> list[str]:
    """A monthly series input's time axis read from the file (coordinates only) and checked by the function the
    SPI/SPEI use on it (:func:`indicators.so3.standardized.time_axis`): sorted, consecutive months, none twice."""
    from ..errors import InputError
    from ..io import open_raster
    from .standardized import time_axis

    spec = loaded.config.inputs[name]
    files = input_files(loaded, name, spec)
    if spec.resolved_kind() != "raster" or len(files) != 1:
        return []
    path = next(iter(files.values()))
    try:
        da = open_raster(path, name=name, units=spec.units, nodata=spec.nodata, variable=spec.variable)
    except IndicatorsError:  # unreadable: reported by check_inputs
        return []
    if "time" not in da.dims:  # the SPI/SPEI read the series along 'time' (what time_axis refuses in the run)
        return [f"inputs.{name}: {path.name} has no 'time' axis (its dimensions: {', '.join(map(str, da.dims))}); give "
                "the monthly series with a time coordinate named 'time' (NetCDF, CF dates), e.g. rename its time "
                "dimension to 'time'"]
    try:
        time_axis(da, "time", what=path.name)
    except InputError as exc:
        return [f"inputs.{name}: {exc}"]
    return []


def hazard_check(loaded: LoadedConfig, fw: Any) -> list[str]:
    """SO3-1 choices this version cannot honour, found before anything is computed (D5).

    A precomputed index the specs do not allow, an ``spi`` value not implemented
    (:data:`SPI_SUPPORTED`), SPEI without ``pet``, precipitation and ``pet`` on different grids.
    """
    inputs = loaded.config.inputs
    spi = fw.parameters("spi")
    plan = drought_index_plan(inputs, spi)
    if plan is None:
        return []
    where = _spi_where(loaded)
    label = plan.label
    problems = []
    if plan.precomputed and not spi.precomputed_allowed:
        needed = "precipitation and pet" if spi.index == "spei" else "precipitation"
        problems.append(f"inputs.drought_index: a precomputed {label} is not accepted: {where} sets precomputed_allowed: "
                        f"false; remove inputs.drought_index and give {needed} to compute the {label}, or set "
                        "spi.precomputed_allowed: true (parameter_overrides of an overlay)")
    if not plan.precomputed:
        for name, value, ok in unsupported_spi_choices(spi):
            why = (" (the SPEI is log-logistic, fitted by probability-weighted moments, with the exact inverse normal; "
                   "this field's other values apply to the SPI)") if spi.index == "spei" else ""
            problems.append(f"{where}: {name}: {value!r} is not implemented for the {label} in this version (supported: "
                            f"{', '.join(ok)}){why}; the run does not compute it another way than asked: set spi.{name}: "
                            f"{ok[0]}, or give an index computed that way as inputs.drought_index")
        if spi.index == "spei":
            if "pet" not in inputs:
                problems.append(f"inputs.pet: missing: {where} sets index: spei, computed from precipitation minus "
                                "potential evapotranspiration; add a monthly pet input (units such as mm/month, the grid "
                                "and months of inputs.precipitation), give a precomputed SPEI as inputs.drought_index, "
                                "or set spi.index: spi")
            if module_missing(["indicators.so3.spei"]):
                problems.append(f"{where}: index: 'spei' is not available in this version (module indicators.so3.spei "
                                "is missing); give a precomputed SPEI as inputs.drought_index or set spi.index: spi")
    water_inputs = (["precipitation"] if not plan.precomputed or plan.extension else []) + \
        (["pet"] if "pet" in inputs and (plan.extension or (not plan.precomputed and spi.index == "spei")) else [])
    for name in water_inputs:
        problems += _water_units_problems(inputs, name)
        problems += _time_axis_problems(loaded, name)
    if ("pet" in inputs and "precipitation" in inputs and (plan.extension or (not plan.precomputed and spi.index == "spei"))
            and inputs["pet"].resolved_kind() == "raster" and inputs["precipitation"].resolved_kind() == "raster"):
        line = _same_grid_problem(loaded, "precipitation", "pet")
        if line:
            problems.append(line)
    return problems


def hazard_needs(inputs: Mapping[str, InputSpec], fw: Any) -> list[Need] | str:
    spi = fw.parameters("spi")
    plan = drought_index_plan(inputs, spi)
    if plan is None:
        return "input precipitation (or a precomputed drought_index) not in the run configuration"
    drought = fw.edition_spec().drought
    reporting = tuple(range(drought.years[0], drought.years[1] + 1))
    monthly = tuple(range(min(spi.calibration[0], drought.years[0]), max(spi.calibration[1], drought.years[1]) + 1))
    needs = []
    if plan.precomputed:
        needs.append(Need("drought_index", "raster", "1", reporting, same_grid=False))
    if not plan.precomputed or plan.extension:
        # units: any monthly water amount (checked by hazard_check), not only mm/month
        needs.append(Need("precipitation", "raster", None, monthly, same_grid=False))
    if "pet" in inputs and (plan.extension or (not plan.precomputed and plan.index == "spei")):
        needs.append(Need("pet", "raster", None, monthly, same_grid=False))
    grid = next((n for n in Context.GRID_INPUTS if n in inputs), None)
    if grid is None:
        return "no raster input (land_cover or population_total) defines the grid the drought classes are mapped on"
    if "land_cover" in inputs:  # inland water for the land-area denominator (D3)
        needs.append(Need("land_cover", "raster", None, tuple(so3_land_years(fw, reporting))))
        needs += national_land_cover_needs(inputs, fw)  # its years replace land_cover's in the land mask
    elif grid != "land_cover":
        needs.append(Need(grid, "raster"))
    return needs

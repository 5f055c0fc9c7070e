"""unccd-indicators: the UNCCD 2018-2030 Strategic Framework indicators as data plus pure compute functions.

The public names are imported lazily, so ``import indicators`` stays fast;
``indicators.spi`` loads the SPI module on first use.  The ``DataArray.unccd``
accessor (:mod:`indicators.accessor`) is registered as soon as xarray is
imported too, before or after ``indicators``, without importing xarray here.
"""

from __future__ import annotations

import sys
from importlib import import_module
from importlib.abc import MetaPathFinder
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (one home per concept)
_LAZY: dict[str, str] = {
    # specs and the framework model
    "load_framework": "indicators.specs.loader",
    "Framework": "indicators.specs.model",
    "validate_paths": "indicators.specs.validate",
    # grids, areas and summaries
    "cell_area": "indicators.grid",
    "check_same_grid": "indicators.grid",
    "open_raster": "indicators.io",
    "read_polygons": "indicators.io",
    "class_area_table": "indicators.summarize",
    "zonal_class_areas": "indicators.summarize",
    "cross_area_table": "indicators.summarize",
    "weighted_class_sum": "indicators.summarize",
    "align_to": "indicators.grid_resample",
    "classify_by_breaks": "indicators.classes",
    # one indicator from DataArrays
    "compute": "indicators.api",
    "IndicatorResult": "indicators.api",
    # the whole framework from a run configuration
    "run": "indicators.runs",
    "Run": "indicators.runs",
    # SO1 land and SDG 15.3.1, step by step
    "nest_land_cover": "indicators.so1.land_cover",
    "land_cover_degradation": "indicators.so1.land_cover",
    "lpd_to_3class": "indicators.so1.productivity",
    "soc_stocks": "indicators.so1.soc",
    "soc_degradation": "indicators.so1.soc",
    "one_out_all_out": "indicators.so1.sdg",
    "status": "indicators.so1.sdg",
    "sdg_summary_table": "indicators.so1.tables",
    # SO3 drought
    "annual_spi": "indicators.so3.hazard",
    "drought_hazard_classes": "indicators.so3.hazard",
    "spi": "indicators.so3.spi",
    "fit_spi": "indicators.so3.spi",
    "transform_spi": "indicators.so3.spi",
    "spei": "indicators.so3.spei",
    "fit_spei": "indicators.so3.spei",
    "transform_spei": "indicators.so3.spei",
    # errors
    "IndicatorsError": "indicators.errors",
    "SpecError": "indicators.errors",
    "InputError": "indicators.errors",
    "GridMismatchError": "indicators.errors",
    "UnitError": "indicators.errors",
    "ComputeError": "indicators.errors",
    "ArgumentError": "indicators.errors",
    "UnknownNameError": "indicators.errors",
    "IndicatorsWarning": "indicators.errors",
    "ReprojectionWarning": "indicators.errors",
    # the DataArray.unccd accessor (registered on import; the class is listed for the reference)
    "UnccdAccessor": "indicators.accessor",
}

if TYPE_CHECKING:  # the same names, eagerly, for type checkers (py.typed): keep in step with _LAZY
    from .specs.loader import load_framework
    from .specs.model import Framework
    from .specs.validate import validate_paths
    from .grid import cell_area, check_same_grid
    from .grid_resample import align_to
    from .io import open_raster, read_polygons
    from .summarize import class_area_table, cross_area_table, weighted_class_sum, zonal_class_areas
    from .classes import classify_by_breaks
    from .api import IndicatorResult, compute
    from .runs import Run, run
    from .so1.land_cover import land_cover_degradation, nest_land_cover
    from .so1.productivity import lpd_to_3class
    from .so1.soc import soc_degradation, soc_stocks
    from .so1.sdg import one_out_all_out, status
    from .so1.tables import sdg_summary_table
    from .so3.hazard import annual_spi, drought_hazard_classes
    from .so3.spi import fit_spi, spi, transform_spi
    from .so3.spei import fit_spei, spei, transform_spei
    from .errors import (ArgumentError, ComputeError, GridMismatchError, IndicatorsError, IndicatorsWarning, InputError,
                         ReprojectionWarning, SpecError, UnitError, UnknownNameError)
    from .accessor import UnccdAccessor

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'indicators' has no attribute {name!r}") from None
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


class _RegisterAccessorAfterXarray(MetaPathFinder):
    """Imports :mod:`indicators.accessor` right after xarray itself has loaded (a one-shot post-import hook), so
    ``import indicators`` registers ``DataArray.unccd`` without paying for xarray's import."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "xarray":
            return None
        from importlib.util import find_spec

        sys.meta_path.remove(self)
        spec = find_spec(fullname)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module

        def exec_module(module: Any) -> None:
            original(module)
            import_module("indicators.accessor")

        loader.exec_module = exec_module
        return spec


if "xarray" in sys.modules:
    import_module("indicators.accessor")
elif not any(isinstance(f, _RegisterAccessorAfterXarray) for f in sys.meta_path):
    sys.meta_path.insert(0, _RegisterAccessorAfterXarray())

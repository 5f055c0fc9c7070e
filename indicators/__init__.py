"""unccd-indicators: the UNCCD 2018-2030 Strategic Framework indicators as data plus pure compute functions.

The public names are imported lazily, so ``import indicators`` stays fast and
has no side effects; ``indicators.spi`` loads the SPI module on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

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
    "align_to": "indicators.grid",
    "classify_by_breaks": "indicators.classes",
    # one indicator from DataArrays
    "compute": "indicators.api",
    "IndicatorResult": "indicators.api",
    # SO3 drought
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
}

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

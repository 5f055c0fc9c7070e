"""The ``DataArray.unccd`` accessor: the operations scripts chain most, on numpy- or dask-backed arrays.

Registered when ``indicators`` and ``xarray`` are both imported (in either
order: :mod:`indicators` registers it once xarray loads), so::

    import indicators
    lc7 = lc.unccd.recode("esa_cci_to_unccd")        # by a spec nesting id
    table = lc7.unccd.class_areas(units=admin)       # per unit; polygons reprojected with a warning
    spi12 = precip.unccd.spi()                       # the specs' SPI parameters

Each method is a thin call of the package's own function (one home per
concept): :func:`indicators.summarize.class_area_table`,
:func:`indicators.summarize.zonal_class_areas`,
:func:`indicators.so1.land_cover.nest_land_cover`, :func:`indicators.classes.recode`,
:func:`indicators.spi`, :func:`indicators.cell_area`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import rioxarray  # noqa: F401  (the accessor's methods read and keep .rio.crs)
import xarray as xr

from .errors import ArgumentError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from .specs.model import Framework

__all__ = ["UnccdAccessor"]


def _framework(framework: Framework | None) -> Framework:
    from .specs.loader import load_framework

    return framework if framework is not None else load_framework()


@xr.register_dataarray_accessor("unccd")
class UnccdAccessor:
    """``da.unccd``: class areas, recoding by the specs, SPI (see the module docstring)."""

    def __init__(self, da: xr.DataArray) -> None:
        self._da = da

    def _codes(self, codes: Sequence[int] | None, argument: str = "codes") -> list[int]:
        if codes is not None:
            return [int(c) for c in codes]
        flags = self._da.attrs.get("flag_values")
        if flags is None:
            raise ArgumentError(f"{argument}: {self._da.name or 'the array'} has no attrs['flag_values']; "
                                "pass codes=[...], the class codes to report")
        nodata = self._da.attrs.get("nodata", self._da.rio.nodata)
        return [int(c) for c in (flags if not isinstance(flags, (int, float)) else [flags]) if c != nodata]

    def class_areas(
        self,
        codes: Sequence[int] | None = None,
        *,
        units: gpd.GeoDataFrame | None = None,
        nodata: int | Sequence[int] | None = None,
        water_codes: Sequence[int] = (),
        land_mask: xr.DataArray | None = None,
        official_land_area_km2: float | None = None,
        id_field: str | None = None,
        name_field: str | None = None,
        method: str = "exact",
    ) -> pd.DataFrame:
        """km² per class: national (:func:`~indicators.summarize.class_area_table`) or per polygon of *units*
        (:func:`~indicators.summarize.zonal_class_areas`; in another CRS they are reprojected with a
        :class:`~indicators.errors.ReprojectionWarning`).

        *codes* default to the array's ``flag_values`` less its nodata. The result carries
        ``df.attrs["units"]`` (``area_km2``: ``km**2``; ``percent_of_land``: ``percent``).
        """
        from .summarize import class_area_table, zonal_class_areas

        cls = self._codes(codes)
        if units is None:
            df = cast("pd.DataFrame", class_area_table(self._da, codes=cls, nodata=nodata, water_codes=water_codes,
                                                       land_mask=land_mask,
                                                       official_land_area_km2=official_land_area_km2))
            df.attrs["units"] = {"area_km2": "km**2", "percent_of_land": "percent"}
        else:
            if land_mask is not None or official_land_area_km2 is not None:
                raise ArgumentError("land_mask, official_land_area_km2: national options; per unit, drop them")
            df = zonal_class_areas(self._da, units, codes=cls, nodata=nodata, water_codes=water_codes,
                                   id_field=id_field, name_field=name_field, method=method)
            df.attrs["units"] = {c: "km**2" for c in ("area_km2", "unit_pixel_area_km2", "unit_geodesic_area_km2")}
        return df

    def recode(
        self,
        nesting: Any = None,
        *,
        mapping: Mapping[int, int] | None = None,
        nodata_codes: Sequence[int] | None = None,
        nodata: int = 0,
        framework: Framework | None = None,
    ) -> xr.DataArray:
        """Recode classes by a spec nesting (an id of the framework's nestings, ``fw.nesting(id)``, its dump or
        ``{parent: [children]}``) into the UNCCD legend, or by a plain *mapping* ``{code: new code}``.

        Nodata codes default to the array's ``rio.nodata``.
        """
        from .classes import recode
        from .so1.encoding import restore_coords
        from .so1.land_cover import nest_land_cover

        if (nesting is None) == (mapping is None):
            raise ArgumentError("nesting, mapping: give exactly one (a spec nesting id/object, or {code: new code})")
        nod = list(nodata_codes) if nodata_codes is not None else (
            [int(self._da.rio.nodata)] if self._da.rio.nodata is not None else [])
        if nesting is not None:
            if isinstance(nesting, str):
                nesting = _framework(framework).nesting(nesting)
            return nest_land_cover(self._da, nesting, nodata_codes=nod)
        if not isinstance(mapping, Mapping) or not mapping:
            raise ArgumentError(f"mapping {mapping!r}: give a non-empty {{code: new code}} dict")
        try:
            plain = {int(k): int(v) for k, v in mapping.items()}
        except (TypeError, ValueError):
            raise ArgumentError(f"mapping {dict(mapping)!r}: keys and values must be integer codes") from None
        return restore_coords(recode(self._da, plain, nodata=nodata, input_nodata=nod), self._da)

    def spi(self, *, framework: Framework | None = None, **overrides: Any) -> xr.DataArray:
        """The SPI of a monthly precipitation cube (time, y, x) with the specs' binding ``SO3-1.spi`` (scale,
        calibration, month, fit, …); keyword *overrides* replace single arguments (e.g. ``scale=3``)."""
        from .so3.spi import spi

        args = dict(_framework(framework).binding_arguments("SO3-1.spi"))
        args.update(overrides)
        return spi(self._da, **args)

    def cell_area(self) -> xr.DataArray:
        """Area of each cell in km² (:func:`indicators.cell_area`)."""
        from .grid import cell_area

        return cell_area(self._da)

"""One indicator at a time from in-memory DataArrays: ``indicators.compute("SO1-4", land_cover=…, lpd=…)``.

The same spec parameters and compute bindings as a run (edition, profile and
overlay selectable), no files read or written: DataArrays (numpy- or
dask-backed, with a CRS) in, an :class:`IndicatorResult` out — the layers as
one lazy :class:`xarray.Dataset` (CF attributes, CRS) and the tables as
:class:`pandas.DataFrame` with the unit of every quantity column in
``df.attrs["units"]``.

Supported: SO1-1, SO1-2, SO1-3 (the sub-indicators of SDG 15.3.1), SO1-4
(SDG 15.3.1: one out, all out, false positive/negative recodes, status against
the baseline) and SO3-1 (the SPI and its drought classes).  Other indicators
need tables and polygons a run configuration names: :func:`compute` refuses
them with an :class:`~indicators.errors.ArgumentError` saying so.

Land and denominators follow the run (methodology D3): with a *boundary*, the
cells whose centre lies outside it are left out of every row; inland water is
land-cover class ``land_area.water_class`` in the baseline's first land-cover
year; the percentages divide by the land area (or the official one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import ArgumentError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd
    import xarray as xr

    from .specs.model import Framework

__all__ = ["IndicatorResult", "compute", "SUPPORTED"]

#: indicators :func:`compute` evaluates, with the inputs each needs
SUPPORTED: dict[str, tuple[str, ...]] = {
    "SO1-1": ("land_cover",),
    "SO1-2": ("lpd",),
    "SO1-3": ("land_cover", "soc"),
    "SO1-4": ("land_cover", "lpd"),
    "SO3-1": ("precipitation",),
}



@dataclass(frozen=True)
class IndicatorResult:
    """What :func:`compute` returns.

    Attributes
    ----------
    indicator : str
        The indicator code (``"SO1-4"``).
    layers : xarray.Dataset
        The computed layers (lazy when the inputs are dask-backed), with CF attributes and the inputs' CRS.
    tables : dict of str to pandas.DataFrame
        Tables by id; ``df.attrs["units"]`` gives the unit of each quantity column (pint syntax),
        ``df.attrs["table"]`` the id and ``df.attrs["title"]`` its title.
    parameters : dict
        The spec values the computation used (edition, profile, parameter blocks).
    """

    indicator: str
    layers: xr.Dataset
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    def table(self, table_id: str) -> pd.DataFrame:
        """The table *table_id* (e.g. ``"SO1-4.T1"``)."""
        try:
            return self.tables[table_id]
        except KeyError:
            raise ArgumentError(f"table_id {table_id!r}: {self.indicator} has tables {sorted(self.tables)}") from None


def compute(
    indicator: str,
    *,
    land_cover: xr.DataArray | Mapping[int, xr.DataArray] | None = None,
    lpd: xr.DataArray | Mapping[str, xr.DataArray] | None = None,
    soc: xr.DataArray | None = None,
    climate_zones: xr.DataArray | None = None,
    precipitation: xr.DataArray | None = None,
    periods: Sequence[str] | None = None,
    boundary: gpd.GeoDataFrame | None = None,
    recode_polygons: gpd.GeoDataFrame | None = None,
    land_area_km2: float | None = None,
    edition: str | int | None = None,
    profile: str | None = None,
    overlay: str | None = None,
    framework: Framework | None = None,
) -> IndicatorResult:
    """Evaluate one indicator from DataArrays through the specs' parameters and bindings, as a run does.

    Parameters
    ----------
    indicator : str
        An indicator code (``"SO1-4"``, ``"SO 1-4"``) or one of its metric ids (``"SO1-4.proportion_degraded"``).
    land_cover : DataArray (year, y, x) or {year: DataArray (y, x)}
        Land cover in the framework's source legend (``land_cover.source_legend``, ESA CCI by default),
        nested into the UNCCD classes by the spec nesting.  Needs every land-cover year of the periods.
    lpd : DataArray (period, y, x) or {period id: DataArray (y, x)}
        The 5-class land productivity dynamics of each period (``productivity.lpd_legend``).
    soc : DataArray (y, x), t/ha
        Soil organic carbon stock of ``soc.reference_year`` (SO1-3; SO1-4 uses it when given).
    climate_zones : DataArray (y, x)
        IPCC climate zones, when the specs' ``soc.climate_factor`` is not set.
    precipitation : DataArray (time, y, x)
        Monthly precipitation with ``attrs["units"]`` (SO3-1).
    periods : sequence of str, optional
        Period ids to compute (default: every period of the edition). Status needs ``"baseline"``.
    boundary : GeoDataFrame, optional
        The country: cells whose centre lies outside are left out (reprojected to the rasters' CRS).
    recode_polygons : GeoDataFrame, optional
        False positive/negative polygons (D16), applied to SO1-4 before status.
    land_area_km2 : float, optional
        Official land area: the denominator of every percentage (default: the specs' ``land_area.official``).
    edition, profile, overlay : optional
        Which specs to load (:func:`indicators.load_framework`); or pass *framework*.

    Returns
    -------
    IndicatorResult

    Raises
    ------
    ArgumentError
        An indicator this function does not compute, a missing or malformed input (not a DataArray, no CRS,
        empty, floats where classes are expected), an unknown period.
    GridMismatchError
        The rasters are not on one grid.
    """
    from .specs.loader import load_framework
    from .specs.base_model import canonical_code

    if not isinstance(indicator, str) or not indicator.strip():
        raise ArgumentError(f"indicator {indicator!r}: give an indicator code such as 'SO1-4' or a metric id")
    fw = framework if framework is not None else load_framework(edition, profile, overlay)
    code = canonical_code(indicator.split(".")[0])
    if "." in indicator:
        fw.metric(indicator)  # an unknown metric id is an UnknownNameError naming the known form
    fw.indicator(code)
    if code not in SUPPORTED:
        raise ArgumentError(
            f"indicator {code!r} is not computed from DataArrays by indicators.compute (it needs the tables and "
            f"polygons of a run configuration); supported: {', '.join(SUPPORTED)}. Use `indicators run` for it")
    given = {"land_cover": land_cover, "lpd": lpd, "soc": soc, "precipitation": precipitation}
    missing = [n for n in SUPPORTED[code] if given[n] is None]
    if missing:
        raise ArgumentError(f"{code} needs {', '.join(missing)}: pass {', '.join(f'{n}=<DataArray>' for n in missing)}")
    if code == "SO3-1":
        from .so3.compute import compute_hazard

        layers, tables, params = compute_hazard(fw, _checked(precipitation, "precipitation", dims=("time",)))
    else:
        from .so1.compute import compute_land

        layers, tables, params = compute_land(
            fw, code,
            land_cover=_stacked(land_cover, "land_cover", "year") if land_cover is not None else None,
            lpd=_stacked(lpd, "lpd", "period") if lpd is not None else None,
            soc=_checked(soc, "soc", numeric=True) if soc is not None else None,
            climate_zones=_checked(climate_zones, "climate_zones") if climate_zones is not None else None,
            periods=periods, boundary=boundary, recode_polygons=recode_polygons, land_area_km2=land_area_km2)
    params = {"edition": fw.edition, "profile": fw.profile.id, "overlay": fw.overlay.id if fw.overlay else None, **params}
    layers.attrs.update(Conventions="CF-1.8", title=f"{code} {fw.indicator(code).name}", indicator=code,
                        edition=str(fw.edition), profile=str(fw.profile.id), spec_hash=fw.spec_hash(),
                        source="unccd-indicators indicators.compute")
    return IndicatorResult(code, layers, tables, params)


# ---- argument checks (one place: every public entry of this module goes through them) -----------------------


def _checked(da: Any, argument: str, *, dims: Sequence[str] = (), numeric: bool = False) -> xr.DataArray:
    """*da* as a DataArray with y/x (and *dims*), a CRS, at least one cell; refused with the fix otherwise."""
    import numpy as np
    import xarray as xr

    if not isinstance(da, xr.DataArray):
        raise ArgumentError(f"{argument}: expected an xarray.DataArray, got {type(da).__name__}; "
                            "read it with indicators.open_raster(path)")
    need = [d for d in ("y", "x", *dims) if d not in da.dims]
    if need:
        raise ArgumentError(f"{argument}: dims {da.dims} lack {need}; name the spatial dims 'y' and 'x' "
                            "(da.rename(lat='y', lon='x'))" + (f" and give {list(dims)}" if dims else ""))
    if any(da.sizes[d] == 0 for d in da.dims):
        raise ArgumentError(f"{argument}: empty array (sizes {dict(da.sizes)}); give at least one cell")
    kind = np.dtype(da.dtype).kind
    if kind not in "uif" or (numeric is False and not dims and kind == "f"):
        want = "numbers" if numeric or dims else "integer class codes"
        raise ArgumentError(f"{argument}: dtype {da.dtype} where {want} are expected; "
                            + ("classify it first" if want.startswith("integer") else "give a numeric raster"))
    if da.rio.crs is None:
        raise ArgumentError(f"{argument}: no CRS; set it with {argument}.rio.write_crs('EPSG:…')")
    return da


def _stacked(value: Any, argument: str, dim: str) -> xr.DataArray:
    """A (dim, y, x) DataArray from a DataArray with *dim* or a mapping {label: DataArray (y, x)}."""
    import xarray as xr

    if isinstance(value, Mapping):
        if not value:
            raise ArgumentError(f"{argument}: empty mapping; give {{{dim}: DataArray}}")
        parts = [_checked(v, f"{argument}[{k!r}]").expand_dims({dim: [k]}) for k, v in value.items()]
        crs = parts[0].rio.crs
        value = xr.concat(parts, dim=dim, combine_attrs="override").rio.write_crs(crs)
    da = _checked(value, argument, dims=(dim,))
    if dim == "year":
        try:
            da = da.assign_coords(year=[int(v) for v in da["year"].values])
        except (TypeError, ValueError):
            raise ArgumentError(f"{argument}: the 'year' labels {da['year'].values.tolist()} are not years") from None
    else:
        da = da.assign_coords({dim: [str(v) for v in da[dim].values]})
    return da

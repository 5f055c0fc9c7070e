"""From a boundary and global (or regional) dataset files to a country's clipped, aligned inputs and a run configuration.

* Every file is opened lazily as its catalogue entry (:func:`indicators.datasets.open_dataset`, structure checked)
  and only the window around the boundary is read (``rio.clip_box`` on the dask array slices chunks; the
  global file is never read whole).
* The common grid is the run's (``Context.GRID_INPUTS`` order: land_cover, population_total, lpd, ndvi,
  soc_reference): the window of the first of those given, snapped outward to its own pixels (as Trends.Earth
  snaps the AOI to a reference layer).  Other gridded inputs are brought onto it with the entry's
  ``resampling``: nearest for classes, ``sum`` for counts (population: density averaged and multiplied by the
  target cell area, so totals are kept), average for continuous stocks.  Monthly series (precipitation) stay
  on their own grid, clipped, with ``align: nearest`` in the configuration, as the specs' drought resampling says.
* Class codes in the window are checked against the entry's legend; extra nodata codes (JRC LPD 15) become
  the nodata; scaled integers (DVI x 10000) are written as values in their units.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import InputError
from .catalogue import dataset_entry
from .drought_index import DEFAULT_ACCUMULATION_MONTHS, open_drought_index
from .readers import check_codes, open_dataset

__all__ = ["PreparedInput", "parse_input_argument", "prepare_country", "GRID_ORDER"]

#: inputs that define the common grid, in the runner's order of preference (runner.Context.GRID_INPUTS)
GRID_ORDER = ("land_cover", "population_total", "lpd", "ndvi", "soc_reference")
#: inputs kept on their own grid (monthly series), aligned by the run
OWN_GRID = ("precipitation", "pet", "drought_index")
CONTINUOUS_NODATA = -9999.0


@dataclass(frozen=True)
class PreparedInput:
    """One ``--input NAME[:KEY]=DATASET:PATH`` argument."""

    name: str
    key: str  # a year, a period id, or "" (one file)
    dataset: str
    path: Path


def parse_input_argument(text: str) -> PreparedInput:
    """``land_cover:2015=esa_cci_lc_netcdf:/data/lc2015.nc`` → PreparedInput (InputError when malformed)."""
    m = re.fullmatch(r"([a-z][a-z0-9_]*)(?::([A-Za-z0-9_]+))?=([a-z][a-z0-9_]*):(.+)", text.strip())
    if not m:
        raise InputError(f"--input {text!r}: write NAME[:YEAR|PERIOD]=DATASET:PATH, e.g. "
                         "land_cover:2015=esa_cci_lc_netcdf:ESACCI-LC-L4-LCCS-Map-300m-P1Y-2015-v2.0.7.nc")
    return PreparedInput(m.group(1), m.group(2) or "", m.group(3), Path(m.group(4)))


def _bounds_in(gdf: Any, crs: Any) -> tuple[float, float, float, float]:
    return tuple(gdf.to_crs(crs).total_bounds)  # type: ignore[return-value]


def _window(da: xr.DataArray, bounds: Sequence[float], where: str) -> xr.DataArray:
    """The cells of *da* around *bounds* (one cell of margin), lazily sliced."""
    from rioxarray.exceptions import NoDataInBounds, OneDimensionalRaster

    rx, ry = (abs(r) for r in da.rio.resolution())
    minx, miny, maxx, maxy = bounds
    try:
        return da.rio.clip_box(minx - rx, miny - ry, maxx + rx, maxy + ry)
    except (NoDataInBounds, OneDimensionalRaster):
        b = da.rio.bounds()
        raise InputError(f"{where}: the boundary ({minx:.4f}, {miny:.4f}, {maxx:.4f}, {maxy:.4f}) does not overlap the "
                         f"data ({b[0]:.4f}, {b[1]:.4f}, {b[2]:.4f}, {b[3]:.4f}, {da.rio.crs}); give the file covering "
                         "the country") from None


def _valid(da: xr.DataArray, extra: Sequence[int] = ()) -> xr.DataArray:
    nod = da.rio.nodata
    mask = xr.ones_like(da, dtype=bool) if nod is None or np.isnan(nod) else da != nod
    if np.issubdtype(da.dtype, np.floating):
        mask &= ~np.isnan(da)
    for c in extra:
        mask &= da != c
    return mask


def _continuous(da: xr.DataArray, scale: float) -> xr.DataArray:
    out = (da.where(_valid(da)).astype("float64") * scale).astype("float32")
    out = out.rio.write_nodata(np.nan, encoded=False)
    out.attrs = {k: v for k, v in da.attrs.items() if k in ("units", "long_name", "source", "dataset")}
    # the attrs just dropped may hold the file's own grid mapping name (CF "crs" variable): keep the CRS itself
    return out.rio.write_crs(da.rio.crs) if da.rio.crs is not None else out


def _onto(ref: xr.DataArray, da: xr.DataArray, method: str) -> xr.DataArray:
    """*da* (a small window) on the grid of *ref* with the catalogue's resampling."""
    from rasterio.enums import Resampling

    from ..grid import cell_area

    same = (da.rio.crs == ref.rio.crs and da.shape[-2:] == ref.shape[-2:]
            and np.allclose(tuple(da.rio.transform())[:6], tuple(ref.rio.transform())[:6], atol=1e-12))
    if same:
        return da.assign_coords(x=ref.x, y=ref.y)
    if method == "nearest":
        return da.rio.reproject_match(ref, resampling=Resampling.nearest)
    if method == "average":
        return da.rio.reproject_match(ref, resampling=Resampling.average)
    # sum-preserving: density (per km2) averaged onto the target cells, times the target cell area
    density = da / cell_area(da)
    density = density.rio.write_crs(da.rio.crs).rio.write_nodata(np.nan, encoded=False)
    out = density.rio.reproject_match(ref, resampling=Resampling.average) * cell_area(ref)
    return out.rio.write_crs(ref.rio.crs).rio.write_nodata(np.nan, encoded=False)


def _write_tif(path: Path, da: xr.DataArray, nodata: float) -> None:
    data = da.fillna(nodata) if np.issubdtype(da.dtype, np.floating) else da
    data = data.rio.write_nodata(nodata, encoded=False)
    data.attrs = {k: v for k, v in data.attrs.items() if isinstance(v, (str, int, float))}
    data.rio.to_raster(path, tiled=True, compress="deflate")


def _write_series(path: Path, da: xr.DataArray, variable: str, units: str) -> None:
    ds = da.where(_valid(da)).astype("float32").rename({da.rio.y_dim: "lat", da.rio.x_dim: "lon"})
    ds = ds.drop_vars([c for c in ds.coords if c not in ("time", "lat", "lon")]).to_dataset(name=variable)
    ds[variable].attrs = {"units": units, "long_name": variable}
    ds[variable].encoding = {"_FillValue": np.float32(CONTINUOUS_NODATA)}
    # the CRS travels in the file (CF grid mapping): a file without one is refused by the checks (issue 15)
    ds = ds.rio.set_spatial_dims(x_dim="lon", y_dim="lat").rio.write_crs(da.rio.crs, grid_mapping_name="spatial_ref")
    ds.to_netcdf(path, engine="h5netcdf")


def prepare_country(
    inputs: Sequence[PreparedInput],
    out: Path,
    *,
    country: str,
    boundary: Path | None,
    admin: Path | None = None,
    admin_id: str | None = None,
    admin_name: str | None = None,
    iso3: str | None = None,
    edition: str | None = None,
    profile: str | None = None,
    specs: Path | None = None,
    climate_factor: float | None = None,
    drought_months: int = DEFAULT_ACCUMULATION_MONTHS,
) -> dict[str, Any]:
    """Write clipped, aligned inputs into *out* (an existing, empty directory) and return the run configuration.

    *drought_months* is the accumulation scale of a drought index published per scale (GMID): its file must be
    that scale, and the configuration records it with the index (``parameters.spi``)."""
    import geopandas as gpd
    from shapely.geometry import box

    from ..io import read_polygons

    if not inputs:
        raise InputError("prepare: no --input given; name at least the land cover (or another gridded input)")
    seen: set[tuple[str, str]] = set()
    for i in inputs:
        if (i.name, i.key) in seen:
            raise InputError(f"--input {i.name}{':' + i.key if i.key else ''} given twice")
        seen.add((i.name, i.key))
    opened: dict[tuple[str, str], xr.DataArray] = {}
    entries = {}
    for i in inputs:
        entry = dataset_entry(i.dataset, specs)
        da = (open_drought_index(entry, i.path, months=drought_months, specs=specs) if entry.accumulation_months
              else open_dataset(entry, i.path, specs=specs))
        if da.rio.crs is None or (entry.crs and da.rio.crs != entry.crs and da.rio.crs.to_string() != entry.crs):
            raise InputError(f"{i.path}: CRS {da.rio.crs} is not the CRS {entry.crs} {entry.name} is published in; "
                             "give the file as distributed (the catalogue's CRS) or reproject it first")
        opened[i.name, i.key] = da
        entries[i.name, i.key] = entry

    grid_keys = [k for k in opened if k[0] not in OWN_GRID]
    if not grid_keys:
        raise InputError("prepare: no gridded input (land_cover, population_total, lpd, soc_reference, dvi) given; "
                         "the common grid comes from one of them")
    ref_key = min(grid_keys, key=lambda k: (GRID_ORDER.index(k[0]) if k[0] in GRID_ORDER else len(GRID_ORDER), k[1]))
    ref_full = opened[ref_key]

    if boundary is None:
        minx, miny, maxx, maxy = ref_full.rio.bounds()
        warnings.warn(f"no boundary given: the country is the extent of {inputs[0].path.name if ref_key else ''} "
                      f"({minx:.4f}, {miny:.4f}, {maxx:.4f}, {maxy:.4f}), as Trends.Earth does; give --boundary for "
                      "areas inside the country only", UserWarning, stacklevel=2)
        bnd = gpd.GeoDataFrame({"name": [country]}, geometry=[box(minx, miny, maxx, maxy)], crs=ref_full.rio.crs)
    else:
        bnd = read_polygons(boundary)
        bnd = bnd[[c for c in bnd.columns if c != "id" or boundary is None]]  # the id read_polygons numbered
    bnd.to_file(out / "boundary.gpkg", driver="GPKG")
    ref = _window(ref_full, _bounds_in(bnd, ref_full.rio.crs), str(next(i.path for i in inputs if (i.name, i.key) == ref_key)))
    if ref.ndim != 2:
        raise InputError(f"{ref_key[0]}: the grid-defining input must be one map (y, x), it has dims {ref.dims}")

    cfg_inputs: dict[str, dict[str, Any]] = {}
    parameters: dict[str, dict[str, Any]] = {}
    for i in inputs:
        entry, full = entries[i.name, i.key], opened[i.name, i.key]
        where = str(i.path)
        win = _window(full, _bounds_in(bnd, full.rio.crs), where)
        stem = f"{i.name}_{i.key}" if i.key else i.name
        source = f"{entry.name}, {entry.version} ({i.path.name}); {entry.citation}"
        if i.name in OWN_GRID:
            if "time" not in win.dims:
                raise InputError(f"{where}: {i.name} from {entry.id} needs a time axis (monthly series)")
            win = _continuous(win, entry.scale_factor)
            _write_series(out / f"{stem}.nc", win.load(), entry.variable or i.name, entry.units)
            years = sorted({int(y) for y in win["time"].dt.year.values})
            cfg_inputs[i.name] = {"path": f"{stem}.nc", "variable": entry.variable or i.name, "units": entry.units,
                                  "years": f"{years[0]}-{years[-1]}", "align": "nearest", "source": source}
            if entry.drought_index:  # the run classifies the index it is told it has (spi.index, D5)
                parameters["spi"] = {"index": entry.drought_index, "scale_months": drought_months}
            continue
        if entry.legend:
            win = win.load()
            check_codes(win, entry, where=f"{where} (window of the boundary)")
            nod = entry.nodata
            if entry.extra_nodata_codes:
                win = win.where(~win.isin(list(entry.extra_nodata_codes)), nod).astype(win.dtype)
            win = win.rio.write_nodata(nod, encoded=False)
            data, nodata = _onto(ref, win, "nearest"), nod
            data = data.astype(win.dtype)
        else:
            val = _continuous(win, entry.scale_factor).load()
            data, nodata = _onto(ref, val, entry.resampling).astype("float32"), CONTINUOUS_NODATA
        _write_tif(out / f"{stem}.tif", data, nodata)
        spec = cfg_inputs.setdefault(i.name, {"path": {}, "source": source})
        spec["path"][i.key or "0"] = f"{stem}.tif"
        if not entry.legend:
            spec["units"] = entry.units
        elif i.name != "land_cover":
            spec["nodata"] = nodata
    # one file per year/period: a mapping; years listed for year keys
    for name, spec in cfg_inputs.items():
        if isinstance(spec["path"], dict):
            keys = list(spec["path"])
            if keys == ["0"]:
                spec["path"] = spec["path"]["0"]
            elif all(k.isdigit() for k in keys):
                spec["years"] = sorted(int(k) for k in keys)
    country_cfg: dict[str, Any] = {"name": country}
    if iso3:
        country_cfg["iso3"] = iso3
    country_cfg["boundary"] = "boundary.gpkg"
    if admin is not None:
        units = read_polygons(admin, id_field=admin_id, name_field=admin_name)
        if admin_id is None:  # the run numbers the units again, in the same file order
            units = units.drop(columns="id")
        units.to_file(out / "admin_units.gpkg", driver="GPKG")
        country_cfg["admin_units"] = {"path": "admin_units.gpkg", **({"id_field": admin_id} if admin_id else {}),
                                      **({"name_field": admin_name} if admin_name else {})}
    cfg: dict[str, Any] = {"country": country_cfg}
    if edition:
        cfg["edition"] = str(edition)
    if profile:
        cfg["profile"] = profile
    if climate_factor is not None:
        parameters["soc"] = {"climate_factor": float(climate_factor)}
    if parameters:
        cfg["parameters"] = parameters
    cfg["inputs"] = cfg_inputs
    return cfg


def dataset_summary(inputs: Sequence[PreparedInput], specs: Path | None = None) -> list[str]:
    """One line per dataset used, for the configuration's header (name, version, licence, citation)."""
    lines = []
    for d in dict.fromkeys(i.dataset for i in inputs):
        e = dataset_entry(d, specs)
        lines.append(f"{e.id}: {e.name} ({e.version}); licence: {e.licence}; {e.citation}; {e.url}")
    return lines



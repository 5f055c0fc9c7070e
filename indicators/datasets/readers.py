"""Open a published dataset file as its catalogue entry says it is, or refuse it in one line.

The checks are on the file's header and attributes (cheap, nothing read); the codes of a class dataset
are checked by :func:`check_codes` on what is actually used (e.g. the window ``indicators prepare``
cuts), never by reading a whole global file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..errors import InputError
from ..specs.model import DatasetEntry
from .catalogue import dataset_entry

__all__ = ["open_dataset", "check_codes", "land_cover_7class", "legend_of", "expect_error"]


def legend_of(entry: DatasetEntry, framework: Any = None) -> dict[int, str] | None:
    """The entry's legend as {code: name} (None for continuous data)."""
    if entry.legend is None:
        return None
    if framework is None:
        from ..specs.loader import load_framework

        framework = load_framework()
    return {c.code: c.name for c in framework.legend(entry.legend).classes}


def expect_error(path: Path, entry: DatasetEntry, what: str) -> InputError:
    """The one-line refusal of a file that is not *entry* as published: the file, what is wrong, the fix."""
    return InputError(f"{path}: not {entry.name} ({entry.version}) as published: {what}; "
                      f"give the file as distributed ({entry.url}) or pick the dataset it is (specs/datasets.yaml)")


def _netcdf_header(path: Path, entry: DatasetEntry) -> dict[str, Any]:
    try:
        with xr.open_dataset(path, mask_and_scale=False, decode_times=False) as ds:
            if entry.variable not in ds.data_vars:
                raise expect_error(path, entry, f"variable {entry.variable!r} is missing (the file has {sorted(ds.data_vars)})")
            v = ds[entry.variable]
            attrs = dict(v.attrs)
            attrs.update({k: val for k, val in v.encoding.items() if k in ("_FillValue", "scale_factor", "_Unsigned")})
            return {"dtype": v.dtype, "attrs": attrs, "scale": attrs.get("scale_factor"),
                    "nodata": attrs.get("_FillValue", attrs.get("missing_value"))}
    except InputError:
        raise
    except Exception as exc:  # netCDF4/h5netcdf raise many types
        raise InputError(f"{path}: cannot read as NetCDF ({exc}); {entry.name} is distributed as NetCDF") from None


def _geotiff_header(path: Path, entry: DatasetEntry) -> dict[str, Any]:
    import rasterio

    try:
        with rasterio.open(path) as src:
            scale = src.scales[0] if src.scales else 1.0
            tags = src.tags(1) | src.tags()
            return {"dtype": np.dtype(src.dtypes[0]), "attrs": tags, "nodata": src.nodata,
                    "scale": None if scale == 1.0 and "scale_factor" not in tags else
                    (float(tags["scale_factor"]) if "scale_factor" in tags and scale == 1.0 else scale)}
    except Exception as exc:  # rasterio.errors.RasterioIOError and friends
        raise InputError(f"{path}: cannot read as a raster ({exc}); {entry.name} is distributed as GeoTIFF") from None


def _check_header(path: Path, entry: DatasetEntry, h: dict[str, Any]) -> None:
    dtype = h["dtype"]
    unsigned = str(h["attrs"].get("_Unsigned", "")).lower() == "true"
    stored = np.dtype(f"u{dtype.itemsize}") if unsigned and dtype.kind == "i" else dtype
    if stored != np.dtype(entry.dtype):
        raise expect_error(path, entry, f"values are {stored}, expected {entry.dtype}")
    if entry.scale_in_file:
        if h["scale"] is None:
            raise expect_error(path, entry, f"the scale factor is absent (expected {entry.scale_factor:g}: stored x "
                                       f"{entry.scale_factor:g} = {entry.units})")
        if not np.isclose(float(h["scale"]), entry.scale_factor, rtol=1e-6):
            raise expect_error(path, entry, f"scale factor {float(h['scale']):g}, expected {entry.scale_factor:g}")
    elif h["scale"] is not None and not np.isclose(float(h["scale"]), entry.scale_factor, rtol=1e-6):
        raise expect_error(path, entry, f"scale factor {float(h['scale']):g}, expected {entry.scale_factor:g}")
    nod = h["nodata"]
    if nod is not None and entry.nodata is not None:
        nod = float(np.asarray(nod).astype(stored).item()) if unsigned else float(nod)
        if not np.isclose(nod, entry.nodata, rtol=1e-6):
            raise expect_error(path, entry, f"nodata {_exact(nod)}, expected {_exact(entry.nodata)}")
    for key, want in entry.attributes.items():
        have = h["attrs"].get(key)
        if have is None or str(have) != str(want):
            raise expect_error(path, entry, f"attribute {key}={want!r} is {'missing' if have is None else repr(have)}")


def open_dataset(dataset: str | DatasetEntry, path: str | Path, *, chunks: Any = "auto", framework: Any = None,
                 specs: str | Path | None = None) -> xr.DataArray:
    """Open *path* as catalogue dataset *dataset*, lazily, with its legend, nodata and units.

    Stored values are returned as stored (codes, or integers before scaling); ``attrs["scale_factor"]``
    says how to scale them (stored x scale_factor = value in ``attrs["units"]``) and
    ``attrs["dataset"]`` names the entry.

    Raises
    ------
    InputError
        One line naming the file and what the catalogue expects: a missing variable, another data type,
        a scale factor absent (where the product carries one) or different, another nodata, a missing
        attribute.
    """
    from ..io import open_raster

    entry = dataset if isinstance(dataset, DatasetEntry) else dataset_entry(dataset, specs)
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path} does not exist; give the path of the {entry.name} file")
    h = _netcdf_header(path, entry) if entry.form == "netcdf" else _geotiff_header(path, entry)
    _check_header(path, entry, h)
    legend = legend_of(entry, framework)
    nodata = entry.nodata if h["nodata"] is None else None
    da = open_raster(path, units=entry.units, nodata=nodata, chunks=chunks, legend=None,
                     variable=entry.variable if entry.form == "netcdf" else None)
    if str(h["attrs"].get("_Unsigned", "")).lower() == "true" and da.dtype.kind == "i":
        # NetCDF bytes flagged _Unsigned (ESA CCI lccs_class): the same bits read as unsigned
        out = da.copy(data=da.data.view(f"u{da.dtype.itemsize}") if hasattr(da.data, "dask") else
                      np.asarray(da.data).view(f"u{da.dtype.itemsize}"))
        da = out.rio.write_nodata(entry.nodata, encoded=False)
    if legend:
        from ..classes import flag_attrs

        codes = sorted(legend)
        da.attrs.update(flag_attrs(codes, [legend[c] for c in codes], nodata=int(da.rio.nodata), long_name=entry.name))
        da.attrs["units"] = "1"
    da.attrs.update(dataset=entry.id, scale_factor=entry.scale_factor, source=str(path))
    if entry.form == "netcdf":
        da = da.rio.write_crs(da.rio.crs or entry.crs)
    return da


def check_codes(da: xr.DataArray, dataset: str | DatasetEntry, *, where: str | None = None,
                framework: Any = None) -> None:
    """Refuse class codes outside the entry's legend (and nodata codes) in *da* (computed, so pass a window)."""
    entry = dataset if isinstance(dataset, DatasetEntry) else dataset_entry(dataset)
    legend = legend_of(entry, framework)
    if legend is None:
        return
    allowed = set(legend) | set(entry.extra_nodata_codes) | ({int(entry.nodata)} if entry.nodata is not None else set())
    values = np.unique(np.asarray(da.values))
    stray = [int(v) for v in values if int(v) not in allowed]
    if stray:
        raise InputError(f"{where or da.attrs.get('source', da.name)}: codes {stray[:10]} are not in legend "
                         f"{entry.legend!r} of {entry.name} (codes {sorted(legend)[:5]}...{sorted(legend)[-1]}, "
                         f"nodata {sorted(allowed - set(legend))}); the file is not this dataset, or is damaged")


def land_cover_7class(da: xr.DataArray, *, framework: Any = None) -> xr.DataArray:
    """ESA CCI (or any catalogued land-cover legend) nested into the 7 UNCCD classes (uint8, 0 nodata)."""
    from ..so1.land_cover import nest_land_cover

    entry = dataset_entry(da.attrs["dataset"])
    if entry.nesting is None:
        raise InputError(f"{da.attrs.get('source')}: dataset {entry.id} has no nesting to the UNCCD classes")
    if framework is None:
        from ..specs.loader import load_framework

        framework = load_framework()
    nesting = framework.nesting(entry.nesting)
    target = framework.legend(nesting.parent_legend)
    return nest_land_cover(da, nesting.model_dump(mode="json"), nodata_codes=[int(entry.nodata)],
                           names={c.code: c.name for c in target.classes})


def _exact(value: float) -> str:
    """A number as written: whole numbers without a decimal point (-9999), others in full (-99999.99, not :g's
    -100000)."""
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)

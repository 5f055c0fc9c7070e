"""SO3-1 (drought hazard) from an in-memory precipitation cube, for :func:`indicators.compute`.

The SPI through the spec binding ``SO3-1.spi`` (the ``spi`` block: scale,
month, calibration, fit, zero handling, inverse normal, clip, min_nonzero),
one value per year (the block's month), the drought classes of the
``drought_classes`` block's classification and legend, and the area of each
class per year on the precipitation grid.

A run goes further: it resamples the classes onto the land-cover grid and
divides by the land of SO1-1.T1 (D3); this table counts every valid cell of
the precipitation grid, so its percentages are of that area.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import xarray as xr

from ..errors import ArgumentError


def drought_classification(fw: Any) -> dict[str, Any]:
    """Breaks, codes, boundary rule, names, nodata and dtype of the SO3-1 drought classes, from the specs."""
    dc = fw.parameters("drought_classes")
    cls = fw.classification(dc.classification)
    ordered = sorted(cls.classes, key=lambda c: (c.lower is not None, c.lower if c.lower is not None else 0.0))
    legend = fw.legend(dc.legend)
    encoding = fw.parameters("encoding")
    return {"breaks": [c.upper for c in ordered[:-1]], "codes": [c.code for c in ordered],
            "right_closed": cls.closed == "right", "names": {c.code: c.name for c in legend.classes},
            "drought_codes": [c.code for c in ordered if c.upper is not None and c.upper <= 0.0],
            "nodata": encoding.class_nodata, "dtype": encoding.class_dtype}


def compute_hazard(fw: Any, precipitation: xr.DataArray) -> tuple[xr.Dataset, dict[str, pd.DataFrame], dict[str, Any]]:
    """Layers ``spi`` (time, y, x), ``spi_annual`` and ``drought_class`` (year, y, x), and table SO3-1.classes."""
    from ..summarize import class_area_table, compute_tables
    from .hazard import annual_spi, drought_hazard_classes
    from .spi import spi

    sp = fw.parameters("spi")
    if sp.index != "spi":
        raise ArgumentError(f"precipitation: the specs ask for the {sp.index.upper()} (spi.index); indicators.compute "
                            "computes the SPI only; use `indicators run` or indicators.spei(...)")
    if "units" not in precipitation.attrs:
        raise ArgumentError("precipitation: no attrs['units']; set it, e.g. precipitation.attrs['units'] = 'mm/month'")
    crs = precipitation.rio.crs
    args = fw.binding_arguments("SO3-1.spi")
    values = spi(precipitation, **args)
    annual = annual_spi(values, month=int(args["month"]))
    k = drought_classification(fw)
    classes = drought_hazard_classes(annual, breaks=k["breaks"], codes=k["codes"], right_closed=k["right_closed"],
                                     meanings=[k["names"][c] for c in sorted(k["codes"])], nodata=k["nodata"],
                                     dtype=k["dtype"])
    codes = sorted(k["codes"])
    years = [int(y) for y in classes["year"].values]
    pending = [class_area_table(classes.sel(year=y, drop=True).rio.write_crs(crs), codes=codes, nodata=k["nodata"],
                                compute=False) for y in years]
    frames = []
    for y, t in zip(years, compute_tables(*pending)):
        rows = t[t["kind"].isin(["class", "nodata", "land_area"])].copy()
        rows.insert(0, "year", y)
        rows["class_name"] = [k["names"].get(int(c), "") if pd.notna(c) else "" for c in rows["class"]]
        frames.append(rows[["year", "kind", "class", "class_name", "area_km2", "percent_of_land"]])
    table = pd.concat(frames, ignore_index=True)
    table.attrs.update(units={"area_km2": "km**2", "percent_of_land": "percent"}, table="SO3-1.classes",
                       title="Area per drought intensity class and year, on the precipitation grid (km² and % of "
                             "the valid cells)")
    layers = xr.Dataset({"spi": values.drop_vars("spatial_ref", errors="ignore"),
                         "spi_annual": annual.drop_vars("spatial_ref", errors="ignore"),
                         "drought_class": classes.drop_vars("spatial_ref", errors="ignore")}).rio.write_crs(crs)
    params = {"spi": sp.model_dump(mode="json"), "drought_classes": fw.parameters("drought_classes").model_dump(mode="json")}
    return layers, {"SO3-1.classes": table}, params


__all__ = ["compute_hazard", "drought_classification"]

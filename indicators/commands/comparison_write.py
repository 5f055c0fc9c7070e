"""What ``indicators compare`` writes from the two runs' layers: agreement COGs and PNGs, the SDG cross-tabulation.

``comparison/maps/land_cover_agreement_<year>.tif`` (1 same 7-class, 0 different, 255 no data) and
``comparison/maps/sdg_cross_classification_<period>.tif`` (A status class x B status class, 1-9, 0 no data) are
written with the report's COG writer (:func:`indicators.report.rasters.write_cogs`: category names and a QGIS
style beside each), their maps with the report's figure code (``comparison/maps/<name>.png``, also embedded in
comparison.html); ``comparison/sdg_crosstab.csv`` holds km² per (period, A class, B class).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from .comparison import inside_of, on_grid_of, shared_years
from .comparison_maps import (AGREEMENT_COLORS, CROSS_COLORS, SDG_CATEGORIES, agreement_layer, cross_labels, land_of,
                              sdg_categories, sdg_cross_layer, sdg_crosstab)
from ..report.tables import write_csv

#: the SDG 15.3.1 layer each run writes (indicators/so1/run_sdg.py), one file per period
SDG_LAYER = "SO1-4/sdg_15_3_1_{period}.tif"


@dataclass
class ComparisonMaps:
    """The maps written (title, PNG bytes, file pattern) and the SDG cross-tabulation (long form)."""

    maps: list[dict[str, Any]] = field(default_factory=list)
    sdg_crosstab: pd.DataFrame | None = None


def _write(da: xr.DataArray, cmp_dir: Path, name: str, *, title: str, labels: dict[int, str], colors: dict[int, str],
           boundary: Any, admin: Any, language: str) -> dict[str, Any]:
    from ..report.figures import LegendEntry, map_png, read_for_map
    from ..report.rasters import write_cogs

    maps = cmp_dir / "maps"
    paths = write_cogs(da, maps / f"{name}.tif", colors=colors, labels=labels)
    legend = [LegendEntry(c, labels[c], colors[c]) for c in sorted(labels)]
    crs = da.rio.crs
    # the map from the written COGs' overviews, not by recomputing the lazy layer's chain
    png = map_png(read_for_map(paths, da) if getattr(da.data, "dask", None) is not None else da, title=title, legend=legend, boundary=None if boundary is None else boundary.to_crs(crs),
                  admin=None if admin is None else admin.to_crs(crs), language=language)
    (maps / f"{name}.png").write_bytes(png)
    lead = [d for d in da.dims if d not in ("y", "x")]
    return {"title": title, "png": png, "image": f"maps/{name}.png",
            "files": f"maps/{name}_<{lead[0]}>.tif" if lead else f"maps/{name}.tif"}


def write_comparison_maps(a: Any, b: Any, lca: xr.DataArray, lcb: xr.DataArray, out_a: Path, out_b: Path,
                          cmp_dir: Path, boundary: Any, admin: Any, *, language: str) -> ComparisonMaps:
    """Land-cover agreement per shared year and, where both runs wrote SO1-4, the SDG 15.3.1 cross-classification
    and cross-tabulation per period; *a*, *b* the loaded configurations, *lca*, *lcb* their 7-class land cover."""
    from ..engine.executing import load_run_framework
    from ..io import open_raster
    from ..report.i18n import translate

    out = ComparisonMaps()
    geoms = boundary.to_crs(lca.rio.crs).geometry.values
    years = shared_years(lca, lcb)
    layers = []
    for y in years:
        la = lca.sel(year=y, drop=True)
        layers.append(agreement_layer(la, on_grid_of(la, lcb.sel(year=y, drop=True)), inside_of(la, geoms)))
    stack = xr.concat(layers, dim=pd.Index(years, name="year"), combine_attrs="override")
    labels = {0: translate("compare.agreement_different", language), 1: translate("compare.agreement_same", language)}
    out.maps.append(_write(stack, cmp_dir, "land_cover_agreement", title=translate("compare.agreement_map", language),
                           labels=labels, colors=AGREEMENT_COLORS, boundary=boundary, admin=admin, language=language))

    periods = [p.id for p in load_run_framework(a).periods()]
    periods = [p for p in periods if (out_a / SDG_LAYER.format(period=p)).is_file()
               and (out_b / SDG_LAYER.format(period=p)).is_file()]
    if not periods:
        return out
    names = {c: translate(f"compare.sdg_{SDG_CATEGORIES[c].replace(' ', '_')}", language) for c in SDG_CATEGORIES}
    cross, tables = [], []
    for p in periods:
        sa = open_raster(out_a / SDG_LAYER.format(period=p)).squeeze(drop=True)
        sb = on_grid_of(sa, open_raster(out_b / SDG_LAYER.format(period=p)).squeeze(drop=True))
        inside = inside_of(sa, boundary.to_crs(sa.rio.crs).geometry.values)
        ca = sdg_categories(sa, land_of(a, lca, p, sa), inside)
        cb = sdg_categories(sb.assign_coords(y=sa["y"], x=sa["x"]), land_of(b, lcb, p, sa), inside)
        tab = sdg_crosstab(ca, cb)
        long = tab.stack().rename("area_km2").reset_index().rename(columns={"A": "class_A", "B": "class_B"})
        long.insert(0, "period", p)
        tables.append(long)
        cross.append(sdg_cross_layer(ca, cb))
    out.sdg_crosstab = pd.concat(tables, ignore_index=True)
    write_csv(out.sdg_crosstab, cmp_dir / "sdg_crosstab.csv")
    stack = xr.concat(cross, dim=pd.Index(periods, name="period"), combine_attrs="override")
    labels = cross_labels(names, translate("compare.cross_class", language))
    out.maps.append(_write(stack, cmp_dir, "sdg_cross_classification", title=translate("compare.cross_map", language),
                           labels=labels, colors=CROSS_COLORS, boundary=boundary, admin=admin, language=language))
    return out

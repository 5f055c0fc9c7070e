"""Maps and charts as PNG bytes (matplotlib, Agg), for embedding in the HTML report.

PNGs are written without a software/date chunk so the same result gives the
same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: longest side, in pixels, of a raster drawn on a map (larger rasters are read decimated, never whole)
MAX_MAP_PIXELS = 600
#: resolution of every figure (print quality)
DPI = 150


@dataclass(frozen=True)
class LegendEntry:
    """One class of a class raster: its code, label and colour ("#rrggbb")."""

    code: int
    label: str
    color: str


#: zlib effort of the report's PNGs (0-9)
PNG_COMPRESS_LEVEL = 1


def _figure(width: float, height: float, *, layout: str | None = None):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout=layout)


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    engine = fig.get_layout_engine()
    if engine is not None:
        # savefig lays a figure with a layout engine out in a first draw of every artist with the drawing switched
        # off (images resampled, ticks labelled: ~40 % of a map's time), then draws it again.  The layout needs
        # neither: it is done here as that draw does it (aspects applied, then the engine), and the figure,
        # without its engine, is drawn once.
        for ax in fig.axes:
            ax.apply_aspect()
        engine.execute(fig)
        fig.set_layout_engine(None)
    # a figure laid out by constrained layout already fits its canvas: a "tight" box would draw it a second time
    tight = None if engine is not None else "tight"
    # zlib level 1 (PIL's default is 6): about a quarter of a 6000² report's CPU (15.7 -> 12.1 s) for a page 3-9 % larger
    # (issue 16; the demo's 7.1 -> 7.7 MB)
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches=tight,
                pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return buf.getvalue()


def _extent(da) -> tuple[float, float, float, float]:
    x = np.asarray(da["x"].values, dtype=float)
    y = np.asarray(da["y"].values, dtype=float)
    dx = abs(x[1] - x[0]) if x.size > 1 else 1.0
    dy = abs(y[1] - y[0]) if y.size > 1 else 1.0
    return (x.min() - dx / 2, x.max() + dx / 2, y.min() - dy / 2, y.max() + dy / 2)


def decimated(da):
    """*da* strided to at most :data:`MAX_MAP_PIXELS` per side (lazy: a dask array is read chunk by chunk).

    For a layer already written as COGs, :func:`read_for_map` reads an overview instead of every block; this
    stride then takes that overview down to the map's size.
    """
    step = max(1, math.ceil(max(da.sizes["y"], da.sizes["x"]) / MAX_MAP_PIXELS))
    return da.isel(y=slice(None, None, step), x=slice(None, None, step)) if step > 1 else da


def overview_level(side: int, factors: Sequence[int]) -> int | None:
    """The index of the coarsest overview (decimation *factors*, finest first) whose longer side, of a raster
    whose longer side is *side*, is still at least :data:`MAX_MAP_PIXELS`; None: the full resolution."""
    level = None
    for i, f in enumerate(factors):
        if math.ceil(side / f) >= MAX_MAP_PIXELS:
            level = i
    return level


def read_for_map(paths: Sequence, like):
    """The layer written as the COG(s) *paths* (one per band of *like*'s leading dim, or one for a 2-D
    layer), read for a map: from the overview :func:`overview_level` picks, never every full-resolution block.

    The overviews are the COG writer's (indicators.report.rasters.write_cog): nearest for class layers, so
    every pixel is a code or nodata of the full-resolution layer (the top-left pixel of its block), never an
    average of classes; average for continuous layers (nodata left out).  The grid covers *like*'s extent;
    attributes, CRS, nodata and the leading dim's values are *like*'s.  Lazy: each file is read when its
    panel is drawn.
    """
    import dask
    import dask.array as dsa
    import rasterio
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    from .rasters import nodata_of

    def level_of(path) -> tuple[int | None, tuple[int, int], Any, np.dtype]:
        with rasterio.open(path) as src:
            level = overview_level(max(src.height, src.width), src.overviews(1))
            dtype = np.dtype(src.dtypes[0])
        with rasterio.open(path, overview_level=level) as src:
            return level, (src.height, src.width), src.transform, dtype

    def read(path, level):
        with rasterio.open(path, overview_level=level) as src:
            return src.read(1)

    bands = []
    for p in paths:
        level, shape, transform, dtype = level_of(p)
        bands.append(dsa.from_delayed(dask.delayed(read)(str(p), level), shape=shape, dtype=dtype))
    ny, nx = shape
    x = transform.c + (np.arange(nx) + 0.5) * transform.a
    y = transform.f + (np.arange(ny) + 0.5) * transform.e
    lead = [d for d in like.dims if d not in ("y", "x")]
    if lead:
        out = xr.DataArray(dsa.stack(bands), dims=(lead[0], "y", "x"),
                           coords={lead[0]: like[lead[0]].values, "y": y, "x": x})
    else:
        out = xr.DataArray(bands[0], dims=("y", "x"), coords={"y": y, "x": x})
    out.attrs = dict(like.attrs)
    out.name = like.name
    out = out.rio.write_crs(like.rio.crs)
    nodata = nodata_of(like)  # the nodata written into the COGs (one that fits the dtype)
    if nodata is not None:
        out = out.rio.write_nodata(nodata, encoded=False)
    return out



@dataclass(frozen=True)
class _Outline:
    """One layer of outlines as ``gdf.boundary.plot(ax=ax, color=…, linewidth=…)`` draws it on a panel."""

    segments: list[np.ndarray]
    color: str
    linewidth: float
    aspect: Any  # what GeoPandas sets on the axes it draws on: 1/cos(mid latitude) on a geographic CRS, else "equal"


def _outline_layers(boundary, admin) -> list[_Outline]:
    """The admin units' then the boundary's outlines, made once per map for all its panels: GeoPandas' plot
    made them again on each panel (normalised geometries, parts, coordinates; ~30 ms a panel of 200 units)."""
    import shapely

    layers = []
    for gdf, color, linewidth in ((admin, "#555555", 0.4), (boundary, "black", 0.9)):
        if gdf is None or not len(gdf):
            continue
        lines = gdf.boundary
        if lines.is_empty.all():  # GeoPandas draws nothing and leaves the axes as they are
            continue
        geoms = shapely.normalize(np.asarray(lines.values))
        parts = shapely.get_parts(geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))])
        parts = parts[np.isin(shapely.get_type_id(parts), (1, 2))]  # LineString, LinearRing
        if lines.crs and lines.crs.is_geographic:
            bounds = lines.total_bounds
            aspect = 1 / np.cos(np.mean([bounds[1], bounds[3]]) * np.pi / 180)
        else:
            aspect = "equal"
        layers.append(_Outline([np.array(p.coords)[:, :2] for p in parts], color, linewidth, aspect))
    return layers


def _outlines(ax, layers: Sequence[_Outline]) -> None:
    from matplotlib.collections import LineCollection

    for o in layers:
        ax.set_aspect(o.aspect)
        ax.add_collection(LineCollection(o.segments, color=o.color, linewidth=o.linewidth), autolim=True)
        ax.autoscale_view()


def _panel_grid(n: int) -> tuple[int, int]:
    cols = min(n, 4 if n > 12 else 3 if n > 4 else 2 if n > 1 else 1)
    return math.ceil(n / cols), cols


def _crs_of(da):
    try:
        return da.rio.crs
    except Exception:  # no rioxarray accessor or no CRS
        return None


def crs_name(crs) -> str:
    """A readable CRS name with its code, e.g. ``WGS 84 (EPSG:4326)``."""
    if crs is None:
        return "?"
    try:
        from pyproj import CRS

        c = CRS.from_user_input(crs)
        code = c.to_authority()
        return f"{c.name} ({code[0]}:{code[1]})" if code else c.name
    except Exception:
        return str(crs)


def _is_geographic(crs) -> bool:
    if crs is None:
        return False
    try:
        return bool(crs.is_geographic)
    except AttributeError:
        return False


def _nice_length(km: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above *km*."""
    if km <= 0:
        return 0.0
    p = 10 ** math.floor(math.log10(km))
    return max(m * p for m in (1, 2, 5) if m * p <= km)


def scale_bar(ax, ext: tuple[float, float, float, float], *, geographic: bool, units_per_metre: float = 1.0,
              fontsize: float = 6) -> float:
    """Draw a scale bar in the lower left of *ax*; return its length in km.

    On a geographic grid the bar's length in degrees uses the map's middle latitude (1° of longitude is
    111.32 km × cos(latitude)); on a projected grid the axis unit is metres times *units_per_metre*.
    """
    x0, x1, y0, y1 = ext
    width_units = x1 - x0
    if geographic:
        km_per_unit = 111.32 * math.cos(math.radians((y0 + y1) / 2))
    else:
        km_per_unit = 1.0 / (1000.0 * units_per_metre)
    km = _nice_length(width_units * km_per_unit / 4)
    if km <= 0 or km_per_unit <= 0:
        return 0.0
    length = km / km_per_unit
    bx, by = x0 + 0.05 * width_units, y0 + 0.06 * (y1 - y0)
    ax.plot([bx, bx + length], [by, by], color="black", linewidth=2.2, solid_capstyle="butt")
    ax.plot([bx, bx + length], [by, by], color="white", linewidth=0.8, solid_capstyle="butt")
    label = f"{km:g} km"
    ax.text(bx + length / 2, by + 0.02 * (y1 - y0), label, ha="center", va="bottom", fontsize=fontsize,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5})
    return km


def diverging_limits(vmin: float, vmax: float) -> tuple[float, float] | None:
    """Symmetric limits around 0 for a signed layer (values on both sides of 0), else None."""
    if vmin < 0 < vmax:
        m = max(abs(vmin), abs(vmax))
        return -m, m
    return None


def map_png(da, *, title: str, legend: Sequence[LegendEntry] | None = None, units: str | None = None,
            boundary=None, admin=None, nodata=None, language: str | None = None) -> bytes:
    """A map of a class (with *legend*) or continuous raster; a leading dim gives small multiples.

    Print quality: :data:`DPI` dots per inch, panels at least 3 inches wide, axes labelled with the CRS named,
    a scale bar, the boundary (and admin units) drawn, class names or the unit in the legend.  A signed
    continuous layer (SPI, SPEI, changes) gets a diverging palette centred on 0.  The raster is read decimated
    (:func:`decimated`), one panel at a time; a written layer comes as :func:`read_for_map` reads it.
    *boundary* and *admin* are GeoDataFrames in the raster's CRS (outlines drawn on top).
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from .i18n import translate

    crs = _crs_of(da)
    da = decimated(da)
    lead = [d for d in da.dims if d not in ("y", "x")]
    panels = [(None, da)] if not lead else [(f"{v.item() if hasattr(v, 'item') else v}", da.isel({lead[0]: i}))
                                             for i, v in enumerate(da[lead[0]].values)]
    rows, cols = _panel_grid(len(panels))
    panel_w = 3.0 if len(panels) > 4 else 3.8 if len(panels) > 1 else 7.0
    aspect = da.sizes["y"] / max(da.sizes["x"], 1)
    legend_w = 2.8 if legend else 1.2
    fig = _figure(panel_w * cols + legend_w, max(2.4, panel_w * aspect + 0.5) * rows + 0.9, layout="constrained")
    ext = _extent(da)
    geographic = _is_geographic(crs)
    if legend:
        codes = [e.code for e in legend]
        cmap = ListedColormap([e.color for e in legend])
        lookup = {c: i for i, c in enumerate(codes)}
    # each panel read once, decimated (at most MAX_MAP_PIXELS a side): never a full-resolution array
    panels = [(label, np.asarray(arr.values) if legend else _masked_values(arr, nodata).astype(np.float32))
              for label, arr in panels]
    if not legend:
        vmin, vmax = np.inf, -np.inf
        for _, v in panels:
            if np.isfinite(v).any():
                vmin, vmax = min(vmin, float(np.nanmin(v))), max(vmax, float(np.nanmax(v)))
        if not np.isfinite(vmin):
            vmin, vmax = 0.0, 1.0
        sym = diverging_limits(vmin, vmax)
        cmap_name = "BrBG" if sym else "viridis"  # dry/negative brown, wet/positive green
        if sym:
            vmin, vmax = sym
    outlines = _outline_layers(boundary, admin)
    im = None
    unit_x = ""
    if not geographic and crs is not None:
        try:
            unit_x = crs.linear_units or "m"
        except AttributeError:
            unit_x = "m"
    for k, (label, arr) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, k + 1)
        if legend:
            v = arr
            idx = np.full(v.shape, np.nan)
            for c, i in lookup.items():
                idx[v == c] = i
            # codes are drawn by their position in the legend, so any code values work
            im = ax.imshow(np.ma.masked_invalid(idx), extent=ext, cmap=cmap, vmin=-0.5, vmax=len(codes) - 0.5,
                           interpolation="nearest")
        else:
            im = ax.imshow(np.ma.masked_invalid(arr), extent=ext, cmap=cmap_name, vmin=vmin,
                           vmax=vmax, interpolation="nearest")
        _outlines(ax, outlines)
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        left, bottom = k % cols == 0, k >= len(panels) - cols
        # the panels share one extent: coordinates labelled on the outer panels only (as the axis titles are), which
        # spares each inner panel's tick labels their text layout (the demo's 24-panel drought maps: 1.47 -> 1.11 s each)
        ax.tick_params(labelsize=6, labelleft=left, labelbottom=bottom)
        if geographic:
            ax.set_aspect(1.0 / max(math.cos(math.radians((ext[2] + ext[3]) / 2)), 0.1))
        ax.set_ylabel((translate("map.latitude", language) if geographic else translate("map.northing", language, unit=unit_x))
                      if left else "", fontsize=7)
        ax.set_xlabel((translate("map.longitude", language) if geographic else translate("map.easting", language, unit=unit_x))
                      if bottom else "", fontsize=7)
        scale_bar(ax, ext, geographic=geographic, fontsize=6 if len(panels) > 1 else 7)
        if label is not None:
            ax.set_title(label, fontsize=9)
    fig.suptitle(title, fontsize=11)
    fig.supxlabel(translate("map.crs", language, crs=crs_name(crs)), fontsize=7, color="#444444", x=0.01, ha="left")
    if legend:
        handles = [Patch(facecolor=e.color, edgecolor="#333333", linewidth=0.3, label=f"{e.code} {e.label}") for e in legend]
        fig.legend(handles=handles, loc="outside right center", fontsize=8, frameon=False)
    elif im is not None:
        cbar = fig.colorbar(im, ax=fig.axes, shrink=0.8 if rows < 3 else 0.45, aspect=25)
        cbar.ax.tick_params(labelsize=7)
        if units:
            cbar.set_label(units, fontsize=8)
    return png_bytes(fig)


def _masked_values(arr, nodata) -> np.ndarray:
    v = np.asarray(arr.values).astype(float)
    if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
        v = np.where(v == nodata, np.nan, v)
    return v


def chart_png(frame, *, title: str, ylabel: str, kind: str = "line", colors: Sequence[str] | None = None) -> bytes:
    """A chart of an annual series: *frame* has years as index and one column per series.

    *kind* is ``"line"`` or ``"stacked"`` (stacked bars, e.g. km² per drought class).
    """
    fig = _figure(8.0, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    x = [str(i) for i in frame.index]
    if kind == "stacked":
        bottom = np.zeros(len(frame))
        for j, col in enumerate(frame.columns):
            vals = np.nan_to_num(frame[col].to_numpy(dtype=float))
            ax.bar(x, vals, bottom=bottom, label=str(col), color=(colors[j] if colors and j < len(colors) else None))
            bottom += vals
    else:
        for j, col in enumerate(frame.columns):
            ax.plot(x, frame[col].to_numpy(dtype=float), marker="o", markersize=3, label=str(col),
                    color=(colors[j] if colors and j < len(colors) else None))
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    if len(x) > 12:
        for lab in ax.get_xticklabels():
            lab.set_rotation(90)
    if len(frame.columns) > 1 or kind == "stacked":
        ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.grid(axis="y", linewidth=0.3)
    return png_bytes(fig)

"""Maps and charts as PNG bytes (matplotlib, Agg), for embedding in the HTML report.

PNGs are written without a software/date chunk so the same result gives the
same bytes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: longest side, in pixels, of a raster drawn on a map (larger rasters are strided)
MAX_MAP_PIXELS = 600


@dataclass(frozen=True)
class LegendEntry:
    """One class of a class raster: its code, label and colour ("#rrggbb")."""

    code: int
    label: str
    color: str


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None}, bbox_inches="tight")
    return buf.getvalue()


def _extent(da) -> tuple[float, float, float, float]:
    x = np.asarray(da["x"].values, dtype=float)
    y = np.asarray(da["y"].values, dtype=float)
    dx = abs(x[1] - x[0]) if x.size > 1 else 1.0
    dy = abs(y[1] - y[0]) if y.size > 1 else 1.0
    return (x.min() - dx / 2, x.max() + dx / 2, y.min() - dy / 2, y.max() + dy / 2)


def _stride(da):
    step = max(1, math.ceil(max(da.sizes["y"], da.sizes["x"]) / MAX_MAP_PIXELS))
    return da.isel(y=slice(None, None, step), x=slice(None, None, step)) if step > 1 else da


def _outlines(ax, boundary, admin) -> None:
    if admin is not None and len(admin):
        admin.boundary.plot(ax=ax, color="#555555", linewidth=0.4)
    if boundary is not None and len(boundary):
        boundary.boundary.plot(ax=ax, color="black", linewidth=0.9)


def _panel_grid(n: int) -> tuple[int, int]:
    cols = min(n, 6 if n > 9 else 3 if n > 4 else n)
    return math.ceil(n / cols), cols


def map_png(da, *, title: str, legend: Sequence[LegendEntry] | None = None, units: str | None = None,
            boundary=None, admin=None, nodata=None) -> bytes:
    """A map of a class (with *legend*) or continuous raster; a leading dim gives small multiples.

    *boundary* and *admin* are GeoDataFrames in the raster's CRS (outlines drawn on top).
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    da = _stride(da)
    lead = [d for d in da.dims if d not in ("y", "x")]
    panels = [(None, da)] if not lead else [(f"{v.item() if hasattr(v, 'item') else v}", da.isel({lead[0]: i}))
                                             for i, v in enumerate(da[lead[0]].values)]
    rows, cols = _panel_grid(len(panels))
    panel_w = 2.0 if len(panels) > 6 else 3.2 if len(panels) > 1 else 6.5
    aspect = da.sizes["y"] / max(da.sizes["x"], 1)
    fig = _figure(panel_w * cols + (2.4 if legend else 0.8), max(2.2, panel_w * aspect) * rows + 0.6)
    ext = _extent(da)
    if legend:
        codes = [e.code for e in legend]
        cmap = ListedColormap([e.color for e in legend])
        lookup = {c: i for i, c in enumerate(codes)}
    else:
        vals = np.asarray(da.values, dtype=float)
        if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
            vals = np.where(vals == nodata, np.nan, vals)
        finite = vals[np.isfinite(vals)]
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    im = None
    for k, (label, arr) in enumerate(panels):
        ax = fig.add_subplot(rows, cols, k + 1)
        v = np.asarray(arr.values)
        if legend:
            idx = np.full(v.shape, np.nan)
            for c, i in lookup.items():
                idx[v == c] = i
            masked = np.ma.masked_invalid(idx)
            # codes are drawn by their position in the legend, so any code values work
            im = ax.imshow(masked, extent=ext, cmap=cmap, vmin=-0.5, vmax=len(codes) - 0.5, interpolation="nearest")
        else:
            v = v.astype(float)
            if nodata is not None and not (isinstance(nodata, float) and math.isnan(nodata)):
                v = np.where(v == nodata, np.nan, v)
            im = ax.imshow(np.ma.masked_invalid(v), extent=ext, cmap="viridis", vmin=vmin, vmax=vmax, interpolation="nearest")
        _outlines(ax, boundary, admin)
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(labelsize=6)
        if len(panels) > 6:  # small multiples: the outline is the orientation, ticks are clutter
            ax.set_xticks([])
            ax.set_yticks([])
        if label is not None:
            ax.set_title(label, fontsize=8)
    fig.suptitle(title, fontsize=10)
    if legend:
        handles = [Patch(facecolor=e.color, edgecolor="#333333", linewidth=0.3, label=f"{e.code} {e.label}") for e in legend]
        fig.legend(handles=handles, loc="center right", fontsize=7, frameon=False)
        fig.subplots_adjust(right=1 - 2.2 / fig.get_figwidth())
    elif im is not None:
        cbar = fig.colorbar(im, ax=fig.axes, shrink=0.8)
        if units:
            cbar.set_label(units, fontsize=8)
    return png_bytes(fig)


def chart_png(frame, *, title: str, ylabel: str, kind: str = "line", colors: Sequence[str] | None = None) -> bytes:
    """A chart of an annual series: *frame* has years as index and one column per series.

    *kind* is ``"line"`` or ``"stacked"`` (stacked bars, e.g. km² per drought class).
    """
    fig = _figure(7.5, 3.4)
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

"""What makes a written raster open well in QGIS and GDAL: band description and unit, category names, a style.

* band description (the layer's ``long_name`` and its year or period) and
  band unit (UDUNITS/CF: ``person``, ``1``) on every layer;
* for class layers, category names in a GDAL PAM side file
  (``<file>.tif.aux.xml``: a ``CategoryNames`` list and a thematic raster
  attribute table with value, class name and colour; GeoTIFF keeps neither
  inside the file, GDAL and QGIS read both from the side file) and a QGIS
  style ``<file>.qml`` (paletted renderer, colours and labels of the specs'
  legend) beside the file;
* tags that name no machine path: an input is named relative to the run
  configuration's directory (or by its file name), an intermediate file of
  the run (a temporary or staging file) is not named at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

#: name prefix of a run's scratch directories (io.RasterStore's temporary directory)
SCRATCH_PREFIX = "indicators-"
#: attribute naming the band in the file (set per layer by write_cogs); falls back to long_name
BAND_DESCRIPTION_ATTR = "band_description"


# --------------------------------------------------------------------------- tags without machine paths

def _is_intermediate(path: Path) -> bool:
    """A file of the run itself: in a run's scratch directory (``indicators-*``, see
    :class:`indicators.io.RasterStore`), a staging or hidden file, or a file gone by now."""
    return (any(part.startswith(SCRATCH_PREFIX) for part in path.parent.parts) or ".staging" in path.name
            or path.name.startswith(".") or not path.exists())


def portable_source(value: str, inputs_root: str | os.PathLike | None = None) -> str | None:
    """The ``source`` text with machine paths removed; None when nothing is left to name.

    *value* is a comma-separated list of paths (or free text, kept as is).
    Paths under *inputs_root* (the run configuration's directory) are named
    relative to it, other inputs by their file name; intermediate files are dropped.
    """
    kept: list[str] = []
    for item in (s.strip() for s in str(value).split(",")):
        if not item:
            continue
        p = Path(item)
        if not p.is_absolute():
            kept.append(item)
            continue
        if _is_intermediate(p):
            continue
        if inputs_root is not None:
            try:
                kept.append(p.resolve().relative_to(Path(inputs_root).resolve()).as_posix())
                continue
            except ValueError:
                pass
        kept.append(p.name)
    return ", ".join(kept) or None


def portable_attrs(attrs: Mapping[str, Any], inputs_root: str | os.PathLike | None = None) -> dict[str, Any]:
    """*attrs* with the ``source`` attribute made portable (dropped when it named only intermediate files)."""
    out = dict(attrs)
    if "source" in out:
        src = portable_source(out["source"], inputs_root)
        if src is None:
            del out["source"]
        else:
            out["source"] = src
    return out


# --------------------------------------------------------------------------- band description and unit

def band_unit(attrs: Mapping[str, Any], *, is_class: bool) -> str:
    """The band's unit as a UDUNITS/CF string (``person``, ``km2``, ``1``); empty for class layers."""
    from .formatting import cf_unit

    if is_class or attrs.get("units") in (None, ""):
        return ""
    return cf_unit("value", str(attrs["units"])) or str(attrs["units"])


def describe_layer(dst: Any, da: Any) -> None:
    """Set band description (where none is set yet) and unit on an open rasterio dataset *dst* written from *da*."""
    is_class = "flag_values" in da.attrs
    unit = band_unit(da.attrs, is_class=is_class)
    text = da.attrs.get(BAND_DESCRIPTION_ATTR) or da.attrs.get("long_name")
    for i in range(1, dst.count + 1):
        if text and not dst.descriptions[i - 1]:
            dst.set_band_description(i, str(text))
        if unit:
            dst.set_band_unit(i, unit)


# --------------------------------------------------------------------------- class layers: categories and style

def class_labels(attrs: Mapping[str, Any], labels: Mapping[int, str] | None = None) -> dict[int, str]:
    """Code -> class name: *labels* (the specs' legend) where given, else the CF ``flag_meanings`` in words."""
    import numpy as np

    values = attrs.get("flag_values")
    if values is None:
        return dict(labels or {})
    codes = [int(v) for v in np.atleast_1d(values).tolist()] if not isinstance(values, str) else [int(v) for v in values.split()]
    meanings = attrs.get("flag_meanings", "")
    meanings = meanings.split() if isinstance(meanings, str) else [str(m) for m in meanings]
    out = {}
    for i, code in enumerate(codes):
        if labels and code in labels:
            out[code] = str(labels[code])
        elif i < len(meanings):
            words = meanings[i].replace("_", " ")
            out[code] = words[:1].upper() + words[1:]
        else:
            out[code] = str(code)
    return out


def pam_xml(labels: Mapping[int, str], colors: Mapping[int, str] | None = None) -> str:
    """GDAL PAM side file text: category names (index = pixel value) and a thematic attribute table."""
    colors = colors or {}
    top = max(labels) if labels else -1
    names = "".join(f"<Category>{escape(labels.get(v, ''))}</Category>" for v in range(top + 1))
    fields = [("Value", 0, 5), ("Class_Name", 2, 2), ("Red", 0, 6), ("Green", 0, 7), ("Blue", 0, 8)]
    defn = "".join(f'<FieldDefn index="{i}"><Name>{n}</Name><Type>{t}</Type><Usage>{u}</Usage></FieldDefn>'
                   for i, (n, t, u) in enumerate(fields))
    rows = []
    for r, code in enumerate(sorted(labels)):
        rgb = _rgb(colors.get(code, "#808080"))
        rows.append(f'<Row index="{r}"><F>{code}</F><F>{escape(labels[code])}</F>' + "".join(f"<F>{c}</F>" for c in rgb) + "</Row>")
    return ('<PAMDataset>\n  <PAMRasterBand band="1">\n'
            f"    <CategoryNames>{names}</CategoryNames>\n"
            f'    <GDALRasterAttributeTable tableType="thematic">{defn}{"".join(rows)}</GDALRasterAttributeTable>\n'
            "  </PAMRasterBand>\n</PAMDataset>\n")


def qml_text(labels: Mapping[int, str], colors: Mapping[int, str]) -> str:
    """A QGIS layer style: paletted renderer with the legend's colours and class names."""
    entries = "\n".join(
        f'        <paletteEntry value="{code}" color="{colors.get(code, "#808080").lower()}" alpha="255" label={quoteattr(labels[code])}/>'
        for code in sorted(labels))
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            '<qgis version="3.28.0" styleCategories="Symbology">\n'
            "  <pipe>\n"
            '    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" nodataColor="">\n'
            "      <rasterTransparency/>\n"
            "      <minMaxOrigin><limits>None</limits><extent>WholeRaster</extent><statAccuracy>Estimated</statAccuracy>"
            "<cumulativeCutLower>0.02</cumulativeCutLower><cumulativeCutUpper>0.98</cumulativeCutUpper>"
            "<stdDevFactor>2</stdDevFactor></minMaxOrigin>\n"
            "      <colorPalette>\n" + entries + "\n      </colorPalette>\n"
            "    </rasterrenderer>\n"
            '    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>\n'
            '    <huesaturation saturation="0" grayscaleMode="0" colorizeOn="0" colorizeStrength="100"/>\n'
            '    <rasterresampler maxOversampling="2"/>\n'
            "  </pipe>\n"
            "  <blendMode>0</blendMode>\n"
            "</qgis>\n")


def write_class_sidecars(path: str | os.PathLike, labels: Mapping[int, str], colors: Mapping[int, str]) -> list[Path]:
    """Write ``<file>.aux.xml`` (category names, attribute table) and ``<stem>.qml`` beside a class COG."""
    path = Path(path)
    aux = path.with_name(path.name + ".aux.xml")
    qml = path.with_suffix(".qml")
    aux.write_text(pam_xml(labels, colors), encoding="utf-8")
    qml.write_text(qml_text(labels, colors), encoding="utf-8")
    return [aux, qml]


def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)

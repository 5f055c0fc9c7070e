"""Trends.Earth output files: the band list of a multi-band GeoTIFF, read from its JSON sidecar.

Trends.Earth writes each result as a GeoTIFF (or a VRT over tiles) and a JSON
file beside it (the same name with ``.json``).  The JSON is a job (its
``results`` field), a ``RasterResults`` object, or a bare band list; every
form lists, per raster, its bands in file order, each band as in te_schemas'
``Band``: ``name`` (e.g. ``"Land cover (7 class)"``), ``metadata`` (a dict,
e.g. ``{"year": 2015}`` or ``{"year_initial": 2001, "year_final": 2015}``),
``no_data_value`` (default −32768), ``activated`` and ``add_to_map``.

A run configuration selects a band by number (``band: 2``) or by what it holds
(``band: {name: "Land cover (7 class)", year: 2015}``); :func:`select_bands`
turns a selection into 1-based band numbers of the file, or refuses with one
line naming the file, the selection and the bands the file has.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = ["TEBand", "sidecar_path", "read_bands", "select_bands", "selection_text"]

#: te_schemas Band.no_data_value default
TE_NODATA = -32768


@dataclass(frozen=True)
class TEBand:
    """One band of a Trends.Earth raster, in file order (``index`` is 1-based)."""

    index: int
    name: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    no_data_value: float = TE_NODATA
    activated: bool = True
    add_to_map: bool = True

    @property
    def year(self) -> int | None:
        y = self.metadata.get("year")
        return int(y) if y is not None else None

    def label(self) -> str:
        meta = ", ".join(f"{k}={v}" for k, v in sorted(self.metadata.items()) if not isinstance(v, (dict, list)))
        return f"{self.index}: {self.name!r}" + (f" ({meta})" if meta else "")


def sidecar_path(path: str | Path) -> Path:
    """The JSON Trends.Earth writes beside a raster: ``<stem>.json``."""
    return Path(path).with_suffix(".json")


def _band_lists(doc: Any, raster: Path) -> list[list[Mapping[str, Any]]]:
    """The band lists a sidecar document holds for *raster* (several if it cannot tell which raster)."""
    if isinstance(doc, list):
        return [doc]
    if not isinstance(doc, Mapping):
        return []
    if isinstance(doc.get("results"), Mapping):  # a job
        return _band_lists(doc["results"], raster)
    if isinstance(doc.get("rasters"), Mapping):  # RasterResults: one entry per data type
        rasters = [r for r in doc["rasters"].values() if isinstance(r, Mapping)]
        named = [r for r in rasters if Path(str((r.get("uri") or {}).get("uri", ""))).name == raster.name]
        return [list(r.get("bands") or []) for r in (named or rasters)]
    if isinstance(doc.get("bands"), list):  # CloudResults or a bare {bands: [...]}
        return [doc["bands"]]
    return []


def read_bands(path: str | Path) -> list[TEBand] | None:
    """The bands of a Trends.Earth raster from its JSON sidecar; None when there is no sidecar."""
    path = Path(path)
    side = sidecar_path(path)
    if not side.is_file():
        return None
    try:
        doc = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{side}: cannot read the Trends.Earth band metadata ({exc}); give a valid JSON sidecar "
                         f"or select the band of {path.name} by number (band: 2)") from None
    lists = _band_lists(doc, path)
    if len(lists) != 1:
        raise InputError(f"{side}: expected the band list of {path.name} (a Trends.Earth job, RasterResults with one "
                         f"raster for this file, or {{bands: [...]}}), found {len(lists)} band lists")
    out = []
    for i, b in enumerate(lists[0], start=1):
        if not isinstance(b, Mapping) or not isinstance(b.get("name"), str):
            raise InputError(f"{side}: band {i} has no name; each band is {{name, metadata, no_data_value, ...}}")
        meta = b.get("metadata") or {}
        if not isinstance(meta, Mapping):
            raise InputError(f"{side}: band {i} ({b['name']!r}) metadata is {type(meta).__name__}, expected a mapping")
        nod = b.get("no_data_value", TE_NODATA)
        out.append(TEBand(i, b["name"], dict(meta), TE_NODATA if nod is None else nod,
                          bool(b.get("activated", True)), bool(b.get("add_to_map", True))))
    return out


def selection_text(selector: Mapping[str, Any]) -> str:
    parts = [f"name {selector['name']!r}"] if selector.get("name") else []
    if selector.get("year") is not None:
        parts.append(f"year {selector['year']}")
    parts += [f"{k} {v!r}" for k, v in sorted((selector.get("metadata") or {}).items())]
    return ", ".join(parts)


def _matches(band: TEBand, selector: Mapping[str, Any]) -> bool:
    if band.name != selector["name"]:
        return False
    if selector.get("year") is not None and band.year != int(selector["year"]):
        return False
    for key, want in (selector.get("metadata") or {}).items():
        if str(band.metadata.get(key)) != str(want):
            return False
    return True


def select_bands(path: str | Path, selector: Mapping[str, Any], *, count: int | None = None) -> list[TEBand]:
    """The bands of *path* that *selector* (``name``, optional ``year``, optional ``metadata``) picks.

    One band when the selection names a year (or only one band matches);
    otherwise every matching band, in year order (each must carry a year).

    Raises
    ------
    InputError
        No sidecar, no band matching, several bands without a year to tell them
        apart, or a sidecar listing more bands than the file has (*count*).
    """
    path = Path(path)
    bands = read_bands(path)
    what = selection_text(selector)
    if bands is None:
        raise InputError(f"{path}: band {{{what}}} selected by name, but there is no Trends.Earth band metadata "
                         f"{sidecar_path(path).name} beside it; put the JSON next to the file or select the band by number")
    if count is not None and len(bands) != count:
        raise InputError(f"{sidecar_path(path)}: lists {len(bands)} band(s) but {path.name} has {count}; "
                         "the JSON does not describe this file")
    hits = [b for b in bands if _matches(b, selector)]
    if not hits:
        have = "; ".join(b.label() for b in bands)
        raise InputError(f"{path}: no band with {what} in {sidecar_path(path).name} (bands: {have}); "
                         "correct band: in the run configuration")
    if len(hits) > 1:
        years = [b.year for b in hits]
        if None in years or len(set(years)) != len(years):
            raise InputError(f"{path}: {len(hits)} bands match {what} ({'; '.join(b.label() for b in hits)}); "
                             "add year: or metadata: to band: so that one band per year is selected")
        hits.sort(key=lambda b: b.year)
    return hits


def band_years(bands: Sequence[TEBand]) -> list[int | None]:
    return [b.year for b in bands]

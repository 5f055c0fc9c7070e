"""The default global datasets of the 2022/2026 cycles, read as they are published.

* :mod:`.catalogue` — the entries of ``specs/datasets.yaml`` (dataset, version, variable, scale factor,
  nodata, legend, licence, citation, URL).
* :mod:`.readers` — :func:`open_dataset` opens a file as a given catalogue entry and refuses, in one line
  naming the file and what is expected, a file whose structure is not that product's (variable missing,
  scale factor absent or different, nodata different, attributes missing); :func:`check_codes` refuses
  class codes outside the entry's legend; :func:`land_cover_7class` nests ESA CCI's 37 classes into the
  7 UNCCD classes with the specs' nesting.
* :mod:`.drought_index` — :func:`open_drought_index` opens one accumulation scale of a drought index published
  per scale (GMID), refusing another scale or months outside the release's years.
"""

from __future__ import annotations

from .catalogue import catalogue, dataset_entry
from .drought_index import open_drought_index
from .readers import check_codes, land_cover_7class, open_dataset

__all__ = ["catalogue", "dataset_entry", "open_dataset", "open_drought_index", "check_codes", "land_cover_7class"]

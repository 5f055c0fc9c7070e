"""The dataset catalogue: ``specs/datasets.yaml`` (kind ``datasets``), validated by the spec model."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..errors import InputError, SpecError
from ..specs.model import DatasetEntry

__all__ = ["catalogue", "dataset_entry", "CATALOGUE_FILE"]

CATALOGUE_FILE = "datasets.yaml"


@lru_cache(maxsize=4)
def _load(specs: str) -> dict[str, DatasetEntry]:
    from pydantic import ValidationError

    from ..specs.loader import read_document

    path = Path(specs) / CATALOGUE_FILE
    if not path.is_file():
        raise SpecError(f"{path}: the dataset catalogue is missing; the specs directory must hold {CATALOGUE_FILE}")
    doc = read_document(path)
    try:
        entries = [DatasetEntry.model_validate(e) for e in doc.data.get("datasets") or []]
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise SpecError(f"{path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return {e.id: e for e in entries}


def catalogue(specs: str | Path | None = None) -> dict[str, DatasetEntry]:
    """Every catalogued dataset by id (from *specs*, default the bundled specs)."""
    from ..specs.loader import specs_dir

    return _load(str(Path(specs or specs_dir()).resolve()))


def dataset_entry(dataset: str, specs: str | Path | None = None) -> DatasetEntry:
    """The catalogue entry *dataset*; an InputError naming the known ids when there is none."""
    entries = catalogue(specs)
    if dataset not in entries:
        raise InputError(f"dataset {dataset!r} is not in the catalogue (specs/{CATALOGUE_FILE}); "
                         f"use one of {', '.join(sorted(entries))}")
    return entries[dataset]

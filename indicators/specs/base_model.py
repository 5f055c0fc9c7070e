"""The building blocks of the spec models: identifiers, codes, references and the strict base model.

Every spec model (:mod:`indicators.specs.model` and the ``*_model`` modules beside it) is built from
these.  A reference field (``LegendRef``, ``MatrixRef``, …) carries its kind in the JSON Schema
(``x-ref``); :func:`field_ref_kind` reads it back for the validator and :meth:`indicators.specs.model.Framework.resolve`.

Only pydantic and the standard library are imported here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

SPEC_VERSION = 1

K = TypeVar("K")
V = TypeVar("V")

#: a read-only mapping (validated from any mapping, dumped as a plain dict)
FrozenMap = Annotated[Mapping[K, V], AfterValidator(lambda d: MappingProxyType(dict(d))), PlainSerializer(dict)]

_CODE_RE = re.compile(r"^SO([1-5])-(\d+)(?:\.(\d+))?$")
_OBJECTIVE_RE = re.compile(r"^SO[1-5]$")


def canonical_code(code: str) -> str:
    """Canonical spelling of an objective or indicator code (D1).

    The manual writes ``SO 1-1`` in its tables and ``SO1-1`` in table ids; both
    (and lower case) are accepted and turned into ``SO1-1``.
    """
    if not isinstance(code, str):
        return code
    return re.sub(r"\s+", "", code).upper()


IndicatorCode = Annotated[str, BeforeValidator(canonical_code), Field(pattern=_CODE_RE.pattern)]
ObjectiveCode = Annotated[str, BeforeValidator(canonical_code), Field(pattern=_OBJECTIVE_RE.pattern)]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="lower-case identifier")]
EditionId = Annotated[str, Field(pattern=r"^\d{4}$", description="reporting edition, the year of the reporting cycle")]
Year = Annotated[int, Field(ge=1900, le=2100)]
YearRange = Annotated[tuple[Year, Year], Field(description="first and last year, both included")]
Evidence = Literal["PRAIS22", "PRAIS26", "TE-doc", "TE-code", "SDG-md", "SEPAL", "CI", "NOAA", "V", "M", "I", "COP"]


def _ref(kind: str, description: str = "") -> Any:
    """Field metadata marking a string as a reference to an item of *kind* (checked by the validator)."""
    return Field(description=description or f"id of a {kind}", json_schema_extra={"x-ref": kind})


LegendRef = Annotated[str, _ref("legend")]
NestingRef = Annotated[str, _ref("nesting")]
MatrixRef = Annotated[str, _ref("matrix")]
ClassificationRef = Annotated[str, _ref("classification")]
LookupRef = Annotated[str, _ref("lookup_table")]
FactorSetRef = Annotated[str, _ref("factor_set")]


class Strict(BaseModel):
    """Base of every spec model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@functools.lru_cache(maxsize=None)
def field_ref_kind(model: type[BaseModel], field: str) -> str | None:
    """The reference kind (``"matrix"``, ``"legend"``, …) declared on *model.field*, or None.

    Cached per (class, field): validation asks it for every field of every item, and a large
    spec has hundreds of thousands of items (benchmarks/bench_spec_size.py).
    """
    info = model.model_fields.get(field)
    if info is None:
        return None
    for meta in [info, *info.metadata]:
        extra = getattr(meta, "json_schema_extra", None)
        if isinstance(extra, dict) and "x-ref" in extra:
            return extra["x-ref"]
    # Optional[Ref] / tuple[Ref, ...]: look inside the annotation
    return _annotation_ref(info.annotation)


def _annotation_ref(annotation: Any) -> str | None:
    from typing import get_args, get_origin

    if get_origin(annotation) is Annotated:
        for meta in get_args(annotation)[1:]:
            extra = getattr(meta, "json_schema_extra", None)
            if isinstance(extra, dict) and "x-ref" in extra:
                return extra["x-ref"]
        return None
    for arg in get_args(annotation):
        kind = _annotation_ref(arg)
        if kind:
            return kind
    return None

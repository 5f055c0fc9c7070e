"""The report's one translation catalogue (``messages.yaml``): every user-facing string of the report.

A message is looked up by key (``"summary.title"``) in a language
(:data:`LANGUAGES`).  The language of a run's report is chosen by
``indicators run/demo --language``; the commands set it for the duration of
the run with :func:`report_language` (like ``xarray.set_options``), and the
writers read it with :func:`current_language`.  An explicit ``language=``
argument always wins.

Text computed by the indicators (table titles, notes, class names from the
specs) is data, not a message: it is shown as written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from importlib import resources
from typing import Any

#: the languages shipped (the Convention's working languages include both)
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"

_LANGUAGE: ContextVar[str] = ContextVar("indicators_report_language", default=DEFAULT_LANGUAGE)
_MISSING = object()

# decimal mark and digit-group mark per language (French: "16 839,34" with a narrow no-break space)
_NUMBER_FORMAT = {"en": (".", ","), "fr": (",", "\u202f")}


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """``{key: {language: text}}`` from the package's ``messages.yaml``."""
    import yaml

    text = resources.files(__package__).joinpath("messages.yaml").read_text(encoding="utf-8")
    return {str(k): {str(lang): str(t) for lang, t in v.items()} for k, v in yaml.safe_load(text).items()}


def check_language(language: str) -> str:
    """*language* if shipped, else an :class:`~indicators.errors.InputError` naming the choices."""
    if language not in LANGUAGES:
        from ..errors import InputError

        raise InputError(f"report language {language!r} is not available; choose one of {', '.join(LANGUAGES)}")
    return language


def current_language() -> str:
    """The language set by :func:`report_language` (English by default)."""
    return _LANGUAGE.get()


@contextmanager
def report_language(language: str | None) -> Iterator[str]:
    """Write reports in *language* inside the ``with`` block (None: keep the current one)."""
    if language is None:
        yield current_language()
        return
    token = _LANGUAGE.set(check_language(language))
    try:
        yield language
    finally:
        _LANGUAGE.reset(token)


def translate(key: str, language: str | None = None, *, default: Any = _MISSING, **fields: Any) -> Any:
    """The catalogue's text of *key* in *language* (current by default), with ``{fields}`` filled in.

    A key missing from the catalogue is an error unless a *default* is given;
    a key without the language falls back to English.
    """
    language = language or current_language()
    entry = catalogue().get(key)
    if entry is None:
        if default is _MISSING:
            raise KeyError(f"message {key!r} is not in the report's translation catalogue (indicators/report/messages.yaml)")
        return default
    text = entry.get(language) or entry[DEFAULT_LANGUAGE]
    return text.format(**fields) if fields else text


def number_format(language: str | None = None) -> tuple[str, str]:
    """(decimal mark, group mark) of *language*."""
    return _NUMBER_FORMAT.get(language or current_language(), _NUMBER_FORMAT[DEFAULT_LANGUAGE])

"""The one error hierarchy of the package.

Every error a user can cause (a bad spec, a bad input file, grids that do not
match, a unit that does not fit) is an :class:`IndicatorsError`.  Messages name
the file, field or value at fault and say what to do; the command line prints
them on one line, without a traceback, and exits non-zero.
"""

from __future__ import annotations


class IndicatorsError(Exception):
    """Base class of every expected error raised by ``indicators``."""

    #: exit status the command line uses for this kind of error
    exit_code = 2


class SpecError(IndicatorsError):
    """A spec, profile, overlay or run configuration is invalid."""


class InputError(IndicatorsError):
    """An input file or table is missing, unreadable or holds bad values."""


class GridMismatchError(InputError):
    """Raster layers do not share CRS, transform or shape."""


class UnitError(IndicatorsError):
    """A unit does not parse, or has the wrong dimension for its use."""


class ComputeError(IndicatorsError):
    """A computation cannot proceed with the inputs given (e.g. no valid data)."""

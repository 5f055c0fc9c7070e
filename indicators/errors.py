"""The one error hierarchy of the package.

Every error a user can cause (a bad spec, a bad input file, grids that do not
match, a unit that does not fit) is an :class:`IndicatorsError`.  Messages name
the file, field or value at fault and say what to do; the command line prints
them on one line, without a traceback, and exits non-zero.
"""

from __future__ import annotations

__all__ = [
    "IndicatorsError", "SpecError", "UnknownNameError", "InputError", "ArgumentError", "GridMismatchError",
    "UnitError", "ComputeError", "IndicatorsWarning", "ReprojectionWarning",
]


class IndicatorsError(Exception):
    """Base class of every expected error raised by ``indicators``."""

    #: exit status the command line uses for this kind of error
    exit_code = 2


class SpecError(IndicatorsError):
    """A spec, profile, overlay or run configuration is invalid."""


class UnknownNameError(SpecError, KeyError):
    """A name (indicator code, metric id, legend, parameter block, …) the framework does not hold.

    Also a :class:`KeyError`, so ``except KeyError`` around a look-up keeps working.
    """

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class InputError(IndicatorsError):
    """An input file or table is missing, unreadable or holds bad values."""


class ArgumentError(InputError, ValueError):
    """An argument of a public function has the wrong type, dtype, shape or value.

    The message names the argument, what was given and the fix.  Also a
    :class:`ValueError`, as numpy and xarray users expect of a bad argument.
    """


class GridMismatchError(InputError):
    """Raster layers do not share CRS, transform or shape."""


class UnitError(IndicatorsError):
    """A unit does not parse, or has the wrong dimension for its use."""


class ComputeError(IndicatorsError):
    """A computation cannot proceed with the inputs given (e.g. no valid data)."""


class IndicatorsWarning(UserWarning):
    """Base class of the warnings ``indicators`` issues (something was done for you: say so)."""


class ReprojectionWarning(IndicatorsWarning):
    """Polygons were reprojected to the raster's CRS before a zonal summary."""

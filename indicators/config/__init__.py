"""Run configuration: a country's inputs, as one validated YAML file, and the up-front checks.

A run configuration says whose indicators to compute (country name, boundary,
optional admin units and official land area), under which rules (edition,
profile, national overlay) and from which files (one entry per input, with its
path, units, years and source).  :func:`load_config` validates the file with a
pydantic model; :func:`check_inputs` then opens every input's header and
collects *every* problem (missing or unreadable files, units that do not parse
or do not fit, grids that differ, years that do not cover the periods) into one
error whose message has one line per problem, before any computation starts.

Example (paths are relative to the configuration file)::

    country:
      name: Demoland
      boundary: boundary.gpkg
      admin_units: {path: admin.gpkg, id_field: code, name_field: name}
    edition: "2026"
    indicators: all            # or a list: [SO1-4, SO3-1]
    inputs:
      precipitation:
        path: precipitation.nc
        variable: precip
        units: mm/month
        years: 1981-2023
        source: CHIRPS v2.0
      land_cover:
        path: land_cover_{year}.tif
        years: [2000, 2015, 2019, 2023]
        source: ESA CCI LC

The package, one concern a module: :mod:`~indicators.config.schema` (the pydantic models of the file and
the vocabulary of input names), :mod:`~indicators.config.loading` (reading and validating a file, the
parameter overrides it applies), :mod:`~indicators.config.paths` (the files of each input, the resolved
configuration, what an output must keep clear of), :mod:`~indicators.config.headers` (a raster input's
header) and :mod:`~indicators.config.checks` (the up-front checks).  The names below are re-exported
for callers of ``indicators.config`` (tests, docs, user code); the package's own modules import from
the module that defines a name.
"""

from .checks import Requirement, check_inputs, input_name_problems
from .loading import LoadedConfig, config_from_mapping, load_config, parameter_overrides
from .paths import input_locations
from .schema import INPUT_NAMES, RECORDED_INPUTS, InputSpec, RunConfig, parse_years

__all__ = [
    "INPUT_NAMES",
    "RECORDED_INPUTS",
    "InputSpec",
    "LoadedConfig",
    "Requirement",
    "RunConfig",
    "check_inputs",
    "config_from_mapping",
    "input_locations",
    "input_name_problems",
    "load_config",
    "parameter_overrides",
    "parse_years",
]

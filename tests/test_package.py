"""The package skeleton: lazy public API, error hierarchy, command line."""

import subprocess
import sys

import pytest

import indicators
from indicators import errors
from indicators.cli import main


def test_every_lazy_name_points_to_a_module_path():
    for name, module in indicators._LAZY.items():
        assert module.startswith("indicators."), name


def test_unknown_attribute_raises_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        indicators.no_such_thing  # noqa: B018


def test_error_hierarchy():
    for cls in (errors.SpecError, errors.InputError, errors.GridMismatchError, errors.UnitError):
        assert issubclass(cls, errors.IndicatorsError)
    assert issubclass(errors.GridMismatchError, errors.InputError)


def test_import_has_no_heavy_side_effects():
    code = "import sys, indicators; print(any(m in sys.modules for m in ('dask', 'rasterio', 'xarray', 'geopandas')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_cli_without_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_every_lazy_name_resolves():
    for name in indicators._LAZY:
        assert getattr(indicators, name) is not None, name

"""Units at the boundary: parsing (pint and CF syntax), dimension checks, conversion factors."""

import pytest

from indicators.errors import UnitError
from indicators.units import check_dimension, conversion_factor, parse_unit


def test_cf_syntax_is_understood():
    # 1 kg m-2 s-1 of water = 1 mm/s = 86400 mm/day
    assert conversion_factor("kg m-2 s-1", "kg m-2 day-1") == pytest.approx(86400)
    assert conversion_factor("km2", "ha") == pytest.approx(100)
    assert conversion_factor("m", "mm") == pytest.approx(1000)


def test_domain_units():
    assert conversion_factor("t/ha", "t/km**2") == pytest.approx(100)
    assert str(parse_unit("USD")) == "USD"
    check_dimension("people", "person")
    check_dimension("percent", "1")


def test_bad_unit_names_the_place():
    with pytest.raises(UnitError, match=r"specs/x.yaml: unit 'furlongs per fortnightz'"):
        parse_unit("furlongs per fortnightz", where="specs/x.yaml")


def test_wrong_dimension():
    with pytest.raises(UnitError, match=r"precip: unit 'm' has dimension \[length\]"):
        check_dimension("m", "mm/month", where="precip")
    with pytest.raises(UnitError):
        conversion_factor("USD", "person")

"""An unknown edition, profile or overlay is one line naming what was asked and what exists."""

from __future__ import annotations

import pytest

from indicators import load_framework
from indicators.errors import SpecError


def one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and "do not validate" not in text and "<merged>" not in text
    return text


def test_unknown_edition_names_the_defined_ones():
    with pytest.raises(SpecError) as info:
        load_framework(edition="2024")
    assert one_line(info) == "edition '2024' is not defined; use one of 2022, 2026"
    with pytest.raises(SpecError, match="edition '1999' is not defined; use one of 2022, 2026"):
        load_framework(edition=1999)  # an int is accepted as for the defined editions
    assert load_framework(edition=2022).edition == "2022"


def test_unknown_profile_and_overlay_ids():
    with pytest.raises(SpecError) as info:
        load_framework(profile="nope")
    assert one_line(info) == ("profile 'nope' is not defined; use one of default, trends_earth, "
                              "or the path of a profile file (.yaml)")
    with pytest.raises(SpecError) as info:
        load_framework(overlay="nope")
    assert one_line(info).startswith("overlay 'nope' is not defined; use one of example_country, or the path of an")


def test_missing_overlay_and_profile_files(tmp_path):
    missing = tmp_path / "country.yaml"
    with pytest.raises(SpecError) as info:
        load_framework(overlay=missing)
    text = one_line(info)
    assert text.startswith(f"overlay file {missing} does not exist;") and "example_country" in text
    assert "Errno" not in text
    with pytest.raises(SpecError, match=r"profile file .*absent\.yml does not exist; .*default, trends_earth"):
        load_framework(profile=tmp_path / "absent.yml")


def test_an_edition_the_specs_do_not_define_in_a_copy(specs_copy):
    # with a private specs directory the known editions come from that directory
    with pytest.raises(SpecError, match="edition '2030' is not defined; use one of 2022, 2026"):
        load_framework(edition="2030", specs=specs_copy)

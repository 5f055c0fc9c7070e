"""The parameter land_cover.regional_matrices (D28) and the declaration of SO1-1's optional tables."""

from __future__ import annotations

import pytest

from indicators import load_framework
from indicators.errors import SpecError
from indicators.specs.parameter_model import MAX_REGIONAL_MATRICES, region_key


def _fw(regional):
    return load_framework("2026", parameters={"land_cover": {"regional_matrices": regional}})


def test_unset_by_default():
    assert load_framework("2026").parameters("land_cover").regional_matrices is None


def test_region_ids_are_text_whatever_the_yaml_key():
    """A YAML key 1 and a region id 1 of the file (also 1.0, as a shapefile's numeric field reads) are the same."""
    got = _fw({1: "lc_transition_default", "north": "lc_transition_default"}).parameters("land_cover").regional_matrices
    assert dict(got) == {"1": "lc_transition_default", "north": "lc_transition_default"}
    assert region_key(1.0) == region_key(1) == "1" and region_key("07") == "07"


def test_five_regions_are_allowed_six_are_not():
    """PRAIS26 introduction: 'up to five regional matrices'."""
    assert MAX_REGIONAL_MATRICES == 5
    five = {f"r{i}": "lc_transition_default" for i in range(5)}
    assert len(_fw(five).parameters("land_cover").regional_matrices) == 5
    with pytest.raises(SpecError) as err:
        _fw({**five, "r5": "lc_transition_default"})
    line = next(ln for ln in str(err.value).splitlines() if "regional_matrices" in ln)
    assert "6 regional matrices" in line and "at most 5 (PRAIS26)" in line and "keep at most 5 regions" in line


@pytest.mark.parametrize("matrix, message", [
    ("lc_transitions", "matrix 'lc_transitions' is not defined"),
    ("soc_land_use_factors", "the matrix of region 'south' is 'soc_land_use_factors', a factor matrix"),
])
def test_a_regional_matrix_must_be_a_transition_matrix(matrix, message):
    with pytest.raises(SpecError) as err:
        _fw({"north": "lc_transition_default", "south": matrix})
    line = next(ln for ln in str(err.value).splitlines() if "regional_matrices.south" in ln)
    assert message in line


def test_a_regional_matrix_with_an_invalid_meaning_is_refused(tmp_path):
    """An overlay's regional matrix is checked like every matrix: each value -1, 0 or 1."""
    import yaml

    rows = [[0, -1, -1, -1, -1, -1, 0], [1, 0, 1, -1, -1, -1, 0], [1, -1, 0, -1, -1, -1, 0], [-1, -1, -1, 0, -1, -1, 0],
            [1, 1, 1, 1, 0, 1, 0], [1, 1, 1, 1, -1, 0, 0], [0, 0, 0, 0, 0, 0, 3]]
    overlay = {"spec_version": 1, "kind": "overlay",
               "overlay": {"id": "t", "country": "XTA", "name": "t", "description": "t", "source": "t"},
               "matrices": [{"id": "coast", "name": "coast", "legend": "unccd_7class", "kind": "meaning", "source": "t",
                             "columns": [1, 2, 3, 4, 5, 6, 7],
                             "rows": [{"from": i, "values": v} for i, v in enumerate(rows, start=1)]}],
               "parameter_overrides": {"land_cover": {"regional_matrices": {"coast": "coast"}}}}
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(overlay, sort_keys=False))
    with pytest.raises(SpecError, match=r"matrices\[0\]\.rows\[6\]\.values\[6\]: transition meaning 3 is not -1, 0 or 1"):
        load_framework("2026", overlay=path)


@pytest.mark.parametrize("edition", ["2022", "2026"])
def test_the_regional_tables_are_declared_in_every_edition(edition):
    from indicators.specs.table_model import declaration

    fw = load_framework(edition)
    ind = fw.indicator("SO1-1")
    assert set(ind.optional_tables) == {"SO1-1.regions", "SO1-1.regional_matrices"}
    assert not set(ind.optional_tables) & set(ind.reporting_tables[edition])  # the demo, without regions, writes neither
    regions = declaration(fw, "SO1-1.regions")
    assert regions.unit_of("area_km2") == "km**2" and regions.unit_of("percent") == "percent"
    assert regions.unit_of("region") is None and declaration(fw, "SO1-1.regional_matrices") is not None

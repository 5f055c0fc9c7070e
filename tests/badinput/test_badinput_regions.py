"""Regional transition matrices (D28): regions and matrices that do not go together are refused.

Each case starts from the sample country with two regions, 'north' (admin unit XAV-01) and 'south' (XAV-05), in
``vectors/regions.gpkg`` (input ``land_cover_regions``, id field ``region_id``) and their matrices in the overlay
(``parameters land_cover.regional_matrices``), breaks one thing, and checks that ``run --check`` and the run refuse
it alike with one line naming the input or parameter, the file, the region and the fix (exit 2, nothing written).
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
import yaml
from shapely import affinity
from shapely.geometry import box

from .conftest import refused_alike

REGIONS = "inputs.land_cover_regions (regions.gpkg)"
PARAMETER = "parameters land_cover.regional_matrices"
DEFAULT_ROWS = [[0, -1, -1, -1, -1, -1, 0], [1, 0, 1, -1, -1, -1, 0], [1, -1, 0, -1, -1, -1, 0],
                [-1, -1, -1, 0, -1, -1, 0], [1, 1, 1, 1, 0, 1, 0], [1, 1, 1, 1, -1, 0, 0], [0, 0, 0, 0, 0, 0, 0]]


def _matrix(mid: str, tree_to_grass: int = 0) -> dict:
    rows = [list(r) for r in DEFAULT_ROWS]
    rows[0][1] = tree_to_grass
    return {"id": mid, "name": f"matrix {mid}", "legend": "unccd_7class", "kind": "meaning", "source": "test",
            "columns": [1, 2, 3, 4, 5, 6, 7], "rows": [{"from": i, "values": v} for i, v in enumerate(rows, start=1)]}


def write_regions(country, rows) -> None:
    """*rows*: (region id, geometry) written to data/vectors/regions.gpkg in the units' CRS."""
    units = gpd.read_file(country.data / "vectors" / "admin_units.gpkg", layer="admin_units")
    gdf = gpd.GeoDataFrame({"region_id": [r for r, _ in rows]}, geometry=[g for _, g in rows], crs=units.crs)
    path = country.data / "vectors" / "regions.gpkg"
    if path.exists():
        path.unlink()
    gdf.to_file(path)


def unit(country, uid: str):
    units = gpd.read_file(country.data / "vectors" / "admin_units.gpkg", layer="admin_units")
    return units.loc[units["unit_id"] == uid].geometry.iloc[0]


def set_overlay(country, matrices: dict, extra_matrices: list | None = None) -> None:
    """The overlay's regional matrices: *matrices* (region id -> matrix id) and the matrices it defines."""
    path = country.data / "overlay_arvelia.yaml"
    ov = yaml.safe_load(path.read_text(encoding="utf-8"))
    ov["matrices"] = [_matrix("mountain_matrix"), _matrix("coast_matrix", 1)] + list(extra_matrices or [])
    ov.setdefault("parameter_overrides", {})["land_cover"] = {"regional_matrices": matrices}
    path.write_text(yaml.safe_dump(ov, sort_keys=False), encoding="utf-8")


@pytest.fixture
def regions(country):
    """The sample country with two valid regions and their matrices."""
    write_regions(country, [("north", unit(country, "XAV-01")), ("south", unit(country, "XAV-05"))])
    set_overlay(country, {"north": "mountain_matrix", "south": "coast_matrix"})
    country.config["inputs"]["land_cover_regions"] = {"path": "vectors/regions.gpkg", "id_field": "region_id",
                                                      "source": "test regions"}
    country.save()
    return country


def test_valid_regions_pass_the_check(regions, capsys):
    from indicators.cli import main

    code = main(["run", str(regions.config_path), "--check"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "no problem found" in err


def test_overlapping_regions(regions, capsys):
    """Both regions take in the unit between them (XAV-03): they share its area."""
    middle = unit(regions, "XAV-03")
    write_regions(regions, [("north", shapely.union(unit(regions, "XAV-01"), middle)),
                            ("south", shapely.union(unit(regions, "XAV-05"), middle))])
    refused_alike(regions, capsys, REGIONS, "regions 'north' and 'south' overlap", "make the regions disjoint")


def test_region_without_a_matrix(regions, capsys):
    write_regions(regions, [("north", unit(regions, "XAV-01")), ("south", unit(regions, "XAV-05")),
                            ("east", unit(regions, "XAV-04"))])
    refused_alike(regions, capsys, REGIONS, "region 'east' (region_id) has no matrix in " + PARAMETER,
                  "add east: <matrix id> there")


def test_matrix_without_a_region(regions, capsys):
    set_overlay(regions, {"north": "mountain_matrix", "south": "coast_matrix", "west": "coast_matrix"})
    refused_alike(regions, capsys, PARAMETER + ": region 'west' (matrix coast_matrix) is no region of",
                  "regions.gpkg", "correct the region id or remove the entry")


def test_more_than_five_regional_matrices(regions, capsys):
    """Six regions in the parameter: the specs refuse it (PRAIS26 allows up to five)."""
    set_overlay(regions, {f"r{i}": "coast_matrix" for i in range(6)})
    refused_alike(regions, capsys, "regional_matrices: 6 regional matrices", "at most 5 (PRAIS26)",
                  "keep at most 5 regions")


def test_more_than_five_regions_in_the_file(regions, capsys):
    uids = ["XAV-01", "XAV-02", "XAV-03", "XAV-04", "XAV-05"]
    rows = [(f"r{i}", unit(regions, u)) for i, u in enumerate(uids)]
    rows.append(("r5", box(10.5, 45.0, 10.6, 45.1)))
    write_regions(regions, rows)
    set_overlay(regions, {f"r{i}": "coast_matrix" for i in range(5)})
    refused_alike(regions, capsys, REGIONS + ": 6 regions", "at most 5 regional matrices (PRAIS26)",
                  "merge regions")


def test_region_outside_the_rasters(regions, capsys):
    write_regions(regions, [("north", unit(regions, "XAV-01")),
                            ("south", affinity.translate(unit(regions, "XAV-05"), xoff=60))])
    refused_alike(regions, capsys, REGIONS, "features ['south']", "lie outside the extent of the rasters")


def test_region_outside_the_boundary(regions, capsys):
    """In the rasters' corner of sea, outside the country (the rasters cover lon 10.3-12.7, lat 44.4-46.2)."""
    write_regions(regions, [("north", unit(regions, "XAV-01")), ("south", box(10.31, 44.41, 10.4, 44.5))])
    refused_alike(regions, capsys, REGIONS, "region 'south' shares no area with the country boundary (boundary.gpkg)",
                  "correct its geometry")


def test_region_that_is_not_a_polygon(regions, capsys):
    write_regions(regions, [("north", unit(regions, "XAV-01")), ("south", unit(regions, "XAV-05").centroid)])
    refused_alike(regions, capsys, "inputs.land_cover_regions", "regions.gpkg", "features ['south']",
                  "Point, not polygons")


def test_regional_matrix_with_an_invalid_code(regions, capsys):
    bad = _matrix("mountain_matrix")
    bad["rows"][0]["values"][1] = 2
    path = regions.data / "overlay_arvelia.yaml"
    ov = yaml.safe_load(path.read_text(encoding="utf-8"))
    ov["matrices"][0] = bad
    path.write_text(yaml.safe_dump(ov, sort_keys=False), encoding="utf-8")
    refused_alike(regions, capsys, "overlay_arvelia.yaml", "matrices[0].rows[0].values[1]",
                  "transition meaning 2 is not -1, 0 or 1", "use -1 (degradation), 0 (stable) or 1 (improvement)")


def test_regional_matrix_that_is_not_a_transition_matrix(regions, capsys):
    set_overlay(regions, {"north": "mountain_matrix", "south": "soc_land_use_factors"})
    refused_alike(regions, capsys, "regional_matrices.south", "the matrix of region 'south' is 'soc_land_use_factors', "
                  "a factor matrix", "name a matrix with kind: meaning and legend: unccd_7class")


def test_regional_matrix_that_is_not_defined(regions, capsys):
    set_overlay(regions, {"north": "mountain_matrix", "south": "coastal_matrix"})
    refused_alike(regions, capsys, "regional_matrices.south", "matrix 'coastal_matrix' is not defined", "use one of")


def test_regions_without_an_id_field(regions, capsys):
    del regions.config["inputs"]["land_cover_regions"]["id_field"]
    regions.save()
    refused_alike(regions, capsys, "inputs.land_cover_regions: no id_field", "name the field holding each region's id")


def test_matrices_without_the_regions_input(regions, capsys):
    del regions.config["inputs"]["land_cover_regions"]
    regions.save()
    refused_alike(regions, capsys, PARAMETER + ": binds regions 'north', 'south' to matrices",
                  "inputs.land_cover_regions is not configured", "or remove the parameter")

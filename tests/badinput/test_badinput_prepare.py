"""`indicators prepare`: the output never onto, around or among the files it reads (D27, the run's own check).

An audit had `prepare -o global --overwrite --input soc_reference:2000=soilgrids_soc_0_30:global/ocs.tif ...` exit 0
and replace the folder holding its own inputs. Each case: exit 2, one line naming the input and the fix, no
traceback, nothing written, the files read unchanged."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from .conftest import problem_line, tree_hash

BOX = (11.0, 45.0, 11.5, 45.5)


def write_geotiff(path: Path, data: np.ndarray, nodata) -> Path:
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
                       dtype=data.dtype.name, crs="EPSG:4326", transform=from_origin(10.0, 47.0, 1 / 8, 1 / 8),
                       nodata=nodata) as dst:
        dst.write(data[None])
    return path


class Files:
    """``global/`` holds two dataset files shaped like the catalogue's, ``country/`` the boundary and admin units."""

    def __init__(self, root: Path):
        import geopandas as gpd
        from shapely.geometry import box

        self.root = root
        self.glob = root / "global"
        self.country = root / "country"
        self.glob.mkdir()
        self.country.mkdir()
        rng = np.random.default_rng(3)
        self.soc = write_geotiff(self.glob / "ocs.tif", rng.integers(20, 120, (24, 32)).astype("int16"), -32768)
        self.lpd = write_geotiff(self.glob / "lpd_baseline.tif", rng.integers(1, 6, (24, 32)).astype("uint8"), 0)
        self.boundary = self.country / "boundary.gpkg"
        gpd.GeoDataFrame({"name": ["Testland"]}, geometry=[box(*BOX)], crs="EPSG:4326").to_file(self.boundary)
        self.admin = self.country / "admin.gpkg"
        gpd.GeoDataFrame({"code": ["A"], "name": ["All"]}, geometry=[box(*BOX)], crs="EPSG:4326").to_file(self.admin)

    def argv(self, out: Path, *extra: str) -> list[str]:
        return ["prepare", "--country", "Testland", "-o", str(out), "--boundary", str(self.boundary),
                "--admin", str(self.admin), "--admin-id", "code", "--admin-name", "name", "--climate-factor", "0.8",
                "--input", f"lpd:baseline=jrc_lpd:{self.lpd}",
                "--input", f"soc_reference:2000=soilgrids_soc_0_30:{self.soc}", *extra]

    def refused(self, capsys, out: Path, *extra: str) -> str:
        """``indicators prepare ... -o OUT``: exit 2, one line, nothing written, the files read unchanged."""
        from indicators.cli import main

        before = tree_hash(self.root)
        listings = {d: sorted(os.listdir(d)) for d in (self.root, self.glob, self.country)}
        code = main(self.argv(out, *extra))
        err = capsys.readouterr().err
        assert "Traceback" not in err, err
        assert code == 2, err
        assert err.startswith("indicators: error: ") and len(err.strip().splitlines()) == 1, err
        assert tree_hash(self.root) == before, "a file prepare reads changed"
        assert {d: sorted(os.listdir(d)) for d in listings} == listings, "something was written"
        return err


@pytest.fixture
def files(tmp_path):
    return Files(tmp_path)


def test_prepare_output_is_the_folder_of_an_input_with_overwrite(files, capsys):
    """The audit's case: `-o global --overwrite` would have replaced the dataset files themselves."""
    err = files.refused(capsys, files.glob, "--overwrite")
    problem_line(err, "the output", str(files.glob), "contains input lpd[baseline]", str(files.lpd),
                 "--overwrite would destroy it", "choose an output directory outside the inputs")


def test_prepare_output_inside_the_folder_of_an_input(files, capsys):
    out = files.glob / "testland"
    err = files.refused(capsys, out, "--overwrite")
    problem_line(err, "the output", str(out), "is inside the folder of input lpd[baseline] (inputs live there)",
                 str(files.glob), "choose an output directory outside it")
    assert not out.exists()


def test_prepare_output_is_the_folder_of_the_boundary(files, capsys):
    err = files.refused(capsys, files.country, "--overwrite")
    problem_line(err, "the output", str(files.country), "contains the country boundary", str(files.boundary),
                 "--overwrite would destroy it")


def test_prepare_output_inside_the_folder_of_the_boundary_and_admin_units(files, capsys):
    out = files.country / "inputs"
    err = files.refused(capsys, out)
    problem_line(err, "the output", "is inside the folder of the country boundary (inputs live there)",
                 str(files.country))


def test_prepare_output_is_an_input_file(files, capsys):
    err = files.refused(capsys, files.soc, "--overwrite")
    problem_line(err, "the output", "is input soc_reference[2000]", str(files.soc))


def test_prepare_output_beside_the_folders_is_written(files, capsys):
    """The rule's other side: beside the folders of the files read, prepare writes its output."""
    from indicators.cli import main

    out = files.root / "testland-inputs"
    before = tree_hash(files.glob)
    assert main(files.argv(out)) == 0, capsys.readouterr().err
    assert (out / "run-config.yaml").is_file() and tree_hash(files.glob) == before

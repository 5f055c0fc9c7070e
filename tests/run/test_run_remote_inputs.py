"""Inputs at URLs: the sample rasters (COG) and NetCDF files served over HTTP from 127.0.0.1 by a server
started in the test, read by a multi-process cluster's workers, give the tables of the local files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from indicators.cli import main
from indicators.remote import RemotePath, is_url

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"
# inputs served over HTTP in the run below; the others stay local files
REMOTE_INPUTS = ("land_cover", "precipitation", "pet")
INDICATORS = ["SO1-1", "SO3-1"]


SERVER = Path(__file__).with_name("range_http_server.py")


@pytest.fixture(scope="module")
def sample_server():
    """The sample data directory over HTTP on 127.0.0.1 (ephemeral port), in its own process: GDAL holds
    the GIL while it waits for a server thread of the same process. Yields the base URL."""
    proc = subprocess.Popen([sys.executable, str(SERVER), str(SAMPLE)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _config(base_url: str, tmp_path: Path, **override: str) -> Path:
    cfg = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text(encoding="utf-8"))
    cfg["indicators"] = INDICATORS

    def local(p: str) -> str:
        return str(SAMPLE / p)

    cfg["country"]["boundary"] = local(cfg["country"]["boundary"])
    cfg["country"]["admin_units"]["path"] = local(cfg["country"]["admin_units"]["path"])
    cfg["overlay"] = local(cfg["overlay"])
    for name, spec in cfg["inputs"].items():
        to = (lambda p: f"{base_url}/{p}") if name in REMOTE_INPUTS else local
        spec["path"] = {k: to(v) for k, v in spec["path"].items()} if isinstance(spec["path"], dict) else to(spec["path"])
    for name, url in override.items():
        cfg["inputs"][name]["path"] = url
    path = tmp_path / "remote.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def test_remote_path_reads_like_a_path():
    p = RemotePath("https://example.org/data/lc_2000.tif")
    assert (p.name, p.suffix, p.stem) == ("lc_2000.tif", ".tif", "lc_2000")
    assert p.gdal_path() == "/vsicurl/https://example.org/data/lc_2000.tif"
    assert RemotePath("s3://bucket/key/x.nc").gdal_path() == "/vsis3/bucket/key/x.nc"
    assert is_url("s3://bucket/x.tif") and is_url("https://h/x.tif") and not is_url("/data/x.tif") and not is_url("C:/x.tif")


def test_inputs_served_over_http_on_a_multi_process_cluster_give_the_local_tables(sample_server, demo_output, tmp_path):
    distributed = pytest.importorskip("distributed", reason="requires optional dependency distributed")
    pytest.importorskip("aiohttp", reason="requires optional dependency aiohttp (fsspec HTTP, NetCDF at a URL)")
    config = _config(sample_server, tmp_path)
    out = tmp_path / "runs" / "out"
    out.parent.mkdir()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert main(["run", str(config), "-o", str(out), "--scheduler", cluster.scheduler_address, "--quiet"]) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
    tables = sorted(p.relative_to(out) for code in INDICATORS for p in (out / code).glob("*.csv"))
    assert tables
    for rel in tables:
        assert (out / rel).read_bytes() == (demo_output / rel).read_bytes(), rel
    inputs = json.loads((out / "provenance.json").read_text())["inputs"]
    lc = inputs["land_cover"]["files"]["2000"]
    assert lc["path"] == f"{sample_server}/land_cover/esa_cci_lc_2000.tif"
    assert lc["bytes"] == (SAMPLE / "land_cover" / "esa_cci_lc_2000.tif").stat().st_size


def test_a_missing_url_is_refused_naming_it(sample_server, tmp_path, capsys):
    url = f"{sample_server}/climate/no_such_file.nc"
    config = _config(sample_server, tmp_path, precipitation=url)
    out = tmp_path / "out"
    assert main(["run", str(config), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert url in err and "Traceback" not in err
    assert not out.exists()


def test_an_unreachable_server_is_refused_naming_it(tmp_path, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = _config(f"http://127.0.0.1:{port}", tmp_path)
    out = tmp_path / "out"
    assert main(["run", str(config), "-o", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "cannot reach" in err and "Traceback" not in err
    assert not out.exists()

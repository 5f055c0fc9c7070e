"""`indicators demo --scheduler` on multi-process dask.distributed clusters writes what a local run writes.

Two clusters whose workers are separate processes, so every graph is pickled and every input is opened by
the workers themselves: (a) a ``LocalCluster(processes=True)`` driven through ``main()`` in this process, on the
demo country's drought stages; (b) ``dask scheduler`` and two ``dask worker`` commands started as subprocesses on
127.0.0.1 (ephemeral ports), the whole demo through the command line. Each run is compared with a local run:
the same files, every CSV table byte for byte, every raster's values, grid and nodata; nothing is left beside the
output directory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from indicators.cli import main

from .conftest import drought_config

distributed = pytest.importorskip("distributed", reason="requires optional dependency distributed")

# the `indicators` command of the environment running the tests
_SCRIPT = Path(sys.executable).parent / "indicators"
INDICATORS = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "indicators.cli"]

# files whose content records the run itself (timings, the scheduler, the command line)
RUN_RECORDS = {"provenance.json", "report.html", "tables.json", "tables.xlsx"}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _tags(ds) -> dict[str, str]:
    return {k: v for k, v in ds.tags().items() if k != "source"}


def assert_same_outputs(local: Path, other: Path) -> None:
    import rasterio

    assert _files(other) == _files(local)
    csvs = sorted(_files(local) - RUN_RECORDS)
    tifs = [f for f in csvs if f.endswith(".tif")]
    assert tifs and any(f.endswith(".csv") for f in csvs)
    for rel in csvs:
        if rel.endswith(".csv") or rel.endswith(".yaml"):
            assert (other / rel).read_bytes() == (local / rel).read_bytes(), rel
    for rel in tifs:
        with rasterio.open(local / rel) as a, rasterio.open(other / rel) as b:
            assert (a.crs, a.transform, a.shape, a.dtypes) == (b.crs, b.transform, b.shape, b.dtypes), rel
            assert repr(a.nodatavals) == repr(b.nodatavals), rel  # repr: NaN equals NaN
            np.testing.assert_array_equal(a.read(), b.read(), err_msg=rel)  # NaN == NaN here
            # "source" may name a run's temporary intermediate file, different in every run
            assert _tags(a) == _tags(b), rel
    prov_local = json.loads((local / "provenance.json").read_text())
    prov_other = json.loads((other / "provenance.json").read_text())
    assert prov_other["indicators"] == prov_local["indicators"]
    assert sorted(prov_other["outputs"]) == sorted(prov_local["outputs"])


def test_drought_run_on_a_multi_process_local_cluster_equals_the_local_run(tmp_path, capsys):
    # `main([...])` in this process with a LocalCluster of worker processes (the Python caller's path); the SO3
    # stages of the demo country, so the graphs that reach the workers are the SO3 ones (the whole demo, SO1's
    # files written by the workers included, runs on the separately started cluster below)
    config, _ = drought_config(tmp_path)
    parent = tmp_path / "runs"
    parent.mkdir()
    assert main(["run", str(config), "-o", str(parent / "local"), "--quiet"]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert main(["run", str(config), "-o", str(parent / "out"), "--scheduler", cluster.scheduler_address,
                     "--quiet"]) == 0
    assert sorted(p.name for p in parent.iterdir()) == ["local", "out"]  # no scratch or staging file left beside them
    assert any(p.name.startswith("SO3-2") for p in (parent / "out").iterdir())
    assert_same_outputs(parent / "local", parent / "out")


def _terminate(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    for p in procs:
        try:
            p.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@pytest.fixture
def separate_cluster(tmp_path):
    """``dask scheduler`` + two ``dask worker`` processes on 127.0.0.1; yields the scheduler's address."""
    home = tmp_path / "cluster"
    home.mkdir()
    env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    sched_file = home / "scheduler.json"
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        log = open(home / "scheduler.log", "wb")
        logs.append(log)
        # `python -m distributed.cli.dask_scheduler` is the program behind `dask scheduler`
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                       "--port", "0", "--dashboard-address", ":0", "--scheduler-file", str(sched_file)],
                                      cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 60
        while not sched_file.is_file() or not sched_file.read_text().strip():
            assert procs[0].poll() is None and time.monotonic() < deadline, (home / "scheduler.log").read_text()
            time.sleep(0.2)
        time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        for i in range(2):
            log = open(home / f"worker{i}.log", "wb")
            logs.append(log)
            procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                           "--host", "127.0.0.1", "--dashboard-address", ":0", "--name", f"w{i}"],
                                          cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT))
        with distributed.Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=120)
            assert len(client.scheduler_info()["workers"]) == 2
        yield address
    finally:
        _terminate(procs[::-1])
        for log in logs:
            log.close()


def test_demo_on_separately_started_scheduler_and_workers_equals_the_local_run(demo_output, separate_cluster, tmp_path):
    parent = tmp_path / "runs"
    parent.mkdir()
    # the command line as a user types it, progress output on
    done = subprocess.run([*INDICATORS, "demo", "-o", "out", "--scheduler", separate_cluster],
                          cwd=parent, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    stages = [ln for ln in lines if ln.startswith("[")]
    assert stages and stages[-1].startswith(f"[{len(stages)}/{len(stages)}]"), lines[-20:]
    assert sum("done in" in ln for ln in lines) == len(stages)
    assert sorted(p.name for p in parent.iterdir()) == ["out"]
    assert_same_outputs(demo_output, parent / "out")


def test_unreachable_scheduler_is_one_line_exit_2_and_no_output(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    done = subprocess.run([*INDICATORS, "demo", "-o", "out", "--scheduler", address],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    err = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and address in err[0] and "check the address" in err[0], done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []

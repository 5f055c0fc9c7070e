"""A dask cluster whose workers cannot read an input, or lose a worker mid-run (issue 10, "Bad input gets").

A ``LocalCluster(processes=True)``: the workers are separate processes that open the inputs themselves. The
run either fails cleanly (exit 2, one line naming the file or the worker and what to check, no output and
nothing left beside it) or completes through dask's retry; never a hang, never a traceback."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
import yaml

from indicators.cli import main

distributed = pytest.importorskip("distributed", reason="requires optional dependency distributed")

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def _drought_config(tmp_path: Path) -> tuple[Path, Path]:
    """The demo country with only its precipitation and population (SO3-1, SO3-2: a quick run), copied to *tmp_path*;
    returns the configuration and one of the GeoTIFFs the workers open."""
    cfg = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text())
    cfg["country"]["boundary"] = str(SAMPLE / cfg["country"]["boundary"])
    cfg["country"]["admin_units"]["path"] = str(SAMPLE / cfg["country"]["admin_units"]["path"])
    cfg["overlay"] = str(SAMPLE / cfg["overlay"])
    precip = tmp_path / "inputs" / "precip_monthly.nc"
    precip.parent.mkdir()
    shutil.copy(SAMPLE / cfg["inputs"]["precipitation"]["path"], precip)
    inputs = {"precipitation": dict(cfg["inputs"]["precipitation"], path=str(precip))}
    for sex in ("total", "female", "male"):
        name = f"population_{sex}"
        for year in cfg["inputs"][name]["years"]:
            shutil.copy(SAMPLE / "population" / f"{name}_{year}.tif", precip.parent)
        inputs[name] = dict(cfg["inputs"][name], path=str(precip.parent / f"{name}_{{year}}.tif"))
    cfg["inputs"] = inputs
    path = precip.parent / "config.yaml"  # beside its inputs; the outputs go to tmp_path/runs (D27)
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path, precip.parent / "population_total_2020.tif"


def test_an_input_the_workers_cannot_read_is_one_line_exit_2_and_no_output(tmp_path, capsys, monkeypatch):
    import indicators.engine.session as session

    config, lost = _drought_config(tmp_path)
    checked = session.prepare

    def prepare_then_lose_the_file(*args, **kwargs):
        # every check passed (as `--check` would): the file disappears before the workers open it
        prep = checked(*args, **kwargs)
        lost.unlink()
        return prep

    monkeypatch.setattr(session, "prepare", prepare_then_lose_the_file)
    parent = tmp_path / "runs"
    parent.mkdir()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        capsys.readouterr()
        code = main(["run", str(config), "-o", str(parent / "out"), "--scheduler", cluster.scheduler_address, "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "population_total_2020.tif" in err and "every worker sees the input files" in err
    assert list(parent.iterdir()) == []  # no output, no staging, no scratch


def test_a_worker_killed_mid_run_fails_cleanly_or_completes(tmp_path, capsys):
    config, _ = _drought_config(tmp_path)
    parent = tmp_path / "runs"
    parent.mkdir()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        killer_client = distributed.Client(cluster.scheduler_address, set_as_default=False)
        stop = threading.Event()

        def kill_a_busy_worker() -> None:
            # once tasks run, kill one worker process (as the OOM killer would)
            while not stop.wait(0.05):
                busy = [w for w, n in killer_client.processing().items() if n]
                if busy:
                    killer_client.run(lambda: __import__("os")._exit(1), workers=busy[:1], wait=False)
                    return

        killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
        killer.start()
        try:
            capsys.readouterr()
            code = main(["run", str(config), "-o", str(parent / "out"), "--scheduler", cluster.scheduler_address, "--quiet"])
        finally:
            stop.set()
            killer.join(5)
            killer_client.close()
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    if code == 0:  # dask retried the lost tasks on the other worker
        assert sorted(p.name for p in parent.iterdir()) == ["out"]
        assert (parent / "out" / "provenance.json").is_file()
    else:
        assert code == 2 and len(err.strip().splitlines()) == 1 and "dask worker" in err, err
        assert list(parent.iterdir()) == []

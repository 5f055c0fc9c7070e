"""A dask cluster whose workers cannot read an input, or lose a worker mid-run (issue 10, "Bad input gets").

A ``LocalCluster(processes=True)``: the workers are separate processes that open the inputs themselves. The
run either fails cleanly (exit 2, one line naming the file or the worker and what to check, no output and
nothing left beside it) or completes through dask's retry; never a hang, never a traceback."""

from __future__ import annotations

import threading

import pytest

from indicators.cli import main

from .conftest import drought_config

distributed = pytest.importorskip("distributed", reason="requires optional dependency distributed")


def test_an_input_the_workers_cannot_read_is_one_line_exit_2_and_no_output(tmp_path, capsys, monkeypatch):
    import indicators.engine.session as session

    config, lost = drought_config(tmp_path)
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
    config, _ = drought_config(tmp_path)
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

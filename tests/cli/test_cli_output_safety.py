"""Outputs never touch inputs; one run per output; SIGTERM/SIGHUP leave nothing behind (issue 15 §3)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from indicators.cli import main
from indicators.report.atomic import MARKER, output_lock, remove_stale_staging

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"


def _run(capsys, *argv):
    code = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize("out, words", [
    (SAMPLE, ["contains", "sample_data", "--overwrite would destroy it"]),
    (SAMPLE / "land_cover", ["contains input land_cover", "land_cover"]),
    (SAMPLE / "vectors" / "boundary.gpkg" / "x", ["is inside the country boundary"]),
    (ROOT / "specs" / "out", ["is inside the specs directory"]),
    (ROOT / "specs", ["is the specs directory"]),
])
def test_demo_output_onto_or_among_inputs_is_refused_before_computing(out, words, capsys):
    parent = out.parent if out.parent.is_dir() else out.parent.parent
    before = sorted(os.listdir(parent))
    code, err = _run(capsys, "demo", "-o", str(out), "--overwrite")
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    for w in words:
        assert w in err, (w, err)
    assert sorted(os.listdir(parent)) == before


def test_output_is_or_contains_the_current_or_home_directory(tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    code, err = _run(capsys, "demo", "-o", ".", "--overwrite")
    assert code == 2 and "is the current directory" in err
    code, err = _run(capsys, "demo", "-o", str(tmp_path), "--overwrite")
    assert code == 2 and "contains the current directory" in err
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    code, err = _run(capsys, "demo", "-o", str(tmp_path / "home"), "--overwrite")
    assert code == 2 and "is the home directory" in err
    assert sorted(os.listdir(tmp_path)) == ["home", "work"] and not os.listdir(work)


def test_config_folder_with_inputs_may_neither_be_nor_hold_the_output():
    """Issue 15 §3, D27: the configuration's folder holding its inputs is an input folder; beside it is fine."""
    from indicators.config import load_config, input_locations
    from indicators.errors import InputError
    from indicators.report.atomic import check_output_location

    loaded = load_config(SAMPLE / "demo_config.yaml")  # its inputs live in its folder
    protected = input_locations(loaded)
    assert ("the configuration's folder (inputs live there)", SAMPLE, True) in protected
    check_output_location(ROOT / "demo-out", protected)  # the README's `indicators demo -o demo-out`: fine
    with pytest.raises(InputError, match="contains"):
        check_output_location(SAMPLE, protected)
    with pytest.raises(InputError, match=r"is inside the configuration's folder \(inputs live there\) .*sample_data"):
        check_output_location(SAMPLE / "results", protected)


def test_config_folder_without_inputs_may_hold_the_output(tmp_path):
    """A configuration whose inputs live elsewhere: its folder is no input folder (the file itself stays protected)."""
    from indicators.config import load_config, input_locations
    from indicators.report.atomic import check_output_location

    cfg = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text(encoding="utf-8"))
    cfg["country"]["boundary"] = str(SAMPLE / cfg["country"]["boundary"])
    cfg["country"]["admin_units"]["path"] = str(SAMPLE / cfg["country"]["admin_units"]["path"])
    cfg["overlay"] = str(SAMPLE / cfg["overlay"])
    for spec in cfg["inputs"].values():
        p = spec["path"]
        spec["path"] = {k: str(SAMPLE / v) for k, v in p.items()} if isinstance(p, dict) else str(SAMPLE / p)
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    protected = input_locations(load_config(tmp_path / "run.yaml"))
    assert not any(label.startswith("the configuration's folder") for label, _, _ in protected)
    check_output_location(tmp_path / "results", protected)


def test_second_run_into_a_locked_output_is_refused(tmp_path, capsys):
    out = tmp_path / "OUT"
    with output_lock(out):
        code, err = _run(capsys, "demo", "-o", str(out))
    assert code == 2 and "another indicators run is writing the output" in err and f"pid {os.getpid()}" in err
    assert sorted(os.listdir(tmp_path)) == []  # the lock file is gone with the lock


def test_stale_staging_is_removed_only_with_its_marker(tmp_path):
    out = tmp_path / "OUT"
    marked = tmp_path / ".OUT.staging-abc"
    marked.mkdir()
    (marked / MARKER).write_text(json.dumps({"output": str(out), "role": "staging"}))
    (marked / "scratch").mkdir()
    unmarked = tmp_path / ".OUT.partial-xyz"  # same pattern of name, no marker: not ours to remove
    unmarked.mkdir()
    other = tmp_path / ".OUT.staging-def"  # marker of another output
    other.mkdir()
    (other / MARKER).write_text(json.dumps({"output": str(tmp_path / "OTHER"), "role": "staging"}))
    old = tmp_path / ".OUT.old-1"  # an interrupted --overwrite: the previous output is put back
    (old / "OUT").mkdir(parents=True)
    (old / "OUT" / "table.csv").write_text("a\n1\n")
    (old / MARKER).write_text(json.dumps({"output": str(out), "role": "old"}))
    removed = remove_stale_staging(out)
    assert sorted(p.name for p in removed) == [".OUT.old-1", ".OUT.staging-abc"]
    assert sorted(os.listdir(tmp_path)) == [".OUT.partial-xyz", ".OUT.staging-def", "OUT"]
    assert (out / "table.csv").read_text() == "a\n1\n"


def _wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_mid_run_leaves_nothing_behind(sig, tmp_path, capsys):
    """The real CLI in a subprocess: a concurrent run is refused; the signal ends the run with 128+n, and
    neither the output's parent nor the (TMPDIR-scoped) temporary directory keeps anything."""
    parent = tmp_path / "results"
    parent.mkdir()
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    out = parent / "OUT"
    proc = subprocess.Popen([sys.executable, "-m", "indicators.cli", "demo", "-o", str(out)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: any(p.name.startswith(".OUT.staging-") for p in parent.iterdir()), 120), \
            proc.stderr.read() if proc.poll() is not None else "no staging directory"
        code, err = _run(capsys, "demo", "-o", str(out))
        assert code == 2 and "another indicators demo is writing the output" in err  # the command holding it
        time.sleep(4)  # into the computation
        assert proc.poll() is None, "the demo finished before the signal: make the wait shorter"
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, stderr
    assert "Traceback" not in stderr
    assert f"stopped by {signal.Signals(sig).name}" in stderr
    assert os.listdir(parent) == []
    assert os.listdir(tmpdir) == []

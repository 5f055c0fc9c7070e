"""The package as a user installs it: a wheel built from the sources, installed into a new virtual
environment, used from a directory unrelated to the repository.

The new environment sees the heavy dependencies of the environment running the tests through a
``.pth`` line (so nothing is downloaded), but not its ``.pth`` files: an editable install of this
checkout there stays invisible. The repository is never on ``sys.path`` of the installed commands.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "data" / "demo_golden"
# everything a fresh clone has that the build needs; build outputs and environments left out
SOURCE_IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
                                       "tests", "benchmarks", "out", "demo-out", ".pytest_cache", ".hypothesis")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "INDICATORS_SPECS_DIR", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def _run(cmd: list[str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=_clean_env(), **kw)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> Path:
    """``pip wheel`` on a copy of the sources (the build writes build/ and *.egg-info beside them)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(REPO, src, ignore=SOURCE_IGNORE)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(src)], cwd=tmp)
    (wheel,) = (tmp / "dist").glob("unccd_indicators-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(built_wheel, tmp_path_factory) -> dict[str, Path]:
    """A new virtual environment with the wheel installed (not editable)."""
    tmp = tmp_path_factory.mktemp("venv")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp)
    python = venv / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp).stdout.strip())
    # the running environment's site-packages as plain path entries (their .pth files are not processed)
    parents = [p for p in site.getsitepackages() + [site.getusersitepackages()] if Path(p).is_dir()]
    (purelib / "zz_test_dependencies.pth").write_text("\n".join(parents) + "\n", encoding="utf-8")
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(built_wheel)], cwd=tmp)
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    return {"python": python, "indicators": venv / "bin" / "indicators", "cwd": elsewhere, "purelib": purelib,
            "dependencies": [Path(p).resolve() for p in parents]}


def test_wheel_carries_every_spec_and_sample_file(built_wheel):
    names = set(zipfile.ZipFile(built_wheel).namelist())
    for top in ("specs", "sample_data"):
        want = {f"indicators/_data/{top}/{p.relative_to(REPO / top).as_posix()}"
                for p in (REPO / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
        assert want, top
        assert want <= names, sorted(want - names)[:5]
    assert "indicators/_data/docs/decisions.md" in names


def test_installed_package_is_the_wheel_not_the_checkout(installed):
    code = ("import sys, indicators; fw = indicators.load_framework(); "
            "print(indicators.__file__); print(len(fw.indicators)); print('\\n'.join(sys.path))")
    out = _run([str(installed["python"]), "-c", code], cwd=installed["cwd"]).stdout.splitlines()
    assert Path(out[0]).resolve().is_relative_to(installed["purelib"].resolve()), out[0]
    assert int(out[1]) > 0
    repo = REPO.resolve()
    for entry in out[2:]:
        # the dependency directories may sit inside a checkout (a developer's .venv); nothing else may
        if entry and Path(entry).resolve() not in installed["dependencies"]:
            path = Path(entry).resolve()
            assert path != repo and not path.is_relative_to(repo), f"the repository is on sys.path: {entry}"


def test_installed_validate_from_an_unrelated_directory(installed):
    _run([str(installed["indicators"]), "validate"], cwd=installed["cwd"])  # exit 0: the shipped specs are clean


def test_installed_demo_from_an_unrelated_directory_writes_the_golden_tables(installed):
    _run([str(installed["indicators"]), "demo", "-o", "out"], cwd=installed["cwd"], timeout=1200)
    out = installed["cwd"] / "out"
    config = (out / "run-config.yaml").read_text(encoding="utf-8")
    assert "indicators/_data/sample_data" in config  # the installed copy was read, not the checkout's
    assert str(REPO.resolve()) not in config
    goldens = sorted(GOLDEN.rglob("*.csv"))
    assert len(goldens) >= 60
    for g in goldens:
        rel = g.relative_to(GOLDEN)
        assert (out / rel).is_file(), f"{rel} not written by the installed demo"
        got = pd.read_csv(out / rel, keep_default_na=False)
        want = pd.read_csv(g, keep_default_na=False)
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-10, atol=0, obj=str(rel))


def test_installed_catalog_prints_and_never_writes_into_the_package(installed):
    # from a wheel the specs sit in site-packages: `catalog` wrote docs/catalog.md there and `--check` called the
    # missing file stale (exit 1)
    before = sorted(p for p in installed["purelib"].rglob("*") if "__pycache__" not in p.parts)
    done = _run([str(installed["indicators"]), "catalog"], cwd=installed["cwd"])
    assert "SO3-2" in done.stdout and "SO1-4" in done.stdout
    assert sorted(p for p in installed["purelib"].rglob("*") if "__pycache__" not in p.parts) == before
    check = subprocess.run([str(installed["indicators"]), "catalog", "--check"], cwd=installed["cwd"], capture_output=True,
                           text=True, env=_clean_env())
    assert check.returncode == 2 and "pass -o FILE" in check.stderr and "Traceback" not in check.stderr, check.stderr
    (installed["cwd"] / "cat.md").write_text(done.stdout, encoding="utf-8")
    _run([str(installed["indicators"]), "catalog", "--check", "-o", "cat.md"], cwd=installed["cwd"])

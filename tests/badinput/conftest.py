"""The bad-input suite (issue 15 §7): a copy of the sample country per case, one thing broken, the real
command line; every case must exit 2 with one clear line, no traceback, no output, inputs unchanged."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
import yaml

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def tree_hash(root: Path) -> str:
    """sha256 over every file's relative path and bytes (what 'unchanged inputs' means)."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


class Country:
    """The sample country copied into a temporary folder: ``data/`` holds inputs and the configuration."""

    def __init__(self, tmp_path: Path):
        self.root = tmp_path
        self.data = tmp_path / "data"
        shutil.copytree(SAMPLE, self.data, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        self.config_path = self.data / "demo_config.yaml"
        self.config = yaml.safe_load(self.config_path.read_text(encoding="utf-8"))
        self.out = tmp_path / "OUT"

    def save(self) -> Path:
        self.config_path.write_text(yaml.safe_dump(self.config, sort_keys=False), encoding="utf-8")
        return self.config_path

    def run(self, capsys, *extra: str, out: Path | str | None = None) -> tuple[int, str]:
        """``indicators run CONFIG -o OUT`` on the current files; checks what every case must hold."""
        from indicators.cli import main

        before = tree_hash(self.data)
        listing = sorted(os.listdir(self.root))
        target = str(out if out is not None else self.out)
        code = main(["run", str(self.config_path), "-o", target, *extra])
        err = capsys.readouterr().err
        assert "Traceback" not in err, err
        assert code == 2, err
        assert err.startswith("indicators: error: "), err
        assert not self.out.exists(), "an output directory was written"
        assert sorted(os.listdir(self.root)) == listing, "something was left beside the output"
        assert tree_hash(self.data) == before, "an input changed"
        return code, err


@pytest.fixture
def country(tmp_path):
    return Country(tmp_path)


def problem_line(err: str, *words: str) -> str:
    """The one line of *err* holding the first word; it must hold all the others."""
    lines = [ln for ln in err.splitlines() if words[0] in ln]
    assert len(lines) >= 1, (words[0], err)
    for w in words[1:]:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def refused_alike(country: Country, capsys, *words: str) -> str:
    """``run --check`` and the run both refuse the current files with the same line holding *words*."""
    _, checked = country.run(capsys, "--check")
    _, ran = country.run(capsys)
    line = problem_line(checked, *words)
    assert line == problem_line(ran, *words)
    return line

"""Fixtures for the spec tests: a private copy of specs/ that a test may break."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture()
def specs_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "specs"
    shutil.copytree(SPECS, dst)
    return dst

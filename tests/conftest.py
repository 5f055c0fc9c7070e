"""Shared test fixtures: paths to the repository, its specs and ../shared reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SPECS = REPO / "specs"
SAMPLE_DATA = REPO / "sample_data"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():  # CI always has ../shared beside the clone
        pytest.fail(f"reference data directory {SHARED} is missing: clone the repository beside ../shared")
    return SHARED

"""Shared test fixtures: paths to the repository, its specs and the reference data in tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SPECS = REPO / "specs"
SAMPLE_DATA = REPO / "sample_data"
DATA = REPO / "tests" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def spi_reference_dir() -> Path:
    """climate_indices' SPI fixtures (tests/data/spi_reference/README.md: source, licence, checksums)."""
    return DATA / "spi_reference"


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory) -> Path:
    """``indicators demo`` on local threads, once per session; tests read it and never change it."""
    from indicators.cli import main

    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["demo", "-o", str(out), "--quiet"]) == 0
    return out

"""Shared settings for the SO2/SO4/SO5 table and vector tests."""

from __future__ import annotations

from pathlib import Path

import pytest

TREND = {"trend_tolerance": 0.05, "trend_method": "sen"}


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write *text* (dedented lines) to a CSV file and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text("\n".join(line.strip() for line in text.strip().splitlines()) + "\n", encoding="utf-8")
        return path

    return _write

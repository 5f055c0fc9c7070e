"""check_output_dir probes the output's place by creating a directory there, and names a file in the way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indicators.errors import InputError
from indicators.report.atomic import check_output_dir


def test_writable_place_is_accepted_and_the_probe_leaves_nothing(tmp_path):
    out = tmp_path / "OUT"
    assert check_output_dir(out, overwrite=False) == out
    assert os.listdir(tmp_path) == []  # neither OUT nor the probe directory


def test_unwritable_place_is_refused_even_for_root(tmp_path):
    # /proc refuses new directories whatever the permission bits (which do not stop root)
    if not Path("/proc").is_dir():
        pytest.skip("requires optional dependency: a /proc file system")
    with pytest.raises(InputError, match=r"cannot write in /proc\b.*-o/--output"):
        check_output_dir("/proc/indicators-out", overwrite=False)


def test_parent_that_is_a_file_is_named_as_a_file(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for out in (afile / "OUT", afile / "deeper" / "OUT"):
        with pytest.raises(InputError) as info:
            check_output_dir(out, overwrite=False)
        message = str(info.value)
        assert f"{afile} is a file" in message and "-o/--output" in message
        assert "first" not in message  # no advice to create a directory where a file is


def test_missing_parent_says_create_it(tmp_path):
    with pytest.raises(InputError, match="does not exist: create .*missing first"):
        check_output_dir(tmp_path / "missing" / "OUT", overwrite=False)


def test_existing_output_needs_overwrite(tmp_path):
    out = tmp_path / "OUT"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="--overwrite"):
        check_output_dir(out, overwrite=False)
    assert check_output_dir(out, overwrite=True) == out
    assert sorted(os.listdir(tmp_path)) == ["OUT"] and os.listdir(out) == ["keep.txt"]

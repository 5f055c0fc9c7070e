"""The output location: never onto, around or among the inputs (refused before computing)."""

from __future__ import annotations

from .conftest import problem_line


def test_output_is_the_data_folder(country, capsys):
    country.save()
    _, err = country.run(capsys, "--overwrite", out=country.data)
    problem_line(err, "the output", "contains", "--overwrite would destroy it")


def test_output_is_an_input_folder(country, capsys):
    country.save()
    _, err = country.run(capsys, "--overwrite", out=country.data / "land_cover")
    problem_line(err, "contains input land_cover", "land_cover")


def test_output_is_the_configuration_file(country, capsys):
    country.save()
    _, err = country.run(capsys, "--overwrite", out=country.config_path)
    problem_line(err, "the output", "the run configuration")


def test_output_inside_an_input_file_path(country, capsys):
    country.save()
    _, err = country.run(capsys, out=country.data / "vectors" / "boundary.gpkg" / "OUT")
    problem_line(err, "is inside the country boundary")


def test_output_is_the_current_directory(country, capsys, monkeypatch):
    country.save()
    work = country.root / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    try:
        _, err = country.run(capsys, "--overwrite", out=".")
    finally:
        monkeypatch.chdir(country.root)
        work.rmdir()
    problem_line(err, "is the current directory")


def test_output_contains_the_home_directory(country, capsys, monkeypatch):
    country.save()
    home = country.data / "land_cover"
    monkeypatch.setenv("HOME", str(home))
    # the data folder contains both an input and HOME; the message names one of them
    _, err = country.run(capsys, "--overwrite", out=country.data)
    problem_line(err, "the output", "contains")


def test_output_contains_the_data_folder(country, capsys):
    country.save()
    _, err = country.run(capsys, "--overwrite", out=country.root)
    problem_line(err, "the output", "contains")


def test_output_is_an_input_file(country, capsys):
    country.save()
    _, err = country.run(capsys, "--overwrite", out=country.data / "soc" / "soc_reference_2000.tif")
    problem_line(err, "the output", "soc_reference_2000.tif")


def test_output_is_the_home_directory(country, capsys, monkeypatch):
    country.save()
    home = country.root / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    try:
        _, err = country.run(capsys, "--overwrite", out=home)
    finally:
        home.rmdir()
    problem_line(err, "the output", "home")


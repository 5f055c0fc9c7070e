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



def test_output_inside_the_configuration_folder_holding_inputs(country, capsys):
    """Issue 15 §3 (D27): the folder of a configuration whose inputs live in it is an input folder; an output
    below it is refused by `run --check` and the run alike, one line naming the output, the folder and the fix."""
    country.save()
    out = country.data / "results"
    _, checked = country.run(capsys, "--check", out=out)
    _, ran = country.run(capsys, out=out)
    line = problem_line(ran, "the output", str(out), "is inside the configuration's folder (inputs live there)",
                        str(country.data), "choose an output directory outside it")
    assert problem_line(checked, "the output") == line
    assert not out.exists()


def test_compare_refuses_an_output_among_either_runs_inputs(country, capsys):
    """`indicators compare` makes the same check over both configurations, before reading anything else."""
    from indicators.cli import main

    from .conftest import tree_hash

    country.save()
    before = tree_hash(country.data)
    for out, words in ((country.data / "comparison", ["is inside the configuration's folder (inputs live there)"]),
                       (country.data / "land_cover", ["contains input land_cover", "--overwrite would destroy it"])):
        code = main(["compare", str(country.config_path), str(country.config_path), "-o", str(out), "--overwrite"])
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        problem_line(err, "the output", *words)
    assert not (country.data / "comparison").exists() and tree_hash(country.data) == before


def test_output_beside_the_configuration_folder_is_accepted_by_check(country, capsys):
    """The rule's other side: a sibling of the inputs' folder passes `run --check` (nothing written)."""
    from indicators.cli import main

    country.save()
    assert main(["run", str(country.config_path), "--check", "-o", str(country.out)]) == 0, capsys.readouterr().err
    assert not country.out.exists()

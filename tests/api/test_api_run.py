"""``indicators.run``: the whole framework from Python, nothing written until ``Run.write``.

Expected values: the golden demo tables (tests/data/demo_golden, written by the CLI at a56a3d2) and the
CLI's own output of the same configuration (tests/conftest.py::demo_output).
"""

from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd
import pytest
import yaml

import indicators

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_data"
GOLDEN = REPO / "tests" / "data" / "demo_golden"


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file below *folder* with its size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def result_files(run: indicators.Run) -> list[Path]:
    """The temporary directories the result owns (intermediate rasters of the SO1 one-pass step)."""
    return [store.directory for store in run.result.__dict__.get("_stores", [])]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("cwd")
    before = snapshot(SAMPLE)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)
        run = indicators.run(SAMPLE / "demo_config.yaml")
    yield run, cwd, before
    run.close()


def test_the_demo_sdg_table_is_computed_without_writing_anything(demo_run):
    run, cwd, before = demo_run
    assert list(cwd.iterdir()) == []  # nothing in the current directory
    assert snapshot(SAMPLE) == before  # nothing in the configuration's folder
    got = run.tables["SO1-4.T1"]
    want = pd.read_csv(GOLDEN / "SO1-4" / "SO1-4.T1.csv", keep_default_na=False, na_values=[""])
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_exact=False, rtol=1e-6, check_dtype=False)
    assert got.attrs["units"] == {"area_km2": "km**2", "percent_of_land": "percent", "percent_of_land_with_data": "percent"}
    assert got.attrs["title"] and got.attrs["notes"] and got.attrs["indicator"] == "SO1-4"
    # every layer a lazy, labelled Dataset with the CRS; SDG 15.3.1 per period
    sdg = run.layers["SO1-4"]
    assert sdg.rio.crs.to_epsg() == 4326
    assert "sdg_15_3_1" in sdg and sdg["sdg_15_3_1"].chunks is not None
    assert list(sdg["period"].values) == ["baseline", "report_1", "report_2"]
    assert "flag_values" in sdg["sdg_15_3_1"].attrs
    # skipped with a reason; provenance without outputs until written
    assert run.skipped and all(run.skipped.values())
    assert set(run.indicators).isdisjoint(run.skipped)
    prov = run.provenance
    assert prov["outputs"] == [] and prov["indicators"]["computed"] == run.indicators


def test_write_gives_the_cli_output(demo_run, demo_output, tmp_path):
    run = demo_run[0]
    out = run.write(tmp_path / "out")
    mine = sorted(p.relative_to(out) for p in out.rglob("*.csv"))
    cli = sorted(p.relative_to(demo_output) for p in demo_output.rglob("*.csv"))
    assert mine == cli and len(mine) >= 60
    for rel in mine:
        pd.testing.assert_frame_equal(pd.read_csv(out / rel, keep_default_na=False),
                                      pd.read_csv(demo_output / rel, keep_default_na=False), obj=str(rel))
    assert sorted(p.relative_to(out) for p in out.rglob("*.tif")) == sorted(
        p.relative_to(demo_output) for p in demo_output.rglob("*.tif"))
    for rel in ("report.html", "provenance.json", "tables.xlsx", "tables.json", "run-config.yaml"):
        assert (out / rel).is_file(), rel
    assert run.provenance["outputs"]  # now names the files written


def test_write_refuses_an_output_among_the_inputs(demo_run):
    with pytest.raises(indicators.IndicatorsError, match="input|configuration"):
        demo_run[0].write(SAMPLE)


def test_a_dict_config_and_the_result_owns_its_temporary_files(tmp_path, monkeypatch):
    data = yaml.safe_load((SAMPLE / "demo_config.yaml").read_text())
    data["indicators"] = ["SO1-4"]
    before = snapshot(SAMPLE)
    monkeypatch.chdir(SAMPLE)  # a dict's relative paths start at the current directory
    with indicators.run(data) as run:
        assert run.indicators == ["SO1-4"]
        scratch = result_files(run)
        assert scratch and all(d.is_dir() and not d.is_relative_to(SAMPLE) for d in scratch)
        table = run.tables["SO1-4.T1"]
        want = pd.read_csv(GOLDEN / "SO1-4" / "SO1-4.T1.csv", keep_default_na=False, na_values=[""])
        pd.testing.assert_frame_equal(table.reset_index(drop=True), want, check_exact=False, rtol=1e-6,
                                      check_dtype=False)
    assert not any(d.exists() for d in scratch)  # removed on leaving the with block
    assert snapshot(SAMPLE) == before
    with pytest.raises(indicators.ArgumentError, match="closed"):
        run.write(tmp_path / "out")

    # without a with block: removed when the result is garbage-collected
    run = indicators.run(data, edition="2026")
    scratch = result_files(run)
    assert scratch and all(d.is_dir() for d in scratch)
    del run
    gc.collect()
    assert not any(d.exists() for d in scratch)


def test_a_config_that_is_not_one_is_refused():
    with pytest.raises(indicators.ArgumentError, match="config"):
        indicators.run(42)  # type: ignore[arg-type]
    with pytest.raises(indicators.IndicatorsError, match="country"):
        indicators.run({"inputs": {}})


def test_every_table_carries_its_declaration_from_the_specs(demo_run):
    """Issue 17: ``df.attrs["declaration"]`` is the specs' declaration of the table (read here from the YAML files,
    not from the run), every reporting table of the edition has one, and each column's unit is the declared one."""
    from indicators import load_framework
    from indicators.specs.loader import specs_dir

    run, _, _ = demo_run
    fw = load_framework()
    raw: dict[str, dict] = {}
    for path in sorted(Path(specs_dir()).glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for ind in doc.get("indicators", ()):
            raw.update({t["id"]: t for t in ind.get("tables", ())})
        for ed in doc.get("editions", ()):
            if str(ed["id"]) == fw.edition:
                raw.update({t["id"]: t for t in ed.get("country_profile_tables", ())})
    reporting = {t for ind in fw.indicators for t in ind.reporting_tables.get(fw.edition, ())}
    reporting |= {t.id for t in fw.edition_spec().country_profile_tables}
    seen = set()
    for tid, df in run.tables.items():
        parts = tid.split(".")
        base = tid if tid in raw else ".".join(parts[:-1])
        decl = df.attrs["declaration"]
        if base not in raw:
            assert decl is None, tid
            continue
        seen.add(base)
        want = raw[base]
        assert decl["id"] == want["id"] and decl["title"] == want["title"], tid
        assert decl["units"] == want.get("units", {}), tid
        assert decl["labels"] == want.get("labels", []), tid
        assert decl.get("value_unit") == want.get("value_unit"), tid
        assert decl.get("per_period", False) == want.get("per_period", False) == (base != tid), tid
        for col in df.columns:  # the unit the run writes is the declared one
            declared = want.get("units", {}).get(col) or (None if col in want.get("labels", []) else want.get("value_unit"))
            assert df.attrs["units"].get(col) == declared, (tid, col)
    bases = {t if t in reporting else t.rsplit(".", 1)[0] for t in run.tables}
    assert reporting & bases == reporting  # the demo writes every reporting table of the edition
    assert reporting <= seen, sorted(reporting - seen)

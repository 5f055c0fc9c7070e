"""The run engine on a synthetic country: config checks, atomic output, writers, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from indicators.config import load_config, parse_years
from indicators.errors import InputError, SpecError
from indicators.engine import run_to_directory

from .conftest import TEST_STAGES, fake_framework, write_tif


def _run(cfg_dir: Path, out: Path, **kw):
    return run_to_directory(load_config(cfg_dir / "config.yaml"), out, stages=TEST_STAGES, framework=fake_framework(),
                            quiet=True, **kw)


def test_parse_years_forms():
    assert parse_years("2000-2003, 2010") == [2000, 2001, 2002, 2003, 2010]
    assert parse_years([2015, "2000-2001"]) == [2000, 2001, 2015]
    assert parse_years({"start": 1981, "end": 1983}) == [1981, 1982, 1983]
    assert parse_years(2019) == [2019]
    with pytest.raises(ValueError):
        parse_years("2010-2000")


def test_config_problems_are_reported_together(tmp_path):
    bad = {"country": {"name": "X", "boundary": "b.gpkg", "iso3": "xx", "colour": "red"},
           "inputs": {"p": {"path": "p.tif", "years": "19x1"}}, "indicators": ["SO 3-1", "SO3-1"]}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(SpecError) as exc:
        load_config(path)
    lines = str(exc.value).splitlines()
    # four schema problems, and in the same pass the boundary file that does not exist (inputs.p's entry is itself
    # invalid, so its file is not looked for)
    assert lines[0].startswith("5 problem(s)")
    text = str(exc.value)
    assert "country.iso3" in text and "country.colour: unknown field" in text
    assert "inputs.p.years" in text and "listed twice" in text
    assert "country.boundary: file" in text and "b.gpkg does not exist" in text


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("country:\n  name: [unclosed\n")
    with pytest.raises(SpecError, match=r"c\.yaml:\d+: YAML does not parse"):
        load_config(path)


def test_every_input_problem_is_found_before_computing(country, tmp_path):
    cfg = yaml.safe_load((country / "config.yaml").read_text())
    cfg["inputs"]["values"]["units"] = "kg"  # wrong dimension
    cfg["inputs"]["values"]["years"] = "2001-2004"  # 2004 file missing
    (country / "values_2002.tif").unlink()
    write_tif(country / "values_2002.tif", [[1.0]], west=0.0)  # another grid
    cfg["country"]["boundary"] = "nowhere.gpkg"
    (country / "config.yaml").write_text(yaml.safe_dump(cfg))
    out = tmp_path / "out"
    with pytest.raises(InputError) as exc:
        _run(country, out)
    lines = [ln.strip() for ln in str(exc.value).splitlines()[1:]]
    assert any("country.boundary" in ln and "does not exist" in ln for ln in lines)
    assert any("inputs.values" in ln and "'kg'" in ln for ln in lines)
    assert any("inputs.values[2004]" in ln and "does not exist" in ln for ln in lines)
    assert len(lines) == int(str(exc.value).split()[0])
    assert not out.exists()


def test_grid_mismatch_between_inputs_is_reported(country, tmp_path):
    from indicators.config import Requirement, check_inputs

    write_tif(country / "other.tif", [[1.0, 2.0]], west=0.0)
    cfg = yaml.safe_load((country / "config.yaml").read_text())
    cfg["inputs"]["other"] = {"path": "other.tif", "units": "mm"}
    (country / "config.yaml").write_text(yaml.safe_dump(cfg))
    loaded = load_config(country / "config.yaml")
    reqs = {"values": Requirement("values", "raster", "mm"), "other": Requirement("other", "raster", "mm")}
    with pytest.raises(InputError, match="not on the same grid"):
        check_inputs(loaded, reqs)
    reqs["other"] = Requirement("other", "raster", "mm", same_grid=False)
    check_inputs(loaded, reqs)


def test_run_writes_every_output(country, tmp_path):
    out = tmp_path / "out"
    result = _run(country, out)
    assert result.indicators == ["SO9-1"]
    assert [s.indicator for s in result.skipped] == ["SO9-2"]
    assert "not implemented" in result.skipped[0].reason
    for rel in ("SO9-1/classes_2001.tif", "SO9-1/SO9-1.T1.csv", "tables.xlsx", "tables.json", "report.html", "provenance.json"):
        assert (out / rel).is_file(), rel
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]  # no temporary left behind
    doc = json.loads((out / "tables.json").read_text())
    rows = doc["indicators"]["SO9-1"]["SO9-1.T1"]["rows"]
    # values = 2x + y + 10*i; cells above 60: count by hand for year 2001 (i=0)
    expected_2001 = sum(1 for y in range(30) for x in range(40) if 2 * x + y > 60)
    assert rows[0] == {"year": 2001, "high_cells": expected_2001, "share": round(expected_2001 / 1200 * 100, 6)}
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["parameters"]["SO9-1"]["test.threshold"] == 60.0
    assert set(prov["inputs"]["values"]["files"]) == {"2001", "2002", "2003"}
    import hashlib

    for key, rec in prov["inputs"]["values"]["files"].items():  # hashed beside the run: the files' own hashes
        assert rec["sha256"] == hashlib.sha256(Path(rec["path"]).read_bytes()).hexdigest(), key
    boundary = prov["inputs"]["country.boundary"]["files"]["boundary"]
    assert boundary["sha256"] == hashlib.sha256(Path(boundary["path"]).read_bytes()).hexdigest()
    assert prov["indicators"]["skipped"][0]["indicator"] == "SO9-2"
    # the writing's parts: all in provenance, within their total; the report shows the compute's timings only
    t = prov["timings_s"]
    parts = [t["write maps (COGs)"], t["write tables"], t["write report"]]
    assert all(v >= 0 for v in parts) and sum(parts) <= t["write outputs"] + 0.003  # each rounded to 1 ms
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "total compute" in page and "write maps (COGs)" not in page and "write outputs" not in page


def test_cog_has_cf_tags_and_colour_table(country, tmp_path):
    import rasterio

    out = tmp_path / "out"
    _run(country, out)
    assert sorted(p.name for p in (out / "SO9-1").glob("*.tif")) == ["classes_2001.tif", "classes_2002.tif", "classes_2003.tif"]
    with rasterio.open(out / "SO9-1" / "classes_2002.tif") as src:
        assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        tags = src.tags()
        assert tags["flag_values"] == "1 2" and tags["flag_meanings"] == "low high"
        assert tags["_FillValue"] == "255" and tags["indicator"] == "SO9-1"
        assert src.colormap(1)[2] == (0xD7, 0x30, 0x27, 255)
        assert src.count == 1 and tags["year"] == "2002"
        assert src.nodata == 255
    # the class names live in GDAL's side file (a GeoTIFF holds no category names) and in a QGIS style
    assert sorted(p.name for p in out.rglob("*.aux.xml")) == [f"classes_{y}.tif.aux.xml" for y in (2001, 2002, 2003)]
    assert sorted(p.name for p in out.rglob("*.qml")) == [f"classes_{y}.qml" for y in (2001, 2002, 2003)]


def test_html_is_self_contained(country, tmp_path):
    out = tmp_path / "out"
    _run(country, out)
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 2  # one map, one chart
    assert "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html
    assert 'href="#d6"' in html and 'id="d6"' in html  # the choice links to its decision
    assert "SO9-2" in html and "not implemented" in html


def test_two_runs_give_identical_tables_and_rasters(country, tmp_path):
    import numpy as np
    import rasterio

    a, b = tmp_path / "a", tmp_path / "b"
    _run(country, a)
    _run(country, b)
    for rel in ("SO9-1/SO9-1.T1.csv", "tables.xlsx", "tables.json"):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    with rasterio.open(a / "SO9-1/classes_2003.tif") as ra, rasterio.open(b / "SO9-1/classes_2003.tif") as rb:
        assert np.array_equal(ra.read(), rb.read())


def test_existing_output_needs_overwrite_and_failure_keeps_the_old_one(country, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("old")
    with pytest.raises(InputError, match="--overwrite"):
        _run(country, out)
    # a failing run with --overwrite leaves the previous output untouched
    from indicators.stage import Stage

    def boom(ctx):
        raise RuntimeError("boom")

    stages = [Stage("x", "boom", ("SO9-1",), ("indicators.classes",), lambda i, f: [], boom)]
    with pytest.raises(RuntimeError):
        run_to_directory(load_config(country / "config.yaml"), out, stages=stages, framework=fake_framework(),
                         quiet=True, overwrite=True)
    assert (out / "keep.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["country", "out"]
    _run(country, out, overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "report.html").is_file()


def test_requested_indicator_that_cannot_run_is_an_error(country, tmp_path):
    cfg = yaml.safe_load((country / "config.yaml").read_text())
    cfg["indicators"] = ["SO9-1", "SO9-2", "SO9-7"]
    (country / "config.yaml").write_text(yaml.safe_dump(cfg))
    with pytest.raises(SpecError) as exc:
        _run(country, tmp_path / "out")
    text = str(exc.value)
    assert "SO9-2 cannot be computed: not implemented" in text and "'SO9-7' is not an indicator" in text


def test_scheduler_runs_on_a_local_cluster_with_the_same_results(country, tmp_path):
    from distributed import LocalCluster

    local, remote = tmp_path / "local", tmp_path / "remote"
    _run(country, local)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        result = _run(country, remote, scheduler=cluster.scheduler_address)
    assert result.provenance["scheduler"] == cluster.scheduler_address
    assert (local / "tables.json").read_bytes() == (remote / "tables.json").read_bytes()


def test_unreachable_scheduler_is_an_input_error(country, tmp_path, monkeypatch):
    import indicators.engine.session as session

    monkeypatch.setattr(session, "CONNECT_TIMEOUT", "1s")
    with pytest.raises(InputError, match="cannot connect"):
        _run(country, tmp_path / "out", scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "out").exists()


def _bind(monkeypatch, fw, refs):
    """Give the fake framework's indicators ``run`` bindings to stages of a module registered for the test."""
    import sys
    import types

    mod = types.ModuleType("spec_bound_stages")
    mod.FIRST, mod.SECOND = TEST_STAGES
    monkeypatch.setitem(sys.modules, "spec_bound_stages", mod)
    for ind, ref in zip(fw.indicators, refs):
        ind.run = ref
    return fw


def test_the_stages_are_the_ones_the_specs_bind(country, tmp_path, monkeypatch):
    """Without a stage list the engine runs the stage each indicator's spec names (run: module:NAME), nothing else."""
    from indicators.engine import stages_from_specs

    assert stages_from_specs(fake_framework()) == []
    fw = _bind(monkeypatch, fake_framework(), ("spec_bound_stages:FIRST", "spec_bound_stages:SECOND"))
    assert [s.id for s in stages_from_specs(fw)] == ["test", "later"]
    result = run_to_directory(load_config(country / "config.yaml"), tmp_path / "out", framework=fw, quiet=True)
    assert result.indicators == ["SO9-1"]
    assert [(s.indicator, s.reason.split(" (")[0]) for s in result.skipped] == [("SO9-2", "not implemented in this version")]
    assert list(json.loads((tmp_path / "out" / "tables.json").read_text())["indicators"]) == ["SO9-1"]


@pytest.mark.parametrize("refs, message", [
    (("spec_bound_stages:SECOND", None), "stage 'later' computes SO9-2, not SO9-1"),
    (("spec_bound_stages:THIRD", None), "has no attribute THIRD"),
    (("spec_bound_nowhere:FIRST", None), "module spec_bound_nowhere does not exist"),
])
def test_a_run_binding_that_names_no_stage_of_the_indicator_is_a_spec_error(country, tmp_path, monkeypatch, refs, message):
    fw = _bind(monkeypatch, fake_framework(), refs)
    with pytest.raises(SpecError, match=message):
        run_to_directory(load_config(country / "config.yaml"), tmp_path / "out", framework=fw, quiet=True)
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- edition table ids (decision D23)


def test_publish_renames_merges_and_rewrites_mentions_under_the_2026_ids():
    """Expected ids from the 2026 manual (SO1.md): SO1-1.T5 is the baseline land-cover change, SO1-2.T3 the LPD
    degradation of the baseline and the reporting periods; the 2022 tables without a 2026 id keep a descriptive one."""
    import pandas as pd

    from indicators import load_framework
    from indicators.engine.edition_tables import publish_tables
    from indicators.report.tables import Table

    deg = pd.DataFrame({"period": ["baseline"], "class": ["degraded"], "area_km2": [1.0]})
    tables = {t.id: t for t in [
        Table("SO1-1.T6.baseline", "transitions", pd.DataFrame({"initial": ["a"], "a": [1.0]})),
        Table("SO1-1.T6.report_1", "transitions", pd.DataFrame({"initial": ["a"], "a": [2.0]})),
        Table("SO1-1.T7.report_1", "processes", pd.DataFrame({"process": ["x"], "area_km2": [3.0]})),
        Table("SO1-2.T5", "baseline", deg, units={"area_km2": "km**2"}, notes=["see SO1-1.T4a and SO1-4.T1"]),
        Table("SO1-2.T6", "reporting", deg.assign(period="report_1", area_km2=2.0), notes=["see SO1-1.T4a and SO1-4.T1"]),
        Table("SO3-1.T1", "drought", pd.DataFrame({"x": [1]})),
    ]}
    out = publish_tables(tables, load_framework("2026"))
    assert list(out) == ["SO1-1.T5", "SO1-1.T6.report_1", "SO1-1.processes.report_1", "SO1-2.T3", "SO3-1.T1"]
    t3 = out["SO1-2.T3"]
    assert t3.frame["period"].tolist() == ["baseline", "report_1"] and t3.frame["area_km2"].tolist() == [1.0, 2.0]
    assert t3.notes == ["see SO1-1.matrix_unccd and SO1-4.T1"] and t3.units == {"area_km2": "km**2"}
    assert t3.declaration["id"] == "SO1-2.T3" and "baseline and reporting periods" in t3.title
    assert out["SO1-1.T5"].declaration["id"] == "SO1-1.T5"
    assert out["SO3-1.T1"] is tables["SO3-1.T1"]  # nothing to rename or rewrite: the same table
    # the 2022 edition writes the 2022 ids: nothing moves, the very same tables
    same = publish_tables(tables, load_framework("2022"))
    assert list(same) == list(tables) and all(same[k] is tables[k] for k in tables)


def test_publish_refuses_to_merge_tables_with_different_columns():
    import pandas as pd

    from indicators import load_framework
    from indicators.engine.edition_tables import publish_tables
    from indicators.errors import IndicatorsError
    from indicators.report.tables import Table

    tables = {"SO1-3.T4": Table("SO1-3.T4", "a", pd.DataFrame({"period": ["baseline"], "area_km2": [1.0]})),
              "SO1-3.T5": Table("SO1-3.T5", "b", pd.DataFrame({"period": ["report_1"], "km2": [1.0]}))}
    with pytest.raises(IndicatorsError, match="SO1-3.T4, SO1-3.T5 are published as SO1-3.T2"):
        publish_tables(tables, load_framework("2026"))


def test_a_table_the_stage_does_not_list_stops_the_run(country, tmp_path):
    """``Stage.tables`` is the registry ``indicators validate`` compares with the specs' declarations: a stage that
    adds a table outside it is refused, so the list cannot drift from what is written."""
    import dataclasses

    from indicators.errors import IndicatorsError

    stages = [dataclasses.replace(TEST_STAGES[0], tables=()), TEST_STAGES[1]]
    with pytest.raises(IndicatorsError, match=r"stage 'test' writes table SO9-1\.T1, which it does not list"):
        run_to_directory(load_config(country / "config.yaml"), tmp_path / "out", stages=stages, framework=fake_framework(),
                         quiet=True)

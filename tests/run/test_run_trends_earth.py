"""Trends.Earth output files read directly: multi-band GeoTIFFs whose bands are chosen by the name and year listed
in the JSON beside them (te_schemas Band: name, metadata, no_data_value, activated, add_to_map), int16/-32768 maps.

The property tested: SO1, SO2-3 and SO3 computed through the CLI from TE-shaped multi-band files equal the same
run from single-band copies of the selected bands (every table, value for value)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from indicators.cli import main

from .conftest import NX, NY, write_boundary, write_tif

LC_YEARS = (2000, 2015, 2019, 2022)
POP_YEARS = (2000, 2005, 2010, 2015, 2020)
DROUGHT_YEARS = range(2000, 2024)
PERIODS = ("baseline", "report_1", "report_2")
INDICATORS = ["SO1-1", "SO1-2", "SO1-3", "SO2-3", "SO3-1", "SO3-2", "SO3-3"]
ND = -32768


def te_sidecar(tif: Path, bands: list[dict]) -> None:
    """The job JSON Trends.Earth writes beside an output: results.rasters.<datatype>.bands in file order."""
    job = {"id": "00000000-0000-0000-0000-000000000000", "task_name": "test", "status": "FINISHED",
           "results": {"type": "RasterResults", "name": tif.stem, "data": {},
                       "uri": {"uri": str(tif), "type": "local"},
                       "rasters": {"Int16": {"type": "One file raster", "datatype": "Int16", "filetype": "GeoTiff",
                                             "uri": {"uri": str(tif), "type": "local"},
                                             "bands": [{"no_data_value": ND, "activated": True, "add_to_map": True, **b}
                                                       for b in bands]}}}}
    tif.with_suffix(".json").write_text(json.dumps(job, indent=1))


def layers():
    """Every selected layer, by (input, key): int16 classes, int16 SPI x 1000, DVI x 10000, float population."""
    rng = np.random.default_rng(13)
    out = {}
    base = rng.integers(1, 8, (NY, NX))
    for i, y in enumerate(LC_YEARS):
        lc = np.where(rng.random((NY, NX)) < 0.1 * i, rng.integers(1, 8, (NY, NX)), base).astype("int16")
        lc[0, :3] = ND
        out["land_cover", y] = lc
    for p in PERIODS:
        lpd = rng.integers(1, 6, (NY, NX)).astype("int16")
        lpd[1, :2] = ND
        out["lpd", p] = lpd
    soc = rng.integers(20, 90, (NY, NX)).astype("int16")
    soc[2, :2] = ND
    out["soc_reference", 2000] = soc
    for y in POP_YEARS:
        f = (rng.random((NY, NX)) * 50).astype("float32")
        m = (rng.random((NY, NX)) * 50).astype("float32")
        out["population_female", y], out["population_male", y], out["population_total", y] = f, m, f + m
    for y in DROUGHT_YEARS:
        out["drought_index", y] = np.clip(rng.normal(0, 1.2, (NY, NX)) * 1000, -4000, 4000).astype("int16")
    out["dvi", 2018] = rng.integers(0, 10001, (NY, NX)).astype("int16")
    return out


def write_te_files(d: Path, data) -> dict:
    """TE-shaped files (several bands each, decoys included) and the run configuration's inputs selecting bands."""
    lc = [data["land_cover", y] for y in LC_YEARS]
    write_tif(d / "te_land_cover.tif", np.stack(lc + [lc[0]]), nodata=ND)  # the last band: transitions (a decoy)
    te_sidecar(d / "te_land_cover.tif", [{"name": "Land cover (7 class)", "metadata": {"year": y}} for y in LC_YEARS]
               + [{"name": "Land cover transitions", "metadata": {"year_initial": 2000, "year_final": 2015}}])
    for p, (a, b) in zip(PERIODS, ((2001, 2015), (2004, 2019), (2007, 2022))):
        f = d / f"te_productivity_{p}.tif"
        write_tif(f, np.stack([data["lpd", p] * 0 + 1, data["lpd", p]]), nodata=ND)
        te_sidecar(f, [{"name": "Productivity trajectory (significance)", "metadata": {"year_initial": a, "year_final": b}},
                       {"name": "Land Productivity Dynamics (LPD)", "metadata": {"year_initial": a, "year_final": b}}])
    soc = data["soc_reference", 2000]
    write_tif(d / "te_soc.tif", np.stack([soc + 5, soc]), nodata=ND)  # 2015 stock first (a decoy)
    te_sidecar(d / "te_soc.tif", [{"name": "Soil organic carbon", "metadata": {"year": 2015}},
                                  {"name": "Soil organic carbon", "metadata": {"year": 2000}}])
    pop, meta = [], []
    for y in POP_YEARS:
        for t in ("total", "female", "male"):
            pop.append(data[f"population_{t}", y])
            meta.append({"name": "Population (number of people)", "metadata": {"year": y, "type": t}})
    write_tif(d / "te_population.tif", np.stack(pop), nodata=ND)
    te_sidecar(d / "te_population.tif", meta)
    spi = [data["drought_index", y] for y in DROUGHT_YEARS]
    dvi = data["dvi", 2018]
    write_tif(d / "te_drought.tif", np.stack(spi + [dvi]), nodata=ND)
    te_sidecar(d / "te_drought.tif", [{"name": "Standardized Precipitation Index (SPI)", "metadata": {"year": y, "lag": 12}}
                                      for y in DROUGHT_YEARS] + [{"name": "Drought Vulnerability (JRC)", "metadata": {"year": 2018}}])
    pop_in = {t: {"path": "te_population.tif", "units": "person", "years": list(POP_YEARS),
                  "band": {"name": "Population (number of people)", "metadata": {"type": t}}}
              for t in ("total", "female", "male")}
    return {
        "land_cover": {"path": "te_land_cover.tif", "years": list(LC_YEARS), "band": {"name": "Land cover (7 class)"}},
        "lpd": {"path": {p: f"te_productivity_{p}.tif" for p in PERIODS}, "band": {"name": "Land Productivity Dynamics (LPD)"}},
        "soc_reference": {"path": "te_soc.tif", "units": "t/ha", "years": 2000, "band": {"name": "Soil organic carbon", "year": 2000}},
        **{f"population_{t}": v for t, v in pop_in.items()},
        "drought_index": {"path": "te_drought.tif", "units": "1", "scale_factor": 0.001, "years": "2000-2023",
                          "band": {"name": "Standardized Precipitation Index (SPI)"}},
        "dvi": {"path": "te_drought.tif", "units": "1", "years": 2018, "band": {"name": "Drought Vulnerability (JRC)"}},
    }


def write_single_files(d: Path, data) -> dict:
    """The same layers, one single-band file each (the way a run reads them without band selection)."""
    for (name, key), a in data.items():
        write_tif(d / f"{name}_{key}.tif", a, nodata=ND)
    def one(name, **kw):
        return {"path": f"{name}_{{year}}.tif", **kw}
    return {
        "land_cover": one("land_cover", years=list(LC_YEARS)),
        "lpd": {"path": {p: f"lpd_{p}.tif" for p in PERIODS}},
        "soc_reference": one("soc_reference", units="t/ha", years=2000),
        **{f"population_{t}": one(f"population_{t}", units="person", years=list(POP_YEARS))
           for t in ("total", "female", "male")},
        "drought_index": one("drought_index", units="1", scale_factor=0.001, years="2000-2023"),
        "dvi": one("dvi", units="1", years=2018),
    }


def config(d: Path, inputs: dict) -> Path:
    cfg = {"country": {"name": "Testland", "boundary": "boundary.gpkg",
                       "admin_units": {"path": "admin.gpkg", "id_field": "code", "name_field": "name"}},
           "edition": "2026", "profile": "trends_earth", "indicators": INDICATORS,
           # TE's 7-class land cover as input legend, and TE's constant climate factor Fl
           "parameters": {"land_cover": {"source_legend": "unccd_7class_int16", "nesting": "unccd_7class_int16_to_unccd"},
                          "soc": {"climate_factor": 0.8}},
           "inputs": inputs}
    path = d / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {str(p.relative_to(out)): pd.read_csv(p) for p in sorted(out.rglob("*.csv"))}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    data = layers()
    runs = {}
    for kind, writer in (("te", write_te_files), ("single", write_single_files)):
        d = tmp_path_factory.mktemp(kind)
        write_boundary(d / "boundary.gpkg")
        write_boundary(d / "admin.gpkg", admin=True)
        cfg = config(d, writer(d, data))
        assert main(["run", str(cfg), "--check"]) == 0
        out = d.parent / f"{d.name}-out"  # beside the inputs' folder, never in it (D27)
        assert main(["run", str(cfg), "-o", str(out), "--quiet"]) == 0
        runs[kind] = out
    return runs


def test_te_multiband_run_equals_single_band_run(two_runs):
    te, single = tables(two_runs["te"]), tables(two_runs["single"])
    assert te.keys() == single.keys()
    for code in INDICATORS:  # every indicator asked for wrote tables
        assert any(code in k for k in te), code
    for key in te:
        pd.testing.assert_frame_equal(te[key], single[key], check_exact=True, obj=key)


@pytest.mark.parametrize("change, expected", [
    (lambda i: i["land_cover"]["band"].update(name="Land cover (7 classes)"),
     "no band with name 'Land cover (7 classes)' in te_land_cover.json"),
    (lambda i: i["soc_reference"]["band"].update(year=2001), "no band with name 'Soil organic carbon', year 2001"),
    (lambda i: i["land_cover"].update(years=[2000, 2015, 2019, 2022, 2023]) or i["land_cover"].update(path="te_land_cover.tif"),
     "matching the selection hold years [2000, 2015, 2019, 2022]"),
    (lambda i: i["population_total"]["band"].update(metadata={}), "add year: or metadata: to band:"),
    (lambda i: i["soc_reference"].update(scale_factor=0.1), "inputs.soc_reference: scale_factor is not applied"),
    (lambda i: i["soc_reference"].update(band=2, years=[2000, 2015]), "band 2 is one map but 2 years are listed"),
])
def test_te_band_selection_refused_before_running(tmp_path, capsys, change, expected):
    d = tmp_path / "country"
    d.mkdir()
    write_boundary(d / "boundary.gpkg")
    write_boundary(d / "admin.gpkg", admin=True)
    inputs = write_te_files(d, layers())
    change(inputs)
    cfg = config(d, inputs)
    out = tmp_path / "out"  # beside the inputs' folder (D27)
    for argv in (["run", str(cfg), "--check"], ["run", str(cfg), "-o", str(out)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert expected in err and "Traceback" not in err
    assert not out.exists()


def test_te_sidecar_forms(tmp_path):
    """A bare band list and a RasterResults object are read as a job's results are; a band by number needs no JSON."""
    from indicators.io import open_raster
    from indicators.te_bands import read_bands

    a = np.arange(2 * NY * NX, dtype="int16").reshape(2, NY, NX)
    f = write_tif(tmp_path / "x.tif", a, nodata=None)
    bands = [{"name": "Soil organic carbon", "metadata": {"year": 2000}, "no_data_value": -32768},
             {"name": "Soil organic carbon", "metadata": {"year": 2015}}]
    for doc in (bands, {"type": "RasterResults", "rasters": {"Int16": {"uri": {"uri": "x.tif"}, "bands": bands}}}):
        (tmp_path / "x.json").write_text(json.dumps(doc))
        assert [(b.index, b.year) for b in read_bands(f)] == [(1, 2000), (2, 2015)]
        da = open_raster(f, units="t/ha", band={"name": "Soil organic carbon", "year": 2015}, chunks=None)
        assert (da.values == a[1]).all() and da.rio.nodata == -32768  # the band's no_data_value (the file has none)
        stack = open_raster(f, units="t/ha", band={"name": "Soil organic carbon"}, band_dim_name="year", chunks=None)
        assert stack["year"].values.tolist() == [2000, 2015] and (stack.values == a).all()
    (tmp_path / "x.json").unlink()
    assert (open_raster(f, units="t/ha", band=2, nodata=-1, chunks=None).values == a[1]).all()


def test_trends_earth_page_example_is_a_valid_configuration():
    """The example of docs/trends-earth.md validates as a run configuration, and its parameters load with the specs."""
    import re

    from indicators.config import config_from_mapping, parameter_overrides
    from indicators.specs.loader import load_framework

    text = (Path(__file__).resolve().parents[2] / "docs" / "trends-earth.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", text, flags=re.S).group(1)
    data = yaml.safe_load(block)
    cfg = config_from_mapping({"country": {"name": "X", "boundary": "b.gpkg"}, **data}).config
    assert cfg.inputs["land_cover"].band.name == "Land cover (7 class)"
    fw = load_framework(cfg.edition, cfg.profile, parameters=parameter_overrides(cfg))
    assert fw.parameters("soc").climate_factor == 0.8
    assert fw.parameters("land_cover").source_legend == "unccd_7class_int16"
    assert fw.parameters("productivity").method == "precomputed_lpd"  # lpd without ndvi under trends_earth

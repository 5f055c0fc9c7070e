"""SO3-3 from factor tables: ids and units checked against the spec factor set before anything is computed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import indicators
from indicators.config import load_config
from indicators.errors import InputError
from indicators.engine import prepare


def _factor_rows(ids_units, *, rename: dict[str, str] | None = None) -> str:
    lines = ["year,factor,value,unit,sex"]
    for year in (2000, 2001, 2002):
        for k, (fid, unit) in enumerate(ids_units):
            lines.append(f"{year},{(rename or {}).get(fid, fid)},{10 + k + year - 2000},{unit},total")
    return "\n".join(lines) + "\n"


def _config(country: Path, table_text: str) -> Path:
    (country / "factors.csv").write_text(table_text)
    cfg = yaml.safe_load((country / "config.yaml").read_text())
    cfg["indicators"] = ["SO3-3"]
    cfg["inputs"] = {"dvi_factors_national": {"path": "factors.csv", "years": "2000-2002"}}
    path = country / "so33.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _spec_factors():
    fw = indicators.load_framework()
    return fw, [(f.id, f.unit) for f in fw.factor_set(fw.parameters("dvi").factor_set).factors]


def test_unknown_factor_id_stops_the_run_before_computing(country):
    fw, factors = _spec_factors()
    path = _config(country, _factor_rows(factors, rename={"poverty": "poverty_international_line"}))
    with pytest.raises(InputError) as exc:
        prepare(load_config(path), framework=fw)
    text = str(exc.value)
    # file, line (header = line 1; poverty is the 7th factor of the first year: line 8), the bad id and the known ids
    assert "factors.csv" in text and "line 8" in text and "'poverty_international_line'" in text
    assert "'poverty'" in text and "'drinking_water'" in text


def test_factor_unit_of_the_wrong_dimension_is_reported(country):
    fw, factors = _spec_factors()
    text = _factor_rows(factors).replace("USD/person", "kg")
    path = _config(country, text)
    with pytest.raises(indicators.errors.IndicatorsError) as exc:
        prepare(load_config(path), framework=fw)
    assert "gdp_per_capita" in str(exc.value) and "factors.csv" in str(exc.value)


def test_factor_table_values_are_converted_to_the_spec_unit(tmp_path):
    from indicators.tables import read_factor_table

    p = tmp_path / "f.csv"
    p.write_text("year,factor,value,unit\n2000,energy_use_per_capita,3.6,MJ/person\n2001,energy_use_per_capita,2,kWh/person\n")
    out = read_factor_table(p, [{"id": "energy_use_per_capita", "unit": "kWh/person"}])
    assert list(out["value"]) == pytest.approx([1.0, 2.0])  # 3.6 MJ = 1 kWh
    assert list(out["unit"]) == ["national", "national"] and list(out["sex"]) == ["total", "total"]

"""indicators.report.formatting and .i18n: units in words and UDUNITS strings, decimals per quantity, empty
not-applicable cells, small p-values, French number format, a complete catalogue."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indicators.report.formatting import cf_unit, column_label, format_value, unit_label
from indicators.report.i18n import LANGUAGES, catalogue, report_language, translate


@pytest.mark.parametrize(("column", "unit", "cf", "words"), [
    ("area_km2", "km**2", "km2", "km²"),
    ("2000", "km**2", "km2", "km²"),
    ("kba_area_km2", "km2", "km2", "km²"),
    ("percent_of_land", "percent", "%", "%"),
    ("gini_index", "percent (Gini index 0-100)", "%", "%"),
    ("population", "person", "person", "persons"),
    ("population", None, "person", "persons"),
    ("committed_usd", "USD", "USD", "USD"),
    ("soc_stock_t", "t", "t", "t C"),
    ("soc_mean_t_per_ha", "t/ha", "t ha-1", "t C/ha"),
    ("extra_sens_slope_per_year", "percent/year", "% year-1", "%/year"),
    ("spei_mean", "1", "1", ""),
    ("mann_kendall_p", None, "1", ""),
    ("year", "year", None, ""),
    ("name", None, None, ""),
])
def test_units_for_machines_and_readers(column, unit, cf, words):
    assert cf_unit(column, unit) == cf
    assert unit_label(column, unit) == words


@pytest.mark.parametrize(("value", "column", "unit", "shown"), [
    (16839.341742, "area_km2", "km**2", "16,839.34"),  # areas to 0.01 km²
    (5.879755, "percent_of_land", "percent", "5.88"),  # percentages to 0.01
    (243557.4, "population", "person", "243,557"),  # people to the person
    (2439878, "population", "person", "2,439,878"),
    (0.0, "extra_mann_kendall_p", None, "< 0.001"),
    (0.000001, "mann_kendall_p", None, "< 0.001"),
    (0.034637, "mann_kendall_p", None, "0.035"),
    (-2.112581, "mann_kendall_z", None, "−2.113"),
    (-0.0001, "percent_of_land", "percent", "0.00"),  # never "-0.00"
    (2015, "year", None, "2015"),
    (2015.0, "population_year", None, "2015"),
    (3, "class", None, "3"),
    (float("nan"), "percent_of_land", "percent", ""),  # not applicable: an empty cell
    (None, "class", None, ""),
    (pd.NA, "class", None, ""),
    (np.float32(1.5), "area_km2", "km**2", "1.50"),
    ("degraded", "class", None, "degraded"),
])
def test_values_as_a_report_shows_them(value, column, unit, shown):
    assert format_value(value, column, unit) == shown


def test_french_numbers_and_labels():
    assert format_value(16839.341742, "area_km2", "km**2", "fr") == "16\u202f839,34"
    assert format_value(0.0, "mann_kendall_p", None, "fr") == "< 0,001"
    assert column_label("population", "person", "fr") == "population (personnes)"
    assert column_label("area_km2", "km**2", "en") == "area (km²)"
    assert column_label("degraded_km2", "km**2", "en") == "degraded (km²)"
    with report_language("fr"):
        assert translate("summary.title") == "Résumé"
    assert translate("summary.title") == "Summary"


def test_unknown_language_is_refused_with_the_choices():
    from indicators.errors import InputError

    with pytest.raises(InputError, match="'de'.*en, fr"), report_language("de"):
        pass


def test_catalogue_is_complete_and_every_message_used_exists():
    cat = catalogue()
    assert all(set(entry) == set(LANGUAGES) and all(t.strip() for t in entry.values()) for entry in cat.values())
    # the same {fields} in every language
    for key, entry in cat.items():
        fields = {lang: set(re.findall(r"{(\w+)}", t)) for lang, t in entry.items()}
        assert fields["en"] == fields["fr"], key
    root = Path(__file__).resolve().parents[2] / "indicators" / "report"
    used = set()
    for f in [*root.glob("*.py"), *(root / "templates").glob("*")]:
        used |= set(re.findall(r"""(?:_|translate)\(\s*["']([a-z_]+\.[A-Za-z0-9_.]+)["']""", f.read_text(encoding="utf-8")))
    assert used and not used - set(cat), sorted(used - set(cat))
    from indicators.report.summary import HEADLINES

    assert not {h.message for h in HEADLINES} - set(cat)
    assert all(f"objective.SO{i}" in cat for i in range(1, 6))


def test_no_math_nan_leaks():
    assert format_value(math.inf, "area_km2", "km**2") == "∞"

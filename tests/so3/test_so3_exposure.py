"""SO3-2 exposure: people per drought class by sex, both percentage definitions (D8), nearest-year fill."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from shapely.geometry import box

from indicators.errors import InputError
from indicators.so3.exposure import drought_exposure, drought_exposure_zonal, epoch_exposure_map, nearest_population_year
from indicators.so3.hazard import epoch_most_severe

NODATA = 255
CODES = [1, 2, 3, 4, 0]
DROUGHT = [1, 2, 3, 4]
NAMES = ["Mild drought", "Moderate drought", "Severe drought", "Extreme drought", "No drought"]

# 2 x 2 cells. Classes per year; population grids only for 2000 and 2002.
CLASSES = {2000: [[1, 0], [3, NODATA]], 2001: [[0, 0], [0, 2]], 2003: [[4, 4], [0, 0]]}
FEMALE = {2000: [[10, 20], [30, 40]], 2002: [[11, 21], [31, 41]]}
MALE = {2000: [[5, 5], [10, 20]], 2002: [[6, 6], [11, 21]]}


@pytest.fixture
def grids(equal_area):
    years = sorted(CLASSES)
    classes = equal_area([CLASSES[y] for y in years], years=years, nodata=NODATA, name="drought_class")
    pop_years = sorted(FEMALE)
    female = equal_area([FEMALE[y] for y in pop_years], years=pop_years, dtype="float32").assign_attrs(units="person")
    male = equal_area([MALE[y] for y in pop_years], years=pop_years, dtype="float32").assign_attrs(units="person")
    return classes, female, male


def _row(df, year, group, kind, cls=None):
    sel = (df["year"] == year) & (df["group"] == group) & (df["kind"] == kind)
    sel &= df["class"].isna() if cls is None else (df["class"] == cls)
    assert sel.sum() == 1, (year, group, kind, cls)
    return df[sel].iloc[0]


def test_nearest_population_year():
    assert nearest_population_year(2019, range(2000, 2021)) == 2019
    assert nearest_population_year(2023, range(2000, 2021)) == 2020  # PRAIS26: 2020 grid for 2021-2023
    assert nearest_population_year(1995, [2000, 2005]) == 2000
    assert nearest_population_year(2001, [2000, 2002]) == 2002  # a tie goes to the later year


def test_exposure_2026_definition_by_hand(grids):
    classes, female, male = grids
    df = drought_exposure(
        classes, None, female=female, male=male, codes=CODES, drought_codes=DROUGHT, nodata=NODATA, meanings=NAMES, sex_percentage="2026"
    )
    # 2000: total = female + male = [[15, 25], [40, 60]] = 140 people; mild 15, severe 40, nodata 60
    assert _row(df, 2000, "total", "class", 1)["population"] == pytest.approx(15)
    assert _row(df, 2000, "total", "any_drought")["population"] == pytest.approx(55)
    assert _row(df, 2000, "total", "any_drought")["percent"] == pytest.approx(100 * 55 / 140)
    assert _row(df, 2000, "total", "nodata")["population"] == pytest.approx(60)
    assert _row(df, 2000, "total", "total_population")["population"] == pytest.approx(140)
    # 2026: exposed women / all women (100), exposed men / all men (40)
    assert _row(df, 2000, "female", "class", 1)["percent"] == pytest.approx(10.0)
    assert _row(df, 2000, "female", "class", 3)["percent"] == pytest.approx(30.0)
    assert _row(df, 2000, "female", "any_drought")["percent"] == pytest.approx(40.0)
    assert _row(df, 2000, "male", "class", 1)["percent"] == pytest.approx(12.5)
    assert _row(df, 2000, "male", "any_drought")["percent"] == pytest.approx(37.5)
    assert _row(df, 2000, "total", "class", 1)["class_name"] == "Mild drought"
    assert df.attrs["sex_percentage"] == "2026"
    # both definitions are carried side by side
    assert _row(df, 2000, "female", "class", 1)["percent_2022"] == pytest.approx(100 * 10 / 15)
    np.testing.assert_allclose(df["percent"], df["percent_2026"])


def test_exposure_2022_definition_by_hand(grids):
    classes, female, male = grids
    df = drought_exposure(
        classes, None, female=female, male=male, codes=CODES, drought_codes=DROUGHT, nodata=NODATA, sex_percentage="2022"
    )
    # 2022: each sex's share of the people exposed in the class; female + male = 100 per class
    assert _row(df, 2000, "female", "class", 1)["percent"] == pytest.approx(100 * 10 / 15)
    assert _row(df, 2000, "male", "class", 1)["percent"] == pytest.approx(100 * 5 / 15)
    assert _row(df, 2000, "female", "class", 3)["percent"] == pytest.approx(75.0)
    assert _row(df, 2000, "female", "any_drought")["percent"] == pytest.approx(100 * 40 / 55)
    assert _row(df, 2000, "female", "any_drought")["percent"] + _row(df, 2000, "male", "any_drought")["percent"] == pytest.approx(100)
    # the total's percentage is over the total population under both definitions
    assert _row(df, 2000, "total", "any_drought")["percent"] == pytest.approx(100 * 55 / 140)


def test_nearest_year_fill_is_stated(grids):
    classes, female, male = grids
    df = drought_exposure(classes, None, female=female, male=male, codes=CODES, drought_codes=DROUGHT, nodata=NODATA, sex_percentage="2026")
    years_used = df.drop_duplicates("year").set_index("year")["population_year"].to_dict()
    assert years_used == {2000: 2000, 2001: 2002, 2003: 2002}
    assert "2001: total population of 2002" in df.attrs["population_years_filled"]
    # 2003 (extreme in the top row) uses the 2002 grid: 11 + 6 + 21 + 6 people
    assert _row(df, 2003, "total", "class", 4)["population"] == pytest.approx(44)


def test_official_totals_and_water(grids, equal_area):
    classes, female, male = grids
    totals = {2000: {"total": 200.0, "female": 120.0, "male": 80.0}}
    df = drought_exposure(
        classes, None, female=female, male=male, codes=CODES, drought_codes=DROUGHT, nodata=NODATA, population_totals=totals,
        sex_percentage="2026",
    )
    assert _row(df, 2000, "total", "any_drought")["percent"] == pytest.approx(27.5)
    assert _row(df, 2000, "female", "any_drought")["percent"] == pytest.approx(100 * 40 / 120)
    assert _row(df, 2000, "total", "any_drought")["denominator"].startswith("official")
    land = equal_area([[True, True], [False, True]], dtype=bool)
    wet = drought_exposure(
        classes, female + male, codes=CODES, drought_codes=DROUGHT, nodata=NODATA, land_mask=land, water_population="zero",
        sex_percentage="2026",
    )
    # the severe cell (40 people) is water: its people are set to 0 (the Trends.Earth convention)
    assert _row(wet, 2000, "total", "any_drought")["population"] == pytest.approx(15)
    with pytest.raises(InputError):
        drought_exposure(classes, None, female=female, codes=CODES, drought_codes=DROUGHT, nodata=NODATA, sex_percentage="2026")
    with pytest.raises(InputError, match="D8"):
        drought_exposure(classes, female + male, codes=CODES, drought_codes=DROUGHT, nodata=NODATA, sex_percentage="2030")


def test_exposure_lazy_equals_eager(grids):
    classes, female, male = grids
    kw = {"codes": CODES, "drought_codes": DROUGHT, "nodata": NODATA, "sex_percentage": "2026"}
    eager = drought_exposure(classes, None, female=female, male=male, **kw)
    lazy = drought_exposure(classes.chunk({"y": 1}), None, female=female.chunk({"x": 1}), male=male.chunk({"x": 1}), **kw)
    pd.testing.assert_frame_equal(eager, lazy)


def test_zonal_exposure_by_hand(grids):
    classes, female, male = grids
    units = gpd.GeoDataFrame({"id": ["W", "E"]}, geometry=[box(0, 0, 1000, 2000), box(1000, 0, 2000, 2000)], crs="EPSG:6933")
    df = drought_exposure_zonal(
        classes.sel(year=[2000]), None, units, female=female, male=male, codes=CODES, drought_codes=DROUGHT,
        nodata=NODATA, method="centre", sex_percentage="2026",
    )

    def one(unit, group, kind):
        sel = (df["unit"] == unit) & (df["group"] == group) & (df["kind"] == kind)
        return df[sel].iloc[0]

    # west: mild (15 people) and severe (40): everyone exposed; east: none (25) and nodata (60)
    assert one("W", "total", "any_drought")["percent"] == pytest.approx(100.0)
    assert one("E", "total", "any_drought")["population"] == pytest.approx(0.0)
    assert one("E", "total", "total_population")["population"] == pytest.approx(85.0)
    assert one("W", "female", "any_drought")["percent"] == pytest.approx(100.0)
    nat = df[(df["level"] == "national") & (df["group"] == "total") & (df["kind"] == "any_drought")].iloc[0]
    assert nat["population"] == pytest.approx(55.0)
    assert nat["percent"] == pytest.approx(100 * 55 / 140)


def test_epoch_exposure_map(grids):
    classes, female, male = grids
    epochs = epoch_most_severe(classes, epochs=[(2000, 2003)], severity=[0, 1, 2, 3, 4], nodata=NODATA)
    # most severe over 2000, 2001, 2003: [[4, 4], [3, 2]]
    assert epochs.values[0].tolist() == [[4, 4], [3, 2]]
    total = (female + male).assign_attrs(units="person")
    out = epoch_exposure_map(epochs, total, drought_codes=DROUGHT, nodata=NODATA)
    assert out["population_year"].values.tolist() == [2002]  # the epoch's most recent grid (2003 -> 2002)
    np.testing.assert_allclose(out.values[0], [[17, 27], [42, 62]])
    table = drought_exposure(epochs, total, codes=CODES, drought_codes=DROUGHT, nodata=NODATA, dim="epoch", sex_percentage="2026")
    exposed = table[(table["kind"] == "any_drought") & (table["group"] == "total")].iloc[0]
    assert exposed["population"] == pytest.approx(148.0) and exposed["population_year"] == 2002
    assert xr.DataArray.equals(epoch_exposure_map(epochs.chunk({"x": 1}), total, drought_codes=DROUGHT, nodata=NODATA), out)


def test_epoch_population_grid_never_after_the_epoch(equal_area):
    """PRAIS22 §3.2 Step 4 (methodology Part B §3.3): each epoch uses the most recent population grid
    *of that epoch*; with none inside it, the latest before it. Grids 1999, 2005 and 2007: epoch 2000-2003
    has no grid inside, so 1999 (not 2005, which is nearer to its end 2003 but after the epoch);
    epoch 2004-2007 has 2005 and 2007 inside, so 2007."""
    classes = equal_area([[[4, 0]], [[0, 0]], [[0, 0]], [[0, 0]], [[0, 0]], [[0, 0]], [[0, 0]], [[0, 2]]],
                         years=range(2000, 2008), nodata=NODATA)
    epochs = epoch_most_severe(classes, epochs=[(2000, 2003), (2004, 2007)], severity=[0, 1, 2, 3, 4], nodata=NODATA)
    assert epochs.values.tolist() == [[[4, 0]], [[0, 2]]]
    pop = equal_area([[[10, 20]], [[100, 200]], [[1000, 2000]]], years=[1999, 2005, 2007], dtype="float32")
    pop = pop.assign_attrs(units="person")
    out = epoch_exposure_map(epochs, pop, drought_codes=DROUGHT, nodata=NODATA)
    assert out["population_year"].values.tolist() == [1999, 2007]
    np.testing.assert_allclose(out.values, [[[10, 0]], [[0, 2000]]])
    table = drought_exposure(epochs, pop, codes=CODES, drought_codes=DROUGHT, nodata=NODATA, dim="epoch", sex_percentage="2026")
    anyd = table[(table["kind"] == "any_drought") & (table["group"] == "total")].set_index("epoch")
    assert anyd.loc["2000-2003", "population"] == pytest.approx(10.0)
    assert anyd.loc["2000-2003", "population_year"] == 1999
    assert anyd.loc["2004-2007", "population"] == pytest.approx(2000.0)
    assert anyd.loc["2004-2007", "population_year"] == 2007
    assert "2000-2003" in table.attrs["population_years_filled"] and "1999" in table.attrs["population_years_filled"]


def test_epoch_population_grid_only_after_the_epoch_is_stated(equal_area):
    """No grid inside or before the epoch: the earliest grid after it, and the table says so."""
    classes = equal_area([[[4, 0]]] * 4, years=range(2000, 2004), nodata=NODATA)
    epochs = epoch_most_severe(classes, epochs=[(2000, 2003)], severity=[0, 1, 2, 3, 4], nodata=NODATA)
    pop = equal_area([[[7, 9]], [[70, 90]]], years=[2005, 2010], dtype="float32").assign_attrs(units="person")
    out = epoch_exposure_map(epochs, pop, drought_codes=DROUGHT, nodata=NODATA)
    assert out["population_year"].values.tolist() == [2005]
    np.testing.assert_allclose(out.values, [[[7, 0]]])
    assert "after the epoch" in out.attrs["population_years_filled"]


def test_filled_year_takes_the_official_total_of_the_grid_it_uses(grids):
    """2001 and 2003 have no grid: 2001 uses 2002's (nearest, ties to the later), 2003 uses 2002's. Their counts
    come from the 2002 grid, so the denominator is the 2002 official total, not the 2001/2003 one (which could be
    far smaller and push the share above 100 %)."""
    classes, female, male = grids
    totals = {2001: {"total": 10.0, "female": 5.0, "male": 5.0}, 2002: {"total": 400.0, "female": 250.0, "male": 150.0},
              2003: {"total": 1.0, "female": 0.5, "male": 0.5}}
    df = drought_exposure(classes, None, female=female, male=male, codes=CODES, drought_codes=DROUGHT, nodata=NODATA,
                          population_totals=totals, sex_percentage="2026")
    # 2003: classes [[4, 4], [0, 0]]; 2002 grid: female [[11, 21], ...], male [[6, 6], ...] -> 44 people exposed
    row = _row(df, 2003, "total", "any_drought")
    assert row["population_year"] == 2002 and row["population"] == pytest.approx(44)
    assert row["percent"] == pytest.approx(100 * 44 / 400)
    assert _row(df, 2001, "total", "total_population")["population"] == pytest.approx(400)
    assert (df.loc[df["kind"].isin(["class", "any_drought"]), "percent"] <= 100 + 1e-9).all()


def test_no_fill_refuses_a_year_without_its_grid(grids):
    classes, female, male = grids
    with pytest.raises(InputError, match=r"no population grid for 2001 \(available: \[2000, 2002\]\)"):
        drought_exposure(classes, None, female=female, male=male, codes=CODES, drought_codes=DROUGHT, nodata=NODATA,
                         sex_percentage="2026", population_year_fill="none")


def test_epoch_exposure_map_equals_the_where_formulation_bit_for_bit():
    """The fused block kernel gives what ``xr.where(cls in drought, pop, 0).where(cls != nodata)`` as float32 gives:
    NaN population stays NaN in drought cells, 0 in other classes, NaN where the class is nodata; dask or not."""
    import numpy as np
    import xarray as xr

    from indicators.so3.exposure import epoch_exposure_map

    rng = np.random.default_rng(8)
    cls = rng.choice(np.array([0, 1, 2, 3, 4, 255], np.uint8), (2, 9, 11))
    pop = (rng.random((9, 11)) * 50).astype(np.float32)
    pop[rng.random((9, 11)) < 0.2] = np.nan
    coords = {"y": np.arange(9.0), "x": np.arange(11.0)}
    classes = xr.DataArray(cls, dims=("epoch", "y", "x"), coords={"epoch": ["2000-2003", "2004-2007"], **coords,
                                                                   "epoch_start": ("epoch", [2000, 2004]),
                                                                   "epoch_end": ("epoch", [2003, 2007])})
    population = xr.DataArray(pop, dims=("y", "x"), coords=coords, attrs={"units": "person"})
    for c, p in ((classes, population), (classes.chunk({"y": 4, "x": 5}), population.chunk({"y": 3, "x": 11}))):
        got = epoch_exposure_map(c, p, drought_codes=[3, 2], nodata=255)
        for k in range(2):
            one = classes.isel(epoch=k, drop=True)
            want = xr.where(one.isin([2, 3]), population, 0.0).where(one != 255).astype("float32")
            assert got.isel(epoch=k).values.dtype == np.float32
            assert got.isel(epoch=k).values.tobytes() == want.values.tobytes()
    by_hand = epoch_exposure_map(classes[:, :1, :3], population[:1, :3], drought_codes=[2, 3], nodata=255).values[0, 0]
    expect = [(pop[0, j] if cls[0, 0, j] in (2, 3) else 0.0) if cls[0, 0, j] != 255 else np.nan for j in range(3)]
    np.testing.assert_array_equal(by_hand, np.asarray(expect, np.float32))

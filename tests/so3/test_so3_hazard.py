"""SO3-1 hazard: D6 class boundaries under both profiles, D7 epoch maps, land-area tables (D3)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from shapely.geometry import box

from indicators.errors import GridMismatchError, InputError
from indicators.so3.hazard import (
    annual_spi,
    drought_area_table,
    drought_hazard_classes,
    drought_zonal_area_table,
    epoch_most_severe,
    drought_trends,
)
from indicators.so3.spi import spi

# The D6 classification as the specs state it (specs/legends/drought.yaml, drought_intensity_default)
BREAKS = [-2.0, -1.5, -1.0, 0.0]
CODES_LOW_TO_HIGH = [4, 3, 2, 1, 0]
MEANINGS = ["No drought", "Mild drought", "Moderate drought", "Severe drought", "Extreme drought"]  # sorted codes 0..4
NODATA = 255
TABLE_CODES = [1, 2, 3, 4, 0]
TABLE_NAMES = ["Mild drought", "Moderate drought", "Severe drought", "Extreme drought", "No drought"]
DROUGHT = [1, 2, 3, 4]


def classify(values, right_closed=True):
    return drought_hazard_classes(
        values, breaks=BREAKS, codes=CODES_LOW_TO_HIGH, right_closed=right_closed, meanings=MEANINGS, nodata=NODATA
    )


BOUNDARY_VALUES = [0.5, 0.0, -0.5, -1.0, -1.2, -1.5, -1.7, -2.0, -2.5, -3.09, np.nan]


@pytest.mark.parametrize(
    ("right_closed", "expected"),
    [
        # D6 (the manual): a value on a boundary goes to the more severe class; SPI = 0 is mild
        (True, [0, 1, 1, 2, 2, 3, 3, 4, 4, 4, NODATA]),
        # Trends.Earth: the milder class; SPI = 0 is no drought (methodology Part C §2.2)
        (False, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, NODATA]),
    ],
    ids=["D6", "trends_earth"],
)
def test_class_boundaries_both_profiles(right_closed, expected):
    values = xr.DataArray(np.array(BOUNDARY_VALUES, dtype="float32"), dims="cell")
    out = classify(values, right_closed)
    assert out.dtype == np.uint8
    assert out.values.tolist() == expected
    assert out.attrs["flag_values"] == [0, 1, 2, 3, 4]
    assert out.attrs["flag_meanings"].split() == ["no_drought", "mild_drought", "moderate_drought", "severe_drought", "extreme_drought"]
    assert out.attrs["nodata"] == NODATA
    lazy = classify(values.chunk({"cell": 4}), right_closed)
    assert lazy.chunks is not None
    assert lazy.values.tolist() == expected


def test_calibration_window_changes_2014_class(spi_reference_dir):
    """Part B §4.4: 2014 is severe under 1981-2010 and moderate under the full record 1895-2017."""
    p = np.load(spi_reference_dir / "precips_mm_monthly.npy").ravel()
    t = pd.date_range("1895-01-01", periods=p.size, freq="MS")
    precip = xr.DataArray(p, dims="time", coords={"time": t}, attrs={"units": "mm"})
    by_window = {}
    for cal in [(1981, 2010), (1895, 2017)]:
        yearly = annual_spi(spi(precip, 12, cal, month=12), month=12)
        by_window[cal] = int(classify(yearly).sel(year=2014))
        assert yearly.attrs["calibration_period"] == f"{cal[0]}-{cal[1]}"
    assert by_window[(1981, 2010)] == 3  # severe
    assert by_window[(1895, 2017)] == 2  # moderate


def test_annual_spi_selects_one_month_per_year():
    t = pd.date_range("2000-01-01", periods=36, freq="MS")
    monthly = xr.DataArray(np.arange(36.0), dims="time", coords={"time": t})
    dec = annual_spi(monthly, month=12)
    assert dec.dims == ("year",)
    assert dec["year"].values.tolist() == [2000, 2001, 2002]
    assert dec.values.tolist() == [11.0, 23.0, 35.0]
    with pytest.raises(InputError):
        annual_spi(monthly.isel(time=slice(0, 6)), month=12)


def _classes_by_year(per_year: dict[int, list[int]]) -> xr.DataArray:
    years = sorted(per_year)
    data = np.array([per_year[y] for y in years], dtype="uint8")
    return xr.DataArray(data, dims=("year", "cell"), coords={"year": years})


def test_epoch_most_severe_uses_all_four_years():
    # cell 0: (mild, mild, moderate, mild) -> moderate (the manual's example)
    # cell 1: the worst year is the 4th: Trends.Earth's 3-year slice would miss it
    # cell 2: nodata in some years is ignored; cell 3: nodata every year stays nodata
    classes = _classes_by_year(
        {
            2000: [1, 0, NODATA, NODATA],
            2001: [1, 0, 2, NODATA],
            2002: [2, 1, NODATA, NODATA],
            2003: [1, 4, 0, NODATA],
            2004: [0, 0, 0, NODATA],
            2005: [3, 0, 0, NODATA],
        }
    )
    out = epoch_most_severe(classes, epochs=[(2000, 2003), (2004, 2007), (2008, 2011)], severity=[0, 1, 2, 3, 4], nodata=NODATA)
    assert out.dtype == np.uint8
    assert out["epoch"].values.tolist() == ["2000-2003", "2004-2007"]
    assert out.sel(epoch="2000-2003").values.tolist() == [2, 4, 2, NODATA]
    # 2004-2007 holds only 2004 and 2005: summarised over the years available, which are recorded
    assert out.sel(epoch="2004-2007").values.tolist() == [3, 0, 0, NODATA]
    assert "2004-2007: 2006,2007" in out.attrs["epoch_missing_years"]
    assert out.attrs["epochs_without_data"] == "2008-2011"
    assert out["epoch_end"].values.tolist() == [2003, 2007]
    lazy = epoch_most_severe(classes.chunk({"cell": 2}), epochs=[(2000, 2003)], severity=[0, 1, 2, 3, 4], nodata=NODATA)
    assert lazy.chunks is not None
    np.testing.assert_array_equal(lazy.values[0], out.values[0])


def test_epoch_severity_order_is_a_parameter():
    classes = _classes_by_year({2000: [1, 2], 2001: [2, 1]})
    # a legend whose codes do not follow severity: code 1 declared the most severe
    out = epoch_most_severe(classes, epochs=[(2000, 2001)], severity=[0, 2, 1], nodata=NODATA)
    assert out.values[0].tolist() == [1, 1]


# 3 x 3 cells; the top-right cell is water, the bottom-right has no SPI
YEAR0 = [[1, 1, 9], [1, 2, 2], [0, 4, NODATA]]  # 9: any class, masked as water
YEAR1 = [[0, 0, 0], [0, 0, 3], [0, 0, NODATA]]
LAND = np.array([[True, True, False], [True, True, True], [True, True, True]])


def _land_mask(like):
    return xr.DataArray(LAND, dims=("y", "x"), coords={"y": like.y, "x": like.x}).rio.write_crs(like.rio.crs)


@pytest.fixture
def equal_area_grid(equal_area):
    return lambda values: equal_area(values, nodata=NODATA, name="drought_class")


def test_drought_area_table_by_hand(equal_area_grid):
    classes = equal_area_grid([YEAR0, YEAR1])
    classes = classes.where(xr.DataArray(LAND, dims=("y", "x")), 0).astype("uint8")  # the water cell's class does not matter
    table = drought_area_table(
        classes, codes=TABLE_CODES, drought_codes=DROUGHT, meanings=TABLE_NAMES, nodata=NODATA, land_mask=_land_mask(classes)
    )
    y0 = table[table["year"] == 2000].set_index(["kind", "class"])
    # 7 valid land cells of 1 km²: mild 3, moderate 2, extreme 1, none 1
    assert y0.loc[("land_area", pd.NA), "area_km2"] == pytest.approx(7.0, rel=1e-9)
    assert y0.loc[("class", 1), "area_km2"] == pytest.approx(3.0, rel=1e-9)
    assert y0.loc[("class", 1), "percent_of_land"] == pytest.approx(300 / 7, rel=1e-9)
    assert y0.loc[("class", 4), "percent_of_land"] == pytest.approx(100 / 7, rel=1e-9)
    assert y0.loc[("any_drought", pd.NA), "percent_of_land"] == pytest.approx(600 / 7, rel=1e-9)
    assert y0.loc[("water", pd.NA), "area_km2"] == pytest.approx(1.0, rel=1e-9)
    assert y0.loc[("nodata", pd.NA), "area_km2"] == pytest.approx(1.0, rel=1e-9)
    y1 = table[table["year"] == 2001].set_index(["kind", "class"])
    assert y1.loc[("class", 3), "percent_of_land"] == pytest.approx(100 / 7, rel=1e-9)
    assert y1.loc[("any_drought", pd.NA), "percent_of_land"] == pytest.approx(100 / 7, rel=1e-9)
    names = table.set_index(["year", "kind", "class"]).loc[(2000, "class", 4), "class_name"]
    assert names == "Extreme drought"
    # an official land area becomes the denominator (D3); the pixel land area stays beside it
    official = drought_area_table(
        classes, codes=TABLE_CODES, drought_codes=DROUGHT, nodata=NODATA, land_mask=_land_mask(classes), official_land_area_km2=10.0
    )
    o0 = official[official["year"] == 2000].set_index(["kind", "class"])
    assert o0.loc[("any_drought", pd.NA), "percent_of_land"] == pytest.approx(60.0)
    assert o0.loc[("land_area", pd.NA), "area_km2"] == pytest.approx(7.0, rel=1e-9)
    # dask-backed classes give the same table
    lazy = drought_area_table(
        classes.chunk({"year": 1, "y": 2}), codes=TABLE_CODES, drought_codes=DROUGHT, meanings=TABLE_NAMES,
        nodata=NODATA, land_mask=_land_mask(classes),
    )
    pd.testing.assert_frame_equal(lazy, table)


def test_drought_zonal_area_table_by_hand(equal_area_grid):
    classes = equal_area_grid([YEAR0, YEAR1])
    classes = classes.where(xr.DataArray(LAND, dims=("y", "x")), 0).astype("uint8")
    # west unit: the left column (3 cells); east unit: the two right columns (6 cells), on pixel edges
    units = gpd.GeoDataFrame({"id": ["W", "E"]}, geometry=[box(0, 0, 1000, 3000), box(1000, 0, 3000, 3000)], crs="EPSG:6933")
    table = drought_zonal_area_table(
        classes, units, codes=TABLE_CODES, drought_codes=DROUGHT, meanings=TABLE_NAMES, nodata=NODATA,
        land_mask=_land_mask(classes), method="centre",
    )
    y0 = table[table["year"] == 2000]
    west = y0[(y0["unit"] == "W")].set_index(["kind", "class"])
    east = y0[(y0["unit"] == "E")].set_index(["kind", "class"])
    nat = y0[y0["level"] == "national"].set_index(["kind", "class"])
    # west: mild, mild, none -> 2/3 mild; east: land = mild, moderate x2, extreme (4 cells), water 1, nodata 1
    assert west.loc[("class", 1), "percent_of_land"] == pytest.approx(200 / 3)
    assert west.loc[("any_drought", pd.NA), "percent_of_land"] == pytest.approx(200 / 3)
    assert east.loc[("class", 2), "percent_of_land"] == pytest.approx(50.0)
    assert east.loc[("any_drought", pd.NA), "percent_of_land"] == pytest.approx(100.0)
    assert east.loc[("water", pd.NA), "area_km2"] == pytest.approx(1.0, rel=1e-9)
    assert east.loc[("nodata", pd.NA), "area_km2"] == pytest.approx(1.0, rel=1e-9)
    assert nat.loc[("any_drought", pd.NA), "percent_of_land"] == pytest.approx(600 / 7)
    # unit rows add up to the national rows
    units_sum = y0[(y0["level"] == "unit") & (y0["kind"] == "class")].groupby("class")["area_km2"].sum()
    nat_cls = y0[(y0["level"] == "national") & (y0["kind"] == "class")].set_index("class")["area_km2"]
    pd.testing.assert_series_equal(units_sum.sort_index(), nat_cls.sort_index(), check_names=False)


def test_land_mask_must_share_the_grid(equal_area_grid):
    classes = equal_area_grid([YEAR1])
    shifted = _land_mask(classes).assign_coords(x=classes.x + 500.0)
    units = gpd.GeoDataFrame({"id": ["A"]}, geometry=[box(0, 0, 3000, 3000)], crs="EPSG:6933")
    with pytest.raises(GridMismatchError):
        drought_zonal_area_table(classes, units, codes=TABLE_CODES, drought_codes=DROUGHT, nodata=NODATA, land_mask=shifted)


def test_drought_codes_must_be_classes(equal_area_grid):
    classes = equal_area_grid([YEAR1])
    with pytest.raises(InputError, match="drought codes"):
        drought_area_table(classes, codes=[0, 1], drought_codes=[1, 7], nodata=NODATA)


def test_drought_trends_are_labelled_non_normative():
    years = np.arange(2000, 2010)
    table = pd.DataFrame({"year": years, "kind": "any_drought", "percent_of_land": 10.0 + 2.0 * (years - 2000)})
    other = table.assign(kind="class", percent_of_land=1.0)
    out = drought_trends(
        pd.concat([table, other]), baseline=(2000, 2004), period=(2005, 2009), value="percent_of_land",
        filters={"kind": "any_drought"},
    )
    assert out["sens_slope_per_year"] == pytest.approx(2.0)
    assert out["mann_kendall"]["s"] == 45  # all 45 pairs increase
    assert out["difference"] == pytest.approx(10.0)
    assert "non-normative" in out["note"]
    with pytest.raises(InputError, match="several rows per year"):
        drought_trends(pd.concat([table, other]), baseline=(2000, 2004), period=(2005, 2009), value="percent_of_land")


def test_epoch_maps_keep_the_grid_and_get_area_tables(equal_area_grid):
    classes = equal_area_grid([YEAR1, YEAR0, YEAR1, YEAR1])
    classes = classes.where(xr.DataArray(LAND, dims=("y", "x")), 0).astype("uint8")
    spi_like = xr.where(classes == 0, 0.5, -1.2).rio.write_crs(classes.rio.crs)
    assert classify(spi_like).rio.crs == classes.rio.crs
    epochs = epoch_most_severe(classes, epochs=[(2000, 2003)], severity=[0, 1, 2, 3, 4], nodata=NODATA)
    assert epochs.rio.crs == classes.rio.crs
    table = drought_area_table(
        epochs, codes=TABLE_CODES, drought_codes=DROUGHT, nodata=NODATA, land_mask=_land_mask(classes), dim="epoch"
    ).set_index(["kind", "class"])
    # most severe over the epoch: YEAR0 everywhere except the severe cell of YEAR1 (row 2, col 3)
    assert table.loc[("class", 3), "area_km2"] == pytest.approx(1.0, rel=1e-9)
    assert table.loc[("class", 2), "area_km2"] == pytest.approx(1.0, rel=1e-9)
    assert table.loc[("any_drought", pd.NA), "percent_of_land"] == pytest.approx(600 / 7)

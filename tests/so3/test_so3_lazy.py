"""SO3-1/SO3-2 on dask-chunked rasters: lazy in, lazy out; tables equal the numpy ones; no whole grid computed.

The developers' guide: every raster path works on dask-chunked arrays without loading whole rasters,
so memory stays bounded as the common grid grows (benchmarks/bench_so3.py measures it). Here a dask
callback watches every computation the functions start: the maps (classes, epoch maps, exposure
maps) must start none, and the tables may only bring back small partial sums — never as many bytes
as one year's grid has cells (a whole 2-D grid, even of uint8, would).
"""

from __future__ import annotations

import dask
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from dask.callbacks import Callback
from shapely.geometry import box

from indicators.grid_resample import resample_nearest
from indicators.so3.exposure import drought_exposure, drought_exposure_zonal, epoch_exposure_map
from indicators.so3.hazard import (
    drought_area_table,
    drought_hazard_classes,
    drought_zonal_area_table,
    epoch_most_severe,
)

NODATA = 255
CODES = [1, 2, 3, 4, 0]
DROUGHT = [1, 2, 3, 4]
SEVERITY = [0, 1, 2, 3, 4]
YEARS = list(range(2000, 2006))
EPOCHS = [(2000, 2003), (2004, 2007)]
NY, NX = 40, 300  # one year's grid: 12 000 cells
CHUNKS = {"y": 10, "x": 100}


class Meter(Callback):
    """Counts the dask computations started and the bytes of the largest result each one returns."""

    def __init__(self):
        super().__init__()
        self.returned: list[int] = []

    def _finish(self, dsk, state, errored):
        # at the end of a local-scheduler run, state["cache"] holds the results handed back to the caller; one
        # computation may bring back several tables' partial sums (one per year, computed in one pass): the
        # largest of them is what would reveal a whole grid
        self.returned.append(max((_nbytes(v) for v in state["cache"].values()), default=0))

    @property
    def largest(self) -> int:
        return max(self.returned, default=0)


def _nbytes(obj) -> int:
    if isinstance(obj, np.ndarray):
        return obj.nbytes
    if isinstance(obj, (list, tuple)):
        return sum(_nbytes(v) for v in obj)
    if isinstance(obj, dict):
        return sum(_nbytes(v) for v in obj.values())
    return 0


@pytest.fixture
def metered():
    meter = Meter()
    with dask.config.set(scheduler="sync"), meter:
        yield meter


@pytest.fixture
def data(equal_area):
    """Annual classes (with nodata), a population grid for 2000 and 2004 (with NaN), and per-year land masks."""
    rng = np.random.default_rng(3)
    cls = rng.integers(0, 5, (len(YEARS), NY, NX)).astype("uint8")
    cls[rng.random(cls.shape) < 0.03] = NODATA
    classes = equal_area(cls, years=YEARS, nodata=NODATA, name="drought_class")
    pop = rng.gamma(2.0, 40.0, (2, NY, NX)).astype("float32")
    pop[rng.random(pop.shape) < 0.02] = np.nan
    population = equal_area(pop, years=[2000, 2004], dtype="float32", name="population").assign_attrs(units="person")
    water = rng.random((len(YEARS), NY, NX)) < 0.05
    land = equal_area(~water, years=YEARS, dtype=bool, name="land_mask")
    units = gpd.GeoDataFrame(
        {"id": ["W", "C", "E"]},
        geometry=[box(0, 0, 110_000, 40_000), box(110_000, 0, 200_000, 40_000), box(200_000, 5_000, 300_000, 40_000)],
        crs="EPSG:6933",
    )
    return classes, population, land, units


def _lazy(da: xr.DataArray) -> xr.DataArray:
    return da.chunk({d: CHUNKS.get(d, 1) for d in da.dims})


def _assert_small(meter: Meter) -> None:
    assert meter.returned, "no dask computation ran: the inputs were not dask-backed"
    assert meter.largest < NY * NX, f"a computation brought back {meter.largest} bytes: a whole grid was loaded"


def test_maps_stay_lazy(data, metered):
    classes, population, _, _ = data
    spi = _lazy(xr.DataArray(np.linspace(-3, 2, NY * NX, dtype="float32").reshape(NY, NX), dims=("y", "x"),
                             coords=classes.isel(year=0).coords))
    hazard = drought_hazard_classes(spi, breaks=[-2.0, -1.5, -1.0, 0.0], codes=[4, 3, 2, 1, 0], right_closed=True,
                                    meanings=["none", "mild", "moderate", "severe", "extreme"], nodata=NODATA)
    epochs = epoch_most_severe(_lazy(classes), epochs=EPOCHS, severity=SEVERITY, nodata=NODATA)
    exposure = epoch_exposure_map(epochs, _lazy(population), drought_codes=DROUGHT, nodata=NODATA)
    assert metered.returned == []  # nothing computed while building the maps
    for out in (hazard, epochs, exposure):
        assert out.chunks is not None
        assert max(max(c) for c in out.chunks[-2:]) <= max(CHUNKS.values())  # blocks of the input, not whole rows
    eager_epochs = epoch_most_severe(classes, epochs=EPOCHS, severity=SEVERITY, nodata=NODATA)
    xr.testing.assert_identical(epochs.compute(), eager_epochs)
    xr.testing.assert_identical(exposure.compute(),
                                epoch_exposure_map(eager_epochs, population, drought_codes=DROUGHT, nodata=NODATA))


def test_area_tables_on_dask_equal_numpy_and_load_no_grid(data, metered):
    classes, _, land, units = data
    kw = dict(codes=CODES, drought_codes=DROUGHT, nodata=NODATA)
    eager = drought_area_table(classes, land_mask=land, **kw)
    eager_units = drought_zonal_area_table(classes, units, land_mask=land, method="centre", **kw)
    metered.returned.clear()
    lazy = drought_area_table(_lazy(classes), land_mask=_lazy(land), **kw)
    lazy_units = drought_zonal_area_table(_lazy(classes), units, land_mask=_lazy(land), method="centre", **kw)
    _assert_small(metered)
    pd.testing.assert_frame_equal(lazy, eager)
    pd.testing.assert_frame_equal(lazy_units, eager_units, check_exact=False, rtol=1e-12)


def test_exact_unit_areas_on_dask_equal_numpy(data):
    classes, _, land, units = data
    kw = dict(codes=CODES, drought_codes=DROUGHT, nodata=NODATA, method="exact")
    pd.testing.assert_frame_equal(drought_zonal_area_table(_lazy(classes), units, land_mask=_lazy(land), **kw),
                                  drought_zonal_area_table(classes, units, land_mask=land, **kw),
                                  check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("water_population", ["keep", "zero"])
def test_exposure_tables_on_dask_equal_numpy_and_load_no_grid(data, metered, water_population):
    classes, population, land, units = data
    kw = dict(codes=CODES, drought_codes=DROUGHT, nodata=NODATA, sex_percentage="2026", water_population=water_population)
    epochs = epoch_most_severe(classes, epochs=EPOCHS, severity=SEVERITY, nodata=NODATA)
    eager = drought_exposure(classes, population, land_mask=land, **kw)
    eager_units = drought_exposure_zonal(classes, population, units, land_mask=land, method="centre", **kw)
    eager_epochs = drought_exposure(epochs, population, dim="epoch", **dict(kw, water_population="keep"))
    metered.returned.clear()
    lazy = drought_exposure(_lazy(classes), _lazy(population), land_mask=_lazy(land), **kw)
    lazy_units = drought_exposure_zonal(_lazy(classes), _lazy(population), units, land_mask=_lazy(land), method="centre", **kw)
    lazy_epochs = drought_exposure(epoch_most_severe(_lazy(classes), epochs=EPOCHS, severity=SEVERITY, nodata=NODATA),
                                   _lazy(population), dim="epoch", **dict(kw, water_population="keep"))
    _assert_small(metered)
    for a, b in ((lazy, eager), (lazy_units, eager_units), (lazy_epochs, eager_epochs)):
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


def test_classes_resampled_onto_a_chunked_grid_give_the_numpy_tables(data, metered):
    """The runner's path: coarse classes (in memory) → resample_nearest onto the dask-chunked common grid → tables."""
    classes, population, _, _ = data
    coarse = classes.isel(y=slice(None, None, 10), x=slice(None, None, 10))
    coarse = coarse.assign_coords(y=coarse.y - 4500.0, x=coarse.x + 4500.0)  # 10 km cells on the same origin
    fine_eager = resample_nearest(population.isel(year=0, drop=True), coarse)
    metered.returned.clear()
    fine = resample_nearest(_lazy(population.isel(year=0, drop=True)), coarse)
    assert metered.returned == [] and fine.chunks is not None
    # each fine cell takes the class of the 10 x 10 block holding its centre
    expected = np.repeat(np.repeat(coarse.values, 10, axis=1), 10, axis=2)
    np.testing.assert_array_equal(fine_eager.values, expected)
    kw = dict(codes=CODES, drought_codes=DROUGHT, nodata=NODATA)
    lazy_area = drought_area_table(fine, **kw)
    lazy_pop = drought_exposure(fine, _lazy(population), sex_percentage="2026", **kw)
    _assert_small(metered)
    pd.testing.assert_frame_equal(lazy_area, drought_area_table(fine_eager, **kw))
    pd.testing.assert_frame_equal(lazy_pop, drought_exposure(fine_eager, population, sex_percentage="2026", **kw),
                                  check_exact=False, rtol=1e-12)

"""The write phase's fast paths give the bytes of the slow ones (issue 16 item 3).

* the workbook's data rows written as text (indicators.report.xlsx_rows): openpyxl's per-cell objects took ~30 s
  of a 2000² run's write phase; the reference is write_xlsx with every table left to openpyxl (rows_xml refusing
  every table, as it does a non-plain one);
* tables.json's rows encoded by the C encoder (tables._row_texts): the reference is the indenting encoder.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from indicators.report import xlsx_rows
from indicators.report.tables import Table, _dumps, _row_records, _row_texts, xlsx_bytes


def _all_openpyxl(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise xlsx_rows.NotPlain("reference")
        yield  # a generator, as rows_xml is

    monkeypatch.setattr(xlsx_rows, "rows_xml", refuse)


def _tables() -> dict[str, Table]:
    strings = ["a", " leading", "trailing ", "  ", "", "a & b < c > d", "ü \"q\" 'q'", "line\nbreak", "\ttab", None, "x", "=", "#"]
    n = len(strings)
    f = pd.DataFrame({"name": strings,
                      "area_km2": [1.23456789, np.nan, np.inf, -np.inf, -0.0, 1e-7, 1e20, 123456789.123456, 0.1, 2.5, 3.0, -1.0, 7.0],
                      "percent": np.linspace(-3, 3, n), "population": np.arange(n, dtype="int64") * 10**12,
                      "flag": [True, False] * (n // 2) + [True], 2000: [1.5] * n,
                      "mixed": [1, 2.5, "three", None, np.float32(0.1), np.int16(4), True, 8, 9, 10, 11, 12, 13]})
    wide = pd.DataFrame({f"c{j}": np.arange(3, dtype=float) + j / 7 for j in range(30)})  # columns past Z
    return {"SO3-2.units": Table("SO3-2.units", "units", f, units={"area_km2": "km**2", "percent": "percent",
                                                                     "population": "person"}, notes=["n"]),
            "SO1-1.T1": Table("SO1-1.T1", "no rows", f.iloc[:0]),
            "SO1-1.T2": Table("SO1-1.T2", "one column", f[["name"]]),
            "SO1-1.T3": Table("SO1-1.T3", "wide", wide, units={c: "km**2" for c in wide.columns})}


def test_rows_as_text_are_openpyxl_bytes(monkeypatch):
    tables = _tables()
    fast = xlsx_bytes(tables, meta={"country": "X"})
    _all_openpyxl(monkeypatch)
    assert fast == xlsx_bytes(tables, meta={"country": "X"})


@pytest.mark.parametrize("odd", ["=SUM(A1)", "#N/A", "bell\x07", "x" * 40000])
def test_a_string_openpyxl_stores_otherwise_leaves_the_table_to_openpyxl(monkeypatch, odd):
    t = Table("SO1-1.T1", "odd", pd.DataFrame({"name": ["plain", odd], "v": [1.5, 2.5]}), units={"v": "km**2"})
    try:
        fast = xlsx_bytes({t.id: t})
    except Exception as exc:  # openpyxl refuses it: so does the fast path's fallback
        _all_openpyxl(monkeypatch)
        with pytest.raises(type(exc)):
            xlsx_bytes({t.id: t})
        return
    _all_openpyxl(monkeypatch)
    assert fast == xlsx_bytes({t.id: t})


@pytest.mark.parametrize("level", [0, 5])
def test_json_rows_are_the_indenting_encoders_text(level):
    f = _tables()["SO3-2.units"].frame.copy()
    f["nul \x00 and ü"] = ["\x00", "a\x00b", "\"", "\\", "é", "\u2028", "", None, "x", "y", "z", "1", "2"]
    for frame in (f, f.iloc[:0], f[[]], f.rename(columns={"percent": "name"})):  # no rows, no columns, a name twice
        assert list(_row_texts(frame, level)) == [_dumps(r, level) for r in _row_records(frame)]


def _old_png_bytes(fig) -> bytes:
    """What png_bytes was: savefig with the layout engine on (its hidden first draw lays the figure out)."""
    import io

    from indicators.report.figures import DPI, PNG_COMPRESS_LEVEL

    buf = io.BytesIO()
    tight = None if fig.get_layout_engine() is not None else "tight"
    # the same zlib level as the report's (the layout is what this compares, not the compression)
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, bbox_inches=tight,
                pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return buf.getvalue()


def _old_outlines(ax, layers) -> None:
    """What the maps drew: GeoPandas' plot of each layer's boundary on each panel (layers: (admin, boundary))."""
    admin, boundary = layers
    if admin is not None and len(admin):
        admin.boundary.plot(ax=ax, color="#555555", linewidth=0.4)
    if boundary is not None and len(boundary):
        boundary.boundary.plot(ax=ax, color="black", linewidth=0.9)


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3035"])
@pytest.mark.parametrize("panels", [1, 5])
def test_maps_are_the_pngs_of_geopandas_outlines_and_savefigs_layout(monkeypatch, crs, panels):
    import geopandas as gpd
    import rioxarray  # noqa: F401
    import xarray as xr
    from shapely.geometry import MultiPolygon, Polygon, box

    from indicators.report import figures

    geographic = crs == "EPSG:4326"
    x0, y0, res = (10.0, 45.0, 0.01) if geographic else (4.3e6, 2.6e6, 1000.0)
    ny, nx = 40, 60
    values = (np.arange(panels * ny * nx) % 7).reshape(panels, ny, nx).astype("uint8") + 1
    da = xr.DataArray(values, dims=("year", "y", "x"),
                      coords={"year": list(range(2000, 2000 + panels)), "y": y0 + ny * res - (np.arange(ny) + 0.5) * res,
                              "x": x0 + (np.arange(nx) + 0.5) * res}).rio.write_crs(crs)
    w, h = nx * res, ny * res
    ring = box(x0 + 0.1 * w, y0 + 0.1 * h, x0 + 0.5 * w, y0 + 0.9 * h).difference(box(x0 + 0.2 * w, y0 + 0.3 * h, x0 + 0.3 * w, y0 + 0.5 * h))
    admin = gpd.GeoDataFrame({"id": [1, 2, 3]}, crs=crs, geometry=[
        ring, MultiPolygon([box(x0 + 0.5 * w, y0 + 0.1 * h, x0 + 0.7 * w, y0 + 0.4 * h), box(x0 + 0.75 * w, y0 + 0.5 * h, x0 + 0.9 * w, y0 + 0.9 * h)]),
        None])
    boundary = gpd.GeoDataFrame(geometry=[Polygon([(x0 + 0.05 * w, y0 + 0.05 * h), (x0 + 0.95 * w, y0 + 0.05 * h), (x0 + 0.95 * w, y0 + 0.95 * h)])], crs=crs)
    legend = [figures.LegendEntry(c, f"class {c}", f"#{30 * c:02x}{200 - 20 * c:02x}80") for c in range(1, 8)]
    kw = dict(title="classes", legend=legend, boundary=boundary, admin=admin, language="en")
    new = [figures.map_png(da if panels > 1 else da.isel(year=0, drop=True), **kw),
           figures.map_png(da.astype("float32") - 3.5, title="signed", units="x", boundary=boundary, admin=None, language="en")]
    monkeypatch.setattr(figures, "png_bytes", _old_png_bytes)
    monkeypatch.setattr(figures, "_outline_layers", lambda boundary, admin: (admin, boundary))
    monkeypatch.setattr(figures, "_outlines", _old_outlines)
    old = [figures.map_png(da if panels > 1 else da.isel(year=0, drop=True), **kw),
           figures.map_png(da.astype("float32") - 3.5, title="signed", units="x", boundary=boundary, admin=None, language="en")]
    # digests: pytest's diff of two large byte strings takes minutes
    assert [hashlib.sha256(b).hexdigest() for b in new] == [hashlib.sha256(b).hexdigest() for b in old]


def test_frame_rows_are_itertuples():
    from indicators.report.tables import frame_rows

    f = pd.DataFrame({"f": [1.5, np.nan, -0.0], "i": np.array([1, 2, 3], dtype="int64"), "b": [True, False, True],
                      "o": ["a", None, 3], "s": pd.Series(["a", None, "ü"], dtype="str"),
                      "S": pd.Series(["a", None, "b"], dtype="string"), "c": pd.Series(["x", None, "x"], dtype="category"),
                      "I": pd.Series([1, None, 3], dtype="Int64"), "t": pd.to_datetime(["2000-01-01", None, "2001-01-01"])})
    f.columns = ["f", "i", "b", "o", "s", "S", "c", "I", "f"]  # a name twice
    for frame in (f, f.iloc[:0], f[[]]):
        got, ref = list(frame_rows(frame)), list(frame.itertuples(index=False, name=None))
        assert len(got) == len(ref)
        for g, r in zip(got, ref):
            assert [type(v) for v in g] == [type(v) for v in r]
            assert all(a is b or a == b or (a != a and b != b) for a, b in zip(g, r))


def test_checksums_in_a_thread_are_the_files_own(tmp_path):
    """The inputs' checksums computed beside the tables (report.provenance.Checksums) are hashlib's of the files'
    bytes, including a file read in several chunks and one asked for that was never started."""
    from indicators.report.provenance import Checksums, sha256_file

    rng = np.random.default_rng(7)
    files = []
    for i, size in enumerate((0, 1, 5000, 3 * 4096 + 17)):
        p = tmp_path / f"f{i}.bin"
        p.write_bytes(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
        files.append(p)
    expected = {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    assert {str(p): sha256_file(p, chunk=4096) for p in files} == expected  # several reads into one buffer
    sums = Checksums(files[:3] + [files[0]])  # a path twice: hashed once
    try:
        assert {str(p): sums(p) for p in files} == expected  # files[3] was not started: hashed when asked
    finally:
        sums.close()
    sums.close()  # closing twice is harmless
    assert sums(files[2]) == expected[str(files[2])]  # after close: what was computed, or hashed on demand


def test_checksums_closed_early_stop_reading_and_still_answer(tmp_path):
    """A run that stops early closes its Checksums: a hash under way gives up between two chunks (it does not read
    the rest of a large input), and a checksum asked for afterwards is computed then, the file's own."""
    import threading

    from indicators.report.provenance import Checksums, HashingStopped, sha256_file

    p = tmp_path / "big.bin"
    p.write_bytes(bytes(range(256)) * 64)
    stop = threading.Event()
    stop.set()
    with pytest.raises(HashingStopped):
        sha256_file(p, chunk=4096, stop=stop)
    sums = Checksums([p])
    sums.close()
    assert sums(p) == hashlib.sha256(p.read_bytes()).hexdigest()

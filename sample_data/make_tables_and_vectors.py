"""Make the fictional country's national tables (SO2, SO4, SO5) and its KBA / protected-area polygons.

Deterministic: every value is a formula of the year, no random numbers, so
running the script again rewrites the same content.  Run from the repository
root::

    python sample_data/make_tables_and_vectors.py

Writes ``sample_data/tables/*.csv`` and ``sample_data/vectors/kba.gpkg``,
``sample_data/vectors/protected_areas.gpkg`` (EPSG:4326, inside the country's
bounding box lon 10.0–13.0 E, lat 44.0–46.5 N).  The polygons are made so that
the SO4-3 result can be followed by hand: protected areas overlap each other,
one KBA has a hole, one KBA is unprotected, one protected area has an unknown
establishment year (STATUS_YR 0, the WDPA convention) and one is a self-
intersecting "bow-tie" that must be repaired.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Polygon, box

HERE = Path(__file__).resolve().parent
TABLES = HERE / "tables"
VECTORS = HERE / "vectors"
YEARS = range(2000, 2024)


def _write(name: str, header: list[str], rows: list[list[object]], comment: str) -> None:
    TABLES.mkdir(parents=True, exist_ok=True)
    with (TABLES / name).open("w", newline="", encoding="utf-8") as fh:
        fh.write(f"# {comment}\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _poverty_rows(line: str, ppp: int, national: tuple[float, float, float], affected: tuple[float, float, float]) -> list:
    """SO2-1 rows at one poverty line: share below it nationally and in affected areas (base, yearly fall, wobble),
    and the Gini index, which does not depend on the line."""
    rows = []
    for y in YEARS:
        k = y - 2000
        rows.append([y, "national", "below_poverty_line", f"{national[0] - national[1] * k + national[2] * ((k % 3) - 1):.1f}",
                     "percent", line, ppp])
        rows.append([y, "national", "gini", f"{36.0 - 0.12 * k + 0.3 * ((k % 4) - 1.5):.1f}", "percent", "", ""])
        rows.append([y, "affected areas", "below_poverty_line", f"{affected[0] - affected[1] * k + affected[2] * ((k % 3) - 1):.1f}",
                     "percent", line, ppp])
    return rows


def tables() -> None:
    header = ["year", "scope", "metric", "value", "unit", "poverty_line_usd_per_day", "ppp_year"]
    _write("so2_1_poverty.csv", header, _poverty_rows("3.00", 2021, (24.0, 0.55, 0.4), (31.0, 0.45, 0.5)),
           "SO2-1 fictional country: population below USD 3.00/day (2021 PPP), percent; Gini index 0-100 (unit percent)")
    # the same country at the 2022 edition's line: the reader refuses a row at another line than the edition's, so a
    # 2022 run reads its own file (a lower line, fewer people below it)
    _write("so2_1_poverty_2022.csv", header, _poverty_rows("1.90", 2011, (14.5, 0.38, 0.3), (19.5, 0.33, 0.4)),
           "SO2-1 fictional country: population below USD 1.90/day (2011 PPP; the 2022 edition's line), percent; Gini index 0-100 (unit percent)")

    rows = []
    for y in YEARS:
        k = y - 2000
        urban, rural, share_urban = 80.0 + 0.5 * k, 45.0 + 1.05 * k, 0.55 + 0.004 * k
        total = share_urban * urban + (1 - share_urban) * rural
        for area, v in (("total", total), ("urban", urban), ("rural", rural)):
            rows.append([y, "national", area, f"{v:.1f}", "percent"])
    _write("so2_2_water.csv", ["year", "scope", "area_type", "value", "unit"], rows,
           "SO2-2 fictional country: population using safely managed drinking water services, percent")

    rows = []
    for y in YEARS:
        k = y - 2000
        rli = 0.912 - 0.0021 * k
        rows.append([y, f"{rli:.4f}", f"{rli - 0.011:.4f}", f"{rli + 0.009:.4f}"])
    _write("so4_2_red_list.csv", ["year", "rli", "rli_lower", "rli_upper"], rows,
           "SO4-2 fictional country: Red List Index with lower and upper bounds (dimensionless, 0-1)")

    rows = [[y, f"{21.0 + (0.9 * (y - 2000) if y < 2012 else 10.8 + 1.6 * (y - 2012)):.1f}", "percent"] for y in YEARS]
    _write("so4_3_kba_coverage.csv", ["year", "value", "unit"], rows,
           "SO4-3 fictional country: average proportion of terrestrial KBAs covered by protected areas, reported directly")

    eur = {2016: 0.9037, 2017: 0.8852, 2018: 0.8468, 2019: 0.8933, 2020: 0.8755, 2021: 0.8455, 2022: 0.9496, 2023: 0.9248}
    xof = {y: round(r * 655.957, 2) for y, r in eur.items()}  # the CFA franc is pegged to the euro
    rows = [[y, "EUR", f"{r:.4f}"] for y, r in eur.items()] + [[y, "XOF", f"{r:.2f}"] for y, r in xof.items()]
    _write("exchange_rates.csv", ["year", "currency", "lcu_per_usd"], rows,
           "annual average exchange rates, currency units per US dollar (illustrative values)")

    header = ["indicator", "direction", "year", "counterpart", "title", "amount_committed", "amount_disbursed", "currency",
              "rio_marker", "sector", "channel", "flow_type", "financial_instrument", "amount_mobilized"]
    rows = []
    for y in range(2016, 2024):
        k = y - 2016
        rows.append(["SO5-1", "received", y, "Donor A", "Rangeland restoration programme", "", f"{1_200_000 + 150_000 * k}", "USD",
                     "principal", "agriculture", "bilateral", "ODA", "grant", ""])
        rows.append(["SO5-1", "received", y, "Multilateral Fund B", "Drought early warning", f"{900_000 + 40_000 * k}",
                     f"{700_000 + 30_000 * k}", "EUR", "significant", "crosscutting", "multilateral", "ODA", "grant", ""])
        rows.append(["SO5-1", "received", y, "Donor C", "Road rehabilitation", "", "2500000", "USD", "not targeted",
                     "other", "bilateral", "OOF", "loan", ""])
        rows.append(["SO 5-2", "domestic", y, "", "National reforestation budget line", "", f"{(1_500_000_000 - 40_000_000 * k):.0f}",
                     "XOF", "", "forestry", "", "", "budget", ""])
        if y >= 2019:
            rows.append(["SO5-3", "received", y, "Private investor D", "Sustainable olive groves", f"{300_000 + 20_000 * (y - 2019)}", "",
                         "EUR", "significant", "agriculture", "", "private", "equity", "150000"])
    _write("so5_flows.csv", header, rows,
           "SO5 Tier 2 flows of the fictional country; amounts in the stated currency, converted with exchange_rates.csv")

    _write("so5_5_narrative.csv", ["sub_item", "text"], [
        ["SO5-5.1", "The national budget plans a land restoration fund from 2025, co-financed by a levy on water use."],
        ["SO5-5.2", "Two multilateral grants for drought preparedness are under negotiation."],
        ["SO5-5.3", "About USD 40 million a year would be needed to reach the national LDN targets."],
    ], "SO5-5 narrative answers of the fictional country")


def vectors() -> None:
    VECTORS.mkdir(parents=True, exist_ok=True)
    lake_hole = box(11.40, 45.35, 11.50, 45.45)
    kba = gpd.GeoDataFrame(
        {"kba_id": ["KBA-01", "KBA-02", "KBA-03", "KBA-04"],
         "name": ["Monte Alto", "Laghi Verdi", "Delta Basso", "Colline Sud"]},
        geometry=[
            box(10.40, 45.80, 10.80, 46.10),
            Polygon(box(11.20, 45.20, 11.70, 45.60).exterior.coords, [lake_hole.exterior.coords]),
            box(12.30, 44.30, 12.80, 44.60),
            box(10.60, 44.40, 10.90, 44.70),
        ],
        crs="EPSG:4326",
    )
    bowtie = Polygon([(12.30, 44.30), (12.80, 44.60), (12.80, 44.30), (12.30, 44.60)])  # self-intersecting on purpose
    pa = gpd.GeoDataFrame(
        {"wdpa_id": [101, 102, 103, 104, 105, 106, 107],
         "name": ["Alto Park", "Alto Reserve", "Verdi West", "Verdi East", "Delta Wetland", "Delta Dunes", "North Forest"],
         "STATUS_YR": [1990, 2005, 2012, 2018, 2003, 0, 2020]},
        geometry=[
            box(10.30, 45.70, 10.60, 46.20),
            box(10.50, 45.80, 10.70, 46.00),
            box(11.10, 45.10, 11.45, 45.50),
            box(11.40, 45.30, 11.80, 45.65),
            bowtie,
            box(12.60, 44.50, 12.90, 44.70),
            box(12.00, 45.90, 12.30, 46.20),
        ],
        crs="EPSG:4326",
    )
    for gdf, name in ((kba, "kba"), (pa, "protected_areas")):
        path = VECTORS / f"{name}.gpkg"
        if path.exists():
            path.unlink()
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio")


if __name__ == "__main__":
    tables()
    vectors()
    print(f"wrote {TABLES} and {VECTORS}")

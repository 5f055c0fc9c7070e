"""SO4-3: average proportion of terrestrial Key Biodiversity Areas covered by protected areas (SDG 15.1.2).

Two paths (methodology Part B §1.2, SO 4-3; PRAIS tables SO4-3.T1, T2):

* :func:`kba_protected_coverage` computes the figure from KBA and protected-area
  polygons;
* :func:`kba_protected_coverage_from_table` takes the figure a Party reports
  directly (``year, value, unit``) through the same checks and output shape.

Computation, for each year Y:

1. the protected areas established in or before Y (establishment-year field,
   e.g. WDPA ``STATUS_YR``) are dissolved (``unary_union``), so an overlap is
   counted once;
2. each KBA is intersected with that union; its coverage is
   ``protected area / KBA area × 100``, capped at 100 % (rounding);
3. the indicator is the **unweighted mean over KBAs** of the per-KBA
   coverage (each KBA counts once, whatever its size: the SDG 15.1.2
   definition, "average proportion").  The area-weighted share of all KBA area
   that is protected is given beside it as a labelled extra.

Areas are geodesic on the layer's ellipsoid (``pyproj.Geod.geometry_area_perimeter``;
projected inputs are first transformed to geographic coordinates) or, if an
``area_crs`` is given, planar in that CRS, which must be equal-area.  Invalid
geometries are repaired with ``shapely.make_valid`` (polygonal parts kept) and
every repair is listed in the ``"repairs"`` table.  The KBA layer is expected to
hold terrestrial KBAs only (filter marine sites beforehand).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod
from shapely.geometry.polygon import orient

from ..errors import InputError
from ..tables import Column, TableSchema, check_years, finish, provenance, series_trends, source_of, validate_table

UnknownYear = Literal["error", "exclude", "always"]

_EQUAL_AREA_METHODS = ("equal area", "mollweide", "sinusoidal", "equal earth", "eckert iv", "eckert ii", "eckert vi", "goode")


def _layer_name(gdf: gpd.GeoDataFrame, default: str) -> str:
    return str(gdf.attrs.get("source") or default)


def _is_equal_area(crs: CRS) -> bool:
    op = crs.coordinate_operation
    name = (op.method_name if op is not None else "").lower()
    return crs.is_projected and any(k in name for k in _EQUAL_AREA_METHODS)


def _polygonal(geom: Any) -> Any:
    """Polygonal part of *geom* (a GeometryCollection from make_valid may hold lines and points)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.Polygon()
    return shapely.unary_union(parts) if len(parts) > 1 else parts[0]


def repair_polygons(gdf: gpd.GeoDataFrame, *, layer: str, id_field: str | None) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Repair invalid polygons with ``shapely.make_valid`` and report each repair.

    Returns the repaired copy and a table ``layer, feature, problem, action,
    area_change_pct`` (area change in the layer's CRS units, a planar measure of
    how much the repair moved).  Missing, empty or non-polygonal geometries raise
    :class:`InputError` naming the layer and the feature.
    """
    out = gdf.copy()
    rows: list[dict[str, Any]] = []
    geoms = list(out.geometry)
    ids = list(out[id_field]) if id_field else list(out.index)
    for i, geom in enumerate(geoms):
        feature = ids[i]
        where = f"{layer}, feature {feature!r}" + (f" ({id_field})" if id_field else " (row index)")
        if geom is None or geom.is_empty:
            raise InputError(f"{where}: the geometry is missing or empty; fix the feature or remove it from the layer")
        if geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
            raise InputError(f"{where}: geometry type {geom.geom_type} is not a polygon; the layer must hold polygons")
        if geom.is_valid and geom.geom_type != "GeometryCollection":
            continue
        reason = shapely.is_valid_reason(geom)
        fixed = _polygonal(shapely.make_valid(geom))
        if fixed.is_empty:
            raise InputError(f"{where}: the geometry is invalid ({reason}) and nothing polygonal is left after repair; redraw it")
        before = geom.area
        rows.append({"layer": layer, "feature": feature, "problem": reason, "action": "make_valid (polygonal parts kept)",
                     "area_change_pct": (fixed.area - before) / before * 100.0 if before > 0 else np.nan})
        geoms[i] = fixed
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    return out, pd.DataFrame(rows, columns=["layer", "feature", "problem", "action", "area_change_pct"])


def _area_function(crs: CRS, area_crs: str | None):
    """Working CRS and a function geometry → area in km²."""
    if area_crs is not None:
        target = CRS.from_user_input(area_crs)
        if not _is_equal_area(target):
            raise InputError(f"area_crs {area_crs!r} is not an equal-area projection; give one (e.g. EPSG:6933, a LAEA or Albers CRS) or leave it empty for geodesic areas")
        unit = target.axis_info[0].unit_name if target.axis_info else ""
        if unit not in ("metre", "meter"):
            raise InputError(f"area_crs {area_crs!r} has axis unit {unit!r}; use an equal-area CRS in metres")
        return target, lambda g: float(shapely.area(g)) / 1e6
    working = crs if crs.is_geographic else CRS.from_epsg(4326)
    geod: Geod = working.get_geod()

    def geodesic_km2(g: Any) -> float:
        total = 0.0
        for poly in shapely.get_parts(g):
            if poly.geom_type != "Polygon" or poly.is_empty:
                continue
            # counter-clockwise shell, clockwise holes: the hole areas come out negative and are subtracted
            area, _ = geod.geometry_area_perimeter(orient(poly, 1.0))
            total += area
        return total / 1e6

    return working, geodesic_km2


def checked_layers(kba: gpd.GeoDataFrame, protected_areas: gpd.GeoDataFrame, *, years: Sequence[int], kba_id_field: str,
                   establishment_year_field: str, protected_area_id_field: str | None, unknown_year: UnknownYear,
                   unknown_year_values: Sequence[int],
                   implausible_year: Callable[[float], str | None] | None = None,
                   implausible_year_action: Literal["refuse", "warn"] = "refuse") -> tuple[Any, ...]:
    """The KBA and protected-area layers checked and repaired as SO4-3 uses them (InputError naming the layer, the
    feature and the fix otherwise); the one checker of ``--check`` and the run (:func:`kba_protected_coverage`).
    *implausible_year* says why a known establishment year is not plausible (the specs' plausibility of
    ``protected_areas``, :func:`indicators.plausibility.year_problem`), or None; such years are refused, or with
    *implausible_year_action* ``"warn"`` (the specs' ``on_violation: warn``) kept as given and counted in a warning.

    Returns the two layers' names, the repaired KBA layer and its repairs, the repaired protected areas kept and
    their repairs, their establishment years, the protected areas excluded for an unknown year and the warnings
    (:class:`~indicators.plausibility.InputWarning` lines)."""
    kba_name = _layer_name(kba, "<KBA layer>")
    pa_name = _layer_name(protected_areas, "<protected-area layer>")
    for gdf, name in ((kba, kba_name), (protected_areas, pa_name)):
        if gdf.crs is None:
            raise InputError(f"{name}: the layer has no CRS; set it (e.g. EPSG:4326) before computing areas")
    if kba_id_field not in kba.columns:
        raise InputError(f"{kba_name}: field {kba_id_field!r} not found (fields: {list(kba.columns)}); set kba_id_field to the KBA id field")
    if establishment_year_field not in protected_areas.columns:
        raise InputError(f"{pa_name}: field {establishment_year_field!r} not found (fields: {list(protected_areas.columns)}); "
                         "set establishment_year_field to the protected areas' establishment-year field")
    if len(kba) == 0:
        raise InputError(f"{kba_name}: the layer has no KBAs")
    dup = kba[kba_id_field][kba[kba_id_field].duplicated()].tolist()
    if dup:
        raise InputError(f"{kba_name}, field {kba_id_field!r}: id(s) {dup} appear more than once; KBA ids must be unique")
    years = sorted(int(y) for y in years)
    if not years:
        raise InputError("years is empty; give the years to report (from the edition spec)")

    if unknown_year not in ("error", "exclude", "always"):
        raise InputError(f"unknown_year {unknown_year!r} is not one of 'error', 'exclude', 'always'")

    # establishment years
    pa = protected_areas.copy()
    raw_years = pd.to_numeric(pa[establishment_year_field], errors="coerce")
    unknown = raw_years.isna() | raw_years.isin(list(unknown_year_values))
    excluded = pa.loc[unknown].drop(columns=pa.geometry.name)
    if unknown.any() and unknown_year == "error":
        first = excluded.index[0]
        raise InputError(f"{pa_name}, feature at row {first}, field {establishment_year_field!r}: establishment year "
                         f"{protected_areas.at[first, establishment_year_field]!r} is unknown ({int(unknown.sum())} such features); "
                         "fill it in, or set unknown_year to 'exclude' or 'always' in the spec")
    found = None if implausible_year is None else _implausible_years(
        protected_areas, raw_years, unknown, implausible_year, name=pa_name, field=establishment_year_field,
        id_field=protected_area_id_field)
    year_warnings = []
    if found is not None and implausible_year_action == "warn":
        from ..plausibility import InputWarning

        year_warnings.append(InputWarning(f"{found}; kept as given, the area counts from that year on "
                                          "(on_violation: warn in the specs)"))
    elif found is not None:
        unknown_hint = f", or {unknown_year_values[0]} if it is not known" if len(unknown_year_values) else ""
        raise InputError(f"{found}; correct the establishment year{unknown_hint}")
    pa_year = raw_years.to_numpy(dtype="float64").copy()
    if unknown_year == "always":
        pa_year[unknown.to_numpy()] = -np.inf
        excluded = excluded.iloc[0:0]
    keep = ~unknown.to_numpy() if unknown_year == "exclude" else np.ones(len(pa), bool)
    pa = pa.loc[keep]
    pa_year = pa_year[keep]

    # repair, then bring both layers to the working CRS
    kba_fixed, rep_k = repair_polygons(kba, layer=kba_name, id_field=kba_id_field)
    if protected_area_id_field is not None and protected_area_id_field not in pa.columns:
        raise InputError(f"{pa_name}: field {protected_area_id_field!r} not found (fields: {list(pa.columns)}); set protected_area_id_field to an existing field or leave it empty")
    pa_fixed, rep_p = repair_polygons(pa, layer=pa_name, id_field=protected_area_id_field)
    return kba_name, pa_name, kba_fixed, rep_k, pa_fixed, rep_p, pa_year, excluded, year_warnings


def _implausible_years(pa: gpd.GeoDataFrame, raw_years: pd.Series, unknown: pd.Series,
                       implausible_year: Callable[[float], str | None], *, name: str, field: str,
                       id_field: str | None) -> str | None:
    """What is wrong with the known establishment years (None if nothing): a year from the future (2099) would leave
    its protected area out of every year, one before the first plausible year (85 for 1985) would count it in every
    year. The line names the first such feature, its year and how many more there are."""
    found = [(i, text) for i, y in enumerate(raw_years.tolist()) if not unknown.iloc[i] and (text := implausible_year(y))]
    if not found:
        return None
    i, text = found[0]
    if id_field and id_field in pa.columns:
        ident = pa[id_field].iloc[i]
        feature = f"feature {id_field} {ident.item() if isinstance(ident, np.generic) else ident!r}"
    else:
        feature = f"feature at row {pa.index[i]}"
    more = f" ({len(found) - 1} more such feature(s))" if len(found) > 1 else ""
    return f"{name}, {feature}, field {field!r}: establishment {text}{more}"


def kba_protected_coverage(
    kba: gpd.GeoDataFrame,
    protected_areas: gpd.GeoDataFrame,
    *,
    years: Sequence[int],
    kba_id_field: str,
    establishment_year_field: str,
    protected_area_id_field: str | None,
    unknown_year: UnknownYear,
    unknown_year_values: Sequence[int],
    area_crs: str | None,
    trend_tolerance: float,
    trend_method: Literal["sen", "endpoints"],
    implausible_year: Callable[[float], str | None] | None = None,
    implausible_year_action: Literal["refuse", "warn"] = "refuse",
) -> dict[str, pd.DataFrame]:
    """SO4-3 from polygons: mean proportion of each KBA covered by protected areas, per year.

    Parameters
    ----------
    kba : geopandas.GeoDataFrame
        Terrestrial Key Biodiversity Areas (polygons), with an id field.
    protected_areas : geopandas.GeoDataFrame
        Protected areas (polygons) with an establishment-year field; may overlap.
    years : sequence of int
        Years to report (coverage at the end of each year).
    kba_id_field : str
        Field identifying each KBA (must be unique).
    establishment_year_field : str
        Protected areas' establishment-year field (e.g. WDPA ``STATUS_YR``).
    protected_area_id_field : str or None
        Field naming protected areas in the repair report (e.g. ``WDPAID``);
        None: their row index.
    unknown_year : {"error", "exclude", "always"}
        What to do with a protected area whose year is empty or one of
        *unknown_year_values*: raise, leave it out, or count it in every year.
    unknown_year_values : sequence of int
        Codes meaning "year unknown" (WDPA uses 0).
    area_crs : str or None
        None: geodesic areas on the ellipsoid.  Otherwise an equal-area CRS in
        metres in which planar areas are taken.
    trend_tolerance, trend_method
        Qualitative trend settings.
    implausible_year : callable, optional
        Why a known establishment year is not plausible, or None (:func:`checked_layers`).
    implausible_year_action : {"refuse", "warn"}
        Refuse such a year, or keep it as given and note the warning in the provenance (:func:`checked_layers`).

    Returns
    -------
    dict of DataFrame
        ``"series"``: ``year, n_kba, mean_coverage_pct,
        extra_area_weighted_coverage_pct, kba_area_km2, protected_kba_area_km2``;
        ``"per_kba"``: ``kba_id, year, kba_area_km2, protected_area_km2,
        coverage_pct``; ``"trend"``; ``"repairs"``: geometries repaired;
        ``"excluded"``: protected areas left out for an unknown year.

    Raises
    ------
    InputError
        Missing CRS or fields, duplicate KBA ids, non-polygon or empty
        geometries, an unknown establishment year with ``unknown_year="error"``, an establishment year
        *implausible_year* refuses.
    """
    kba_name, pa_name, kba_fixed, rep_k, pa_fixed, rep_p, pa_year, excluded, year_warnings = checked_layers(
        kba, protected_areas, years=years, kba_id_field=kba_id_field, establishment_year_field=establishment_year_field,
        protected_area_id_field=protected_area_id_field, unknown_year=unknown_year, unknown_year_values=unknown_year_values,
        implausible_year=implausible_year, implausible_year_action=implausible_year_action)
    years = sorted(int(y) for y in years)
    working, area_km2 = _area_function(kba_fixed.crs, area_crs)
    kba_geoms = list(kba_fixed.to_crs(working).geometry)
    pa_geoms = np.asarray(list(pa_fixed.to_crs(working).geometry), dtype=object)
    # reprojection can itself break validity at the edges of a polygon: repair quietly again
    kba_geoms = [g if g.is_valid else _polygonal(shapely.make_valid(g)) for g in kba_geoms]
    pa_geoms = np.asarray([g if g.is_valid else _polygonal(shapely.make_valid(g)) for g in pa_geoms], dtype=object)

    tree = shapely.STRtree(pa_geoms) if len(pa_geoms) else None
    records: list[dict[str, Any]] = []
    for kid, geom in zip(kba_fixed[kba_id_field], kba_geoms):
        k_area = area_km2(geom)
        if not k_area > 0:
            raise InputError(f"{kba_name}, feature {kid!r}: the KBA has zero area; fix or remove it")
        cand = tree.query(geom, predicate="intersects") if tree is not None else np.array([], dtype=int)
        cand_years = pa_year[cand]
        last_key = None
        protected = 0.0
        for y in years:
            sel = cand[cand_years <= y]
            key = tuple(sorted(sel.tolist()))
            if key != last_key:  # only recompute when a new protected area appears
                if len(sel):
                    dissolved = shapely.unary_union(pa_geoms[sel])
                    protected = area_km2(_polygonal(shapely.intersection(geom, dissolved)))
                else:
                    protected = 0.0
                last_key = key
            records.append({"kba_id": kid, "year": y, "kba_area_km2": k_area, "protected_area_km2": protected,
                            "coverage_pct": min(protected / k_area * 100.0, 100.0)})
    per_kba = pd.DataFrame(records, columns=["kba_id", "year", "kba_area_km2", "protected_area_km2", "coverage_pct"])
    series = per_kba.groupby("year", as_index=False).agg(
        n_kba=("kba_id", "size"),
        mean_coverage_pct=("coverage_pct", "mean"),
        kba_area_km2=("kba_area_km2", "sum"),
        protected_kba_area_km2=("protected_area_km2", "sum"),
    )
    series["extra_area_weighted_coverage_pct"] = series["protected_kba_area_km2"] / series["kba_area_km2"] * 100.0
    series = series[["year", "n_kba", "mean_coverage_pct", "extra_area_weighted_coverage_pct", "kba_area_km2", "protected_kba_area_km2"]]
    trend = series_trends(series, value="mean_coverage_pct", tolerance=trend_tolerance, method=trend_method)
    repairs = pd.concat([r for r in (rep_k, rep_p) if len(r)], ignore_index=True) if (len(rep_k) or len(rep_p)) else rep_k

    area_rule = f"planar in equal-area {area_crs}" if area_crs else f"geodesic on the {working.ellipsoid.name if working.ellipsoid else 'WGS 84'} ellipsoid"
    params = dict(years=years, kba_id_field=kba_id_field, establishment_year_field=establishment_year_field,
                  protected_area_id_field=protected_area_id_field, unknown_year=unknown_year,
                  unknown_year_values=list(unknown_year_values), area_crs=area_crs, trend_tolerance=trend_tolerance, trend_method=trend_method)
    prov = provenance(
        "SO4-3", "indicators.so4.protected_areas:kba_protected_coverage", parameters=params,
        inputs={"kba": kba_name, "protected_areas": pa_name}, methodology="methodology.md Part B §1.2 (SO 4-3, SDG 15.1.2)",
        notes=[f"areas {area_rule}",
               "overlapping protected areas dissolved per year; indicator = unweighted mean of per-KBA coverage",
               f"{len(repairs)} geometries repaired with make_valid", f"{len(excluded)} protected areas excluded for an unknown year",
               *(str(w) for w in year_warnings)],
    )
    units = {"kba_area_km2": "km2", "protected_area_km2": "km2", "protected_kba_area_km2": "km2", "coverage_pct": "percent",
             "mean_coverage_pct": "percent", "extra_area_weighted_coverage_pct": "percent", "area_change_pct": "percent"}
    return {
        "series": finish(series, units=units, prov=prov),
        "per_kba": finish(per_kba, units=units, prov=prov),
        "trend": finish(trend, units={"first_value": "percent", "last_value": "percent", "extra_sens_slope_per_year": "percent/year"}, prov=prov),
        "repairs": finish(repairs, units=units, prov=prov),
        "excluded": finish(pd.DataFrame(excluded).reset_index(drop=True), units={}, prov=prov),
    }


def coverage_table_schema(value_range: tuple[float, float]) -> TableSchema:
    """Schema of the directly reported SO4-3 figure: ``year, value, unit``."""
    return TableSchema(
        title="SO4-3 KBA protected-area coverage",
        columns=(
            Column("year", "int", description="the year"),
            Column("value", "float", unit="percent", unit_column="unit", valid_range=value_range,
                   description="the average proportion of KBAs covered by protected areas"),
            Column("unit", "str", description="the unit of value (percent)"),
        ),
        key=("year",),
    )


def checked_coverage_table(table: pd.DataFrame, *, value_range: tuple[float, float], years: tuple[int, int] | None,
                           allow_gaps: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The directly reported SO4-3 table validated as :func:`kba_protected_coverage_from_table` uses it, and its
    missing years (every refusal of the computation, for the stage's check)."""
    t = validate_table(table, coverage_table_schema(value_range))
    return t, check_years(t, years=years, allow_gaps=allow_gaps)


def kba_protected_coverage_from_table(
    table: pd.DataFrame,
    *,
    value_range: tuple[float, float],
    years: tuple[int, int] | None,
    allow_gaps: bool,
    trend_tolerance: float,
    trend_method: Literal["sen", "endpoints"],
) -> dict[str, pd.DataFrame]:
    """SO4-3 reported directly: validate the series and give the same ``"series"``/``"trend"`` shape.

    Parameters
    ----------
    table : pandas.DataFrame
        ``year, value, unit`` (percent).
    value_range : (float, float)
        Inclusive range, percent.
    years, allow_gaps, trend_tolerance, trend_method
        As for the other table indicators.

    Returns
    -------
    dict of DataFrame
        ``"series"``: ``year, mean_coverage_pct``; ``"trend"``; ``"gaps"``.
    """
    t, gaps = checked_coverage_table(table, value_range=value_range, years=years, allow_gaps=allow_gaps)
    series = t[["year", "value"]].rename(columns={"value": "mean_coverage_pct"}).sort_values("year").reset_index(drop=True)
    series["year"] = series["year"].astype("int64")
    trend = series_trends(series, value="mean_coverage_pct", tolerance=trend_tolerance, method=trend_method)
    params = dict(value_range=value_range, years=years, allow_gaps=allow_gaps, trend_tolerance=trend_tolerance, trend_method=trend_method)
    prov = provenance("SO4-3", "indicators.so4.protected_areas:kba_protected_coverage_from_table", parameters=params,
                      inputs={"table": source_of(t)}, methodology="methodology.md Part B §1.2 (SO 4-3, SDG 15.1.2)",
                      notes=["figure reported directly by the Party"])
    return {
        "series": finish(series, units={"mean_coverage_pct": "percent"}, prov=prov),
        "trend": finish(trend, units={"first_value": "percent", "last_value": "percent", "extra_sens_slope_per_year": "percent/year"}, prov=prov),
        "gaps": finish(gaps, units={}, prov=prov),
    }

"""What each indicator reads, for the user guide and docs/indicators/ (the stages read these names).
"""

from __future__ import annotations



#: (input name, kind, unit, what it holds) per indicator; the stages above read these names
INPUT_DOCS: dict[str, list[tuple[str, str, str, str]]] = {
    "SO1-1": [("land_cover", "raster", "—", "land cover in the source legend (ESA CCI by default, or a national legend "
               "nested by an overlay), one map per year: at least each period's first and last year"),
              ("land_cover_regions", "vector", "—", "optional regions of the regional transition matrices (at most five, "
               "PRAIS26; D28): polygons with id_field, each id bound to a matrix by parameters land_cover.regional_matrices; "
               "a cell whose centre lies in a region is judged by that region's matrix")],
    "SO1-2": [("lpd", "raster", "—", "precomputed 5-class land productivity dynamics, one map per period: "
               "path: {baseline: …, report_1: …, report_2: …} (productivity.method precomputed_lpd)"),
              ("ndvi", "raster", "1", "annual productivity series covering the edition's windows, for productivity.method "
               "trends_earth or gpg2_zscore (scale_factor 0.0001 for NDVI x 10000)")],
    "SO1-3": [("soc_reference", "raster", "t/ha", "SOC stock 0-30 cm in the first land-cover year"),
              ("climate_zones", "raster", "—", "IPCC climate zones (when the SOC climate factor is per cell)")],
    "SO1-4": [("land_cover, lpd, soc_reference", "", "", "the sub-indicators' inputs"),
              ("recode_polygons", "vector", "—", "optional false positive/negative polygons (decision D16): periods_affected, "
               "recode_deg_to, recode_stable_to, recode_imp_to")],
    "SO2-1": [("so2_1_poverty", "table", "percent", "year, scope, metric (below_poverty_line | gini), value, unit, "
               "poverty_line_usd_per_day, ppp_year")],
    "SO2-2": [("so2_2_water", "table", "percent", "year, scope, area_type (total | urban | rural), value, unit")],
    "SO2-3": [("population_total", "raster", "person", "people per cell, one map per year (nearest year used)"),
              ("population_female, population_male", "raster", "person", "optional, by sex")],
    "SO3-1": [("precipitation", "raster", "mm/month", "monthly precipitation (netCDF with a time axis; any water amount "
               "or rate: mm/month, mm, mm/day, m, kg m-2, kg m-2 s-1) covering the "
               "SPI calibration years and the reporting years; its own grid"),
              ("land_cover", "raster", "—", "the common grid and inland water (the year land_area.water_year "
               "gives)"),
              ("pet", "raster", "mm/month", "monthly potential evapotranspiration on the precipitation grid and months "
               "(SPEI: spi.index spei, or the SPEI extension beside the SPI)"),
              ("drought_index", "raster", "1", "a precomputed SPI or SPEI (spi.index): a monthly series or one map per "
               "year; allowed unless spi.precomputed_allowed is false")],
    "SO3-2": [("population_total", "raster", "person", "people per cell, one map per year"),
              ("population_female, population_male", "raster", "person", "optional, by sex"),
              ("population_national", "table", "person", "optional national totals by year and sex: year, sex, population, unit")],
    "SO3-3": [("dvi_factors_national", "table", "factor units", "year, factor (ids of the spec factor set), value, unit, sex; "
               "checked before computing, values converted to each factor's spec unit"),
              ("dvi_factors_units", "table", "factor units", "the same with the admin unit id column (id_field)"),
              ("dvi", "raster", "1", "a precomputed DVI raster (0-1)")],
    "SO4-1": [("soc_reference", "raster", "t/ha", "reported through SO1-3 (the same inputs)")],
    "SO4-2": [("so4_2_red_list", "table", "1", "year, rli, rli_lower, rli_upper")],
    "SO4-3": [("kba", "vector", "—", "Key Biodiversity Areas with id_field"),
              ("protected_areas", "vector", "—", "protected areas with id_field and fields: {establishment_year: …}"),
              ("so4_3_kba_coverage", "table", "percent", "or the coverage reported directly: year, value, unit")],
    "SO5-1": [("so5_flows", "table", "currency", "one activity per row: indicator, direction, year, amounts, currency, "
               "rio_marker, …"), ("exchange_rates", "table", "currency per USD", "year, currency, lcu_per_usd")],
    "SO5-5": [("so5_5_narrative", "table", "—", "sub_item, text")],
}


for _code in ("SO5-2", "SO5-3", "SO5-4"):
    INPUT_DOCS[_code] = INPUT_DOCS["SO5-1"]

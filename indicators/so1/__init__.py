"""SO1 land degradation: land cover (SO1-1), productivity (SO1-2), SOC (SO1-3) and SDG 15.3.1 (SO1-4).

Modules: :mod:`~indicators.so1.encoding` (the one class encoding: 1 degraded, 2 stable,
3 improved, 0 nodata), :mod:`~indicators.so1.land_cover`, :mod:`~indicators.so1.productivity`,
:mod:`~indicators.so1.soc`, :mod:`~indicators.so1.sdg` and :mod:`~indicators.so1.tables`
(reporting-shaped area tables).
"""

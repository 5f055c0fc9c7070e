"""SO3 drought: SPI (:mod:`.spi`), tier 1 hazard (:mod:`.hazard`), tier 2 exposure
(:mod:`.exposure`) and tier 3 vulnerability (:mod:`.vulnerability`), after decision
11/COP.14 and its annex (methodology Part A D5–D9, Part B §3–§4).

Submodules are imported on use, so ``import indicators.so3`` stays cheap.
"""

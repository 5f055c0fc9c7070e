"""The checks of spec files, one module per family of rules (the ``rule`` of each problem).

:mod:`~.schema` checks one file against the spec model (rules ``schema``, ``kind``); the others check the
merged framework, each given a :class:`~.context.CheckContext`: :mod:`~.references` (``unique_id``,
``reference``), :mod:`~.legends` (``matrix_complete``, ``matrix_values``, ``nesting``, ``thresholds``,
``lookup``), :mod:`~.units`, :mod:`~.bindings` (``binding``), :mod:`~.editions`, :mod:`~.tiers` and
:mod:`~.parameters`.  :mod:`indicators.specs.validate` runs them in order.
"""

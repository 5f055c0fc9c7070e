"""The UNCCD monitoring framework as validated data.

``model`` is the one typed definition of the spec format (pydantic v2; no
xarray or dask; its items live in the ``*_model`` modules beside it),
``loader`` reads and merges the YAML files (defaults, a profile, a national
overlay), ``validate`` checks them (the rules: ``checks``, one module per
family) and reports problems with file, line and field, ``catalog`` renders
``docs/catalog.md``.
"""

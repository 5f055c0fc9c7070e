"""The UNCCD monitoring framework as validated data.

``model`` is the one typed definition of the spec format (pydantic v2; no
xarray or dask), ``loader`` reads and merges the YAML files (defaults, a
profile, a national overlay), ``validate`` checks them and reports problems
with file, line and field, ``catalog`` renders ``docs/catalog.md``.
"""

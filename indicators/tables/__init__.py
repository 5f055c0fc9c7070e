"""Tables: the one home for reading and validating the indicators' CSV tables.

National statistics (SO2-1, SO2-2, SO4-2, the SO4-3 direct figure), finance
flows and exchange rates (SO5) and SOC stock tables (SO4-1) arrive as small
tables.  A :class:`TableSchema` declares each table's typed columns, their units
and allowed values; :func:`read_table` reads a CSV file against it and
:func:`validate_table` checks a DataFrame against it (the compute functions call
it, so a DataFrame built in code is checked exactly like a file).

Every error names the file, the row (the 1-based line number in the file, the
header being line 1) and the column, and says what to do.  The line numbers of
a file are kept in ``DataFrame.attrs["lines"]`` so that the compute functions can
point at a row too (:func:`cell_error`).

Reporting-shaped outputs carry ``attrs["units"]`` (column → unit) and
``attrs["provenance"]`` (:func:`provenance`); :func:`series_trends` gives the
qualitative trend of every series with the Mann–Kendall and Sen extras.
"""

from __future__ import annotations

from .factors import FACTOR_SEXES, factor_table_schema, read_factor_table
from .reading import check_years, read_table, validate_table
from .reporting import canonical_code, finish, provenance, series_trends
from .schema import IN_MEMORY, CellKind, Column, TableSchema, cell_error, line_of, source_of

__all__ = ["CellKind", "Column", "FACTOR_SEXES", "IN_MEMORY", "TableSchema", "canonical_code", "cell_error",
           "check_years", "factor_table_schema", "finish", "line_of", "provenance", "read_factor_table", "read_table",
           "series_trends", "source_of", "validate_table"]

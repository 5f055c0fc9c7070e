"""Writers of a run's outputs: rasters, reporting tables, the HTML report, provenance.

Nothing here computes an indicator: the writers take finished results (see
:class:`indicators.report.model.RunResult`) and put them on disk, deterministically
(sorted keys, fixed float formatting, no timestamps in tables) and atomically
(everything goes to a temporary directory beside the target, which is moved
into place only when complete).
"""

from __future__ import annotations

from .atomic import atomic_output_dir
from .provenance import write_json
from .rasters import write_cog, write_cogs
from .tables import write_tables

__all__ = ["atomic_output_dir", "write_cog", "write_cogs", "write_json", "write_tables"]

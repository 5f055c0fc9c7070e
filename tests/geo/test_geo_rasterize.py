"""The boundary mask's rasterization: rasterio's spurious "no geotransform" warning is silenced, and only it."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_geo_rasterize_silences_only_the_spurious_geotransform_warning(tmp_path):
    """In a fresh interpreter (pytest's own warning capture would hide the difference): after importing the
    rasterization module, the warning rasterio's ``rasterize`` emits on threads (attributed to rasterio.features)
    prints nothing, while opening a raster that really has no geotransform still warns."""
    script = textwrap.dedent(f"""
        import warnings
        import numpy as np
        import rasterio
        from rasterio.errors import NotGeoreferencedWarning
        import indicators.rasterize  # noqa: F401  (installs the filter)

        message = "Dataset has no geotransform, gcps, or rpcs. The identity matrix will be returned."
        warnings.warn_explicit(message, NotGeoreferencedWarning, rasterio.features.__file__, 382,
                               module="rasterio.features")
        path = {str(tmp_path / "plain.tif")!r}
        with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="uint8") as dst:
            dst.write(np.ones((1, 2, 2), dtype="uint8"))
        with rasterio.open(path) as src:
            src.read(1)
        print("done")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "done"
    warned = [line for line in proc.stderr.splitlines() if "NotGeoreferencedWarning" in line]
    assert warned, proc.stderr  # the ungeoreferenced file, written and read
    assert not [line for line in warned if "features.py" in line], proc.stderr

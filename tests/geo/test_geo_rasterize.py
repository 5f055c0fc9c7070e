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


def test_geo_rasterize_zone_burn_reinstalls_the_filter_once(tmp_path):
    """The per-unit zones are burnt with the same rasterio call: a zone block puts the filter back when something
    dropped it (an enclosing ``catch_warnings``), and burning again does not add a second copy."""
    script = textwrap.dedent("""
        import warnings
        import numpy as np
        import rasterio
        import shapely
        from affine import Affine
        from rasterio.crs import CRS
        from rasterio.errors import NotGeoreferencedWarning
        from indicators.grid import Grid
        from indicators.rasterize import SPURIOUS_GEOTRANSFORM_WARNING
        from indicators.summarize_zonal import _rasterize_block

        def spurious(f):
            return getattr(f[1], "pattern", None) == SPURIOUS_GEOTRANSFORM_WARNING
        warnings.filters[:] = [f for f in warnings.filters if not spurious(f)]  # as if dropped
        geoms = [shapely.box(0, 0, 2, 2)]
        tree = shapely.STRtree(geoms)
        grid = Grid(CRS.from_epsg(4326), Affine(1, 0, 0, 0, -1, 4), (4, 4))
        zones = _rasterize_block(geoms, tree, grid, slice(0, 4), slice(0, 4), "uint16")
        _rasterize_block(geoms, tree, grid, slice(0, 4), slice(0, 4), "uint16")
        print(int(zones.sum()), sum(spurious(f) for f in warnings.filters))
        message = "Dataset has no geotransform, gcps, or rpcs. The identity matrix will be returned."
        warnings.warn_explicit(message, NotGeoreferencedWarning, rasterio.features.__file__, 382,
                               module="rasterio.features")
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # the 2 x 2 box covers the lower-left 2 x 2 cells (centre rule), zone id 1: 4; one filter after two burns
    assert proc.stdout.split() == ["4", "1"], proc.stdout
    assert "NotGeoreferencedWarning" not in proc.stderr, proc.stderr

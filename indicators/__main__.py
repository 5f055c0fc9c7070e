"""``python -m indicators ...``: the same command line as the ``indicators`` script (useful where the
script's directory is not on PATH, e.g. a QGIS or conda Python)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())

"""Where the files shipped beside the code live: ``specs/``, ``sample_data/`` and ``docs/decisions.md``.

They stay at the top of the repository (the layout users, the docs and the specs' own paths refer
to). A wheel or sdist install cannot reach the repository, so the build maps them into the package
as ``indicators/_data/<name>`` (``setup.py``); a checkout or an editable install has no
``indicators/_data`` and reads the repository's copies. One lookup, used by every caller.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED_DATA = PACKAGE_DIR / "_data"


def bundled_path(name: str) -> Path:
    """The shipped file or directory ``name`` (``"specs"``, ``"sample_data/demo_config.yaml"``, ...).

    The installed copy under ``indicators/_data`` when the package was installed from a wheel,
    otherwise the repository's top-level copy (checkout, editable install). The path may not
    exist (a wheel built without its data); callers say what is missing.
    """
    installed = INSTALLED_DATA / name
    if installed.exists():
        return installed
    return PACKAGE_DIR.parent / name

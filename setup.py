"""Build configuration beside pyproject.toml: only the mapping of the shipped data into the package.

``specs/``, ``sample_data/`` and ``docs/decisions.md`` stay at the top of the repository (the layout
the docs, the demo configuration and the users refer to). A wheel must carry them, so each directory
is declared as a data-only package mapped into ``indicators/_data/<name>`` (setuptools package-dir
mapping), and ``indicators.resources.bundled_path`` looks there first. Chosen over ``data_files``
(installed outside the package, at a prefix-dependent path) and over regenerating the sample data on
first use (the demo must read the very bytes the golden tables were computed from).
Every other setting is in pyproject.toml.
"""

from setuptools import find_packages, setup

# data-only package -> (top-level directory, files it ships)
SHIPPED = {
    "indicators._data.specs": ("specs", ["**/*"]),
    "indicators._data.sample_data": ("sample_data", ["**/*"]),
    "indicators._data.docs": ("docs", ["decisions.md"]),
}

setup(
    packages=find_packages(include=["indicators", "indicators.*"]) + list(SHIPPED),
    package_dir={name: directory for name, (directory, _) in SHIPPED.items()},
    package_data={
        "indicators": ["py.typed", "so1/*.csv", "report/messages.yaml", "report/templates/*"],
        **{name: patterns for name, (_, patterns) in SHIPPED.items()},
    },
    exclude_package_data={name: ["**/__pycache__/*", "**/*.pyc"] for name in SHIPPED},
)

"""The documentation: every Python example in docs/ runs, the site builds with warnings as errors, every public
name is documented, and a type checker accepts the examples (py.typed is shipped)."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import indicators

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES_WITH_CODE = sorted(p for p in DOCS.rglob("*.md") if "```python" in p.read_text(encoding="utf-8"))


def _blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


@pytest.fixture
def sample_cwd(tmp_path, monkeypatch):
    """A scratch working directory where ``sample_data/...`` resolves (examples write their figures here, not
    into the repository)."""
    (tmp_path / "sample_data").symlink_to(REPO / "sample_data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


def test_the_pages_with_examples_are_the_expected_ones():
    names = {p.relative_to(DOCS).as_posix() for p in PAGES_WITH_CODE}
    assert {"python-api.md", "worked-example.md", "specs.md"} <= names
    assert len(_blocks(DOCS / "python-api.md")) >= 5


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_every_docs_example_runs(page, sample_cwd):
    namespace: dict = {}
    for i, block in enumerate(_blocks(page)):
        try:
            exec(compile(block, f"{page.name}[block {i}]", "exec"), namespace)
        except Exception as exc:  # show which block broke
            raise AssertionError(f"block {i} of {page.name} fails: {exc!r}\n{block}") from exc
    assert Path.cwd() == sample_cwd


def test_worked_example_gives_the_demo_baseline_figure(sample_cwd):
    """The worked example's figure is the demo's SO1-4.T1 baseline value (golden file), and it draws the map."""
    import pandas as pd

    namespace: dict = {}
    for block in _blocks(DOCS / "worked-example.md"):
        exec(compile(block, "worked-example.md", "exec"), namespace)
    golden = pd.read_csv(REPO / "tests/data/demo_golden/SO1-4/SO1-4.T1.csv")
    want = golden[(golden.period == "baseline") & (golden["class"] == "degraded")]["percent_of_land"].iloc[0]
    assert namespace["degraded"] == pytest.approx(want, rel=1e-6)
    assert (sample_cwd / "sdg_15_3_1_baseline.png").stat().st_size > 10_000


def _reference_targets() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (DOCS / "reference").glob("*.md"))
    return set(re.findall(r"^::: ([\w.]+)$", text, flags=re.M))


def test_every_public_name_exists_has_a_docstring_and_a_reference_entry():
    targets = _reference_targets()
    for name in indicators.__all__:
        value = getattr(indicators, name)  # exists
        if name == "__version__":
            continue
        assert (getattr(value, "__doc__", None) or "").strip(), f"indicators.{name} has no docstring"
        assert f"{indicators._LAZY[name]}.{name}" in targets, f"indicators.{name} is not in docs/reference/*.md"
    # and nothing is documented that is not public
    assert {t.rsplit(".", 1)[1] for t in targets} <= set(indicators.__all__)


def test_docs_site_builds_strict(tmp_path):
    for module in ("mkdocs", "mkdocstrings", "mkdocstrings_handlers.python"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"requires optional dependency mkdocs ({module} is not installed; pip install -e .[docs])")
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(REPO / "mkdocs.yml"),
                           "-d", str(site)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (site / "reference" / "compute" / "index.html").read_text(encoding="utf-8")
    assert "evaluate one indicator from dataarrays" in page.lower()  # generated from the docstring
    assert (site / "worked-example" / "index.html").is_file()


def test_type_checker_accepts_the_docs_examples(tmp_path):
    """mypy (strict optional, the package's own annotations through py.typed) on every example page, each page as
    one module; errors inside the package are not this test's subject (--follow-imports=silent)."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("requires optional dependency mypy")
    files = []
    for page in PAGES_WITH_CODE:
        f = tmp_path / (page.stem.replace("-", "_") + ".py")
        f.write_text("\n".join(_blocks(page)), encoding="utf-8")
        files.append(str(f))
    env = {**os.environ, "MYPYPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "mypy", "--follow-imports=silent", "--ignore-missing-imports",
                           "--no-incremental", "--cache-dir", str(tmp_path / ".mypy_cache"), "--python-version",
                           f"{sys.version_info.major}.{sys.version_info.minor}", *files],
                          capture_output=True, text=True, cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout

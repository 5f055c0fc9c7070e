"""The Python examples of docs/python-api.md run, in order, on the bundled sample data."""

import os
import re

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_python_api_examples_run(monkeypatch):
    text = (REPO / "docs" / "python-api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(REPO)
    namespace: dict = {}
    for i, block in enumerate(blocks):
        try:
            exec(compile(block, f"docs/python-api.md[block {i}]", "exec"), namespace)
        except Exception as exc:  # show which block broke
            raise AssertionError(f"block {i} of docs/python-api.md fails: {exc!r}\n{block}") from exc
    assert os.getcwd() == str(REPO)

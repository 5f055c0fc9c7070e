"""docs/indicators/ is generated from the specs: the committed pages must not be stale."""

from __future__ import annotations

from indicators.report.indicator_pages import default_dir, pages


def test_indicator_pages_are_up_to_date():
    want = pages()
    d = default_dir()
    stale = [name for name, text in want.items() if not (d / name).is_file() or (d / name).read_text(encoding="utf-8") != text]
    extra = sorted(p.name for p in d.glob("*.md") if p.name not in want)
    assert not stale and not extra, (
        f"docs/indicators/ is stale ({stale + extra}); regenerate with `python -m indicators.report.indicator_pages`")


def test_every_indicator_has_a_page_with_its_inputs():
    want = pages()
    assert "index.md" in want
    for name, text in want.items():
        if name == "index.md":
            continue
        assert text.startswith("<!-- generated")
        assert "## Inputs of `indicators run`" in text
    assert "`precipitation`" in want["SO3-1.md"] and "mm/month" in want["SO3-1.md"]

"""The one YAML reader of specs and run configurations: bounded, safe, duplicate keys named by line."""

from __future__ import annotations

import pytest

from indicators import safe_yaml
from indicators.safe_yaml import YamlReadError, load, parse


def _bomb(levels: int = 9) -> str:
    names = [f"l{i}" for i in range(levels + 1)]
    text = f"{names[0]}: &{names[0]} [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for prev, cur in zip(names, names[1:]):
        text += f"{cur}: &{cur} [{', '.join(['*' + prev] * 10)}]\n"
    return text


def test_billion_laughs_is_refused_before_anything_is_built():
    with pytest.raises(YamlReadError, match=r"bomb\.yaml: expanding the YAML aliases .* 12,345,679,021 values from the 31 written") as err:
        parse(_bomb(), "bomb.yaml")
    assert "fewer nested aliases" in str(err.value)


def test_a_few_shared_blocks_are_fine_and_shared_values_are_equal():
    doc = parse("base: &b {a: 1, b: [1, 2]}\none: *b\ntwo: *b\n", "ok.yaml")
    assert doc.data["one"] == doc.data["two"] == {"a": 1, "b": [1, 2]}
    assert doc.lines[("two",)] == 3


def test_expansion_bound_is_relative_to_what_is_written(monkeypatch):
    monkeypatch.setattr(safe_yaml, "ALIAS_EXPANSION_SLACK", 0)
    # 3 written nodes + sequence of 20 aliases to a 3-node block: 1 + 20*... grows far beyond 10x
    text = "b: &b [1, 2, 3]\nc: [" + ", ".join(["*b"] * 20) + "]\n"
    with pytest.raises(YamlReadError, match="expanding the YAML aliases"):
        parse(text, "x.yaml")
    parse("b: &b [1, 2, 3]\nc: [*b]\n", "y.yaml")


def test_recursive_alias_is_refused():
    with pytest.raises(YamlReadError, match=r"x\.yaml:1: an alias refers to the block that contains it"):
        parse("a: &x [1, *x]\n", "x.yaml")


def test_duplicate_keys_are_reported_with_both_lines():
    doc = parse("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", "d.yaml")
    assert doc.duplicates == [(("b", "c"), 4, 3), (("a",), 5, 1)]


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['touch /tmp/pwned']", "!!python/name:os.system",
                                 "!custom 3"])
def test_tags_are_refused_never_executed(tag, tmp_path):
    with pytest.raises(YamlReadError, match=r"t\.yaml:1: .*tags are not allowed"):
        parse(f"a: {tag}\n", "t.yaml")


def test_file_above_the_limit_is_refused_without_reading(tmp_path, monkeypatch):
    p = tmp_path / "big.yaml"
    p.write_text("a: 1\n" * 1000)
    monkeypatch.setattr(safe_yaml, "MAX_YAML_BYTES", 1000)
    with pytest.raises(YamlReadError, match=r"big\.yaml: the spec file is .* above the limit of"):
        load(p, what="spec file", max_bytes=safe_yaml.MAX_YAML_BYTES)
    assert load(p, max_bytes=10_000).data == {"a": 1}  # (duplicates reported, last kept)


def test_not_utf8_names_the_line(tmp_path):
    p = tmp_path / "latin.yaml"
    p.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(YamlReadError, match=r"latin\.yaml:2: the YAML file is not UTF-8"):
        load(p)


def test_syntax_error_names_the_line():
    with pytest.raises(YamlReadError, match=r"s\.yaml:[23]: YAML does not parse"):
        parse("a: 1\nb: [1, 2\n", "s.yaml")


def test_deep_nesting_does_not_crash():
    text = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    try:  # parsed, or refused with a message: never a RecursionError traceback
        doc = parse(text, "deep.yaml")
    except YamlReadError as exc:
        assert "deep.yaml" in str(exc)
    else:
        assert isinstance(doc.data["a"], list)

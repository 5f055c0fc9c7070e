"""Run configurations and spec files (the overlay): hostile and broken YAML."""

from __future__ import annotations

import pytest

from indicators import safe_yaml

from .conftest import problem_line

BOMB = "lol0: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"lol{i + 1}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))

CONFIG_CASES = {
    # case: (text appended to / replacing the configuration, words of the message)
    "alias bomb": (lambda t: t + BOMB, ["demo_config.yaml", "expanding the YAML aliases", "alias bomb"]),
    "duplicate top-level key": (lambda t: t + "edition: '2022'\n", ["demo_config.yaml:", "edition", "appears twice", "first on line"]),
    "duplicate nested key": (lambda t: t.replace("  name: Arvelia\n", "  name: Arvelia\n  name: Other\n", 1),
                             ["demo_config.yaml:", "country.name", "appears twice"]),
    "python tag": (lambda t: t + "x: !!python/object/apply:os.system ['echo pwned']\n", ["demo_config.yaml:", "tags are not allowed"]),
    "custom tag": (lambda t: t.replace("edition: '2026'", "edition: !year '2026'", 1) if "edition: '2026'" in t
                   else t + "extra: !year 3\n", ["demo_config.yaml:", "tags are not allowed"]),
    "recursive alias": (lambda t: t + "loop: &l [1, *l]\n", ["demo_config.yaml:", "refers to the block that contains it"]),
    "syntax error": (lambda t: t + "inputs: [\n", ["demo_config.yaml:", "YAML does not parse"]),
    "not a mapping": (lambda t: "- just\n- a list\n", ["demo_config.yaml", "YAML mapping"]),
    # a control character from a double-quoted escape: written into the workbook's properties it made a file no
    # reader opens (and the report's HTML held it)
    "control character in a name": (lambda t: t.replace("  name: Arvelia\n", '  name: "Arv\\aelia"\n', 1),
                                    ["demo_config.yaml:", "country.name", "control character U+0007", "remove it"]),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_bad_configuration_yaml(case, country, capsys):
    country.save()
    edit, words = CONFIG_CASES[case]
    country.config_path.write_text(edit(country.config_path.read_text(encoding="utf-8")), encoding="utf-8")
    _, err = country.run(capsys)
    problem_line(err, *words)


def test_configuration_above_the_size_limit(country, capsys, monkeypatch):
    country.save()
    monkeypatch.setattr(safe_yaml, "MAX_YAML_BYTES", 2000)
    _, err = country.run(capsys)
    problem_line(err, "demo_config.yaml", "above the limit of")


def test_configuration_not_utf8(country, capsys):
    country.save()
    country.config_path.write_bytes(country.config_path.read_bytes().replace(b"Arvelia", b"Arv\xe9lia", 1))
    _, err = country.run(capsys)
    problem_line(err, "demo_config.yaml:", "not UTF-8")


OVERLAY_CASES = {
    "alias bomb": (lambda t: t + BOMB, ["overlay_arvelia.yaml", "alias bomb"]),
    "duplicate key": (lambda t: t + "kind: overlay\n", ["overlay_arvelia.yaml:", "'kind' appears twice"]),
    "python tag": (lambda t: t + "x: !!python/name:os.system\n", ["overlay_arvelia.yaml:", "tags are not allowed"]),
    "control character in a text": (lambda t: t + 'description: "national\\x01legend"\n',
                                    ["overlay_arvelia.yaml:", "description", "control character U+0001"]),
}


@pytest.mark.parametrize("case", list(OVERLAY_CASES))
def test_bad_overlay_yaml(case, country, capsys):
    country.save()
    overlay = country.data / "overlay_arvelia.yaml"
    edit, words = OVERLAY_CASES[case]
    overlay.write_text(edit(overlay.read_text(encoding="utf-8")), encoding="utf-8")
    _, err = country.run(capsys)
    problem_line(err, *words)

"""Text the outputs can hold: what every text taken from the user (YAML, vector attributes, input tables) is
checked against.

The workbook's cells and properties are XML 1.0, which cannot hold the C0 control characters other than tab,
line feed and carriage return (openpyxl refuses them in a cell and writes them into the properties as a file no
reader opens); the report's HTML cannot hold them either. No name, id or title needs one, so they are refused
where the text comes in.
"""

from __future__ import annotations

import re

#: the characters refused: U+0000-U+001F except tab (U+0009), line feed (U+000A) and carriage return (U+000D)
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def control_character(value: object) -> str | None:
    """``"U+0007"`` for the first control character of *value* when it is a text holding one, else None."""
    if not isinstance(value, str):
        return None
    m = CONTROL_CHARACTERS.search(value)
    return None if m is None else f"U+{ord(m.group()):04X}"

"""Stored and attacker text made safe for an operator's terminal.

Every CLI printer of stored text goes through this module: control characters (C0, DEL, C1),
line/paragraph separators and bidi controls are shown escaped (``\\x1b``, ``\\u202e``) so an
attacker cannot move the cursor, retitle the window, ring the bell or reorder a line, and rich
markup in the text (``[bold]``) is never interpreted because cells are :class:`rich.text.Text`.
"""

from __future__ import annotations

import re

from rich.text import Text

#: C0 controls, DEL, C1 controls, Arabic letter mark, LRM/RLM, line/paragraph separators,
#: bidi embeddings/overrides/isolates
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: the same minus C0 controls, which JSON encoders already escape
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(value: object) -> str:
    """``str(value)`` with every unsafe character shown as ``\\xNN`` / ``\\uNNNN``."""
    return UNSAFE.sub(_escaped, str(value))


def cell(value: object, style: str = "") -> Text:
    """A rich cell or line: escaped, and never read as markup."""
    return Text(escape(value), style=style)


def json_line(line: str) -> str:
    """A JSON document with the unsafe characters JSON leaves raw as ``\\uNNNN`` (same value)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)

"""The CLI's one escaping helper."""

from __future__ import annotations

import json

from rich.console import Console

from phantomnet.cli.safe import cell, escape, json_line


def test_escape_shows_controls_and_bidi() -> None:
    assert (
        escape("a\x1b[31mb\x07\r\n\t\x7f\x85\x9b")
        == "a\\x1b[31mb\\x07\\x0d\\x0a\\x09\\x7f\\x85\\x9b"
    )
    assert escape("x\u202ey\u2066z\u200f\u2028") == "x\\u202ey\\u2066z\\u200f\\u2028"
    assert escape("plain ünïcode 漢字 [bold]") == "plain ünïcode 漢字 [bold]"


def test_cell_never_reads_markup() -> None:
    console = Console(width=200, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115
    with console.capture() as seen:
        console.print(cell("[bold]x[/bold]\x1b[2J"))
    assert seen.get().strip() == "[bold]x[/bold]\\x1b[2J"


def test_json_line_keeps_the_value() -> None:
    value = {"reason": "a\x85b\u202ec\x1b"}
    line = json_line(json.dumps(value, ensure_ascii=False))
    assert "\x85" not in line and "\u202e" not in line
    assert json.loads(line) == value

"""Tokenizer for the bash subset the fake shell understands.

Pure: ``tokenize(text)`` returns tokens or raises :class:`ShellSyntaxError` (which the
interpreter turns into bash's own ``syntax error`` message). Words keep their quotes; the
expander (``expand.py``) interprets them, so ``'$x'`` and ``"$x"`` differ as in bash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from phantomnet.errors import PhantomNetError

OPERATORS = (
    "&&",
    "||",
    ";;",
    ">>",
    "<<<",
    "<<",
    "&>",
    ">&",
    "<&",
    "|",
    ";",
    "&",
    "(",
    ")",
    ">",
    "<",
    "\n",
)
_META = set(" \t\n;&|()<>")


class ShellSyntaxError(PhantomNetError):
    """The line cannot be parsed; ``token`` is what bash would quote."""

    def __init__(self, token: str) -> None:
        super().__init__(f"syntax error near unexpected token `{token}'")
        self.token = token


@dataclass(frozen=True)
class Token:
    kind: Literal["word", "op", "io"]
    text: str

    def is_op(self, *ops: str) -> bool:
        return self.kind == "op" and self.text in ops


def _scan_group(text: str, i: int, open_: str, close: str) -> int:
    """Index after the matching ``close`` for a group starting at ``i`` (after ``open_``)."""
    depth = 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'" and open_ != "`":
            j = text.find("'", i + 1)
            if j < 0:
                raise ShellSyntaxError("newline")
            i = j + 1
            continue
        if c == '"' and open_ != "`":
            i = _scan_dquote(text, i + 1)
            continue
        if text.startswith(open_, i) and open_ != close:
            depth += 1
            i += len(open_)
            continue
        if text.startswith(close, i):
            depth -= 1
            i += len(close)
            if depth == 0:
                return i
            continue
        i += 1
    raise ShellSyntaxError("newline")


def _scan_dquote(text: str, i: int) -> int:
    """Index after the closing double quote (``i`` is just after the opening one)."""
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        if text.startswith("$(", i):
            i = _scan_group(text, i + 2, "(", ")")
            continue
        if c == "`":
            i = _scan_group(text, i + 1, "`", "`")
            continue
        i += 1
    raise ShellSyntaxError("newline")


def _scan_word(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] not in _META:
        c = text[i]
        if c == "\\":
            i += 2
        elif c == "'":
            j = text.find("'", i + 1)
            if j < 0:
                raise ShellSyntaxError("newline")
            i = j + 1
        elif c == '"':
            i = _scan_dquote(text, i + 1)
        elif text.startswith("$((", i):
            i = _scan_group(text, i + 3, "((", "))")
        elif text.startswith("$(", i):
            i = _scan_group(text, i + 2, "(", ")")
        elif text.startswith("${", i):
            i = _scan_group(text, i + 2, "{", "}")
        elif c == "`":
            i = _scan_group(text, i + 1, "`", "`")
        else:
            i += 1
    return min(i, n)


def tokenize(text: str) -> list[Token]:
    """Split a command line into words, operators and IO-number tokens."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
            continue
        if c == "\\" and text.startswith("\\\n", i):
            i += 2
            continue
        if c == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        op = next((o for o in OPERATORS if text.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token("op", op))
            i += len(op)
            continue
        j = _scan_word(text, i)
        word = text[i:j]
        if word.isdigit() and j < n and text[j] in "<>":
            tokens.append(Token("io", word))
        else:
            tokens.append(Token("word", word))
        i = j
    return tokens

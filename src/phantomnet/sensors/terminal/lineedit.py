"""A small bash-like line discipline for pty sessions of SSH and Telnet (echo, backspace, ^C/D/U).

We do this ourselves instead of asyncssh's line editor so Ctrl-C behaves like bash (``^C``,
line dropped, fresh prompt), arrow keys are swallowed quietly, and the recording holds exactly
what the attacker's terminal showed. Pure state machine over input text; never raises except
:class:`Interrupted` on Ctrl-C.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable


class Interrupted(Exception):
    """Ctrl-C: the current line was dropped."""


class LineReader:
    def __init__(
        self, read: Callable[[], Awaitable[str]], echo: Callable[[str], None], max_len: int
    ) -> None:
        self.read = read
        self.echo = echo
        self.max_len = max_len
        self.buf: list[str] = []
        self.pending = ""
        self.after_cr = False

    async def readline(self) -> str | None:
        """The next line (without its end), or None at end of input (Ctrl-D on an empty line)."""
        while True:
            while self.pending:
                ch, self.pending = self.pending[0], self.pending[1:]
                done = self.feed(ch)
                if done is not None:
                    return done if done != "\x04" else None
            data = await self.read()
            if not data:
                return None
            self.pending = data

    def feed(self, ch: str) -> str | None:
        """Process one character; returns a finished line, ``"\\x04"`` for EOF, or None."""
        if ch == "\n" and self.after_cr:
            self.after_cr = False
            return None
        self.after_cr = ch == "\r"
        if ch in "\r\n":
            line = "".join(self.buf)
            self.buf.clear()
            self.echo("\r\n")
            return line
        if ch == "\x03":
            self.buf.clear()
            self.echo("^C\r\n")
            raise Interrupted
        if ch == "\x04":
            return "\x04" if not self.buf else None
        if ch in "\x7f\x08":
            if self.buf:
                self.buf.pop()
                self.echo("\b \b")
            return None
        if ch == "\x15":
            self.echo("\b \b" * len(self.buf))
            self.buf.clear()
            return None
        if ch == "\x1b":
            self._skip_escape()
            return None
        if ch < " ":
            return None
        if len(self.buf) < self.max_len:
            self.buf.append(ch)
            self.echo(ch)
        return None

    def _skip_escape(self) -> None:
        """Drop an ANSI escape sequence (arrow keys, Home/End...) from the pending input."""
        text = self.pending
        if text.startswith(("[", "O")):
            i = 1
            while i < len(text) and not (text[i].isalpha() or text[i] == "~"):
                i += 1
            self.pending = text[i + 1 :]
        elif text:
            self.pending = text[1:]

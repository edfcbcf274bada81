"""What a command sees (:class:`Cmd`) and what a run returns (:class:`ShellResult`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from phantomnet.deception.fakefs import FsError, FsView

if TYPE_CHECKING:
    from phantomnet.deception.host import FakeHost
    from phantomnet.deception.shell.interp import Shell

MAX_OUTPUT = 1024 * 1024
#: bytes a builtin handles between two budget checks (:meth:`Cmd.tick`)
CHUNK = 64 * 1024

T = TypeVar("T")


@dataclass(frozen=True)
class Download:
    """A fetch an attacker asked for (wget/curl/tftp...). Never performed by default."""

    url: str
    filename: str | None = None
    tool: str = "wget"


@dataclass
class ShellResult:
    """Outcome of one ``Shell.run``: terminal bytes (stdout and stderr in order) and status."""

    output: bytes = b""
    stdout: bytes = b""
    stderr: bytes = b""
    status: int = 0
    exit: bool = False
    downloads: list[Download] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    #: what went wrong inside the emulator or over a budget: (code, detail), see ``budget``
    errors: list[tuple[str, str]] = field(default_factory=list)


class InputStream:
    """A command's standard input; ``read``/``while read`` consume it line by line."""

    def __init__(self, data: bytes = b"") -> None:
        self.data = data
        self.pos = 0

    def read_all(self) -> bytes:
        out = self.data[self.pos :]
        self.pos = len(self.data)
        return out

    def readline(self) -> bytes | None:
        if self.pos >= len(self.data):
            return None
        end = self.data.find(b"\n", self.pos)
        end = len(self.data) if end < 0 else end + 1
        line = self.data[self.pos : end]
        self.pos = end
        return line


class Cmd:
    """Arguments and I/O of one command invocation."""

    def __init__(self, shell: Shell, args: list[str], stdin: bytes | InputStream) -> None:
        self.shell = shell
        self.args = args
        self.input = stdin if isinstance(stdin, InputStream) else InputStream(stdin)
        self.stdout = bytearray()
        #: where stderr goes when redirected (None: the terminal)
        self.stderr_to: bytearray | None = None
        #: stdout is the terminal (not a pipe or a file): ``ls`` prints columns
        self.tty = False
        #: top-level command: stdout goes to the terminal as it is produced
        self.to_term = False

    @property
    def stdin(self) -> bytes:
        """All remaining input (consumes it)."""
        return self.input.read_all()

    @stdin.setter
    def stdin(self, data: bytes) -> None:
        self.input = InputStream(data)

    @property
    def name(self) -> str:
        return self.args[0]

    @property
    def argv(self) -> list[str]:
        return self.args[1:]

    @property
    def fs(self) -> FsView:
        return self.shell.fs

    @property
    def host(self) -> FakeHost:
        return self.shell.host

    @property
    def cwd(self) -> str:
        return self.shell.cwd

    def out(self, data: str | bytes) -> None:
        raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        if len(self.stdout) + len(raw) <= MAX_OUTPUT:
            self.stdout += raw
        if self.to_term:
            self.shell.emit(raw)

    def err(self, data: str) -> None:
        self.shell.write_stderr(self, data.encode("utf-8", "surrogateescape"))

    def fail(self, message: str, status: int = 1) -> int:
        """Print ``name: message`` on stderr and return ``status``."""
        self.err(f"{self.name}: {message}\n")
        return status

    def fs_fail(self, exc: FsError, verb: str = "", status: int = 1) -> int:
        """coreutils wording: ``ls: cannot access 'x': No such file or directory``."""
        if verb:
            return self.fail(f"{verb} '{exc.path}': {exc.strerror}", status)
        return self.fail(f"{exc.path}: {exc.strerror}", status)

    def read_input(self, path: str | None) -> bytes | None:
        """Contents of ``path`` (``-`` or None = stdin); prints the error and returns None."""
        if path in (None, "-"):
            return self.stdin
        assert path is not None
        try:
            return self.fs.read(path, self.cwd)
        except FsError as exc:
            self.fs_fail(exc)
            return None

    def tick(self) -> Awaitable[None]:
        """Call in a builtin's loop (every line, or every :data:`CHUNK` bytes): the CPU
        budget and the fair share of the event loop are checked there, not only between
        commands, so one heavy builtin cannot hold the loop."""
        return self.shell.tick()

    async def each(self, items: Sequence[T], every: int = 256) -> AsyncIterator[T]:
        """``items`` with a :meth:`tick` every ``every`` of them."""
        for i, item in enumerate(items):
            if not i % every:
                await self.shell.tick()
            yield item

    def sleep(self, seconds: float) -> Awaitable[None]:
        return self.shell.sleep(seconds)


CommandFn = Callable[[Cmd], Awaitable[int]]

"""Run firewall tools as subprocesses, optionally inside a network namespace.

Every call has a timeout and never goes through a shell. ``netns`` prefixes commands with
``ip netns exec <ns>`` so tests (and containerised deployments) act on a namespace they own,
never on the host's own firewall.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass

from phantomnet.errors import BackendUnavailable, ResponseError


@dataclass(frozen=True)
class Result:
    """Exit code and decoded output of one command."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    def brief(self) -> str:
        """One line naming the command and the first line of its error."""
        first = (self.stderr.strip() or self.stdout.strip()).splitlines()[:1]
        return f"`{' '.join(self.args[:4])}` exited {self.code}: {first[0] if first else ''}"


class Runner:
    """Executes argument lists with a timeout; ``netns`` selects the namespace."""

    def __init__(self, netns: str | None = None, timeout_s: float = 10.0) -> None:
        self.netns = netns
        self.timeout_s = timeout_s

    def prefix(self) -> tuple[str, ...]:
        return ("ip", "netns", "exec", self.netns) if self.netns else ()

    def available(self, tool: str) -> bool:
        """Whether ``tool`` (and ``ip`` for a namespace) is on PATH."""
        needed = [tool, "ip"] if self.netns else [tool]
        return all(shutil.which(t) is not None for t in needed)

    async def run(self, *args: str, stdin: str | None = None) -> Result:
        """Run ``args``; raise :class:`BackendUnavailable` if the tool cannot be started and
        :class:`ResponseError` on timeout. A non-zero exit is returned, not raised."""
        argv = (*self.prefix(), *args)
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise BackendUnavailable(f"cannot run {argv[0]}: {exc}") from exc
        try:
            out, err = await asyncio.wait_for(
                proc.communicate(stdin.encode() if stdin is not None else None), self.timeout_s
            )
        except TimeoutError as exc:
            proc.kill()
            await proc.wait()
            what = " ".join(args[:3])
            raise ResponseError(f"`{what}` timed out after {self.timeout_s}s") from exc
        code = proc.returncode if proc.returncode is not None else -1
        return Result(tuple(args), code, out.decode(errors="replace"), err.decode(errors="replace"))

    async def check(self, *args: str, stdin: str | None = None) -> Result:
        """Like :meth:`run` but a non-zero exit raises :class:`ResponseError`."""
        result = await self.run(*args, stdin=stdin)
        if not result.ok:
            raise ResponseError(result.brief())
        return result

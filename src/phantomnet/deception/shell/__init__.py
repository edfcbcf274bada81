"""A bash-like shell over the fake host (nothing is ever executed on the real machine).

Two entry points:

* :class:`Shell` keeps state across lines (the SSH interactive session).
* :func:`run_command` runs one line for one attacker and returns the output: what the HTTP
  honeypot calls for command injection (``dialect="sh"`` answers like ``/bin/sh -c``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from phantomnet.deception.shell.context import Download, ShellResult
from phantomnet.deception.shell.interp import SessionInfo, Shell

if TYPE_CHECKING:
    from phantomnet.deception.host import FakeHost


async def run_command(
    line: str,
    host: FakeHost,
    attacker_ip: str,
    *,
    user: str = "www-data",
    cwd: str | None = None,
    info: SessionInfo | None = None,
) -> ShellResult:
    """Run ``line`` non-interactively as ``user`` on ``host`` for ``attacker_ip``.

    Changes land in that attacker's persistent overlay, exactly as over SSH.
    ``result.output`` is the terminal text (stdout and stderr interleaved); ``result.stdout``
    only stdout; ``result.downloads`` what wget/curl were asked to fetch (never fetched).
    """
    shell = Shell(host, attacker_ip, user=user, info=info, interactive=False)
    if cwd is not None and shell.fs.is_dir(cwd):
        shell.cwd = cwd
    return await shell.run(line)


__all__ = ["Download", "SessionInfo", "Shell", "ShellResult", "run_command"]

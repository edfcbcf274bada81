"""Kill the conntrack entries of a blocked target so its open connections die.

``conntrack -D`` exits 1 when nothing matched (fail2ban#4125): "0 flow entries have been
deleted" is success. A missing ``conntrack`` tool is reported once by ``check`` of the blocker,
here it raises :class:`BackendUnavailable`.
"""

from __future__ import annotations

import asyncio
import re

from phantomnet.errors import ResponseError
from phantomnet.response.runner import Runner
from phantomnet.response.targets import Target

_DELETED = re.compile(r"(\d+) flow entries have been deleted")


def deleted_count(stderr: str) -> int | None:
    """How many entries conntrack reports deleted, or None if it said something else."""
    match = _DELETED.search(stderr)
    return int(match.group(1)) if match else None


async def kill_flows(runner: Runner, target: Target) -> int:
    """Delete entries whose original source or destination is ``target``."""
    family = "ipv4" if target.version == 4 else "ipv6"
    spec = str(target.network)
    results = await asyncio.gather(
        *(runner.run("conntrack", "-D", "-f", family, way, spec) for way in ("-s", "-d"))
    )
    total = 0
    for result in results:
        count = deleted_count(result.stderr + result.stdout)
        if count is None:
            raise ResponseError(f"conntrack kill failed: {result.brief()}")
        total += count
    return total

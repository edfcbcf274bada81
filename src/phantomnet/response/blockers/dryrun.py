"""Dry-run backend: records decisions and remembers them in memory, touches no firewall.

The default until the operator turns enforcement on. It behaves like a real backend (timeouts
run out, listing and reconciliation work) so a dry run shows what enforcement would do.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar

from phantomnet.response.blockers.base import Blocker, Element
from phantomnet.response.config import ResponseConfig
from phantomnet.response.runner import Runner
from phantomnet.response.targets import Target


class DryRunBlocker(Blocker):
    """In-memory stand-in for a firewall; ``enforces`` is False."""

    name: ClassVar[str] = "dry-run"
    enforces: ClassVar[bool] = False

    def __init__(self, config: ResponseConfig, runner: Runner | None = None) -> None:
        super().__init__(config, runner)
        self._held: dict[str, float] = {}

    async def check(self) -> None:
        return None

    async def ensure(self, keep: Sequence[Element] = ()) -> bool:
        return False

    async def add(self, elements: Sequence[Element]) -> None:
        now = time.monotonic()
        for element in elements:
            self._held[element.target.text] = now + element.timeout_s

    async def remove(self, targets: Sequence[Target]) -> None:
        for target in targets:
            self._held.pop(target.text, None)

    async def listing(self) -> dict[str, int]:
        now = time.monotonic()
        self._held = {t: end for t, end in self._held.items() if end > now}
        return {t: int(end - now) for t, end in self._held.items()}

    async def holds(self, target: Target) -> bool:
        return self._held.get(target.text, 0.0) > time.monotonic()

    async def kill(self, target: Target) -> int:
        return 0

    async def teardown(self) -> None:
        self._held.clear()

"""The blocker plug-in interface (entry-point group ``phantomnet.blockers``).

A blocker owns one table/chain/set family in the firewall and nothing else. Its contract:

* ``check``  - prove the backend works on this host (tools present, can create and list
  its objects); raise :class:`BackendUnavailable` with a clear message otherwise.
* ``ensure`` - create or repair its objects (sets, chains, hooks); True when it had to repair.
* ``add``    - put elements in place with exactly the given timeout (a re-add *replaces* the
  timeout, it never keeps a shorter one).
* ``remove`` - delete exactly those elements; absent ones are fine.
* ``listing``- what the kernel holds now: canonical target -> seconds left.
* ``holds``  - whether the kernel holds one target now (a cheap membership test).
* ``kill``   - drop the conntrack entries of a target so open connections die.
* ``teardown`` - remove everything it created.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from phantomnet.errors import ResponseError
from phantomnet.response.config import ResponseConfig
from phantomnet.response.runner import Runner
from phantomnet.response.targets import Target


@dataclass(frozen=True)
class Element:
    """One target to hold in the firewall for ``timeout_s`` seconds."""

    target: Target
    timeout_s: int


@dataclass(frozen=True)
class Rejected:
    """An element the firewall refused, and its error."""

    element: Element
    why: str


class Blocker(ABC):
    """Base of every firewall backend."""

    name: ClassVar[str] = "blocker"
    #: False for dry-run: decisions are recorded with ``applied = False``.
    enforces: ClassVar[bool] = True
    #: the longest element timeout the backend takes (longer blocks are re-asserted later)
    max_timeout_s: ClassVar[int] = 2**31 - 1

    def __init__(self, config: ResponseConfig, runner: Runner | None = None) -> None:
        self.config = config
        self.runner = runner or Runner(config.netns, config.command_timeout_s)

    @abstractmethod
    async def check(self) -> None: ...

    @abstractmethod
    async def ensure(self, keep: Sequence[Element] = ()) -> bool: ...

    @abstractmethod
    async def add(self, elements: Sequence[Element]) -> None: ...

    @abstractmethod
    async def remove(self, targets: Sequence[Target]) -> None: ...

    @abstractmethod
    async def listing(self) -> dict[str, int]: ...

    @abstractmethod
    async def teardown(self) -> None: ...

    @abstractmethod
    async def holds(self, target: Target) -> bool: ...

    async def add_each(self, elements: Sequence[Element]) -> list[Rejected]:
        """Add ``elements`` so that one the firewall refuses cannot keep the others out.

        The whole batch is tried first (one transaction in the common case); a refused batch
        is split in halves until every refused element is alone, so k bad elements among n
        cost about k * log2(n) extra transactions. Returns the refused elements.
        """
        if not elements:
            return []
        try:
            await self.add(elements)
            return []
        except ResponseError as exc:
            if len(elements) == 1:
                return [Rejected(elements[0], str(exc)[:300])]
        middle = len(elements) // 2
        return [*await self.add_each(elements[:middle]), *await self.add_each(elements[middle:])]

    async def kill(self, target: Target) -> int:
        """Delete conntrack entries from and to ``target``; returns how many were deleted."""
        from phantomnet.response.blockers.conntrack import kill_flows

        return await kill_flows(self.runner, target)

    async def dropped(self) -> int | None:
        """Packets dropped by this blocker's rules so far (proof it bites), if known."""
        return None

    def describe(self) -> dict[str, object]:
        return {"backend": self.name, "netns": self.config.netns}

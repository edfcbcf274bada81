"""nftables backend: one ``inet`` table with timeout sets, hooked on input and forward.

Driven through ``nft -j -f -`` (the JSON interface); every change is one atomic transaction.
Hooks on ``forward`` as well as ``input`` because Docker-published ports bypass INPUT; the
chains drop before any ``ct state established accept`` elsewhere can let a banned peer through.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from phantomnet.errors import BackendUnavailable, ResponseError
from phantomnet.response.blockers import nft_json
from phantomnet.response.blockers.base import Blocker, Element
from phantomnet.response.targets import Target

#: elements per transaction (a 60k initial load must not hit the command timeout)
CHUNK = 10_000


class NftablesBlocker(Blocker):
    """Blocks through nftables sets with per-element kernel timeouts."""

    name: ClassVar[str] = "nftables"

    @property
    def table(self) -> str:
        return self.config.nftables.table

    async def _apply(self, cmds: list[nft_json.Json]) -> None:
        if cmds:
            await self.runner.check("nft", "-j", "-f", "-", stdin=nft_json.document(cmds))

    async def check(self) -> None:
        if not self.runner.available("nft"):
            raise BackendUnavailable(
                "response.backend = 'nftables' but the `nft` command is not installed "
                "(install nftables, or choose 'iptables' or 'dry-run')"
            )
        if self.config.kill_connections and not self.runner.available("conntrack"):
            raise BackendUnavailable(
                "`conntrack` is not installed (install conntrack, or set "
                "response.kill_connections = false)"
            )
        probe = await self.runner.run("nft", "-j", "list", "tables")
        if not probe.ok:
            raise BackendUnavailable(
                f"nftables does not work here: {probe.brief()} (needs root or CAP_NET_ADMIN)"
            )
        try:
            await self.ensure()
            await self.listing()
        except ResponseError as exc:
            raise BackendUnavailable(f"nftables cannot hold PhantomNet's table: {exc}") from exc

    async def _structure_ok(self) -> bool:
        result = await self.runner.run("nft", "-j", "-t", "list", "table", "inet", self.table)
        return result.ok and nft_json.structure_ok(
            result.stdout, self.config.nftables.priority, self.config.block_outbound
        )

    async def ensure(self, keep: Sequence[Element] = ()) -> bool:
        """Create the table if it is missing or incomplete, atomically, with ``keep`` inside."""
        if await self._structure_ok():
            return False
        cmds = nft_json.rebuild(
            self.table, self.config.nftables.priority, self.config.block_outbound
        )
        elements = nft_json.replace_elements(self.table, ((e.target, e.timeout_s) for e in keep))
        try:
            await self._apply(cmds + elements)  # one transaction: never an empty table
        except ResponseError:
            if not elements:
                raise
            # one element nft refuses (an overlapping interval) must not keep the table or
            # the other elements out: structure first, then the elements one bad one at a time
            await self._apply(cmds)
            await self.add_each(keep)
        return True

    async def add(self, elements: Sequence[Element]) -> None:
        """Add in transactions of at most ``CHUNK`` elements (each one atomic and quick)."""
        for start in range(0, len(elements), CHUNK):
            chunk = elements[start : start + CHUNK]
            await self._apply(
                nft_json.replace_elements(self.table, ((e.target, e.timeout_s) for e in chunk))
            )

    async def remove(self, targets: Sequence[Target]) -> None:
        for start in range(0, len(targets), CHUNK):
            await self._remove(targets[start : start + CHUNK])

    async def _remove(self, targets: Sequence[Target]) -> None:
        try:
            await self._apply(nft_json.delete_elements(self.table, targets))
        except ResponseError:
            # e.g. a network overlapping a foreign element: delete only what is there.
            held = await self.listing()
            present = [t for t in targets if t.text in held]
            await self._apply(nft_json.delete_elements(self.table, present, present=True))

    async def listing(self) -> dict[str, int]:
        result = await self.runner.check("nft", "-j", "list", "table", "inet", self.table)
        return nft_json.parse_elements(result.stdout)

    async def holds(self, target: Target) -> bool:
        value = nft_json.element_text(target)
        result = await self.runner.run(
            "nft", "get", "element", "inet", self.table, nft_json.set_for(target), f"{{ {value} }}"
        )
        return result.ok

    async def dropped(self) -> int | None:
        result = await self.runner.run("nft", "-j", "-t", "list", "table", "inet", self.table)
        return nft_json.dropped_packets(result.stdout) if result.ok else None

    async def teardown(self) -> None:
        base = {"family": nft_json.FAMILY, "name": self.table}
        await self._apply([{"add": {"table": base}}, {"delete": {"table": base}}])

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "table": f"inet {self.table}"}

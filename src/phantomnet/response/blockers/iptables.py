"""iptables + ipset backend for hosts without nftables.

Two ``hash:net`` ipsets (``<prefix>-4``, ``<prefix>-6``) with per-element timeouts hold the
targets (hash:net takes single addresses and overlapping networks alike). Two chains per
family, ``<CHAIN>-SRC`` (drop source members) and ``<CHAIN>-DST`` (drop destination members),
are jumped to from the first position of INPUT, FORWARD (both) and OUTPUT (DST, when outbound
blocking is on). ``ipset restore -exist`` makes a re-add replace the timeout.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import ClassVar

from phantomnet.errors import BackendUnavailable, ResponseError
from phantomnet.response.blockers.base import Blocker, Element
from phantomnet.response.targets import Target, try_canonical

log = logging.getLogger(__name__)
#: lines per ``ipset restore`` (a 60k initial load must not hit the command timeout)
CHUNK = 20_000
_SAVE_LINE = re.compile(r"^add (\S+) (\S+)(?:.*? timeout (\d+))?")


def parse_ipset_save(text: str) -> dict[str, int]:
    """Canonical target -> seconds left, from ``ipset save`` output (never raises)."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        match = _SAVE_LINE.match(line.strip())
        if match:
            target = try_canonical(match.group(2))
            if target is not None:
                found[target] = int(match.group(3)) if match.group(3) else 10**9
    return found


def variant_of(version_text: str) -> str:
    """``nf_tables`` or ``legacy`` from ``iptables --version`` (``unknown`` otherwise)."""
    for name in ("nf_tables", "legacy"):
        if f"({name})" in version_text:
            return name
    return "unknown"


def parse_counts(text: str) -> int:
    """Sum of the packet counters of ``iptables -nvxL CHAIN`` rule lines (never raises)."""
    total = 0
    for line in text.splitlines()[2:]:
        first = line.split(maxsplit=1)[:1]
        if first and first[0].isdigit():
            total += int(first[0])
    return total


class IptablesBlocker(Blocker):
    """Blocks through ipset timeouts matched by iptables/ip6tables rules."""

    name: ClassVar[str] = "iptables"
    #: ipset refuses a timeout above 2147483 s (UINT_MAX / 1000): a 30-day block is clamped
    #: to it and re-asserted by the reconciler before it runs out
    max_timeout_s: ClassVar[int] = 2_147_483
    variant: str = "unknown"

    def _set(self, version: int) -> str:
        return f"{self.config.iptables.set_prefix}-{version}"

    def _tools(self) -> dict[int, str]:
        cmd = self.config.iptables.command
        return {4: cmd, 6: cmd.replace("iptables", "ip6tables", 1)}

    def _chains(self) -> dict[str, str]:
        base = self.config.iptables.chain
        return {"src": f"{base}-SRC", "dst": f"{base}-DST"}

    def _jumps(self) -> list[tuple[str, str]]:
        chains = self._chains()
        jumps = [("INPUT", chains["src"]), ("FORWARD", chains["src"]), ("FORWARD", chains["dst"])]
        if self.config.block_outbound:
            jumps.append(("OUTPUT", chains["dst"]))
        return jumps

    def _rule(self, version: int, direction: str) -> list[str]:
        return ["-m", "set", "--match-set", self._set(version), direction, "-j", "DROP"]

    async def check(self) -> None:
        needed = ["ipset", *self._tools().values()]
        if self.config.kill_connections:
            needed.append("conntrack")
        missing = [t for t in needed if not self.runner.available(t)]
        if missing:
            raise BackendUnavailable(
                f"response.backend = 'iptables' but {', '.join(missing)} is not installed "
                "(install iptables, ipset and conntrack, or choose 'nftables' or 'dry-run')"
            )
        for tool in ("ipset", self._tools()[4]):
            args = ("ipset", "list", "-n") if tool == "ipset" else (tool, "-w", "5", "-S", "INPUT")
            probe = await self.runner.run(*args)
            if not probe.ok:
                raise BackendUnavailable(
                    f"{tool} does not work here: {probe.brief()} (needs root or CAP_NET_ADMIN)"
                )
        await self._detect_variant()
        try:
            await self.ensure()
            await self.listing()
        except ResponseError as exc:
            raise BackendUnavailable(
                f"iptables/ipset cannot hold PhantomNet's rules: {exc}"
            ) from exc

    async def _detect_variant(self) -> None:
        """Record nf_tables vs legacy and warn when the other one holds the host's rules
        (rules written to one while the host's firewall lives in the other is a known trap)."""
        version = await self.runner.run(self._tools()[4], "--version")
        self.variant = variant_of(version.stdout)
        other = {"nf_tables": "iptables-legacy", "legacy": "iptables-nft"}.get(self.variant)
        if other is None or not self.runner.available(other):
            return
        rules = await self.runner.run(other, "-w", "5", "-S")
        if rules.ok and any(line.startswith("-A ") for line in rules.stdout.splitlines()):
            log.warning(
                "PhantomNet writes %s rules but the host also has %s rules; check which one "
                "your firewall (and Docker) really use (response.iptables.command)",
                self.variant,
                other,
            )

    async def _ensure_sets(self) -> bool:
        names = set((await self.runner.check("ipset", "list", "-n")).stdout.split())
        repaired = False
        for version, family in ((4, "inet"), (6, "inet6")):
            if self._set(version) not in names:
                await self.runner.check(
                    "ipset",
                    "create",
                    self._set(version),
                    "hash:net",
                    "family",
                    family,
                    "timeout",
                    "0",
                    "maxelem",
                    str(self.config.iptables.maxelem),
                    "-exist",
                )
                repaired = True
        return repaired

    async def _ensure_chain(self, version: int, key: str, chain: str) -> bool:
        tool = self._tools()[version]
        want = [f"-A {chain} {' '.join(self._rule(version, key))}"]
        listed = await self.runner.run(tool, "-w", "5", "-S", chain)
        have = [ln for ln in listed.stdout.splitlines() if ln.startswith("-A ")]
        if listed.ok and have == want:
            return False
        if not listed.ok:
            await self.runner.check(tool, "-w", "5", "-N", chain)
        await self.runner.check(tool, "-w", "5", "-F", chain)
        await self.runner.check(tool, "-w", "5", "-A", chain, *self._rule(version, key))
        return True

    async def _ensure_jumps(self, version: int) -> bool:
        tool = self._tools()[version]
        repaired = False
        for hook, chain in self._jumps():
            present = await self.runner.run(tool, "-w", "5", "-C", hook, "-j", chain)
            if not present.ok:
                await self.runner.check(tool, "-w", "5", "-I", hook, "1", "-j", chain)
                repaired = True
        return repaired

    async def ensure(self, keep: Sequence[Element] = ()) -> bool:
        """Create or repair sets, chains and jumps; re-add ``keep`` when anything was missing."""
        repaired = await self._ensure_sets()
        for version in (4, 6):
            for key, chain in self._chains().items():
                repaired |= await self._ensure_chain(version, key, chain)
            repaired |= await self._ensure_jumps(version)
        if repaired and keep:
            await self.add_each(keep)  # the reconciler's diff reports what was refused
        return repaired

    async def add(self, elements: Sequence[Element]) -> None:
        lines = [
            f"add {self._set(e.target.version)} {e.target.network} timeout "
            f"{min(self.max_timeout_s, max(1, e.timeout_s))}"
            for e in elements
        ]
        for start in range(0, len(lines), CHUNK):
            batch = lines[start : start + CHUNK]
            await self.runner.check("ipset", "restore", "-exist", stdin="\n".join(batch) + "\n")

    async def remove(self, targets: Sequence[Target]) -> None:
        lines = [f"del {self._set(t.version)} {t.network}" for t in targets]
        if lines:
            await self.runner.check("ipset", "restore", "-exist", stdin="\n".join(lines) + "\n")

    async def listing(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for version in (4, 6):
            result = await self.runner.check("ipset", "save", self._set(version))
            found.update(parse_ipset_save(result.stdout))
        return found

    async def holds(self, target: Target) -> bool:
        result = await self.runner.run(
            "ipset", "test", self._set(target.version), str(target.network)
        )
        return result.ok

    async def dropped(self) -> int | None:
        total = 0
        for tool in self._tools().values():
            for chain in self._chains().values():
                result = await self.runner.run(tool, "-w", "5", "-nvxL", chain)
                if not result.ok:
                    return None
                total += parse_counts(result.stdout)
        return total

    async def teardown(self) -> None:
        for version, tool in self._tools().items():
            for hook, chain in self._jumps():
                for _ in range(16):  # duplicates from older runs, bounded
                    if not (await self.runner.run(tool, "-w", "5", "-D", hook, "-j", chain)).ok:
                        break
            for chain in self._chains().values():
                await self.runner.run(tool, "-w", "5", "-F", chain)
                await self.runner.run(tool, "-w", "5", "-X", chain)
            await self.runner.run("ipset", "destroy", self._set(version))

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "sets": [self._set(4), self._set(6)],
            "command": self.config.iptables.command,
            "variant": self.variant,
        }

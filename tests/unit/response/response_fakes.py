"""Test doubles for response unit tests: a scripted runner and an in-memory BlockStore."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from phantomnet.response.runner import Result, Runner
from phantomnet.response.store import BlockRecord, NewBlock

HOST_ADDRS = json.dumps(
    [
        {"ifname": "lo", "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8}]},
        {
            "ifname": "eth0",
            "addr_info": [
                {"family": "inet", "local": "192.0.2.10", "prefixlen": 24},
                {"family": "inet6", "local": "2001:db8::10", "prefixlen": 64},
            ],
        },
    ]
)
HOST_ROUTES4 = json.dumps([{"dst": "default", "gateway": "192.0.2.1", "dev": "eth0"}])
HOST_ROUTES6 = json.dumps([{"dst": "default", "nexthops": [{"gateway": "fe80::1"}]}])


class ScriptedRunner(Runner):
    """Answers ``ip`` queries with a fixed host description; records every command."""

    def __init__(self) -> None:
        super().__init__(None, 1.0)
        self.calls: list[tuple[str, ...]] = []

    async def run(self, *args: str, stdin: str | None = None) -> Result:
        self.calls.append(args)
        answers = {
            ("ip", "-j", "addr", "show"): HOST_ADDRS,
            ("ip", "-j", "-4", "route", "show", "default"): HOST_ROUTES4,
            ("ip", "-j", "-6", "route", "show", "default"): HOST_ROUTES6,
        }
        if args in answers:
            return Result(args, 0, answers[args], "")
        return Result(args, 127, "", f"{args[0]}: not scripted")


class MemoryStore:
    """BlockStore kept in a list (the SQL one is tested against SQLite and PostgreSQL)."""

    def __init__(self) -> None:
        self.rows: list[BlockRecord] = []

    async def get_active(self, target: str) -> BlockRecord | None:
        found = [r for r in self.rows if r.target == target and r.active]
        return found[-1] if found else None

    async def list_active(self) -> list[BlockRecord]:
        return [r for r in self.rows if r.active]

    async def desired(self) -> list[tuple[str, datetime]]:
        return [(r.target, r.expires_at) for r in self.rows if r.active]

    async def list_blocks(self, *, active: bool | None, limit: int) -> list[BlockRecord]:
        rows = [r for r in reversed(self.rows) if active is None or r.active == active]
        return rows[:limit]

    async def count_since(self, target: str, since: datetime) -> int:
        return sum(1 for r in self.rows if r.target == target and r.created_at >= since)

    async def insert(self, block: NewBlock) -> BlockRecord:
        record = BlockRecord(id=len(self.rows) + 1, active=True, **block.__dict__)
        self.rows.append(record)
        return record

    def _swap(self, block_id: int, **changes: object) -> BlockRecord:
        index = block_id - 1
        self.rows[index] = replace(self.rows[index], **changes)  # type: ignore[arg-type]
        return self.rows[index]

    async def update(
        self, block_id: int, *, expires_at: datetime, reason: str, applied: bool
    ) -> BlockRecord:
        return self._swap(block_id, expires_at=expires_at, reason=reason, applied=applied)

    async def deactivate(self, block_id: int, *, at: datetime, reason: str) -> BlockRecord:
        return self._swap(block_id, active=False, removed_at=at, removed_reason=reason)

    async def due(self, now: datetime, limit: int) -> list[BlockRecord]:
        return [r for r in self.rows if r.active and r.expires_at <= now][:limit]

    async def mark_applied(self, not_held: Sequence[str], *, before: datetime) -> None:
        for r in list(self.rows):
            if r.active and r.created_at < before:
                self._swap(r.id, applied=r.target not in not_held)

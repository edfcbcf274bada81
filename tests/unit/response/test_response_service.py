"""Decisions through the service (dry-run blocker, in-memory store, scripted host facts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from response_fakes import MemoryStore, ScriptedRunner

from phantomnet.errors import BlockRefused, InvalidInput, NotFound
from phantomnet.events import Event
from phantomnet.events.response import ResponseBlock, ResponseUnblock
from phantomnet.response.blockers.base import Element
from phantomnet.response.blockers.dryrun import DryRunBlocker
from phantomnet.response.config import ResponseConfig
from phantomnet.response.reconcile import Reconciler
from phantomnet.response.safety import Safety
from phantomnet.response.service import ResponseService
from phantomnet.response.targets import parse_target


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def make(
    store: MemoryStore, runner: ScriptedRunner, **cfg: object
) -> tuple[ResponseService, list[Event], Clock]:
    config = ResponseConfig(**cfg)  # type: ignore[arg-type]
    events: list[Event] = []

    async def publish(event: Event) -> None:
        events.append(event)

    clock = Clock()
    service = ResponseService(
        config,
        store,
        DryRunBlocker(config, runner),
        Safety(config, runner),
        node="n1",
        publish=publish,
        clock=clock,
    )
    return service, events, clock


async def test_block_records_applies_and_announces(
    store: MemoryStore, runner: ScriptedRunner
) -> None:
    service, events, clock = make(store, runner)
    record = await service.block("203.0.113.7", reason="seen", duration_s=3600)
    assert record.active and record.target == "203.0.113.7" and record.backend == "dry-run"
    assert record.expires_at == clock.now + timedelta(hours=1)
    assert record.applied is False  # dry-run never claims enforcement
    assert list(await service.blocker.listing()) == ["203.0.113.7"]
    assert len(events) == 1 and isinstance(events[0], ResponseBlock)
    assert events[0].src is not None and events[0].src.ip == "203.0.113.7"
    assert events[0].duration_s == 3600 and events[0].offence == 1


async def test_progressive_durations(store: MemoryStore, runner: ScriptedRunner) -> None:
    service, _, clock = make(store, runner)
    seen = []
    for _ in range(5):
        record = await service.block("203.0.113.7", source="detection", reason="bf")
        seen.append((record.offence, int((record.expires_at - clock.now).total_seconds())))
        await service.unblock("203.0.113.7")
        clock.now += timedelta(minutes=1)
    assert seen == [(1, 600), (2, 3600), (3, 86_400), (4, 604_800), (5, 604_800)]
    clock.now += timedelta(days=31)  # outside the offence window: back to the first rung
    assert (await service.block("203.0.113.7")).offence == 1


async def test_reblock_never_shortens(store: MemoryStore, runner: ScriptedRunner) -> None:
    service, events, clock = make(store, runner)
    first = await service.block("203.0.113.7", duration_s=3600)
    again = await service.block("203.0.113.7", duration_s=60)
    assert again.id == first.id and again.expires_at == first.expires_at
    assert len(events) == 1  # nothing changed, nothing announced
    longer = await service.block("203.0.113.7", duration_s=7200)
    assert longer.id == first.id and longer.expires_at == clock.now + timedelta(hours=2)
    assert len(events) == 2


async def test_allowlist_refuses(store: MemoryStore, runner: ScriptedRunner) -> None:
    service, events, _ = make(store, runner, management_networks=("198.51.100.0/24",))
    for ip, why in [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("192.0.2.10", "own address"),
        ("2001:db8::10", "own address"),
        ("192.0.2.1", "gateway"),
        ("fe80::1", "gateway"),
        ("198.51.100.77", "management network"),
        ("192.0.2.0/24", "own address"),
    ]:
        with pytest.raises(BlockRefused, match=why):
            await service.block(ip)
    assert store.rows == [] and events == []
    assert service.counters.refused == 8


async def test_dns_resolvers_are_protected(
    store: MemoryStore, runner: ScriptedRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("nameserver 203.0.113.53\nnameserver 2001:db8:53::1\n")
    monkeypatch.setattr(Safety, "_resolv_path", lambda self: resolv)
    service, _, _ = make(store, runner)
    for ip in ("203.0.113.53", "2001:db8:53::1"):
        with pytest.raises(BlockRefused, match="DNS resolver"):
            await service.block(ip)
    assert (await service.block("203.0.113.54")).active


async def test_protect_private(store: MemoryStore, runner: ScriptedRunner) -> None:
    service, _, _ = make(store, runner, protect_private=True)
    with pytest.raises(BlockRefused, match="private"):
        await service.block("10.20.30.40")
    service, _, _ = make(MemoryStore(), runner)
    assert (await service.block("10.20.30.40")).active


async def test_validation_errors(store: MemoryStore, runner: ScriptedRunner) -> None:
    service, _, _ = make(store, runner)
    with pytest.raises(InvalidInput):
        await service.block("not-an-ip")
    with pytest.raises(BlockRefused, match="wider"):
        await service.block("203.0.0.0/8")
    with pytest.raises(NotFound):
        await service.unblock("203.0.113.99")


async def test_overlapping_networks_refused(store: MemoryStore, runner: ScriptedRunner) -> None:
    service, _, _ = make(store, runner)
    await service.block("203.0.113.0/24")
    with pytest.raises(BlockRefused, match="overlaps the active block"):
        await service.block("203.0.113.128/25")
    assert (await service.block("203.0.113.5")).active  # an address inside is fine


async def test_unblock_and_expiry_remove_exactly_that_element(
    store: MemoryStore, runner: ScriptedRunner
) -> None:
    service, events, clock = make(store, runner)
    await service.block("203.0.113.0/24", duration_s=600)
    await service.block("203.0.113.5", duration_s=60)
    await service.block("2001:db8:1::7", duration_s=3600)
    lifted = await service.unblock("203.0.113.5")
    assert lifted.removed_reason == "manual" and not lifted.active
    assert set(await service.blocker.listing()) == {"203.0.113.0/24", "2001:db8:1::7"}
    clock.now += timedelta(seconds=601)
    expired = await service.expire_due()
    assert [r.target for r in expired] == ["203.0.113.0/24"]
    assert expired[0].removed_reason == "expired"
    assert [r.target for r in await store.list_active()] == ["2001:db8:1::7"]
    unblocks = [e for e in events if isinstance(e, ResponseUnblock)]
    assert [(e.target, e.reason) for e in unblocks] == [
        ("203.0.113.5", "manual"),
        ("203.0.113.0/24", "expired"),
    ]


async def test_reconciler_repairs_dry_run_state(store: MemoryStore, runner: ScriptedRunner) -> None:
    service, _, _ = make(store, runner)
    await service.block("203.0.113.7", duration_s=600)
    await service.block("203.0.113.8", duration_s=600)
    blocker = service.blocker
    await blocker.remove([parse_target("203.0.113.7")])  # drift: element lost
    await blocker.add([])
    await blocker.add([Element(parse_target("198.51.100.9"), 50)])  # drift: stray element
    report = await Reconciler(service).run_once()
    assert (report.missing, report.extra, report.desired) == (1, 1, 2)
    assert set(await blocker.listing()) == {"203.0.113.7", "203.0.113.8"}
    assert (await Reconciler(service).run_once()).drift == 0


async def test_reconciler_skips_targets_that_became_allowlisted(
    store: MemoryStore, runner: ScriptedRunner
) -> None:
    service, _, _ = make(store, runner)
    await service.block("198.51.100.7", duration_s=600)
    # the operator adds a management network that covers an active block
    service.safety = Safety(
        service.config.model_copy(update={"management_networks": ("198.51.100.0/24",)}),
        runner,
    )
    report = await Reconciler(service).run_once()
    assert report.skipped_allowlisted == 1 and report.extra == 1
    assert await service.blocker.listing() == {}


class LaggingStore(MemoryStore):
    """The reconciler's first read misses the newest decision (made by another process)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def desired(self) -> list[tuple[str, datetime]]:
        self.reads += 1
        rows = await super().desired()
        return rows[:-1] if self.reads == 1 else rows


async def test_reconciler_does_not_undo_a_concurrent_decision(runner: ScriptedRunner) -> None:
    store = LaggingStore()
    service, _, _ = make(store, runner)
    await service.block("203.0.113.7", duration_s=600)
    await service.block("203.0.113.8", duration_s=600)  # "made by the CLI" during the pass
    await service.blocker.add([Element(parse_target("198.51.100.9"), 50)])  # real stray
    report = await Reconciler(service).run_once()
    assert report.extra == 2  # as first seen...
    assert set(await service.blocker.listing()) == {"203.0.113.7", "203.0.113.8"}  # ...but kept

"""One bad block never stops the others (issue 11), in namespaces the test creates.

Rows an older version could have stored (``fe80::1%x``) or a race could leave (two
overlapping networks nftables refuses together), a 30-day block (longer than ipset's maximum
timeout) and a set that is full: start-up still succeeds, every good block is enforced, each
bad one is logged once and marked not applied, and ``applied`` comes from what the firewall
really holds (rows stored with ``applied = False`` become True once verified).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from pnr_netns import Lab
from sqlalchemy.ext.asyncio import AsyncEngine
from test_response_enforcement import connect_state

from phantomnet.events import utcnow
from phantomnet.response.component import ResponseComponent
from phantomnet.response.config import ResponseConfig
from phantomnet.response.factory import build_blocker
from phantomnet.response.safety import Safety
from phantomnet.response.service import ResponseService
from phantomnet.response.store import NewBlock
from phantomnet.storage.blocks import SqlBlockStore

pytestmark = [pytest.mark.integration, pytest.mark.netns, pytest.mark.timeout(120)]


def make_service(lab: Lab, backend: str, engine: AsyncEngine, **more: object) -> ResponseService:
    config = ResponseConfig(
        backend=backend,
        netns=lab.victim,  # type: ignore[arg-type]
        reconcile_interval_s=3600,
        timeout_slack_s=3,
        **more,  # type: ignore[arg-type]
    )
    assert config.netns and config.netns.startswith("pnr-")  # never the host firewall
    blocker = build_blocker(config)
    store = SqlBlockStore.from_engine(engine)
    return ResponseService(config, store, blocker, Safety(config, blocker.runner), node="v")


async def store_rows(service: ResponseService, targets: list[str], seconds: int) -> None:
    """Rows as an older version or another process left them: not validated, not applied."""
    now = utcnow() - timedelta(seconds=5)
    for target in targets:
        await service.store.insert(
            NewBlock(
                target=target,
                source="manual",
                reason="old row",
                created_at=now,
                expires_at=now + timedelta(seconds=seconds),
                offence=1,
                backend=service.blocker.name,
                applied=False,
            )
        )


async def applied(service: ResponseService) -> dict[str, bool]:
    return {r.target: r.applied for r in await service.store.list_active()}


@pytest.mark.parametrize("backend", ["nftables", "iptables"])
async def test_bad_rows_never_stop_the_others(
    lab: Lab, sqlite_engine: AsyncEngine, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = lab.serve("0.0.0.0")
    assert await connect_state(lab, lab.victim_ip, port) == "connected"
    service = make_service(lab, backend, sqlite_engine)
    bad = ["fe80::1%x", "fe80::1%eth0", "not-an-ip", "1.2.3.4\x1b[2J"]
    overlap = ["198.51.100.0/24", "198.51.100.128/25"]  # nft: interval overlap, refused
    # the attacker's block lasts 30 days: longer than ipset's maximum timeout (2147483 s)
    await store_rows(service, [lab.attacker_ip], 30 * 86_400)
    await store_rows(service, [*bad, *overlap, "203.0.113.7"], 3600)

    component = ResponseComponent(service, None)
    with caplog.at_level(logging.WARNING):
        await component.start()  # `up` starts: backend check + first reconciliation
        assert (await connect_state(lab, lab.victim_ip, port)).startswith("error")
        held = await service.blocker.listing()
        assert {lab.attacker_ip, "203.0.113.7", overlap[0]} <= set(held)
        state = await applied(service)
        assert state[lab.attacker_ip] and state["203.0.113.7"] and state[overlap[0]]
        assert not any(state[b] for b in bad)
        report = component.reconciler.last
        assert report is not None and report.invalid == len(bad)
        if backend == "nftables":
            assert overlap[1] not in held and state[overlap[1]] is False
            assert report.rejected == 1
        else:  # hash:net takes overlapping networks
            assert state[overlap[1]] is True

        again = await component.reconciler.run_once()  # retried quietly
        assert again.invalid == len(bad)
        assert again.drift == (1 if backend == "nftables" else 0)  # the refused one
    for b in bad:
        said = [r for r in caplog.records if repr(b)[:40] in r.getMessage()]
        assert len(said) == 1, (b, [r.getMessage() for r in caplog.records])
    if backend == "nftables":
        said = [r for r in caplog.records if f"refused the block of {overlap[1]}" in r.getMessage()]
        assert len(said) == 1

    await component.stop()
    await service.blocker.teardown()


@pytest.mark.parametrize("backend", ["nftables", "iptables"])
async def test_applied_is_what_the_firewall_holds(
    lab: Lab, sqlite_engine: AsyncEngine, backend: str
) -> None:
    service = make_service(lab, backend, sqlite_engine)
    await service.blocker.check()
    made = await service.block(lab.attacker_ip, duration_s=30 * 86_400)
    assert made.applied and await service.blocker.holds(service.target(lab.attacker_ip))
    assert not await service.blocker.holds(service.target("203.0.113.99"))
    if backend != "nftables":
        await service.blocker.teardown()
        return
    # a foreign element makes nft refuse a block: the row says not applied until the
    # reconciler verifies the firewall holds it
    foreign = ("nft", "add", "element", "inet", "phantomnet", "net4", "{ 192.0.2.0/24 }")
    lab.in_victim(*foreign)
    refused = await service.block("192.0.2.0/25", duration_s=600)
    assert refused.applied is False
    component = ResponseComponent(service, None)
    await component.reconciler.run_once()  # removes the foreign element, re-adds ours
    assert (await applied(service))["192.0.2.0/25"] is True
    lab.in_victim("nft", "flush", "set", "inet", "phantomnet", "net4")
    lab.in_victim(*foreign[:-1], "{ 192.0.2.0/24 timeout 1h }")  # foreign again, ours gone
    report = await component.reconciler.run_once()
    assert report.rejected == 0 and report.extra == 1 and report.missing == 1
    assert (await applied(service))["192.0.2.0/25"] is True
    await service.blocker.teardown()


async def test_full_ipset_keeps_the_first_ones(lab: Lab, sqlite_engine: AsyncEngine) -> None:
    """A full set refuses some elements: the others still go in (the batch is split)."""
    port = lab.serve("0.0.0.0")
    service = make_service(lab, "iptables", sqlite_engine, iptables={"maxelem": 1024})
    filler = [f"198.18.{i // 256}.{i % 256}" for i in range(1, 1030)]
    await store_rows(service, [lab.attacker_ip, *filler], 3600)
    component = ResponseComponent(service, None)
    await component.start()
    report = component.reconciler.last
    assert report is not None
    held = await service.blocker.listing()
    assert lab.attacker_ip in held and len(held) == 1024
    assert report.rejected == 1030 - 1024
    assert (await connect_state(lab, lab.victim_ip, port)).startswith("error")
    state = await applied(service)
    assert sum(state.values()) == 1024 and state[lab.attacker_ip]
    await component.stop()
    await service.blocker.teardown()

"""Real enforcement in namespaces the test creates, for nftables and for iptables + ipset.

An attacker namespace holds an open TCP connection to an echo service in the victim
namespace; PhantomNet (told to act inside the victim namespace) blocks the attacker: the open
connection stops carrying data, its conntrack entries are killed, new connections (IPv4 and
IPv6) fail; a flushed set, a deleted table/jump and a shortened timeout are repaired by the
reconciler; the host's own address is refused; the expiry lifts the block.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from pnr_netns import Lab
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.errors import BlockRefused
from phantomnet.response.component import ResponseComponent
from phantomnet.response.config import ResponseConfig
from phantomnet.response.factory import build_blocker
from phantomnet.response.reconcile import Reconciler
from phantomnet.response.safety import Safety
from phantomnet.response.service import ResponseService
from phantomnet.storage.blocks import SqlBlockStore

pytestmark = [pytest.mark.integration, pytest.mark.netns, pytest.mark.timeout(300)]

SHORT_S = 8
LONG_S = 600


def service_for(lab: Lab, backend: str, engine: AsyncEngine) -> ResponseService:
    config = ResponseConfig(
        backend=backend,
        netns=lab.victim,  # type: ignore[arg-type]
        reconcile_interval_s=3600,
        timeout_slack_s=3,
    )
    assert config.netns and config.netns.startswith("pnr-")  # never the host firewall
    blocker = build_blocker(config)
    return ResponseService(
        config,
        SqlBlockStore.from_engine(engine),
        blocker,
        Safety(config, blocker.runner),
        node="victim",
    )


def sabotage(lab: Lab, backend: str) -> list[tuple[str, list[str]]]:
    """Ways an operator or another tool breaks enforcement, per backend."""
    if backend == "nftables":
        return [
            ("flushed set", ["nft", "flush", "set", "inet", "phantomnet", "addr4"]),
            ("deleted table", ["nft", "delete", "table", "inet", "phantomnet"]),
            (
                "shortened timeout",
                [
                    "nft",
                    "add",
                    "element",
                    "inet",
                    "phantomnet",
                    "addr4",
                    f"{{ {lab.attacker_ip} timeout 1s }}",
                ],
            ),
        ]
    return [
        ("flushed set", ["ipset", "flush", "phantomnet-4"]),
        ("deleted jump", ["iptables", "-D", "INPUT", "-j", "PHANTOMNET-SRC"]),
        (
            "shortened timeout",
            ["ipset", "add", "-exist", "phantomnet-4", lab.attacker_ip, "timeout", "1"],
        ),
    ]


async def connect_state(lab: Lab, peer_host: str, port: int) -> str:
    peer = await asyncio.to_thread(lab.client, peer_host, port)
    first: str = peer.first  # type: ignore[attr-defined]
    await asyncio.to_thread(peer.stop)
    return first


@pytest.mark.parametrize("backend", ["nftables", "iptables"])
async def test_block_kills_flows_survives_sabotage_and_expires(
    lab: Lab, sqlite_engine: AsyncEngine, backend: str
) -> None:
    port = lab.serve("::")
    held = await asyncio.to_thread(lab.client, lab.victim_ip, port)
    assert held.first == "connected"  # type: ignore[attr-defined]
    assert await asyncio.to_thread(held.ask, "ping") == "reply"

    service = service_for(lab, backend, sqlite_engine)
    component = ResponseComponent(service, None)
    await component.start()  # backend check + first reconciliation
    started = time.monotonic()
    short = await service.block(lab.attacker_ip6, reason="test v6", duration_s=SHORT_S)
    record = await service.block(lab.attacker_ip, reason="test", duration_s=LONG_S)
    assert record.applied and short.applied and record.backend == backend

    # new connections fail (v6 first: its block is short), the open one is cut
    assert (await connect_state(lab, lab.victim_ip6, port)).startswith("error")
    assert await asyncio.to_thread(held.ask, "ping") in ("timeout", "error ConnectionResetError")
    assert service.counters.killed_flows >= 1  # its conntrack entries were deleted
    assert (await connect_state(lab, lab.victim_ip, port)).startswith("error")

    # the allowlist: the victim's own addresses and loopback are refused
    for protected in (lab.victim_ip, lab.victim_ip6, "127.0.0.1"):
        with pytest.raises(BlockRefused):
            await service.block(protected)

    # expiry: the kernel lifts the short block, the sweep records it, v6 works again
    state = "error"
    while time.monotonic() < started + SHORT_S + 120 and state != "connected":
        await asyncio.sleep(0.5)
        state = await connect_state(lab, lab.victim_ip6, port)
    assert state == "connected" and time.monotonic() - started >= SHORT_S - 1
    assert [r.target for r in await service.expire_due()] == [lab.attacker_ip6]
    assert set(await service.blocker.listing()) == {lab.attacker_ip}

    reconciler = Reconciler(service)
    for what, command in sabotage(lab, backend):
        lab.in_victim(*command)
        report = await reconciler.run_once()
        assert report.drift >= 1, what
        left = (await service.blocker.listing()).get(lab.attacker_ip, 0)
        assert left >= LONG_S - (time.monotonic() - started) - 5, what
        assert (await connect_state(lab, lab.victim_ip, port)).startswith("error"), what
    final = await reconciler.run_once()
    assert final.drift == 0
    assert final.dropped_packets is not None and final.dropped_packets > 0  # the rules bite

    await service.unblock(lab.attacker_ip)
    assert await service.blocker.listing() == {}
    assert await connect_state(lab, lab.victim_ip, port) == "connected"
    await service.blocker.teardown()


@pytest.mark.parametrize("backend", ["nftables", "iptables"])
async def test_unblock_removes_exactly_that_element(
    lab: Lab, sqlite_engine: AsyncEngine, backend: str
) -> None:
    port = lab.serve("0.0.0.0")
    service = service_for(lab, backend, sqlite_engine)
    await service.blocker.check()
    await service.block("198.51.100.0/24", duration_s=600)
    await service.block(lab.attacker_ip, duration_s=600)
    assert (await connect_state(lab, lab.victim_ip, port)).startswith("error")
    await service.unblock(lab.attacker_ip)
    assert set(await service.blocker.listing()) == {"198.51.100.0/24"}
    assert await connect_state(lab, lab.victim_ip, port) == "connected"
    await service.blocker.teardown()


async def test_missing_backend_is_refused_clearly(
    lab: Lab, sqlite_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from phantomnet.errors import BackendUnavailable

    service = service_for(lab, "nftables", sqlite_engine)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(BackendUnavailable, match="`nft` command is not installed"):
        await service.blocker.check()


@pytest.mark.parametrize("backend", ["nftables", "iptables"])
async def test_published_container_port_is_blocked_on_forward(
    lab: Lab, sqlite_engine: AsyncEngine, backend: str
) -> None:
    """Docker-style published ports bypass INPUT (fail2ban#2292): the forward hook holds."""
    host, published = lab.publish_container()
    assert await connect_state(lab, host, published) == "connected"
    service = service_for(lab, backend, sqlite_engine)
    await service.blocker.check()
    await service.block(lab.attacker_ip, duration_s=600)
    assert (await connect_state(lab, host, published)).startswith("error")
    await service.unblock(lab.attacker_ip)
    assert await connect_state(lab, host, published) == "connected"
    await service.blocker.teardown()

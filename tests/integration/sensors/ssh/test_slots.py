"""Fair connection slots over real sockets: silent floods from many loopback addresses
cannot keep a new source out, and a silent socket loses its slot at the ident deadline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from phantomnet.sensors.base import SlotLimiter, network_of
from tests.conftest import require_tool
from tests.integration.sensors.ssh.conftest import run, ssh_exec, start_sensor

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def _open(port: int, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


def test_networks_are_24_and_64() -> None:
    assert network_of("198.51.100.7") == "198.51.100.0/24"
    assert network_of("2001:db8:1:2:3::9") == "2001:db8:1:2::/64"
    assert network_of("::ffff:192.0.2.1") == "192.0.2.0/24"


def test_limiter_evicts_the_oldest_unsettled_slot_of_the_heaviest_network() -> None:
    closed: list[str] = []
    lim = SlotLimiter(max_sessions=4, max_per_source=4, max_per_net=4)
    slots = [lim.acquire("10.0.0.1", evict=lambda i=i: closed.append(f"a{i}")) for i in range(3)]
    assert all(slots)
    assert slots[0] is not None
    slots[0].settled = True
    assert lim.acquire("10.0.1.1", evict=lambda: closed.append("b"))
    newcomer = lim.acquire("10.0.2.1", evict=lambda: closed.append("c"))
    assert newcomer is not None and closed == ["a1"]  # oldest *unsettled* of 10.0.0.0/24
    assert lim.active == 4 and lim.evicted == 1
    # the victim's own release afterwards is harmless
    assert slots[1] is not None
    lim.release(slots[1])
    assert lim.active == 4
    # a network as heavy as every other gets no one evicted for it
    lim2 = SlotLimiter(max_sessions=2, max_per_source=2, max_per_net=2)
    assert lim2.acquire("10.0.0.1", evict=lambda: None)
    assert lim2.acquire("10.0.1.1", evict=lambda: None)
    assert lim2.acquire("10.0.1.2", evict=lambda: None) is None


async def test_silent_flood_from_many_sources_cannot_keep_a_new_source_out(
    tmp_path: Path, host_key_dir: Path
) -> None:
    require_tool("ssh", "sshpass")
    running, task = await start_sensor(
        tmp_path, host_key_dir, max_sessions=64, max_per_source=8, max_per_net=24
    )
    held = []
    try:
        # 20 silent sources in 4 /24s, 8 sockets each: 160 tries for 64 slots
        for i in range(160):
            source = f"127.0.{10 + i % 4}.{1 + i % 20}"
            try:
                held.append(await _open(running.port, source))
            except OSError:
                break
        limiter = running.sensor.limiter
        async with asyncio.timeout(30):
            while limiter.active < 64:
                await asyncio.sleep(0.05)
        assert max(limiter.per_net.values()) <= 24
        # the door is full of silent sockets; a real client from a new /24 still gets in
        rc, out, _ = await run(*ssh_exec(running.port, "123456", "echo in", "root",
                                         "-b", "127.0.99.1"))  # fmt: skip
        assert (rc, out) == (0, "in\n")
        assert limiter.evicted >= 1
        await running.captured.wait_for(
            lambda c: any(e.reason == "evicted" for e in c.of("connection.closed"))
        )
    finally:
        for _, w in held:
            w.close()
        await running.sensor.stop()
        task.cancel()


async def test_silent_socket_loses_its_slot_at_the_ident_deadline(
    tmp_path: Path, host_key_dir: Path
) -> None:
    running, task = await start_sensor(tmp_path, host_key_dir, ident_timeout_s=0.5)
    try:
        r, w = await _open(running.port, "127.0.0.7")
        assert (await asyncio.wait_for(r.readline(), 5)).startswith(b"SSH-2.0-")
        async with asyncio.timeout(30):  # closed by the sensor, not by us
            assert await r.read() == b""
        w.close()
        await running.captured.wait_for(
            lambda c: any(e.reason == "timeout" for e in c.of("connection.closed"))
        )
        assert running.sensor.limiter.active == 0
    finally:
        await running.sensor.stop()
        task.cancel()

"""Tarpit (listed sources, too many connections) and limits (per-source cap, flood)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from phantomnet.detection.brute_force import BruteForce, BruteForceConfig
from tests.conftest import require_tool
from tests.integration.sensors.ssh.conftest import run, ssh_exec, start_sensor

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


async def _open(port: int, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))


async def test_listed_source_is_tarpitted_others_are_served(
    tmp_path: Path, host_key_dir: Path
) -> None:
    running, task = await start_sensor(
        tmp_path, host_key_dir, tarpit={"sources": ["127.0.0.2/32"], "interval_s": 0.2}
    )
    try:
        reader, writer = await _open(running.port, "127.0.0.2")
        lines = [await asyncio.wait_for(reader.readline(), 60) for _ in range(3)]
        assert all(line.endswith(b"\r\n") and not line.startswith(b"SSH-") for line in lines)
        assert running.sensor.describe()["tarpitted"] == 1
        r2, w2 = await _open(running.port, "127.0.0.1")
        assert (await asyncio.wait_for(r2.readline(), 60)).startswith(b"SSH-2.0-OpenSSH_9.2p1")
        writer.close()
        w2.close()
        await running.captured.wait_for(
            lambda c: any(e.reason == "tarpit" for e in c.of("connection.closed"))
        )
        assert running.sensor.describe()["tarpitted"] == 0
    finally:
        await running.sensor.stop()
        task.cancel()


async def test_source_over_connection_budget_gets_tarpitted(
    tmp_path: Path, host_key_dir: Path
) -> None:
    running, task = await start_sensor(
        tmp_path, host_key_dir, tarpit={"after_connections": 2, "interval_s": 0.2}
    )
    try:
        first = []
        for _ in range(2):
            r, w = await _open(running.port, "127.0.0.3")
            first.append(await asyncio.wait_for(r.readline(), 60))
            w.close()
        assert all(b.startswith(b"SSH-2.0-") for b in first)
        r, w = await _open(running.port, "127.0.0.3")
        line = await asyncio.wait_for(r.readline(), 60)
        assert not line.startswith(b"SSH-")
        w.close()
    finally:
        await running.sensor.stop()
        task.cancel()


async def test_per_source_cap_and_flood_never_take_it_down(
    tmp_path: Path, host_key_dir: Path
) -> None:
    running, task = await start_sensor(tmp_path, host_key_dir, max_per_source=3, max_sessions=40)
    try:
        held = [await _open(running.port, "127.0.0.4") for _ in range(3)]
        for r, _ in held:
            assert (await asyncio.wait_for(r.readline(), 60)).startswith(b"SSH-2.0-")
        r4, w4 = await _open(running.port, "127.0.0.4")
        assert await asyncio.wait_for(r4.read(100), 60) == b""  # refused without a banner
        # a bounded flood from many sources: 300 connections, far over max_sessions
        flood = []
        for i in range(300):
            try:
                flood.append(await _open(running.port, f"127.0.1.{i % 200 + 1}"))
            except OSError:
                break
        assert running.sensor.limiter.active <= 40
        for _, w in [*held, *flood, (r4, w4)]:
            w.close()
        await asyncio.sleep(0.5)
        rc, out, _ = await run(*ssh_exec(running.port, "123456", "echo alive"))
        assert rc == 0 and out == "alive\n"
        assert running.sensor.refused > 0
    finally:
        await running.sensor.stop()
        task.cancel()


async def test_hydra_small_list_finds_the_accepted_password(
    tmp_path: Path, host_key_dir: Path
) -> None:
    require_tool("hydra")
    running, task = await start_sensor(tmp_path, host_key_dir)
    # fewer wrong words than MaxAuthTries, so no hydra task is ever disconnected mid-list
    words = [f"wrong-{i}" for i in range(5)] + ["123456"]
    wordlist = tmp_path / "pw.txt"
    wordlist.write_text("\n".join(words) + "\n")
    try:
        rc, out, err = await run(
            "hydra",
            "-l",
            "root",
            "-P",
            str(wordlist),
            "-t",
            "4",
            "-I",
            "-s",
            str(running.port),
            "ssh://127.0.0.1",
            timeout=90,
        )
        # hydra finds the password, then may exit 255 ("worker threads did not complete") when a
        # worker is still in the fake PAM delay at its own deadline: the finding is what counts.
        assert "login: root   password: 123456" in out, out + err
        assert rc == 0 or "did not complete" in out + err, out + err
        await running.captured.wait_for(lambda c: any(a.accepted for a in c.of("auth.attempt")))
        attempts = running.captured.of("auth.attempt")
        failed = [a for a in attempts if not a.accepted]
        assert len(failed) >= 2 and {a.password for a in failed} <= set(words[:-1]), out
        assert all(a.hassh and a.client_version for a in attempts)
        detector = BruteForce(BruteForceConfig(threshold=2), node="test")
        hits = [d for a in attempts for d in detector.observe(a)]
        assert len(hits) == len(failed) // 2
        assert {(d.protocol, d.src.ip) for d in hits} == {("ssh", "127.0.0.1")}
    finally:
        await running.sensor.stop()
        task.cancel()


async def test_idle_timeout_and_line_cap(tmp_path: Path, host_key_dir: Path) -> None:
    import asyncssh

    running, task = await start_sensor(tmp_path, host_key_dir, idle_timeout_s=1.0,
                                       max_line_bytes=256)  # fmt: skip
    try:
        async with asyncssh.connect(
            "127.0.0.1", running.port, known_hosts=None, username="root", password="123456",
            client_keys=None, agent_path=None,
        ) as conn:  # fmt: skip
            proc = await conn.create_process(term_type="xterm")
            proc.stdin.write("echo " + "A" * 5000 + "\n")
            proc.stdin.write("echo still-here\n")
            seen = ""
            async with asyncio.timeout(15):
                while "auto-logout" not in seen:
                    chunk = await proc.stdout.read(4096)
                    if not chunk:
                        break
                    seen += chunk
            assert "still-here" in seen
            assert "timed out waiting for input: auto-logout" in seen
            assert await asyncio.wait_for(proc.wait_closed(), 60) is None
        await running.captured.wait_for(lambda c: bool(c.of("connection.closed")))
        assert [e.reason for e in running.captured.of("connection.closed")] == ["timeout"]
        commands = [c.command for c in running.captured.of("command.input")]
        assert "echo still-here" in commands
        assert all(len(c) <= 256 for c in commands)
    finally:
        await running.sensor.stop()
        task.cancel()


async def test_stop_closes_live_connections_quickly(tmp_path: Path, host_key_dir: Path) -> None:
    running, task = await start_sensor(tmp_path, host_key_dir)
    reader, writer = await _open(running.port, "127.0.0.1")
    assert (await asyncio.wait_for(reader.readline(), 60)).startswith(b"SSH-2.0-")
    started = asyncio.get_running_loop().time()
    await running.sensor.stop()
    assert asyncio.get_running_loop().time() - started < 3
    assert await asyncio.wait_for(reader.read(), 60) == b""
    assert [e.reason for e in running.captured.of("connection.closed")] == ["shutdown"]
    writer.close()
    task.cancel()

"""Every door listens through ``sensors.listen``: the same one-line "port taken" error naming
its setting, the same dual-stack ``::``, and FTP's passive ports skip the taken ones."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.errors import PortInUse
from phantomnet.sensors.base import Sensor, SensorContext
from phantomnet.sensors.ftp.sensor import FtpConfig, FtpSensor
from phantomnet.sensors.http.sensor import HttpConfig, HttpSensor
from phantomnet.sensors.smtp.sensor import SmtpConfig, SmtpSensor
from phantomnet.sensors.ssh.config import SshConfig
from phantomnet.sensors.ssh.sensor import SshSensor

pytestmark = pytest.mark.integration

DOORS: dict[str, Callable[[str, int, SensorContext], Sensor]] = {
    "ssh": lambda h, p, ctx: SshSensor(SshConfig(host=h, port=p), ctx),
    "http": lambda h, p, ctx: HttpSensor(HttpConfig(host=h, port=p, tls_port=None), ctx),
    "ftp": lambda h, p, ctx: FtpSensor(FtpConfig(host=h, port=p), ctx),
    "smtp": lambda h, p, ctx: SmtpSensor(SmtpConfig(host=h, port=p), ctx),
}


@contextlib.contextmanager
def held_port(port: int = 0) -> Iterator[int]:
    """A port on 127.0.0.1 held by a listening socket of this test."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        yield int(holder.getsockname()[1])


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize("door", sorted(DOORS))
async def test_a_taken_port_names_the_doors_setting(door: str, tmp_path: Path) -> None:
    ctx = SensorContext(node="t", bus=MemoryBus(), data_dir=tmp_path)
    with held_port() as port:
        sensor = DOORS[door]("127.0.0.1", port, ctx)
        with pytest.raises(PortInUse) as caught:
            await sensor.start()
    assert str(caught.value) == f"sensors.{door}.port: 127.0.0.1:{port} is already in use"


async def test_a_taken_https_port_names_tls_port(tmp_path: Path) -> None:
    ctx = SensorContext(node="t", bus=MemoryBus(), data_dir=tmp_path)
    with held_port() as port:
        sensor = HttpSensor(HttpConfig(host="127.0.0.1", port=0, tls_port=port), ctx)
        with pytest.raises(PortInUse, match=rf"^sensors\.http\.tls_port: 127\.0\.0\.1:{port} "):
            await sensor.start()
        await sensor.stop()  # the plain listener it had opened is closed again


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 on this host")
@pytest.mark.parametrize("door,greeting", [("ssh", b"SSH-2.0-"), ("ftp", b"220"), ("smtp", b"220")])
async def test_a_door_on_any_v6_serves_ipv4_too(door: str, greeting: bytes, tmp_path: Path) -> None:
    ctx = SensorContext(node="t", bus=MemoryBus(), data_dir=tmp_path)
    sensor = DOORS[door]("::", 0, ctx)
    await sensor.start()
    task = asyncio.create_task(sensor.run())
    try:
        assert sensor.bound_port is not None
        for host in ("127.0.0.1", "::1"):
            reader, writer = await asyncio.open_connection(host, sensor.bound_port)
            assert (await asyncio.wait_for(reader.readline(), 30)).startswith(greeting)
            writer.close()
    finally:
        await sensor.stop()
        task.cancel()


def _two_free_ports() -> int:
    """A port p on 127.0.0.1 with p+1 free as well (bounded search)."""
    for _ in range(200):
        with socket.socket() as a:
            a.bind(("127.0.0.1", 0))
            p = int(a.getsockname()[1])
            if p >= 65535:
                continue
            with socket.socket() as b:
                try:
                    b.bind(("127.0.0.1", p + 1))
                except OSError:
                    continue
                return p
    raise AssertionError("no two consecutive free ports")


async def _control(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert (await asyncio.wait_for(reader.readline(), 30)).startswith(b"220")
    for line in (b"USER anonymous\r\n", b"PASS x@y\r\n"):
        writer.write(line)
        await asyncio.wait_for(reader.readline(), 30)
    return reader, writer


async def _say(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, line: bytes) -> bytes:
    writer.write(line + b"\r\n")
    return await asyncio.wait_for(reader.readline(), 30)


async def test_passive_ports_skip_taken_ones_and_answer_425_when_all_are(tmp_path: Path) -> None:
    low = _two_free_ports()
    ctx = SensorContext(node="t", bus=MemoryBus(), data_dir=tmp_path)
    cfg = FtpConfig(host="127.0.0.1", port=0, pasv_ports=(low, low + 1), failed_login_delay_s=0.05)
    sensor = FtpSensor(cfg, ctx)
    await sensor.start()
    task = asyncio.create_task(sensor.run())
    try:
        assert sensor.bound_port is not None
        with held_port(low), held_port(low + 1):
            reader, writer = await _control(sensor.bound_port)
            assert (await _say(reader, writer, b"PASV")).startswith(b"425 ")
            assert (await _say(reader, writer, b"EPSV")).startswith(b"425 ")
            assert (await _say(reader, writer, b"NOOP")).startswith(b"200 ")  # still served
            writer.close()
        with held_port(low):
            reader, writer = await _control(sensor.bound_port)
            answer = await _say(reader, writer, b"EPSV")
            assert re.search(rb"\(\|\|\|(\d+)\|\)", answer), answer
            assert f"|||{low + 1}|".encode() in answer
            writer.close()
    finally:
        await sensor.stop()
        task.cancel()


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 on this host")
async def test_ftp_passive_mode_for_an_ipv4_client_of_a_dual_stack_door(tmp_path: Path) -> None:
    """The control connection's local address is ::ffff:127.0.0.1: PASV must still work."""
    ctx = SensorContext(node="t", bus=MemoryBus(), data_dir=tmp_path)
    sensor = FtpSensor(FtpConfig(host="::", port=0, failed_login_delay_s=0.05), ctx)
    await sensor.start()
    task = asyncio.create_task(sensor.run())
    try:
        assert sensor.bound_port is not None
        reader, writer = await _control(sensor.bound_port)
        answer = await _say(reader, writer, b"PASV")
        found = re.search(rb"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", answer)
        assert answer.startswith(b"227 ") and found, answer
        assert found.group(1, 2, 3, 4) == (b"127", b"0", b"0", b"1")
        data_port = int(found.group(5)) * 256 + int(found.group(6))
        data_r, data_w = await asyncio.open_connection("127.0.0.1", data_port)
        assert (await _say(reader, writer, b"LIST")).startswith(b"150 ")
        await asyncio.wait_for(data_r.read(), 30)  # the listing, then the data connection ends
        data_w.close()
        assert (await asyncio.wait_for(reader.readline(), 30)).startswith(b"226 ")
        writer.close()
    finally:
        await sensor.stop()
        task.cancel()

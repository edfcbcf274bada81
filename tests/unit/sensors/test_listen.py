"""``sensors.listen.bind``: real sockets on loopback, real clients."""

from __future__ import annotations

import asyncio
import socket

import pytest

from phantomnet.errors import PortInUse, SensorError
from phantomnet.sensors.listen import bind, bound_port, open_socket


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(await reader.readline())
    await writer.drain()
    writer.close()


async def _ask(host: str, port: int, family: int = socket.AF_INET) -> bytes:
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, family=family), 10)
    writer.write(b"ping\n")
    answer = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    return answer


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


async def test_port_zero_is_chosen_by_the_kernel_and_serves() -> None:
    server = await bind("sensors.t.port", "127.0.0.1", 0, _echo)
    try:
        port = bound_port(server)
        assert port > 0
        assert await _ask("127.0.0.1", port) == b"ping\n"
    finally:
        server.close()


async def test_a_taken_port_is_one_line_naming_the_setting() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(PortInUse) as caught:
            await bind("sensors.ftp.port", "127.0.0.1", port, _echo)
        # the holder is untouched and still accepting
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass
    assert str(caught.value) == f"sensors.ftp.port: 127.0.0.1:{port} is already in use"
    assert "\n" not in str(caught.value)


async def test_an_address_not_on_this_host_is_a_sensor_error() -> None:
    with pytest.raises(SensorError) as caught:
        await bind("sensors.t.port", "192.0.2.1", 0, _echo)  # TEST-NET-1, never local
    assert not isinstance(caught.value, PortInUse)
    assert str(caught.value).startswith("sensors.t.port: cannot listen on 192.0.2.1:0: ")


async def test_a_bad_host_is_a_sensor_error() -> None:
    with pytest.raises(SensorError, match=r"^sensors\.t\.port: cannot listen on"):
        await bind("sensors.t.port", "no such host..invalid", 0, _echo)


async def test_rebinding_while_connections_sit_in_time_wait() -> None:
    """SO_REUSEADDR: the server closes first, so its port holds TIME_WAIT entries."""

    async def close_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await bind("sensors.t.port", "127.0.0.1", 0, close_first)
    port = bound_port(server)
    for _ in range(3):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
    server.close()
    await server.wait_closed()
    again = await bind("sensors.t.port", "127.0.0.1", port, _echo)
    try:
        assert await _ask("127.0.0.1", port) == b"ping\n"
    finally:
        again.close()


async def test_a_protocol_factory_door() -> None:
    class Hello(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            transport.write(b"hello\n")
            transport.close()

    server = await bind("sensors.t.port", "127.0.0.1", 0, protocol=Hello)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", bound_port(server))
        assert await asyncio.wait_for(reader.readline(), 10) == b"hello\n"
        writer.close()
    finally:
        server.close()


async def test_exactly_one_handler() -> None:
    with pytest.raises(TypeError):
        await bind("sensors.t.port", "127.0.0.1", 0)
    with pytest.raises(TypeError):
        await bind("sensors.t.port", "127.0.0.1", 0, _echo, protocol=asyncio.Protocol)


async def test_stream_limit_is_applied() -> None:
    seen: list[str] = []

    async def line(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readline()
            seen.append("line")
        except ValueError:
            seen.append("too long")
        writer.close()

    server = await bind("sensors.t.port", "127.0.0.1", 0, line, limit=64)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", bound_port(server))
        writer.write(b"x" * 1000 + b"\n")
        await asyncio.wait_for(reader.read(), 10)
        writer.close()
    finally:
        server.close()
    assert seen == ["too long"]


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 on this host")
async def test_dual_stack_any_serves_ipv4_and_ipv6() -> None:
    server = await bind("sensors.t.port", "::", 0, _echo)
    try:
        port = bound_port(server)
        assert await _ask("127.0.0.1", port) == b"ping\n"
        assert await _ask("::1", port, socket.AF_INET6) == b"ping\n"
    finally:
        server.close()


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 on this host")
async def test_an_ipv6_literal_is_ipv6_only() -> None:
    server = await bind("sensors.t.port", "::1", 0, _echo)
    try:
        port = bound_port(server)
        assert await _ask("::1", port, socket.AF_INET6) == b"ping\n"
        with pytest.raises(OSError):
            await _ask("127.0.0.1", port)
    finally:
        server.close()


def test_open_socket_is_listening_and_non_blocking() -> None:
    sock = open_socket("api.port", "127.0.0.1", 0, backlog=8)
    with sock:
        assert sock.getblocking() is False
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        with socket.create_connection(sock.getsockname(), timeout=10):
            pass

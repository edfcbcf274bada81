"""The MySQL door's wire pieces: framing checks, native auth, handshake parsing, value encoding.

Native-password tokens are checked against PyMySQL's independent implementation; framing
runs over a real asyncio stream pair fed with the bytes a client (or an attacker) sends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import struct
from decimal import Decimal

import pytest
from pymysql import _auth

from phantomnet.sensors.mysql import handshake as hs
from phantomnet.sensors.mysql import packets as p
from phantomnet.sensors.mysql import resultset as rs
from phantomnet.sensors.mysql.config import SlowMode, SlowModeConfig, ThreadIds


class Col:
    def __init__(self, type_name: str, nullable: bool = True) -> None:
        self.name, self.type_name, self.table, self.database = "c", type_name, "t", "shop"
        self.nullable = nullable


def frame(seq: int, body: bytes) -> bytes:
    return struct.pack("<I", len(body))[:3] + bytes([seq]) + body


class Sink:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        return None


def stream_of(data: bytes, max_packet: int = 1 << 20) -> p.PacketStream:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return p.PacketStream(reader, Sink(), max_packet)


@pytest.mark.parametrize("password", ["root", "123456", "pässwörd", "x" * 80])
def test_native_token_is_what_pymysql_sends(password: str) -> None:
    scramble = hs.new_scramble()
    assert hs.native_token(password, scramble) == _auth.scramble_native_password(
        password.encode(), scramble
    )


def test_password_is_recovered_only_when_a_candidate_matches() -> None:
    scramble = hs.new_scramble()
    token = _auth.scramble_native_password(b"letmein", scramble)
    assert hs.recover_password(token, scramble, ["admin", "letmein"]) == "letmein"
    assert hs.recover_password(token, scramble, ["admin", "root"]) is None
    assert hs.recover_password(token, hs.new_scramble(), ["letmein"]) is None
    assert hs.recover_password(b"", scramble, ["x"]) == ""


def test_scrambles_are_fresh_printable_and_20_bytes() -> None:
    seen = {hs.new_scramble() for _ in range(50)}
    assert len(seen) == 50
    assert all(len(s) == 20 and all(33 <= b <= 126 for b in s) for s in seen)


def test_thread_ids_increase() -> None:
    ids = ThreadIds()
    taken = [ids.take() for _ in range(20)]
    assert taken == sorted(taken) and len(set(taken)) == 20


def test_greeting_layout() -> None:
    scramble = bytes(range(40, 60))
    g = hs.greeting("10.11.19-MariaDB-0+deb12u1", 77, scramble, tls=False)
    assert g[0] == 10
    end = g.index(b"\x00", 1)
    assert g[1:end] == b"5.5.5-10.11.19-MariaDB-0+deb12u1"
    (tid,) = struct.unpack("<I", g[end + 1 : end + 5])
    assert tid == 77
    assert g[end + 5 : end + 13] == scramble[:8]
    low, charset, status, high, alen = struct.unpack("<HBHHB", g[end + 14 : end + 22])
    assert (high << 16 | low) == hs.SERVER_CAPS and charset == 45 and status == 2 and alen == 21
    assert g.endswith(scramble[8:] + b"\x00mysql_native_password\x00")
    tls = hs.greeting("v", 1, scramble, tls=True)
    assert struct.unpack("<H", tls[tls.index(b"\x00", 1) + 14 :][:2])[0] & p.CLIENT_SSL


def test_handshake_response_with_attrs_and_database() -> None:
    caps = (p.CLIENT_PROTOCOL_41 | p.CLIENT_SECURE_CONNECTION | p.CLIENT_PLUGIN_AUTH
            | p.CLIENT_CONNECT_WITH_DB | p.CLIENT_CONNECT_ATTRS | p.CLIENT_PLUGIN_AUTH_LENENC)  # fmt: skip
    attrs = b"".join(p.lenenc_str(x) for x in (b"_client_name", b"pymysql",
                                                b"_client_version", b"1.1.1"))  # fmt: skip
    body = struct.pack("<IIB", caps, 1 << 24, 45) + b"\x00" * 23 + b"admin\x00"
    body += p.lenenc_str(b"t" * 20) + b"shop\x00mysql_native_password\x00" + p.lenenc_str(attrs)
    resp = hs.parse_response(body)
    assert resp.user == b"admin" and resp.auth == b"t" * 20 and resp.database == b"shop"
    assert resp.plugin == "mysql_native_password"
    assert resp.attrs == {"_client_name": "pymysql", "_client_version": "1.1.1"}
    assert not resp.ssl_request


def test_ssl_request_and_bad_handshakes() -> None:
    ssl_req = struct.pack("<IIB", p.CLIENT_PROTOCOL_41 | p.CLIENT_SSL, 1 << 24, 45) + bytes(23)
    assert hs.parse_response(ssl_req).ssl_request
    with pytest.raises(p.PacketError) as exc:
        hs.parse_response(b"\x00")
    assert (exc.value.code, exc.value.message, exc.value.protocol41) == (
        1043,
        "Bad handshake",
        True,
    )
    with pytest.raises(p.PacketError) as exc:
        hs.parse_response(b"hello")  # no CLIENT_PROTOCOL_41: no SQLSTATE in the answer
    assert not exc.value.protocol41
    truncated = struct.pack("<IIB", p.CLIENT_PROTOCOL_41 | p.CLIENT_SECURE_CONNECTION, 0, 45)
    with pytest.raises(p.PacketError):
        hs.parse_response(truncated + bytes(23) + b"root\x00\x14abc")


async def test_packets_join_continuations_and_check_sequence() -> None:
    big = b"a" * p.MAX_CHUNK
    s = stream_of(frame(0, big) + frame(1, b"tail") + frame(2, b"next"), max_packet=1 << 25)
    assert await s.read(5, expect_seq=0) == big + b"tail"
    assert await s.read(5) == b"next"
    s = stream_of(frame(3, b"\x03select 1"))
    with pytest.raises(p.PacketError) as exc:
        await s.read(5, expect_seq=0)
    assert exc.value.code == 1156 and exc.value.message == "Got packets out of order"


async def test_oversized_packet_is_refused_before_it_is_buffered() -> None:
    s = stream_of(b"\xff\xff\xff\x00", max_packet=1024)  # header only: no payload needed
    with pytest.raises(p.PacketError) as exc:
        await s.read(5, expect_seq=0)
    assert exc.value.code == 1153


async def test_truncated_packet_is_eof() -> None:
    with pytest.raises(asyncio.IncompleteReadError):
        await stream_of(frame(0, b"abc")[:-1]).read(5, expect_seq=0)


async def test_written_packets_get_increasing_sequence_ids() -> None:
    s = stream_of(b"")
    s.seq = 1
    s.write(b"x")
    s.write(b"yz")
    sink = s.writer
    assert isinstance(sink, Sink)
    assert bytes(sink.data) == frame(1, b"x") + frame(2, b"yz")


def test_lenenc_round_trip() -> None:
    for n in (0, 250, 251, 65535, 65536, 1 << 24, 1 << 40):
        assert p.Cursor(p.lenenc_int(n)).lenenc() == n
    assert p.Cursor(b"\xfb").lenenc() is None


def test_error_packet() -> None:
    assert p.err_packet(1045, "28000", "Access denied") == b"\xff\x15\x04#28000Access denied"
    assert p.err_packet(1043, "08S01", "Bad handshake", protocol41=False) == (
        b"\xff\x13\x04Bad handshake"
    )


@pytest.mark.parametrize(
    ("type_name", "code", "length", "charset", "flags"),
    [
        ("INT", rs.T_LONG, 11, 63, rs.BINARY_FLAG | rs.NUM_FLAG),
        ("BIGINT UNSIGNED", rs.T_LONGLONG, 20, 63, rs.BINARY_FLAG | rs.NUM_FLAG | rs.UNSIGNED),
        ("VARCHAR(255)", rs.T_VAR_STRING, 1020, 45, 0),
        ("DECIMAL(10,2)", rs.T_NEWDECIMAL, 12, 63, rs.BINARY_FLAG | rs.NUM_FLAG),
        ("DATETIME", rs.T_DATETIME, 19, 63, rs.BINARY_FLAG),
        ("TEXT", rs.T_BLOB, 262140, 45, rs.BLOB_FLAG),
        ("something odd", rs.T_VAR_STRING, 1020, 45, 0),
    ],
)
def test_wire_types(type_name: str, code: int, length: int, charset: int, flags: int) -> None:
    wt = rs.wire_type(Col(type_name))
    assert (wt.code, wt.length, wt.charset, wt.flags) == (code, length, charset, flags)


def test_text_values() -> None:
    row = (None, 3, 1.5, 2.0, Decimal("9.99"), dt.datetime(2024, 5, 1, 12, 0, 3),
           dt.date(2024, 5, 1), b"\x00\xff", "é", True)  # fmt: skip
    cur = p.Cursor(rs.text_row(row))
    assert cur.u8() == 0xFB
    got = [cur.lenenc_bytes() for _ in row[1:]]
    assert got == [b"3", b"1.5", b"2", b"9.99", b"2024-05-01 12:00:03", b"2024-05-01",
                   b"\x00\xff", "é".encode(), b"1"]  # fmt: skip


def test_binary_row_null_bitmap_and_values() -> None:
    types = [rs.wire_type(Col(t)) for t in ("INT", "VARCHAR(10)", "DATETIME", "DOUBLE")]
    data = rs.binary_row(types, (7, None, dt.datetime(2020, 1, 2, 3, 4, 5), 0.5))
    assert data[0] == 0 and data[1] == 0b1000  # column 1 (offset 2) is NULL
    body = data[2:]
    assert body[:4] == (7).to_bytes(4, "little")
    assert body[4:12] == b"\x07" + struct.pack("<HBBBBB", 2020, 1, 2, 3, 4, 5)
    assert struct.unpack("<d", body[12:20])[0] == 0.5


def test_params_decode() -> None:
    cur = p.Cursor((-5).to_bytes(8, "little", signed=True) + p.lenenc_str("ü".encode()))
    assert rs.decode_param(cur, rs.T_LONGLONG, False) == -5
    assert rs.decode_param(cur, rs.T_VAR_STRING, False) == "ü"
    cur = p.Cursor(b"\x07" + struct.pack("<HBBBBB", 2021, 2, 3, 4, 5, 6))
    assert rs.decode_param(cur, rs.T_DATETIME, False) == "2021-02-03 04:05:06"


def test_slow_mode_listed_and_after_queries() -> None:
    off = SlowMode(SlowModeConfig())
    assert off.delay("10.0.0.1") == 0
    mode = SlowMode(SlowModeConfig(enabled=True, sources=("10.0.0.0/8",), after_queries=3,
                                   delay_s=1.0, growth=2.0, max_delay_s=5))  # fmt: skip
    assert 0.8 <= mode.delay("10.1.2.3") <= 1.2
    assert [mode.delay("192.0.2.1") for _ in range(3)] == [0, 0, 0]
    assert 0.8 <= mode.delay("192.0.2.1") <= 1.2
    assert all(mode.delay("192.0.2.1") <= 5 for _ in range(20))


def test_version_prefix_only_for_mariadb_10_and_later() -> None:
    assert hs.wire_version("10.11.19-MariaDB-0+deb12u1") == "5.5.5-10.11.19-MariaDB-0+deb12u1"
    assert hs.wire_version("5.5.68-MariaDB") == "5.5.68-MariaDB"
    assert hs.wire_version("8.0.43-0ubuntu0.22.04.1") == "8.0.43-0ubuntu0.22.04.1"


def greeting_fields(g: bytes) -> dict[str, object]:
    end = g.index(b"\x00", 1)
    low, charset, status, high, alen = struct.unpack("<HBHHB", g[end + 14 : end + 22])
    (ext,) = struct.unpack("<I", g[end + 28 : end + 32])
    return {"version": g[1:end], "caps": high << 16 | low, "charset": charset,
            "status": status, "auth_len": alen, "ext": ext, "filler": g[end + 22 : end + 28],
            "tail": g[end + 32 :]}  # fmt: skip


@pytest.mark.parametrize(
    ("version", "caps", "tls_caps", "charset", "ext", "plugin"),
    [
        ("10.11.19-MariaDB-0+deb12u1", 0x81FFF7FE, 0x81FFFFFE, 45, 0x1D, b"mysql_native_password"),
        ("5.5.68-MariaDB", 0xA00FF7FF, 0xE00FFFFF, 8, 0, b"mysql_native_password"),
        ("8.0.43-0ubuntu0.22.04.1", 0x9FFFF7FF, 0xDFFFFFFF, 255, 0, b"caching_sha2_password"),
    ],
)
def test_greeting_follows_the_server_family(
    version: str, caps: int, tls_caps: int, charset: int, ext: int, plugin: bytes
) -> None:  # fmt: skip
    scramble = bytes(range(40, 60))
    plain = greeting_fields(hs.greeting(version, 9, scramble, tls=False))
    assert plain == {
        "version": hs.wire_version(version).encode(), "caps": caps, "charset": charset,
        "status": 2, "auth_len": 21, "ext": ext, "filler": bytes(6),
        "tail": scramble[8:] + b"\x00" + plugin + b"\x00",
    }  # fmt: skip
    assert greeting_fields(hs.greeting(version, 9, scramble, tls=True))["caps"] == tls_caps


def test_mysql_scrambles_are_7_bit_without_nul_or_dollar() -> None:
    seen = b"".join(hs.new_scramble(hs.MYSQL_80) for _ in range(200))
    assert len(seen) == 4000 and 0 not in seen and ord("$") not in seen
    assert max(seen) <= 127 and min(seen) < 33  # control bytes occur, unlike MariaDB's
    assert hs.flavor_of("8.0.43-0ubuntu0.22.04.1") is hs.MYSQL_80
    assert hs.flavor_of("5.5.68-MariaDB") is hs.MARIADB_55
    assert hs.flavor_of("10.11.19-MariaDB-0+deb12u1") is hs.MARIADB_10

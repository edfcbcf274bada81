"""The door's text and binary output of each type equals what PostgreSQL 15 sends for the same
value (the real server on 127.0.0.1:5432 answers ``SELECT <literal>::<type>`` in both formats)."""

from __future__ import annotations

import datetime as dt
import socket
import struct
from decimal import Decimal

import pytest

from phantomnet.sensors.postgres import pgtypes
from tests.integration.sensors.postgres.conftest import msg, parse, recv_all, startup_packet

pytestmark = pytest.mark.integration

CASES: list[tuple[str, str, object]] = [
    ("true", "bool", True),
    ("false", "bool", 0),
    ("(-32768)", "int2", -32768),
    ("2147483647", "int4", 2147483647),
    ("-9000000000", "int8", -9000000000),
    ("4000000000", "oid", 4000000000),
    ("1.5", "float8", 1.5),
    ("3", "float8", 3.0),
    ("0.1", "float8", 0.1),
    ("1e+20", "float8", 1e20),
    ("'NaN'", "float8", float("nan")),
    ("'-Infinity'", "float8", float("-inf")),
    ("2.25", "float4", 2.25),
    ("123.4500", "numeric", Decimal("123.4500")),
    ("-0.000120", "numeric", Decimal("-0.000120")),
    ("100000000", "numeric", Decimal("100000000")),
    ("0", "numeric", Decimal("0")),
    ("12345678901234567890.0001", "numeric", Decimal("12345678901234567890.0001")),
    ("'héllo wörld'", "text", "héllo wörld"),
    ("'abc'", "varchar", "abc"),
    ("'pg_class'", "name", "pg_class"),
    ("'\\x00ff10'", "bytea", b"\x00\xff\x10"),
    ("'2026-02-28'", "date", dt.date(2026, 2, 28)),
    ("'1999-12-31'", "date", dt.date(1999, 12, 31)),
    ("'2026-02-28 13:14:15.25'", "timestamp", dt.datetime(2026, 2, 28, 13, 14, 15, 250000)),
    (
        "'2026-02-28 13:14:15+00'",
        "timestamptz",
        dt.datetime(2026, 2, 28, 13, 14, 15, tzinfo=dt.UTC),
    ),
    ("'8f14e45f-ceea-467f-a8f8-5b6a0e1a2c3d'", "uuid", "8f14e45f-ceea-467f-a8f8-5b6a0e1a2c3d"),
    ("'{\"a\": 1}'", "jsonb", '{"a": 1}'),
    ("'{a,\"b c\",NULL}'", "_text", ["a", "b c", None]),
    ("'{1,2,3}'", "_int4", [1, 2, 3]),
]


def _real(sql: str) -> tuple[bytes | None, bytes | None, int]:
    """(text value, binary value, type oid) of one column from the real server."""
    with socket.create_connection(("127.0.0.1", 5432), timeout=10) as sock:
        sock.sendall(startup_packet())
        recv_all(sock, 0.3)
        out = []
        oid = 0
        for fmt in (0, 1):
            sock.sendall(
                msg(b"P", b"\0" + sql.encode() + b"\0\0\0")
                + msg(b"B", b"\0\0\0\0\0\0\0\1" + struct.pack("!h", fmt))
                + msg(b"D", b"P\0")
                + msg(b"E", b"\0\0\0\0\0")
                + msg(b"S")
            )
            answer = parse(recv_all(sock, 0.3))
            desc = next(m for m in answer if m.kind == b"T").body
            nul = desc.index(b"\0", 2)  # the end of the column name
            oid = struct.unpack("!I", desc[nul + 7 : nul + 11])[0]
            row = next(m for m in answer if m.kind == b"D").body
            size = struct.unpack("!i", row[2:6])[0]
            out.append(None if size < 0 else row[6 : 6 + size])
        return out[0], out[1], oid


@pytest.mark.parametrize(("literal", "type_name", "value"), CASES)
def test_the_door_encodes_like_postgresql(
    real_pg: int, literal: str, type_name: str, value: object
) -> None:
    text, binary, oid = _real(f"SELECT {literal}::{type_name}")
    assert pgtypes.lookup(type_name)[0] == oid
    assert pgtypes.to_text(value, oid).encode() == text
    assert pgtypes.to_binary(value, oid) == binary


@pytest.mark.parametrize(
    ("literal", "type_name", "value"),
    [c for c in CASES if c[1] not in ("_text", "_int4", "float8", "float4")],
)
def test_binary_parameters_decode_to_the_value(
    real_pg: int, literal: str, type_name: str, value: object
) -> None:
    _, binary, oid = _real(f"SELECT {literal}::{type_name}")
    assert binary is not None
    decoded = pgtypes.param_from_binary(binary, oid)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    if type_name == "bool":
        value = bool(value)
    if type_name == "bytea":
        assert decoded == value
        return
    assert decoded == value

"""The command phase through pymysql and raw packets: multi-statements, COM_INIT_DB,
COM_FIELD_LIST, COM_CHANGE_USER, MariaDB's bulk execute, per-source state, slow mode."""

from __future__ import annotations

import asyncio
import socket
import struct
from pathlib import Path
from typing import Any

import pymysql
import pytest
from pymysql.constants import CLIENT

from phantomnet.events import AuthAttempt, DbQuery
from tests.integration.sensors.mysql.conftest import Door, frame, read_packet, start_door
from tests.integration.sensors.mysql.test_mysql_wire_real import login

pytestmark = pytest.mark.integration


def connect(port: int, **kw: Any) -> pymysql.connections.Connection[Any]:
    return pymysql.connect(host="127.0.0.1", port=port, user="root", password="root",
                           connect_timeout=20, **kw)  # fmt: skip


def multi(port: int) -> tuple[list[Any], Any]:
    with connect(port, client_flag=CLIENT.MULTI_STATEMENTS) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1; SELECT 2")
        sets = [cur.fetchall()]
        while cur.nextset():
            sets.append(cur.fetchall())
    with connect(port) as conn, conn.cursor() as cur:
        try:
            cur.execute("SELECT 1; SELECT 2")
        except pymysql.err.ProgrammingError as exc:
            return sets, exc.args
    return sets, None


async def test_multi_statements_only_when_the_client_asked(door: Door) -> None:
    sets, error = await asyncio.to_thread(multi, door.port)
    assert sets == [((1,),), ((2,),)]
    assert error is not None and error[0] == 1064 and "near '; SELECT 2'" in error[1]


def init_db(port: int) -> tuple[Any, Any]:
    with connect(port) as conn:
        conn.select_db("shop")
        with conn.cursor() as cur:
            cur.execute("SELECT database()")
            current = cur.fetchone()
        try:
            conn.select_db("nosuchdb")
        except pymysql.err.OperationalError as exc:
            return current, exc.args
    return current, None


async def test_init_db(door: Door) -> None:
    current, error = await asyncio.to_thread(init_db, door.port)
    assert current == ("shop",)
    assert error == (1049, "Unknown database 'nosuchdb'")
    queries = await door.events(DbQuery, 2)
    assert [q.database for q in queries if q.query == "SELECT database()"] == ["shop"]


def field_list(port: int, table: bytes) -> list[bytes]:
    sock = login(port, b"root", b"root")
    with sock:
        sock.sendall(frame(0, b"\x02shop"))
        assert read_packet(sock)[1][0] == 0
        sock.sendall(frame(0, b"\x04" + table + b"\x00"))
        packets = []
        while True:
            _, payload = read_packet(sock)
            packets.append(payload)
            if payload[0] in (0xFE, 0xFF):
                return packets


async def test_field_list(door: Door) -> None:
    tables = await asyncio.to_thread(show_tables, door.port)
    assert tables
    packets = await asyncio.to_thread(field_list, door.port, tables[0].encode())
    assert packets[-1][0] == 0xFE and len(packets) >= 2
    assert packets[0].startswith(b"\x03def\x04shop")
    missing = await asyncio.to_thread(field_list, door.port, b"no_such_table")
    assert missing[-1][:3] == b"\xff\x7a\x04"  # 1146


def show_tables(port: int) -> list[str]:
    with connect(port, database="shop") as conn, conn.cursor() as cur:
        cur.execute("SHOW TABLES")
        return [r[0] for r in cur.fetchall()]


def raw_change_user(port: int, password: bytes) -> bytes:
    from pymysql import _auth

    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    with sock:
        _, g = read_packet(sock)
        end = g.index(b"\x00", 1)
        scramble = g[end + 5 : end + 13] + g[end + 32 : end + 44]
        token = _auth.scramble_native_password(b"root", scramble)
        caps = 0x000FA685 | 1 << 24
        body = struct.pack("<IIB", caps, 1 << 24, 45) + bytes(23) + b"root\x00"
        sock.sendall(frame(1, body + bytes([20]) + token + b"mysql_native_password\x00"))
        assert read_packet(sock)[1][0] == 0
        new = _auth.scramble_native_password(password, scramble)
        sock.sendall(frame(0, b"\x11admin\x00" + bytes([20]) + new + b"shop\x00-\x00"))
        return read_packet(sock)[1]


async def test_change_user_goes_through_the_policy(door: Door) -> None:
    assert (await asyncio.to_thread(raw_change_user, door.port, b"nope"))[:3] == b"\xff\x15\x04"
    attempts = await door.events(AuthAttempt, 2)
    assert attempts[-1].username == "admin" and not attempts[-1].accepted


def bulk_insert(port: int, table: str, column: str) -> tuple[bytes, int]:
    sock = login(port, b"root", b"root")
    with sock:
        sock.sendall(frame(0, b"\x02shop"))
        read_packet(sock)
        sql = f"INSERT INTO {table} ({column}) VALUES (?)".encode()
        sock.sendall(frame(0, b"\x16" + sql))
        _, ok = read_packet(sock)
        assert ok[0] == 0, ok
        sid, _ncols, nparams = struct.unpack("<IHH", ok[1:9])
        for _ in range(nparams):
            read_packet(sock)
        body = struct.pack("<IH", sid, 128) + bytes([253, 0])
        for value in (b"bulk-a", b"bulk-b", b"bulk-c"):
            body += b"\x00" + bytes([len(value)]) + value
        sock.sendall(frame(0, b"\xfa" + body))
        _, answer = read_packet(sock)
        sock.sendall(frame(0, f"\x03SELECT count(*) FROM {table} WHERE {column} LIKE 'bulk-%'"
                           .encode()))  # fmt: skip
        packets = []
        while True:
            _, payload = read_packet(sock)
            packets.append(payload)
            if payload[0] == 0xFE and len(payload) < 9:
                break
        return answer, int(packets[-2][1:])


def text_column(port: int) -> tuple[str, str]:
    with connect(port, database="shop") as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name, column_name FROM information_schema.columns WHERE "
                    "table_schema = 'shop' AND data_type IN ('varchar', 'text') LIMIT 1")  # fmt: skip
        row = cur.fetchone()
        assert row is not None
        return str(row[0]), str(row[1])


async def test_mariadb_bulk_execute_inserts_every_row(door: Door) -> None:
    table, column = await asyncio.to_thread(text_column, door.port)
    answer, count = await asyncio.to_thread(bulk_insert, door.port, table, column)
    assert answer[0] == 0 and answer[1] == 3, answer  # OK, 3 rows affected
    assert count == 3


def insert_then_reconnect(port: int, table: str, column: str) -> int:
    with connect(port, database="shop", autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"INSERT INTO {table} ({column}) VALUES ('persisted-by-door-test')")
    with connect(port, database="shop") as conn, conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table} WHERE {column} = 'persisted-by-door-test'")
        row = cur.fetchone()
        return int(row[0]) if row else 0


async def test_a_sources_changes_survive_its_reconnect(door: Door) -> None:
    table, column = await asyncio.to_thread(text_column, door.port)
    assert await asyncio.to_thread(insert_then_reconnect, door.port, table, column) == 1


async def test_slow_mode_holds_answers_and_still_answers(tmp_path: Path) -> None:
    slow = {"enabled": True, "sources": ["127.0.0.0/8"], "delay_s": 0.05, "max_delay_s": 0.2}
    running, task = await start_door(tmp_path, slow=slow)
    try:

        def some_queries() -> list[Any]:
            with connect(running.port) as conn, conn.cursor() as cur:
                out = []
                for i in range(3):
                    cur.execute(f"SELECT {i}")
                    out.append(cur.fetchone())
                return out

        assert await asyncio.to_thread(some_queries) == [(0,), (1,), (2,)]
        assert running.sensor.slow.delayed_total_s > 0
        assert running.sensor.describe()["tarpit_delay_s"] is not None
    finally:
        await running.sensor.stop()
        task.cancel()


def prepared_row(port: int) -> tuple[int, list[bytes], bytes]:
    """COM_STMT_PREPARE + COM_STMT_EXECUTE (id = 1 as a LONGLONG) in raw packets."""
    sock = login(port, b"root", b"root")
    with sock:
        sock.sendall(frame(0, b"\x16SELECT id, email FROM shop.customers WHERE id = ?"))
        _, ok = read_packet(sock)
        assert ok[0] == 0, ok
        sid, ncols, nparams = struct.unpack("<IHH", ok[1:9])
        defs = [read_packet(sock)[1] for _ in range(nparams + ncols)]  # DEPRECATE_EOF: no EOFs
        execute = struct.pack("<IBI", sid, 0, 1) + b"\x00" + b"\x01" + bytes([8, 0])
        sock.sendall(frame(0, b"\x17" + execute + (1).to_bytes(8, "little")))
        assert read_packet(sock)[1] == bytes([ncols])
        columns = [read_packet(sock)[1] for _ in range(ncols)]
        _, row = read_packet(sock)
        _, end = read_packet(sock)
        assert end[0] == 0xFE and len(defs) == nparams + ncols
        return nparams, columns, row


async def test_prepared_statement_binary_row(door: Door) -> None:
    nparams, columns, row = await asyncio.to_thread(prepared_row, door.port)
    assert nparams == 1 and len(columns) == 2
    id_type = columns[0][-6]  # the fixed tail: type, flags (2), decimals, filler (2)
    assert id_type == 3  # MYSQL_TYPE_LONG for INT
    assert row[0] == 0 and row[1] == 0  # packet header, no NULLs
    assert int.from_bytes(row[2:6], "little", signed=True) == 1
    email_len = row[6]
    email = row[7 : 7 + email_len].decode()

    def text_email() -> str:
        with connect(door.port) as conn, conn.cursor() as cur:
            cur.execute("SELECT email FROM shop.customers WHERE id = 1")
            got = cur.fetchone()
            assert got is not None
            return str(got[0])

    assert email == await asyncio.to_thread(text_email)


def ids(port: int) -> tuple[int, Any, Any]:
    with connect(port) as conn, conn.cursor() as cur:
        cur.execute("SELECT connection_id()")
        row = cur.fetchone()
        cur.execute("SHOW PROCESSLIST")
        return conn.thread_id(), row, [r[0] for r in cur.fetchall()]


async def test_connection_id_is_the_greetings_thread_id(door: Door) -> None:
    thread_id, row, listed = await asyncio.to_thread(ids, door.port)
    assert row == (thread_id,) and thread_id in listed


def long_data_lookup(port: int, email: bytes) -> bytes:
    """The parameter sent as COM_STMT_SEND_LONG_DATA in two pieces, then executed."""
    sock = login(port, b"root", b"root")
    with sock:
        sock.sendall(frame(0, b"\x16SELECT id FROM shop.customers WHERE email = ?"))
        _, ok = read_packet(sock)
        sid, ncols, nparams = struct.unpack("<IHH", ok[1:9])
        for _ in range(nparams + ncols):
            read_packet(sock)
        half = len(email) // 2
        for piece in (email[:half], email[half:]):
            sock.sendall(frame(0, b"\x18" + struct.pack("<IH", sid, 0) + piece))  # no answer
        types = bytes([253, 0])
        sock.sendall(frame(0, b"\x17" + struct.pack("<IBI", sid, 0, 1) + b"\x00\x01" + types))
        packets = []
        while True:
            _, payload = read_packet(sock)
            packets.append(payload)
            if payload[0] in (0xFE, 0xFF) and len(payload) < 9:
                return b"".join(packets[2:-1])  # the rows


async def test_long_data_parameter(door: Door, tmp_path: Path) -> None:
    def email(port: int = door.port) -> bytes:
        with connect(port) as conn, conn.cursor() as cur:
            cur.execute("SELECT email FROM shop.customers WHERE id = 1")
            row = cur.fetchone()
            assert row is not None
            return str(row[0]).encode()

    address = await asyncio.to_thread(email)
    rows = await asyncio.to_thread(long_data_lookup, door.port, address)
    assert rows == b"\x00\x00" + (1).to_bytes(4, "little")  # one binary row: id = 1
    capped, task = await start_door(tmp_path / "capped", max_long_data_bytes=8)
    try:  # the held long data is capped: the truncated address matches nothing
        own = await asyncio.to_thread(email, capped.port)
        assert len(own) > 8
        assert await asyncio.to_thread(long_data_lookup, capped.port, own) == b""
    finally:
        await capped.sensor.stop()
        task.cancel()

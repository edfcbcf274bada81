"""Prepared statements: COM_STMT_PREPARE / EXECUTE / SEND_LONG_DATA / RESET / CLOSE / FETCH.

Statement ids count from 1 per connection (like MariaDB); ``0xFFFFFFFF`` means the last one
prepared (MariaDB's pipelining shortcut). Parameters are decoded from the binary protocol
and bound by the engine; results go back as binary rows.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from phantomnet.deception.sql import Column, SqlError, SqlResult
from phantomnet.sensors.mysql import packets as p
from phantomnet.sensors.mysql import resultset as rs
from phantomnet.sensors.mysql.replies import engine_failed, send_results, track_transaction

if TYPE_CHECKING:
    from phantomnet.sensors.mysql.conversation import Conversation

COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_STMT_SEND_LONG_DATA = 22, 23, 24
COM_STMT_CLOSE, COM_STMT_RESET, COM_STMT_FETCH = 25, 26, 28
COM_STMT_BULK_EXECUTE = 0xFA  # MariaDB (MARIADB_CLIENT_STMT_BULK_OPERATIONS): batch inserts
BULK_SEND_TYPES = 128
MAX_BULK_ROWS = 1000
BULK_YIELD_EVERY = 25  # rows between yields to the event loop (other connections)
LAST_PREPARED = 0xFFFFFFFF
PARAM = Column(name="?", type_name="NULL")


@dataclass
class Prepared:
    sql: str
    raw: bytes
    params: int
    columns: tuple[Column, ...]
    types: list[tuple[int, bool]] = field(default_factory=list)
    long_data: dict[int, bytearray] = field(default_factory=dict)


class Statements:
    """The prepared statements of one connection (bounded)."""

    def __init__(self, limit: int, long_data_limit: int) -> None:
        self.limit, self.long_data_limit = limit, long_data_limit
        self.by_id: dict[int, Prepared] = {}
        self.next_id = 1
        self.last = 0

    def add(self, stmt: Prepared) -> int | None:
        if len(self.by_id) >= self.limit:
            return None
        sid = self.next_id
        self.next_id += 1
        self.by_id[sid] = stmt
        self.last = sid
        return sid

    def get(self, sid: int) -> Prepared | None:
        return self.by_id.get(self.last if sid == LAST_PREPARED else sid)

    def clear(self) -> None:
        self.by_id.clear()

    def long_data_bytes(self) -> int:
        """COM_STMT_SEND_LONG_DATA bytes held by this connection (capped as a whole)."""
        return sum(len(b) for s in self.by_id.values() for b in s.long_data.values())


def unknown_handler(conv: Conversation, sid: int, where: str) -> None:
    conv.send_error(
        1243, "HY000", f"Unknown prepared statement handler ({sid}) given to {where}"
    )  # fmt: skip


async def com_stmt_prepare(conv: Conversation, body: bytes) -> bool:
    sql = body.decode("utf-8", "replace")
    started = time.perf_counter()
    try:
        described = conv.sql.describe(sql)
    except SqlError as err:
        conv.send_sql_error(err)
        await conv.record(body, started, None, err)
        return False
    except Exception:
        conv.send_sql_error(engine_failed("COM_STMT_PREPARE"))
        return False
    stmt = Prepared(sql, body, described.param_count, tuple(described.columns))
    sid = conv.statements.add(stmt)
    if sid is None:
        conv.send_error(1461, "42000", "Can't create more than max_prepared_stmt_count "
                        f"statements (current value: {conv.statements.limit})")  # fmt: skip
        return False
    conv.send(
        b"\x00" + struct.pack("<IHHBH", sid, len(stmt.columns), stmt.params, 0, 0)
    )  # fmt: skip
    extended = bool(conv.ext_caps & p.MARIADB_CLIENT_EXTENDED_METADATA)
    if stmt.params:
        for _ in range(stmt.params):
            conv.send(rs.column_def(PARAM, extended=extended))
        conv.send_column_eof()
    if stmt.columns:
        for col in stmt.columns:
            conv.send(rs.column_def(col, extended=extended))
        conv.send_column_eof()
    return False


def read_params(stmt: Prepared, cur: p.Cursor) -> list[object]:
    n = stmt.params
    if n == 0:
        return []
    nulls = cur.take((n + 7) // 8)
    if cur.u8() == 1:
        stmt.types = []
        for _ in range(n):
            code, flag = cur.u8(), cur.u8()
            stmt.types.append((code, bool(flag & 0x80)))
    types = stmt.types or [(rs.T_VAR_STRING, False)] * n
    values: list[object] = []
    for i in range(n):
        if i in stmt.long_data:
            values.append(bytes(stmt.long_data[i]).decode("utf-8", "replace"))
        elif nulls[i // 8] & (1 << (i % 8)):
            values.append(None)
        else:
            code, unsigned = types[i] if i < len(types) else (rs.T_VAR_STRING, False)
            values.append(rs.decode_param(cur, code, unsigned))
    return values


async def com_stmt_execute(conv: Conversation, body: bytes) -> bool:
    cur = p.Cursor(body)
    try:
        sid = cur.u32()
        cur.take(5)  # cursor flags, iteration count
    except ValueError:
        conv.send_error(1835, "HY000", "Malformed communication packet")
        return False
    stmt = conv.statements.get(sid)
    if stmt is None:
        unknown_handler(conv, sid, "mysqld_stmt_execute")
        return False
    try:
        params = read_params(stmt, cur)
    except (ValueError, IndexError):
        conv.send_error(1210, "HY000", "Incorrect arguments to mysqld_stmt_execute")
        return False
    stmt.long_data.clear()
    started = time.perf_counter()
    results: list[SqlResult | SqlError]
    try:
        results = list(conv.sql.execute(stmt.sql, params))
    except SqlError as err:
        results = [err]
    except Exception:
        results = [engine_failed("COM_STMT_EXECUTE")]
    await conv.wait_out(results[:1])
    if results and not isinstance(results[0], SqlError):
        track_transaction(conv, stmt.sql)
    rows, error = send_results(conv, results[:1], binary=True)
    await conv.record(stmt.raw, started, rows, error)
    return False


def bulk_rows(stmt: Prepared, cur: p.Cursor, flags: int) -> list[list[object]]:
    """The parameter rows of COM_STMT_BULK_EXECUTE (an indicator byte before each value)."""
    if flags & BULK_SEND_TYPES:
        stmt.types = [(cur.u8(), bool(cur.u8() & 0x80)) for _ in range(stmt.params)]
    types = stmt.types or [(rs.T_VAR_STRING, False)] * stmt.params
    rows: list[list[object]] = []
    while cur.left() and len(rows) < MAX_BULK_ROWS:
        row: list[object] = []
        for code, unsigned in types:
            indicator = cur.u8()
            row.append(rs.decode_param(cur, code, unsigned) if indicator == 0 else None)
        rows.append(row)
    return rows


async def com_stmt_bulk_execute(conv: Conversation, body: bytes) -> bool:
    cur = p.Cursor(body)
    try:
        sid, flags = cur.u32(), cur.u16()
    except ValueError:
        conv.send_error(1835, "HY000", "Malformed communication packet")
        return False
    stmt = conv.statements.get(sid)
    if stmt is None:
        unknown_handler(conv, sid, "mysqld_stmt_bulk_execute")
        return False
    try:
        rows = bulk_rows(stmt, cur, flags)
    except (ValueError, IndexError):
        conv.send_error(1210, "HY000", "Incorrect arguments to mysqld_stmt_bulk_execute")
        return False
    started = time.perf_counter()
    affected, first_id, error = 0, 0, None
    for n, params in enumerate(rows, 1):
        if n % BULK_YIELD_EVERY == 0:
            await asyncio.sleep(0)
        try:
            results = list(conv.sql.execute(stmt.sql, params))
        except SqlError as err:
            results = [err]
        except Exception:
            results = [engine_failed("COM_STMT_BULK_EXECUTE")]
        entry = results[0] if results else None
        if isinstance(entry, SqlError):
            error = entry
            break
        if entry is not None:
            affected += entry.affected
            first_id = first_id or entry.last_insert_id
    if error is not None:
        conv.send_sql_error(error)
    else:
        conv.send_ok(affected, first_id)
    await conv.record(stmt.raw, started, None if error else affected, error)
    return False


async def com_stmt_send_long_data(conv: Conversation, body: bytes) -> bool:
    if len(body) < 6:
        return False
    sid, param = struct.unpack("<IH", body[:6])
    stmt = conv.statements.get(sid)
    if stmt is None or param >= stmt.params:
        return False  # no answer to this command, ever (errors surface at EXECUTE)
    room = conv.statements.long_data_limit - conv.statements.long_data_bytes()
    if room > 0:
        stmt.long_data.setdefault(param, bytearray()).extend(body[6 : 6 + room])
    return False


async def com_stmt_close(conv: Conversation, body: bytes) -> bool:
    if len(body) >= 4:
        conv.statements.by_id.pop(struct.unpack("<I", body[:4])[0], None)
    return False


async def com_stmt_reset(conv: Conversation, body: bytes) -> bool:
    sid = struct.unpack("<I", body[:4])[0] if len(body) >= 4 else 0
    stmt = conv.statements.get(sid)
    if stmt is None:
        unknown_handler(conv, sid, "mysqld_stmt_reset")
        return False
    stmt.long_data.clear()
    conv.send_ok()
    return False


async def com_stmt_fetch(conv: Conversation, body: bytes) -> bool:
    sid = struct.unpack("<I", body[:4])[0] if len(body) >= 4 else 0
    if conv.statements.get(sid) is None:
        unknown_handler(conv, sid, "mysqld_stmt_fetch")
    else:
        conv.send_error(1421, "HY000", f"The statement ({sid}) has no open cursor")
    return False


HANDLERS: dict[int, Callable[[Conversation, bytes], Awaitable[bool]]] = {
    COM_STMT_PREPARE: com_stmt_prepare,
    COM_STMT_EXECUTE: com_stmt_execute,
    COM_STMT_SEND_LONG_DATA: com_stmt_send_long_data,
    COM_STMT_CLOSE: com_stmt_close,
    COM_STMT_RESET: com_stmt_reset,
    COM_STMT_FETCH: com_stmt_fetch,
    COM_STMT_BULK_EXECUTE: com_stmt_bulk_execute,
}

"""The command phase: one handler per ``COM_*`` byte, answered like MariaDB 10.11.

SQL itself is the engine's (``host.sql``); this module only turns its results into packets.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from phantomnet.deception.sql import SqlError, SqlResult
from phantomnet.sensors.mysql import packets as p
from phantomnet.sensors.mysql import resultset as rs
from phantomnet.sensors.mysql import statements
from phantomnet.sensors.mysql.replies import (
    engine_failed,
    send_results,
    syntax_error,
    track_transaction,
)

if TYPE_CHECKING:
    from phantomnet.sensors.mysql.conversation import Conversation

COM_SLEEP, COM_QUIT, COM_INIT_DB, COM_QUERY, COM_FIELD_LIST = 0, 1, 2, 3, 4
COM_SHUTDOWN, COM_STATISTICS, COM_PROCESS_INFO, COM_PROCESS_KILL, COM_DEBUG = 8, 9, 10, 12, 13
COM_PING, COM_CHANGE_USER, COM_SET_OPTION, COM_RESET_CONNECTION = 14, 17, 27, 31

Handler = Callable[["Conversation", bytes], Awaitable[bool]]


def unknown_command(conv: Conversation) -> None:
    conv.send_error(1047, "08S01", "Unknown command")


async def dispatch(conv: Conversation, data: bytes) -> bool:
    """Answer one command packet; True when the connection is over."""
    if not data:
        unknown_command(conv)
        return False
    handler = HANDLERS.get(data[0])
    if handler is None:
        unknown_command(conv)
        return False
    if data[0] not in (COM_QUIT, statements.COM_STMT_CLOSE, statements.COM_STMT_SEND_LONG_DATA):
        await conv.hold()
    return await handler(conv, data[1:])


def decode(body: bytes) -> str:
    """Text for the engine (events keep the exact bytes)."""
    return body.decode("utf-8", "replace")


# -- handlers --------------------------------------------------------------------------
async def com_quit(conv: Conversation, body: bytes) -> bool:
    return True


async def com_query(conv: Conversation, body: bytes) -> bool:
    sql = decode(body)
    started = time.perf_counter()
    results: list[SqlResult | SqlError]
    try:
        results = list(conv.sql.execute(sql))
    except SqlError as err:
        results = [err]
    except Exception:
        results = [engine_failed("a query")]
    if len(results) > 1 and not conv.caps & p.CLIENT_MULTI_STATEMENTS:
        first_end = sql.find(";")
        results = [syntax_error(sql[first_end:] if first_end >= 0 else sql)]
    await conv.wait_out(results)
    if results and not any(isinstance(r, SqlError) for r in results):
        track_transaction(conv, sql)  # before the answer: BEGIN's OK carries IN_TRANS
    rows, error = send_results(conv, results)
    await conv.record(body, started, rows, error)
    return False


async def com_init_db(conv: Conversation, body: bytes) -> bool:
    try:
        conv.sql.use(decode(body).rstrip("\x00"))
    except SqlError as err:
        conv.send_sql_error(err)
        return False
    except Exception:
        conv.send_sql_error(engine_failed("COM_INIT_DB"))
        return False
    conv.send_ok()
    return False


async def com_field_list(conv: Conversation, body: bytes) -> bool:
    table = decode(body.split(b"\x00", 1)[0])
    if not conv.database:
        conv.send_error(1046, "3D000", "No database selected")
        return False
    quoted = "`" + table.replace("`", "``") + "`"
    try:
        outcome = conv.sql.execute(f"SELECT * FROM {quoted} LIMIT 0")[:1]
    except SqlError as err:
        outcome = [err]
    except Exception:
        outcome = [engine_failed("COM_FIELD_LIST")]
    first = outcome[0] if outcome else SqlError(1146, "42S02", "Unknown table")
    if isinstance(first, SqlError):
        conv.send_sql_error(first)
        return False
    extended = bool(conv.ext_caps & p.MARIADB_CLIENT_EXTENDED_METADATA)
    for col in first.columns:
        conv.send(rs.column_def(col, extended=extended, field_list=True))
    conv.send_eof()
    return False


async def com_ping(conv: Conversation, body: bytes) -> bool:
    conv.send_ok()
    return False


async def com_statistics(conv: Conversation, body: bytes) -> bool:
    sensor = conv.sensor
    uptime = int(sensor.host.persona.uptime_s())
    questions = sensor.questions
    opens, tables = 17 + questions // 40, min(10 + questions // 60, 400)
    text = (
        f"Uptime: {uptime}  Threads: {max(1, sensor.limiter.active)}  Questions: {questions}"
        f"  Slow queries: 0  Opens: {opens}  Open tables: {tables}"
        f"  Queries per second avg: {questions / max(uptime, 1):.3f}"
    )
    conv.send(text.encode())
    return False


async def com_process_info(conv: Conversation, body: bytes) -> bool:
    return await com_query(conv, b"SHOW PROCESSLIST")


async def com_process_kill(conv: Conversation, body: bytes) -> bool:
    target = int.from_bytes(body[:4].ljust(4, b"\x00"), "little")
    if target == conv.thread_id:
        conv.send_error(1927, "70100", "Connection was killed")
        return True
    conv.send_error(1094, "HY000", f"Unknown thread id: {target}")
    return False


def _privileged(conv: Conversation) -> bool:
    return conv.user == "root"


async def com_shutdown(conv: Conversation, body: bytes) -> bool:
    if not _privileged(conv):
        conv.send_error(1227, "42000", "Access denied; you need (at least one of) the SHUTDOWN "
                        "privilege(s) for this operation")  # fmt: skip
        return False
    conv.send_eof()
    return True


async def com_debug(conv: Conversation, body: bytes) -> bool:
    if not _privileged(conv):
        conv.send_error(1227, "42000", "Access denied; you need (at least one of) the SUPER "
                        "privilege(s) for this operation")  # fmt: skip
        return False
    conv.send_eof()
    return False


async def com_set_option(conv: Conversation, body: bytes) -> bool:
    option = struct.unpack("<H", body[:2])[0] if len(body) >= 2 else -1
    if option == 0:
        conv.caps |= p.CLIENT_MULTI_STATEMENTS
    elif option == 1:
        conv.caps &= ~p.CLIENT_MULTI_STATEMENTS
    else:
        unknown_command(conv)
        return False
    conv.send_eof()
    return False


async def com_reset_connection(conv: Conversation, body: bytes) -> bool:
    conv.statements.clear()
    conv.drop_session()  # user variables and session settings go; the database stays
    conv.status = p.SERVER_STATUS_AUTOCOMMIT
    conv.send_ok()
    return False


async def com_change_user(conv: Conversation, body: bytes) -> bool:
    cur = p.Cursor(body)
    try:
        user = cur.cstring()
        token = cur.take(cur.u8()) if conv.caps & p.CLIENT_SECURE_CONNECTION else cur.cstring()
        database = cur.cstring() if cur.left() else b""
    except ValueError:
        conv.send_error(1043, "08S01", "Bad handshake")
        return True
    from phantomnet.sensors.mysql.handshake import HandshakeResponse

    conv.drop_session()
    resp = HandshakeResponse(caps=conv.caps, user=user, auth=token, database=database or None)
    return not await conv.login(resp, token)


HANDLERS: dict[int, Handler] = {
    COM_QUIT: com_quit,
    COM_INIT_DB: com_init_db,
    COM_QUERY: com_query,
    COM_FIELD_LIST: com_field_list,
    COM_SHUTDOWN: com_shutdown,
    COM_STATISTICS: com_statistics,
    COM_PROCESS_INFO: com_process_info,
    COM_PROCESS_KILL: com_process_kill,
    COM_DEBUG: com_debug,
    COM_PING: com_ping,
    COM_CHANGE_USER: com_change_user,
    COM_SET_OPTION: com_set_option,
    COM_RESET_CONNECTION: com_reset_connection,
    **statements.HANDLERS,
}

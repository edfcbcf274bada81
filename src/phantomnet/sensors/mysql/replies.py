"""Result sets and multi-statement answers, shared by COM_QUERY and COM_STMT_EXECUTE."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from phantomnet.deception.sql import SqlError, SqlResult
from phantomnet.sensors.mysql import packets as p
from phantomnet.sensors.mysql import resultset as rs

if TYPE_CHECKING:
    from phantomnet.sensors.mysql.conversation import Conversation

log = logging.getLogger(__name__)
_TRANSACTION = re.compile(r"^\s*(BEGIN|START\s+TRANSACTION|COMMIT|ROLLBACK)\b", re.I)


def send_result(conv: Conversation, result: SqlResult, more: bool, *, binary: bool = False) -> None:
    status = conv.status | (p.SERVER_MORE_RESULTS_EXISTS if more else 0)
    if not result.columns:
        conv.send(p.ok_packet(result.affected, result.last_insert_id, status, result.warnings))
        return
    head = p.lenenc_int(len(result.columns))
    if conv.ext_caps & p.MARIADB_CLIENT_CACHE_METADATA:
        head += b"\x01"
    conv.send(head)
    extended = bool(conv.ext_caps & p.MARIADB_CLIENT_EXTENDED_METADATA)
    for col in result.columns:
        conv.send(rs.column_def(col, extended=extended))
    conv.send_column_eof()
    if binary:
        types = [rs.wire_type(c) for c in result.columns]
        for row in result.rows:
            conv.send(rs.binary_row(types, row))
    else:
        for row in result.rows:
            conv.send(rs.text_row(row))
    conv.send_eof(status, result.warnings)


def result_rows(result: SqlResult) -> int:
    return len(result.rows) if result.columns else result.affected


def track_transaction(conv: Conversation, sql: str) -> None:
    m = _TRANSACTION.match(sql)
    if m is None:
        return
    if m.group(1).upper() in ("COMMIT", "ROLLBACK"):
        conv.status &= ~p.SERVER_STATUS_IN_TRANS
    else:
        conv.status |= p.SERVER_STATUS_IN_TRANS


def syntax_error(sql: str) -> SqlError:
    near = sql[:80]
    return SqlError(
        1064, "42000",
        "You have an error in your SQL syntax; check the manual that corresponds to your "
        f"MariaDB server version for the right syntax to use near '{near}' at line 1",
    )  # fmt: skip


def send_results(
    conv: Conversation, results: Sequence[SqlResult | SqlError], *, binary: bool = False
) -> tuple[int | None, SqlError | None]:
    """Send one answer per statement; (rows of the last result, the error that ended it)."""
    rows: int | None = 0
    for i, entry in enumerate(results):
        if isinstance(entry, SqlError):
            conv.send_sql_error(entry)
            return None, entry
        more = i + 1 < len(results)
        send_result(conv, entry, more, binary=binary)
        rows = result_rows(entry)
    if not results:
        conv.send_error(1065, "42000", "Query was empty")
        return None, SqlError(1065, "42000", "Query was empty")
    return rows, None


def engine_failed(what: str) -> SqlError:
    """An engine bug on some input: logged, and answered like a server-side failure."""
    log.warning("mysql: the SQL engine failed on %s", what, exc_info=True)
    return SqlError(1105, "HY000", "Unknown error")

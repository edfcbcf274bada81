"""After login: the simple query protocol and the extended one (Parse/Bind/Describe/Execute/
Close/Sync/Flush), transaction status, COPY ... TO STDOUT, the engine's answers as messages.

A :class:`Backend` is the state of one connection (prepared statements, portals, the
transaction status byte). Its methods append the messages to send to ``out`` and return the
``db.query`` records to publish; the socket side is the sensor's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from phantomnet.sensors.postgres import pgtypes, wire
from phantomnet.sensors.postgres.engine import ErrorLike, SessionLike, is_error, sql_error
from phantomnet.sensors.postgres.origin import locate
from phantomnet.sensors.postgres.wire import Body, PgError, WireError

ABORTED = PgError(
    "ERROR",
    "25P02",
    "current transaction is aborted, commands ignored until end of transaction block",
    "postgres.c",
    1081,
    "exec_simple_query",
)
ALREADY_IN_TX = PgError(
    "WARNING",
    "25001",
    "there is already a transaction in progress",
    "xact.c",
    3792,
    "BeginTransactionBlock",
)
NO_TX_ROLLBACK = PgError(
    "WARNING",
    "25P01",
    "there is no transaction in progress",
    "xact.c",
    4113,
    "UserAbortTransactionBlock",
)
NO_TX_COMMIT = PgError(
    "WARNING", "25P01", "there is no transaction in progress", "xact.c", 3990, "EndTransactionBlock"
)
MULTIPLE = PgError(
    "ERROR",
    "42601",
    "cannot insert multiple commands into a prepared statement",
    "postgres.c",
    1463,
    "exec_parse_message",
)
NO_ENGINE = PgError(
    "ERROR", "0A000", "feature not supported", "postgres.c", 1081, "exec_simple_query"
)
_END_WORDS = ("ROLLBACK", "COMMIT", "END", "ABORT", "PREPARE", "SAVEPOINT", "RELEASE")


def no_statement(name: str) -> PgError:
    return PgError(
        "ERROR",
        "26000",
        f'prepared statement "{name}" does not exist',
        "prepare.c",
        451,
        "FetchPreparedStatement",
    )


def no_portal(name: str) -> PgError:
    return PgError(
        "ERROR",
        "34000",
        f'portal "{name}" does not exist',
        "postgres.c",
        2071,
        "exec_execute_message",
    )


def duplicate_statement(name: str) -> PgError:
    return PgError(
        "ERROR",
        "42P05",
        f'prepared statement "{name}" already exists',
        "prepare.c",
        412,
        "StorePreparedStatement",
    )


def bad_param_count(given: int, name: str, needed: int) -> PgError:
    return PgError(
        "ERROR",
        "08P01",
        f'bind message supplies {given} parameters, but prepared statement "{name}" '
        f"requires {needed}",
        "postgres.c",
        1674,
        "exec_bind_message",
    )


def bad_binary(index: int) -> PgError:
    return PgError(
        "ERROR",
        "22P03",
        f"incorrect binary data format in bind parameter {index}",
        "postgres.c",
        1905,
        "exec_bind_message",
    )


@dataclass(frozen=True)
class QueryRecord:
    """What one ``db.query`` event says."""

    query: str
    database: str | None
    rows: int | None
    error_code: str | None
    duration_ms: float


@dataclass
class Prepared:
    sql: str
    param_oids: list[int]
    columns: Sequence[Any] | None = None
    #: column types a statement Describe announced (DataRows must keep to them)
    announced: list[int] | None = None


@dataclass
class Portal:
    statement: Prepared
    params: list[object]
    formats: list[int]
    result: Any = None
    error: ErrorLike | None = None
    sent: int = 0
    done: bool = False
    announced: list[int] | None = None
    executed: bool = field(default=False)


def first_word(sql: str) -> str:
    text = sql.lstrip(" \t\r\n(;")
    word = ""
    for ch in text:
        if not (ch.isalpha() or ch == "_"):
            break
        word += ch
    return word.upper()


def _tag(result: Any, sql: str) -> str:
    tag = str(getattr(result, "tag", "") or "")
    if tag:
        return tag
    if result.columns:
        return f"SELECT {len(result.rows)}"
    word = first_word(sql)
    affected = int(getattr(result, "affected", 0) or 0)
    if word == "INSERT":
        return f"INSERT 0 {affected}"
    if word in ("UPDATE", "DELETE", "MERGE"):
        return f"{word} {affected}"
    return word or "SELECT 0"


def _oids(columns: Sequence[Any]) -> list[int]:
    return [pgtypes.lookup(str(getattr(c, "type_name", "text")))[0] for c in columns]


#: statements whose columns are learnt by running them with neutral parameters (reads only)
_READS = frozenset({"SELECT", "WITH", "SHOW", "VALUES", "TABLE"})


def _dummy(oid: int) -> object:
    """A neutral value of a parameter's type, for running a read to learn its columns."""
    if oid in (20, 21, 23, 26):
        return 1
    if oid in (700, 701, 1700):
        return 1.0
    if oid == 16:
        return True
    return ""


#: ``COPY ... TO STDOUT (FORMAT csv)`` / ``WITH CSV [HEADER]`` (the door sees the whole string)
_CSV = re.compile(r"\bto\s+stdout\b.*\bcsv\b", re.IGNORECASE | re.DOTALL)
_HEADER = re.compile(r"\bheader\b", re.IGNORECASE)


def _csv_field(text: str) -> str:
    """PostgreSQL's CSV quoting: fields with a delimiter, quote or CR/LF, and empty text (so
    it differs from NULL)."""
    if text == "" or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _copy_text(value: object, oid: int) -> bytes:
    if value is None:
        return b"\\N"
    text = pgtypes.to_text(value, oid)
    for a, b in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text = text.replace(a, b)
    return text.encode("utf-8", "replace")


class Backend:
    """One logged-in connection's protocol state."""

    def __init__(
        self, session: SessionLike | None, max_prepared: int = 1000, database: str | None = None
    ) -> None:
        self.session = session
        self.startup_database = database
        self.max_prepared = max_prepared
        self.tx = "I"
        self.out = bytearray()
        self.statements: dict[str, Prepared] = {}
        self.portals: dict[str, Portal] = {}
        #: after an error in the extended protocol, messages are skipped until Sync
        self.skipping = False
        self.records: list[QueryRecord] = []
        #: seconds the real server would have slept (pg_sleep) before answering
        self.delay = 0.0

    @property
    def database(self) -> str | None:
        return self.session.database if self.session is not None else self.startup_database

    # -- output ----------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        self.out += data

    def error(self, err: PgError) -> None:
        self.send(err.error())
        if self.tx == "T":
            self.tx = "E"

    def take(self) -> bytes:
        data = bytes(self.out)
        self.out.clear()
        return data

    def _row_description(self, columns: Sequence[Any], formats: list[int]) -> bytes:
        fields = []
        for i, col in enumerate(columns):
            oid, size = pgtypes.lookup(str(getattr(col, "type_name", "text")))
            fmt = formats[0] if len(formats) == 1 else (formats[i] if i < len(formats) else 0)
            fields.append((str(col.name), 0, 0, oid, size, -1, fmt))
        return wire.row_description(fields)

    def _data_rows(
        self,
        result: Any,
        rows: Sequence[Sequence[object]],
        formats: list[int],
        announced: list[int] | None = None,
    ) -> None:
        oids = announced or _oids(result.columns)
        for row in rows:
            values: list[bytes | None] = []
            for i, value in enumerate(row):
                oid = oids[i] if i < len(oids) else 25
                fmt = formats[0] if len(formats) == 1 else (formats[i] if i < len(formats) else 0)
                if value is None:
                    values.append(None)
                elif fmt == 1:
                    values.append(pgtypes.to_binary(value, oid))
                else:
                    values.append(pgtypes.to_text(value, oid).encode("utf-8", "replace"))
            self.send(wire.data_row(values))

    def _copy_out(self, result: Any, tag: str, sql: str) -> None:
        oids = _oids(result.columns)
        width = len(result.columns) or (len(result.rows[0]) if result.rows else 0)
        self.send(wire.copy_out_response(width))
        csv = _CSV.search(sql) is not None
        if csv and _HEADER.search(sql):
            names = [_csv_field(str(c.name)) for c in result.columns]
            self.send(wire.message(b"d", ",".join(names).encode("utf-8", "replace") + b"\n"))
        for row in result.rows:
            if csv:
                line = ",".join(
                    ""
                    if v is None
                    else _csv_field(pgtypes.to_text(v, oids[i] if i < len(oids) else 25))
                    for i, v in enumerate(row)
                ).encode("utf-8", "replace")
            else:
                line = b"\t".join(
                    _copy_text(v, oids[i] if i < len(oids) else 25) for i, v in enumerate(row)
                )
            self.send(wire.message(b"d", line + b"\n"))
        self.send(wire.COPY_DONE)
        self.send(wire.command_complete(tag))

    def _track_tx(self, tag: str) -> str:
        """Update the status byte from a command tag; the tag to send (with its notice)."""
        word = tag.split(" ")[0]
        if word in ("BEGIN", "START"):
            if self.tx != "I":
                self.send(ALREADY_IN_TX.notice())
            self.tx = "T" if self.tx == "I" else self.tx
        elif word in ("COMMIT", "END"):
            if self.tx == "I":
                self.send(NO_TX_COMMIT.notice())
            tag = "ROLLBACK" if self.tx == "E" else "COMMIT"
            self.tx = "I"
        elif word in ("ROLLBACK", "ABORT"):
            if self.tx == "I":
                self.send(NO_TX_ROLLBACK.notice())
            self.tx = "I"
        return tag

    def _send_result(self, result: Any, sql: str, formats: list[int], describe: bool) -> int:
        """A whole result (simple protocol, or a portal run to completion); rows counted."""
        tag = _tag(result, sql)
        if tag.startswith("COPY") and result.columns:
            self._copy_out(result, tag, sql)
            return len(result.rows)
        if result.columns:
            if describe:
                self.send(self._row_description(result.columns, formats))
            self._data_rows(result, result.rows, formats)
        self.send(wire.command_complete(self._track_tx(tag)))
        return len(result.rows) if result.columns else int(getattr(result, "affected", 0) or 0)

    def _aborted(self, sql: str) -> bool:
        return self.tx == "E" and first_word(sql) not in _END_WORDS

    def _run(self, sql: str, params: Sequence[object] = ()) -> Sequence[Any]:
        assert self.session is not None
        try:
            results = self.session.execute(sql, params)
        except Exception as exc:  # an SqlError raised instead of returned
            err = sql_error(exc)
            if err is None:
                raise
            return [err]
        for result in results:
            self.delay += float(getattr(result, "delay_s", 0.0) or 0.0)
        return results

    # -- simple query ----------------------------------------------------------------------
    def query(self, sql: str) -> None:
        """A ``Q`` message: every statement of the string, then ReadyForQuery."""
        started = time.monotonic()
        rows: int | None = 0
        code: str | None = None
        if not sql.strip(" \t\r\n;"):
            self.send(wire.EMPTY_QUERY)
        elif self.session is None:
            self.error(NO_ENGINE)
            rows, code = None, NO_ENGINE.code
        elif self._aborted(sql):
            self.error(ABORTED)
            rows, code = None, ABORTED.code
        else:
            results = self._run(sql)
            if not results:
                self.send(wire.EMPTY_QUERY)
            for result in results:
                if is_error(result):
                    self.error(locate(result.sqlstate, result.message, sql))
                    rows, code = None, str(result.sqlstate)
                    break
                rows = (rows or 0) + self._send_result(result, sql, [], describe=True)
        self.send(wire.ready(self.tx))
        self._record(sql, rows, code, started)

    def _record(self, sql: str, rows: int | None, code: str | None, started: float) -> None:
        if len(self.records) < 10_000:
            ms = round((time.monotonic() - started) * 1000, 3)
            self.records.append(QueryRecord(sql, self.database, rows, code, ms))

    # -- extended protocol -----------------------------------------------------------------
    def parse(self, body: Body) -> None:
        name, sql = body.string(), body.string()
        oids = [body.uint32() for _ in range(max(0, body.int16()))]
        body.end()
        if name and name in self.statements:
            raise WireError(duplicate_statement(name))
        if name and len(self.statements) >= self.max_prepared:
            raise WireError(
                PgError("ERROR", "53200", "out of memory", "mcxt.c", 1013, "MemoryContextAlloc")
            )
        stmt = Prepared(sql, oids)
        if self.session is not None and sql.strip(" \t\r\n;"):
            try:
                described = self.session.describe(sql)
            except Exception as exc:
                err = sql_error(exc)
                if err is None:
                    raise
                raise WireError(locate(err.sqlstate, err.message, sql)) from exc
            stmt.columns = tuple(getattr(described, "columns", ()) or ())
            count = max(
                int(getattr(described, "param_count", 0) or 0), len(oids), pgtypes.param_count(sql)
            )
            stmt.param_oids = pgtypes.infer_param_types(sql, count, oids)
        else:
            stmt.param_oids = pgtypes.infer_param_types(sql, pgtypes.param_count(sql), oids)
        self.statements[name] = stmt
        self.send(wire.PARSE_COMPLETE)

    def bind(self, body: Body) -> None:
        portal_name, stmt_name = body.string(), body.string()
        pformats = [body.int16() for _ in range(max(0, body.int16()))]
        raw: list[bytes | None] = []
        for _ in range(max(0, body.int16())):
            size = body.int32()
            raw.append(None if size < 0 else body.take(size))
        rformats = [body.int16() for _ in range(max(0, body.int16()))]
        body.end()
        stmt = self.statements.get(stmt_name)
        if stmt is None:
            raise WireError(no_statement(stmt_name))
        if len(raw) != len(stmt.param_oids):
            raise WireError(bad_param_count(len(raw), stmt_name, len(stmt.param_oids)))
        if self._aborted(stmt.sql):
            raise WireError(ABORTED)
        params: list[object] = []
        for i, value in enumerate(raw):
            fmt = pformats[0] if len(pformats) == 1 else (pformats[i] if i < len(pformats) else 0)
            oid = stmt.param_oids[i]
            if value is None:
                params.append(None)
            elif fmt == 1:
                try:
                    params.append(pgtypes.param_from_binary(value, oid))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise WireError(bad_binary(i + 1)) from exc
            else:
                params.append(pgtypes.param_from_text(value, oid))
        if portal_name and len(self.portals) >= self.max_prepared:
            raise WireError(
                PgError("ERROR", "53200", "out of memory", "mcxt.c", 1013, "MemoryContextAlloc")
            )
        self.portals[portal_name] = Portal(stmt, params, rformats)
        self.send(wire.BIND_COMPLETE)

    def _execute_portal(self, portal: Portal) -> None:
        if portal.executed:
            return
        portal.executed = True
        sql = portal.statement.sql
        if not sql.strip(" \t\r\n;") or self.session is None:
            return
        started = time.monotonic()
        results = self._run(sql, portal.params)
        if len(results) > 1:
            portal.error = None
            self._record(sql, None, MULTIPLE.code, started)
            raise WireError(MULTIPLE)
        if results and is_error(results[0]):
            portal.error = results[0]
            self._record(sql, None, str(results[0].sqlstate), started)
        elif results:
            portal.result = results[0]
            result = results[0]
            rows = len(result.rows) if result.columns else int(getattr(result, "affected", 0) or 0)
            self._record(sql, rows, None, started)

    def _probe(self, stmt: Prepared) -> Sequence[Any]:
        """The columns of a statement for its Describe. The engine's ``describe`` may guess
        types that the execution does not keep (``$1::int + 1`` described as text), and a
        client decodes DataRows by the description, so a read is run once with neutral
        parameters of each declared type and its real columns are announced; other
        statements keep ``describe``."""
        columns = stmt.columns or ()
        if self.session is None or first_word(stmt.sql) not in _READS:
            return columns
        try:
            results = self.session.execute(stmt.sql, [_dummy(o) for o in stmt.param_oids])
        except Exception as exc:
            if sql_error(exc) is None:
                raise
            return columns
        ok = len(results) == 1 and not is_error(results[0]) and results[0].columns
        if ok and (not columns or len(results[0].columns) == len(columns)):
            return tuple(results[0].columns)
        return columns

    def describe(self, body: Body) -> None:
        kind = body.take(1)
        name = body.string()
        body.end()
        if kind == b"S":
            stmt = self.statements.get(name)
            if stmt is None:
                raise WireError(no_statement(name))
            self.send(wire.parameter_description(stmt.param_oids))
            columns = self._probe(stmt)
            if columns:
                stmt.announced = _oids(columns)
                self.send(self._row_description(columns, []))
            else:
                self.send(wire.NO_DATA)
            return
        if kind != b"P":
            raise WireError(
                PgError(
                    "ERROR",
                    "08P01",
                    f"invalid DESCRIBE message subtype {kind[0]}",
                    "postgres.c",
                    4774,
                    "PostgresMain",
                )
            )
        portal = self.portals.get(name)
        if portal is None:
            raise WireError(no_portal(name))
        self._execute_portal(portal)
        if portal.error is not None:
            err = portal.error
            raise WireError(locate(err.sqlstate, err.message, portal.statement.sql))
        result = portal.result
        if result is not None and result.columns and not _tag(result, "").startswith("COPY"):
            portal.announced = _oids(result.columns)
            self.send(self._row_description(result.columns, portal.formats))
        else:
            self.send(wire.NO_DATA)

    def execute(self, body: Body) -> None:
        name = body.string()
        limit = body.int32()
        body.end()
        portal = self.portals.get(name)
        if portal is None:
            raise WireError(no_portal(name))
        if self.session is None and portal.statement.sql.strip(" \t\r\n;"):
            raise WireError(NO_ENGINE)
        self._execute_portal(portal)
        sql = portal.statement.sql
        if portal.error is not None:
            err = portal.error
            raise WireError(locate(err.sqlstate, err.message, sql))
        result = portal.result
        if result is None:
            self.send(wire.EMPTY_QUERY)
            return
        tag = _tag(result, sql)
        if not result.columns or tag.startswith("COPY"):
            if not portal.done:
                portal.done = True
                self._send_result(result, sql, portal.formats, describe=False)
            return
        rows = result.rows[portal.sent :]
        announced = portal.announced or portal.statement.announced
        if announced is not None and len(announced) != len(result.columns):
            announced = None  # a description that does not fit is worse than none
        if limit > 0 and len(rows) > limit:
            self._data_rows(result, rows[:limit], portal.formats, announced)
            portal.sent += limit
            self.send(wire.PORTAL_SUSPENDED)
            return
        self._data_rows(result, rows, portal.formats, announced)
        portal.sent += len(rows)
        portal.done = True
        word = tag.split(" ")[0]
        self.send(wire.command_complete(f"{word} {len(rows)}" if word == "SELECT" else tag))

    def close(self, body: Body) -> None:
        kind = body.take(1)
        name = body.string()
        body.end()
        if kind == b"S":
            self.statements.pop(name, None)
        elif kind == b"P":
            self.portals.pop(name, None)
        else:
            raise WireError(
                PgError(
                    "ERROR",
                    "08P01",
                    f"invalid CLOSE message subtype {kind[0]}",
                    "postgres.c",
                    4746,
                    "PostgresMain",
                )
            )
        self.send(wire.CLOSE_COMPLETE)

    def sync(self) -> None:
        self.skipping = False
        self.portals.pop("", None)
        if self.tx == "I":
            self.portals.clear()
        self.send(wire.ready(self.tx))

    def extended(self, kind: bytes, data: bytes) -> None:
        """One extended-protocol message; an error skips the rest until Sync."""
        if kind == b"S":
            self.sync()
            return
        if kind == b"H" or self.skipping:
            return
        handler = {
            b"P": self.parse,
            b"B": self.bind,
            b"D": self.describe,
            b"E": self.execute,
            b"C": self.close,
        }[kind]
        try:
            handler(Body(data))
        except WireError as exc:
            if exc.error is None or exc.error.severity == "FATAL":
                raise
            self.error(exc.error)
            self.skipping = True

"""Result sets on the wire: column definitions, text rows and binary (prepared) rows.

Types come from the engine's ``Column.type_name`` (``VARCHAR(255)``, ``BIGINT UNSIGNED``,
``DECIMAL(10,2)``, ``DATETIME``...), mapped to the MySQL field type, display length, flags
and character set a MariaDB 10.11 server would send for such a column.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol

from phantomnet.sensors.mysql import packets as p

# field types
T_DECIMAL, T_TINY, T_SHORT, T_LONG, T_FLOAT, T_DOUBLE, T_NULL, T_TIMESTAMP = range(8)
T_LONGLONG, T_INT24, T_DATE, T_TIME, T_DATETIME, T_YEAR = range(8, 14)
T_VARCHAR, T_BIT = 15, 16
T_NEWDECIMAL, T_ENUM, T_SET, T_BLOB, T_VAR_STRING, T_STRING = 246, 247, 248, 252, 253, 254

# column flags
NOT_NULL, BLOB_FLAG, UNSIGNED, BINARY_FLAG, ENUM_FLAG, TIMESTAMP_FLAG, SET_FLAG = (
    1, 16, 32, 128, 256, 1024, 2048)  # fmt: skip
NUM_FLAG = 32768

CHARSET_BINARY = 63
CHARSET_UTF8MB4 = 45
NOT_FIXED_DEC = 39

INT_TYPES = {T_TINY: 1, T_SHORT: 2, T_YEAR: 2, T_INT24: 4, T_LONG: 4, T_LONGLONG: 8}
_TYPE = re.compile(r"\s*([A-Za-z_]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?")


class ColumnLike(Protocol):
    """What the engine's ``Column`` offers."""

    @property
    def name(self) -> str: ...
    @property
    def type_name(self) -> str: ...
    @property
    def table(self) -> str: ...
    @property
    def database(self) -> str: ...
    @property
    def nullable(self) -> bool: ...


@dataclass(frozen=True)
class WireType:
    code: int
    length: int
    flags: int
    decimals: int
    charset: int


# base name -> (type, display length, decimals, binary charset?)
_NAMED: dict[str, tuple[int, int, int, bool]] = {
    "TINYINT": (T_TINY, 4, 0, True), "BOOL": (T_TINY, 1, 0, True),
    "BOOLEAN": (T_TINY, 1, 0, True), "SMALLINT": (T_SHORT, 6, 0, True),
    "MEDIUMINT": (T_INT24, 9, 0, True), "INT": (T_LONG, 11, 0, True),
    "INTEGER": (T_LONG, 11, 0, True), "BIGINT": (T_LONGLONG, 20, 0, True),
    "FLOAT": (T_FLOAT, 12, NOT_FIXED_DEC, True), "DOUBLE": (T_DOUBLE, 22, NOT_FIXED_DEC, True),
    "REAL": (T_DOUBLE, 22, NOT_FIXED_DEC, True), "DECIMAL": (T_NEWDECIMAL, 12, 0, True),
    "NUMERIC": (T_NEWDECIMAL, 12, 0, True), "DATE": (T_DATE, 10, 0, True),
    "TIME": (T_TIME, 10, 0, True), "DATETIME": (T_DATETIME, 19, 0, True),
    "TIMESTAMP": (T_TIMESTAMP, 19, 0, True), "YEAR": (T_YEAR, 4, 0, True),
    "CHAR": (T_STRING, 1, 0, False), "VARCHAR": (T_VAR_STRING, 255, 0, False),
    "TINYTEXT": (T_BLOB, 255, 0, False), "TEXT": (T_BLOB, 65535, 0, False),
    "MEDIUMTEXT": (T_BLOB, 16777215, 0, False), "LONGTEXT": (T_BLOB, 4294967295, 0, False),
    "JSON": (T_BLOB, 4294967295, 0, False), "TINYBLOB": (T_BLOB, 255, 0, True),
    "BLOB": (T_BLOB, 65535, 0, True), "MEDIUMBLOB": (T_BLOB, 16777215, 0, True),
    "LONGBLOB": (T_BLOB, 4294967295, 0, True), "BINARY": (T_STRING, 1, 0, True),
    "VARBINARY": (T_VAR_STRING, 255, 0, True), "ENUM": (T_STRING, 1, 0, False),
    "SET": (T_STRING, 1, 0, False), "BIT": (T_BIT, 1, 0, True), "NULL": (T_NULL, 0, 0, True),
}  # fmt: skip


def wire_type(col: ColumnLike) -> WireType:
    m = _TYPE.match(col.type_name or "")
    base = (m.group(1) if m else "").upper().strip() or "VARCHAR"
    size = int(m.group(2)) if m and m.group(2) else None
    scale = int(m.group(3)) if m and m.group(3) else None
    unsigned = "UNSIGNED" in (col.type_name or "").upper()
    code, length, decimals, binary = _NAMED.get(base, _NAMED["VARCHAR"])
    flags = 0 if col.nullable else NOT_NULL
    if binary:
        flags |= BINARY_FLAG
    if code in INT_TYPES or code in (T_FLOAT, T_DOUBLE, T_NEWDECIMAL, T_DECIMAL):
        flags |= NUM_FLAG if code != T_YEAR else 0
        if unsigned:
            flags |= UNSIGNED
            length -= 1 if code in (T_TINY, T_SHORT, T_INT24, T_LONG) else 0
    if code == T_BLOB:
        flags |= BLOB_FLAG
    if base == "ENUM":
        flags |= ENUM_FLAG
    if base == "SET":
        flags |= SET_FLAG
    if code == T_TIMESTAMP:
        flags |= TIMESTAMP_FLAG | BINARY_FLAG
    if code == T_NEWDECIMAL:
        precision = size or 10
        decimals = scale or 0
        length = precision + (1 if decimals else 0) + (0 if unsigned else 1)
    elif (size is not None and code in (T_STRING, T_VAR_STRING)) or code == T_BIT:
        length = size or 1
    elif size is not None and code in INT_TYPES:
        length = size
    charset = CHARSET_BINARY if binary else CHARSET_UTF8MB4
    if charset == CHARSET_UTF8MB4 and code in (T_STRING, T_VAR_STRING, T_BLOB):
        length = min(length * 4, 0xFFFFFFFF)
    return WireType(code, length, flags, decimals, charset)


def column_def(
    col: ColumnLike, *, extended: bool = False, field_list: bool = False
) -> bytes:  # fmt: skip
    wt = wire_type(col)
    name = col.name.encode("utf-8", "surrogateescape")
    table = col.table.encode("utf-8", "surrogateescape")
    out = p.lenenc_str(b"def") + p.lenenc_str(col.database.encode("utf-8", "surrogateescape"))
    out += p.lenenc_str(table) + p.lenenc_str(table) + p.lenenc_str(name)
    out += p.lenenc_str(name if table else b"")
    if extended:
        out += p.lenenc_str(b"\x01\x04json" if col.type_name.upper() == "JSON" else b"")
    out += b"\x0c" + struct.pack("<HIBHB", wt.charset, wt.length, wt.code, wt.flags, wt.decimals)
    out += b"\x00\x00"
    if field_list:
        out += b"\xfb"
    return out


# -- text protocol -------------------------------------------------------------------------
def text_value(value: object) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return b"1" if value else b"0"
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        text = repr(value)
        return (text[:-2] if value.is_integer() and abs(value) < 1e15 else text).encode()
    if isinstance(value, dt.datetime):
        fmt = "%Y-%m-%d %H:%M:%S.%f" if value.microsecond else "%Y-%m-%d %H:%M:%S"
        return value.strftime(fmt).encode()
    if isinstance(value, dt.date):
        return value.isoformat().encode()
    if isinstance(value, dt.timedelta):
        return _time_text(value).encode()
    return str(value).encode("utf-8", "surrogateescape")


def _time_text(td: dt.timedelta) -> str:
    total = int(td.total_seconds())
    sign = "-" if total < 0 else ""
    total = abs(total)
    return f"{sign}{total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}"


def text_row(row: Sequence[object]) -> bytes:
    out = bytearray()
    for value in row:
        data = text_value(value)
        out += b"\xfb" if data is None else p.lenenc_str(data)
    return bytes(out)


# -- binary protocol -----------------------------------------------------------------------
def _as_int(value: object) -> int:
    if isinstance(value, bool | int):
        return int(value)
    try:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
        return int(Decimal(text))
    except (InvalidOperation, ValueError, OverflowError):
        return 0


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0


def _as_datetime(value: object) -> dt.datetime | dt.date | None:
    if isinstance(value, dt.datetime | dt.date):
        return value
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    for parse in (dt.datetime.fromisoformat, dt.date.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def binary_value(code: int, value: object, unsigned: bool) -> bytes:
    if code in INT_TYPES:
        size = INT_TYPES[code]
        n = _as_int(value)
        bits = size * 8
        lo, hi = (0, (1 << bits) - 1) if unsigned else (-(1 << (bits - 1)), (1 << (bits - 1)) - 1)
        n = min(max(n, lo), hi)
        return n.to_bytes(size, "little", signed=not unsigned)
    if code == T_FLOAT:
        return struct.pack("<f", _as_float(value))
    if code == T_DOUBLE:
        return struct.pack("<d", _as_float(value))
    if code in (T_DATE, T_DATETIME, T_TIMESTAMP):
        when = _as_datetime(value)
        if when is None:
            return b"\x00"
        date = struct.pack("<HBB", when.year, when.month, when.day)
        if not isinstance(when, dt.datetime):
            return b"\x04" + date
        if when.microsecond:
            hms = struct.pack("<BBBI", when.hour, when.minute, when.second, when.microsecond)
            return b"\x0b" + date + hms
        return b"\x07" + date + struct.pack("<BBB", when.hour, when.minute, when.second)
    if code == T_TIME and isinstance(value, dt.timedelta):
        total = abs(int(value.total_seconds()))
        neg = 1 if value.total_seconds() < 0 else 0
        days, rest = divmod(total, 86400)
        return b"\x08" + struct.pack("<BIBBB", neg, days, rest // 3600, rest // 60 % 60, rest % 60)
    data = text_value(value)
    return p.lenenc_str(data or b"")


def binary_row(types: Sequence[WireType], row: Sequence[object]) -> bytes:
    bitmap = bytearray((len(types) + 7 + 2) // 8)
    body = bytearray()
    for i, (wt, value) in enumerate(zip(types, row, strict=False)):
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            bitmap[(i + 2) // 8] |= 1 << ((i + 2) % 8)
            continue
        body += binary_value(wt.code, value, bool(wt.flags & UNSIGNED))
    return b"\x00" + bytes(bitmap) + bytes(body)


def decode_param(cur: p.Cursor, code: int, unsigned: bool) -> object:
    """One bound parameter of COM_STMT_EXECUTE, as a Python value."""
    if code in (T_TINY, T_SHORT, T_LONG, T_LONGLONG, T_INT24, T_YEAR):
        size = {T_TINY: 1, T_SHORT: 2, T_YEAR: 2, T_LONG: 4, T_INT24: 4, T_LONGLONG: 8}[code]
        return int.from_bytes(cur.take(size), "little", signed=not unsigned)
    if code == T_FLOAT:
        return float(struct.unpack("<f", cur.take(4))[0])
    if code == T_DOUBLE:
        return float(struct.unpack("<d", cur.take(8))[0])
    if code in (T_DATE, T_DATETIME, T_TIMESTAMP):
        raw = cur.take(cur.u8())
        year, month, day = struct.unpack("<HBB", raw[:4]) if len(raw) >= 4 else (0, 0, 0)
        h, mi, s = (raw[4], raw[5], raw[6]) if len(raw) >= 7 else (0, 0, 0)
        us = int.from_bytes(raw[7:11], "little") if len(raw) >= 11 else 0
        text = f"{year:04d}-{month:02d}-{day:02d}"
        if code == T_DATE and len(raw) <= 4:
            return text
        return f"{text} {h:02d}:{mi:02d}:{s:02d}" + (f".{us:06d}" if us else "")
    if code == T_TIME:
        raw = cur.take(cur.u8())
        if len(raw) < 8:
            return "00:00:00"
        neg, days, h, mi, s = struct.unpack("<BIBBB", raw[:8])
        return f"{'-' if neg else ''}{days * 24 + h:02d}:{mi:02d}:{s:02d}"
    if code == T_NULL:
        return None
    data = cur.lenenc_bytes()
    if code in (T_BLOB, 249, 250, 251) and not _is_text(data):
        return data
    return data.decode("utf-8", "replace")


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True

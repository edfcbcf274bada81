"""PostgreSQL types on the wire: OIDs and lengths (pg_type of 15), text and binary output of
the engine's Python values, and decoding of Bind parameters.

Encoders are total: a value that does not fit its declared type falls back to its text form
(binary ints and floats that do not parse become the text bytes, which a client reports as a
decoding error of that column, never a dead server).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import struct
import uuid
from decimal import Decimal, InvalidOperation

#: typname → (oid, typlen)
TYPES: dict[str, tuple[int, int]] = {
    "bool": (16, 1),
    "bytea": (17, -1),
    "char": (18, 1),
    "name": (19, 64),
    "int8": (20, 8),
    "int2": (21, 2),
    "int2vector": (22, -1),
    "int4": (23, 4),
    "regproc": (24, 4),
    "text": (25, -1),
    "oid": (26, 4),
    "tid": (27, 6),
    "xid": (28, 4),
    "cid": (29, 4),
    "oidvector": (30, -1),
    "json": (114, -1),
    "xml": (142, -1),
    "pg_node_tree": (194, -1),
    "cidr": (650, -1),
    "float4": (700, 4),
    "float8": (701, 8),
    "unknown": (705, -2),
    "money": (790, 8),
    "macaddr": (829, 6),
    "inet": (869, -1),
    "_bool": (1000, -1),
    "_char": (1002, -1),
    "_name": (1003, -1),
    "_int2": (1005, -1),
    "_int4": (1007, -1),
    "_text": (1009, -1),
    "_varchar": (1015, -1),
    "_int8": (1016, -1),
    "_float8": (1022, -1),
    "_oid": (1028, -1),
    "aclitem": (1033, 12),
    "_aclitem": (1034, -1),
    "bpchar": (1042, -1),
    "varchar": (1043, -1),
    "date": (1082, 4),
    "time": (1083, 8),
    "timestamp": (1114, 8),
    "timestamptz": (1184, 8),
    "interval": (1186, 16),
    "timetz": (1266, 12),
    "bit": (1560, -1),
    "varbit": (1562, -1),
    "numeric": (1700, -1),
    "regprocedure": (2202, 4),
    "regoper": (2203, 4),
    "regclass": (2205, 4),
    "regtype": (2206, 4),
    "record": (2249, -1),
    "anyarray": (2277, -1),
    "void": (2278, 4),
    "uuid": (2950, 16),
    "pg_lsn": (3220, 8),
    "regconfig": (3734, 4),
    "jsonb": (3802, -1),
    "regnamespace": (4089, 4),
    "regrole": (4096, 4),
}

ALIASES = {
    "integer": "int4",
    "int": "int4",
    "serial": "int4",
    "bigint": "int8",
    "bigserial": "int8",
    "smallint": "int2",
    "boolean": "bool",
    "character varying": "varchar",
    "string": "text",
    "double precision": "float8",
    "float": "float8",
    "real": "float4",
    "decimal": "numeric",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "character": "bpchar",
    '"char"': "char",
    "text[]": "_text",
    "name[]": "_name",
    "oid[]": "_oid",
    "integer[]": "_int4",
    "int4[]": "_int4",
    "int2[]": "_int2",
    "int8[]": "_int8",
    "char[]": "_char",
    "aclitem[]": "_aclitem",
    "bool[]": "_bool",
    "float8[]": "_float8",
    "varchar[]": "_varchar",
}

#: array type oid → element type oid
ELEMENT = {
    1000: 16,
    1002: 18,
    1003: 19,
    1005: 21,
    1007: 23,
    1009: 25,
    1015: 1043,
    1016: 20,
    1022: 701,
    1028: 26,
    1034: 1033,
}
BY_OID = {oid: name for name, (oid, _) in TYPES.items()}
INT_OIDS = {
    20: "!q",
    21: "!h",
    23: "!i",
    26: "!I",
    24: "!I",
    2205: "!I",
    2206: "!I",
    4089: "!I",
    4096: "!I",
    28: "!I",
    29: "!I",
    2202: "!I",
    2203: "!I",
}
_EPOCH = dt.datetime(2000, 1, 1)
_EPOCH_DATE = dt.date(2000, 1, 1)


def lookup(type_name: str) -> tuple[int, int]:
    """(oid, typlen) of a type name the engine reports (unknown names are text)."""
    name = type_name.strip().lower()
    name = ALIASES.get(name, name)
    if "(" in name:  # varchar(255), numeric(10,2)
        name = ALIASES.get(name.split("(")[0].strip(), name.split("(")[0].strip())
    return TYPES.get(name, TYPES["text"])


# -- text output -------------------------------------------------------------------------------


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _array_text(items: list[object] | tuple[object, ...], elem: int) -> str:
    parts = []
    for item in items:
        if item is None:
            parts.append("NULL")
            continue
        text = to_text(item, elem)
        if text == "" or re.search(r'[\s{},"\\]', text) or text.upper() == "NULL":
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        parts.append(text)
    return "{" + ",".join(parts) + "}"


def _trim(stamp: str) -> str:
    """PostgreSQL prints fractional seconds without trailing zeros (``15.25``, not ``.250000``)."""
    if "." in stamp:
        stamp = stamp.rstrip("0").rstrip(".")
    return stamp


def to_text(value: object, oid: int) -> str:
    """The text output of ``value`` as a PostgreSQL column of type ``oid``."""
    if isinstance(value, bool) or (oid == 16 and isinstance(value, int | str)):
        if isinstance(value, str):
            return "t" if value.lower() in ("t", "true", "1", "on", "yes", "y") else "f"
        return "t" if value else "f"
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else "NaN"
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if oid == 17:
            return "\\x" + raw.hex()
        return raw.decode("utf-8", "replace")
    if isinstance(value, dt.datetime):
        if oid == 1184:
            if value.tzinfo is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return _trim(value.isoformat(" ")) + "+00"
        return _trim(value.replace(tzinfo=None).isoformat(" "))
    if isinstance(value, dt.time):
        return _trim(value.isoformat())
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return _array_text(value, ELEMENT.get(oid, 25))
    return str(value)


# -- binary output -----------------------------------------------------------------------------


def _numeric_binary(value: Decimal) -> bytes:
    if not value.is_finite():
        return struct.pack("!hhHh", 0, 0, 0xC000, 0)
    sign, digits, exp = value.as_tuple()
    assert isinstance(exp, int)
    dscale = max(0, -exp)
    text = "".join(map(str, digits))
    # split into integer and fraction parts of base-10 digits
    if exp >= 0:
        int_part, frac_part = text + "0" * exp, ""
    else:
        cut = len(text) + exp
        int_part = text[:cut] if cut > 0 else ""
        frac_part = ("0" * -cut + text) if cut < 0 else text[cut:]
    int_part = int_part.lstrip("0")
    int_part = "0" * (-len(int_part) % 4) + int_part
    frac_part = frac_part + "0" * (-len(frac_part) % 4)
    groups = [int(int_part[i : i + 4]) for i in range(0, len(int_part), 4)]
    weight = len(groups) - 1
    groups += [int(frac_part[i : i + 4]) for i in range(0, len(frac_part), 4)]
    while groups and groups[0] == 0:  # leading zero groups lower the weight
        groups.pop(0)
        weight -= 1
    while groups and groups[-1] == 0:
        groups.pop()
    if not groups:
        weight = 0
    head = struct.pack("!hhHH", len(groups), weight, 0x4000 if sign else 0, dscale)
    return head + b"".join(struct.pack("!H", g) for g in groups)


def _array_binary(items: list[object] | tuple[object, ...], elem: int) -> bytes:
    has_null = any(i is None for i in items)
    out = bytearray(struct.pack("!iiIii", 1, int(has_null), elem, len(items), 1))
    for item in items:
        if item is None:
            out += struct.pack("!i", -1)
        else:
            data = to_binary(item, elem)
            out += struct.pack("!i", len(data)) + data
    return bytes(out)


def _parse_array_text(text: str) -> list[object]:
    inner = text.strip()[1:-1]
    if not inner:
        return []
    out: list[object] = []
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|([^,]+)', inner):
        if m.group(1) is not None:
            out.append(re.sub(r"\\(.)", r"\1", m.group(1)))
        else:
            item = m.group(2).strip()
            out.append(None if item.upper() == "NULL" else item)
    return out


def to_binary(value: object, oid: int) -> bytes:
    """The binary send format of ``value`` as type ``oid`` (text bytes when it cannot be)."""
    try:
        return _to_binary(value, oid)
    except (ValueError, TypeError, OverflowError, InvalidOperation, struct.error):
        return to_text(value, oid).encode("utf-8", "replace")


def _to_binary(value: object, oid: int) -> bytes:
    fmt = INT_OIDS.get(oid)
    if fmt is not None:
        number = int(value) if not isinstance(value, str) else int(value.strip())  # type: ignore[call-overload]
        return struct.pack(fmt, number)
    if oid == 16:
        return b"\x01" if to_text(value, 16) == "t" else b"\x00"
    if oid in (700, 701):
        number = float(value)  # type: ignore[arg-type]
        return struct.pack("!f" if oid == 700 else "!d", number)
    if oid == 17:
        if isinstance(value, bytes | bytearray | memoryview):
            return bytes(value)
        text = str(value)
        return bytes.fromhex(text[2:]) if text.startswith("\\x") else text.encode()
    if oid == 1700:
        return _numeric_binary(Decimal(str(value)))
    if oid == 1082:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        if isinstance(day, dt.datetime):
            day = day.date()
        return struct.pack("!i", (day - _EPOCH_DATE).days)
    if oid in (1114, 1184):
        when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        if when.tzinfo is not None:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
        delta = when - _EPOCH
        micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        return struct.pack("!q", micros)
    if oid == 2950:
        return uuid.UUID(str(value)).bytes
    if oid == 3802:
        return b"\x01" + to_text(value, oid).encode()
    if oid in ELEMENT:
        items = value if isinstance(value, list | tuple) else _parse_array_text(str(value))
        return _array_binary(items, ELEMENT[oid])
    if oid == 18:
        return to_text(value, oid).encode()[:1]
    return to_text(value, oid).encode("utf-8", "replace")


# -- Bind parameters ---------------------------------------------------------------------------


def param_from_text(raw: bytes, oid: int) -> object:
    """A text-format parameter as the Python value the engine binds."""
    text = raw.decode("utf-8", "surrogateescape")
    try:
        if oid in (20, 21, 23, 26):
            return int(text.strip())
        if oid in (700, 701):
            return float(text)
        if oid == 1700:
            return Decimal(text.strip())
        if oid == 16:
            return text.strip().lower() in ("t", "true", "1", "on", "yes", "y")
    except (ValueError, InvalidOperation):
        return text
    return text


def param_from_binary(raw: bytes, oid: int) -> object:
    """A binary-format parameter (raises ValueError when the bytes do not fit the type)."""
    try:
        fmt = INT_OIDS.get(oid)
        if fmt is not None:
            return int(struct.unpack(fmt, raw)[0])
        if oid == 16:
            if len(raw) != 1:
                raise ValueError("bool")
            return raw != b"\x00"
        if oid in (700, 701):
            return float(struct.unpack("!f" if oid == 700 else "!d", raw)[0])
        if oid == 17:
            return raw
        if oid == 1082:
            return _EPOCH_DATE + dt.timedelta(days=struct.unpack("!i", raw)[0])
        if oid in (1114, 1184):
            return _EPOCH + dt.timedelta(microseconds=struct.unpack("!q", raw)[0])
        if oid == 2950:
            return str(uuid.UUID(bytes=raw))
        if oid == 1700:
            return _numeric_from_binary(raw)
        if oid == 3802:
            return raw[1:].decode("utf-8")
    except (struct.error, OverflowError) as exc:
        raise ValueError(str(exc)) from exc
    return raw.decode("utf-8", "surrogateescape")


def _numeric_from_binary(raw: bytes) -> Decimal:
    ndigits, weight, sign, dscale = struct.unpack("!hhHH", raw[:8])
    if sign == 0xC000:
        return Decimal("NaN")
    digits = struct.unpack(f"!{ndigits}H", raw[8 : 8 + 2 * ndigits])
    value = Decimal(0)
    for i, d in enumerate(digits):
        value += Decimal(d) * (Decimal(10000) ** (weight - i))
    value = value.quantize(Decimal(1).scaleb(-dscale)) if dscale else value
    return -value if sign == 0x4000 else value


_CAST = re.compile(r"\$(\d+)\s*::\s*([a-z_][a-z0-9_ ]*(?:\[\])?)", re.IGNORECASE)
_PARAM = re.compile(r"\$(\d+)")


def infer_param_types(sql: str, count: int, given: list[int]) -> list[int]:
    """Parameter type OIDs for ParameterDescription: what the client declared, else the cast in
    the statement (``$1::int4``), else text."""
    casts: dict[int, int] = {}
    for m in _CAST.finditer(sql):
        casts.setdefault(int(m.group(1)), lookup(m.group(2).split()[0])[0])
    out = []
    for i in range(1, count + 1):
        declared = given[i - 1] if i <= len(given) else 0
        out.append(declared or casts.get(i, 25))
    return out


def param_count(sql: str) -> int:
    return max((int(m.group(1)) for m in _PARAM.finditer(sql)), default=0)

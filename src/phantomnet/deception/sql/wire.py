"""Type codes the doors put on the wire for a :class:`~.model.Column` (additive helpers).

``pg_type_oid`` gives the ``pg_type`` oid for a PostgreSQL ``type_name`` (RowDescription),
``mysql_type_code`` the MySQL protocol field type for a MySQL ``type_name`` (column
definition packets: VARCHAR/TEXT results travel as VAR_STRING/BLOB like on a real server).
"""

from __future__ import annotations

from phantomnet.deception.sql.pgcatalog import TYPES

MYSQL_TYPES = {
    "DECIMAL": 0xF6, "TINYINT": 0x01, "SMALLINT": 0x02, "INT": 0x03, "FLOAT": 0x04,
    "DOUBLE": 0x05, "NULL": 0x06, "TIMESTAMP": 0x07, "BIGINT": 0x08, "MEDIUMINT": 0x09,
    "DATE": 0x0A, "TIME": 0x0B, "DATETIME": 0x0C, "YEAR": 0x0D, "VARCHAR": 0xFD,
    "CHAR": 0xFE, "ENUM": 0xFE, "TEXT": 0xFC, "BLOB": 0xFC, "VARBINARY": 0xFD, "BINARY": 0xFE,
}  # fmt: skip
PG_EXTRA = {"regclass": 2205, "regtype": 2206, "unknown": 705, "char": 18, "xid": 28}


def pg_type_oid(type_name: str) -> int:
    """``pg_type.oid`` of a PostgreSQL type name (``text`` for anything unknown)."""
    name = type_name.lower()
    if name in TYPES:
        return TYPES[name][0]
    return PG_EXTRA.get(name, TYPES["text"][0])


def mysql_type_code(type_name: str) -> int:
    """MySQL protocol column type (``MYSQL_TYPE_*``) of a MySQL type name."""
    return MYSQL_TYPES.get(type_name.upper(), 0xFD)

"""MariaDB's ``information_schema`` for one session, rebuilt from its databases when read.

The tables and their column order are MariaDB 10.11's (``data/mariadb_information_schema.tsv``,
read from the real server); rows describe the session's own databases, so a table an
attacker created shows up in ``information_schema.TABLES`` as on a real server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from phantomnet.deception.sql import catalog

if TYPE_CHECKING:
    from phantomnet.deception.sql.engine import SqlEngine
    from phantomnet.deception.sql.session import SqlSession

_NUMERIC = {
    "int": (10, 0),
    "tinyint": (3, 0),
    "smallint": (5, 0),
    "mediumint": (7, 0),
    "bigint": (19, 0),
    "integer": (10, 0),
}


def _columns(lines: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for row in lines:
        if len(row) >= 3:
            out.setdefault(row[0], []).append((row[1], row[2]))
    return out


def refresh_mysql(engine: SqlEngine, s: SqlSession, lines: tuple[tuple[str, ...], ...]) -> None:
    tables = _columns(lines)
    rows: dict[str, list[dict[str, object]]] = {t: [] for t in tables}
    cat = s.catalog()
    created = engine.created_at().strftime("%Y-%m-%d %H:%M:%S")
    visible = engine.user_databases("mysql")
    rows["SCHEMATA"] = [
        {
            "CATALOG_NAME": "def",
            "SCHEMA_NAME": db,
            "DEFAULT_CHARACTER_SET_NAME": "utf8mb4",
            "DEFAULT_COLLATION_NAME": "utf8mb4_general_ci",
            "SCHEMA_COMMENT": "",
        }
        for db in ["information_schema", *visible]
    ]
    for name in engine.information_schema_tables():
        rows["TABLES"].append(
            {
                "TABLE_CATALOG": "def",
                "TABLE_SCHEMA": "information_schema",
                "TABLE_NAME": name,
                "TABLE_TYPE": "SYSTEM VIEW",
                "ENGINE": "MEMORY" if name != "COLUMNS" else "Aria",
                "VERSION": 11,
                "ROW_FORMAT": "Fixed",
                "TABLE_ROWS": None,
                "CREATE_TIME": None,
                "TABLE_COLLATION": "utf8mb3_general_ci",
                "CREATE_OPTIONS": "",
                "TABLE_COMMENT": "",
                "TEMPORARY": "Y",
            }
        )
    rows["COLUMNS"].extend(_own_columns(engine))
    for db in visible:
        for table, cols in cat.get(db, {}).items():
            n = engine.row_count(s, db, table)
            rows["TABLES"].append(
                {
                    "TABLE_CATALOG": "def",
                    "TABLE_SCHEMA": db,
                    "TABLE_NAME": table,
                    "TABLE_TYPE": "BASE TABLE",
                    "ENGINE": "InnoDB",
                    "VERSION": 10,
                    "ROW_FORMAT": "Dynamic",
                    "TABLE_ROWS": n,
                    "AVG_ROW_LENGTH": 16384 // max(1, n) if n else 0,
                    "DATA_LENGTH": 16384 * (1 + n // 100),
                    "MAX_DATA_LENGTH": 0,
                    "INDEX_LENGTH": 0,
                    "DATA_FREE": 0,
                    "AUTO_INCREMENT": engine.next_id(s, db, table) or None,
                    "CREATE_TIME": created,
                    "TABLE_COLLATION": "utf8mb4_general_ci",
                    "CREATE_OPTIONS": "",
                    "TABLE_COMMENT": "",
                    "MAX_INDEX_LENGTH": 0,
                    "TEMPORARY": "N",
                }
            )
            for pos, c in enumerate(cols, 1):
                decl = catalog.mysql_decl(c)
                base, n_len, scale = catalog.parse_decl(decl)
                text_like = base in (
                    "varchar",
                    "char",
                    "text",
                    "longtext",
                    "mediumtext",
                    "tinytext",
                )
                length = n_len if base in ("varchar", "char") else 65535 if base == "text" else None
                prec = _NUMERIC.get(base, (n_len, scale) if base == "decimal" else (None, None))
                rows["COLUMNS"].append(
                    {
                        "TABLE_CATALOG": "def",
                        "TABLE_SCHEMA": db,
                        "TABLE_NAME": table,
                        "COLUMN_NAME": c.name,
                        "ORDINAL_POSITION": pos,
                        "COLUMN_DEFAULT": "NULL" if c.default is None and not c.pk else c.default,
                        "IS_NULLABLE": "NO" if c.pk or c.notnull else "YES",
                        "DATA_TYPE": base,
                        "CHARACTER_MAXIMUM_LENGTH": length,
                        "CHARACTER_OCTET_LENGTH": length * 4 if length else None,
                        "NUMERIC_PRECISION": prec[0],
                        "NUMERIC_SCALE": prec[1],
                        "DATETIME_PRECISION": 0 if base in ("datetime", "timestamp") else None,
                        "CHARACTER_SET_NAME": "utf8mb4" if text_like else None,
                        "COLLATION_NAME": "utf8mb4_general_ci" if text_like else None,
                        "COLUMN_TYPE": decl,
                        "COLUMN_KEY": "PRI" if c.pk else "",
                        "EXTRA": "auto_increment" if c.pk and c.decl.lower() == "integer" else "",
                        "PRIVILEGES": "select,insert,update,references",
                        "COLUMN_COMMENT": "",
                        "IS_GENERATED": "NEVER",
                        "GENERATION_EXPRESSION": None,
                    }
                )
                if c.pk:
                    rows["STATISTICS"].append(
                        {
                            "TABLE_CATALOG": "def",
                            "TABLE_SCHEMA": db,
                            "TABLE_NAME": table,
                            "NON_UNIQUE": 0,
                            "INDEX_SCHEMA": db,
                            "INDEX_NAME": "PRIMARY",
                            "SEQ_IN_INDEX": 1,
                            "COLUMN_NAME": c.name,
                            "COLLATION": "A",
                            "CARDINALITY": n,
                            "NULLABLE": "",
                            "INDEX_TYPE": "BTREE",
                            "COMMENT": "",
                            "INDEX_COMMENT": "",
                            "IGNORED": "NO",
                        }
                    )
                    rows["KEY_COLUMN_USAGE"].append(
                        {
                            "CONSTRAINT_CATALOG": "def",
                            "CONSTRAINT_SCHEMA": db,
                            "CONSTRAINT_NAME": "PRIMARY",
                            "TABLE_CATALOG": "def",
                            "TABLE_SCHEMA": db,
                            "TABLE_NAME": table,
                            "COLUMN_NAME": c.name,
                            "ORDINAL_POSITION": 1,
                        }
                    )
                    rows["TABLE_CONSTRAINTS"].append(
                        {
                            "CONSTRAINT_CATALOG": "def",
                            "CONSTRAINT_SCHEMA": db,
                            "CONSTRAINT_NAME": "PRIMARY",
                            "TABLE_SCHEMA": db,
                            "TABLE_NAME": table,
                            "CONSTRAINT_TYPE": "PRIMARY KEY",
                        }
                    )
    grantee = f"'{s.user}'@'%'"
    rows["USER_PRIVILEGES"] = [
        {
            "GRANTEE": grantee,
            "TABLE_CATALOG": "def",
            "PRIVILEGE_TYPE": "USAGE",
            "IS_GRANTABLE": "NO",
        }
    ]
    for db in visible:
        for priv in (
            "SELECT",
            "INSERT",
            "UPDATE",
            "DELETE",
            "CREATE",
            "DROP",
            "REFERENCES",
            "INDEX",
            "ALTER",
            "CREATE TEMPORARY TABLES",
            "LOCK TABLES",
            "EXECUTE",
            "CREATE VIEW",
            "SHOW VIEW",
            "CREATE ROUTINE",
            "ALTER ROUTINE",
            "EVENT",
            "TRIGGER",
            "DELETE HISTORY",
        ):
            rows["SCHEMA_PRIVILEGES"].append(
                {
                    "GRANTEE": grantee,
                    "TABLE_CATALOG": "def",
                    "TABLE_SCHEMA": db,
                    "PRIVILEGE_TYPE": priv,
                    "IS_GRANTABLE": "NO",
                }
            )
    rows["PROCESSLIST"] = [
        {
            "ID": s.connection_id,
            "USER": s.user,
            "HOST": s.host,
            "DB": s.database,
            "COMMAND": "Query",
            "TIME": 0,
            "STATE": "Filling schema table",
            "INFO": None,
            "TIME_MS": 0.0,
            "STAGE": 0,
            "MAX_STAGE": 0,
            "PROGRESS": 0.0,
            "MEMORY_USED": 90000,
            "MAX_MEMORY_USED": 90000,
            "EXAMINED_ROWS": 0,
            "QUERY_ID": s.connection_id * 7,
            "TID": 1200 + s.connection_id,
        }
    ]
    merged = s.mode.__dict__.get("variables", {}) | s.mode.__dict__.get("session_vars", {})
    rows["GLOBAL_VARIABLES"] = [
        {"VARIABLE_NAME": k.upper(), "VARIABLE_VALUE": v} for k, v in merged.items()
    ]
    rows["SESSION_VARIABLES"] = list(rows["GLOBAL_VARIABLES"])
    rows["GLOBAL_STATUS"] = [
        {"VARIABLE_NAME": str(k).upper(), "VARIABLE_VALUE": v} for k, v in engine.mysql_status()
    ]
    rows["SESSION_STATUS"] = list(rows["GLOBAL_STATUS"])
    rows["PARTITIONS"] = [
        {
            "TABLE_CATALOG": "def",
            "TABLE_SCHEMA": t["TABLE_SCHEMA"],
            "TABLE_NAME": t["TABLE_NAME"],
            "TABLE_ROWS": t.get("TABLE_ROWS"),
            "AVG_ROW_LENGTH": t.get("AVG_ROW_LENGTH"),
            "DATA_LENGTH": t.get("DATA_LENGTH"),
            "MAX_DATA_LENGTH": 0,
            "INDEX_LENGTH": t.get("INDEX_LENGTH"),
            "DATA_FREE": 0,
            "CREATE_TIME": t.get("CREATE_TIME"),
            "PARTITION_COMMENT": "",
            "NODEGROUP": "",
        }
        for t in rows["TABLES"]
        if t["TABLE_TYPE"] == "BASE TABLE"
    ]
    from phantomnet.deception.sql.mysqlmode import CHARSETS, COLLATIONS, ENGINES, PLUGINS

    rows["ENGINES"] = [
        dict(
            zip(
                ("ENGINE", "SUPPORT", "COMMENT", "TRANSACTIONS", "XA", "SAVEPOINTS"), e, strict=True
            )
        )
        for e in ENGINES
    ]
    rows["CHARACTER_SETS"] = [
        dict(
            zip(
                ("CHARACTER_SET_NAME", "DESCRIPTION", "DEFAULT_COLLATE_NAME", "MAXLEN"),
                (c[0], c[1], c[2], c[3]),
                strict=True,
            )
        )
        for c in CHARSETS
    ]
    rows["COLLATIONS"] = [
        dict(
            zip(
                (
                    "COLLATION_NAME",
                    "CHARACTER_SET_NAME",
                    "ID",
                    "IS_DEFAULT",
                    "IS_COMPILED",
                    "SORTLEN",
                ),
                c,
                strict=True,
            )
        )
        for c in COLLATIONS
    ]
    rows["PLUGINS"] = [
        {
            "PLUGIN_NAME": p[0],
            "PLUGIN_STATUS": p[1],
            "PLUGIN_TYPE": p[2],
            "PLUGIN_LIBRARY": p[3],
            "PLUGIN_LICENSE": p[4],
        }
        for p in PLUGINS
    ]
    write_tables(s, "information_schema", tables, rows)


_OWN_COLUMNS = ("TABLE_NAME", "COLUMN_NAME", "ORDINAL_POSITION", "COLUMN_DEFAULT", "IS_NULLABLE",
                "DATA_TYPE", "CHARACTER_MAXIMUM_LENGTH", "CHARACTER_OCTET_LENGTH",
                "NUMERIC_PRECISION", "NUMERIC_SCALE", "DATETIME_PRECISION", "CHARACTER_SET_NAME",
                "COLLATION_NAME", "COLUMN_TYPE")  # fmt: skip


def _own_columns(engine: SqlEngine) -> list[dict[str, object]]:
    """information_schema's own columns in information_schema.COLUMNS, as MariaDB lists them
    (sqlmap --schema reads them)."""
    out: list[dict[str, object]] = []
    for line in engine.information_schema_columns():
        row: dict[str, object] = {
            k: (None if v == "\\N" else int(v) if v.isdigit() and k != "COLUMN_DEFAULT" else v)
            for k, v in zip(_OWN_COLUMNS, line, strict=False)
        }
        row |= {"TABLE_CATALOG": "def", "TABLE_SCHEMA": "information_schema", "COLUMN_KEY": "",
                "EXTRA": "", "PRIVILEGES": "select", "COLUMN_COMMENT": "",
                "IS_GENERATED": "NEVER", "GENERATION_EXPRESSION": None}  # fmt: skip
        out.append(row)
    return out


def write_tables(
    s: SqlSession,
    schema: str,
    tables: dict[str, list[tuple[str, str]]],
    rows: dict[str, list[dict[str, object]]],
) -> None:
    """(Re)create ``schema``'s tables in the session's in-memory database and fill them."""
    with s.sandbox.trusted() as conn:
        existing = {
            r[0].lower()
            for r in conn.execute(
                f"SELECT name FROM \"{schema}\".sqlite_master WHERE type = 'table'"
            )
        }
        conn.execute("SAVEPOINT catalog_refresh")
        for table, cols in tables.items():
            names = [c for c, _t in cols]
            if table.lower() not in existing:
                decl = ", ".join(f'"{c}" "{t}"' for c, t in cols)
                conn.execute(f'CREATE TABLE "{schema}"."{table}" ({decl})')
            else:
                conn.execute(f'DELETE FROM "{schema}"."{table}"')
            data = rows.get(table, [])
            if data:
                marks = ", ".join("?" * len(names))
                conn.executemany(
                    f'INSERT INTO "{schema}"."{table}" VALUES ({marks})',
                    [tuple(_plain(r.get(c)) for c in names) for r in data],
                )
        conn.execute("RELEASE catalog_refresh")
    if schema not in s.memory_schemas:
        s.memory_schemas.add(schema)
        s._catalog = None


def _plain(value: object) -> object:
    if value is None or isinstance(value, int | float | str | bytes):
        return value
    return str(value)

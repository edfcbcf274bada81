"""PostgreSQL 15's ``pg_catalog`` (and ``information_schema``) for one session.

Table and column names/types are the real server's (``data/pg_catalog.tsv``); rows describe
the session's database: its tables (relkind ``r``) with their primary-key indexes, columns,
types, the roles, the databases. Catalogue tables nobody fills stay empty, like on a fresh
cluster. Object ids are stable per table name so ``\\d`` follow-up queries find them.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from phantomnet.deception.sql import catalog
from phantomnet.deception.sql.infoschema import write_tables

if TYPE_CHECKING:
    from phantomnet.deception.sql.engine import SqlEngine
    from phantomnet.deception.sql.session import SqlSession

NS = {"pg_catalog": 11, "pg_toast": 99, "public": 2200, "information_schema": 13207}
TYPES = {  # typname: (oid, typlen, typcategory, array oid, collation)
    "bool": (16, 1, "B", 1000, 0),
    "bytea": (17, -1, "U", 1001, 0),
    "name": (19, 64, "S", 1003, 950),
    "int8": (20, 8, "N", 1016, 0),
    "int2": (21, 2, "N", 1005, 0),
    "int4": (23, 4, "N", 1007, 0),
    "text": (25, -1, "S", 1009, 100),
    "oid": (26, 4, "N", 1028, 0),
    "json": (114, -1, "U", 199, 0),
    "float4": (700, 4, "N", 1021, 0),
    "float8": (701, 8, "N", 1022, 0),
    "bpchar": (1042, -1, "S", 1014, 100),
    "varchar": (1043, -1, "S", 1015, 100),
    "date": (1082, 4, "D", 1182, 0),
    "time": (1083, 8, "D", 1183, 0),
    "timestamp": (1114, 8, "D", 1115, 0),
    "numeric": (1700, -1, "N", 1231, 0),
    "uuid": (2950, 16, "U", 2951, 0),
    "jsonb": (3802, -1, "U", 3807, 0),
}
TYPE_BY_OID = {v[0]: k for k, v in TYPES.items()}
OWNER_OID = 16384
#: pg_namespace.nspacl as PostgreSQL 15 initdb leaves it (pg_dump diffs it with acldefault())
NSP_ACL = {
    "pg_catalog": "{postgres=UC/postgres,=U/postgres}",
    "public": "{pg_database_owner=UC/pg_database_owner,=U/pg_database_owner}",
    "information_schema": "{postgres=UC/postgres,=U/postgres}",
}
#: PostgreSQL 15's predefined (NOLOGIN) roles, as pg_roles lists them
PREDEFINED_ROLES = (
    ("pg_monitor", 3373), ("pg_read_all_settings", 3374), ("pg_read_all_stats", 3375),
    ("pg_stat_scan_tables", 3377), ("pg_signal_backend", 4200), ("pg_checkpoint", 4544),
    ("pg_read_server_files", 4569), ("pg_write_server_files", 4570),
    ("pg_execute_server_program", 4571), ("pg_database_owner", 6171),
    ("pg_read_all_data", 6181), ("pg_write_all_data", 6182),
)  # fmt: skip


def table_oid(db: str, table: str) -> int:
    return 16385 + (zlib.crc32(f"{db}.{table}".encode()) % 400000) * 4


def typmod(decl: str) -> int:
    _base, n, s = catalog.parse_decl(decl)
    t = catalog.pg_type(decl)
    if t in ("varchar", "bpchar") and n is not None:
        return n + 4
    if t == "numeric" and n is not None:
        return ((n << 16) | (s or 0)) + 4
    return -1


def format_type(type_oid: object, mod: object) -> str | None:
    if type_oid is None:
        return None
    name = TYPE_BY_OID.get(
        int(type_oid)
        if isinstance(type_oid, int | float | str) and str(type_oid).lstrip("-").isdigit()
        else -1
    )
    if name is None:
        return "???"
    m = int(mod) if isinstance(mod, int) else -1
    pretty = catalog.PG_FORMAT.get(name, name)
    if name in ("varchar", "bpchar") and m > 4:
        return f"{pretty}({m - 4})"
    if name == "numeric" and m > 4:
        v = m - 4
        return f"numeric({v >> 16},{v & 0xFFFF})"
    return pretty


def _columns(lines: tuple[tuple[str, ...], ...]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for row in lines:
        if len(row) >= 4:
            sqlite_type = {
                "bool": "boolean",
                "oid": "int",
                "int2": "int",
                "int4": "int",
                "int8": "bigint",
                "float4": "real",
                "float8": "real",
            }.get(row[3], "text")
            out.setdefault(row[0], []).append((row[1], sqlite_type))
    return out


def refresh(engine: SqlEngine, s: SqlSession, lines: tuple[tuple[str, ...], ...]) -> None:
    tables = _columns(lines)
    rows: dict[str, list[dict[str, object]]] = {t: [] for t in tables}
    cat = s.catalog()
    db = s.database or "postgres"
    owner = s.user
    for i, name in enumerate(engine.databases("postgres")):
        oid = {"template1": 1, "template0": 4, "postgres": 5}.get(name, 16390 + i)
        acl = "{=c/postgres,postgres=CTc/postgres}" if name.startswith("template") else None
        rows["pg_database"].append(
            {
                "oid": oid,
                "datname": name,
                "datdba": 10 if name in ("postgres", "template0", "template1") else OWNER_OID,
                "encoding": 6,
                "datlocprovider": "c",
                "datistemplate": name.startswith("template"),
                "datallowconn": name != "template0",
                "datconnlimit": -1,
                "datfrozenxid": 717,
                "datminmxid": 1,
                "dattablespace": 1663,
                "datcollate": "C.UTF-8",
                "datctype": "C.UTF-8",
                "daticulocale": None,
                "datcollversion": None,
                "datacl": acl,
            }
        )
    rows["pg_description"].append(
        {"objoid": NS["public"], "classoid": 2615, "objsubid": 0,
         "description": "standard public schema"}
    )  # fmt: skip
    for name in ("pg_catalog", "public"):
        rows["pg_init_privs"].append(
            {"objoid": NS[name], "classoid": 2615, "objsubid": 0, "privtype": "i",
             "initprivs": NSP_ACL[name]}
        )  # fmt: skip
    for name, oid in NS.items():
        rows["pg_namespace"].append(
            {
                "oid": oid,
                "nspname": name,
                "nspowner": 6171 if name == "public" else 10,
                "nspacl": NSP_ACL.get(name),
            }
        )
    for name, (oid, length, cat_, arr, coll) in TYPES.items():
        rows["pg_type"].append(
            {
                "oid": oid,
                "typname": name,
                "typnamespace": 11,
                "typowner": 10,
                "typlen": length,
                "typbyval": length in (1, 2, 4, 8),
                "typtype": "b",
                "typcategory": cat_,
                "typispreferred": name in ("text", "float8", "bool", "timestamp", "oid"),
                "typisdefined": True,
                "typdelim": ",",
                "typrelid": 0,
                "typelem": 0,
                "typarray": arr,
                "typinput": f"{name}in",
                "typoutput": f"{name}out",
                "typalign": "i",
                "typstorage": "p" if length > 0 else "x",
                "typnotnull": False,
                "typbasetype": 0,
                "typtypmod": -1,
                "typndims": 0,
                "typcollation": coll,
            }
        )
    for role, oid, sup in (("postgres", 10, True), (owner, OWNER_OID, False)):
        common = {
            "rolname": role,
            "rolsuper": sup,
            "rolinherit": True,
            "rolcreaterole": sup,
            "rolcreatedb": sup,
            "rolcanlogin": True,
            "rolreplication": sup,
            "rolconnlimit": -1,
            "rolpassword": "********",
            "rolvaliduntil": None,
            "rolbypassrls": sup,
            "rolconfig": None,
            "oid": oid,
        }
        rows["pg_roles"].append(common)
        if oid == 10:
            off = dict.fromkeys(("rolsuper", "rolcanlogin", "rolcreaterole", "rolcreatedb",
                                 "rolreplication", "rolbypassrls"), False)  # fmt: skip
            for name, builtin in PREDEFINED_ROLES:
                rows["pg_roles"].append(
                    common | off | {"rolname": name, "oid": builtin, "rolpassword": None}
                )
        rows["pg_user"].append(
            {
                "usename": role,
                "usesysid": oid,
                "usecreatedb": sup,
                "usesuper": sup,
                "userepl": sup,
                "usebypassrls": sup,
                "passwd": "********",
                "valuntil": None,
                "useconfig": None,
            }
        )
    for name, oid, kind in (
        ("heap", 2, "t"),
        ("btree", 403, "i"),
        ("hash", 405, "i"),
        ("gist", 783, "i"),
        ("gin", 2742, "i"),
        ("spgist", 4000, "i"),
        ("brin", 3580, "i"),
    ):
        rows["pg_am"].append(
            {"oid": oid, "amname": name, "amhandler": f"{name}handler", "amtype": kind}
        )
    info_tables: list[dict[str, object]] = []
    info_columns: list[dict[str, object]] = []
    for table, cols in cat.get(db, {}).items():
        oid = table_oid(db, table)
        pk = [c for c in cols if c.pk]
        n = engine.row_count(s, db, table)
        rel = {
            "oid": oid,
            "relname": table,
            "relnamespace": 2200,
            "reltype": oid + 2,
            "reloftype": 0,
            "relowner": OWNER_OID,
            "relam": 2,
            "relfilenode": oid,
            "reltablespace": 0,
            "relpages": 1 + n // 60,
            "reltuples": float(n),
            "relallvisible": 0,
            "reltoastrelid": 0,
            "relhasindex": bool(pk),
            "relisshared": False,
            "relpersistence": "p",
            "relkind": "r",
            "relnatts": len(cols),
            "relchecks": 0,
            "relhasrules": False,
            "relhastriggers": False,
            "relhassubclass": False,
            "relrowsecurity": False,
            "relforcerowsecurity": False,
            "relispopulated": True,
            "relreplident": "d",
            "relispartition": False,
            "relrewrite": 0,
            "relfrozenxid": 734,
            "relminmxid": 1,
            "relacl": None,
            "reloptions": None,
            "relpartbound": None,
        }
        rows["pg_class"].append(rel)
        rows["pg_tables"].append(
            {
                "schemaname": "public",
                "tablename": table,
                "tableowner": owner,
                "tablespace": None,
                "hasindexes": bool(pk),
                "hasrules": False,
                "hastriggers": False,
                "rowsecurity": False,
            }
        )
        info_tables.append(
            {
                "table_catalog": db,
                "table_schema": "public",
                "table_name": table,
                "table_type": "BASE TABLE",
                "is_insertable_into": "YES",
                "is_typed": "NO",
            }
        )
        for num, c in enumerate(cols, 1):
            t = catalog.pg_type(c.decl if not c.pk else "int")
            type_oid, length = TYPES.get(t, TYPES["text"])[0], TYPES.get(t, TYPES["text"])[1]
            rows["pg_attribute"].append(
                {
                    "attrelid": oid,
                    "attname": c.name,
                    "atttypid": type_oid,
                    "attstattarget": -1,
                    "attlen": length,
                    "attnum": num,
                    "attndims": 0,
                    "attcacheoff": -1,
                    "atttypmod": typmod(c.decl),
                    "attbyval": length in (1, 2, 4, 8),
                    "attalign": "i",
                    "attstorage": "p" if length > 0 else "x",
                    "attcompression": "",
                    "attnotnull": c.pk or c.notnull,
                    "atthasdef": False,
                    "atthasmissing": False,
                    "attidentity": "",
                    "attgenerated": "",
                    "attisdropped": False,
                    "attislocal": True,
                    "attinhcount": 0,
                    "attcollation": TYPES.get(t, TYPES["text"])[4],
                }
            )
            info_columns.append(
                {
                    "table_catalog": db,
                    "table_schema": "public",
                    "table_name": table,
                    "column_name": c.name,
                    "ordinal_position": num,
                    "column_default": None,
                    "is_nullable": "NO" if c.pk or c.notnull else "YES",
                    "data_type": catalog.pg_format(c.decl if not c.pk else "int").split("(")[0],
                    "udt_catalog": db,
                    "udt_schema": "pg_catalog",
                    "udt_name": t,
                    "dtd_identifier": str(num),
                    "is_self_referencing": "NO",
                    "is_identity": "NO",
                    "is_generated": "NEVER",
                    "is_updatable": "YES",
                }
            )
        if pk:
            idx = oid + 1
            rows["pg_class"].append(
                rel
                | {
                    "oid": idx,
                    "relname": f"{table}_pkey",
                    "relkind": "i",
                    "relam": 403,
                    "relnatts": len(pk),
                    "relhasindex": False,
                    "reltype": 0,
                    "relfilenode": idx,
                }
            )
            keys = " ".join(str(cols.index(c) + 1) for c in pk)
            names = ", ".join(c.name for c in pk)
            s.pg_defs[f"indexdef:{idx}"] = (
                f"CREATE UNIQUE INDEX {table}_pkey ON public.{table} USING btree ({names})"
            )
            s.pg_defs[f"constraintdef:{idx + 2}"] = f"PRIMARY KEY ({names})"
            rows["pg_index"].append(
                {
                    "indexrelid": idx,
                    "indrelid": oid,
                    "indnatts": len(pk),
                    "indnkeyatts": len(pk),
                    "indisunique": True,
                    "indnullsnotdistinct": False,
                    "indisprimary": True,
                    "indisexclusion": False,
                    "indimmediate": True,
                    "indisclustered": False,
                    "indisvalid": True,
                    "indcheckxmin": False,
                    "indisready": True,
                    "indislive": True,
                    "indisreplident": False,
                    "indkey": keys,
                    "indcollation": "0",
                    "indclass": "1978",
                    "indoption": "0",
                    "indexprs": None,
                    "indpred": None,
                }
            )
            rows["pg_constraint"].append(
                {
                    "oid": idx + 2,
                    "conname": f"{table}_pkey",
                    "connamespace": 2200,
                    "contype": "p",
                    "condeferrable": False,
                    "condeferred": False,
                    "convalidated": True,
                    "conrelid": oid,
                    "contypid": 0,
                    "conindid": idx,
                    "conparentid": 0,
                    "confrelid": 0,
                    "confupdtype": " ",
                    "confdeltype": " ",
                    "confmatchtype": " ",
                    "conislocal": True,
                    "coninhcount": 0,
                    "connoinherit": True,
                    "conkey": "{" + keys.replace(" ", ",") + "}",
                }
            )
            rows["pg_indexes"].append(
                {
                    "schemaname": "public",
                    "tablename": table,
                    "indexname": f"{table}_pkey",
                    "tablespace": None,
                    "indexdef": f"CREATE UNIQUE INDEX {table}_pkey ON public.{table} "
                    f"USING btree ({', '.join(c.name for c in pk)})",
                }
            )
    rows["pg_stat_activity"] = [
        {
            "datid": 16390,
            "datname": db,
            "pid": s.connection_id,
            "leader_pid": None,
            "usesysid": OWNER_OID,
            "usename": owner,
            "application_name": "",
            "client_addr": s.host,
            "client_hostname": None,
            "client_port": 40000 + s.connection_id % 20000,
            "state": "active",
            "backend_type": "client backend",
            "query": "SELECT * FROM pg_stat_activity",
            "wait_event_type": None,
            "wait_event": None,
        }
    ]
    settings = s.mode.__dict__.get("settings", {})
    rows["pg_settings"] = [
        {
            "name": k,
            "setting": v,
            "short_desc": "",
            "context": "user",
            "vartype": "string",
            "source": "default",
        }
        for k, v in settings.items()
    ]
    write_tables(s, "pg_catalog", tables, rows)
    info = {
        "tables": [
            (c, "text")
            for c in (
                "table_catalog",
                "table_schema",
                "table_name",
                "table_type",
                "self_referencing_column_name",
                "reference_generation",
                "user_defined_type_catalog",
                "user_defined_type_schema",
                "user_defined_type_name",
                "is_insertable_into",
                "is_typed",
                "commit_action",
            )
        ],
        "columns": [
            (c, "int" if c == "ordinal_position" else "text")
            for c in (
                "table_catalog",
                "table_schema",
                "table_name",
                "column_name",
                "ordinal_position",
                "column_default",
                "is_nullable",
                "data_type",
                "character_maximum_length",
                "character_octet_length",
                "numeric_precision",
                "numeric_precision_radix",
                "numeric_scale",
                "datetime_precision",
                "interval_type",
                "interval_precision",
                "character_set_catalog",
                "character_set_schema",
                "character_set_name",
                "collation_catalog",
                "collation_schema",
                "collation_name",
                "domain_catalog",
                "domain_schema",
                "domain_name",
                "udt_catalog",
                "udt_schema",
                "udt_name",
                "scope_catalog",
                "scope_schema",
                "scope_name",
                "maximum_cardinality",
                "dtd_identifier",
                "is_self_referencing",
                "is_identity",
                "identity_generation",
                "identity_start",
                "identity_increment",
                "identity_maximum",
                "identity_minimum",
                "identity_cycle",
                "is_generated",
                "generation_expression",
                "is_updatable",
            )
        ],
        "schemata": [
            (c, "text")
            for c in (
                "catalog_name",
                "schema_name",
                "schema_owner",
                "default_character_set_catalog",
                "default_character_set_schema",
                "default_character_set_name",
                "sql_path",
            )
        ],
    }
    schemata: list[dict[str, object]] = [
        {
            "catalog_name": db,
            "schema_name": n,
            "schema_owner": "pg_database_owner" if n == "public" else "postgres",
        }
        for n in ("information_schema", "pg_catalog", "pg_toast", "public")
    ]
    write_tables(
        s,
        "information_schema",
        info,
        {"tables": info_tables, "columns": info_columns, "schemata": schemata},
    )

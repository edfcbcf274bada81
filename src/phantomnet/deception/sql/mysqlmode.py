"""MariaDB 10.11's own statements: SHOW, SET, USE, transactions, refusals, ``@@variables``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, NoReturn

from sqlglot import exp

from phantomnet.deception.sql import catalog, errors, funcs, mysqlfuncs, translate
from phantomnet.deception.sql.model import Column, SqlError, SqlResult

if TYPE_CHECKING:
    from phantomnet.deception.sql.session import SqlSession

_KW = re.compile(r"^\s*(?:/\*.*?\*/\s*)*([A-Za-z_]+)", re.S)
_INTO_FILE = re.compile(r"(?is)\binto\s+(outfile|dumpfile)\b")
_LOAD_DATA = re.compile(r"(?is)^\s*load\s+(data|xml)\b")
_VERSIONED = re.compile(r"/\*M?!(\d{5,6})?\s?(.*?)\*/", re.S)
_SELECT_HINTS = re.compile(
    r"(?i)^(\s*select\s+)((?:sql_no_cache|sql_cache|sql_calc_found_rows|high_priority|"
    r"straight_join|sql_small_result|sql_big_result|sql_buffer_result)\s+)+"
)
#: session variables MariaDB accepts in SET but does not list in SHOW GLOBAL VARIABLES
SESSION_ONLY = {
    "sql_quote_show_create": "1",
    "timestamp": "0",
    "insert_id": "0",
    "last_insert_id": "0",
    "rand_seed1": "0",
    "rand_seed2": "0",
    "sql_log_off": "OFF",
    "pseudo_thread_id": "0",
    "identity": "0",
    "error_count": "0",
    "warning_count": "0",
    "statement_id": "0",
}


def _like(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out += re.escape(pattern[i + 1])
            i += 2
            continue
        out += ".*" if ch == "%" else "." if ch == "_" else re.escape(ch)
        i += 1
    return re.compile(f"^{out}$", re.I | re.S)


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "`'\"":
        return name[1:-1]
    return name


def _col(name: str, type_name: str = "VARCHAR") -> Column:
    return Column(name, type_name)


class MysqlMode:
    def __init__(self, session: SqlSession) -> None:
        self.s = session
        e = session.engine
        self.variables = dict(e.mysql_variables())
        self.session_vars: dict[str, str] = {}
        self.user_vars: dict[str, object] = {}
        for name, (nargs, fn) in mysqlfuncs.xml_functions(self._fail).items():
            session.sandbox.conn.create_function(name, nargs, fn)

    def _fail(self, error: SqlError) -> NoReturn:
        """Abort the running statement from inside a function with ``error``."""
        self.s.sandbox.raised = error
        raise ValueError(error.message)

    # -- hooks used by the session -------------------------------------------------------
    def version_function(self) -> str:
        return self.s.engine.server_version("mysql")

    def setting(self, name: str) -> object:
        return self.variables.get(name)

    def ends_transaction(self, text: str) -> bool:
        return True

    def tag(self, tree: exp.Expr | None, affected: int) -> str:
        return ""

    def result_type(
        self, decl: str, values: list[object], tree: exp.Expr | None, index: int
    ) -> str:
        if decl:
            return catalog.mysql_type(decl)
        for v in values:
            if v is None:
                continue
            if isinstance(v, bool | int):
                return "BIGINT"
            if isinstance(v, float):
                return "DOUBLE"
            if isinstance(v, Decimal):
                return "DECIMAL"
            if isinstance(v, datetime):
                return "DATETIME"
            if isinstance(v, date):
                return "DATE"
            if isinstance(v, bytes):
                return "BLOB"
            return "VARCHAR"
        return "NULL" if values else "VARCHAR"

    def schema_of(self, db: str, table: str) -> str:
        s = self.s
        if not db:
            if s.database is None:
                raise errors.no_database_selected()
            db = s.database
        low = db.lower()
        if low == "information_schema":
            s.engine.refresh_information_schema(s)
            return "information_schema"
        if low in ("mysql", "performance_schema", "sys"):
            raise errors.table_denied("SELECT", s.user, s.host, low, table)
        if db not in s.engine.user_databases("mysql"):
            raise errors.table_denied("SELECT", s.user, s.host, db, table)
        tables = s.catalog().get(db, {})
        if table not in tables and any(t.lower() == table.lower() for t in tables):
            # table names are case-sensitive on MariaDB/Linux (lower_case_table_names=0)
            raise errors.no_table("mysql", db, table)
        return db

    def replace(self, node: exp.Expr) -> exp.Expr | None:
        s = self.s
        if isinstance(node, exp.SessionParameter):
            return self._variable(node)
        if isinstance(node, exp.CurrentSchema | exp.CurrentDatabase):
            return exp.Literal.string(s.database) if s.database else exp.Null()
        if isinstance(node, exp.CurrentUser):
            return exp.Literal.string(f"{s.user}@%")
        if isinstance(node, exp.CurrentVersion):
            return exp.Literal.string(self.version_function())
        if isinstance(node, exp.Rand):
            return exp.Anonymous(this="rand", expressions=[])
        if isinstance(node, exp.Parameter) and node.name:
            value = self.user_vars.get(node.name.lower())
            return _literal(value)
        if isinstance(node, exp.Table) and mysqlfuncs.is_dual(node):
            return exp.select("1").subquery("dual")
        sqlite_name = funcs.sqlite_only(node)
        if sqlite_name is not None:  # SQLite would answer it: a fingerprint
            raise errors.no_function("mysql", s.database, sqlite_name)
        return mysqlfuncs.rewrite(node)

    def _variable(self, node: exp.SessionParameter) -> exp.Expr:
        name = node.name.lower()
        if name == "identity":
            name = "last_insert_id"
        value: object
        if name == "last_insert_id":
            value = self.s.last_insert_id
        elif name in self.session_vars:
            value = self.session_vars[name]
        elif name in self.variables:
            value = self.variables[name]
        else:
            raise SqlError(1193, "HY000", f"Unknown system variable '{node.name}'")
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value):
            return exp.Literal.number(value)
        if value in ("ON", "OFF") and name in (
            "autocommit",
            "sql_auto_is_null",
            "foreign_key_checks",
            "unique_checks",
            "big_tables",
            "sql_safe_updates",
            "sql_log_bin",
        ):
            return exp.Literal.number(1 if value == "ON" else 0)
        return _literal(value)

    # -- statements ----------------------------------------------------------------------
    def statement(self, text: str, params: Sequence[object]) -> SqlResult:
        server = mysqlfuncs.version_id(self.version_function())
        text = _VERSIONED.sub(
            lambda m: " " + m.group(2) + " " if mysqlfuncs.executes(m.group(1), server) else " ",
            text,
        )
        text = _SELECT_HINTS.sub(lambda m: m.group(1), text)
        if not text.strip():
            return SqlResult()
        m = _KW.match(text)
        kw = m.group(1).upper() if m else ""
        s = self.s
        if _LOAD_DATA.match(text) and re.match(
            r"(?is)\s*load\s+\w+\s+(low_priority\s+|concurrent\s+)?local\b", text
        ):
            raise SqlError(
                1148, "42000", "The used command is not allowed with this MariaDB version"
            )
        if _LOAD_DATA.match(text):
            raise errors.access_denied(s.user, "%")
        if _INTO_FILE.search(text):
            raise errors.file_denied()
        handler = {
            "SHOW": self._show,
            "USE": self._use,
            "SET": self._set,
            "BEGIN": self._tx,
            "START": self._tx,
            "COMMIT": self._tx,
            "ROLLBACK": self._tx,
            "DESC": self._describe,
            "DESCRIBE": self._describe,
            "EXPLAIN": self._describe,
            "LOCK": self._ok,
            "UNLOCK": self._ok,
            "FLUSH": self._flush,
            "KILL": self._kill,
            "GRANT": self._grant,
            "REVOKE": self._grant,
            "RENAME": self._rename_user,
            "SHUTDOWN": self._shutdown,
            "INSTALL": self._install,
            "UNINSTALL": self._install,
            "SAVEPOINT": self._ok,
            "RELEASE": self._ok,
            "HANDLER": self._syntax,
            "DO": self._do,
        }.get(kw)
        if handler is not None:
            return handler(text, params)
        if kw in ("CREATE", "DROP", "ALTER"):
            special = self._ddl(text)
            if special is not None:
                return special
        if kw not in STATEMENTS:
            raise errors.syntax("mysql", text, len(text) - len(text.lstrip()))
        return s.run_text(text, params)

    def _syntax(self, text: str, _p: Sequence[object]) -> SqlResult:
        raise errors.syntax("mysql", text, len(text) - len(text.lstrip()))

    def _ok(self, _text: str, _p: Sequence[object]) -> SqlResult:
        return SqlResult()

    def _do(self, text: str, params: Sequence[object]) -> SqlResult:
        self.s.run_tree(translate.parse("SELECT " + text.strip()[2:], "mysql"), text, params)
        return SqlResult()

    def _flush(self, _t: str, _p: Sequence[object]) -> SqlResult:
        raise errors.need_privilege("RELOAD")

    def _shutdown(self, _t: str, _p: Sequence[object]) -> SqlResult:
        raise errors.need_privilege("SHUTDOWN")

    def _install(self, _t: str, _p: Sequence[object]) -> SqlResult:
        s = self.s
        raise SqlError(
            1142,
            "42000",
            f"INSERT command denied to user '{s.user}'@'{s.host}' for table `mysql`.`plugin`",
        )

    def _kill(self, text: str, _p: Sequence[object]) -> SqlResult:
        m = re.search(r"(\d+)\s*$", text)
        if m is None:
            raise errors.syntax("mysql", text, len(text))
        if int(m.group(1)) == self.s.connection_id:
            raise SqlError(1927, "70100", "Connection was killed")
        raise SqlError(1094, "HY000", f"Unknown thread id: {m.group(1)}")

    def _grant(self, _t: str, _p: Sequence[object]) -> SqlResult:
        raise errors.need_privilege("CREATE USER")

    def _rename_user(self, text: str, params: Sequence[object]) -> SqlResult:
        if re.match(r"(?is)\s*rename\s+user\b", text):
            raise errors.need_privilege("CREATE USER")
        tree = translate.parse(text, "mysql")
        return self.s.run_tree(tree, text, params)

    def _ddl(self, text: str) -> SqlResult | None:
        s = self.s
        m = re.match(
            r"(?is)\s*(create|drop|alter)\s+(database|schema)\s+(?:if\s+(?:not\s+)?exists\s+)?([`\w$]+)",
            text,
        )
        if m:
            name = _unquote(m.group(3))
            if m.group(1).lower() == "create" and name in s.engine.user_databases("mysql"):
                if re.search(r"(?i)if\s+not\s+exists", text):
                    return SqlResult(warnings=1)
                raise SqlError(1007, "HY000", f"Can't create database '{name}'; database exists")
            raise errors.db_access_denied(s.user, name)
        if re.match(
            r"(?is)\s*(create|drop|alter)\s+(user|role|server|function\s+\w+\s+returns\s+\w+\s+soname)\b",
            text,
        ):
            raise errors.need_privilege("CREATE USER")
        return None

    def _use(self, text: str, _p: Sequence[object]) -> SqlResult:
        m = re.match(r"(?is)\s*use\s+(`[^`]+`|\S+)\s*$", text)
        if m is None:
            raise errors.syntax("mysql", text, len(text))
        self.s.use(_unquote(m.group(1)))
        return SqlResult()

    def _tx(self, text: str, _p: Sequence[object]) -> SqlResult:
        s = self.s
        word = text.strip().split()[0].upper()
        conn = s.sandbox.conn
        if word in ("BEGIN", "START"):
            s._materialize()
            with s.sandbox.trusted():
                if conn.in_transaction:
                    conn.execute("COMMIT")
                conn.execute("BEGIN")
        elif conn.in_transaction:
            with s.sandbox.trusted():
                conn.execute("COMMIT" if word == "COMMIT" else "ROLLBACK")
        return SqlResult()

    def _set(self, text: str, params: Sequence[object]) -> SqlResult:
        self.s.forget_plans()
        body = text.strip()[3:].strip()
        if re.match(r"(?is)(names|character\s+set|charset)\b", body):
            return SqlResult()
        if re.match(r"(?is)(global\s+)?(session\s+)?transaction\b", body):
            return SqlResult()
        if re.match(r"(?is)password\b", body):
            return SqlResult()
        if re.match(r"(?is)(global|@@global\.)", body):
            raise errors.need_privilege("SUPER")
        for part in _split_commas(body):
            m = re.match(
                r"(?is)\s*(?:(?:session|local)\s+|@@(?:session\.|local\.)?)?(@?[\w$.]+)\s*(?::?=)\s*(.+)$",
                part,
            )
            if m is None:
                raise errors.syntax("mysql", text, len(text) - len(part.lstrip()))
            name, value_sql = m.group(1), m.group(2).strip()
            key = name.lower()
            if not name.startswith("@") and key not in self.variables and key not in SESSION_ONLY:
                raise SqlError(1193, "HY000", f"Unknown system variable '{name}'")
            if value_sql.upper() == "DEFAULT" and not name.startswith("@"):
                self.session_vars.pop(key, None)
                continue
            if re.fullmatch(r"[A-Za-z_]\w*", value_sql) and not name.startswith("@"):
                self.session_vars[key] = (
                    value_sql.upper() if value_sql.upper() in ("ON", "OFF") else value_sql
                )
                continue
            result = self.s.run_tree(translate.parse("SELECT " + value_sql, "mysql"), text, params)
            value = result.rows[0][0] if result.rows and result.rows[0] else None
            if name.startswith("@"):
                self.user_vars[name[1:].lower()] = value
                continue
            if (isinstance(value, str) and value.upper() in ("ON", "OFF")) or value is None:
                self.session_vars[key] = "" if value is None else str(value).upper()
            else:
                self.session_vars[key] = str(value)
        return SqlResult()

    def _describe(self, text: str, params: Sequence[object]) -> SqlResult:
        rest = re.sub(r"(?is)^\s*(desc|describe|explain)\s+", "", text).strip()
        if re.match(r"(?is)(select|insert|update|delete|with|extended|partitions|format)\b", rest):
            tree = translate.parse(
                re.sub(r"(?is)^(extended|partitions|format\s*=\s*\w+)\s+", "", rest), "mysql"
            )
            self.s.rewrite(tree)
            cols = (
                "id",
                "select_type",
                "table",
                "type",
                "possible_keys",
                "key",
                "key_len",
                "ref",
                "rows",
                "Extra",
            )
            tables = [t for t in tree.find_all(exp.Table)]
            rows = tuple(
                (1, "SIMPLE", t.alias_or_name, "ALL", None, None, None, None, 120, "")
                for t in tables
            ) or ((1, "SIMPLE", None, None, None, None, None, None, None, "No tables used"),)
            return SqlResult(columns=tuple(_col(c) for c in cols), rows=rows)
        parts = rest.split()
        if not parts:
            raise errors.syntax("mysql", text, len(text))
        return self._columns(parts[0], None, False, None)

    # -- SHOW ------------------------------------------------------------------------------
    def _show(self, text: str, params: Sequence[object]) -> SqlResult:
        body = re.sub(r"\s+", " ", text.strip()[4:].strip())
        like = None
        where = None
        m = re.search(r"(?is)\s+where\s+(.+)$", body)
        if m:
            where = m.group(1)
            body = body[: m.start()]
        m = re.search(r"(?is)\s+like\s+'((?:[^'\\]|\\.|'')*)'\s*$", body)
        like_text = None
        if m:
            like_text = m.group(1).replace("''", "'")
            like = _like(like_text)
            body = body[: m.start()]
        up = body.upper()
        result: SqlResult
        if up in ("DATABASES", "SCHEMAS"):
            result = self._table(("Database",), [(d,) for d in self.s.visible_databases()], like)
        elif re.match(r"(FULL )?TABLES( (FROM|IN) \S+)?$", up):
            result = self._tables(body, like, like_text)
        elif re.match(r"((GLOBAL|SESSION|LOCAL) )?VARIABLES$", up):
            merged = dict(self.variables) | self.session_vars
            rows = [(k, v) for k, v in sorted(merged.items())]
            result = self._table(("Variable_name", "Value"), rows, like)
        elif re.match(r"((GLOBAL|SESSION|LOCAL) )?STATUS$", up):
            result = self._table(("Variable_name", "Value"), self.s.engine.mysql_status(), like)
        elif re.match(r"(FULL )?PROCESSLIST$", up):
            result = self._processlist()
        elif re.match(r"GRANTS( FOR .+)?$", up):
            result = self._grants(body)
        elif re.match(r"(FULL )?(COLUMNS|FIELDS) (FROM|IN) ", up):
            m2 = re.match(
                r"(?i)(full )?(?:columns|fields) (?:from|in) (\S+)(?: (?:from|in) (\S+))?$", body
            )
            if m2 is None:
                raise errors.syntax("mysql", text, 0)
            result = self._columns(m2.group(2), m2.group(3), bool(m2.group(1)), like)
        elif re.match(r"CREATE TABLE \S+$", up):
            result = self._create_table(body.split(" ", 2)[2])
        elif re.match(r"CREATE (DATABASE|SCHEMA) (IF NOT EXISTS )?\S+$", up):
            name = _unquote(body.split()[-1])
            if name not in self.s.engine.user_databases("mysql"):
                raise errors.no_database("mysql", name)
            guard = "/*!32312 IF NOT EXISTS*/ " if " IF NOT EXISTS " in f" {up} " else ""
            ddl = (
                f"CREATE DATABASE {guard}`{name}` /*!40100 DEFAULT CHARACTER SET utf8mb4 "
                "COLLATE utf8mb4_general_ci */"
            )
            result = SqlResult(
                columns=(_col("Database"), _col("Create Database")), rows=((name, ddl),)
            )
        elif re.match(r"(INDEX|INDEXES|KEYS) (FROM|IN) \S+( (FROM|IN) \S+)?$", up):
            result = self._index(
                body.split()[2], body.split()[4] if len(body.split()) > 4 else None
            )
        elif re.match(r"TABLE STATUS( (FROM|IN) \S+)?$", up):
            result = self._table_status(body, like)
        elif up in ("WARNINGS", "ERRORS") or re.match(r"(WARNINGS|ERRORS) LIMIT", up):
            result = SqlResult(columns=(_col("Level"), _col("Code", "INT"), _col("Message")))
        elif re.match(r"(TRIGGERS|EVENTS)( (FROM|IN) \S+)?$", up):
            cols = (
                "Trigger",
                "Event",
                "Table",
                "Statement",
                "Timing",
                "Created",
                "sql_mode",
                "Definer",
                "character_set_client",
                "collation_connection",
                "Database Collation",
            )
            result = SqlResult(columns=tuple(_col(c) for c in cols))
        elif re.match(r"(FUNCTION|PROCEDURE|PACKAGE) STATUS$", up):
            cols = (
                "Db",
                "Name",
                "Type",
                "Definer",
                "Modified",
                "Created",
                "Security_type",
                "Comment",
                "character_set_client",
                "collation_connection",
                "Database Collation",
            )
            result = SqlResult(columns=tuple(_col(c) for c in cols))
        elif up in ("ENGINES", "STORAGE ENGINES"):
            result = self._table(
                ("Engine", "Support", "Comment", "Transactions", "XA", "Savepoints"), ENGINES, like
            )
        elif re.match(r"(CHARSET|CHARACTER SET)$", up):
            result = self._table(
                ("Charset", "Description", "Default collation", "Maxlen"), CHARSETS, like
            )
        elif re.match(r"COLLATION$", up):
            result = self._table(
                ("Collation", "Charset", "Id", "Default", "Compiled", "Sortlen"), COLLATIONS, like
            )
        elif re.match(r"(MASTER|SLAVE|REPLICA|BINLOG|BINARY) ", up + " ") or up in (
            "MASTER STATUS",
            "BINARY LOGS",
            "SLAVE STATUS",
            "ALL SLAVES STATUS",
        ):
            raise errors.need_privilege("SUPER, REPLICATION CLIENT")
        elif up == "PLUGINS":
            result = self._table(("Name", "Status", "Type", "Library", "License"), PLUGINS, like)
        elif up == "PRIVILEGES":
            result = self._table(("Privilege", "Context", "Comment"), PRIVILEGES, like)
        else:
            raise errors.syntax("mysql", text, len(text) - len(text.lstrip()) + 5)
        if where is not None and result.columns:
            result = self._where(result, where, text, params)
        return result

    def _table(
        self,
        names: tuple[str, ...],
        rows: Sequence[tuple[object, ...]],
        like: re.Pattern[str] | None,
    ) -> SqlResult:
        kept = tuple(r for r in rows if like is None or like.match(str(r[0])))
        types = [
            "BIGINT" if kept and all(isinstance(r[i], int) for r in kept) else "VARCHAR"
            for i in range(len(names))
        ]
        return SqlResult(columns=tuple(_col(n, types[i]) for i, n in enumerate(names)), rows=kept)

    def _where(
        self, result: SqlResult, where: str, text: str, params: Sequence[object]
    ) -> SqlResult:
        """``SHOW ... WHERE expr``: filter the rows through SQLite."""
        names = [c.name for c in result.columns]
        cols = ", ".join(f'"{n}"' for n in names)
        conn = self.s.sandbox
        with conn.trusted() as c:
            c.execute("DROP TABLE IF EXISTS information_schema._show")
            c.execute(f"CREATE TABLE information_schema._show ({cols})")
            c.executemany(
                f"INSERT INTO information_schema._show VALUES ({', '.join('?' * len(names))})",
                [
                    tuple(str(v) if isinstance(v, Decimal | datetime | date) else v for v in r)
                    for r in result.rows
                ],
            )
        tree = translate.parse(f"SELECT * FROM _show WHERE {where}", "mysql")
        for t in tree.find_all(exp.Table):
            t.set("db", exp.to_identifier("information_schema"))
        for node in list(tree.walk()):
            rep = self.replace(node)
            if rep is not None:
                node.replace(rep)
        filtered = self.s.run_sqlite(translate.to_sqlite(tree), params, None, text)
        return SqlResult(columns=result.columns, rows=filtered.rows)

    def _tables(
        self, body: str, like: re.Pattern[str] | None, like_text: str | None = None
    ) -> SqlResult:
        s = self.s
        parts = body.split()
        full = parts[0].upper() == "FULL"
        db = (
            _unquote(parts[-1])
            if len(parts) >= 3 and parts[-2].upper() in ("FROM", "IN")
            else s.database
        )
        if db is None:
            raise errors.no_database_selected()
        if db.lower() == "information_schema":
            names = sorted(self.s.engine.information_schema_tables())
            rows_i: list[tuple[object, ...]] = [(n, "SYSTEM VIEW") if full else (n,) for n in names]
            suffix = f" ({like_text})" if like_text is not None else ""
            cols = (f"Tables_in_{db}{suffix}",) + (("Table_type",) if full else ())
            return self._table(cols, rows_i, like)
        if db not in s.engine.user_databases("mysql"):
            raise errors.unknown_database_for(s.user, db)
        tables = sorted(s.catalog().get(db, {}))
        rows: list[tuple[object, ...]] = [(t, "BASE TABLE") if full else (t,) for t in tables]
        suffix = f" ({like_text})" if like_text is not None else ""
        cols = (f"Tables_in_{db}{suffix}",) + (("Table_type",) if full else ())
        return self._table(cols, rows, like)

    def _resolve(self, name: str, db: str | None) -> tuple[str, str, list[catalog.ColumnInfo]]:
        s = self.s
        name = _unquote(name)
        if "." in name and db is None:
            db, name = (_unquote(x) for x in name.split(".", 1))
        db = _unquote(db) if db else s.database
        if db is None:
            raise errors.no_database_selected()
        cols = s.catalog().get(db, {}).get(name)
        if cols is None:
            for key, value in s.catalog().get(db, {}).items():
                if key.lower() == name.lower():
                    return db, key, value
            raise errors.no_table("mysql", db, name)
        return db, name, cols

    def _columns(
        self, name: str, db: str | None, full: bool, like: re.Pattern[str] | None
    ) -> SqlResult:
        _db, _table, cols = self._resolve(name, db)
        rows: list[tuple[object, ...]] = []
        for c in cols:
            key = "PRI" if c.pk else ""
            extra = "auto_increment" if c.pk and c.decl.lower() == "integer" else ""
            null = "NO" if c.pk or c.notnull else "YES"
            default = None if c.default is None else str(c.default).strip("'")
            t = catalog.mysql_decl(c)
            if full:
                coll = "utf8mb4_general_ci" if t.startswith(("varchar", "char", "text")) else None
                rows.append(
                    (
                        c.name,
                        t,
                        coll,
                        null,
                        key,
                        default,
                        extra,
                        "select,insert,update,references",
                        "",
                    )
                )
            else:
                rows.append((c.name, t, null, key, default, extra))
        names = (
            (
                "Field",
                "Type",
                "Collation",
                "Null",
                "Key",
                "Default",
                "Extra",
                "Privileges",
                "Comment",
            )
            if full
            else ("Field", "Type", "Null", "Key", "Default", "Extra")
        )
        return self._table(names, rows, like)

    def _create_table(self, name: str) -> SqlResult:
        db, table, cols = self._resolve(name, None)
        lines = []
        for c in cols:
            t = catalog.mysql_decl(c)
            null = " NOT NULL" if c.pk or c.notnull else " DEFAULT NULL"
            auto = " AUTO_INCREMENT" if c.pk and c.decl.lower() == "integer" else ""
            lines.append(f"  `{c.name}` {t}{null}{auto}")
        pk = [c.name for c in cols if c.pk]
        if pk:
            lines.append("  PRIMARY KEY (" + ",".join(f"`{p}`" for p in pk) + ")")
        n = self.s.engine.next_id(self.s, db, table)
        auto_inc = f" AUTO_INCREMENT={n}" if n else ""
        ddl = (
            f"CREATE TABLE `{table}` (\n"
            + ",\n".join(lines)
            + f"\n) ENGINE=InnoDB{auto_inc} DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
        )
        return SqlResult(columns=(_col("Table"), _col("Create Table")), rows=((table, ddl),))

    def _index(self, name: str, db: str | None) -> SqlResult:
        db, table, cols = self._resolve(name, db)
        names = (
            "Table",
            "Non_unique",
            "Key_name",
            "Seq_in_index",
            "Column_name",
            "Collation",
            "Cardinality",
            "Sub_part",
            "Packed",
            "Null",
            "Index_type",
            "Comment",
            "Index_comment",
            "Ignored",
        )
        rows = [
            (
                table,
                0,
                "PRIMARY",
                i,
                c.name,
                "A",
                self.s.engine.row_count(self.s, db, table),
                None,
                None,
                "",
                "BTREE",
                "",
                "",
                "NO",
            )
            for i, c in enumerate([c for c in cols if c.pk], 1)
        ]
        return self._table(names, rows, None)

    def _table_status(self, body: str, like: re.Pattern[str] | None) -> SqlResult:
        s = self.s
        parts = body.split()
        db = _unquote(parts[-1]) if len(parts) >= 4 else s.database
        if db is None:
            raise errors.no_database_selected()
        if db not in s.engine.user_databases("mysql"):
            raise errors.no_database("mysql", db)
        names = (
            "Name",
            "Engine",
            "Version",
            "Row_format",
            "Rows",
            "Avg_row_length",
            "Data_length",
            "Max_data_length",
            "Index_length",
            "Data_free",
            "Auto_increment",
            "Create_time",
            "Update_time",
            "Check_time",
            "Collation",
            "Checksum",
            "Create_options",
            "Comment",
            "Max_index_length",
            "Temporary",
        )
        created = s.engine.created_at()
        rows = []
        for table in sorted(s.catalog().get(db, {})):
            n = s.engine.row_count(s, db, table)
            rows.append(
                (
                    table,
                    "InnoDB",
                    10,
                    "Dynamic",
                    n,
                    16384 // max(1, n) if n else 0,
                    16384 * (1 + n // 100),
                    0,
                    0,
                    0,
                    s.engine.next_id(s, db, table) or None,
                    created,
                    None,
                    None,
                    "utf8mb4_general_ci",
                    None,
                    "",
                    "",
                    0,
                    "N",
                )
            )
        return self._table(names, rows, like)

    def _processlist(self) -> SqlResult:
        s = self.s
        names = ("Id", "User", "Host", "db", "Command", "Time", "State", "Info", "Progress")
        rows = [
            (
                s.connection_id,
                s.user,
                f"{s.host}:{40000 + s.connection_id % 20000}",
                s.database,
                "Query",
                0,
                "starting",
                "SHOW PROCESSLIST",
                Decimal("0.000"),
            ),
        ]
        cols = tuple(
            _col(
                n, "BIGINT" if n in ("Id", "Time") else "DECIMAL" if n == "Progress" else "VARCHAR"
            )
            for n in names
        )
        return SqlResult(columns=cols, rows=tuple(rows))

    def _grants(self, body: str) -> SqlResult:
        s = self.s
        m = re.match(r"(?i)grants for (.+)$", body)
        user, host = s.user, "%"
        if m:
            target = m.group(1).strip()
            if not re.match(r"(?i)current_user(\(\))?$", target):
                parts = [p.strip("'`\"") for p in target.split("@")]
                if parts[0] != s.user:
                    raise SqlError(
                        1044,
                        "42000",
                        f"Access denied for user '{s.user}'@'{s.host}' to database 'mysql'",
                    )
                user, host = parts[0], parts[1] if len(parts) > 1 else "%"
        pw = s.engine.mysql_password_hash(user)
        rows = [(f"GRANT USAGE ON *.* TO `{user}`@`{host}` IDENTIFIED BY PASSWORD '{pw}'",)]
        for db in s.engine.user_databases("mysql"):
            rows.append((f"GRANT ALL PRIVILEGES ON `{db}`.* TO `{user}`@`{host}`",))
        return SqlResult(columns=(_col(f"Grants for {user}@{host}"),), rows=tuple(rows))


def _split_commas(body: str) -> list[str]:
    parts, depth, quote, cur = [], 0, "", ""
    for ch in body:
        if quote:
            cur += ch
            if ch == quote:
                quote = ""
            continue
        if ch in "'\"`":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def _literal(value: object) -> exp.Expr:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Literal.number(int(value))
    if isinstance(value, int | float | Decimal):
        return exp.Literal.number(str(value))
    if isinstance(value, bytes):
        return exp.Literal.string(value.decode("utf-8", "replace"))
    return exp.Literal.string(str(value))


STATEMENTS = frozenset(
    {
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "REPLACE",
        "CREATE",
        "DROP",
        "ALTER",
        "WITH",
        "VALUES",
        "TABLE",
        "TRUNCATE",
        "CALL",
        "RENAME",
    }
)

ENGINES = [
    ("CSV", "YES", "Stores tables as CSV files", "NO", "NO", "NO"),
    ("MRG_MyISAM", "YES", "Collection of identical MyISAM tables", "NO", "NO", "NO"),
    (
        "MEMORY",
        "YES",
        "Hash based, stored in memory, useful for temporary tables",
        "NO",
        "NO",
        "NO",
    ),
    (
        "Aria",
        "YES",
        "Crash-safe tables with MyISAM heritage. Used for internal temporary tables "
        "and privilege tables",
        "NO",
        "NO",
        "NO",
    ),
    (
        "MyISAM",
        "YES",
        "Non-transactional engine with good performance and small data footprint",
        "NO",
        "NO",
        "NO",
    ),
    ("SEQUENCE", "YES", "Generated tables filled with sequential values", "YES", "NO", "YES"),
    (
        "InnoDB",
        "DEFAULT",
        "Supports transactions, row-level locking, foreign keys and encryption for tables",
        "YES",
        "YES",
        "YES",
    ),
    ("PERFORMANCE_SCHEMA", "YES", "Performance Schema", "NO", "NO", "NO"),
]
CHARSETS = [
    ("latin1", "cp1252 West European", "latin1_swedish_ci", 1),
    ("ascii", "US ASCII", "ascii_general_ci", 1),
    ("binary", "Binary pseudo charset", "binary", 1),
    ("utf8mb3", "UTF-8 Unicode", "utf8mb3_general_ci", 3),
    ("utf8mb4", "UTF-8 Unicode", "utf8mb4_general_ci", 4),
]
COLLATIONS = [
    ("latin1_swedish_ci", "latin1", 8, "Yes", "Yes", 1),
    ("utf8mb3_general_ci", "utf8mb3", 33, "Yes", "Yes", 1),
    ("binary", "binary", 63, "Yes", "Yes", 1),
    ("utf8mb4_general_ci", "utf8mb4", 45, "Yes", "Yes", 1),
    ("utf8mb4_bin", "utf8mb4", 46, "", "Yes", 1),
    ("utf8mb4_unicode_ci", "utf8mb4", 224, "", "Yes", 8),
]
PLUGINS = [
    ("binlog", "ACTIVE", "STORAGE ENGINE", None, "GPL"),
    ("mysql_native_password", "ACTIVE", "AUTHENTICATION", None, "GPL"),
    ("mysql_old_password", "ACTIVE", "AUTHENTICATION", None, "GPL"),
    ("CSV", "ACTIVE", "STORAGE ENGINE", None, "GPL"),
    ("MEMORY", "ACTIVE", "STORAGE ENGINE", None, "GPL"),
    ("Aria", "ACTIVE", "STORAGE ENGINE", None, "GPL"),
    ("MyISAM", "ACTIVE", "STORAGE ENGINE", None, "GPL"),
    ("InnoDB", "ACTIVE", "STORAGE ENGINE", None, "GPL"),
    ("unix_socket", "ACTIVE", "AUTHENTICATION", None, "GPL"),
]
PRIVILEGES = [
    ("Alter", "Tables", "To alter the table"),
    ("Create", "Databases,Tables,Indexes", "To create new databases and tables"),
    ("Delete", "Tables", "To delete existing rows"),
    ("Drop", "Databases,Tables", "To drop databases, tables, and views"),
    ("File", "File access on server", "To read and write files on the server"),
    ("Insert", "Tables", "To insert data into tables"),
    ("Select", "Tables", "To retrieve rows from table"),
    ("Super", "Server Admin", "To use KILL thread, SET GLOBAL, CHANGE MASTER, etc."),
    ("Update", "Tables", "To update existing rows"),
    ("Usage", "Server Admin", "No privileges - allow connect only"),
]

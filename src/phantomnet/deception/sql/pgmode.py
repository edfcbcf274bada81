"""PostgreSQL 15's own statements: SHOW, SET, transactions, COPY, refusals, server functions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlglot import exp

from phantomnet.deception.sql import catalog, errors, funcs, pgdump, translate
from phantomnet.deception.sql.model import Column, SqlError, SqlResult

if TYPE_CHECKING:
    from phantomnet.deception.sql.session import SqlSession

_KW = re.compile(r"^\s*(?:/\*.*?\*/\s*|--[^\n]*\n\s*)*([A-Za-z_]+)", re.S)
CATALOG_SCHEMAS = ("pg_catalog", "information_schema")
_OPERATOR = re.compile(r"(?i)\bOPERATOR\s*\(\s*pg_catalog\.([~!<>=*+/%@#^&|-]+)\s*\)")
_COLLATE = re.compile(r'(?i)\s+COLLATE\s+(?:pg_catalog\.)?"?(?:default|C|POSIX)"?')
_QUALIFIED_TYPE = re.compile(r"(?i)(::\s*|\bAS\s+)pg_catalog\.(?=\w)")
#: '{1,2}'::oid[]: arrays are their text form in the engine, so an array cast is a no-op
_ARRAY_CAST = re.compile(r'(?i)::\s*"?(?:oid|int2|int4|int8|text|name|char|"char"|regclass)"?\[\]')
_DECLARE = re.compile(
    r"(?is)\s*declare\s+(\w+)\s+(?:binary\s+)?(?:(?:no\s+)?scroll\s+)?cursor\s+"
    r"(with\s+hold\s+|without\s+hold\s+)?for\s+(.+)"
)
_FETCH = re.compile(
    r"(?is)\s*fetch\s+(?:forward\s+)?(?:(\d+|all|next)\s+)?(?:from|in)\s+(\w+)\s*;?\s*$"
)
#: catalogues only a superuser may read (the password hashes)
SUPERUSER_CATALOGS = frozenset({"pg_authid", "pg_shadow"})
#: open cursors per session (each holds up to the engine's max_rows rows)
MAX_CURSORS = 16
_ONLY = re.compile(r"(?i)\b(from|join|update|table)\s+only\b(?=\s+[\w\"])")
_TX_END = re.compile(r"(?is)^\s*(commit|rollback|end|abort)\b")
_DENIED_FUNCS = frozenset(
    {
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "lo_import",
        "lo_export",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_ls_logdir",
        "pg_ls_waldir",
        "pg_ls_tmpdir",
        "pg_file_write",
        "pg_promote",
        "pg_switch_wal",
    }
)


STATEMENTS = frozenset(
    {
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "CREATE",
        "DROP",
        "ALTER",
        "WITH",
        "VALUES",
        "TABLE",
        "TRUNCATE",
        "GRANT",
        "REVOKE",
        "EXPLAIN",
        "PREPARE",
        "EXECUTE",
        "MERGE",
    }
)


#: extensions Debian's postgresql-15 ships (/usr/share/postgresql/15/extension)
CONTRIB = frozenset({
    "adminpack", "amcheck", "autoinc", "bloom", "btree_gin", "btree_gist", "citext", "cube",
    "dblink", "dict_int", "dict_xsyn", "earthdistance", "file_fdw", "fuzzystrmatch", "hstore",
    "insert_username", "intagg", "intarray", "isn", "lo", "ltree", "moddatetime",
    "old_snapshot", "pageinspect", "pg_buffercache", "pg_freespacemap", "pg_prewarm",
    "pg_stat_statements", "pg_surgery", "pg_trgm", "pg_visibility", "pg_walinspect",
    "pgcrypto", "pgrowlocks", "pgstattuple", "plpgsql", "postgres_fdw", "refint", "seg",
    "sslinfo", "tablefunc", "tcn", "tsm_system_rows", "tsm_system_time", "unaccent",
    "uuid-ossp", "xml2",
})  # fmt: skip


class PgMode:
    def __init__(self, session: SqlSession) -> None:
        self.s = session
        self.settings = {k: v[0] for k, v in session.engine.pg_settings().items()}
        self.descriptions = {k: v[1] for k, v in session.engine.pg_settings().items()}
        self.session_settings: dict[str, str] = {}
        self.lower = {k.lower(): k for k in self.settings}
        #: open cursors: name -> (the query's result, rows fetched so far)
        self.cursors: dict[str, tuple[SqlResult, int]] = {}

    # -- hooks -----------------------------------------------------------------------------
    def version_function(self) -> str:
        v = self.s.engine.server_version("postgres")
        return (
            f"PostgreSQL {v} on x86_64-pc-linux-gnu, compiled by gcc "
            "(Debian 12.2.0-14+deb12u1) 12.2.0, 64-bit"
        )

    def setting(self, name: str) -> object:
        key = self.lower.get(name.lower())
        if key is None:
            raise SqlError(0, "42704", f'unrecognized configuration parameter "{name}"')
        return self.session_settings.get(key, self.settings[key])

    def ends_transaction(self, text: str) -> bool:
        return bool(_TX_END.match(text))

    def tag(self, tree: exp.Expr | None, affected: int) -> str:
        if isinstance(tree, exp.Insert):
            return f"INSERT 0 {affected}"
        if isinstance(tree, exp.Update):
            return f"UPDATE {affected}"
        if isinstance(tree, exp.Delete):
            return f"DELETE {affected}"
        if isinstance(tree, exp.Create | exp.Drop | exp.Alter):
            verb = {exp.Create: "CREATE", exp.Drop: "DROP", exp.Alter: "ALTER"}[type(tree)]
            kind = str(tree.args.get("kind") or "TABLE").upper()
            return f"{verb} {kind}"
        if isinstance(tree, exp.TruncateTable):
            return "TRUNCATE TABLE"
        return "SELECT 0"

    def result_type(
        self, decl: str, values: list[object], tree: exp.Expr | None, index: int
    ) -> str:
        if decl:
            return catalog.pg_type(decl)
        proj = None
        if isinstance(tree, exp.Select) and index < len(tree.expressions):
            proj = tree.expressions[index]
            proj = proj.this if isinstance(proj, exp.Alias) else proj
        if isinstance(proj, exp.Count):
            return "int8"
        if isinstance(proj, exp.Cast):
            to = proj.to.sql("postgres").lower()
            return (
                catalog.pg_type(to)
                if catalog.pg_type(to) != "text" or to == "text"
                else to.split("(")[0]
            )
        for v in values:
            if v is None:
                continue
            if isinstance(v, bool):
                return "bool"
            if isinstance(v, int):
                return "int4" if -(2**31) <= v < 2**31 and not isinstance(proj, exp.Sum) else "int8"
            if isinstance(v, float):
                return "numeric" if isinstance(proj, exp.Literal) else "float8"
            if isinstance(v, Decimal):
                return "numeric"
            if isinstance(v, datetime):
                return "timestamp"
            if isinstance(v, date):
                return "date"
            if isinstance(v, bytes):
                return "bytea"
            return "text"
        return "text"

    def schema_of(self, db: str, table: str) -> str:
        s = self.s
        low = db.lower()
        if low in CATALOG_SCHEMAS or (not db and table.lower().startswith("pg_")):
            if table.lower() in SUPERUSER_CATALOGS and low != "information_schema":
                # the door's roles are not superusers (pg_dumpall then needs
                # --no-role-passwords, as against a real server)
                raise errors.pg_denied(f"permission denied for table {table.lower()}")
            s.engine.refresh_pg_catalog(s)
            return "pg_catalog" if low != "information_schema" else "information_schema"
        if low in ("", "public"):
            assert s.database is not None
            return s.database
        raise SqlError(0, "42P01", f'relation "{db}.{table}" does not exist')

    def replace(self, node: exp.Expr) -> exp.Expr | None:
        s = self.s
        sqlite_name = funcs.sqlite_only(node)
        if sqlite_name is not None:  # SQLite would answer it: a fingerprint
            args = [node.this] if isinstance(node, exp.Typeof | exp.Unicode) else node.expressions
            types = ", ".join(_arg_type(a) for a in args if isinstance(a, exp.Expr))
            raise errors.no_function("postgres", s.database, sqlite_name, types)
        if isinstance(node, exp.CurrentDatabase):
            return exp.Literal.string(s.database or "")
        if isinstance(node, exp.CurrentSchema):
            return exp.Literal.string("public")
        if isinstance(node, exp.CurrentUser | exp.SessionUser):
            return exp.Literal.string(s.user)
        if isinstance(node, exp.CurrentVersion):
            return exp.Literal.string(self.version_function())
        if isinstance(node, exp.Column) and not node.table and node.name.lower() == "user":
            ident = node.this
            if isinstance(ident, exp.Identifier) and not ident.quoted:
                return exp.Literal.string(s.user)
        if isinstance(node, exp.Parameter):
            inner = node.this
            name = inner.name if isinstance(inner, exp.Expr) else str(inner)
            if name.isdigit():
                return exp.var(f"?{int(name)}")
        if isinstance(node, exp.Rand):
            return exp.Anonymous(this="rand", expressions=[])
        if isinstance(node, exp.EQ) and isinstance(node.expression, exp.Any):
            arr = node.expression.this
            listed = arr.this if isinstance(arr, exp.Paren) else arr
            if isinstance(listed, exp.Array) and listed.expressions:
                # x = ANY (ARRAY['r', 'S']) is x IN ('r', 'S')
                return exp.In(
                    this=node.this.copy(), expressions=[e.copy() for e in listed.expressions]
                )
            if not isinstance(arr, exp.Select | exp.Subquery):
                # x = ANY(array) on the array's text form '{a,b}'
                wrapped = exp.DPipe(
                    this=exp.DPipe(
                        this=exp.Literal.string(","),
                        expression=exp.Anonymous(
                            this="trim", expressions=[arr.copy(), exp.Literal.string("{}")]
                        ),
                    ),
                    expression=exp.Literal.string(","),
                )
                needle = exp.DPipe(
                    this=exp.DPipe(this=exp.Literal.string(","), expression=node.this.copy()),
                    expression=exp.Literal.string(","),
                )
                return exp.GT(
                    this=exp.Anonymous(this="instr", expressions=[wrapped, needle]),
                    expression=exp.Literal.number(0),
                )
        if isinstance(node, exp.ByteString):
            return exp.Literal.string(str(node.this))
        if isinstance(node, exp.Array) and len(node.expressions) == 1:
            inner = node.expressions[0]
            if isinstance(inner, exp.Select) and len(inner.expressions) == 1:
                # ARRAY(SELECT x ...) -> its text form '{a,b}' (what psql prints)
                value = inner.expressions[0]
                agg = exp.Anonymous(
                    this="group_concat", expressions=[value.copy(), exp.Literal.string(",")]
                )
                body = inner.copy()
                body.set(
                    "expressions",
                    [
                        exp.DPipe(
                            this=exp.DPipe(
                                this=exp.Literal.string("{"),
                                expression=exp.Coalesce(
                                    this=agg, expressions=[exp.Literal.string("")]
                                ),
                            ),
                            expression=exp.Literal.string("}"),
                        )
                    ],
                )
                return exp.Subquery(this=body)
        if (
            isinstance(node, exp.Like | exp.ILike)
            and not isinstance(node.parent, exp.Escape)
            and isinstance(node.expression, exp.Literal)
            and "\\" in node.expression.this
        ):
            # PostgreSQL's LIKE escapes with a backslash by default, SQLite's has no escape
            return exp.Escape(this=node.copy(), expression=exp.Literal.string("\\"))
        if isinstance(node, exp.Column) and node.name.lower() == "tableoid":
            return pgdump.tableoid(node)
        if isinstance(node, exp.Cast) and node.to.sql("postgres").lower().startswith("reg"):
            return pgdump.regclass(node)
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous):
            return pgdump.options_table(node)
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Explode):
            return pgdump.unnest(node)
        if isinstance(node, exp.ArrayAgg) or (
            isinstance(node, exp.Anonymous) and node.name.lower() == "array_agg"
        ):
            return pgdump.array_agg(node)
        if isinstance(node, exp.Bracket):
            return pgdump.subscript(node)
        if isinstance(node, exp.Unnest) and isinstance(node.parent, exp.From | exp.Join):
            return pgdump.unnest(node)
        if isinstance(node, exp.Anonymous) and node.name.lower() == "set_config":
            return self._set_config(node)
        if isinstance(node, exp.Anonymous) and node.name.lower() in _DENIED_FUNCS:
            raise errors.pg_denied(f"permission denied for function {node.name.lower()}")
        if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
            left = node.this
            if (
                isinstance(left, exp.Identifier | exp.Var | exp.Column)
                and left.name.lower() == "pg_catalog"
            ):
                return node.expression
        return None

    # -- statements ----------------------------------------------------------------------
    def statement(self, text: str, params: Sequence[object]) -> SqlResult:
        # psql's catalogue queries: OPERATOR(pg_catalog.~) and COLLATE pg_catalog.default
        text = _OPERATOR.sub(lambda m: f" {m.group(1)} ", text)
        text = _COLLATE.sub(" ", text)
        text = _QUALIFIED_TYPE.sub(lambda m: m.group(1), text)
        text = _ARRAY_CAST.sub("", text)
        text = _ONLY.sub(lambda m: m.group(1), text)  # no table inheritance in the engine
        m = _KW.match(text)
        kw = m.group(1).upper() if m else ""
        handler = {
            "SHOW": self._show,
            "SET": self._set,
            "RESET": self._reset,
            "BEGIN": self._tx,
            "START": self._tx,
            "COMMIT": self._tx,
            "END": self._tx,
            "ROLLBACK": self._tx,
            "ABORT": self._tx,
            "COPY": self._copy,
            "DISCARD": self._tagged,
            "DEALLOCATE": self._tagged,
            "LISTEN": self._tagged,
            "UNLISTEN": self._tagged,
            "NOTIFY": self._tagged,
            "SAVEPOINT": self._tagged,
            "RELEASE": self._tagged,
            "CHECKPOINT": self._superuser,
            "VACUUM": self._vacuum,
            "ANALYZE": self._vacuum,
            "LOAD": self._load,
            "LOCK": self._lock,
            "DECLARE": self._declare,
            "FETCH": self._fetch,
            "CLOSE": self._close,
        }.get(kw)
        if handler is not None:
            return handler(text, params)
        if kw in ("CREATE", "DROP", "ALTER", "GRANT", "REVOKE"):
            special = self._ddl(text)
            if special is not None:
                return special
        if kw not in STATEMENTS:
            raise errors.syntax("postgres", text, len(text) - len(text.lstrip()))
        return self.s.run_text(text, params)

    def _tagged(self, text: str, _p: Sequence[object]) -> SqlResult:
        words = text.split()
        tag = words[0].upper()
        if tag == "DISCARD" and len(words) > 1:
            tag = f"DISCARD {words[1].upper()}"
        return SqlResult(tag=tag)

    def _declare(self, text: str, params: Sequence[object]) -> SqlResult:
        """DECLARE c CURSOR FOR query (pg_dump --inserts): the rows are read at once."""
        m = _DECLARE.match(text)
        if m is None:
            raise errors.syntax("postgres", text, len(text))
        name, query = m.group(1).lower(), m.group(3).strip().rstrip(";")
        hold = (m.group(2) or "").lower().startswith("with ")
        if not hold and not self.s.sandbox.conn.in_transaction:
            raise SqlError(0, "25P01", "DECLARE CURSOR can only be used in transaction blocks")
        if name in self.cursors:
            raise SqlError(0, "42P03", f'cursor "{name}" already exists')
        if len(self.cursors) >= MAX_CURSORS:
            raise SqlError(0, "53200", "out of memory")
        result = self.s.run_tree(translate.parse(query, "postgres"), query, params)
        self.cursors[name] = (result, 0)
        return SqlResult(tag="DECLARE CURSOR")

    def _fetch(self, text: str, _p: Sequence[object]) -> SqlResult:
        m = _FETCH.match(text)
        if m is None:
            raise errors.syntax("postgres", text, len(text))
        count, name = (m.group(1) or "1").lower(), m.group(2).lower()
        if name not in self.cursors:
            raise SqlError(0, "34000", f'cursor "{name}" does not exist')
        result, pos = self.cursors[name]
        n = len(result.rows) if count == "all" else 1 if count == "next" else int(count)
        rows = result.rows[pos : pos + n]
        self.cursors[name] = (result, pos + len(rows))
        return SqlResult(columns=result.columns, rows=rows, tag=f"FETCH {len(rows)}")

    def _close(self, text: str, _p: Sequence[object]) -> SqlResult:
        name = text.split()[1].strip(";").lower() if len(text.split()) > 1 else ""
        if name == "all":
            self.cursors.clear()
        elif self.cursors.pop(name, None) is None:
            raise SqlError(0, "34000", f'cursor "{name}" does not exist')
        return SqlResult(tag="CLOSE CURSOR")

    def _lock(self, _text: str, _p: Sequence[object]) -> SqlResult:
        """LOCK TABLE (pg_dump locks every table it dumps): a no-op inside a transaction."""
        if not self.s.sandbox.conn.in_transaction:
            raise SqlError(0, "25P01", "LOCK TABLE can only be used in transaction blocks")
        return SqlResult(tag="LOCK TABLE")

    def _vacuum(self, text: str, p: Sequence[object]) -> SqlResult:
        words = list(re.finditer(r"\S+", text))
        for m in words[1:]:
            word = m.group(0).strip(",").lower()
            if word in ("into", "from", "to", "program", "select", ";") or word.startswith("'"):
                raise errors.syntax("postgres", text, m.start())
        return self._tagged(text, p)

    def _superuser(self, text: str, _p: Sequence[object]) -> SqlResult:
        raise errors.pg_denied("must be superuser to do CHECKPOINT")

    def _load(self, _t: str, _p: Sequence[object]) -> SqlResult:
        raise errors.pg_denied("permission denied to load library")

    def _ddl(self, text: str) -> SqlResult | None:
        s = self.s
        if re.match(r"(?is)\s*create\s+extension\b", text):
            m = re.match(r"(?is)\s*create\s+extension\s+(?:if\s+not\s+exists\s+)?\"?([\w-]+)", text)
            name = m.group(1) if m else ""
            if name == "plpgsql":
                raise SqlError(0, "42710", f'extension "{name}" already exists')
            if name not in CONTRIB:
                raise SqlError(0, "0A000", f'extension "{name}" is not available')
            # untrusted ones need a superuser; trusted ones would need real functions
            raise SqlError(0, "42501", f'permission denied to create extension "{name}"')
        if re.match(r"(?is)\s*create\s+database\b", text):
            raise errors.pg_denied("permission denied to create database")
        if re.match(r"(?is)\s*drop\s+database\b", text):
            m = re.match(r"(?is)\s*drop\s+database\s+(?:if\s+exists\s+)?\"?(\w+)", text)
            name = m.group(1) if m else ""
            if name not in s.engine.databases("postgres"):
                raise errors.no_database("postgres", name)
            raise errors.pg_denied("must be owner of database " + name)
        if re.match(r"(?is)\s*(create|alter|drop)\s+(role|user|group)\b", text):
            raise errors.pg_denied("permission denied to create role")
        if re.match(
            r"(?is)\s*(create|drop)\s+(or\s+replace\s+)?(function|procedure|language|trigger|event\s+trigger|server|foreign|publication|subscription|tablespace|schema)\b",
            text,
        ):
            raise errors.pg_denied("permission denied for database " + (s.database or ""))
        if re.match(r"(?is)\s*(grant|revoke)\b", text):
            return SqlResult(tag=text.split()[0].upper())
        return None

    def _tx(self, text: str, _p: Sequence[object]) -> SqlResult:
        s = self.s
        word = text.strip().split()[0].upper()
        conn = s.sandbox.conn
        if word in ("BEGIN", "START"):
            s._materialize()
            with s.sandbox.trusted():
                if not conn.in_transaction:
                    conn.execute("BEGIN")
            return SqlResult(tag="BEGIN" if word == "BEGIN" else "START TRANSACTION")
        self.cursors.clear()  # a transaction's end closes its cursors
        rolled = word in ("ROLLBACK", "ABORT") or s.tx_failed
        if conn.in_transaction:
            with s.sandbox.trusted():
                conn.execute("ROLLBACK" if rolled else "COMMIT")
        s.tx_failed = False
        return SqlResult(tag="ROLLBACK" if rolled else "COMMIT")

    def _show(self, text: str, _p: Sequence[object]) -> SqlResult:
        name = text.strip()[4:].strip().strip('"')
        if not name:
            raise errors.syntax("postgres", text, len(text))
        if name.lower() == "all":
            rows = tuple(
                (k, self.session_settings.get(k, v), self.descriptions.get(k, ""))
                for k, v in sorted(self.settings.items(), key=lambda kv: kv[0].lower())
            )
            cols = (
                Column("name", "text"),
                Column("setting", "text"),
                Column("description", "text"),
            )
            return SqlResult(columns=cols, rows=rows, tag="SHOW")
        value = self.setting(name)
        key = self.lower.get(name.lower(), name)
        return SqlResult(columns=(Column(key, "text"),), rows=((value,),), tag="SHOW")

    def _set(self, text: str, _p: Sequence[object]) -> SqlResult:
        body = re.sub(r"(?is)^\s*set\s+(session\s+|local\s+)?", "", text).strip()
        if re.match(r"(?is)(session\s+characteristics|transaction)\b", body):
            return SqlResult(tag="SET")
        m = re.match(r"(?is)(time\s+zone)\s+(.+)$", body) or re.match(
            r"(?is)([\w.]+)\s*(?:=|\s+to\s+)\s*(.+)$", body
        )
        if m is None:
            raise errors.syntax("postgres", text, len(text))
        name = "TimeZone" if m.group(1).lower().startswith("time") else m.group(1)
        value = m.group(2).strip().rstrip(";").strip()
        if value.startswith("'") and value.endswith("'"):
            value = value[1:-1]
        key = self.lower.get(name.lower())
        if key is None:
            if "." in name:
                self.settings[name] = value
                self.lower[name.lower()] = name
                return SqlResult(tag="SET")
            raise SqlError(0, "42704", f'unrecognized configuration parameter "{name}"')
        self.session_settings[key] = value
        return SqlResult(tag="SET")

    def _set_config(self, node: exp.Anonymous) -> exp.Expr | None:
        """set_config(name, value, is_local): pg_dump's first statement. Sets the session
        value (is_local is ignored: the engine has no per-transaction settings); with a
        name from a column the SQLite function answers the value without setting it."""
        args = node.expressions
        if len(args) != 3 or not all(isinstance(a, exp.Literal) for a in args[:2]):
            return None
        name, value = str(args[0].this), str(args[1].this)
        self.s.side_effect = True  # the next run of the same text must set it again
        key = self.lower.get(name.lower())
        if key is None:
            if "." not in name:
                raise SqlError(0, "42704", f'unrecognized configuration parameter "{name}"')
            self.settings[name] = value
            self.lower[name.lower()] = name
        else:
            self.session_settings[key] = value
        return exp.Literal.string(value)

    def _reset(self, text: str, _p: Sequence[object]) -> SqlResult:
        name = text.strip()[5:].strip()
        if name.lower() == "all":
            self.session_settings.clear()
        else:
            key = self.lower.get(name.lower())
            if key is None:
                raise SqlError(0, "42704", f'unrecognized configuration parameter "{name}"')
            self.session_settings.pop(key, None)
        return SqlResult(tag="RESET")

    def _copy(self, text: str, params: Sequence[object]) -> SqlResult:
        if re.search(r"(?is)\bprogram\b", text):
            raise errors.pg_denied(
                "must be superuser or have privileges of the pg_execute_server_program role "
                "to COPY to or from an external program"
            )
        m = re.match(r"(?is)\s*copy\s+(\(.+\)|[\w.\"]+(?:\s*\([^)]*\))?)\s+(to|from)\s+(\S+)", text)
        if m is None:
            raise errors.syntax("postgres", text, len(text))
        target, direction, dest = m.group(1), m.group(2).lower(), m.group(3).lower()
        if dest not in ("stdout", "stdin"):
            if direction == "to":
                raise errors.pg_denied(
                    "must be superuser or have privileges of the pg_write_server_files role "
                    "to COPY to a file"
                )
            raise errors.pg_denied(
                "must be superuser or have privileges of the pg_read_server_files role "
                "to COPY from a file"
            )
        if direction == "from":
            raise SqlError(
                0, "0A000", "COPY FROM STDIN is not supported by this server configuration"
            )
        if target.startswith("("):
            query = target[1:-1]
        else:
            cols = re.match(r"(?s)([\w.\"]+)\s*(?:\((.*)\))?", target)
            assert cols is not None
            query = f"SELECT {cols.group(2) or '*'} FROM {cols.group(1)}"
        tree = translate.parse(query, "postgres")
        result = self.s.run_tree(tree, query, params)
        return SqlResult(columns=result.columns, rows=result.rows, tag=f"COPY {len(result.rows)}")


def _arg_type(node: exp.Expr) -> str:
    """The type PostgreSQL resolves a call's argument to, as its "function f(...) does not
    exist" names it: a literal's exactly, anything else as text (an approximation)."""
    if isinstance(node, exp.Neg):
        return _arg_type(node.this)
    if isinstance(node, exp.Null) or (isinstance(node, exp.Literal) and node.is_string):
        return "unknown"
    if isinstance(node, exp.Boolean):
        return "boolean"
    if isinstance(node, exp.Literal):
        digits = str(node.this)
        if not digits.isdigit():
            return "numeric"
        return "integer" if int(digits) < 2**31 else "bigint" if len(digits) < 19 else "numeric"
    return "text"

"""One connection's SQL session: dispatch, translation, execution, results.

Statements the real servers answer themselves (SHOW, SET, USE, transactions, the refusals)
are handled by :mod:`.mysqlmode` / :mod:`.pgmode`; everything else is parsed by sqlglot in the
client's dialect, rewritten (tables qualified with their database, server functions and
``@@variables`` replaced by their values) and run on the sandboxed SQLite connection.
"""

from __future__ import annotations

import random
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from sqlglot import exp

from phantomnet.deception.sql import catalog, errors, funcs, mysqlfuncs, translate
from phantomnet.deception.sql.catalog import ColumnInfo
from phantomnet.deception.sql.model import Column, Described, Dialect, SqlError, SqlResult
from phantomnet.deception.sql.sandbox import Sandbox

if TYPE_CHECKING:
    from phantomnet.deception.sql.engine import SqlEngine

MAX_PLANS = 256
WRITES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Merge,
    exp.TruncateTable,
)
_PG_DENIED_FUNCS = frozenset(
    {
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "lo_import",
        "lo_export",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_ls_logdir",
        "pg_ls_waldir",
        "pg_ls_tmpdir",
        "pg_file_write",
    }
)


class SqlSession:
    """Not thread-safe; one per client connection."""

    def __init__(
        self,
        engine: SqlEngine,
        source: str,
        dialect: Dialect,
        *,
        user: str,
        database: str | None,
        connection_id: int,
    ) -> None:
        self.engine = engine
        self.source = source
        self.dialect: Dialect = dialect
        self.user = user
        self.database = database
        self.connection_id = connection_id
        self.host = source
        self.last_insert_id = 0
        self.found_rows = 0
        self.row_count = -1
        self.settings: dict[str, str] = {}
        self.tx_failed = False
        #: pg_get_indexdef()/pg_get_constraintdef() answers, filled with pg_catalog
        self.pg_defs: dict[str, str] = {}
        #: (statement, database) -> (rewritten tree, SQLite text) of read-only statements
        self._plans: OrderedDict[tuple[str, str], tuple[exp.Expr, str]] = OrderedDict()
        #: set while rewriting a statement that changed session state (not to be cached)
        self.side_effect = False
        self._last_sql = ""
        #: in-memory catalogue schemas whose tables exist already
        self.memory_schemas: set[str] = set()
        self.clock = funcs.Clock()
        self.rng = random.Random()
        self.sandbox = Sandbox(engine.limits)
        self.sandbox.deny_error = self._denied
        self._materialized = False
        self._catalog: dict[str, dict[str, list[ColumnInfo]]] | None = None
        self._attach()
        funcs.register(self.sandbox.conn, dialect, self.clock, self.rng, self._value)
        if dialect == "mysql":
            from phantomnet.deception.sql import mysqlmode

            self.mode: mysqlmode.MysqlMode | pgmode.PgMode = mysqlmode.MysqlMode(self)
        else:
            from phantomnet.deception.sql import pgmode

            self.mode = pgmode.PgMode(self)

    # -- databases -----------------------------------------------------------------------
    def _attach(self) -> None:
        paths, writable = self.engine.paths(self.source)
        for name, path in paths.items():
            self.sandbox.attach(str(path), name, readonly=not writable)
        self._materialized = writable

    def _reattach(self) -> None:
        for name in self.engine.db_names:
            self.sandbox.detach(name)
        self._attach()
        self._catalog = None

    def _materialize(self) -> None:
        """Give this source its own copy of the data before its first write."""
        if self._materialized:
            return
        if self.sandbox.conn.in_transaction:
            return
        self.engine.materialize(self.source)
        self._reattach()

    def sync(self) -> None:
        """Another connection of this source may have made the copy: switch to it."""
        if self._materialized or self.sandbox.conn.in_transaction:
            return
        if self.engine.is_materialized(self.source):
            self._reattach()

    def catalog(self) -> dict[str, dict[str, list[ColumnInfo]]]:
        if self._catalog is None:
            with self.sandbox.trusted() as conn:
                names = list(self.engine.db_names) + [
                    n for n in ("information_schema", "pg_catalog") if n in self.memory_schemas
                ]
                self._catalog = catalog.read_catalog(conn, names)
        return self._catalog

    def visible_databases(self) -> list[str]:
        return self.engine.databases(self.dialect)

    def use(self, database: str) -> None:
        if database not in self.engine.user_databases(self.dialect):
            if self.dialect == "mysql" and database.lower() in ("information_schema",):
                self.database = "information_schema"
                return
            if self.dialect == "mysql":
                raise errors.unknown_database_for(self.user, database)
            raise errors.no_database(self.dialect, database)
        self.database = database

    def _value(self, name: str) -> object:
        if name == "role":
            return self.user
        if name == "client":
            return self.source
        if name == "started":
            from datetime import datetime

            return datetime.fromtimestamp(int(self.engine.persona.boot_time) + 41).strftime(
                "%Y-%m-%d %H:%M:%S.%f+00"
            )
        if name.startswith(("indexdef:", "constraintdef:")):
            return self.pg_defs.get(name)
        if name == "user":
            return f"{self.user}@{self.host}"
        if name == "connection_id":
            return self.connection_id
        if name == "last_insert_id":
            return self.last_insert_id
        if name == "found_rows":
            return self.found_rows
        if name == "row_count":
            return self.row_count
        if name == "database":
            return self.database
        if name == "version":
            return self.mode.version_function()
        if name.startswith("setting:"):
            return self.mode.setting(name[8:])
        return None

    def _denied(self, action: int, a: str | None, b: str | None) -> SqlError:
        if action == sqlite3.SQLITE_FUNCTION and b is not None:
            return errors.no_function(self.dialect, self.database, b.lower())
        if self.dialect == "mysql":
            return errors.need_privilege("SUPER")
        return errors.pg_denied("permission denied")

    # -- execution -----------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[object] = ()) -> list[SqlResult | SqlError]:
        try:
            return self._execute(sql, params)
        except SqlError as exc:
            return [exc]
        except (
            RecursionError,
            MemoryError,
            OverflowError,
            ValueError,
            TypeError,
            sqlite3.Error,
            IndexError,
            KeyError,
            AttributeError,
        ):
            return [errors.syntax(self.dialect, sql, 0)]

    def _execute(self, sql: str, params: Sequence[object]) -> list[SqlResult | SqlError]:
        if not isinstance(sql, str):
            sql = str(sql)
        self.sync()
        pieces = translate.split(sql, self.dialect)
        if not pieces:
            if self.dialect == "mysql":
                return [SqlError(1065, "42000", "Query was empty")]
            return []
        out: list[SqlResult | SqlError] = []
        for piece in pieces:
            self.clock.delay_s = 0.0
            try:
                if self.tx_failed and not self.mode.ends_transaction(piece.text):
                    raise SqlError(
                        0,
                        "25P02",
                        "current transaction is aborted, commands ignored until end of "
                        "transaction block",
                    )
                result = self.mode.statement(piece.text, params)
            except SqlError as exc:
                if self.dialect == "postgres" and self.sandbox.conn.in_transaction:
                    self.tx_failed = True
                out.append(exc)
                break
            except (
                RecursionError,
                MemoryError,
                OverflowError,
                ValueError,
                TypeError,
                IndexError,
                KeyError,
                AttributeError,
            ):
                out.append(errors.syntax(self.dialect, piece.text, 0))
                break
            out.append(result)
        return out

    def describe(self, sql: str) -> Described:
        """Placeholders and result columns of ``sql``, without running it (on a savepoint)."""
        count = translate.placeholder_count(sql, self.dialect)
        columns: tuple[Column, ...] = ()
        text = sql.strip().rstrip(";")
        if re.match(r"(?is)\s*(select|with|show|values|table)\b", text):
            with_nulls = [None] * count
            try:
                results = self.execute(text, with_nulls)
            except SqlError:
                results = []
            if results and isinstance(results[0], SqlResult):
                columns = results[0].columns
        return Described(count, columns)

    def close(self) -> None:
        try:
            if self.sandbox.conn.in_transaction:
                with self.sandbox.trusted() as conn:
                    conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        self.sandbox.close()

    # -- the sqlglot path ----------------------------------------------------------------
    def run_text(self, text: str, params: Sequence[object]) -> SqlResult:
        """Parse, rewrite and run one statement; read-only plans are cached per session."""
        key = (text, self.database or "")
        plan = self._plans.get(key)
        if plan is not None:
            self._plans.move_to_end(key)
            tree, sqlite_sql = plan
            return self.run_sqlite(sqlite_sql, params, tree, text)
        tree = translate.parse(text, self.dialect)
        self.side_effect = False
        result = self.run_tree(tree, text, params)
        if self._cacheable(tree) and not self.side_effect:
            self._plans[key] = (tree, self._last_sql)
            while len(self._plans) > MAX_PLANS:
                self._plans.popitem(last=False)
        return result

    def _cacheable(self, tree: exp.Expr) -> bool:
        if not isinstance(tree, exp.Query) or not self._last_sql:
            return False
        for table in tree.find_all(exp.Table):
            if table.db.lower() in ("information_schema", "pg_catalog"):
                return False
        return True

    def forget_plans(self) -> None:
        """Session state a plan embedded (variables, the catalogue) changed."""
        self._plans.clear()

    def run_tree(self, tree: exp.Expr, text: str, params: Sequence[object]) -> SqlResult:
        """Rewrite and run one parsed statement."""
        before = 0
        if isinstance(tree, WRITES):
            self._materialize()
            self.engine.check_room(self.dialect)
            before = self.engine.used_bytes(self.source)
        translate.name_columns(tree, text, self.dialect)
        self.rewrite(tree)
        self._last_sql = ""
        if isinstance(tree, WRITES):
            self.forget_plans()
        try:
            sqlite_sql = translate.to_sqlite(tree)
            result = self.run_sqlite(sqlite_sql, params, tree, text)
            self._last_sql = sqlite_sql
            if isinstance(tree, WRITES):
                self.engine.account(self.source, before)
            return result
        except SqlError:
            empty = self._over_empty_catalogue(tree)
            if empty is None:
                raise
            return empty

    def _over_empty_catalogue(self, tree: exp.Expr) -> SqlResult | None:
        """A catalogue query SQLite cannot run but whose every branch reads an empty
        catalogue table (publications, policies, statistics objects...) has no rows."""
        if self.dialect != "postgres" or not isinstance(tree, exp.Query):
            return None
        branches: list[exp.Expr] = []
        pending: list[exp.Expr] = [tree]
        while pending:
            node = pending.pop()
            if isinstance(node, exp.SetOperation):
                pending += [node.left, node.right]
            else:
                branches.append(node)
        cat = self.catalog()
        for branch in branches:
            if not isinstance(branch, exp.Select):
                return None
            sources = [branch.args.get("from_") or branch.args.get("from")]
            sources += [j for j in branch.args.get("joins") or [] if not j.side]
            empty = False
            for src in sources:
                table = src.this if isinstance(src, exp.From | exp.Join) else None
                if not isinstance(table, exp.Table) or table.db not in (
                    "pg_catalog",
                    "information_schema",
                ):
                    continue
                if table.name in cat.get(table.db, {}) and not self.engine.row_count(
                    self, table.db, table.name
                ):
                    empty = True
            if not empty:
                return None
        first = translate.first_select(tree)
        names = [e.alias_or_name for e in first.expressions] if first is not None else []
        return SqlResult(columns=tuple(Column(n, "text") for n in names), tag="SELECT 0")

    def run_sqlite(
        self, sqlite_sql: str, params: Sequence[object], tree: exp.Expr | None, text: str
    ) -> SqlResult:
        sb = self.sandbox
        sb.arm()
        bound = [_bindable(p) for p in params]
        try:
            try:
                cur = sb.conn.execute(sqlite_sql, bound)
            except sqlite3.ProgrammingError as exc:
                # the statement uses fewer/more placeholders than the client bound
                m = re.search(r"uses (\d+), and there are", str(exc))
                if m is None:
                    raise
                n = int(m.group(1))
                cur = sb.conn.execute(sqlite_sql, (bound + [None] * n)[:n])
            rows = cur.fetchmany(self.engine.limits.max_rows) if cur.description else []
        except sqlite3.Error as exc:
            if sb.raised is not None:
                raise sb.raised from None
            if sb.interrupted:
                raise errors.interrupted(self.dialect) from None
            raise self._error(str(exc), tree, text) from None
        except (OverflowError, MemoryError, ValueError) as exc:
            raise errors.from_sqlite(
                self.dialect, f"string or blob too big {exc}", text, self.database
            ) from None
        if tree is not None and not isinstance(tree, exp.Query):
            self._catalog = None
        names = [d[0] for d in cur.description] if cur.description else []
        if not names:
            affected = max(0, cur.rowcount)
            self.row_count = affected
            last = int(cur.lastrowid or 0) if isinstance(tree, exp.Insert) else 0
            if last:
                self.last_insert_id = last
            return SqlResult(
                affected=affected,
                last_insert_id=last,
                tag=self.mode.tag(tree, affected),
                delay_s=self.clock.delay_s,
            )
        decls = self.result_decls(tree, names)
        out_rows = tuple(
            tuple(catalog.convert(v, decls[i][0], self.dialect) for i, v in enumerate(row))
            for row in rows
        )
        columns = tuple(
            Column(
                name,
                self.mode.result_type(decls[i][0], [r[i] for r in out_rows], tree, i),
                table=decls[i][1],
                database=decls[i][2],
            )
            for i, name in enumerate(names)
        )
        self.found_rows = len(out_rows)
        self.row_count = -1
        dml = isinstance(tree, exp.Insert | exp.Update | exp.Delete)
        tag = self.mode.tag(tree, len(out_rows)) if dml else f"SELECT {len(out_rows)}"
        return SqlResult(
            columns=columns,
            rows=out_rows,
            affected=len(out_rows),
            tag=tag,
            delay_s=self.clock.delay_s,
        )

    def _error(self, message: str, tree: exp.Expr | None, text: str) -> SqlError:
        """The real server's error for a SQLite failure of ``tree``."""
        m = re.search(r"no such table: (?:(\S+)\.)?(\S+)", message)
        if m and isinstance(tree, exp.Drop):
            db = m.group(1) or self.database or ""
            if self.dialect == "mysql":
                return SqlError(1051, "42S02", f"Unknown table '{db}.{m.group(2)}'")
            return SqlError(0, "42P01", f'table "{m.group(2)}" does not exist')
        m = re.search(r"UNIQUE constraint failed: (\S+)\.(\S+)", message)
        if m and isinstance(tree, exp.Insert):
            return self._duplicate(tree, m.group(1), m.group(2))

        def clause_of(column: str) -> str:
            return _clause(tree, column)

        return errors.from_sqlite(self.dialect, message, text, self.database, clause_of)

    def _duplicate(self, tree: exp.Insert, table: str, column: str) -> SqlError:
        value = "?"
        target = tree.this
        names = (
            [c.name.lower() for c in target.expressions] if isinstance(target, exp.Schema) else []
        )
        values = tree.expression
        if isinstance(values, exp.Values) and values.expressions:
            first = values.expressions[0]
            items = list(first.expressions) if isinstance(first, exp.Tuple) else [first]
            if not names:
                db = target.db if isinstance(target, exp.Table) else self.database or ""
                names = [c.name.lower() for c in self.catalog().get(db, {}).get(table, [])]
            if column.lower() in names and names.index(column.lower()) < len(items):
                item = items[names.index(column.lower())]
                value = item.name if isinstance(item, exp.Literal) else item.sql("mysql")
        pk = any(c.pk and c.name.lower() == column.lower()
                 for cols in self.catalog().values() for c in cols.get(table, []))  # fmt: skip
        if self.dialect == "mysql":
            key = "PRIMARY" if pk else column
            return SqlError(1062, "23000", f"Duplicate entry '{value}' for key '{key}'")
        name = f"{table}_pkey" if pk else f"{table}_{column}_key"
        return SqlError(0, "23505", f'duplicate key value violates unique constraint "{name}"')

    def result_decls(self, tree: exp.Expr | None, names: list[str]) -> list[tuple[str, str, str]]:
        """(declared type, table, database) of each result column, where it is a plain column."""
        blank = [("", "", "")] * len(names)
        select = translate.first_select(tree) if tree is not None else None
        if select is None:
            return blank
        tables: dict[str, tuple[str, str]] = {}
        for t in select.find_all(exp.Table):
            if t.db:
                tables[t.alias_or_name.lower()] = (t.db, t.name)
        cat = self.catalog()
        projections = select.expressions
        if len(projections) != len(names):
            flat: list[tuple[str, str, str]] = []
            for db, table in tables.values():
                flat += [(c.decl, table, db) for c in cat.get(db, {}).get(table, [])]
            return flat if len(flat) == len(names) else blank

        def lookup(col: exp.Column) -> tuple[str, str, str]:
            qualifier = col.table.lower() if col.table else ""
            candidates = [tables[qualifier]] if qualifier in tables else list(tables.values())
            for db, table in candidates:
                for info in cat.get(db, {}).get(table, []):
                    if info.name.lower() == col.name.lower():
                        return (info.decl if not info.pk else "int(11)", table, db)
            return ("", "", "")

        out: list[tuple[str, str, str]] = []
        for proj in projections:
            node = proj.this if isinstance(proj, exp.Alias) else proj
            found = ("", "", "")
            if isinstance(node, exp.Column):
                found = lookup(node)
            elif isinstance(node, exp.Min | exp.Max) and isinstance(node.this, exp.Column):
                found = (lookup(node.this)[0], "", "")
            elif isinstance(node, exp.Sum | exp.Avg) and isinstance(node.this, exp.Column):
                decl = lookup(node.this)[0]
                base, _n, scale = catalog.parse_decl(decl)
                if base in ("decimal", "numeric"):
                    extra = 4 if isinstance(node, exp.Avg) else 0
                    found = (f"decimal(65,{(scale or 0) + extra})", "", "")
            elif self.dialect == "mysql" and isinstance(node, exp.Div):
                scale = self._exact_scale(node.this, lookup)
                if scale is not None and self._exact_scale(node.expression, lookup) is not None:
                    # MariaDB: DECIMAL, the dividend's scale + div_precision_increment (4)
                    found = (f"decimal(65,{min(38, scale + 4)})", "", "")
            elif self.dialect == "postgres" and isinstance(node, _PREDICATES):
                found = ("boolean", "", "")
            out.append(found)
        return out

    @staticmethod
    def _exact_scale(
        node: exp.Expr, lookup: Callable[[exp.Column], tuple[str, str, str]]
    ) -> int | None:
        """The scale of an exact (integer or DECIMAL) operand; None for anything else."""
        if isinstance(node, exp.Paren | exp.Neg):
            return SqlSession._exact_scale(node.this, lookup)
        if isinstance(node, exp.Literal) and not node.is_string:
            digits = node.this
            if "e" in digits.lower():
                return None
            return len(digits.split(".")[1]) if "." in digits else 0
        if isinstance(node, exp.Column):
            base, _n, scale = catalog.parse_decl(lookup(node)[0])
            if base in ("int", "integer", "bigint", "smallint", "tinyint", "mediumint"):
                return 0
            if base in ("decimal", "numeric"):
                return scale or 0
        return None

    # -- rewriting -----------------------------------------------------------------------
    def rewrite(self, tree: exp.Expr) -> None:
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        for table in list(tree.find_all(exp.Table)):
            if self.dialect == "mysql" and mysqlfuncs.is_dual(table):
                continue  # replaced by a one-row subquery below
            if isinstance(table.this, exp.Identifier) and table.name.lower() not in ctes:
                self._qualify(table)
            elif not isinstance(table.this, exp.Identifier) and not table.name:
                continue
        stack: list[exp.Expr] = [tree]
        budget = 200_000
        while stack and budget > 0:
            budget -= 1
            node = stack.pop()
            if isinstance(node, exp.Order) and isinstance(node.parent, exp.GroupConcat):
                # SQLite 3.40 has no ORDER BY inside aggregates: rows come in table order
                inner = node.this
                node.replace(inner)
                stack.append(inner)
                continue
            for _ in range(3):  # a replacement may itself need replacing (Dot -> function)
                replacement = self.mode.replace(node) if node is not tree else None
                if replacement is None:
                    break
                node.replace(replacement)
                node = replacement
            stack.extend(node.iter_expressions())

    def _qualify(self, table: exp.Table) -> None:
        db = table.db
        name = table.name
        if table.args.get("catalog") is not None:
            catalog_name = table.catalog
            if self.dialect == "postgres" and catalog_name != self.database:
                raise SqlError(
                    0,
                    "0A000",
                    f"cross-database references are not implemented: {table.sql('postgres')}",
                )
            table.set("catalog", None)
        if name.lower().startswith(("sqlite_", "pragma_")):
            raise errors.no_table(self.dialect, db or self.database or "", name)
        target = self.mode.schema_of(db, name)
        table.set("db", exp.to_identifier(target))


_PREDICATES = (exp.Boolean, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like,
               exp.ILike, exp.In, exp.Is, exp.Not, exp.And, exp.Or, exp.Exists, exp.Between,
               exp.RegexpLike)  # fmt: skip

_CLAUSES: tuple[tuple[type[exp.Expr], str], ...] = (
    (exp.Where, "WHERE"), (exp.Order, "ORDER BY"), (exp.Group, "GROUP BY"),
    (exp.Having, "HAVING"), (exp.Join, "ON"),
)  # fmt: skip


def _clause(tree: exp.Expr | None, column: str) -> str:
    """Which clause of ``tree`` names ``column`` (MariaDB 10.11's wording)."""
    if tree is None:
        return "SELECT"
    for node in tree.find_all(exp.Column):
        if node.name.lower() != column.lower():
            continue
        parent = node.parent
        while parent is not None and parent is not tree:
            for cls, word in _CLAUSES:
                if isinstance(parent, cls):
                    return word
            if isinstance(tree, exp.Update) and parent in tree.expressions:
                return "SET"
            parent = parent.parent
        if isinstance(tree, exp.Update):
            return "SET"
        return "SELECT"
    return "SELECT"


def _bindable(value: object) -> object:
    if value is None or isinstance(value, int | float | str | bytes):
        return value
    if isinstance(value, bool):
        return int(value)
    return str(value)

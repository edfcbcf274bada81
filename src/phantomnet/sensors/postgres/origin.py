"""Where PostgreSQL 15.20 raises an error: the F/L/R fields (source file, line, routine), the
cursor position (P) and the hint/detail the real backend adds, for the engine's SQLSTATE and
wording. Measured against Debian 12's postgresql-15 (the values its ErrorResponses carry).

The engine returns only (sqlstate, message); a real server's error has these extra fields,
and clients print them (psql shows ``LINE 1: ... ^`` from P, ``HINT:`` from H).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from phantomnet.sensors.postgres.wire import PgError

_FUNC_HINT = (
    "No function matches the given name and argument types. "
    "You might need to add explicit type casts."
)
_COPY_HINT = "Anyone can COPY to stdout or from stdin. psql's \\copy command also works for anyone."


@dataclass(frozen=True)
class Origin:
    pattern: re.Pattern[str]
    file: str
    line: int
    routine: str
    #: regex group whose text is searched in the statement for P ("" = none, "$" = end)
    locate: str = ""
    hint: str = ""
    detail: str = ""


def _o(code: str, rx: str, file: str, line: int, routine: str, **kw: str) -> tuple[str, Origin]:
    return code, Origin(re.compile(rx, re.DOTALL), file, line, routine, **kw)


ORIGINS: list[tuple[str, Origin]] = [
    _o("42601", r"syntax error at end of input", "scan.l", 1180, "scanner_yyerror", locate="$"),
    _o("42601", r'syntax error at or near "(.*)"', "scan.l", 1188, "scanner_yyerror", locate="1"),
    _o(
        "42P01",
        r'relation "(.*)" does not exist',
        "parse_relation.c",
        1392,
        "parserOpenTable",
        locate="1",
    ),
    _o("42P01", r'table "(.*)" does not exist', "tablecmds.c", 1331, "DropErrorMsgNonExistent"),
    _o(
        "42703",
        r'column "(.*)" does not exist',
        "parse_relation.c",
        3665,
        "errorMissingColumn",
        locate="1",
    ),
    _o(
        "42883",
        r"function (\w+)\(.*\) does not exist",
        "parse_func.c",
        629,
        "ParseFuncOrColumn",
        locate="1",
        hint=_FUNC_HINT,
    ),
    _o("42501", r"permission denied for schema", "aclchk.c", 3655, "aclcheck_error"),
    _o("42501", r"permission denied for", "aclchk.c", 3655, "aclcheck_error"),
    _o("42501", r".*external program", "copy.c", 85, "DoCopy", hint=_COPY_HINT),
    _o("42501", r".*COPY from a file", "copy.c", 93, "DoCopy", hint=_COPY_HINT),
    _o("42501", r".*COPY to a file", "copy.c", 101, "DoCopy", hint=_COPY_HINT),
    _o("42501", r"permission denied to create database", "dbcommands.c", 938, "createdb"),
    _o("42501", r"permission denied to create role", "user.c", 275, "CreateRole"),
    _o("42501", r"permission denied to set parameter", "guc.c", 9004, "AlterSystemSetConfigFile"),
    _o("22012", r"division by zero", "int.c", 869, "int4div"),
    _o("22P02", r"invalid input syntax for type integer", "numutils.c", 232, "pg_strtoint32"),
    _o("42704", r"unrecognized configuration parameter", "guc.c", 5766, "find_option"),
    _o(
        "0A000",
        r'extension "(.*)" is not available',
        "extension.c",
        671,
        "parse_extension_control_file",
        hint="The extension must first be installed on the system where PostgreSQL is running.",
    ),
    _o("3D000", r'database ".*" does not exist', "postinit.c", 948, "InitPostgres"),
    _o(
        "55000",
        r'database ".*" is not currently accepting connections',
        "postinit.c",
        350,
        "CheckMyDatabase",
    ),
    _o("42P02", r"there is no parameter \$(\d+)", "parse_expr.c", 838, "transformParamRef"),
    _o("25P02", r"current transaction is aborted", "postgres.c", 1081, "exec_simple_query"),
    _o("42P07", r'relation ".*" already exists', "heap.c", 1150, "heap_create_with_catalog"),
    _o("23505", r"duplicate key value violates", "nbtinsert.c", 664, "_bt_check_unique"),
    _o("57014", r"canceling statement", "postgres.c", 3285, "ProcessInterrupts"),
]


def _position(sql: str, needle: str) -> int:
    if not needle:
        return 0
    at = sql.find(needle)
    if at < 0:
        at = sql.lower().find(needle.lower())
    return at + 1 if at >= 0 else 0


def locate(sqlstate: str, message: str, sql: str = "", severity: str = "ERROR") -> PgError:
    """The full ErrorResponse a real backend sends for the engine's (sqlstate, message)."""
    for code, origin in ORIGINS:
        if code != sqlstate:
            continue
        m = origin.pattern.match(message)
        if m is None:
            continue
        pos = 0
        if origin.locate == "$":
            pos = len(sql.rstrip().rstrip(";").rstrip()) + 1 if sql else 0
        elif origin.locate:
            pos = _position(sql, m.group(int(origin.locate)))
        detail = origin.detail
        if sqlstate == "0A000" and m.groups():
            detail = (
                f'Could not open extension control file "/usr/share/postgresql/15/extension/'
                f'{m.group(1)}.control": No such file or directory.'
            )
        return PgError(
            severity,
            sqlstate,
            message,
            origin.file,
            origin.line,
            origin.routine,
            detail=detail,
            hint=origin.hint,
            position=pos,
        )
    return PgError(severity, sqlstate, message)

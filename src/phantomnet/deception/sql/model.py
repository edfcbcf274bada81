"""The values the SQL engine hands the database doors (see ``SqlEngine`` in :mod:`.engine`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from phantomnet.errors import PhantomNetError

Dialect = Literal["mysql", "postgres"]


@dataclass(frozen=True)
class Column:
    """One result column, typed in the dialect's own words ("VARCHAR" / "text")."""

    name: str
    type_name: str
    table: str = ""
    database: str = ""
    nullable: bool = True


@dataclass(frozen=True)
class SqlResult:
    """What one statement produced (``columns`` empty when it has no result set)."""

    columns: tuple[Column, ...] = ()
    rows: tuple[tuple[object, ...], ...] = ()
    affected: int = 0
    last_insert_id: int = 0
    tag: str = ""
    warnings: int = 0
    #: seconds the real server would have spent in SLEEP()/BENCHMARK()/pg_sleep() (capped);
    #: the door may wait them out (additive to the contract)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Described:
    """A prepared statement's shape: its placeholders and its result columns."""

    param_count: int
    columns: tuple[Column, ...]


class SqlError(PhantomNetError):
    """A statement failed the way the real server fails it. A value and raisable."""

    def __init__(self, code: int, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.sqlstate = sqlstate
        self.message = message

    def __repr__(self) -> str:
        return f"SqlError({self.code}, {self.sqlstate!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SqlError):
            return NotImplemented
        return (self.code, self.sqlstate, self.message) == (
            other.code,
            other.sqlstate,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.code, self.sqlstate, self.message))

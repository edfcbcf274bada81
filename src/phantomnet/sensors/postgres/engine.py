"""What the door needs of the fake host's SQL engine (``phantomnet.deception.sql``), as
structural types: the door depends on the contract, not on the engine's classes, and reaches
the engine only through ``host.sql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable


class ColumnLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def type_name(self) -> str: ...
    @property
    def table(self) -> str: ...


@runtime_checkable
class ErrorLike(Protocol):
    """An ``SqlError`` (returned in result lists and raised)."""

    @property
    def sqlstate(self) -> str: ...
    @property
    def message(self) -> str: ...


class ResultLike(Protocol):
    @property
    def columns(self) -> Sequence[ColumnLike]: ...
    @property
    def rows(self) -> Sequence[Sequence[object]]: ...
    @property
    def affected(self) -> int: ...
    @property
    def tag(self) -> str: ...


class DescribedLike(Protocol):
    @property
    def param_count(self) -> int: ...
    @property
    def columns(self) -> Sequence[ColumnLike]: ...


class SessionLike(Protocol):
    database: str | None
    user: str

    def use(self, database: str) -> None: ...
    def execute(self, sql: str, params: Sequence[object] = ()) -> Sequence[Any]: ...
    def describe(self, sql: str) -> Any: ...
    def close(self) -> None: ...


class EngineLike(Protocol):
    def session(
        self, source: str, dialect: Any, *, user: str, database: str | None
    ) -> SessionLike: ...
    def databases(self, dialect: Any) -> list[str]: ...
    def server_version(self, dialect: Any) -> str: ...


def sql_error(exc: BaseException) -> ErrorLike | None:
    """The engine error inside ``exc`` (an ``SqlError`` has ``sqlstate`` and ``message``)."""
    if isinstance(exc, ErrorLike) and isinstance(getattr(exc, "sqlstate", None), str):
        return exc
    return None


def is_error(item: object) -> bool:
    return isinstance(item, BaseException) and sql_error(item) is not None

"""``phantomnet token create|list|revoke``: API bearer tokens.

``create`` prints only the token on stdout (so ``TOKEN=$(phantomnet token create ...)``
works); the database keeps its SHA-256 only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.cli.common import ConfigOpt, DbOpt, err, out, settings_from
from phantomnet.cli.safe import escape
from phantomnet.errors import InvalidInput, StorageError, StorageUnavailable

T = TypeVar("T")

RoleOpt = Annotated[str, typer.Option("--role", help="admin (reads + changes) or viewer.")]
NameOpt = Annotated[str, typer.Option("--name", help="A label to recognise the token by.")]


def _with_engine(config: Any, db: str | None, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    from phantomnet.storage.db import make_engine

    settings = settings_from(config, db=db)

    async def run() -> T:
        engine = make_engine(settings.database_url)
        try:
            return await work(engine)
        except (DBAPIError, OSError) as exc:
            raise _storage_error(settings.database_url, exc) from exc
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _storage_error(url: str, exc: BaseException) -> StorageError:
    """One line for the user: tables missing (``migrate`` not run yet) or database down."""
    where = url.split("@")[-1]
    cause = getattr(exc, "orig", None) or exc
    text = f"{cause.__class__.__name__}: {cause}"
    sqlite_missing = "no such table" in text
    pg_missing = "UndefinedTable" in text or ('relation "' in text and "does not exist" in text)
    if sqlite_missing or pg_missing:
        return StorageError(f"database {where} has no PhantomNet tables: run `phantomnet migrate`")
    return StorageUnavailable(f"database {where} is unreachable: {text.splitlines()[0]}")


def register(app: typer.Typer) -> None:
    """Add the ``token`` command group to ``app``."""
    token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
    app.add_typer(token_app, name="token")

    @token_app.command("create")
    def create(
        role: RoleOpt, name: NameOpt = "cli", config: ConfigOpt = None, db: DbOpt = None
    ) -> None:
        """Create a token and print it (only once: it cannot be shown again)."""
        from phantomnet.api.auth import ROLES, create_token

        if role not in ROLES:
            raise InvalidInput(f"--role must be admin or viewer, not {role!r}")
        token = _with_engine(config, db, lambda e: create_token(e, role=role, name=name))
        typer.echo(token)

    @token_app.command("list")
    def list_(config: ConfigOpt = None, db: DbOpt = None) -> None:
        """List tokens (id, name, role, created, last used, revoked)."""
        from phantomnet.api.auth import list_tokens

        for row in _with_engine(config, db, list_tokens):
            state = f"revoked {row['revoked_at']:%Y-%m-%d}" if row["revoked_at"] else "active"
            used = row["last_used_at"] or "never"
            out.print(
                f"{row['id']:>4}  {escape(row['role']):<6}  {escape(row['name']):<24}  {state}  "
                f"last used {escape(used)}",
                highlight=False,
                markup=False,
            )

    @token_app.command("revoke")
    def revoke(
        token_id: Annotated[int, typer.Argument(help="Id from `token list`.")],
        config: ConfigOpt = None,
        db: DbOpt = None,
    ) -> None:
        """Revoke a token (API processes notice within 10 s)."""
        from phantomnet.api.auth import revoke_token

        if not _with_engine(config, db, lambda e: revoke_token(e, token_id=token_id)):
            raise InvalidInput(f"no active token with id {token_id}")
        err.print(f"token {token_id} revoked")

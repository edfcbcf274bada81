"""``phantomnet token create|list|revoke``: API bearer tokens.

``create`` prints only the token on stdout (so ``TOKEN=$(phantomnet token create ...)``
works); the database keeps its SHA-256 only.
"""

from __future__ import annotations

from typing import Annotated

import typer

from phantomnet.cli.common import ConfigOpt, DbOpt, err, out, with_engine
from phantomnet.cli.safe import escape
from phantomnet.errors import InvalidInput

RoleOpt = Annotated[str, typer.Option("--role", help="admin (reads + changes) or viewer.")]
NameOpt = Annotated[str, typer.Option("--name", help="A label to recognise the token by.")]


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
        token = with_engine(config, db, lambda e: create_token(e, role=role, name=name))
        typer.echo(token)

    @token_app.command("list")
    def list_(config: ConfigOpt = None, db: DbOpt = None) -> None:
        """List tokens (id, name, role, created, last used, revoked)."""
        from phantomnet.api.auth import list_tokens

        for row in with_engine(config, db, list_tokens):
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

        if not with_engine(config, db, lambda e: revoke_token(e, token_id=token_id)):
            raise InvalidInput(f"no active token with id {token_id}")
        err.print(f"token {token_id} revoked")

"""block: which backend took a decision and whether the firewall applied it.

Revision ID: 0002_block_applied
Revises: 0001
Create Date: 2026-11-21 06:40:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_block_applied"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("block") as batch:
        batch.add_column(sa.Column("backend", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("applied", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("block") as batch:
        batch.drop_column("applied")
        batch.drop_column("backend")

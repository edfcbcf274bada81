"""dead_letter: events the storage writer could not store, with the reason.

Revision ID: 0003_dead_letter
Revises: 0002_block_applied
Create Date: 2026-12-02 17:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_dead_letter"
down_revision: str | None = "0002_block_applied"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dead_letter",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letter")),
        sa.UniqueConstraint("event_id", name=op.f("uq_dead_letter_event_id")),
    )
    op.create_index(op.f("ix_dead_letter_kind"), "dead_letter", ["kind"], unique=False)
    op.create_index(op.f("ix_dead_letter_dead_at"), "dead_letter", ["dead_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dead_letter_dead_at"), table_name="dead_letter")
    op.drop_index(op.f("ix_dead_letter_kind"), table_name="dead_letter")
    op.drop_table("dead_letter")

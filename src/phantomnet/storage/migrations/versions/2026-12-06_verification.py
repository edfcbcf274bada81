"""verification: the verdict's columns on verification_result, and detection.verified.

Revision ID: 0004_verification
Revises: 0003_dead_letter
Create Date: 2026-12-06 21:30:00+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_verification"
down_revision: str | None = "0003_dead_letter"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("verification_result") as batch:
        batch.add_column(sa.Column("subject_event_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("rule", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("attack_detected", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("confidence", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("paths_checked", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("paths_agreed", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("compromised_paths", _JSON, nullable=True))
        batch.add_column(sa.Column("verified_data_hash", sa.String(length=64), nullable=True))
        batch.create_index(
            batch.f("ix_verification_result_subject_event_id"), ["subject_event_id"], unique=False
        )
    with op.batch_alter_table("detection") as batch:
        batch.add_column(sa.Column("verified", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("verification_details", _JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("detection") as batch:
        batch.drop_column("verification_details")
        batch.drop_column("verified")
    with op.batch_alter_table("verification_result") as batch:
        batch.drop_index(batch.f("ix_verification_result_subject_event_id"))
        for column in (
            "verified_data_hash",
            "compromised_paths",
            "paths_agreed",
            "paths_checked",
            "confidence",
            "attack_detected",
            "rule",
            "subject_event_id",
        ):
            batch.drop_column(column)

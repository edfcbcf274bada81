"""Initial schema: every table of phantomnet.storage.tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 06:31:11.015575+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_table(
        "attack_session",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("protocol", sa.String(length=32), nullable=False),
        sa.Column("node", sa.String(length=128), nullable=False),
        sa.Column("src_ip", sa.String(length=45), nullable=False),
        sa.Column("src_port", sa.Integer(), nullable=True),
        sa.Column("dst_port", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=64), nullable=True),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("authenticated", sa.Boolean(), nullable=False),
        sa.Column("auth_attempts", sa.Integer(), nullable=False),
        sa.Column("commands", sa.Integer(), nullable=False),
        sa.Column("client_version", sa.Text(), nullable=True),
        sa.Column("recording", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_attack_session")),
    )
    op.create_index(
        op.f("ix_attack_session_component"), "attack_session", ["component"], unique=False
    )
    op.create_index(op.f("ix_attack_session_src_ip"), "attack_session", ["src_ip"], unique=False)
    op.create_index(
        op.f("ix_attack_session_started_at"), "attack_session", ["started_at"], unique=False
    )
    op.create_table(
        "attacker",
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_count", sa.BigInteger(), nullable=False),
        sa.Column("detection_count", sa.Integer(), nullable=False),
        sa.Column("max_score", sa.Float(), nullable=True),
        sa.Column("last_score", sa.Float(), nullable=True),
        sa.Column("last_level", sa.String(length=8), nullable=True),
        sa.Column("country", sa.String(length=64), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("city", sa.String(length=128), nullable=True),
        sa.Column("asn", sa.String(length=128), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column(
            "protocols",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("ip", name=op.f("pk_attacker")),
    )
    op.create_index(op.f("ix_attacker_last_seen_at"), "attacker", ["last_seen_at"], unique=False)
    op.create_table(
        "block",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_reason", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("offence", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block")),
    )
    op.create_index(op.f("ix_block_active"), "block", ["active"], unique=False)
    op.create_index(op.f("ix_block_expires_at"), "block", ["expires_at"], unique=False)
    op.create_index(op.f("ix_block_target"), "block", ["target"], unique=False)
    op.create_table(
        "detection",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("detector", sa.String(length=64), nullable=False),
        sa.Column("protocol", sa.String(length=32), nullable=True),
        sa.Column("src_ip", sa.String(length=45), nullable=True),
        sa.Column("target_ip", sa.String(length=45), nullable=True),
        sa.Column("target_port", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detection")),
        sa.UniqueConstraint("event_id", name=op.f("uq_detection_event_id")),
    )
    op.create_index(op.f("ix_detection_last_seen_at"), "detection", ["last_seen_at"], unique=False)
    op.create_index(op.f("ix_detection_rule"), "detection", ["rule"], unique=False)
    op.create_index(op.f("ix_detection_severity"), "detection", ["severity"], unique=False)
    op.create_index(op.f("ix_detection_src_ip"), "detection", ["src_ip"], unique=False)
    op.create_table(
        "event",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("node", sa.String(length=128), nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("src_ip", sa.String(length=45), nullable=True),
        sa.Column("src_port", sa.Integer(), nullable=True),
        sa.Column("dst_ip", sa.String(length=45), nullable=True),
        sa.Column("dst_port", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.String(length=64), nullable=True),
        sa.Column("protocol", sa.String(length=32), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("event_id", name=op.f("uq_event_event_id")),
    )
    op.create_index(op.f("ix_event_component"), "event", ["component"], unique=False)
    op.create_index(op.f("ix_event_kind"), "event", ["kind"], unique=False)
    op.create_index("ix_event_kind_occurred_at", "event", ["kind", "occurred_at"], unique=False)
    op.create_index(op.f("ix_event_level"), "event", ["level"], unique=False)
    op.create_index(op.f("ix_event_occurred_at"), "event", ["occurred_at"], unique=False)
    op.create_index(op.f("ix_event_protocol"), "event", ["protocol"], unique=False)
    op.create_index(op.f("ix_event_session_id"), "event", ["session_id"], unique=False)
    op.create_index(op.f("ix_event_src_ip"), "event", ["src_ip"], unique=False)
    op.create_index("ix_event_src_ip_occurred_at", "event", ["src_ip", "occurred_at"], unique=False)
    op.create_table(
        "honeytoken",
        sa.Column("token_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("planted_in", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("triggered_count", sa.Integer(), nullable=False),
        sa.Column("last_triggered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_honeytoken")),
    )
    op.create_table(
        "packet_logs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("src_ip", sa.String(length=45), nullable=False),
        sa.Column("dst_ip", sa.String(length=45), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("is_malicious", sa.Boolean(), nullable=False),
        sa.Column("threat_score", sa.Float(), nullable=True),
        sa.Column("attack_type", sa.String(length=64), nullable=True),
        sa.Column("src_port", sa.Integer(), nullable=True),
        sa.Column("dst_port", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packet_logs")),
        sa.UniqueConstraint("event_id", name=op.f("uq_packet_logs_event_id")),
    )
    op.create_index(op.f("ix_packet_logs_src_ip"), "packet_logs", ["src_ip"], unique=False)
    op.create_index(op.f("ix_packet_logs_timestamp"), "packet_logs", ["timestamp"], unique=False)
    op.create_table(
        "score",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("subject_event_id", sa.Uuid(), nullable=True),
        sa.Column("subject_kind", sa.String(length=32), nullable=False),
        sa.Column("src_ip", sa.String(length=45), nullable=True),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score")),
        sa.UniqueConstraint("event_id", name=op.f("uq_score_event_id")),
    )
    op.create_index(op.f("ix_score_level"), "score", ["level"], unique=False)
    op.create_index(op.f("ix_score_scored_at"), "score", ["scored_at"], unique=False)
    op.create_index(op.f("ix_score_src_ip"), "score", ["src_ip"], unique=False)
    op.create_index(op.f("ix_score_subject_event_id"), "score", ["subject_event_id"], unique=False)
    op.create_table(
        "sensor_status",
        sa.Column("node", sa.String(length=128), nullable=False),
        sa.Column("component", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("listen", sa.String(length=128), nullable=True),
        sa.Column("connections", sa.Integer(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("node", "component", name=op.f("pk_sensor_status")),
    )
    op.create_table(
        "traffic_stats",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_packets", sa.BigInteger(), nullable=False),
        sa.Column("malicious_packets", sa.BigInteger(), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=True),
        sa.Column("window_seconds", sa.Float(), nullable=True),
        sa.Column("node", sa.String(length=128), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_traffic_stats")),
        sa.UniqueConstraint("event_id", name=op.f("uq_traffic_stats_event_id")),
    )
    op.create_index(
        op.f("ix_traffic_stats_timestamp"), "traffic_stats", ["timestamp"], unique=False
    )
    op.create_table(
        "verification_result",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_result")),
        sa.UniqueConstraint("event_id", name=op.f("uq_verification_result_event_id")),
    )
    op.create_index(
        op.f("ix_verification_result_checked_at"),
        "verification_result",
        ["checked_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_verification_result_checked_at"), table_name="verification_result")
    op.drop_table("verification_result")
    op.drop_index(op.f("ix_traffic_stats_timestamp"), table_name="traffic_stats")
    op.drop_table("traffic_stats")
    op.drop_table("sensor_status")
    op.drop_index(op.f("ix_score_subject_event_id"), table_name="score")
    op.drop_index(op.f("ix_score_src_ip"), table_name="score")
    op.drop_index(op.f("ix_score_scored_at"), table_name="score")
    op.drop_index(op.f("ix_score_level"), table_name="score")
    op.drop_table("score")
    op.drop_index(op.f("ix_packet_logs_timestamp"), table_name="packet_logs")
    op.drop_index(op.f("ix_packet_logs_src_ip"), table_name="packet_logs")
    op.drop_table("packet_logs")
    op.drop_table("honeytoken")
    op.drop_index("ix_event_src_ip_occurred_at", table_name="event")
    op.drop_index(op.f("ix_event_src_ip"), table_name="event")
    op.drop_index(op.f("ix_event_session_id"), table_name="event")
    op.drop_index(op.f("ix_event_protocol"), table_name="event")
    op.drop_index(op.f("ix_event_occurred_at"), table_name="event")
    op.drop_index(op.f("ix_event_level"), table_name="event")
    op.drop_index("ix_event_kind_occurred_at", table_name="event")
    op.drop_index(op.f("ix_event_kind"), table_name="event")
    op.drop_index(op.f("ix_event_component"), table_name="event")
    op.drop_table("event")
    op.drop_index(op.f("ix_detection_src_ip"), table_name="detection")
    op.drop_index(op.f("ix_detection_severity"), table_name="detection")
    op.drop_index(op.f("ix_detection_rule"), table_name="detection")
    op.drop_index(op.f("ix_detection_last_seen_at"), table_name="detection")
    op.drop_table("detection")
    op.drop_index(op.f("ix_block_target"), table_name="block")
    op.drop_index(op.f("ix_block_expires_at"), table_name="block")
    op.drop_index(op.f("ix_block_active"), table_name="block")
    op.drop_table("block")
    op.drop_index(op.f("ix_attacker_last_seen_at"), table_name="attacker")
    op.drop_table("attacker")
    op.drop_index(op.f("ix_attack_session_started_at"), table_name="attack_session")
    op.drop_index(op.f("ix_attack_session_src_ip"), table_name="attack_session")
    op.drop_index(op.f("ix_attack_session_component"), table_name="attack_session")
    op.drop_table("attack_session")
    op.drop_table("api_token")

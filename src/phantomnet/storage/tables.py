"""SQLAlchemy 2 typed tables. No behaviour here; queries live in repositories.

One ``event`` table (indexed envelope columns + JSON payload, unique ``event_id``) plus
tables for what the API queries often, and the seed's ``packet_logs`` / ``traffic_stats``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")
# SQLite only autoincrements INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Ts = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class EventRow(Base):
    """Every event, envelope in columns, the whole event as JSON."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[Any] = mapped_column(Uuid, unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    occurred_at: Mapped[datetime] = mapped_column(Ts, index=True)
    node: Mapped[str] = mapped_column(String(128))
    component: Mapped[str] = mapped_column(String(64), index=True)
    session_id: Mapped[Any | None] = mapped_column(Uuid, index=True)
    src_ip: Mapped[str | None] = mapped_column(String(45), index=True)
    src_port: Mapped[int | None] = mapped_column(Integer)
    dst_ip: Mapped[str | None] = mapped_column(String(45))
    dst_port: Mapped[int | None] = mapped_column(Integer)
    community_id: Mapped[str | None] = mapped_column(String(64))
    protocol: Mapped[str | None] = mapped_column(String(32), index=True)
    level: Mapped[str | None] = mapped_column(String(8), index=True)
    score: Mapped[float | None] = mapped_column(Float)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)

    __table_args__ = (
        Index("ix_event_src_ip_occurred_at", "src_ip", "occurred_at"),
        Index("ix_event_kind_occurred_at", "kind", "occurred_at"),
    )


class AttackSession(Base):
    """A sensor session (SSH login, FTP control connection, SMTP conversation...)."""

    __tablename__ = "attack_session"

    session_id: Mapped[Any] = mapped_column(Uuid, primary_key=True)
    component: Mapped[str] = mapped_column(String(64), index=True)
    protocol: Mapped[str] = mapped_column(String(32))
    node: Mapped[str] = mapped_column(String(128))
    src_ip: Mapped[str] = mapped_column(String(45), index=True)
    src_port: Mapped[int | None] = mapped_column(Integer)
    dst_port: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(Ts, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(Ts)
    end_reason: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(Text)
    authenticated: Mapped[bool] = mapped_column(Boolean, default=False)
    auth_attempts: Mapped[int] = mapped_column(Integer, default=0)
    commands: Mapped[int] = mapped_column(Integer, default=0)
    client_version: Mapped[str | None] = mapped_column(Text)
    recording: Mapped[str | None] = mapped_column(String(256))


class DetectionRow(Base):
    __tablename__ = "detection"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[Any] = mapped_column(Uuid, unique=True)
    rule: Mapped[str] = mapped_column(String(64), index=True)
    severity: Mapped[str] = mapped_column(String(16), index=True)
    detector: Mapped[str] = mapped_column(String(64))
    protocol: Mapped[str | None] = mapped_column(String(32))
    src_ip: Mapped[str | None] = mapped_column(String(45), index=True)
    target_ip: Mapped[str | None] = mapped_column(String(45))
    target_port: Mapped[int | None] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(Ts)
    last_seen_at: Mapped[datetime] = mapped_column(Ts, index=True)
    count: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(JsonType)
    #: multi-path verification: True confirmed, False refuted, None not (or not yet) verified
    verified: Mapped[bool | None] = mapped_column(Boolean)
    #: the latest verification's outcome, confidence, compromised paths, result event id
    verification_details: Mapped[dict[str, Any] | None] = mapped_column(JsonType)


class ScoreRow(Base):
    __tablename__ = "score"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[Any] = mapped_column(Uuid, unique=True)
    subject_event_id: Mapped[Any | None] = mapped_column(Uuid, index=True)
    subject_kind: Mapped[str] = mapped_column(String(32))
    src_ip: Mapped[str | None] = mapped_column(String(45), index=True)
    scored_at: Mapped[datetime] = mapped_column(Ts, index=True)
    score: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(8), index=True)
    decision: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float] = mapped_column(Float)
    model_version: Mapped[str] = mapped_column(String(64))


class Attacker(Base):
    """A source address and what we know of it (updated by the writer)."""

    __tablename__ = "attacker"

    ip: Mapped[str] = mapped_column(String(45), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(Ts)
    last_seen_at: Mapped[datetime] = mapped_column(Ts, index=True)
    event_count: Mapped[int] = mapped_column(BigInteger, default=0)
    detection_count: Mapped[int] = mapped_column(Integer, default=0)
    max_score: Mapped[float | None] = mapped_column(Float)
    last_score: Mapped[float | None] = mapped_column(Float)
    last_level: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(64))
    country_code: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(128))
    asn: Mapped[str | None] = mapped_column(String(128))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    protocols: Mapped[list[str]] = mapped_column(JsonType, default=list)


class Block(Base):
    """A firewall block decision: the desired state the reconciler enforces."""

    __tablename__ = "block"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Ts)
    expires_at: Mapped[datetime] = mapped_column(Ts, index=True)
    removed_at: Mapped[datetime | None] = mapped_column(Ts)
    removed_reason: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, index=True)
    offence: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(String(128))
    backend: Mapped[str | None] = mapped_column(String(32))
    applied: Mapped[bool] = mapped_column(Boolean, default=False)


class ApiToken(Base):
    """An API bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Ts)
    last_used_at: Mapped[datetime | None] = mapped_column(Ts)
    revoked_at: Mapped[datetime | None] = mapped_column(Ts)


class SensorState(Base):
    """Last heartbeat of each component (for /api/honeypots/status)."""

    __tablename__ = "sensor_status"

    node: Mapped[str] = mapped_column(String(128), primary_key=True)
    component: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))
    listen: Mapped[str | None] = mapped_column(String(128))
    connections: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(BigInteger, default=0)
    detail: Mapped[str] = mapped_column(Text, default="")
    last_seen_at: Mapped[datetime] = mapped_column(Ts)


class Honeytoken(Base):
    __tablename__ = "honeytoken"

    token_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    planted_in: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(Ts)
    triggered_count: Mapped[int] = mapped_column(Integer, default=0)
    last_triggered_at: Mapped[datetime | None] = mapped_column(Ts)


class VerificationRow(Base):
    __tablename__ = "verification_result"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[Any] = mapped_column(Uuid, unique=True)
    checked_at: Mapped[datetime] = mapped_column(Ts, index=True)
    target: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    #: the detection verified (None: asked by hand or through the API)
    subject_event_id: Mapped[Any | None] = mapped_column(Uuid, index=True)
    rule: Mapped[str | None] = mapped_column(String(64))
    attack_detected: Mapped[bool | None] = mapped_column(Boolean)
    confidence: Mapped[str | None] = mapped_column(String(8))
    paths_checked: Mapped[int | None] = mapped_column(Integer)
    paths_agreed: Mapped[int | None] = mapped_column(Integer)
    compromised_paths: Mapped[list[str] | None] = mapped_column(JsonType)
    verified_data_hash: Mapped[str | None] = mapped_column(String(64))


class PacketLog(Base):
    """The seed's ``packet_logs``: sampled and suspicious packets."""

    __tablename__ = "packet_logs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    timestamp: Mapped[datetime] = mapped_column(Ts, index=True)
    src_ip: Mapped[str] = mapped_column(String(45), index=True)
    dst_ip: Mapped[str] = mapped_column(String(45))
    protocol: Mapped[str] = mapped_column(String(16))
    length: Mapped[int] = mapped_column(Integer)
    is_malicious: Mapped[bool] = mapped_column(Boolean, default=False)
    threat_score: Mapped[float | None] = mapped_column(Float)
    attack_type: Mapped[str | None] = mapped_column(String(64))
    src_port: Mapped[int | None] = mapped_column(Integer)
    dst_port: Mapped[int | None] = mapped_column(Integer)
    event_id: Mapped[Any | None] = mapped_column(Uuid, unique=True)


class TrafficStats(Base):
    """The seed's ``traffic_stats``: aggregates per window."""

    __tablename__ = "traffic_stats"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    timestamp: Mapped[datetime] = mapped_column(Ts, index=True)
    total_packets: Mapped[int] = mapped_column(BigInteger)
    malicious_packets: Mapped[int] = mapped_column(BigInteger)
    total_bytes: Mapped[int | None] = mapped_column(BigInteger)
    window_seconds: Mapped[float | None] = mapped_column(Float)
    node: Mapped[str | None] = mapped_column(String(128))
    event_id: Mapped[Any | None] = mapped_column(Uuid, unique=True)


class DeadLetter(Base):
    """An event the writer could not store (bad value, row the database refuses) and why.

    One row per event id: a redelivered poison event is not parked twice."""

    __tablename__ = "dead_letter"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[Any] = mapped_column(Uuid, unique=True)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    component: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    dead_at: Mapped[datetime] = mapped_column(Ts, index=True)

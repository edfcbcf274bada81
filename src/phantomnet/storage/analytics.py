"""Read-side SQL for the analytics endpoints (SQLite and PostgreSQL).

Every function takes an explicit ``AsyncSession`` and keyword-only arguments, reads with a
limit, and returns plain dicts/lists ready for JSON. JSON payload fields are read with
SQLAlchemy's portable JSON accessors (``json_extract`` on SQLite, ``->>`` on PostgreSQL).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from phantomnet.storage.tables import Attacker, DetectionRow, EventRow, PacketLog, TrafficStats


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _day(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, as a SQL expression."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


async def _top(
    session: AsyncSession, field: ColumnElement[Any], where: list[Any], limit: int, key: str
) -> list[dict[str, Any]]:
    n = func.count().label("n")
    stmt = (
        select(field.label("v"), n)
        .where(*where, field.is_not(None))
        .group_by(field)
        .order_by(n.desc(), field)
        .limit(limit)
    )
    return [{key: v, "count": int(c)} for v, c in (await session.execute(stmt)).all()]


async def ssh_stats(
    session: AsyncSession, *, since: datetime, suspect_failures: int = 5, limit: int = 10
) -> dict[str, Any]:
    """SSH authentication figures since ``since`` and the brute-force suspects.

    A suspect is a source with at least ``suspect_failures`` failed SSH authentications in
    the window (counting attempts, not connections: hydra tries several per connection).
    """
    accepted = EventRow.payload["accepted"].as_boolean()
    where = [
        EventRow.kind == "auth.attempt",
        EventRow.occurred_at >= since,
        EventRow.payload["protocol"].as_string() == "ssh",
    ]
    failed_n = func.sum(case((accepted.is_(False), 1), else_=0))
    failed = failed_n.label("failed")
    total = func.count().label("total")
    row = (
        await session.execute(
            select(
                total,
                failed,
                func.count(func.distinct(EventRow.src_ip)),
                func.count(func.distinct(EventRow.session_id)),
            ).where(*where)
        )
    ).one()
    per_ip = (
        select(
            EventRow.src_ip,
            total,
            failed,
            func.min(EventRow.occurred_at),
            func.max(EventRow.occurred_at),
        )
        .where(*where)
        .group_by(EventRow.src_ip)
        .having(failed_n >= suspect_failures)
        .order_by(failed.desc(), EventRow.src_ip)
        .limit(limit)
    )
    suspects = [
        {
            "ip": ip,
            "attempts": int(t),
            "failed": int(f or 0),
            "first_seen": _iso(a),
            "last_seen": _iso(b),
        }
        for ip, t, f, a, b in (await session.execute(per_ip)).all()
    ]
    return {
        "protocol": "ssh",
        "since": _iso(since),
        "total_attempts": int(row[0]),
        "failed_attempts": int(row[1] or 0),
        "successful_attempts": int(row[0]) - int(row[1] or 0),
        "unique_ips": int(row[2]),
        "sessions": int(row[3]),
        "top_usernames": await _top(
            session, EventRow.payload["username"].as_string(), where, limit, "username"
        ),
        "top_passwords": await _top(
            session, EventRow.payload["password"].as_string(), where, limit, "password"
        ),
        "suspect_threshold": suspect_failures,
        "brute_force_suspects": suspects,
    }


async def http_stats(
    session: AsyncSession,
    *,
    since: datetime,
    flood_per_minute: float = 120.0,
    min_requests: int = 100,
    limit: int = 10,
) -> dict[str, Any]:
    """HTTP honeypot figures since ``since`` and the flood suspects.

    A flood suspect sent at least ``min_requests`` requests at an average of at least
    ``flood_per_minute`` per minute over its own active span (span floored at one minute).
    """
    where = [EventRow.kind == "http.request", EventRow.occurred_at >= since]
    total = func.count().label("total")
    row = (
        await session.execute(
            select(total, func.count(func.distinct(EventRow.src_ip))).where(*where)
        )
    ).one()
    per_ip = (
        select(
            EventRow.src_ip, total, func.min(EventRow.occurred_at), func.max(EventRow.occurred_at)
        )
        .where(*where)
        .group_by(EventRow.src_ip)
        .having(func.count() >= min_requests)
        .order_by(total.desc(), EventRow.src_ip)
        .limit(1000)
    )
    suspects: list[dict[str, Any]] = []
    for ip, n, first, last in (await session.execute(per_ip)).all():
        span_min = max(_seconds(first, last) / 60.0, 1.0)
        rate = n / span_min
        if rate >= flood_per_minute:
            suspects.append(
                {
                    "ip": ip,
                    "requests": int(n),
                    "per_minute": round(rate, 1),
                    "first_seen": _iso(first),
                    "last_seen": _iso(last),
                }
            )
    status = EventRow.payload["status"].as_integer()
    return {
        "protocol": "http",
        "since": _iso(since),
        "total_requests": int(row[0]),
        "unique_ips": int(row[1]),
        "methods": await _top(
            session, EventRow.payload["method"].as_string(), where, limit, "method"
        ),
        "status_codes": await _top(session, status, where, limit, "status"),
        "top_paths": await _top(
            session, EventRow.payload["path"].as_string(), where, limit, "path"
        ),
        "top_user_agents": await _top(
            session, EventRow.payload["user_agent"].as_string(), where, limit, "user_agent"
        ),
        "flood_threshold_per_minute": flood_per_minute,
        "flood_suspects": suspects[:limit],
    }


def _seconds(first: datetime | None, last: datetime | None) -> float:
    if first is None or last is None:
        return 0.0
    return abs((last.replace(tzinfo=None) - first.replace(tzinfo=None)).total_seconds())


async def daily_trends(
    session: AsyncSession,
    *,
    days: int,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """One point per UTC day for the last ``days`` days (oldest first, gaps filled with 0):
    events, detections, high-level scores and distinct sources."""
    today = today or datetime.now(UTC).date()
    first = today - timedelta(days=days - 1)
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    series = {
        first + timedelta(days=i): {"events": 0, "attacks": 0, "high": 0, "attackers": 0}
        for i in range(days)
    }
    day = _day(session, EventRow.occurred_at)
    stmt = (
        select(day.label("d"), func.count(), func.count(func.distinct(EventRow.src_ip)))
        .where(EventRow.occurred_at >= since)
        .group_by(day)
    )
    for d, n, ips in (await session.execute(stmt)).all():
        _slot(series, d).update(events=int(n), attackers=int(ips))
    dday = _day(session, DetectionRow.last_seen_at)
    for d, n in (
        await session.execute(
            select(dday, func.count()).where(DetectionRow.last_seen_at >= since).group_by(dday)
        )
    ).all():
        _slot(series, d)["attacks"] = int(n)
    high = and_(EventRow.kind == "score", EventRow.level == "HIGH", EventRow.occurred_at >= since)
    for d, n in (await session.execute(select(day, func.count()).where(high).group_by(day))).all():
        _slot(series, d)["high"] = int(n)
    return [{"date": d.isoformat(), **v} for d, v in sorted(series.items())]


def _slot(series: dict[date, dict[str, int]], value: Any) -> dict[str, int]:
    d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return series.get(d, {})


async def top_attackers(
    session: AsyncSession, *, protocol: str | None, since: datetime, limit: int = 10
) -> list[dict[str, Any]]:
    """Sources with the most events since ``since`` (optionally of one ``protocol``)."""
    n = func.count().label("n")
    where = [
        EventRow.occurred_at >= since,
        EventRow.src_ip.is_not(None),
        EventRow.kind.not_in(("score", "sensor.status", "network.stats")),
    ]
    if protocol:
        where.append(EventRow.protocol == protocol.lower())
    stmt = (
        select(
            EventRow.src_ip,
            n,
            func.max(EventRow.occurred_at),
            Attacker.country,
            Attacker.country_code,
            Attacker.max_score,
            Attacker.asn,
        )
        .outerjoin(Attacker, Attacker.ip == EventRow.src_ip)
        .where(*where)
        .group_by(
            EventRow.src_ip,
            Attacker.country,
            Attacker.country_code,
            Attacker.max_score,
            Attacker.asn,
        )
        .order_by(n.desc(), EventRow.src_ip)
        .limit(limit)
    )
    return [
        {
            "ip": ip,
            "events": int(c),
            "last_seen": _iso(last),
            "country": country,
            "country_code": code,
            "max_score": score,
            "asn": asn,
        }
        for ip, c, last, country, code, score, asn in (await session.execute(stmt)).all()
    ]


async def recent_packets(session: AsyncSession, *, limit: int = 50) -> list[dict[str, Any]]:
    """The newest ``packet_logs`` rows (the seed's live table), newest first."""
    stmt = select(PacketLog).order_by(PacketLog.id.desc()).limit(limit)
    return [
        {
            "id": r.id,
            "timestamp": _iso(r.timestamp),
            "src_ip": r.src_ip,
            "dst_ip": r.dst_ip,
            "src_port": r.src_port,
            "dst_port": r.dst_port,
            "protocol": r.protocol,
            "length": r.length,
            "is_malicious": r.is_malicious,
            "threat_score": r.threat_score,
            "attack_type": r.attack_type,
        }
        for r in (await session.execute(stmt)).scalars()
    ]


async def attacker_geo(session: AsyncSession, *, ips: list[str]) -> dict[str, dict[str, Any]]:
    """Stored geolocation of the given attackers (only those that have a row)."""
    if not ips:
        return {}
    stmt = select(Attacker).where(Attacker.ip.in_(sorted(set(ips))[:1000]))
    return {
        a.ip: {
            "country": a.country,
            "country_code": a.country_code,
            "city": a.city,
            "asn": a.asn,
            "latitude": a.latitude,
            "longitude": a.longitude,
        }
        for a in (await session.execute(stmt)).scalars()
    }


async def traffic_totals(
    session: AsyncSession,
    *,
    since: datetime,
    history: int = 100,
) -> dict[str, Any]:
    """The seed's ``{total, malicious, history}`` from ``traffic_stats`` since ``since``."""
    where = TrafficStats.timestamp >= since
    total, malicious = (
        await session.execute(
            select(
                func.coalesce(func.sum(TrafficStats.total_packets), 0),
                func.coalesce(func.sum(TrafficStats.malicious_packets), 0),
            ).where(where)
        )
    ).one()
    rows = (
        await session.execute(
            select(
                TrafficStats.timestamp, TrafficStats.total_packets, TrafficStats.malicious_packets
            )
            .where(where)
            .order_by(TrafficStats.timestamp.desc(), TrafficStats.id.desc())
            .limit(history)
        )
    ).all()
    points = [
        {"timestamp": _iso(t), "total": int(a), "malicious": int(b)} for t, a, b in reversed(rows)
    ]
    return {"total": int(total), "malicious": int(malicious), "history": points}


__all__ = [
    "attacker_geo",
    "daily_trends",
    "http_stats",
    "recent_packets",
    "ssh_stats",
    "top_attackers",
    "traffic_totals",
]

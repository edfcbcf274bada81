"""Fixtures for storage tests: every test runs on SQLite (tmp file) AND PostgreSQL (own DB)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet import events as ev
from phantomnet.storage.db import make_engine
from phantomnet.storage.migrate import upgrade

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL (not migrated) on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'pn.db'}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
def migrated_url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(migrated_url)
    try:
        yield eng
    finally:
        await eng.dispose()


class Factory:
    """Builds typed events of one attacker session (no dicts: real models)."""

    def __init__(self, ip: str = "203.0.113.7", component: str = "ssh") -> None:
        self.ip, self.component = ip, component
        self.sensor = ev.SensorRef(node="node-a", component=component)
        self.session_id: UUID = uuid4()
        self.t = T0

    def _env(self, step_s: float = 1.0, **extra: Any) -> dict[str, Any]:
        self.t = self.t + timedelta(seconds=step_s)
        return {
            "sensor": self.sensor, "session_id": self.session_id, "occurred_at": self.t,
            "src": ev.Endpoint(ip=self.ip, port=40000),
            "dst": ev.Endpoint(ip="127.0.0.1", port=2222),
            **extra,
        }  # fmt: skip

    def opened(self) -> ev.ConnectionOpened:
        return ev.ConnectionOpened(protocol="ssh", **self._env())

    def auth(self, user: str, password: str, accepted: bool) -> ev.AuthAttempt:
        return ev.AuthAttempt(
            protocol="ssh", username=user, password=password, accepted=accepted,
            client_version="SSH-2.0-OpenSSH_9.2", **self._env(),
        )  # fmt: skip

    def command(self, line: str) -> ev.CommandInput:
        return ev.CommandInput(protocol="ssh", command=line, **self._env())

    def closed(self, recording: str | None = "recordings/x.cast") -> ev.ConnectionClosed:
        return ev.ConnectionClosed(
            protocol="ssh", reason="peer", recording=recording, **self._env()
        )

    def detection(self, severity: str = "high") -> ev.Detection:
        return ev.Detection(
            rule="brute_force", severity=severity, protocol="ssh", first_seen=T0,  # type: ignore[arg-type]
            last_seen=self.t, count=5, summary="5 failed logins", detector="brute_force",
            evidence=("event:x",), target=ev.Endpoint(ip="127.0.0.1", port=2222),
            **self._env(session_id=None),
        )  # fmt: skip

    def score(self, subject: ev.EventBase, value: float, level: str) -> ev.Score:
        return ev.Score(
            subject_event_id=subject.event_id, subject_kind="auth.attempt", score=value,
            level=level, decision="ALERT", confidence=0.9, model_version="m1",  # type: ignore[arg-type]
            **self._env(session_id=None),
        )  # fmt: skip

    def packet(self, suspicious: bool) -> ev.NetworkPacket:
        return ev.NetworkPacket(
            transport="tcp", length=60, suspicious=suspicious,
            attack_type="syn_scan" if suspicious else None,
            **self._env(session_id=None, sensor=ev.SensorRef(node="node-a", component="monitor")),
        )  # fmt: skip

    def stats(self) -> ev.NetworkStats:
        return ev.NetworkStats(
            window_s=5, total_packets=100, malicious_packets=3, total_bytes=6000,
            sensor=ev.SensorRef(node="node-a", component="monitor"), occurred_at=self.t,
        )  # fmt: skip

    def status(self, state: str, at: datetime, events: int) -> ev.SensorStatus:
        return ev.SensorStatus(
            state=state,
            listen="127.0.0.1:2222",
            events=events,
            sensor=self.sensor,  # type: ignore[arg-type]
            occurred_at=at,
        )

    def session(self) -> list[Any]:
        """A whole SSH session: open, 3 failed + 1 accepted login, 2 commands, close."""
        return [
            self.opened(), self.auth("root", "123", False), self.auth("root", "admin", False),
            self.auth("admin", "x", False), self.auth("root", "toor", True),
            self.command("uname -a"), self.command("cat /etc/passwd"), self.closed(),
        ]  # fmt: skip


@pytest.fixture
def factory() -> Factory:
    return Factory()


@pytest.fixture
def factory_cls() -> type[Factory]:
    return Factory

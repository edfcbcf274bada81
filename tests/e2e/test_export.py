"""``phantomnet export``: stored events out of a real SQLite database, in each format.

Events are stored by the product's own ingest path, then the CLI runs as a subprocess. Every
format is read back by an independent reader: the event models (jsonl), a CEF header split
(cef), the ECS field reference (ecs) and the OASIS STIX validator (stix).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import stix2validator

from phantomnet.events import AuthAttempt, Detection, Endpoint, Event, SensorRef, parse_event
from phantomnet.storage import migrate
from phantomnet.storage.db import make_engine
from phantomnet.storage.ingest import insert_events
from tests.e2e.harness import BIN

pytestmark = pytest.mark.e2e

#: more than one page (cli.export.PAGE = 1000), so keyset paging is exercised
RECENT = 1203


def _events() -> list[Event]:
    now = datetime.now(UTC)
    out: list[Event] = []
    for i in range(RECENT):
        at = now - timedelta(minutes=RECENT - i)
        src = Endpoint(ip=f"198.51.100.{i % 200 + 1}", port=40000 + i % 20000)
        if i % 10 == 0:
            out.append(
                Detection(
                    occurred_at=at,
                    sensor=SensorRef(node="n1", component="detectors"),
                    src=src,
                    dst=Endpoint(ip="192.0.2.10", port=22),
                    rule="brute_force",
                    severity="high",
                    protocol="ssh",
                    first_seen=at,
                    last_seen=at,
                    count=5,
                    summary=f"brute force #{i}",
                    detector="brute_force",
                )
            )
        else:
            out.append(
                AuthAttempt(
                    occurred_at=at,
                    sensor=SensorRef(node="n1", component="ssh"),
                    src=src,
                    dst=Endpoint(ip="192.0.2.10", port=22),
                    protocol="ssh",
                    username=f"user{i}",
                    password="x|y=z\\",
                    accepted=False,
                )
            )
    # two days old: outside --since 24h
    old = now - timedelta(days=2)
    out.append(
        AuthAttempt(
            occurred_at=old,
            sensor=SensorRef(node="n1", component="ssh"),
            src=Endpoint(ip="203.0.113.9", port=1),
            protocol="ssh",
            username="old",
            password="old",
            accepted=False,
        )
    )
    return out


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[Event]]:
    path = tmp_path_factory.mktemp("export") / "pn.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url, "head")
    events = _events()

    async def put() -> None:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                await insert_events(conn, events)
        finally:
            await engine.dispose()

    asyncio.run(put())
    return url, events


def export(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), "export", "--db", url, *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_jsonl_is_every_recent_event_in_time_order(stored: tuple[str, list[Event]]) -> None:
    url, events = stored
    result = export(url, "--format", "jsonl", "--since", "24h")
    assert result.returncode == 0, result.stderr
    got = [parse_event(line) for line in result.stdout.splitlines()]
    assert [e.event_id for e in got] == [e.event_id for e in events[:RECENT]]
    assert got[5] == events[5]
    assert f"exported {RECENT} event(s)" in result.stderr


def test_kind_filter_and_limit(stored: tuple[str, list[Event]], tmp_path: Path) -> None:
    url, events = stored
    out = tmp_path / "d.jsonl"
    result = export(url, "-f", "jsonl", "--kind", "detection", "-o", str(out))
    assert result.returncode == 0, result.stderr
    got = [parse_event(line) for line in out.read_text().splitlines()]
    assert got and {e.kind for e in got} == {"detection"}
    assert len(got) == sum(1 for e in events if e.kind == "detection")
    limited = export(url, "-f", "jsonl", "--limit", "7")
    assert len(limited.stdout.splitlines()) == 7


def test_cef_lines(stored: tuple[str, list[Event]]) -> None:
    url, events = stored
    result = export(url, "--format", "cef", "--kind", "auth.attempt", "--since", "24h")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == sum(1 for e in events[:RECENT] if e.kind == "auth.attempt")
    head = lines[0].split("|")
    assert head[:3] == ["CEF:0", "PhantomNet", "PhantomNet"] and head[4] == "auth.attempt"
    assert "externalId=" in lines[0] and "src=198.51.100." in lines[0]


def test_ecs_documents(stored: tuple[str, list[Event]]) -> None:
    url, events = stored
    result = export(url, "--format", "ecs", "--kind", "detection")
    assert result.returncode == 0, result.stderr
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    ids = {str(e.event_id) for e in events if e.kind == "detection"}
    assert {d["event"]["id"] for d in docs} == ids
    assert all(d["source"]["ip"].startswith("198.51.100.") for d in docs)
    assert all("@timestamp" in d for d in docs)


def test_stix_bundle_validates(stored: tuple[str, list[Event]]) -> None:
    url, _ = stored
    result = export(url, "--format", "stix", "--kind", "detection", "--since", "3h")
    assert result.returncode == 0, result.stderr
    bundle = json.loads(result.stdout)
    assert bundle["type"] == "bundle"
    types = {o["type"] for o in bundle["objects"]}
    assert {"identity", "indicator", "sighting"} <= types
    report = stix2validator.validate_string(result.stdout)
    assert report.is_valid, [str(e) for r in report.object_results for e in r.errors]
    again = export(url, "--format", "stix", "--kind", "detection", "--since", "3h")
    assert {o["id"] for o in json.loads(again.stdout)["objects"]} == {
        o["id"] for o in bundle["objects"]
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "error: unknown format 'xml'"),
        (["--format", "jsonl", "--kind", "nope"], "error: unknown event kind 'nope'"),
        (["--format", "jsonl", "--since", "yesterday"], "error: "),
    ],
)
def test_mistakes_are_one_line(
    stored: tuple[str, list[Event]], args: list[str], message: str
) -> None:
    url, _ = stored
    result = export(url, *args)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr


def test_database_without_tables_is_one_line(tmp_path: Path) -> None:
    result = export(f"sqlite:///{tmp_path / 'empty.db'}", "--format", "jsonl")
    assert result.returncode == 2
    assert "run `phantomnet migrate`" in result.stderr, result.stderr

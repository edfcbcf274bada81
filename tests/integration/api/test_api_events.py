"""``/api/events``: pagination, filters and problem answers for bad input."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from api_helpers import NOW, bearer, sample_events, store
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.storage.rows import level_of

pytestmark = pytest.mark.integration


@pytest.fixture
async def seeded(engine: AsyncEngine) -> list:
    events = sample_events(30)
    await store(engine, events)
    return events


async def _all_pages(client: httpx.AsyncClient, token: str, **params: object) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/api/events", params=query, headers=bearer(token))
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination does not end")


async def test_pages_cover_everything_once_newest_first(
    client: httpx.AsyncClient, viewer_token: str, seeded: list
) -> None:
    items = await _all_pages(client, viewer_token, limit=7)
    assert [i["event_id"] for i in items] == [str(e.event_id) for e in reversed(seeded)]
    ids = [i["id"] for i in items]
    assert ids == sorted(ids, reverse=True)
    first = items[-1]
    assert first["kind"] == "connection.opened" and first["component"] == "ssh"
    assert first["payload"]["event_id"] == first["event_id"]
    at = datetime.fromisoformat(first["occurred_at"])
    assert at == seeded[0].occurred_at and at.utcoffset() == timedelta(0)


async def test_exact_page_has_no_cursor(
    client: httpx.AsyncClient, viewer_token: str, seeded: list
) -> None:
    r = await client.get("/api/events", params={"limit": 30}, headers=bearer(viewer_token))
    assert len(r.json()["items"]) == 30 and r.json()["next_cursor"] is None


async def test_filters(client: httpx.AsyncClient, viewer_token: str, seeded: list) -> None:
    async def ids(**params: object) -> set[str]:
        return {i["event_id"] for i in await _all_pages(client, viewer_token, **params)}

    def expect(pred: object) -> set[str]:
        return {str(e.event_id) for e in seeded if pred(e)}  # type: ignore[operator]

    assert await ids(kind="auth.attempt,detection") == expect(
        lambda e: e.kind in ("auth.attempt", "detection")
    )
    assert await ids(src_ip="203.0.113.2") == expect(lambda e: e.src.ip == "203.0.113.2")
    assert await ids(src_ip="::ffff:203.0.113.2") == expect(lambda e: e.src.ip == "203.0.113.2")
    medium_high = expect(lambda e: level_of(e)[0] in ("HIGH", "MEDIUM"))
    assert len(medium_high) >= 5
    assert await ids(level="high,medium") == medium_high
    assert await ids(protocol="tcp") == expect(lambda e: e.kind == "network.flow")
    assert await ids(sensor="ssh") == expect(lambda e: True)
    assert await ids(sensor="ftp") == set()
    since, until = NOW - timedelta(minutes=20), NOW - timedelta(minutes=10)
    assert await ids(since=since.isoformat(), until=until.isoformat()) == expect(
        lambda e: since <= e.occurred_at < until
    )
    session = seeded[0].session_id
    assert await ids(session_id=str(session)) == expect(lambda e: e.session_id == session)


async def test_get_one(client: httpx.AsyncClient, viewer_token: str, seeded: list) -> None:
    wanted = seeded[4]
    r = await client.get(f"/api/events/{wanted.event_id}", headers=bearer(viewer_token))
    assert r.status_code == 200 and r.json()["kind"] == "detection"
    assert r.json()["payload"]["rule"] == "brute_force"
    listed = await client.get(
        "/api/events", params={"kind": "detection", "limit": 1000}, headers=bearer(viewer_token)
    )
    same = [i for i in listed.json()["items"] if i["event_id"] == str(wanted.event_id)]
    assert same == [r.json()]
    r = await client.get(f"/api/events/{uuid.uuid4()}", headers=bearer(viewer_token))
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"src_ip": "999.1.1.1"}, "src_ip"),
        ({"src_ip": "'; drop table event; --"}, "src_ip"),
        ({"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since"),
        ({"since": "yesterday"}, "since"),
        ({"cursor": "not-a-cursor!!"}, "cursor"),
        ({"cursor": "eyJpZCI6MX0"}, "cursor"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"kind": "auth.attempt,no.such.kind"}, "kind"),
        ({"level": "EXTREME"}, "level"),
        ({"session_id": "123"}, "session_id"),
    ],
)
async def test_bad_input_is_422_problem(
    client: httpx.AsyncClient, viewer_token: str, params: dict, needle: str
) -> None:
    r = await client.get("/api/events", params=params, headers=bearer(viewer_token))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 422 and body["title"] and needle in body["detail"]
    assert "Traceback" not in r.text


async def test_time_bounded_pages_follow_occurred_at(
    client: httpx.AsyncClient, viewer_token: str, engine: AsyncEngine
) -> None:
    events = sample_events(20)
    await store(engine, list(reversed(events)))  # stored newest-in-time first: ids disagree
    by_arrival = await _all_pages(client, viewer_token, limit=6)
    assert [i["event_id"] for i in by_arrival] == [str(e.event_id) for e in events]
    since = (NOW - timedelta(days=1)).isoformat()
    by_time = await _all_pages(client, viewer_token, limit=6, since=since)
    assert [i["event_id"] for i in by_time] == [str(e.event_id) for e in reversed(events)]
    first = await client.get("/api/events", params={"limit": 6}, headers=bearer(viewer_token))
    mixed = await client.get(
        "/api/events",
        params={"since": since, "cursor": first.json()["next_cursor"]},
        headers=bearer(viewer_token),
    )
    assert mixed.status_code == 422 and "cursor" in mixed.json()["detail"]

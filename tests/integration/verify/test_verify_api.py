"""The verify API against a real loopback lab: dnsmasq resolvers, an origin site, a tampered
copy, an honest and a lying HTTP proxy, and paths that hang, reset or answer garbage."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from phantomnet.api import create_app
from phantomnet.api.auth import create_token
from phantomnet.api.services import ApiServices
from phantomnet.bus.memory import MemoryBus
from phantomnet.events import VerificationResult
from phantomnet.settings import Settings
from phantomnet.storage.ingest import apply_derived, insert_events
from phantomnet.storage.tables import VerificationRow
from phantomnet.verify.config import verify_config
from phantomnet.verify.verifier import Verifier
from tests.integration.verify.loop_lab import LIE_IP, NAME, TRUE_IP, Lab, lab
from tests.integration.verify.servers import bad_tcp, dead_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

PROBLEM = "application/problem+json"


@pytest.fixture
def the_lab(tmp_path: Path) -> Iterator[Lab]:
    with lab(tmp_path) as built:
        yield built


@pytest.fixture
def bus() -> MemoryBus:
    return MemoryBus(queue_size=1000)


def _app(
    tmp_path: Path, engine: AsyncEngine, bus: MemoryBus, section: dict[str, Any]
) -> tuple[FastAPI, Verifier]:
    settings = Settings(data_dir=tmp_path / "data", node="test-node", verify=section)
    verifier = Verifier(verify_config(section))
    services = ApiServices(response=None, scorer=None, geo=None, verifier=verifier)
    return create_app(settings, engine=engine, bus=bus, services=services), verifier


@pytest.fixture
async def client(
    tmp_path: Path, engine: AsyncEngine, bus: MemoryBus, the_lab: Lab, clean_env: None
) -> AsyncIterator[httpx.AsyncClient]:
    app, _ = _app(tmp_path, engine, bus, the_lab.verify_section())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
        yield c


@pytest.fixture
async def admin(engine: AsyncEngine) -> dict[str, str]:
    return {"Authorization": f"Bearer {await create_token(engine, role='admin', name='a')}"}


@pytest.fixture
async def viewer(engine: AsyncEngine) -> dict[str, str]:
    return {"Authorization": f"Bearer {await create_token(engine, role='viewer', name='v')}"}


async def _store(engine: AsyncEngine, events: list[Any]) -> None:
    async with engine.begin() as conn:
        fresh = await insert_events(conn, events)
        await apply_derived(conn, [e for e in events if e.event_id in fresh])


async def test_verify_names_the_lying_resolver_and_proxy_and_publishes_the_result(
    client: httpx.AsyncClient, admin: dict[str, str], bus: MemoryBus, engine: AsyncEngine,
    the_lab: Lab,
) -> None:  # fmt: skip
    results = bus.subscribe("t", kinds=frozenset({"verification.result"}))
    body = {"url": the_lab.url, "num_paths": 3, "timeout": 60}
    r = await client.post("/api/v1/verify", json=body, headers=admin)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["attack_detected"] is True and report["verified"] is True
    assert report["outcome"] == "confirmed"
    assert report["compromised_paths"] == ["evil-proxy", "liar-ns-0"]
    assert report["verified_ip"] == TRUE_IP
    dns, http = report["checks"]
    assert dns["paths"]["liar-ns-0"]["addresses"] == [LIE_IP]
    assert http["attack_type"] == "CONTENT_TAMPERING"
    assert http["paths"]["evil-proxy"]["agrees"] is False
    # the event went out on the bus; stored the way the writer stores it, it is listed
    async with asyncio.timeout(30):
        batch = await anext(aiter(results))
    event = batch.events[0]
    assert isinstance(event, VerificationResult)
    assert str(event.event_id) == report["result_event_id"]
    assert event.outcome == "confirmed" and event.method == "multipath-url"
    await _store(engine, [event])
    listed = (await client.get("/api/v1/verify/results", headers=admin)).json()
    assert [i["event_id"] for i in listed["items"]] == [report["result_event_id"]]
    item = listed["items"][0]
    assert item["compromised_paths"] == ["evil-proxy", "liar-ns-0"]
    assert item["paths_checked"] == 6 and item["paths_agreed"] == 4
    async with engine.connect() as conn:
        row = (await conn.execute(select(VerificationRow.__table__))).mappings().one()
    assert row["attack_detected"] is True and row["confidence"] == "MEDIUM"


async def test_results_are_keyset_paginated(
    client: httpx.AsyncClient, viewer: dict[str, str], engine: AsyncEngine
) -> None:
    from phantomnet.events import SensorRef

    events = [
        VerificationResult(
            sensor=SensorRef(node="n", component="verify"),
            target=f"n{i}.example.test", method="multipath-dns", outcome="refuted",
        )
        for i in range(5)
    ]  # fmt: skip
    await _store(engine, events)
    seen: list[str] = []
    cursor = None
    for _ in range(10):  # bounded
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/verify/results", params=params, headers=viewer)).json()
        seen += [i["target"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"n{i}.example.test" for i in reversed(range(5))]
    bad = await client.get("/api/v1/verify/results?outcome=maybe", headers=viewer)
    assert bad.status_code == 422 and bad.headers["content-type"] == PROBLEM


async def test_the_second_question_comes_from_the_cache(
    client: httpx.AsyncClient, admin: dict[str, str], the_lab: Lab
) -> None:
    first = (await client.post("/api/v1/verify", json={"url": the_lab.url}, headers=admin)).json()
    again = (await client.post("/api/v1/verify", json={"url": the_lab.url}, headers=admin)).json()
    assert [c["cached"] for c in first["checks"]] == [False, False]
    assert [c["cached"] for c in again["checks"]] == [True, True]
    assert again["compromised_paths"] == first["compromised_paths"]


async def test_verify_needs_an_admin(
    client: httpx.AsyncClient, viewer: dict[str, str], the_lab: Lab
) -> None:
    r = await client.post("/api/v1/verify", json={"url": the_lab.url}, headers=viewer)
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    r = await client.post("/api/v1/verify", json={"url": the_lab.url})
    assert r.status_code == 401
    assert (await client.get("/api/v1/verify/paths", headers=viewer)).status_code == 200


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("nx.example.test", 404, "unknown domain"),
        ("https://user:pw@www.example.test/", 422, "credentials"),
        ("ftp://www.example.test/", 422, "scheme"),
        ("gopher://www.example.test/", 422, "scheme"),
        ("bücher.example.test", 422, "internationalised"),
        ("xn--bcher-kva.example.test", 422, "internationalised"),
        ("a" * 64 + ".example.test", 422, "label too long"),
        (".".join(["abcdefgh"] * 40), 422, "too long"),
    ],
)
async def test_bad_input_is_a_clear_problem(
    client: httpx.AsyncClient, admin: dict[str, str], url: str, status: int, says: str
) -> None:
    r = await client.post("/api/v1/verify", json={"url": url}, headers=admin)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert says in r.json()["detail"]


async def test_bad_body_is_a_problem(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    for body in ({"url": NAME, "num_paths": 1}, {"url": NAME, "timeout": 0}, {"nope": 1}):
        r = await client.post("/api/v1/verify", json=body, headers=admin)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM


async def test_no_credentials_or_cookies_leave_with_a_verification(
    client: httpx.AsyncClient, admin: dict[str, str], the_lab: Lab
) -> None:
    headers = {**admin, "Cookie": "session=USER-SECRET-COOKIE"}
    r = await client.post("/api/v1/verify", json={"url": the_lab.url}, headers=headers)
    assert r.status_code == 200
    token = admin["Authorization"].split()[1]
    assert the_lab.seen, "the sites were asked"
    for seen in the_lab.seen:
        assert "cookie" not in seen and "authorization" not in seen
        assert token not in str(seen) and "USER-SECRET-COOKIE" not in str(seen)


async def test_paths_report_health_latency_and_the_last_error(
    tmp_path: Path, engine: AsyncEngine, bus: MemoryBus, the_lab: Lab, admin: dict[str, str],
    clean_env: None,
) -> None:  # fmt: skip
    section = the_lab.verify_section()
    section["paths"] = [
        *section["paths"],
        {"name": "dead-ns", "kind": "dns", "settings": {"server": dead_port(), "types": ["A"]}},
    ]
    app, _ = _app(tmp_path, engine, bus, section)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as c:
        before = (await c.get("/api/v1/verify/paths", headers=admin)).json()["items"]
        assert {p["state"] for p in before} == {"unknown"}
        await c.post("/api/v1/verify", json={"url": the_lab.url}, headers=admin)
        after = {
            p["name"]: p
            for p in (await c.get("/api/v1/verify/paths", headers=admin)).json()["items"]
        }
    assert after["dead-ns"]["state"] == "failing" and after["dead-ns"]["last_error"]
    assert after["direct"]["state"] == "ok" and after["direct"]["last_latency_ms"] is not None
    assert after["direct"]["last_error"] is None
    assert after["resolver-0"]["answered"] == 1


async def test_hanging_resetting_and_garbage_paths_do_not_corroborate(
    tmp_path: Path, engine: AsyncEngine, bus: MemoryBus, the_lab: Lab, admin: dict[str, str],
    clean_env: None,
) -> None:  # fmt: skip
    with bad_tcp("hang") as hang, bad_tcp("reset") as reset, bad_tcp("garbage") as garbage:
        honest = [p for p in the_lab.paths if p["name"] in ("direct", "via-proxy")]
        bad = [
            {"name": n, "kind": "http", "settings": {"connect_to": f"127.0.0.1:{port}"}}
            for n, port in (("hang", hang), ("reset", reset), ("garbage", garbage))
        ]
        # 5 paths: 1 may fail to corroborate; 3 failing ones leave no quorum
        section = {"timeout_s": 5.0, "early_stop": True, "paths": honest + bad}
        app, _ = _app(tmp_path, engine, bus, section)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api.test"
        ) as c:
            r = await c.post(
                "/api/v1/verify", json={"url": f"http://127.0.0.1:{the_lab.origin_port}/"},
                headers=admin,
            )  # fmt: skip
    assert r.status_code == 200, r.text
    check = r.json()["checks"][0]
    assert set(check["failed_paths"]) == {"hang", "reset", "garbage"}
    assert check["paths"]["direct"]["status"] == 200  # the others were not stalled
    assert check["paths"]["via-proxy"]["status"] == 200
    assert check["outcome"] == "inconclusive" and check["compromised_paths"] == []


async def test_openapi_documents_the_verify_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in ("/api/v1/verify", "/api/v1/verify/paths", "/api/v1/verify/results"):
        assert path in spec["paths"]
    assert "verified" in spec["components"]["schemas"]["DetectionItem"]["properties"]


async def test_without_paths_the_routes_answer_503(
    tmp_path: Path, engine: AsyncEngine, bus: MemoryBus, admin: dict[str, str], clean_env: None
) -> None:
    settings = Settings(data_dir=tmp_path / "data", node="n")
    app = create_app(settings, engine=engine, bus=bus)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api.test"
    ) as c:
        r = await c.post("/api/v1/verify", json={"url": NAME}, headers=admin)
    assert r.status_code == 503 and "verify.paths" in r.json()["detail"]


async def test_the_runtime_shares_one_verifier_with_the_api(
    tmp_path: Path, engine: AsyncEngine, bus: MemoryBus, the_lab: Lab, clean_env: None
) -> None:
    from phantomnet.runtime.build import build
    from phantomnet.runtime.parts import PARTS
    from phantomnet.runtime.services import VERIFIER_KEY, api_services
    from phantomnet.verify.component import VerificationComponent

    settings = Settings(data_dir=tmp_path / "data", node="n", verify=the_lab.verify_section())
    rt = build(settings, bus, role="server", extra=PARTS, engine=engine)
    comps = [c for c in rt.components if isinstance(c, VerificationComponent)]
    assert len(comps) == 1
    services = await api_services(settings, engine, bus, rt.shared)
    assert services.verifier is comps[0].verifier is rt.shared[VERIFIER_KEY]

    off = Settings(
        data_dir=tmp_path / "data2", node="n",
        verify={**the_lab.verify_section(), "auto": {"enabled": False}},
    )  # fmt: skip
    rt_off = build(off, MemoryBus(), role="server", extra=PARTS, engine=engine)
    assert not [c for c in rt_off.components if isinstance(c, VerificationComponent)]
    assert isinstance(rt_off.shared[VERIFIER_KEY], Verifier)  # the API still verifies


async def test_the_detection_view_shows_the_verification(
    client: httpx.AsyncClient, viewer: dict[str, str], engine: AsyncEngine, the_lab: Lab
) -> None:
    from datetime import UTC, datetime

    from phantomnet.events import Detection, Endpoint, SensorRef
    from phantomnet.verify.path import Question

    now = datetime.now(UTC)
    detection = Detection(
        sensor=SensorRef(node="n", component="monitor.dns_spoof"),
        src=Endpoint(ip="198.51.100.7"), rule="dns_spoof", severity="high",
        first_seen=now, last_seen=now, count=2, summary="spoof", detector="monitor.dns_spoof",
        subject=NAME,
    )  # fmt: skip
    verifier = Verifier(verify_config(the_lab.verify_section()))
    verdict = await verifier.ask(Question("dns", NAME))
    assert verdict is not None
    result = verdict.event("n", subject=detection.event_id, rule="dns_spoof")
    await _store(engine, [detection])
    before = (await client.get("/api/detections", headers=viewer)).json()["items"][0]
    assert before["verified"] is None and before["verification_details"] is None
    await _store(engine, [result])
    after = (await client.get("/api/detections", headers=viewer)).json()["items"][0]
    assert after["verified"] is True
    details = after["verification_details"]
    assert details["outcome"] == "confirmed" and details["compromised_paths"] == ["liar-ns-0"]
    assert details["result_event_id"] == str(result.event_id)
    listed = await client.get(
        "/api/v1/verify/results", params={"subject_event_id": str(detection.event_id)},
        headers=viewer,
    )  # fmt: skip
    assert [i["rule"] for i in listed.json()["items"]] == ["dns_spoof"]

"""The taxii sink against a real medallion (the OASIS reference TAXII 2.1 server), read back
with the OASIS client (taxii2-client); medallion is killed and restarted mid-stream."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.sinks.helpers import detection, free_port, running
from tests.integration.sinks.medallion_server import PASSWORD, USER, Medallion
from tests.stix_check import validate
from tests.waiting import until

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import Endpoint, Event, FileUpload, SensorRef
from phantomnet.sinks import stix
from phantomnet.sinks.taxii import TaxiiConfig, TaxiiSink

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Medallion]:
    srv = Medallion(tmp_path, free_port())
    await srv.start()
    try:
        yield srv
    finally:
        await srv.kill()


def taxii(srv: Medallion, **extra: object) -> TaxiiSink:
    cfg = TaxiiConfig.model_validate(
        {
            "api_root": srv.api_root,
            "collection": "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
            "user": USER,
            "password": PASSWORD,
            "timeout_s": 5,
            "retry_first_s": 0.05,
            "retry_max_s": 0.2,
            **extra,
        }
    )
    return TaxiiSink(cfg, "node-1")


def read_back(srv: Medallion, *, versions: str = "last") -> list[dict[str, Any]]:
    """Every object of the collection, through taxii2-client's paging."""
    from taxii2client.v21 import Collection, as_pages

    coll = Collection(srv.collection_url, user=USER, password=PASSWORD)
    out: list[dict[str, Any]] = []
    for page in as_pages(coll.get_objects, per_request=50, version=versions):
        out.extend(page.get("objects", []))
    return out


def upload(i: int) -> FileUpload:
    return FileUpload(
        sensor=SensorRef(node="node-1", component="ftp"),
        src=Endpoint(ip="198.51.100.9", port=40000 + i),
        dst=Endpoint(ip="192.0.2.10", port=21),
        protocol="ftp",
        filename=f"kit{i}.sh",
        sha256=f"{i:064x}",
        size=100,
    )


def sightings_by_event(objs: list[dict[str, Any]]) -> Counter[str]:
    """How many sightings each event id has (indicators name their event)."""
    event_of = {
        o["id"]: o["external_references"][0]["external_id"]
        for o in objs
        if o["type"] == "indicator"
    }
    return Counter(event_of[o["sighting_of_ref"]] for o in objs if o["type"] == "sighting")


async def test_objects_arrive_and_read_back_with_taxii2_client(server: Medallion) -> None:
    events: list[Event] = [detection(i) for i in range(4)]
    events += [detection(7, rule="http_sqli"), upload(1)]
    bus = MemoryBus()
    await bus.start()
    async with running(taxii(server, kinds=["detection", "file.upload"]), bus) as comp:
        await bus.publish_many(events)
        assert await until(lambda: comp.delivered == len(events))
        assert comp.health.failing_since is None
    objs = await asyncio.to_thread(read_back, server)
    validate(json.dumps({"type": "bundle", "id": stix.stix_id("bundle", "x"), "objects": objs}))
    types = Counter(o["type"] for o in objs)
    assert types["identity"] == 1 and types["attack-pattern"] == 3  # T1110, T1190, T1105
    patterns = {o["pattern"] for o in objs if o["type"] == "indicator"}
    for i in range(4):
        assert f"[ipv4-addr:value = '203.0.113.{i + 1}']" in patterns
    assert f"[file:hashes.'SHA-256' = '{1:064x}']" in patterns
    ids = {
        o["external_references"][0]["external_id"] for o in objs if o["type"] == "attack-pattern"
    }
    assert ids == {"T1110", "T1190", "T1105"}
    counts = {o["sighting_of_ref"]: o["count"] for o in objs if o["type"] == "sighting"}
    ind_of_ip = {o["pattern"]: o["id"] for o in objs if o["type"] == "indicator"}
    assert counts[ind_of_ip["[ipv4-addr:value = '203.0.113.3']"]] == 3  # detection(2).count
    rel = [o for o in objs if o["type"] == "relationship"]
    assert {r["relationship_type"] for r in rel} == {"indicates"} and len(rel) == len(events)


async def test_kill_and_restart_mid_stream_loses_nothing_duplicates_nothing(
    server: Medallion,
) -> None:
    events = [detection(i) for i in range(40)]
    bus = MemoryBus()
    await bus.start()
    sink = taxii(server, batch_size=4)

    async def produce() -> None:
        for event in events:
            await bus.publish(event)
            await asyncio.sleep(0.01)

    async with running(sink, bus) as comp:
        producer = asyncio.create_task(produce())
        assert await until(lambda: comp.delivered >= 4)
        await server.kill()  # by the PID we started
        assert await until(lambda: comp.health.failing_since is not None)
        assert comp.delivered < len(events)
        await producer
        await server.start()  # same port, same data file
        assert await until(lambda: comp.delivered == len(events), timeout=120)
        assert comp.health.state == "up" and comp.health.failing_since is None
        # a redelivery of already-sent events (the bus hands a batch out again) is accepted:
        # the server refuses the duplicates, the sink sees they are stored and acknowledges
        await bus.publish_many(events[:5])
        assert await until(lambda: comp.delivered == len(events) + 5)
        assert comp.health.failing_since is None
    every = await asyncio.to_thread(read_back, server, versions="all")
    per_event = sightings_by_event(every)
    assert per_event == Counter({str(e.event_id): 1 for e in events})  # none lost, none twice
    ids = [o["id"] for o in every]
    assert len(ids) == len(set(ids))  # no second version of anything either
    assert sum(1 for o in every if o["type"] == "identity") == 1


async def test_a_refusing_server_fails_the_batch_until_it_accepts(server: Medallion) -> None:
    """Objects the collection does not end up holding are never acknowledged (here the
    collection id is unknown: 404); the batch stays pending and is retried."""
    event = detection(1)
    bus = MemoryBus()
    await bus.start()
    async with running(taxii(server, collection="no-such-collection"), bus) as comp:
        await bus.publish(event)
        assert await until(lambda: comp.attempts >= 3)
        assert comp.delivered == 0 and comp.describe()["pending"] == 1
        assert "404" in (comp.health.last_error or "")
    assert [o for o in await asyncio.to_thread(read_back, server)] == []

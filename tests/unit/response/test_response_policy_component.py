"""Automatic blocking: the policy table and the component consuming the bus."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from response_fakes import MemoryStore, ScriptedRunner

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import Detection, Endpoint, HoneytokenTriggered, Score, SensorRef
from phantomnet.response.blockers.dryrun import DryRunBlocker
from phantomnet.response.component import ResponseComponent
from phantomnet.response.config import AutoBlockConfig, ResponseConfig
from phantomnet.response.policy import decide
from phantomnet.response.safety import Safety
from phantomnet.response.service import ResponseService

SENSOR = SensorRef(node="n1", component="test")
NOW = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)


def score(ip: str, decision: str = "BLOCK") -> Score:
    return Score(
        sensor=SENSOR,
        src=Endpoint(ip=ip),
        subject_kind="network.flow",
        score=97,
        level="HIGH",
        decision=decision,
        confidence=0.9,  # type: ignore[arg-type]
        model_version="rf-1",
    )


def detection(ip: str, rule: str) -> Detection:
    return Detection(
        sensor=SENSOR,
        src=Endpoint(ip=ip),
        rule=rule,
        severity="high",
        first_seen=NOW,
        last_seen=NOW,
        count=12,
        summary="12 failed logins",
        detector=rule,
    )


def test_policy_table() -> None:
    on = AutoBlockConfig(enabled=True)
    assert decide(score("203.0.113.7"), on) is not None
    assert decide(score("203.0.113.7", "ALERT"), on) is None
    assert decide(score("203.0.113.7"), AutoBlockConfig()) is None  # disabled by default
    bf = decide(detection("203.0.113.8", "brute_force"), on)
    assert bf is not None and bf.source == "detection" and "brute_force" in bf.reason
    assert decide(detection("203.0.113.8", "weak_tls"), on) is None
    token = decide(detection("203.0.113.9", "honeytoken_use"), on)
    assert token is not None and token.source == "honeytoken"
    used = HoneytokenTriggered(
        sensor=SENSOR,
        src=Endpoint(ip="203.0.113.10"),
        token_id="t1",
        token_kind="aws_key",
        protocol="http",
    )
    hit = decide(used, on)
    assert hit is not None and hit.target == "203.0.113.10" and hit.source == "honeytoken"
    assert decide(used, AutoBlockConfig(enabled=True, honeytoken_events=False)) is None


async def test_policy_drops_the_zone_id_of_a_link_local_source(
    store: MemoryStore, runner: ScriptedRunner
) -> None:
    on = AutoBlockConfig(enabled=True)
    request = decide(detection("fe80::bad:1%eth0", "brute_force"), on)
    assert request is not None and request.target == "fe80::bad:1"
    config = ResponseConfig(auto=on)
    service = ResponseService(
        config, store, DryRunBlocker(config, runner), Safety(config, runner), node="n1"
    )
    component = ResponseComponent(service, None)
    await component.handle(detection("fe80::bad:1%eth0", "brute_force"))
    assert [r.target for r in store.rows] == ["fe80::bad:1"]


async def test_component_blocks_from_bus_events(store: MemoryStore, runner: ScriptedRunner) -> None:
    config = ResponseConfig(auto=AutoBlockConfig(enabled=True), reconcile_interval_s=3600)
    service = ResponseService(
        config, store, DryRunBlocker(config, runner), Safety(config, runner), node="n1"
    )
    bus = MemoryBus()
    component = ResponseComponent(service, bus)
    await component.start()
    task = asyncio.create_task(component.run())
    try:
        await asyncio.sleep(0)  # let the consumer subscribe
        first = detection("203.0.113.8", "brute_force")
        for event in (
            score("203.0.113.7"),
            score("203.0.113.20", "ALLOW"),
            first,
            first,
            detection("127.0.0.1", "port_scan"),
            detection("203.0.113.30", "weak_tls"),
        ):
            await bus.publish(event)
        async with asyncio.timeout(5):
            while len(store.rows) < 2 or bus.stats.acked < 6:
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert sorted((r.target, r.source) for r in store.rows) == [
        ("203.0.113.7", "policy"),
        ("203.0.113.8", "detection"),
    ]
    assert component.auto_blocks == 2 and service.counters.refused == 1
    status = component.describe()
    assert status["state"] == "up" and status["blocks"] == 2 and status["backend"] == "dry-run"
    assert "dry-run (nothing enforced)" in str(status["detail"])

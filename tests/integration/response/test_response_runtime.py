"""The runtime part end to end: a brute_force detection on the bus makes the response
component block the attacker in nftables (inside a test namespace), the decision is stored,
and the attacker's new connections fail."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pnr_netns import Lab

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import Detection, Endpoint, SensorRef
from phantomnet.response.component import ResponseComponent
from phantomnet.runtime.build import Runtime
from phantomnet.runtime.parts import response
from phantomnet.settings import Settings
from phantomnet.storage.blocks import SqlBlockStore, ensure_schema
from phantomnet.storage.db import make_engine

pytestmark = [pytest.mark.integration, pytest.mark.netns, pytest.mark.timeout(300)]


async def test_detection_blocks_through_the_runtime_part(
    lab: Lab, tmp_path: Path, clean_env: None
) -> None:
    port = lab.serve("0.0.0.0")
    url = f"sqlite:///{tmp_path / 'pn.db'}"
    engine = make_engine(url)
    await ensure_schema(engine, url)
    settings = Settings(
        data_dir=tmp_path,
        node="victim",
        response={"backend": "nftables", "netns": lab.victim, "auto": {"enabled": True}},
    )
    bus = MemoryBus()
    rt = Runtime(settings=settings, bus=bus, engine=engine)
    (component,) = response(rt)
    assert rt.shared["response_service"] is component.service
    assert isinstance(component, ResponseComponent)
    await component.start()
    task = asyncio.create_task(component.run())
    try:
        now = datetime.now(UTC)
        await bus.publish(
            Detection(
                sensor=SensorRef(node="victim", component="detector.brute_force"),
                src=Endpoint(ip=lab.attacker_ip),
                rule="brute_force",
                severity="high",
                protocol="ssh",
                first_seen=now,
                last_seen=now,
                count=20,
                summary="20 failed SSH logins",
                detector="brute_force",
            )
        )
        store = SqlBlockStore.from_engine(engine)
        async with asyncio.timeout(10):
            while await store.get_active(lab.attacker_ip) is None:
                await asyncio.sleep(0.05)
        record = await store.get_active(lab.attacker_ip)
        assert record is not None and record.source == "detection" and record.applied
        assert int((record.expires_at - record.created_at).total_seconds()) == 600  # 1st rung
        held = lab.in_victim("nft", "list", "set", "inet", "phantomnet", "addr4").stdout
        assert lab.attacker_ip in held
        peer = await asyncio.to_thread(lab.client, lab.victim_ip, port)
        assert peer.first.startswith("error")  # type: ignore[attr-defined]
        assert component.describe()["state"] == "up"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await component.service.blocker.teardown()
        await engine.dispose()

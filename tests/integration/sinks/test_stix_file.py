"""The stix_file sink through the real component and memory bus: one valid bundle per line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.integration.sinks.helpers import detection, running
from tests.stix_check import validate
from tests.waiting import until

from phantomnet.bus.memory import MemoryBus
from phantomnet.sinks.stix_file import StixFileConfig, StixFileSink

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def sink(path: Path, **extra: object) -> StixFileSink:
    cfg = StixFileConfig.model_validate({"path": str(path), "retry_max_s": 0.2, **extra})
    return StixFileSink(cfg, "node-1")


async def test_one_valid_bundle_per_batch_line(tmp_path: Path) -> None:
    out = tmp_path / "bundles.jsonl"
    out.write_bytes(b'{"cut short by a crash"')  # a previous line without its newline
    events = [detection(i) for i in range(7)]
    bus = MemoryBus()
    await bus.start()
    async with running(sink(out, batch_size=3), bus) as comp:
        await bus.publish_many(events)
        assert await until(lambda: comp.delivered == 7)
    lines = out.read_text().splitlines()
    assert lines[0] == '{"cut short by a crash"'  # closed, not glued to the first bundle
    bundles = [json.loads(line) for line in lines[1:]]
    assert len(bundles) >= 3  # batches of at most 3 events
    for line in lines[1:]:
        validate(line)
    sighted = [o for b in bundles for o in b["objects"] if o["type"] == "sighting"]
    assert sorted(s["count"] for s in sighted) == [e.count for e in events]


async def test_a_symlink_is_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    link = tmp_path / "bundles.jsonl"
    stix_sink = sink(link)  # valid at load: the file does not exist yet
    os.symlink(victim, link)  # then someone plants a link
    bus = MemoryBus()
    await bus.start()
    async with running(stix_sink, bus) as comp:
        await bus.publish(detection(1))
        assert await until(lambda: comp.attempts >= 2)
        assert comp.delivered == 0
        assert "symbolic links" in (comp.health.last_error or "")  # ELOOP from O_NOFOLLOW
    assert victim.read_text() == "keep\n"

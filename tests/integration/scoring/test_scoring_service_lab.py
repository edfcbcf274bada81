"""The scoring service with the shipped model on real lab captures (real tools, replayed by
the monitor): a masscan run gets its source blocked, a benign curl run does not."""

from __future__ import annotations

import asyncio
import gzip
import shutil
from pathlib import Path

import pytest
from tests.waiting import until

from phantomnet.bus.memory import MemoryBus
from phantomnet.cli.train import monitor_reader
from phantomnet.events import Event, NetworkFlow, Score
from phantomnet.scoring.config import ScoringConfig
from phantomnet.scoring.service import ScoringService, build_scoring
from phantomnet.settings import Settings

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[3] / "data" / "training"


def lab_flows(name: str, tmp: Path) -> list[Event]:
    source = DATA / "captures" / f"{name}.pcap.gz"
    if not source.exists():
        pytest.fail(f"{source} is missing (committed lab data)")
    plain = tmp / f"{name}.pcap"
    with gzip.open(source, "rb") as src, plain.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    return [e for e in monitor_reader(plain) if isinstance(e, NetworkFlow)]


async def scores_for(events: list[Event]) -> tuple[list[Score], ScoringService]:
    bus = MemoryBus(queue_size=100_000)
    service = ScoringService(bus, ScoringConfig(), node="it")
    await service.start()
    got: list[Score] = []

    async def watch() -> None:
        async for batch in bus.subscribe("watch", kinds=frozenset({"score"})):
            got.extend(e for e in batch.events if isinstance(e, Score))

    watcher = asyncio.create_task(watch())
    runner = asyncio.create_task(service.run())
    await asyncio.sleep(0)
    await bus.publish_many(events)
    # Every event scored, and the watcher holds every score published (a batch's scores are
    # counted before the service yields, so "published" is final once "events" is).
    done = await until(
        lambda: (
            service.counters["events"] >= len(events) and len(got) >= service.counters["published"]
        )
    )
    runner.cancel()
    watcher.cancel()
    await asyncio.gather(runner, watcher, return_exceptions=True)
    assert done, service.counters
    return got, service


async def test_masscan_source_is_blocked(tmp_path: Path) -> None:
    flows = lab_flows("masscan-r1", tmp_path)
    assert len(flows) > 500
    scores, service = await scores_for(flows)
    assert service.counters["subjects"] == len(flows)
    assert any(s.decision == "BLOCK" and s.src and s.src.ip == "10.231.0.2" for s in scores)
    assert len(scores) < 10  # the per-IP cache keeps the score stream small


async def test_benign_browsing_is_not_blocked(tmp_path: Path) -> None:
    flows = lab_flows("curl_browse-r2", tmp_path)
    scores, _ = await scores_for(flows)
    assert scores and all(s.decision != "BLOCK" for s in scores)


def test_factory_respects_enabled(clean_env: None) -> None:
    bus = MemoryBus()
    assert build_scoring(Settings(scoring={"enabled": False}), bus) == []
    [service] = build_scoring(Settings(node="n1"), bus)
    assert isinstance(service, ScoringService) and service.sensor.node == "n1"

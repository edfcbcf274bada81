"""make_bus picks the implementation from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from phantomnet.bus.factory import make_bus
from phantomnet.bus.memory import MemoryBus
from phantomnet.bus.redis_streams import RedisStreamsBus
from phantomnet.errors import ConfigError
from phantomnet.settings import BusSettings


def test_memory_by_default() -> None:
    bus = make_bus(BusSettings())
    assert isinstance(bus, MemoryBus)


async def test_redis_with_settings_applied(tmp_path: Path) -> None:
    cfg = BusSettings(
        backend="redis",
        url="redis://127.0.0.1:1/0",
        stream="s",
        maxlen=5000,
        claim_idle_ms=1234,
        spool_dir=tmp_path,
        spool_max_bytes=100_000,
    )
    bus = make_bus(cfg)
    assert isinstance(bus, RedisStreamsBus)
    assert (bus.stream, bus.maxlen, bus.claim_idle_ms) == ("s", 5000, 1234)
    await bus.close()  # no connection was ever made


def test_redis_without_url_is_a_config_error() -> None:
    cfg = BusSettings.model_construct(backend="redis", url="")
    with pytest.raises(ConfigError, match=r"bus\.url"):
        make_bus(cfg)


async def test_node_prefixes_consumers_and_default_spool_dir_applies(tmp_path: Path) -> None:
    cfg = BusSettings(backend="redis", url="redis://127.0.0.1:1/0")
    bus = make_bus(cfg, node="edge-1", spool_dir=tmp_path / "spool")
    assert isinstance(bus, RedisStreamsBus)
    assert bus.consumer_prefix == "edge-1"
    assert bus._spool is not None and bus._spool.directory == tmp_path / "spool"
    await bus.close()
    plain = make_bus(cfg)
    assert isinstance(plain, RedisStreamsBus) and plain._spool is None
    await plain.close()

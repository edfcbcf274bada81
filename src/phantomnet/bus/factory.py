"""Build the configured bus; the only place that chooses an implementation."""

from __future__ import annotations

from phantomnet.bus.base import EventBus
from phantomnet.errors import ConfigError
from phantomnet.settings import BusSettings


def make_bus(cfg: BusSettings) -> EventBus:
    """A not-yet-started bus for ``cfg.backend`` (``memory`` or ``redis``).

    Raises :class:`ConfigError` for a Redis bus without a URL. The Redis client library is
    imported only when the Redis bus is chosen.
    """
    if cfg.backend == "memory":
        from phantomnet.bus.memory import MemoryBus

        return MemoryBus(queue_size=cfg.queue_size, debug_roundtrip=cfg.debug_roundtrip)
    if not cfg.url:
        raise ConfigError("bus.url: the Redis bus needs a URL (redis://host:6379/0)")
    from phantomnet.bus.redis_streams import RedisStreamsBus

    return RedisStreamsBus.from_settings(cfg)

"""Build the configured bus; the only place that chooses an implementation."""

from __future__ import annotations

from pathlib import Path

from phantomnet.bus.base import EventBus
from phantomnet.errors import ConfigError
from phantomnet.settings import BusSettings


def make_bus(
    cfg: BusSettings,
    *,
    node: str = "",
    spool_dir: Path | None = None,
    journal_dir: Path | None = None,
) -> EventBus:
    """A not-yet-started bus for ``cfg.backend`` (``memory`` or ``redis``).

    Redis only: ``node`` prefixes consumer names (pass ``settings.node``); ``spool_dir`` is
    the disk spool used when ``cfg.spool_dir`` is not set (pass ``<data_dir>/spool`` for a
    sensor host so that an outage of Redis loses nothing). Raises :class:`ConfigError` for a
    Redis bus without a URL. The Redis client library is imported only when chosen.
    Memory with ``cfg.journal``: the journal lives in ``journal_dir`` (pass
    ``<data_dir>/journal``; required then).
    """
    if cfg.backend == "memory" and cfg.journal:
        from phantomnet.bus.journal import JournaledMemoryBus

        if journal_dir is None:
            raise ConfigError("bus.journal: needs a data directory for the journal")
        return JournaledMemoryBus(
            journal_dir,
            queue_size=cfg.queue_size,
            debug_roundtrip=cfg.debug_roundtrip,
            max_bytes=cfg.journal_max_bytes,
            fsync=cfg.journal_fsync,
        )
    if cfg.backend == "memory":
        from phantomnet.bus.memory import MemoryBus

        return MemoryBus(queue_size=cfg.queue_size, debug_roundtrip=cfg.debug_roundtrip)
    if not cfg.url:
        raise ConfigError("bus.url: the Redis bus needs a URL (redis://host:6379/0)")
    from phantomnet.bus.redis_streams import RedisStreamsBus

    return RedisStreamsBus.from_settings(cfg, node=node, spool_dir=spool_dir)

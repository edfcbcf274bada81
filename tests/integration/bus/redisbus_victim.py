"""A storage consumer that reads one batch, stores part of it, reports, and waits to be killed.

Run as ``python redisbus_victim.py REDIS_URL STREAM DB_URL BATCH STORE``: it joins group
``storage`` as consumer ``victim``, takes one batch of up to BATCH events, stores the first
STORE of them with the real :class:`StorageWriter` (one committed transaction), prints one
JSON line ``{"taken": [...], "stored": [...]}`` and then sleeps without ever acknowledging.
"""

from __future__ import annotations

import asyncio
import json
import sys

from phantomnet.bus.redis_streams import RedisStreamsBus
from phantomnet.storage.db import make_engine
from phantomnet.storage.writer import StorageWriter


async def main(url: str, stream: str, db: str, batch_size: int, store: int) -> None:
    bus = RedisStreamsBus(url, stream=stream, block_ms=100, claim_idle_ms=600_000)
    await bus.start()
    writer = StorageWriter(bus, make_engine(db))
    batch = await anext(aiter(bus.subscribe("storage", consumer="victim", batch_size=batch_size)))
    stored = await writer.write(list(batch.events[:store]))
    report = {
        "taken": [str(e.event_id) for e in batch.events],
        "stored": [str(e.event_id) for e in batch.events[:store]],
        "inserted": stored,
    }
    print(json.dumps(report), flush=True)
    await asyncio.sleep(120)  # killed long before this


if __name__ == "__main__":
    url, stream, db, batch_size, store = sys.argv[1:6]
    asyncio.run(main(url, stream, db, int(batch_size), int(store)))

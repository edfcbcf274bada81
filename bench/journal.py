"""Journal cost: events/s published by concurrent doors, memory bus with and without the
write-ahead journal (fsync on / off), one storage consumer acknowledging.

    .venv/bin/python bench/journal.py [--events 20000] [--publishers 50] [--dir /tmp/x]

Prints figures; asserts nothing. Bounded: at most --events events per run.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from phantomnet.bus.journal import JournaledMemoryBus
from phantomnet.bus.memory import MemoryBus
from phantomnet.events import AuthAttempt, Endpoint, SensorRef

REF = SensorRef(node="bench", component="ssh")


async def run(bus: MemoryBus, events: int, publishers: int) -> float:
    await bus.start()
    sub = bus.subscribe("storage", batch_size=1000)
    src = Endpoint(ip="203.0.113.7", port=50000)

    async def door(k: int) -> None:
        for i in range(events // publishers):
            await bus.publish(AuthAttempt(sensor=REF, protocol="ssh", username=f"u{k}-{i}",
                                          accepted=False, src=src))  # fmt: skip

    async def storage() -> None:
        got = 0
        async for batch in sub:
            got += len(batch.events)
            await batch.ack()
            if got >= events // publishers * publishers:
                return

    t0 = time.perf_counter()
    await asyncio.gather(storage(), *(door(k) for k in range(publishers)))
    elapsed = time.perf_counter() - t0
    await bus.close()
    return events / elapsed


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--publishers", type=int, default=50)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="pn-journal-bench-"))
    plain = await run(MemoryBus(), args.events, args.publishers)
    print(f"memory                 {plain:10.0f} events/s")
    for fsync in (False, True):
        bus = JournaledMemoryBus(base / f"j-{fsync}", fsync=fsync)
        rate = await run(bus, args.events, args.publishers)
        print(f"memory+journal fsync={fsync!s:5} {rate:10.0f} events/s "
              f"({bus.journal.syncs} group commits)")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())

"""Slowloris against the HTTP door, loopback only, bounded (``RUN_S`` seconds, 600 sockets).

600 sockets from 20 addresses (127.0.1.x), one header line every 3 s; a real client (GET /
from 127.0.2.1) every 0.5 s. Prints how the slow sockets ended and how many real requests
got a 200.  ``.venv/bin/python bench/http_slowloris.py [RUN_S]``
"""

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from phantomnet.bus.memory import MemoryBus
from phantomnet.sensors.base import SensorContext
from phantomnet.sensors.http.sensor import HttpConfig, HttpSensor

RUN_S = int(sys.argv[1]) if len(sys.argv) > 1 else 60


async def slow(port, src, stop):
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(src, 0))
    except OSError:
        return "refused"
    w.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
    try:
        while time.monotonic() < stop:
            try:
                data = await asyncio.wait_for(r.read(100), 3)
                return (
                    "408"
                    if data.startswith(b"HTTP/1.1 408")
                    else ("closed" if not data else "other")
                )
            except TimeoutError:
                w.write(b"X-a: b\r\n")
    except ConnectionError:
        return "reset"
    finally:
        w.close()
    return "held"


async def real(port, stop, out):
    while time.monotonic() < stop:
        t = time.monotonic()
        try:
            r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.2.1", 0))
            w.write(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = await asyncio.wait_for(r.read(20), 10)
            w.close()
            out.append(data.startswith(b"HTTP/1.1 200"))
        except (TimeoutError, OSError):
            out.append(False)
        await asyncio.sleep(max(0, 0.5 - (time.monotonic() - t)))


async def main():
    tmp = Path(tempfile.mkdtemp())
    sensor = HttpSensor(
        HttpConfig(host="127.0.0.1", port=0, tls_port=None), SensorContext("n", MemoryBus(), tmp)
    )
    await sensor.start()
    task = asyncio.create_task(sensor.run())
    stop = time.monotonic() + RUN_S
    oks = []
    t0 = time.monotonic()
    slows = [
        asyncio.create_task(slow(sensor.bound_port, f"127.0.1.{i % 20 + 1}", stop))
        for i in range(600)
    ]
    realt = asyncio.create_task(real(sensor.bound_port, stop, oks))
    res = await asyncio.gather(*slows)
    t_cut = time.monotonic() - t0
    await realt
    from collections import Counter

    print("slowloris outcomes:", dict(Counter(res)), f"all ended after {t_cut:.1f}s")
    n = len(oks)
    first = oks[: n // 3]
    rest = oks[n // 3 :]
    print(
        f"real client: {sum(oks)}/{n} ok overall; "
        f"first third {sum(first)}/{len(first)}, rest {sum(rest)}/{len(rest)}"
    )
    await sensor.stop()
    task.cancel()


asyncio.run(main())

"""Events, a running sink component and a private rsyslogd for the sink tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from tests.conftest import unavailable

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import Detection, Endpoint, SensorRef
from phantomnet.sinks.base import Sink
from phantomnet.sinks.component import SinkComponent, sink_component

RSYSLOGD = Path("/usr/sbin/rsyslogd")


def require_rsyslog(*, tls: bool = False) -> None:
    """Skip (fail under CI=true) without Debian's rsyslog (and rsyslog-gnutls for TLS)."""
    if not RSYSLOGD.exists():
        unavailable("rsyslogd is not installed (apt-get install rsyslog)")
    if tls and not list(Path("/usr/lib").glob("*/rsyslog/lmnsd_gtls.so")):
        unavailable("rsyslog's TLS driver is not installed (apt-get install rsyslog-gnutls)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def detection(i: int, *, severity: str = "high", rule: str = "brute_force") -> Detection:
    now = datetime.now(UTC)
    return Detection(
        sensor=SensorRef(node="node-1", component="detectors"),
        src=Endpoint(ip=f"203.0.113.{i % 250 + 1}", port=40000 + i),
        dst=Endpoint(ip="192.0.2.10", port=22),
        rule=rule,
        severity=severity,  # type: ignore[arg-type]
        protocol="ssh",
        first_seen=now,
        last_seen=now,
        count=i + 1,
        summary=f"brute force #{i} | a=b \\ x",
        detector="brute_force",
    )


@contextlib.asynccontextmanager
async def running(sink: Sink, bus: MemoryBus) -> AsyncIterator[SinkComponent]:
    comp = sink_component(sink, bus, "node-1")
    await comp.start()
    task = asyncio.create_task(comp.run())
    try:
        yield comp
    finally:
        await comp.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


CONF = """
global(workDirectory="{work}"{tls_global})
module(load="imudp")
module(load="imtcp"{tls_module})
module(load="mmpstrucdata")
template(name="fields" type="string"
  string="%msgid%\\t%app-name%\\t%hostname%\\t%syslogseverity%\\t%$!rfc5424-sd%\\t%msg%\\n")
input(type="imudp" address="127.0.0.1" port="{udp}")
input(type="imtcp" address="127.0.0.1" port="{tcp}"{tls_input})
action(type="mmpstrucdata")
action(type="omfile" file="{out}" template="fields")
"""


class Rsyslog:
    """A private rsyslogd (-n, own config, pid and work dir) on free loopback ports."""

    def __init__(self, root: Path, *, tls: tuple[Path, Path] | None = None) -> None:
        self.root = root
        self.work = root / "work"
        self.work.mkdir(parents=True, exist_ok=True)
        self.out = root / "out.log"
        self.udp, self.tcp = free_port(), free_port()
        self.tls = tls
        self.proc: subprocess.Popen[bytes] | None = None

    def _conf(self) -> Path:
        tls_module = tls_input = tls_global = ""
        if self.tls is not None:
            cert, key = self.tls
            tls_global = f' defaultNetstreamDriverCAFile="{cert}"'
            tls_global += f' defaultNetstreamDriverCertFile="{cert}"'
            tls_global += f' defaultNetstreamDriverKeyFile="{key}"'
            tls_module = ' streamDriver.name="gtls" streamDriver.mode="1"'
            tls_module += ' streamDriver.authMode="anon"'
        conf = self.root / "rsyslog.conf"
        conf.write_text(
            CONF.format(
                work=self.work,
                udp=self.udp,
                tcp=self.tcp,
                out=self.out,
                tls_module=tls_module,
                tls_input=tls_input,
                tls_global=tls_global,
            )
        )
        return conf

    async def start(self) -> None:
        require_rsyslog(tls=self.tls is not None)
        conf = self._conf()
        self.proc = subprocess.Popen(
            [str(RSYSLOGD), "-n", "-f", str(conf), "-i", str(self.root / "rsyslogd.pid")],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "rsyslogd.err").open("ab"),
        )
        while not await self._accepts():
            assert self.proc.poll() is None, (self.root / "rsyslogd.err").read_text()
            await asyncio.sleep(0.05)

    async def _accepts(self) -> bool:
        try:
            _, w = await asyncio.open_connection("127.0.0.1", self.tcp)
        except OSError:
            return False
        w.close()
        with contextlib.suppress(OSError):
            await w.wait_closed()
        return True

    async def kill(self, sig: int = signal.SIGKILL) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, sig)
            await asyncio.to_thread(proc.wait)

    def lines(self) -> list[list[str]]:
        if not self.out.exists():
            return []
        return [ln.split("\t", 5) for ln in self.out.read_text().splitlines() if ln]

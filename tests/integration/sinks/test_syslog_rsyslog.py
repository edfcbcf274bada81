"""The syslog sink against a real rsyslogd: what rsyslog parsed is what we sent."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest
from tests.integration.sinks.helpers import Rsyslog, detection, running
from tests.waiting import until

from phantomnet.bus.memory import MemoryBus
from phantomnet.sinks.syslog import SyslogConfig, SyslogSink

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(180),
]


def sink(rs: Rsyslog, **extra: object) -> SyslogSink:
    port = rs.udp if extra.get("transport") == "udp" else rs.tcp
    cfg = SyslogConfig.model_validate(
        {"host": "127.0.0.1", "port": port, "retry_max_s": 0.2, **extra}
    )
    return SyslogSink(cfg, "node-1")


async def test_rfc5424_over_udp_fields_parsed_by_rsyslog(tmp_path: Path) -> None:
    rs = Rsyslog(tmp_path)
    await rs.start()
    try:
        bus = MemoryBus()
        await bus.start()
        events = [detection(i, severity="critical") for i in range(3)]
        async with running(sink(rs, transport="udp"), bus):
            await bus.publish_many(events)
            assert await until(lambda: len(rs.lines()) >= 3)
    finally:
        await rs.kill(signal.SIGTERM)
    by_id = {}
    for msgid, app, host, sev, sd, msg in rs.lines():
        parsed = json.loads(sd)["phantomnet@32473"]
        by_id[parsed["event_id"]] = (msgid, app, host, sev, parsed, json.loads(msg))
    assert set(by_id) == {str(e.event_id) for e in events}
    msgid, app, host, sev, parsed, body = by_id[str(events[1].event_id)]
    assert (msgid, app, host, sev) == ("detection", "phantomnet", "node-1", "2")
    assert parsed["rule"] == "brute_force" and parsed["src"] == "203.0.113.2"
    assert parsed["spt"] == "40001" and parsed["dpt"] == "22"
    assert body == events[1].model_dump(mode="json")  # the whole event, as JSON


async def test_cef_over_tcp_header_fields(tmp_path: Path) -> None:
    rs = Rsyslog(tmp_path)
    await rs.start()
    try:
        bus = MemoryBus()
        await bus.start()
        events = [detection(i, severity="medium") for i in range(4)]
        async with running(sink(rs, transport="tcp", format="cef"), bus) as comp:
            await bus.publish_many(events)
            assert await until(lambda: len(rs.lines()) >= 4)
            assert comp.delivered == 4
    finally:
        await rs.kill(signal.SIGTERM)
    rows = rs.lines()
    assert len(rows) == 4  # octet counting: one record per event, none split or merged
    msg = rows[0][5]
    # CEF:Version|Vendor|Product|Version|Signature|Name|Severity|Extension ('|' escaped)
    head = msg.replace("\\|", "\x00").split("|")
    assert head[:5] == ["CEF:0", "PhantomNet", "PhantomNet", "0.1.0", "brute_force"]
    assert head[5].replace("\x00", "|") == events[0].summary.replace("\\", "\\\\")
    assert head[6] == "5"
    ext = head[7]
    assert f"externalId={events[0].event_id}" in ext
    assert "src=203.0.113.1 spt=40000 dst=192.0.2.10 dpt=22" in ext
    assert {r[0] for r in rows} == {"detection"}


async def test_tcp_receiver_killed_and_restarted_loses_nothing(tmp_path: Path) -> None:
    rs = Rsyslog(tmp_path)
    await rs.start()
    bus = MemoryBus()
    await bus.start()
    first = [detection(i) for i in range(5)]
    second = [detection(100 + i) for i in range(5)]
    try:
        async with running(sink(rs, transport="tcp"), bus) as comp:
            await bus.publish_many(first)
            assert await until(lambda: len(rs.lines()) >= 5)
            await rs.kill()  # SIGKILL: the receiver is gone, its connection with it
            await bus.publish_many(second)
            # nothing listens: the sink fails, keeps the batch un-acked and says so
            assert await until(lambda: comp.health.failing_since is not None)
            assert comp.pending == 5 and comp.health.state == "degraded"
            assert "send" in (comp.health.last_error or "")
            await rs.start()  # same port, same output file
            assert await until(lambda: comp.health.failing_since is None)
            assert await until(lambda: len(rs.lines()) >= 10)
            assert comp.delivered == 10 and comp.pending == 0
    finally:
        await rs.kill(signal.SIGTERM)
    got = {json.loads(r[4])["phantomnet@32473"]["event_id"] for r in rs.lines()}
    assert got == {str(e.event_id) for e in first + second}


async def test_rfc5424_over_tls_verified_against_rsyslog_certificate(tmp_path: Path) -> None:
    from phantomnet.sensors.tls import ensure_certificate

    cert, key = ensure_certificate(tmp_path / "tls", "localhost")
    rs = Rsyslog(tmp_path, tls=(cert, key))
    await rs.start()
    events = [detection(i) for i in range(3)]
    try:
        bus = MemoryBus()
        await bus.start()
        tls = {"transport": "tls", "ca_file": str(cert), "server_name": "localhost"}
        async with running(sink(rs, **tls), bus) as comp:
            await bus.publish_many(events)
            assert await until(lambda: len(rs.lines()) >= 3)
            assert comp.health.failing_since is None
    finally:
        await rs.kill(signal.SIGTERM)
    got = {json.loads(r[4])["phantomnet@32473"]["event_id"] for r in rs.lines()}
    assert got == {str(e.event_id) for e in events}


async def test_tls_refuses_a_receiver_it_cannot_verify(tmp_path: Path) -> None:
    from phantomnet.sensors.tls import ensure_certificate

    cert, key = ensure_certificate(tmp_path / "tls", "localhost")
    other, _ = ensure_certificate(tmp_path / "other", "localhost")
    rs = Rsyslog(tmp_path, tls=(cert, key))
    await rs.start()
    try:
        bus = MemoryBus()
        await bus.start()
        tls = {"transport": "tls", "ca_file": str(other), "server_name": "localhost"}
        async with running(sink(rs, **tls), bus) as comp:
            await bus.publish(detection(0))
            assert await until(lambda: comp.health.failures >= 2)  # retried, never sent
            assert "CERTIFICATE_VERIFY_FAILED" in (comp.health.last_error or "")
            assert comp.delivered == 0 and comp.pending == 1
    finally:
        await rs.kill(signal.SIGTERM)
    assert rs.lines() == []

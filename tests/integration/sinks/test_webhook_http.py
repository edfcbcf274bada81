"""The webhook sink against a real HTTP server (http.server in a thread) that checks bodies
and signatures, refuses with 500 for a while, then takes everything."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from tests.integration.sinks.helpers import detection, running
from tests.waiting import until

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import (
    Endpoint,
    HoneytokenTriggered,
    ResponseBlock,
    SensorRef,
    parse_event,
)
from phantomnet.sinks.webhook import WebhookConfig, WebhookSink

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
SECRET = b"s3cret-key"


class Receiver(ThreadingHTTPServer):
    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.failing = False
        self.refused = 0
        self.lock = threading.Lock()
        #: (path, signature header, body) of every accepted POST
        self.got: list[tuple[str, str | None, bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            if self.server.failing:
                self.server.refused += 1
                self.send_response(500)
            else:
                sig = self.headers.get("X-PhantomNet-Signature")
                self.server.got.append((self.path, sig, body))
                self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def webhook(url: str, **extra: object) -> WebhookSink:
    cfg = WebhookConfig.model_validate(
        {"url": url, "secret": SECRET.decode(), "retry_max_s": 0.2, **extra}
    )
    return WebhookSink(cfg, "node-1")


async def test_json_body_and_signature_exact(receiver: Receiver) -> None:
    bus = MemoryBus()
    await bus.start()
    events = [detection(i) for i in range(3)]
    async with running(webhook(receiver.url), bus):
        await bus.publish_many(events)
        assert await until(lambda: len(receiver.got) >= 3)
    for path, sig, body in receiver.got:
        assert path == "/hook"
        assert sig == "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    got = [parse_event(body) for _, _, body in receiver.got]
    assert sorted(str(e.event_id) for e in got) == sorted(str(e.event_id) for e in events)
    assert {e.event_id: e for e in got} == {e.event_id: e for e in events}


async def test_500s_are_retried_until_everything_is_delivered(receiver: Receiver) -> None:
    bus = MemoryBus()
    await bus.start()
    events = [detection(i) for i in range(6)]
    receiver.failing = True
    async with running(webhook(receiver.url), bus) as comp:
        await bus.publish_many(events)
        assert await until(lambda: receiver.refused >= 3)  # retried, never given up
        assert comp.health.failing_since is not None and comp.delivered == 0
        assert "500" in (comp.health.last_error or "")
        assert comp.describe()["pending"] == 6
        receiver.failing = False
        assert await until(lambda: comp.delivered == 6)
        assert comp.health.failing_since is None and comp.health.state == "up"
    ids = [json.loads(body)["event_id"] for _, _, body in receiver.got]
    assert sorted(ids) == sorted(str(e.event_id) for e in events)  # each once: no repeats


async def test_filters_and_slack_and_teams_shapes(receiver: Receiver) -> None:
    kept = detection(1, severity="critical")
    events = [detection(0, severity="low"), kept, detection(2, rule="http_attacks")]
    bus = MemoryBus()
    await bus.start()
    slack_sink = webhook(
        receiver.url + "?slack", format="slack", min_severity="high", rules=["brute_force"]
    )
    async with running(slack_sink, bus) as slack:
        await bus.publish_many(events)
        assert await until(lambda: slack.skipped == 2 and slack.delivered == 1)
    bus = MemoryBus()  # one sink per plug-in name: the Teams one gets its own bus here
    await bus.start()
    async with running(webhook(receiver.url + "?teams", format="teams"), bus) as teams:
        await bus.publish_many(events)
        assert await until(lambda: teams.delivered == 3)
    slack_bodies = [json.loads(b) for p, _, b in receiver.got if p.endswith("?slack")]
    teams_bodies = [json.loads(b) for p, _, b in receiver.got if p.endswith("?teams")]
    assert len(slack_bodies) == 1 and len(teams_bodies) == 3
    msg = slack_bodies[0]
    assert msg["text"] == f"PhantomNet: [critical] {kept.summary}"
    assert msg["blocks"][0]["type"] == "header"
    assert f"*event_id*: `{kept.event_id}`" in msg["blocks"][1]["text"]["text"]
    card = next(c for c in teams_bodies if str(kept.event_id) in json.dumps(c))
    assert card["@type"] == "MessageCard" and card["themeColor"] == "8B0000"
    facts = {f["name"]: f["value"] for f in card["sections"][0]["facts"]}
    assert facts["event_id"] == str(kept.event_id) and facts["rule"] == "brute_force"


async def test_alert_mode_slack_and_teams_say_the_same_with_dedupe_and_links(
    receiver: Receiver,
) -> None:
    attack = [detection(7) for _ in range(3)]  # same rule, same source: one alert + follow-up
    src = attack[0].src
    assert src is not None
    token = HoneytokenTriggered(
        sensor=SensorRef(node="node-1", component="ssh"),
        src=Endpoint(ip="198.51.100.4", port=50000),
        token_id="aws-key-1",
        token_kind="credential",
        protocol="ssh",
    )
    block = ResponseBlock(
        sensor=SensorRef(node="node-1", component="response"),
        target=src.ip,
        source="detection",
        reason="brute_force",
        duration_s=600,
        expires_at=datetime.now(UTC) + timedelta(minutes=10),
        backend="nftables",
        applied=True,
    )
    low = detection(9, severity="low")  # below the alert default (high)
    alert = {"dedupe_window_s": 0.3, "dashboard_url": "https://pn.example/"}
    for fmt in ("slack", "teams"):
        bus = MemoryBus()
        await bus.start()
        sink = webhook(receiver.url + f"?{fmt}", format=fmt, alert=alert)
        async with running(sink, bus) as comp:
            await bus.publish_many([block, *attack, token, low])
            stats = bus.stats
            assert await until(lambda: comp.delivered == 5 and stats.acked == 6)  # noqa: B023
            assert comp.skipped == 1 and comp.describe()["deduped"] == 2
    slack = [json.loads(b) for p, _, b in receiver.got if p.endswith("?slack")]
    teams = [json.loads(b) for p, _, b in receiver.got if p.endswith("?teams")]
    assert len(slack) == len(teams) == 4  # block, attack, honeytoken, follow-up of 2 repeats
    assert [m["text"] for m in slack] == [c["title"] for c in teams]
    first = next(m for m in slack if m["text"].startswith("PhantomNet: [high] brute_force"))
    section = first["blocks"][1]["text"]["text"]
    assert f"*Who*: {src.ip}:{src.port}" in section
    assert f"*Action*: blocked {src.ip} for 600 s until" in section
    assert f"<https://pn.example/attackers/{src.ip}|attacker>" in section
    follow = next(m for m in slack if m["text"].endswith("(+2 more)"))
    assert "*Repeats*: 2 more of this rule and source since" in follow["blocks"][1]["text"]["text"]
    assert any("honeytoken credential 'aws-key-1' used" in m["text"] for m in slack)
    card = next(c for c in teams if c["title"] == first["text"])
    facts = {f["name"]: f["value"] for f in card["sections"][0]["facts"]}
    assert facts["Where"] == "door ssh, on 192.0.2.10:22, node node-1"
    assert (
        card["potentialAction"][0]["targets"][0]["uri"] == f"https://pn.example/attackers/{src.ip}"
    )


async def test_receiver_killed_mid_stream_and_back_gets_every_event_once(
    receiver: Receiver,
) -> None:
    """The receiver goes away between events (connection refused), then a new one listens on
    the same port: every event arrives, each exactly once across both receivers."""
    bus = MemoryBus()
    await bus.start()
    port = receiver.server_address[1]
    first = [detection(i) for i in range(4)]
    later = [detection(10 + i) for i in range(4)]
    async with running(webhook(receiver.url), bus) as comp:
        await bus.publish_many(first)
        assert await until(lambda: len(receiver.got) == 4)
        receiver.shutdown()
        receiver.server_close()  # gone: the port refuses connections
        await bus.publish_many(later)
        assert await until(lambda: comp.health.failing_since is not None)
        assert "onnect" in (comp.health.last_error or ""), comp.health.last_error
        back = Receiver(port)
        thread = threading.Thread(target=back.serve_forever, daemon=True)
        thread.start()
        try:
            assert await until(lambda: comp.delivered == 8)
            assert comp.health.failing_since is None
        finally:
            back.shutdown()
            back.server_close()
            thread.join()
    ids = [json.loads(b)["event_id"] for _, _, b in receiver.got + back.got]
    assert sorted(ids) == sorted(str(e.event_id) for e in first + later)

"""ecs_file, elasticsearch and splunk_hec through the real SinkComponent and MemoryBus.

The HTTP sinks talk to a real HTTP server (http.server in a thread) that speaks the two
APIs the way the services do: ``_bulk`` with NDJSON ``create`` actions (201, or 409
``version_conflict_engine_exception`` for an ``_id`` it holds, like Elasticsearch), and HEC
(``{"text": "Success", "code": 0}``). It checks the exact bytes and the auth header, answers
503, drops the connection after storing a batch, refuses single items, is killed and comes
back on the same port: every event arrives, none twice in the _bulk store.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.integration.sinks.helpers import detection, running
from tests.unit.sinks.ecs_samples import samples
from tests.waiting import until

from phantomnet.bus.memory import MemoryBus
from phantomnet.events import Event, kinds
from phantomnet.sinks.ecs import to_ecs
from phantomnet.sinks.ecs_file import EcsFileConfig, EcsFileSink
from phantomnet.sinks.elasticsearch import ElasticsearchConfig, ElasticsearchSink
from phantomnet.sinks.splunk_hec import SplunkHecConfig, SplunkHecSink, hec_event

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
TOKEN = "11111111-2222-3333-4444-555555555555"
BASIC = "Basic " + base64.b64encode(b"elastic:changeme").decode()
ALL_KINDS = sorted(kinds())


def compact(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class State:
    """What the receiver holds; it outlives a killed server (the next one takes it over)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    #: "ok", "503" (refuse), "drop" (store, then close without answering), "code" (HEC 200
    #: with code 6)
    mode: str = "ok"
    #: _bulk: _id -> the exact document line, and each (action, doc) line pair received
    docs: dict[str, bytes] = field(default_factory=dict)
    pairs: list[tuple[bytes, bytes]] = field(default_factory=list)
    created: int = 0
    conflicts: int = 0
    #: _bulk: ids refused once with an item error (429) before they are taken
    reject_once: set[str] = field(default_factory=set)
    item_errors: int = 0
    refused: int = 0
    templates: dict[str, Any] = field(default_factory=dict)
    #: HEC: raw bodies taken
    hec: list[bytes] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: State, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.state = state


class Handler(BaseHTTPRequestHandler):
    server: Server

    def _answer(self, status: int, body: object) -> None:
        raw = compact(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers["Content-Length"]))

    def do_PUT(self) -> None:
        st = self.server.state
        body = self._body()
        if self.headers.get("Authorization") != BASIC:
            self._answer(401, {"error": "auth"})
            return
        with st.lock:
            st.templates[self.path] = json.loads(body)
        self._answer(200, {"acknowledged": True})

    def do_POST(self) -> None:
        body = self._body()
        st = self.server.state
        with st.lock:
            if st.mode == "503":
                st.refused += 1
                self._answer(503, {"error": "unavailable"})
                return
            if self.path == "/_bulk":
                self._bulk(st, body)
            elif self.path == "/services/collector/event":
                self._hec(st, body)
            else:
                st.problems.append(f"POST {self.path}")
                self._answer(404, {})

    def _bulk(self, st: State, body: bytes) -> None:
        if self.headers.get("Authorization") != BASIC:
            st.problems.append(f"bulk auth {self.headers.get('Authorization')!r}")
        if self.headers.get("Content-Type") != "application/x-ndjson":
            st.problems.append(f"bulk content type {self.headers.get('Content-Type')!r}")
        if not body.endswith(b"\n"):
            st.problems.append("bulk body does not end with a newline")
        lines = body.split(b"\n")[:-1]
        if len(lines) % 2:
            st.problems.append("bulk body has an odd number of lines")
        items = []
        for action_line, doc_line in zip(lines[::2], lines[1::2], strict=True):
            st.pairs.append((action_line, doc_line))
            action = json.loads(action_line)
            meta = action["create"]
            _id = meta["_id"]
            if json.loads(doc_line)["event"]["id"] != _id:
                st.problems.append(f"_id {_id} is not the document's event.id")
            if _id in st.reject_once:
                st.reject_once.discard(_id)
                st.item_errors += 1
                error = {"type": "es_rejected_execution_exception", "reason": "queue full"}
                items.append({"create": {"_id": _id, "status": 429, "error": error}})
            elif _id in st.docs:
                st.conflicts += 1
                error = {"type": "version_conflict_engine_exception", "reason": "exists"}
                items.append({"create": {"_id": _id, "status": 409, "error": error}})
            else:
                st.docs[_id] = doc_line
                st.created += 1
                items.append({"create": {"_index": meta["_index"], "_id": _id, "status": 201}})
        if st.mode == "drop":  # took the batch, the answer never reaches the client
            self.close_connection = True
            return
        errors = any(i["create"]["status"] >= 300 for i in items)
        self._answer(200, {"took": 1, "errors": errors, "items": items})

    def _hec(self, st: State, body: bytes) -> None:
        if self.headers.get("Authorization") != f"Splunk {TOKEN}":
            st.problems.append(f"hec auth {self.headers.get('Authorization')!r}")
            self._answer(401, {"text": "Invalid authorization", "code": 3})
            return
        if st.mode == "code":
            st.refused += 1
            self._answer(200, {"text": "Invalid data format", "code": 6})
            return
        st.hec.append(body)
        self._answer(200, {"text": "Success", "code": 0})

    def log_message(self, format: str, *args: object) -> None:
        return None


class Receiver:
    """A server that can be killed and started again on the same port with the same state."""

    def __init__(self) -> None:
        self.state = State()
        self.server: Server | None = None
        self.thread: threading.Thread | None = None
        self.port = 0
        self.start()

    def start(self) -> None:
        self.server = Server(self.state, self.port)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def kill(self) -> None:
        server, thread, self.server, self.thread = self.server, self.thread, None, None
        if server is not None and thread is not None:
            server.shutdown()
            server.server_close()
            thread.join()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.kill()


def es_sink(url: str, **extra: object) -> ElasticsearchSink:
    cfg = ElasticsearchConfig.model_validate(
        {
            "url": url,
            "username": "elastic",
            "password": "changeme",
            "retry_first_s": 0.05,
            "retry_max_s": 0.2,
            **extra,
        }
    )
    return ElasticsearchSink(cfg, "node-1")


def hec_sink(url: str, **extra: object) -> SplunkHecSink:
    cfg = SplunkHecConfig.model_validate(
        {"url": url, "token": TOKEN, "retry_first_s": 0.05, "retry_max_s": 0.2, **extra}
    )
    return SplunkHecSink(cfg, "node-1")


async def started_bus() -> MemoryBus:
    bus = MemoryBus()
    await bus.start()
    return bus


def hec_objects(body: bytes) -> list[dict[str, Any]]:
    """Split concatenated JSON objects (HEC's batch form: no separator)."""
    text, pos, out = body.decode(), 0, []
    decoder = json.JSONDecoder()
    while pos < len(text):
        obj, pos = decoder.raw_decode(text, pos)
        out.append(obj)
    return out


async def test_bulk_request_is_exact_and_the_template_is_installed(receiver: Receiver) -> None:
    events: list[Event] = samples()  # type: ignore[assignment]
    bus = await started_bus()
    sink = es_sink(receiver.url, kinds=ALL_KINDS, install_template=True, index="pn-events")
    async with running(sink, bus) as comp:
        await bus.publish_many(events)
        assert await until(lambda: comp.delivered == len(events))
    st = receiver.state
    assert st.problems == []
    assert list(st.templates) == ["/_index_template/phantomnet-events"]
    template = st.templates["/_index_template/phantomnet-events"]
    assert template["index_patterns"] == ["pn-events*"]
    assert template["template"]["mappings"]["properties"]["source"]["properties"]["ip"] == {
        "type": "ip"
    }
    by_id = {str(e.event_id): e for e in events}
    assert len(st.pairs) == len(events) and st.created == len(events)
    for action, doc in st.pairs:
        _id = json.loads(action)["create"]["_id"]
        assert action == compact({"create": {"_index": "pn-events", "_id": _id}})
        assert doc == compact(to_ecs(by_id[_id]))  # type: ignore[arg-type]
    assert set(st.docs) == set(by_id)


async def test_bulk_outage_kill_and_lost_answers_deliver_everything_once(
    receiver: Receiver,
) -> None:
    st = receiver.state
    bus = await started_bus()
    events = [detection(i) for i in range(40)]
    async with running(es_sink(receiver.url, batch_size=5), bus) as comp:
        await bus.publish_many(events[:10])
        assert await until(lambda: comp.delivered == 10)
        receiver.kill()  # connection refused
        before = comp.attempts
        await bus.publish_many(events[10:20])
        assert await until(lambda: comp.attempts >= before + 3)
        assert comp.health.failing_since is not None
        receiver.start()  # back on the same port
        assert await until(lambda: comp.delivered == 20)
        st.mode = "503"
        await bus.publish_many(events[20:30])
        assert await until(lambda: st.refused >= 3)
        assert "503" in (comp.health.last_error or "")
        st.mode = "drop"  # stores the batch, the answer is lost: the retry meets 409s
        assert await until(lambda: st.created >= 25)
        st.mode = "ok"
        assert await until(lambda: comp.delivered == 30)
        assert st.conflicts >= 5
        st.reject_once = {str(e.event_id) for e in events[31:40:3]}  # single items refused
        await bus.publish_many(events[30:])
        assert await until(lambda: comp.delivered == 40)
        assert comp.health.failing_since is None
    assert st.problems == [] and st.item_errors == 3
    assert sorted(st.docs) == sorted(str(e.event_id) for e in events)
    assert st.created == 40  # none twice
    # after an item error only the refused items were sent again
    sent = [json.loads(a)["create"]["_id"] for a, _ in st.pairs]
    assert sum(sent.count(str(e.event_id)) for e in events[30:]) == 10 + 3


async def test_hec_request_is_exact(receiver: Receiver) -> None:
    events: list[Event] = samples()  # type: ignore[assignment]
    bus = await started_bus()
    sink = hec_sink(receiver.url, kinds=ALL_KINDS, index="honeypot", batch_size=7)
    async with running(sink, bus) as comp:
        await bus.publish_many(events)
        assert await until(lambda: comp.delivered == len(events))
    st = receiver.state
    assert st.problems == []
    by_id = {str(e.event_id): e for e in events}
    got = []
    for body in st.hec:
        objects = hec_objects(body)
        assert body == b"".join(compact(o) for o in objects)  # back to back, nothing between
        got += objects
    assert sorted(o["fields"]["event_id"] for o in got) == sorted(by_id)
    for obj in got:
        event = by_id[obj["fields"]["event_id"]]
        assert obj == hec_event(event, sink.cfg)  # type: ignore[arg-type]
        assert list(obj) == ["time", "host", "source", "sourcetype", "index", "event", "fields"]
        assert obj["host"] == "hp-1" and obj["index"] == "honeypot"
        assert obj["sourcetype"] == "phantomnet:ecs" and obj["source"] == "phantomnet"
        assert obj["time"] == pytest.approx(event.occurred_at.timestamp())
        assert obj["event"]["event"]["id"] == str(event.event_id)


async def test_hec_refusals_and_kill_are_retried_until_delivered(receiver: Receiver) -> None:
    st = receiver.state
    bus = await started_bus()
    events = [detection(i) for i in range(20)]
    async with running(hec_sink(receiver.url, format="json", batch_size=4), bus) as comp:
        await bus.publish_many(events[:4])
        assert await until(lambda: comp.delivered == 4)
        st.mode = "code"  # 200 but code 6: refused
        await bus.publish_many(events[4:8])
        assert await until(lambda: st.refused >= 2)
        assert "code 6" in (comp.health.last_error or "")
        st.mode = "503"
        assert await until(lambda: st.refused >= 4)
        receiver.kill()
        before = comp.attempts
        await bus.publish_many(events[8:])
        assert await until(lambda: comp.attempts >= before + 2)
        st.mode = "ok"
        receiver.start()
        assert await until(lambda: comp.delivered == 20)
    assert st.problems == []
    got = [o for body in st.hec for o in hec_objects(body)]
    assert sorted(o["event"]["event_id"] for o in got) == sorted(str(e.event_id) for e in events)
    assert {o["sourcetype"] for o in got} == {"phantomnet:event"}


def file_sink(path: Path, **extra: object) -> EcsFileSink:
    cfg = EcsFileConfig.model_validate(
        {"path": str(path), "retry_first_s": 0.05, "retry_max_s": 0.2, **extra}
    )
    return EcsFileSink(cfg, "node-1")


def read_lines(sink: EcsFileSink) -> list[dict[str, Any]]:
    out = []
    for path in sink.files():
        raw = path.read_bytes()
        assert raw == b"" or raw.endswith(b"\n"), path
        out += [json.loads(ln) for ln in raw.splitlines()]
    return out


async def test_file_rotates_and_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ecs" / "events.ndjson"
    sink = file_sink(path, kinds=ALL_KINDS, max_bytes=6000, backups=50, batch_size=7)
    events: list[Event] = [*samples(), *(detection(i) for i in range(40))]  # type: ignore[list-item]
    bus = await started_bus()
    async with running(sink, bus) as comp:
        await bus.publish_many(events)
        assert await until(lambda: comp.delivered == len(events))
    assert sink.rotations >= 3
    files = sink.files()
    assert len(files) == sink.rotations + 1
    assert all(p.parent == path.parent and p.name.startswith("events.ndjson") for p in files)
    assert sorted(os.listdir(path.parent)) == sorted(p.name for p in files)
    for p in files:
        assert p.stat().st_size <= 6000
    docs = read_lines(sink)
    assert [d["event"]["id"] for d in docs] == [str(e.event_id) for e in events]  # in order
    assert docs[0] == json.loads(compact(to_ecs(events[0])))


async def test_file_keeps_only_backups_and_refuses_a_symlink(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("keep me\n")
    path.symlink_to(elsewhere)
    sink = file_sink(path, max_bytes=3000, backups=2, batch_size=5)
    events = [detection(i) for i in range(30)]
    bus = await started_bus()
    async with running(sink, bus) as comp:
        await bus.publish_many(events)
        assert await until(lambda: comp.health.failures >= 2)  # O_NOFOLLOW: refused
        assert comp.delivered == 0 and elsewhere.read_text() == "keep me\n"
        path.unlink()
        assert await until(lambda: comp.delivered == 30)
    assert elsewhere.read_text() == "keep me\n"
    assert [p.name for p in sink.files()] == ["events.ndjson.2", "events.ndjson.1", "events.ndjson"]
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["elsewhere.txt", "events.ndjson", "events.ndjson.1", "events.ndjson.2"]
    )
    ids = [d["event"]["id"] for d in read_lines(sink)]
    assert ids == [str(e.event_id) for e in events][-len(ids) :]  # the newest, in order

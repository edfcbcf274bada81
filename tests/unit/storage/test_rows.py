"""Pure event → row mapping and per-batch aggregation (no database)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from phantomnet import events as ev
from phantomnet.storage import rows

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SSH = ev.SensorRef(node="n1", component="ssh")
MON = ev.SensorRef(node="n1", component="monitor")


def src(ip: str = "203.0.113.5", port: int | None = 5555) -> ev.Endpoint:
    return ev.Endpoint(ip=ip, port=port)


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def det(severity: str, ip: str = "203.0.113.5") -> ev.Detection:
    return ev.Detection(rule="port_scan", severity=severity, first_seen=T0, last_seen=T0,  # type: ignore[arg-type]
                        count=1, summary="s", detector="d", sensor=MON, src=src(ip))  # fmt: skip


def score(value: float, level: str, when: float, ip: str = "203.0.113.5") -> ev.Score:
    return ev.Score(subject_kind="x", score=value, level=level, decision="ALLOW",  # type: ignore[arg-type]
                    confidence=0.5, model_version="m", sensor=MON, src=src(ip),
                    occurred_at=at(when))  # fmt: skip


@pytest.mark.parametrize(
    ("severity", "level"), [("low", "LOW"), ("medium", "MEDIUM"), ("high", "HIGH"),
                            ("critical", "HIGH")],
)  # fmt: skip
def test_detection_level_from_severity(severity: str, level: str) -> None:
    assert rows.level_of(det(severity)) == (level, None)


def test_score_and_plain_levels() -> None:
    assert rows.level_of(score(73.0, "MEDIUM", 0)) == ("MEDIUM", 73.0)
    assert rows.level_of(ev.CommandInput(protocol="ssh", command="x", sensor=SSH)) == (None, None)


def test_protocol_column_rules() -> None:
    flow = ev.NetworkFlow(transport="tcp", started_at=T0, ended_at=T0, packets_out=1,
                          packets_in=0, bytes_out=1, bytes_in=0, sensor=MON)  # fmt: skip
    assert rows.protocol_of(ev.CommandInput(protocol="ftp", command="x", sensor=SSH)) == "ftp"
    assert rows.protocol_of(flow) == "tcp"
    assert rows.protocol_of(flow.model_copy(update={"app": "dns"})) == "dns"
    assert rows.protocol_of(det("low")) == "monitor"  # no protocol field set: component
    assert rows.protocol_of(det("low").model_copy(update={"protocol": "ssh"})) == "ssh"
    http = ev.HttpRequest(method="GET", path="/", sensor=ev.SensorRef(node="n", component="http"))
    assert rows.protocol_of(http) == "http"


def test_event_record_envelope_in_utc_and_json_payload() -> None:
    plus2 = timezone(timedelta(hours=2))
    e = ev.AuthAttempt(protocol="ssh", username="root", accepted=False, sensor=SSH,
                       src=src(), dst=ev.Endpoint(ip="::ffff:127.0.0.1", port=22),
                       occurred_at=datetime(2026, 11, 1, 14, 0, tzinfo=plus2),
                       session_id=uuid.uuid4())  # fmt: skip
    rec = dict(zip(rows.EVENT_COLUMNS, rows.event_record(e), strict=True))
    assert rec["occurred_at"] == T0 and rec["occurred_at"].tzinfo == UTC
    assert (rec["src_ip"], rec["src_port"], rec["dst_ip"], rec["dst_port"]) == (
        "203.0.113.5", 5555, "127.0.0.1", 22)  # fmt: skip
    assert rec["session_id"] == e.session_id and rec["kind"] == "auth.attempt"
    assert ev.parse_event(rec["payload"]) == e


def test_nul_never_reaches_the_database_but_nothing_is_lost() -> None:
    e = ev.CommandInput(protocol="ssh", command="a\x00b\\u0000", sensor=SSH)
    payload = rows.payload_json(e)
    assert "\\u0000" not in payload.replace("\\\\u0000", "")
    # AttackerText escapes the NUL and the literal backslash (lossless escaped form)
    assert json.loads(payload)["command"] == "a\\x00b\\\\u0000"
    assert rows.clean("x\x00") == "x\\x00" and rows.clean(None) is None
    plain = ev.CommandInput(protocol="ssh", command="é ok", sensor=SSH)
    assert rows.payload_json(plain) == plain.model_dump_json()


def _session_events() -> tuple[uuid.UUID, list[Any]]:
    sid = uuid.uuid4()
    env: dict[str, Any] = {"sensor": SSH, "session_id": sid, "src": src(),
                           "dst": ev.Endpoint(ip="127.0.0.1", port=2222)}  # fmt: skip
    return sid, [
        ev.AuthAttempt(protocol="ssh", username="a", accepted=False, occurred_at=at(2), **env),
        ev.ConnectionOpened(protocol="ssh", occurred_at=at(1), **env),
        ev.AuthAttempt(
            protocol="ssh",
            username="root",
            accepted=True,
            occurred_at=at(3),
            client_version="SSH-2.0-x",
            **env,
        ),
        ev.CommandInput(protocol="ssh", command="ls", occurred_at=at(4), **env),
        ev.ConnectionClosed(
            protocol="ssh", reason="timeout", recording="r/1.cast", occurred_at=at(9), **env
        ),
        ev.CommandInput(protocol="ssh", command="ls", occurred_at=at(5), sensor=SSH, src=src()),
    ]


def test_session_deltas_aggregate_one_session() -> None:
    sid, events = _session_events()
    (d,) = rows.session_deltas(events)  # the command without session id is not counted
    assert (d.session_id, d.started_at, d.ended_at) == (sid, at(1), at(9))
    assert (d.auth_attempts, d.commands, d.authenticated, d.username) == (2, 1, True, "root")
    assert (d.client_version, d.end_reason, d.recording) == ("SSH-2.0-x", "timeout", "r/1.cast")
    assert (d.src_ip, d.src_port, d.dst_port, d.protocol) == ("203.0.113.5", 5555, 2222, "ssh")


def test_attacker_deltas_rules() -> None:
    benign = ev.NetworkPacket(transport="tcp", length=1, sensor=MON, src=src("198.51.100.1"))
    evil = benign.model_copy(update={"suspicious": True, "src": src("198.51.100.2")})
    only_scored = score(10, "LOW", 0, ip="198.51.100.3")
    events = [benign, evil, only_scored, det("high"), score(80, "HIGH", 5), score(60, "MEDIUM", 9),
              score(99, "HIGH", 1)]  # fmt: skip
    deltas = {d.ip: d for d in rows.attacker_deltas(events)}
    assert "198.51.100.1" not in deltas  # benign traffic makes nobody an attacker
    assert deltas["198.51.100.2"].creates and deltas["198.51.100.2"].protocols == {"tcp"}
    assert not deltas["198.51.100.3"].creates  # a score alone creates no profile
    a = deltas["203.0.113.5"]
    assert (a.events, a.detections, a.last_score, a.last_level, a.max_score) == (
        1, 1, 60, "MEDIUM", 99)  # latest score by time, max over all  # fmt: skip
    assert [d.ip for d in rows.attacker_deltas(events)] == sorted(deltas)


def test_attacker_rows() -> None:
    (d,) = rows.attacker_deltas([det("low")])
    geo = rows.geo_columns({"country": "A" * 99, "country_code": "USA", "asn": 13335,
                            "latitude": "1", "longitude": 2, "city": ""})  # fmt: skip
    assert geo == {"country": "A" * 64, "country_code": "US", "city": None, "asn": "13335",
                   "latitude": None, "longitude": 2.0}  # fmt: skip
    new = rows.new_attacker(d, {"country": "X"})
    assert (new["event_count"], new["detection_count"], new["country"]) == (1, 1, "X")
    known = {"first_seen_at": at(-9).replace(tzinfo=None), "last_seen_at": at(-1),
             "protocols": ["ssh"]}  # fmt: skip
    (s,) = rows.attacker_deltas([score(5, "LOW", 3)])
    inc = rows.attacker_increment(known, s)
    assert inc["first_seen_at"] == at(-9) and inc["event_count"] == 0
    assert inc["protocols"] == ["ssh"] and inc["country"] is None


def test_unique_events_keeps_first() -> None:
    a = ev.CommandInput(protocol="ssh", command="1", sensor=SSH)
    b = ev.CommandInput(protocol="ssh", command="2", sensor=SSH)
    assert rows.unique_events([a, b, a, b]) == [a, b]


def test_derived_row_builders() -> None:
    dst = ev.Endpoint(ip="10.0.0.1", port=53)
    pkt = ev.NetworkPacket(transport="udp", length=9, suspicious=True, attack_type="dns_amp",
                           sensor=MON, src=src(), dst=dst)  # fmt: skip
    r = rows.packet_row(pkt)
    assert (r["protocol"], r["is_malicious"], r["dst_port"], r["attack_type"]) == (
        "udp", True, 53, "dns_amp")  # fmt: skip
    st = rows.status_row(ev.SensorStatus(state="up", sensor=SSH, detail="a\x00"))
    assert (st["node"], st["component"], st["detail"]) == ("n1", "ssh", "a\\x00")

"""Redis wire format: encoding, never-raising decoding, dead letters, error translation."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from phantomnet.bus.redis_wire import (
    EveryN,
    Malformed,
    dead_letter_fields,
    decode,
    encode,
    translate_errors,
)
from phantomnet.errors import BusError, BusUnavailable
from phantomnet.events import AuthAttempt, SensorRef, dump_event

EVENT = AuthAttempt(
    sensor=SensorRef(node="n1", component="ssh"), protocol="ssh", username="root", accepted=False
)


def test_encode_then_decode_gives_the_event_back() -> None:
    fields = encode(EVENT)
    assert fields[b"v"] == b"1" and fields[b"kind"] == b"auth.attempt"
    assert decode(fields) == EVENT


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({b"kind": b"auth.attempt", b"data": dump_event(EVENT)}, "wire version"),
        ({b"v": b"2", b"kind": b"auth.attempt", b"data": dump_event(EVENT)}, "wire version"),
        ({b"v": b"1", b"kind": b"no.such", b"data": dump_event(EVENT)}, "unknown kind"),
        ({b"v": b"1", b"kind": b"\xff", b"data": dump_event(EVENT)}, "unknown kind"),
        ({b"v": b"1", b"kind": b"auth.attempt"}, "no data"),
        ({b"v": b"1", b"kind": b"auth.attempt", b"data": b"{not json"}, "Invalid JSON"),
        ({b"v": b"1", b"kind": b"auth.attempt", b"data": b'{"kind": "auth.attempt"}'}, "required"),
        ({b"v": b"1", b"kind": b"connection.opened", b"data": dump_event(EVENT)}, "kind field"),
    ],
)
def test_bad_entries_are_malformed_with_a_reason(fields: dict[bytes, bytes], reason: str) -> None:
    result = decode(fields)
    assert isinstance(result, Malformed)
    assert reason in result.error


def test_malformed_reason_does_not_echo_attacker_input() -> None:
    data = b'{"kind": "auth.attempt", "username": 5, "secret": "%s"}' % (b"A" * 5000)
    result = decode({b"v": b"1", b"kind": b"auth.attempt", b"data": data})
    assert isinstance(result, Malformed)
    assert "AAAA" not in result.error and len(result.error) <= 1000


@given(st.dictionaries(st.sampled_from([b"v", b"kind", b"data", b"x"]), st.binary(max_size=64)))
def test_decode_never_raises(fields: dict[bytes, bytes]) -> None:
    decode(fields)


def test_dead_letter_keeps_raw_fields_and_says_why() -> None:
    parked = dead_letter_fields(
        {b"v": b"1", b"data": b"\x00\xff"}, error="boom", stream="s", entry_id=b"1-0", group="g"
    )
    assert parked == {
        b"error": b"boom",
        b"source_stream": b"s",
        b"source_id": b"1-0",
        b"group": b"g",
        b"deliveries": b"0",
        b"raw_v": b"1",
        b"raw_data": b"\x00\xff",
    }


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (RedisConnectionError("refused"), BusUnavailable),
        (ResponseError("OOM command not allowed"), BusUnavailable),
        (ResponseError("READONLY You can't write against a read only replica."), BusUnavailable),
        (ResponseError("WRONGTYPE Operation against a key"), BusError),
    ],
)
def test_errors_are_translated(exc: Exception, expected: type[BusError]) -> None:
    with pytest.raises(expected) as info, translate_errors("XADD"):
        raise exc
    assert type(info.value) is expected


def test_every_n_logs_first_and_every_nth(caplog: pytest.LogCaptureFixture) -> None:
    every = EveryN(logging.getLogger("t"), 3)
    with caplog.at_level(logging.WARNING, logger="t"):
        for _ in range(7):
            every.hit("bad %s", "x")
    assert [r.getMessage() for r in caplog.records] == [
        "bad x (1 so far)",
        "bad x (3 so far)",
        "bad x (6 so far)",
    ]

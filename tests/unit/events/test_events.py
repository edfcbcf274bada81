"""Events: JSON round trip, frozen models, attacker text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from phantomnet.events import (
    AuthAttempt,
    Endpoint,
    SensorRef,
    attacker_text,
    dump_event,
    kinds,
    parse_event,
)
from phantomnet.events.base import TRUNCATION_MARKER

REF = SensorRef(node="n1", component="ssh")


def test_round_trip_keeps_every_field() -> None:
    event = AuthAttempt(
        sensor=REF,
        protocol="ssh",
        username="root",
        password="123456",
        accepted=True,
        src=Endpoint(ip="203.0.113.9", port=50022),
        dst=Endpoint(ip="127.0.0.1", port=2222),
    )
    again = parse_event(dump_event(event))
    assert again == event
    assert type(again) is AuthAttempt


def test_models_are_frozen() -> None:
    event = AuthAttempt(sensor=REF, protocol="ssh", username="a", accepted=False)
    with pytest.raises(ValidationError):
        event.username = "b"  # type: ignore[misc]


def test_unknown_kind_and_extra_fields_are_refused() -> None:
    good = dump_event(AuthAttempt(sensor=REF, protocol="ssh", username="a", accepted=False))
    with pytest.raises(ValidationError):
        parse_event(good.replace(b'"auth.attempt"', b'"auth.nope"'))
    with pytest.raises(ValidationError):
        parse_event(good[:-1] + b',"evil":1}')


def test_ipv4_mapped_addresses_are_normalised() -> None:
    assert Endpoint(ip="::ffff:192.0.2.1").ip == "192.0.2.1"
    with pytest.raises(ValidationError):
        Endpoint(ip="not-an-ip")


def test_kind_names_are_family_action() -> None:
    for kind in kinds():
        assert kind == kind.lower()
        assert kind.count(".") <= 1


@given(st.binary(max_size=10_000))
def test_attacker_text_never_raises_and_is_capped(raw: bytes) -> None:
    """Any bytes an attacker sends become capped, NUL-free text."""
    text = attacker_text(raw, limit=512)
    assert len(text) <= 512
    assert "\x00" not in text
    if len(raw) <= 100 and b"\x00" not in raw:
        # short input survives whole (decoded or backslash-escaped)
        assert not text.endswith(TRUNCATION_MARKER)


def test_attacker_text_field_is_capped_even_if_producer_forgets() -> None:
    event = AuthAttempt(sensor=REF, protocol="ssh", username="x" * 100_000, accepted=False)
    assert len(event.username) <= 4096
    assert event.username.endswith(TRUNCATION_MARKER)

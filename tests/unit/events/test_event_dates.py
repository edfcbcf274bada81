"""Dates that cannot be expressed in UTC are refused when an event is parsed (issue 11)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from phantomnet.events import AuthAttempt, SensorRef, dump_event, parse_event

REF = SensorRef(node="n1", component="ssh")


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_date_out_of_utc_range_is_refused(when: str) -> None:
    raw = json.loads(
        dump_event(AuthAttempt(sensor=REF, protocol="ssh", username="a", accepted=False))
    )
    raw["occurred_at"] = when
    with pytest.raises(ValidationError, match="out of range"):
        parse_event(json.dumps(raw))


def test_extreme_but_valid_dates_still_parse() -> None:
    raw = json.loads(
        dump_event(AuthAttempt(sensor=REF, protocol="ssh", username="a", accepted=False))
    )
    raw["occurred_at"] = "0001-01-01T00:00:00-14:00"
    event = parse_event(json.dumps(raw))
    assert parse_event(dump_event(event)) == event

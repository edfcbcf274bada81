"""Pure parts of the API: parameter parsing, error mapping, path confinement, SSE framing."""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phantomnet.api import params
from phantomnet.api.errors import status_for
from phantomnet.api.routes.sessions import confined
from phantomnet.api.routes.stream import sse_message
from phantomnet.errors import (
    ArtifactIntegrityError,
    AuthError,
    BlockRefused,
    ConfigError,
    InvalidInput,
    NotFound,
    StorageUnavailable,
)
from phantomnet.events import Endpoint, SensorRef
from phantomnet.events.sensor import CommandInput


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_id_cursor_roundtrip(n: int) -> None:
    assert params.id_cursor(params.encode_cursor(n)) == n


@given(st.text(max_size=80))
def test_id_cursor_never_raises_anything_but_invalid_input(text: str) -> None:
    with contextlib.suppress(InvalidInput):
        params.id_cursor(text)


def test_time_uuid_cursor_roundtrip() -> None:
    at, sid = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), uuid.uuid4()
    assert params.time_uuid_cursor(params.encode_cursor(at.isoformat(), sid)) == (at, sid)
    with pytest.raises(InvalidInput):
        params.time_uuid_cursor(params.encode_cursor(5))


def test_ip_param() -> None:
    assert params.ip_param("::ffff:10.0.0.1") == "10.0.0.1"
    assert params.ip_param(" 2001:DB8::1 ") == "2001:db8::1"
    assert params.ip_param("") is None
    for bad in ("10.0.0.256", "10.0.0.0/8", "localhost", "1.2.3.4; drop"):
        with pytest.raises(InvalidInput):
            params.ip_param(bad)


def test_comma_list() -> None:
    assert params.comma_list("low, High", "level", allowed=params.LEVELS, upper=True) == [
        "LOW",
        "HIGH",
    ]
    assert params.comma_list(" , ", "kind") is None
    with pytest.raises(InvalidInput):
        params.comma_list("LOW,EXTREME", "level", allowed=params.LEVELS)
    with pytest.raises(InvalidInput):
        params.comma_list(",".join(["a"] * 33), "kind")


def test_time_range() -> None:
    east = timezone(timedelta(hours=2))
    lo, hi = params.time_range(datetime(2026, 1, 1, 2, tzinfo=east), datetime(2026, 1, 1, 1))
    assert lo == datetime(2026, 1, 1, 0, tzinfo=UTC) and hi == datetime(2026, 1, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        params.time_range(datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (NotFound("x"), 404),
        (InvalidInput("x"), 422),
        (AuthError("x"), 401),
        (AuthError("x", status=403), 403),
        (BlockRefused("x"), 409),
        (StorageUnavailable("x"), 503),
        (ArtifactIntegrityError("x"), 503),
        (ConfigError("x"), 500),
    ],
)
def test_status_for(exc: Exception, status: int) -> None:
    assert status_for(exc) == status  # type: ignore[arg-type]


def test_confined(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "s").mkdir(parents=True)
    (data / "s" / "a.cast").write_text("x")
    (tmp_path / "secret").write_text("y")
    (data / "s" / "link.cast").symlink_to(tmp_path / "secret")
    assert confined(data, "s/a.cast") == (data / "s" / "a.cast").resolve()
    for bad in ("../secret", str(tmp_path / "secret"), "s/link.cast", "s", "s/missing", "\x00"):
        assert confined(data, bad) is None, bad


def test_sse_message_is_one_frame() -> None:
    event = CommandInput(
        sensor=SensorRef(node="n", component="ssh"),
        src=Endpoint(ip="192.0.2.1"),
        protocol="ssh",
        command="echo 'a\nb'\r\n\n",
    )
    frame = sse_message(event).decode()
    assert frame.endswith("\n\n") and frame.count("\n\n") == 1
    lines = frame.rstrip("\n").split("\n")
    assert lines[0] == f"id: {event.event_id}" and lines[1] == "event: command.input"
    assert json.loads(lines[2].removeprefix("data: "))["command"] == event.command

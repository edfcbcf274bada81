"""Durations, the settings section, and target validation."""

from __future__ import annotations

import pytest

from phantomnet.errors import BlockRefused, ConfigError, InvalidInput
from phantomnet.response.config import (
    ResponseConfig,
    format_duration,
    response_config,
)
from phantomnet.response.targets import parse_target, try_canonical
from phantomnet.settings import load_settings, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("10m", 600),
        ("1h", 3600),
        ("24h", 86_400),
        ("7d", 604_800),
        ("1h30m", 5400),
        ("3600", 3600),
        (120, 120),
        (" 2H ", 7200),
    ],
)
def test_parse_duration(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1x", "h", "1h 30m", "-5", "0", "400d", "1.5h", True])
def test_parse_duration_refuses(text: object) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)  # type: ignore[arg-type]


def test_format_duration_round_trips() -> None:
    for seconds in (1, 59, 600, 5400, 86_400 + 61):
        assert parse_duration(format_duration(seconds)) == seconds


def test_defaults_are_safe() -> None:
    config = ResponseConfig()
    assert config.backend == "dry-run"
    assert config.auto.enabled is False
    assert config.durations == (600, 3600, 86_400, 604_800)
    assert [config.ladder_duration(n) for n in (1, 2, 3, 4, 9)] == [
        600,
        3600,
        86_400,
        604_800,
        604_800,
    ]


def test_section_from_env_and_file(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHANTOMNET_RESPONSE__BACKEND", "nftables")
    config = response_config(load_settings())
    assert config.backend == "nftables"
    monkeypatch.setenv("PHANTOMNET_RESPONSE__BACKEND", "pf")
    with pytest.raises(ConfigError, match=r"response\.backend"):
        response_config(load_settings())


def test_ladder_must_climb() -> None:
    assert ResponseConfig(durations=("5m", "1h")).durations == (300, 3600)
    with pytest.raises(ValueError, match="ladder"):
        ResponseConfig(durations=("1h", "5m"))
    with pytest.raises(ValueError):
        ResponseConfig(management_networks=("not-a-net",))


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7/32", "203.0.113.7"),
        ("198.51.100.0/24", "198.51.100.0/24"),
        ("2001:DB8::1", "2001:db8::1"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("2001:db8:5::/48", "2001:db8:5::/48"),
    ],
)
def test_targets_are_canonical(text: str, canonical: str) -> None:
    assert parse_target(text).text == canonical


def test_bad_targets() -> None:
    for bad in ("", "nonsense", "300.1.1.1", "10.0.0.5/24", "a" * 100):
        with pytest.raises(InvalidInput):
            parse_target(bad)
    for refused in ("10.0.0.0/8", "0.0.0.0", "224.0.0.1", "2001:db8::/32", "::"):
        with pytest.raises(BlockRefused):
            parse_target(refused)
    assert parse_target("10.0.0.0/8", min_prefix_v4=8).single is False


@pytest.mark.parametrize(
    "bad",
    [
        "fe80::1%x",
        "fe80::1%eth0",
        "fe80::%1/64",
        "localhost",
        "example.com",
        "10.0.0.1 ",  # stripped: fine, see below
        "10.0.0.0/255.255.255.0",
        "10.0.0.1/+24",
        "1.2.3.4\x1b[31m",
        "1.2.3.4;ls",
        "\u0661.2.3.4",
    ],
)
def test_zone_ids_host_names_and_odd_shapes_are_refused(bad: str) -> None:
    if bad == "10.0.0.1 ":
        assert parse_target(bad).text == "10.0.0.1"
        return
    with pytest.raises(InvalidInput):
        parse_target(bad)


def test_zone_id_error_says_why() -> None:
    with pytest.raises(InvalidInput, match="zone id"):
        parse_target("fe80::1%x")


def test_try_canonical_never_raises() -> None:
    assert try_canonical("10.1.0.0/24") == "10.1.0.0/24"
    assert try_canonical("10.1.0.1/32") == "10.1.0.1"
    assert try_canonical("garbage") is None

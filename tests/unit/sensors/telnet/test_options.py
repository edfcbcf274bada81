"""The Telnet wire parser: IAC escaping, subnegotiation caps, CR NUL, environments."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from phantomnet.sensors.telnet.options import (
    MAX_SB,
    Command,
    Negotiation,
    Subneg,
    TelnetParser,
    escape,
    parse_environ,
    parse_naws,
)


def test_iac_iac_is_data_and_cr_nul_is_cr() -> None:
    data, items = TelnetParser().feed(b"a\xff\xffb\r\x00c\r\nd")
    assert data == b"a\xffb\rc\r\nd"
    assert items == []


def test_negotiations_subnegotiations_and_commands_in_order() -> None:
    data, items = TelnetParser().feed(
        b"\xff\xfb\x18x\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0\xff\xf6\xff\xfd\x01"
    )
    assert data == b"x"
    assert items == [
        Negotiation(251, 24),
        Subneg(31, b"\x00\x50\x00\x18"),
        Command(246),
        Negotiation(253, 1),
    ]
    assert parse_naws(items[1].payload) == (80, 24)  # type: ignore[union-attr]


def test_split_anywhere_gives_the_same_result() -> None:
    wire = b"ab\xff\xfa\x18\x00XTERM\xff\xf0\xff\xfb\x1f\r\x00cd\xff\xff"
    whole = TelnetParser().feed(wire)
    for cut in range(len(wire)):
        p = TelnetParser()
        d1, i1 = p.feed(wire[:cut])
        d2, i2 = p.feed(wire[cut:])
        assert (d1 + d2, i1 + i2) == whole


def test_subnegotiation_is_capped() -> None:
    p = TelnetParser()
    _, items = p.feed(b"\xff\xfa\x18" + b"A" * (MAX_SB * 3) + b"\xff\xf0ok")
    assert len(items) == 1
    sb = items[0]
    assert isinstance(sb, Subneg) and len(sb.payload) == MAX_SB and sb.truncated
    assert p.dropped == MAX_SB * 2


def test_environ_pairs_with_escapes_and_a_cap() -> None:
    payload = b"\x00\x00USER\x01root\x03X\x02\x01Y\x01v\x02\x00w\x00EMPTY"
    assert parse_environ(payload) == [("USER", "root"), ("X\x01Y", "v\x00w"), ("EMPTY", "")]
    many = b"\x00" + b"".join(b"\x00V%d\x01x" % i for i in range(100))
    assert len(parse_environ(many)) == 32


@given(st.binary(max_size=2048), st.integers(min_value=0, max_value=2048))
def test_any_bytes_never_raise_and_escape_round_trips(wire: bytes, cut: int) -> None:
    p = TelnetParser()
    p.feed(wire[:cut])
    p.feed(wire[cut:])
    data, items = TelnetParser().feed(escape(wire))
    assert items == []
    assert data == wire.replace(b"\r\x00", b"\r")

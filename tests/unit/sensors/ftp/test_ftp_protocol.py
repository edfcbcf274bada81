"""Pure FTP pieces: command parsing, PORT/EPRT, listings, traversal check (fuzzed)."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from phantomnet.analyzers.web import path_escape
from phantomnet.sensors.ftp import protocol as p


def test_parse_line() -> None:
    assert p.parse_line(b"retr a b\r\n") == ("RETR", "a b")
    assert p.parse_line(b"\xff\xfe\r\n")[0]  # never raises on non-UTF-8


def test_port_and_eprt() -> None:
    assert p.parse_port("127,0,0,1,4,1") == p.Address("127.0.0.1", 1025)
    assert p.parse_port("300,0,0,1,4,1") is None
    assert p.parse_port("1,2,3") is None
    assert p.parse_eprt("|1|127.0.0.1|2049|") == p.Address("127.0.0.1", 2049)
    assert p.parse_eprt("|2|::1|2049|") == p.Address("::1", 2049)
    assert p.parse_eprt("|1|::1|2049|") is None
    assert p.parse_eprt("|1|x|y|") is None


def test_list_line_matches_vsftpd() -> None:
    now = time.mktime((2026, 11, 21, 12, 0, 0, 0, 0, -1)) - time.timezone
    line = p.list_line("drwxr-xr-x", 2, 0, 0, 4096, now - 3600, "pub", now=now)
    assert line == "drwxr-xr-x    2 0        0            4096 Nov 21 11:00 pub"
    old = p.list_line("-rw-r--r--", 1, 1000, 1000, 12, now - 400 * 86400, "a", now=now)
    assert old.endswith(" 12 Oct 17  2025 a")


def test_path_escape() -> None:  # the check the ftp_traversal rule applies (analyzers.web)
    assert path_escape("../../etc/passwd")
    assert path_escape("a/../../b")
    assert path_escape("~root") and path_escape("a\x00b")
    assert not path_escape("a/../b")
    assert not path_escape("/incoming/x")


@given(st.binary(max_size=600))
def test_parsers_never_raise(raw: bytes) -> None:
    _verb, arg = p.parse_line(raw)
    p.parse_port(arg)
    p.parse_eprt(arg)
    path_escape(arg)


def test_leading_telnet_ip_and_synch_are_dropped() -> None:
    assert p.parse_line(b"\xff\xf4\xff\xf2ABOR\r\n") == ("ABOR", "")
    assert p.parse_line(b"\xff\xf4\xffABOR\r\n") == ("ABOR", "")  # DM taken out of band
    assert p.parse_line(b"\xf2ABOR\r\n") == ("ABOR", "")
    # Inside an argument, 0xff is the attacker's data, kept (as a surrogateescape byte).
    assert p.parse_line(b"USER \xff\xfe\r\n") == ("USER", "\udcff\udcfe")


@given(st.binary(max_size=40), st.binary(max_size=40))
def test_telnet_stripping_only_touches_the_prefix(prefix: bytes, rest: bytes) -> None:
    line = b"NOOP " + rest
    assert p.strip_telnet(line) == line
    stripped = p.strip_telnet(prefix + line)
    assert stripped.endswith(line)

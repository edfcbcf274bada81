"""AttackerText: any bytes or any str (lone surrogates, NULs, controls, bidi) become safe,
lossless escaped text; the field validator enforces it even when a producer forgets."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phantomnet.events import (
    ClientFingerprint,
    CommandInput,
    HttpRequest,
    SensorRef,
    attacker_bytes,
    attacker_text,
    canonical_attacker_text,
    dump_event,
    is_safe_text,
    parse_event,
)
from phantomnet.events.base import TRUNCATION_MARKER

REF = SensorRef(node="n1", component="smtp")
#: Every code point, lone surrogates included (what ``surrogateescape`` and bad JSON give).
ANY_CHAR = st.characters(codec=None, exclude_categories=())
HOSTILE = st.text(alphabet=ANY_CHAR | st.sampled_from("\\x0123456789abcdeftnr"), max_size=300)


def assert_safe(text: str) -> None:
    text.encode("utf-8")  # no surrogate
    for ch in text:
        assert unicodedata.category(ch) not in ("Cc", "Cs", "Zl", "Zp"), repr(text)
        assert ch not in "\u202e\u202d\u2066\u2067\u2068\u2069\u200f\u200e\ufeff", repr(text)
    assert is_safe_text(text)


@given(st.binary(max_size=2000))
def test_bytes_become_safe_lossless_text(raw: bytes) -> None:
    text = attacker_text(raw)
    assert_safe(text)
    assert attacker_bytes(text) == raw
    assert canonical_attacker_text(text) == text  # the validator keeps it as it is


@given(HOSTILE)
def test_any_str_becomes_safe_lossless_text(raw: str) -> None:
    text = attacker_text(raw)
    assert_safe(text)
    # a surrogate outside surrogateescape's U+DC80..U+DCFF has no byte form; it is only escaped
    if not any(0xD800 <= ord(c) <= 0xDFFF and not 0xDC80 <= ord(c) <= 0xDCFF for c in raw):
        assert attacker_bytes(text) == raw.encode("utf-8", "surrogateescape")
    assert canonical_attacker_text(text) == text


@given(HOSTILE)
def test_the_field_makes_a_forgotten_raw_string_safe(raw: str) -> None:
    """A producer that passes library-decoded text straight in still yields valid JSON."""
    event = CommandInput(sensor=REF, protocol="smtp", command=raw)
    assert_safe(event.command)
    back = parse_event(dump_event(event))
    assert isinstance(back, CommandInput) and back.command == event.command
    json.loads(event.model_dump_json())


def test_issue_11_sequences_serialise() -> None:
    # aiosmtpd decodes with surrogateescape: EHLO \xff\xfe arrives as lone surrogates.
    fp = ClientFingerprint(sensor=REF, protocol="smtp", method="smtp_ehlo", value="\udcff\udcfe")
    assert fp.value == "\\xff\\xfe"
    assert json.loads(fp.model_dump_json())["value"] == "\\xff\\xfe"
    assert attacker_text(b"\xff\xf4\xff\xf2ABOR") == "\\xff\\xf4\\xff\\xf2ABOR"


def test_escapes_are_readable_and_backslashes_unambiguous() -> None:
    assert attacker_text("GET /\r\n") == "GET /\\r\\n"
    assert attacker_text(b"a\\xff") == "a\\\\xff"  # a literal backslash is not a byte escape
    assert attacker_bytes(attacker_text(b"a\\xff")) == b"a\\xff"
    assert attacker_text("\x1b[31mred") == "\\x1b[31mred"  # no terminal escape survives
    assert attacker_text("caf\u00e9 \u65e5\u672c") == "caf\u00e9 \u65e5\u672c"  # UTF-8 stays


@given(st.binary(min_size=1, max_size=3000), st.integers(min_value=16, max_value=600))
def test_truncation_never_splits_an_escape(raw: bytes, limit: int) -> None:
    text = attacker_text(raw, limit)
    assert len(text) <= limit
    assert_safe(text)
    if text.endswith(TRUNCATION_MARKER):
        kept = attacker_bytes(text[: -len(TRUNCATION_MARKER)])
        assert raw.startswith(kept)
    else:
        assert attacker_bytes(text) == raw


def test_header_pairs_are_enforced_too() -> None:
    event = HttpRequest(sensor=REF, method="GET", path="/\x00", headers=(("X-\udcff", "\x07"),))
    assert event.path == "/\\x00" and event.headers == (("X-\\xff", "\\x07"),)


@pytest.mark.timeout(60)
def test_raw_text_with_a_long_safe_run_is_canonicalised_in_linear_time() -> None:
    """A raw string (not pre-escaped) with a long run of safe characters before an unsafe
    one: the canonical-form check must not backtrack through every split of the run (it
    did: 2^n steps, hours for a 40-character run; this test then hits its timeout)."""
    from phantomnet.events import canonical_attacker_text, is_safe_text

    for run in (40, 4000):
        raw = "detection ssh_bruteforce: " + "a" * run + "\x1b[2J\udcff\u202e"
        out = canonical_attacker_text(raw, 10_000)
        assert is_safe_text(out) and out.endswith("\\x1b[2J\\xff\\xe2\\x80\\xae")
        assert not is_safe_text("a" * run + "\x1b")

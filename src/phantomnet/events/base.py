"""The event envelope, endpoints and the attacker-text type.

Every event kind subclasses :class:`EventBase`. Identity fields (``sensor``, ``session_id``,
``src``, ``dst``) are bound by the emitting session, never by protocol code.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from typing import Annotated, Literal
from uuid import UUID, uuid4

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

SCHEMA_VERSION: Literal[1] = 1

#: Default cap for attacker-controlled strings (characters of the escaped form).
ATTACKER_TEXT_LIMIT = 4096
TRUNCATION_MARKER = "…[truncated]"

# Characters never stored as themselves: C0/DEL/C1 controls, surrogates (lone ones come from
# ``surrogateescape`` decoding, e.g. aiosmtpd), line/paragraph separators, bidi controls and the
# BOM (terminal and Trojan-Source tricks). The backslash is the escape character.
_UNSAFE_CHARS = "\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
_NEEDS_WORK = re.compile(f"[\\\\{_UNSAFE_CHARS}]")
_UNSAFE = re.compile(f"[{_UNSAFE_CHARS}]")
#: An escape of the canonical form: ``\\``, ``\xHH`` (one byte, lower-case hex), ``\t \n \r``.
_ESCAPE = re.compile(r"\\(?:\\|x[0-9a-f]{2}|[tnr])")
#: For the validator: an escape is kept, a lone backslash or an unsafe character is escaped.
_CANON = re.compile(f"(\\\\(?:\\\\|x[0-9a-f]{{2}}|[tnr]))|(\\\\)|([{_UNSAFE_CHARS}])")
#: Text already in the escaped form (the common case when JSON is read back): kept as it is.
#: Possessive quantifiers: the alternatives start with disjoint characters, so nothing is
#: lost, and a raw string (a long safe run, then an unsafe character) fails in linear time
#: instead of backtracking through every split of the run (2^n: 33 characters took hours).
_CANONICAL = re.compile(f"(?:[^\\\\{_UNSAFE_CHARS}]++|\\\\(?:\\\\|x[0-9a-f]{{2}}|[tnr]))*+")
_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\"}
_UNSHORT = {"\\": 0x5C, "t": 0x09, "n": 0x0A, "r": 0x0D}


def _escape_char(ch: str) -> str:
    short = _SHORT.get(ch)
    if short is not None:
        return short
    cp = ord(ch)
    if 0xDC80 <= cp <= 0xDCFF:  # a byte that was not UTF-8, kept by ``surrogateescape``
        return f"\\x{cp - 0xDC00:02x}"
    return "".join(f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass"))


def _escape_raw(text: str) -> str:
    """Escape raw text (every backslash is literal)."""
    if _NEEDS_WORK.search(text) is None:
        return text
    return _NEEDS_WORK.sub(lambda m: _escape_char(m.group()), text)


def _canon_sub(m: re.Match[str]) -> str:
    if m.group(1) is not None:
        return m.group(1)
    return _escape_char(m.group())


def _truncate(text: str, limit: int) -> str:
    """Cut escaped text to ``limit`` characters with the marker, never inside an escape."""
    if len(text) <= limit:
        return text
    cut = max(0, limit - len(TRUNCATION_MARKER))
    start = max(0, cut - 4)
    while start > 0 and text[start - 1] == "\\":  # parse from the start of a backslash run
        start -= 1
    for m in _ESCAPE.finditer(text, start, cut + 4):
        if m.start() < cut < m.end():
            cut = m.start()
            break
    return text[:cut] + TRUNCATION_MARKER


def canonical_attacker_text(value: str, limit: int = ATTACKER_TEXT_LIMIT) -> str:
    """Make any string safe text of the escaped form; escaped text is left as it is.

    Idempotent: what :func:`attacker_text` returns (or JSON carries) passes unchanged. A raw
    string that a producer forgot to escape becomes safe too (only a backslash that already
    looks like an escape is then taken as one).
    """
    if _NEEDS_WORK.search(value) is not None and _CANONICAL.fullmatch(value) is None:
        value = _CANON.sub(_canon_sub, value)
    return _truncate(value, limit)


def _validate(value: str) -> str:
    return canonical_attacker_text(value)


#: A string that came from an attacker, in the escaped form (docs/events.md): valid UTF-8 with
#: no control character, surrogate, NUL, bidi control or lone backslash; capped; never a format
#: string, never a path, never run. The validator enforces it, whatever the producer passed.
AttackerText = Annotated[str, AfterValidator(_validate)]


def attacker_text(raw: bytes | str, limit: int = ATTACKER_TEXT_LIMIT) -> str:
    """Turn attacker bytes (or text a library decoded) into the lossless escaped form.

    Valid UTF-8 printable text stays as it is; a backslash becomes ``\\\\``; a tab, LF, CR
    becomes ``\\t \\n \\r``; every other unsafe character and every byte that is not UTF-8
    becomes ``\\xHH`` per byte (a ``surrogateescape`` surrogate is its original byte). The
    result is cut to ``limit`` characters with a visible marker. :func:`attacker_bytes`
    returns the exact bytes of an untruncated result.
    """
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    return _truncate(_escape_raw(text), limit)


def attacker_bytes(text: str) -> bytes:
    """The exact bytes an escaped attacker text stands for (the evidence form)."""
    out = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(text):
        out += text[pos : m.start()].encode("utf-8", "surrogateescape")
        code = m.group()[1:]
        out.append(int(code[1:], 16) if code[0] == "x" else _UNSHORT[code])
        pos = m.end()
    out += text[pos:].encode("utf-8", "surrogateescape")
    return bytes(out)


def is_safe_text(text: str) -> bool:
    """True if ``text`` is in the escaped form (what every AttackerText field holds)."""
    return _CANONICAL.fullmatch(text) is not None


def normalise_ip(value: str) -> str:
    """Canonical text of an IP address; IPv4-mapped IPv6 becomes plain IPv4."""
    addr = ipaddress.ip_address(value)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def _check_ip(value: str) -> str:
    return normalise_ip(value)


IPText = Annotated[str, AfterValidator(_check_ip)]


def _check_utc(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00+14:00 is before year 1 in UTC
        raise ValueError("datetime is out of range once converted to UTC") from exc
    return value


UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_check_utc),
    PlainSerializer(lambda d: d.astimezone(UTC).isoformat()),
]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Frozen(BaseModel):
    """Base for every immutable model of the contract."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Endpoint(Frozen):
    """One side of a conversation."""

    ip: IPText
    port: int | None = Field(default=None, ge=0, le=65535)


class SensorRef(Frozen):
    """Which node and which component produced an event (``node`` = host name)."""

    node: str = Field(min_length=1, max_length=128)
    component: str = Field(min_length=1, max_length=64)


Severity = Literal["low", "medium", "high", "critical"]
Level = Literal["LOW", "MEDIUM", "HIGH"]
Decision = Literal["ALLOW", "ALERT", "BLOCK"]


class EventBase(Frozen):
    """The envelope every event carries.

    ``event_id`` is the idempotency key everywhere (bus redelivery, storage, exports).
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: UtcDatetime = Field(default_factory=utcnow)
    sensor: SensorRef
    session_id: UUID | None = None
    src: Endpoint | None = None
    dst: Endpoint | None = None
    community_id: str | None = Field(default=None, max_length=64)

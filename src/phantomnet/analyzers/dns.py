"""DNS messages (RFC 1035) over UDP, or TCP with the two-byte length prefix.

Name compression is followed with a hop limit; at most ``MAX_RECORDS`` records are read
from each section.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from phantomnet.analyzers.base import Anomaly, Cursor, Short

MAX_RECORDS = 64
MAX_POINTERS = 32
QTYPES = {
    1: "A",
    2: "NS",
    5: "CNAME",
    6: "SOA",
    12: "PTR",
    15: "MX",
    16: "TXT",
    28: "AAAA",
    33: "SRV",
    35: "NAPTR",
    41: "OPT",
    43: "DS",
    46: "RRSIG",
    48: "DNSKEY",
    65: "HTTPS",
    64: "SVCB",
    255: "ANY",
    257: "CAA",
    252: "AXFR",
}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}


@dataclass(frozen=True, slots=True)
class DnsRecord:
    name: str
    rtype: str
    ttl: int
    data: str


@dataclass(frozen=True, slots=True)
class DnsMessage:
    txid: int
    is_response: bool
    opcode: int
    rcode: str
    qname: str
    qtype: str
    answers: tuple[DnsRecord, ...]
    authoritative: bool
    truncated: bool


def qtype_name(code: int) -> str:
    return QTYPES.get(code, f"TYPE{code}")


def _name(data: bytes, cur: Cursor) -> str:
    """Read a possibly compressed name starting at the cursor; advance past it."""
    labels: list[str] = []
    pos = cur.pos
    jumped = False
    hops = 0
    total = 0
    while True:
        if pos >= cur.end:
            raise Short
        length = data[pos]
        if length & 0xC0 == 0xC0:
            if pos + 1 >= cur.end:
                raise Short
            target = ((length & 0x3F) << 8) | data[pos + 1]
            if not jumped:
                cur.pos = pos + 2
                jumped = True
            hops += 1
            if hops > MAX_POINTERS or target >= len(data):
                raise Short
            pos = target
            continue
        if length & 0xC0:
            raise Short
        if length == 0:
            if not jumped:
                cur.pos = pos + 1
            return ".".join(labels)
        label = data[pos + 1 : pos + 1 + length]
        if len(label) < length:
            raise Short
        total += length + 1
        if total > 255:
            raise Short
        labels.append(label.decode("ascii", "backslashreplace"))
        pos += 1 + length


def _rdata(data: bytes, cur: Cursor, rtype: int, rdlen: int) -> str:
    start = cur.pos
    raw = cur.take(rdlen)
    if rtype == 1 and rdlen == 4:
        return str(ipaddress.IPv4Address(raw))
    if rtype == 28 and rdlen == 16:
        return str(ipaddress.IPv6Address(raw))
    if rtype in (2, 5, 12):
        return _name(data, Cursor(data, start, start + rdlen))
    if rtype == 15 and rdlen >= 3:
        return _name(data, Cursor(data, start + 2, start + rdlen))
    if rtype == 16:
        parts, i = [], 0
        while i < len(raw):
            n = raw[i]
            parts.append(raw[i + 1 : i + 1 + n].decode("utf-8", "backslashreplace"))
            i += 1 + n
        return " ".join(parts)
    return raw[:64].hex()


def parse_dns(payload: bytes, tcp: bool = False) -> DnsMessage | Anomaly | None:
    """Parse one DNS message; ``None`` if it is too short to be DNS at all."""
    data = payload[2:] if tcp else payload
    if len(data) < 12:
        return None
    cur = Cursor(data)
    try:
        txid, flags, qd, an, _ns, _ar = (cur.u16() for _ in range(6))
        qname, qtype = "", ""
        for i in range(min(qd, MAX_RECORDS)):
            name = _name(data, cur)
            code = cur.u16()
            cur.u16()
            if i == 0:
                qname, qtype = name, qtype_name(code)
        answers: list[DnsRecord] = []
        for _ in range(min(an, MAX_RECORDS)):
            name = _name(data, cur)
            rtype, _cls, ttl, rdlen = cur.u16(), cur.u16(), cur.u32(), cur.u16()
            answers.append(DnsRecord(name, qtype_name(rtype), ttl, _rdata(data, cur, rtype, rdlen)))
    except Short:
        return Anomaly("dns", "truncated_or_malformed", f"txid={int.from_bytes(data[:2], 'big')}")
    return DnsMessage(
        txid=txid,
        is_response=bool(flags & 0x8000),
        opcode=(flags >> 11) & 0xF,
        rcode=RCODES.get(flags & 0xF, str(flags & 0xF)),
        qname=qname,
        qtype=qtype,
        answers=tuple(answers),
        authoritative=bool(flags & 0x0400),
        truncated=bool(flags & 0x0200),
    )

"""Community ID v1 (corelight/community-id-spec), so our flows join with Zeek and Suricata.

``"1:" + base64(sha1(seed ‖ saddr ‖ daddr ‖ proto ‖ 0 ‖ sport ‖ dport))`` with the
endpoints ordered (smaller address/port first) unless the tuple is one-way; ICMP and
ICMPv6 map (type, code) to port-like values so requests and replies share one id.
"""

from __future__ import annotations

import base64
import hashlib
import struct

ICMP4_PAIRS = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
ICMP6_PAIRS = {
    128: 129,
    129: 128,
    130: 131,
    131: 130,
    133: 134,
    134: 133,
    135: 136,
    136: 135,
    139: 140,
    140: 139,
    144: 145,
    145: 144,
}
PORT_PROTOS = frozenset({1, 6, 17, 58, 132})


def icmp_ports(proto: int, mtype: int, code: int) -> tuple[int, int, bool]:
    """Port equivalents of an ICMP(v6) message and whether the tuple is one-way."""
    table = ICMP4_PAIRS if proto == 1 else ICMP6_PAIRS
    if mtype in table:
        return mtype, table[mtype], False
    return mtype, code, True


def community_id(
    proto: int,
    saddr: bytes,
    daddr: bytes,
    sport: int | None,
    dport: int | None,
    *,
    seed: int = 0,
    use_base64: bool = True,
) -> str:
    """Community ID of one flow tuple; addresses are network-order bytes (4 or 16).

    For ICMP/ICMPv6 pass the message type as ``sport`` and the code as ``dport``.
    """
    one_way = False
    if proto in (1, 58) and sport is not None and dport is not None:
        sport, dport, one_way = icmp_ports(proto, sport, dport)
    if proto not in PORT_PROTOS:
        sport = dport = None
    ordered = (
        one_way
        or saddr < daddr
        or (saddr == daddr and sport is not None and dport is not None and sport < dport)
    )
    if not ordered:
        saddr, daddr, sport, dport = daddr, saddr, dport, sport
    data = struct.pack("!H", seed) + saddr + daddr + struct.pack("!BB", proto, 0)
    if sport is not None and dport is not None:
        data += struct.pack("!HH", sport, dport)
    digest = hashlib.sha1(data)  # the spec's hash, not a security use
    if use_base64:
        return "1:" + base64.b64encode(digest.digest()).decode("ascii")
    return "1:" + digest.hexdigest()

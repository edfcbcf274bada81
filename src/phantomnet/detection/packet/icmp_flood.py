"""``icmp_flood``: ICMP/ICMPv6 echo requests to one host above ``threshold`` per window.

"Other" traffic is the echo replies the target sends; a host that answers every ping still
gives a ratio of 0.5, so the default ``min_ratio`` for this rule is 0.4 (rate decides).
"""

from __future__ import annotations

from phantomnet.detection.packet.flood import FloodDetector, FloodSpec, Mask
from phantomnet.monitor.decode import ICMP, ICMP6, Decoded


class IcmpFlood(FloodDetector):
    rule = "icmp_flood"
    spec = FloodSpec(rule="icmp_flood", protocol="icmp", per_port=False, other_by_source=True)

    def masks(self, dec: Decoded) -> tuple[Mask, Mask]:
        icmp4 = dec.has_l4 & (dec.proto == ICMP)
        icmp6 = dec.has_l4 & (dec.proto == ICMP6)
        request = (icmp4 & (dec.sport == 8)) | (icmp6 & (dec.sport == 128))
        reply = (icmp4 & (dec.sport == 0)) | (icmp6 & (dec.sport == 129))
        return request, reply

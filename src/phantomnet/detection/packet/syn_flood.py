"""``syn_flood``: lone SYNs to one (host, port) above ``threshold`` per window.

"Other" traffic is every non-SYN TCP packet to the same (host, port): real clients follow
their SYN with an ACK and data, so a busy but healthy server stays far below ``min_ratio``
(at most 1 SYN in 3 packets), while a flood, spoofed or not, is nearly all SYNs.
"""

from __future__ import annotations

from phantomnet.detection.packet.flood import FloodDetector, FloodSpec, Mask
from phantomnet.monitor.decode import TCP, Decoded


class SynFlood(FloodDetector):
    rule = "syn_flood"
    spec = FloodSpec(rule="syn_flood", protocol="tcp", per_port=True)

    def masks(self, dec: Decoded) -> tuple[Mask, Mask]:
        tcp = dec.has_l4 & (dec.proto == TCP)
        syn = tcp & ((dec.flags & 0x17) == 0x02)
        other = tcp & ((dec.flags & 0x02) == 0)
        return syn, other

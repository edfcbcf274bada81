"""``udp_flood``: UDP packets to one host above ``threshold`` per window, mostly unanswered.

"Other" traffic is UDP the target sends (its replies): a busy DNS or game server answers
most datagrams, a flooded host answers few or none.
"""

from __future__ import annotations

from phantomnet.detection.packet.flood import FloodDetector, FloodSpec, Mask
from phantomnet.monitor.decode import UDP, Decoded


class UdpFlood(FloodDetector):
    rule = "udp_flood"
    spec = FloodSpec(rule="udp_flood", protocol="udp", per_port=False, other_by_source=True)

    def masks(self, dec: Decoded) -> tuple[Mask, Mask]:
        udp = dec.has_l4 & (dec.proto == UDP)
        return udp, udp

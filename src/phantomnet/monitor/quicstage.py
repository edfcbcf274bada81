"""QUIC ClientHellos: reassemble Initial CRYPTO frames per flow, emit ``network.tls``.

Only the client's Initial packets are opened (the first datagrams of a UDP flow's
originator); state is bounded to ``MAX_CONNECTIONS`` flows and dropped once the ClientHello
has been read.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from phantomnet.analyzers.quic import parse_initial
from phantomnet.analyzers.tls import ClientHello, parse_client_hello

MAX_CONNECTIONS = 4096
MAX_CRYPTO = 65536


@dataclass
class _Conn:
    dcid: bytes
    parts: dict[int, bytes] = field(default_factory=dict)


class QuicHellos:
    def __init__(self) -> None:
        self.conns: OrderedDict[int, _Conn] = OrderedDict()

    def add(self, flow_key: int, datagram: bytes) -> ClientHello | None:
        """Feed one client datagram; the ClientHello once it is complete, else None."""
        conn = self.conns.get(flow_key)
        pos = 0
        while pos < len(datagram):
            initial = parse_initial(datagram[pos:], dcid=conn.dcid if conn else None)
            if initial is None:
                break
            if conn is None:
                conn = _Conn(initial.dcid)
                self.conns[flow_key] = conn
                if len(self.conns) > MAX_CONNECTIONS:
                    self.conns.popitem(last=False)
            for offset, data in initial.crypto:
                if offset < MAX_CRYPTO:
                    conn.parts[offset] = data
            pos += initial.size
        if conn is None:
            return None
        hello = parse_client_hello(_contiguous(conn.parts))
        if hello is not None:
            self.conns.pop(flow_key, None)
        return hello


def _contiguous(parts: dict[int, bytes]) -> bytes:
    out = bytearray()
    for off in sorted(parts):
        if off > len(out):
            break
        data = parts[off]
        if off + len(data) > len(out):
            out += data[len(out) - off :]
    return bytes(out)

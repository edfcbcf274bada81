"""Event builders for the scoring tests (real event models, no mocks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from phantomnet.events import (
    AuthAttempt,
    CommandInput,
    ConnectionClosed,
    ConnectionOpened,
    Endpoint,
    HttpRequest,
    NetworkFlow,
    SensorRef,
)

T0 = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
SENSOR = SensorRef(node="t", component="test")


def flow(
    src: str = "198.51.100.7",
    dport: int = 80,
    *,
    t: float = 0.0,
    dur: float = 0.05,
    pout: int = 6,
    pin: int = 5,
    bout: int = 500,
    bin_: int = 3000,
    fout: int = 0x1B,
    fin: int = 0x1B,
    syn: int = 2,
    rst: int = 0,
    finc: int = 2,
    transport: str = "tcp",
    sport: int = 40000,
) -> NetworkFlow:
    start = T0 + timedelta(seconds=t)
    return NetworkFlow(
        sensor=SENSOR,
        src=Endpoint(ip=src, port=sport),
        dst=Endpoint(ip="192.0.2.1", port=dport),
        transport=transport,
        started_at=start,
        ended_at=start + timedelta(seconds=dur),  # type: ignore[arg-type]
        packets_out=pout,
        packets_in=pin,
        bytes_out=bout,
        bytes_in=bin_,
        tcp_flags_out=fout,
        tcp_flags_in=fin,
        syn_count=syn,
        rst_count=rst,
        fin_count=finc,
        iat_mean_ms=2.0,
        iat_std_ms=1.0,
        payload_bytes_out=max(bout - 300, 0),
        payload_bytes_in=max(bin_ - 300, 0),
        pkt_len_std=100.0,
        pkt_len_max=1500,
        iat_max_ms=5.0,
        psh_count=2,
        ack_count=pout + pin - 1,
    )


def syn_probe(src: str, dport: int, t: float) -> NetworkFlow:
    """A SYN answered by RST (what a SYN scan leaves)."""
    return flow(
        src,
        dport,
        t=t,
        dur=0.0,
        pout=1,
        pin=1,
        bout=44,
        bin_=40,
        fout=0x02,
        fin=0x14,
        syn=1,
        rst=1,
        finc=0,
    )


def ssh_session(
    src: str,
    sid: UUID | None = None,
    *,
    failures: int = 0,
    accepted: bool = True,
    commands: tuple[str, ...] = ("uname -a",),
    t: float = 0.0,
) -> list[object]:
    sid = sid or uuid4()
    s, d = Endpoint(ip=src, port=50000), Endpoint(ip="192.0.2.1", port=22)
    at = [T0 + timedelta(seconds=t + i * 0.5) for i in range(failures + len(commands) + 4)]
    base = {"sensor": SENSOR, "session_id": sid, "src": s, "dst": d}
    out: list[object] = [ConnectionOpened(**base, protocol="ssh", occurred_at=at[0])]
    for i in range(failures):
        out.append(
            AuthAttempt(
                **base,
                protocol="ssh",
                username=f"user{i % 3}",
                password=f"pw{i}",
                accepted=False,
                occurred_at=at[1 + i],
            )
        )
    if accepted:
        out.append(
            AuthAttempt(
                **base,
                protocol="ssh",
                username="root",
                password="x",
                accepted=True,
                occurred_at=at[failures + 1],
            )
        )
        for j, cmd in enumerate(commands):
            out.append(
                CommandInput(**base, protocol="ssh", command=cmd, occurred_at=at[failures + 2 + j])
            )
    out.append(
        ConnectionClosed(**base, protocol="ssh", occurred_at=at[-1], bytes_in=900, bytes_out=2000)
    )
    return out


def http_request(
    src: str, path: str, query: str = "", status: int = 200, sid: UUID | None = None, t: float = 0.0
) -> HttpRequest:
    return HttpRequest(
        sensor=SENSOR,
        session_id=sid,
        src=Endpoint(ip=src, port=50001),
        dst=Endpoint(ip="192.0.2.1", port=80),
        method="GET",
        path=path,
        query=query,
        status=status,
        occurred_at=T0 + timedelta(seconds=t),
    )

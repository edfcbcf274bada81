"""Feature extraction over PhantomNet events (never over raw packets).

Two feature spaces, each documented in :data:`FLOW_FEATURES` / :data:`SESSION_FEATURES` (the
tables in ``docs/model-report.md`` are generated from them):

* **flow**: one vector per ``network.flow`` event: sizes, rates, inter-arrival statistics,
  TCP flag ratios and shapes, payload entropy, and a short per-source context window (how
  many flows, distinct destination ports/hosts and failed flows the same source produced in
  the last ``context_window_s``). Context is behaviour, not identity: the address itself is
  never a feature.
* **session**: one vector per honeypot session (sensor events grouped by ``session_id``),
  see :mod:`phantomnet.scoring.session_features`.

Identity shortcuts (IP addresses, raw port numbers, TTL, timestamps, user agents) are
excluded by default (detection-anchors §4.2: Sarhan et al., D'hooge et al.). For experiments
``include_identity=True`` appends the raw ports to the flow vector, so the report can show
what the shortcut would have "gained".
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from phantomnet.events import Endpoint, Event, NetworkFlow

Head = Literal["flow", "session"]

FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
_MS = 1e-3


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """One column of a feature vector: its name and what it measures."""

    name: str
    doc: str


FLOW_FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("duration_s", "flow duration (ended_at - started_at), seconds"),
    FeatureSpec("packets_out", "packets from the originator"),
    FeatureSpec("packets_in", "packets from the responder"),
    FeatureSpec("bytes_out_log", "log1p of bytes from the originator"),
    FeatureSpec("bytes_in_log", "log1p of bytes from the responder"),
    FeatureSpec("mean_pkt_out", "mean packet size originator -> responder (bytes)"),
    FeatureSpec("mean_pkt_in", "mean packet size responder -> originator (bytes)"),
    FeatureSpec("down_up_ratio", "bytes_in / (bytes_out + 1)"),
    FeatureSpec("pkts_per_s_log", "log1p of packets per second over the flow"),
    FeatureSpec("bytes_per_s_log", "log1p of bytes per second over the flow"),
    FeatureSpec("iat_mean_ms", "mean packet inter-arrival time (ms, -1 if unknown)"),
    FeatureSpec("iat_std_ms", "standard deviation of inter-arrival time (ms, -1 if unknown)"),
    FeatureSpec("syn_ratio", "SYN packets / all packets"),
    FeatureSpec("rst_ratio", "RST packets / all packets"),
    FeatureSpec("fin_ratio", "FIN packets / all packets"),
    FeatureSpec("no_reply", "1 if the responder sent nothing"),
    FeatureSpec("handshake_ok", "1 if the responder answered SYN+ACK (TCP)"),
    FeatureSpec("out_ack_seen", "1 if the originator ever sent ACK (TCP)"),
    FeatureSpec("out_psh_seen", "1 if the originator pushed data (PSH)"),
    FeatureSpec("flag_anomaly", "1 for NULL/FIN/XMAS-style originator flags (no SYN, no ACK)"),
    FeatureSpec("payload_entropy", "Shannon entropy of the first payload bytes (-1 unknown)"),
    FeatureSpec("is_tcp", "transport is TCP"),
    FeatureSpec("is_udp", "transport is UDP"),
    FeatureSpec("is_icmp", "transport is ICMP / ICMPv6"),
    FeatureSpec("app_known", "1 if a protocol parser recognised the application"),
    FeatureSpec("dst_port_wellknown", "destination port < 1024 (a class, not the number)"),
    FeatureSpec("payload_out_log", "log1p of transport payload bytes from the originator"),
    FeatureSpec("payload_in_log", "log1p of transport payload bytes from the responder"),
    FeatureSpec("pkt_len_std", "standard deviation of packet length, both ways (-1 unknown)"),
    FeatureSpec("pkt_len_max", "largest packet of the flow, bytes (-1 unknown)"),
    FeatureSpec("iat_max_ms", "largest inter-arrival gap, ms (-1 unknown)"),
    FeatureSpec("psh_ratio", "PSH packets / all packets"),
    FeatureSpec("ack_ratio", "ACK packets / all packets"),
    FeatureSpec("ctx_flows", "flows from the same source in the context window (incl. this)"),
    FeatureSpec("ctx_dst_ports", "distinct destination ports of that source in the window"),
    FeatureSpec("ctx_dst_hosts", "distinct destination hosts of that source in the window"),
    FeatureSpec("ctx_failed_ratio", "share of that source's windowed flows that failed"),
    FeatureSpec("ctx_flow_rate_log", "log1p of that source's flows per second in the window"),
)

IDENTITY_FLOW_FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("dst_port", "raw destination port (identity shortcut, off by default)"),
    FeatureSpec("src_port", "raw source port (identity shortcut, off by default)"),
)


def flow_feature_names(include_identity: bool = False) -> tuple[str, ...]:
    specs = FLOW_FEATURES + (IDENTITY_FLOW_FEATURES if include_identity else ())
    return tuple(s.name for s in specs)


def shannon_entropy(data: str | bytes) -> float:
    """Shannon entropy in bits per symbol (0.0 for empty input)."""
    if not data:
        return 0.0
    n = len(data)
    return -sum(c / n * math.log2(c / n) for c in Counter(data).values())


@dataclass(frozen=True, slots=True)
class Subject:
    """Something to score: a flow or a session, with its feature vector."""

    head: Head
    subject_kind: str
    subject_event_id: UUID | None
    session_id: UUID | None
    src: Endpoint | None
    dst: Endpoint | None
    protocol: str | None
    vector: tuple[float, ...]


@dataclass(slots=True)
class _SourceWindow:
    entries: deque[tuple[float, int, str, bool]] = field(default_factory=deque)
    ports: Counter[int] = field(default_factory=Counter)
    hosts: Counter[str] = field(default_factory=Counter)
    failed: int = 0

    def add(self, t: float, port: int, host: str, failed: bool) -> None:
        self.entries.append((t, port, host, failed))
        self.ports[port] += 1
        self.hosts[host] += 1
        self.failed += failed

    def expire(self, horizon: float, cap: int) -> None:
        entries = self.entries
        while entries and (entries[0][0] < horizon or len(entries) > cap):
            _, port, host, failed = entries.popleft()
            self.failed -= failed
            _decrement(self.ports, port)
            _decrement(self.hosts, host)


def _decrement(counter: Counter[Any], key: Any) -> None:
    left = counter[key] - 1
    if left:
        counter[key] = left
    else:
        del counter[key]


class SourceContext:
    """Bounded per-source sliding window of recent flows (LRU over sources)."""

    def __init__(self, window_s: float = 10.0, per_source: int = 1024, sources: int = 50_000):
        self.window_s = window_s
        self.per_source = per_source
        self.max_sources = sources
        self._by_src: OrderedDict[str, _SourceWindow] = OrderedDict()

    def update(self, src: str, t: float, port: int, host: str, failed: bool) -> list[float]:
        """Record one flow; return [flows, dst_ports, dst_hosts, failed_ratio, rate_log]."""
        win = self._by_src.get(src)
        if win is None:
            win = self._by_src[src] = _SourceWindow()
            if len(self._by_src) > self.max_sources:
                self._by_src.popitem(last=False)
        else:
            self._by_src.move_to_end(src)
        win.add(t, port, host, failed)
        win.expire(t - self.window_s, self.per_source)
        n = len(win.entries)
        span = max(t - win.entries[0][0], 1.0)
        return [
            float(n),
            float(len(win.ports)),
            float(len(win.hosts)),
            win.failed / n,
            math.log1p(n / span),
        ]

    def __len__(self) -> int:
        return len(self._by_src)


class SourceTally:
    """Per-source counts of a few kinds of happenings in a sliding window (LRU, bounded)."""

    def __init__(
        self,
        kinds: tuple[str, ...],
        window_s: float,
        *,
        per_source: int = 4096,
        sources: int = 50_000,
    ) -> None:
        self.index = {k: i for i, k in enumerate(kinds)}
        self.window_s = window_s
        self.per_source = per_source
        self.max_sources = sources
        self._by_src: OrderedDict[str, tuple[deque[tuple[float, int]], list[int]]] = OrderedDict()

    def add(self, src: str, t: float, kind: str) -> None:
        entry = self._by_src.get(src)
        if entry is None:
            entry = self._by_src[src] = (deque(), [0] * len(self.index))
            if len(self._by_src) > self.max_sources:
                self._by_src.popitem(last=False)
        else:
            self._by_src.move_to_end(src)
        i = self.index[kind]
        entry[0].append((t, i))
        entry[1][i] += 1
        self._expire(entry, t)

    def counts(self, src: str, now: float) -> list[float]:
        """Counts per kind for ``src`` within the window ending at ``now``."""
        entry = self._by_src.get(src)
        if entry is None:
            return [0.0] * len(self.index)
        self._expire(entry, now)
        return [float(c) for c in entry[1]]

    def _expire(self, entry: tuple[deque[tuple[float, int]], list[int]], now: float) -> None:
        items, totals = entry
        horizon = now - self.window_s
        while items and (items[0][0] < horizon or len(items) > self.per_source):
            totals[items.popleft()[1]] -= 1

    def __len__(self) -> int:
        return len(self._by_src)


def _failed(flow: NetworkFlow) -> bool:
    if flow.packets_in == 0:
        return True
    return flow.transport == "tcp" and flow.rst_count > 0 and flow.bytes_in + flow.bytes_out < 400


def flow_base_vector(flow: NetworkFlow) -> list[float]:
    """The per-flow part of the vector (everything but the source context)."""
    dur = max((flow.ended_at - flow.started_at).total_seconds(), 0.0)
    pout, pin, bout, bin_ = flow.packets_out, flow.packets_in, flow.bytes_out, flow.bytes_in
    pkts = max(pout + pin, 1)
    span = max(dur, _MS)
    fo, fi = flow.tcp_flags_out, flow.tcp_flags_in
    tcp = flow.transport == "tcp"
    port = flow.dst.port if flow.dst is not None and flow.dst.port is not None else 0
    return [
        dur,
        float(pout),
        float(pin),
        math.log1p(bout),
        math.log1p(bin_),
        bout / pout if pout else 0.0,
        bin_ / pin if pin else 0.0,
        bin_ / (bout + 1),
        math.log1p(pkts / span),
        math.log1p((bout + bin_) / span),
        _or_minus(flow.iat_mean_ms),
        _or_minus(flow.iat_std_ms),
        flow.syn_count / pkts,
        flow.rst_count / pkts,
        flow.fin_count / pkts,
        float(pin == 0),
        float(tcp and (fi & (SYN | ACK)) == (SYN | ACK)),
        float(tcp and bool(fo & ACK)),
        float(tcp and bool(fo & PSH)),
        float(tcp and not fo & (SYN | ACK)),
        _or_minus(flow.payload_entropy),
        float(tcp),
        float(flow.transport == "udp"),
        float(flow.transport in ("icmp", "icmp6")),
        float(flow.app is not None),
        float(0 < port < 1024),
        math.log1p(flow.payload_bytes_out),
        math.log1p(flow.payload_bytes_in),
        _or_minus(flow.pkt_len_std),
        _or_minus(flow.pkt_len_max),
        _or_minus(flow.iat_max_ms),
        flow.psh_count / pkts,
        flow.ack_count / pkts,
    ]


def _or_minus(value: float | None) -> float:
    return -1.0 if value is None else float(value)


class FlowFeatures:
    """Vectors for ``network.flow`` events; keeps the per-source context window."""

    def __init__(
        self,
        *,
        context_window_s: float = 10.0,
        include_identity: bool = False,
        max_sources: int = 50_000,
    ) -> None:
        self.context = SourceContext(context_window_s, sources=max_sources)
        self.include_identity = include_identity
        self.names = flow_feature_names(include_identity)

    def vector(self, flow: NetworkFlow) -> list[float]:
        """The full vector of ``flow`` (updates the source context: call once per flow)."""
        vec = flow_base_vector(flow)
        src = flow.src.ip if flow.src is not None else "?"
        dst = flow.dst.ip if flow.dst is not None else "?"
        port = flow.dst.port if flow.dst is not None and flow.dst.port is not None else -1
        vec += self.context.update(src, flow.ended_at.timestamp(), port, dst, _failed(flow))
        if self.include_identity:
            sport = flow.src.port if flow.src is not None and flow.src.port is not None else -1
            vec += [float(port), float(sport)]
        return vec

    def subject(self, flow: NetworkFlow) -> Subject:
        return Subject(
            "flow",
            "network.flow",
            flow.event_id,
            flow.session_id,
            flow.src,
            flow.dst,
            flow.app or flow.transport,
            tuple(self.vector(flow)),
        )


class FeatureExtractor:
    """One entry point for the scoring service and the trainer: events in, subjects out.

    ``observe`` returns the subjects an event completes: a ``network.flow`` gives one flow
    subject at once; sensor events feed per-session state and give a session subject when the
    session closes or crosses a checkpoint (see ``SessionFeatures``). ``expire`` flushes
    sessions idle for longer than the session timeout.
    """

    def __init__(
        self,
        *,
        context_window_s: float = 10.0,
        include_identity: bool = False,
        session_idle_s: float = 300.0,
        max_sessions: int = 20_000,
        session_context_s: float = 120.0,
    ) -> None:
        from phantomnet.scoring.session_features import SessionFeatures

        self.flows = FlowFeatures(
            context_window_s=context_window_s, include_identity=include_identity
        )
        self.sessions = SessionFeatures(
            idle_s=session_idle_s, max_sessions=max_sessions, context_window_s=session_context_s
        )

    def observe(self, event: Event) -> list[Subject]:
        if isinstance(event, NetworkFlow):
            return [self.flows.subject(event)]
        return self.sessions.observe(event)

    def expire(self, now: float) -> list[Subject]:
        return self.sessions.expire(now)

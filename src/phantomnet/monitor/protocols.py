"""The protocol stage: run the parsers on selected packets, emit events, feed detectors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from phantomnet.analyzers.arp import parse_arp
from phantomnet.analyzers.base import Anomaly
from phantomnet.analyzers.dns import DnsMessage, parse_dns
from phantomnet.analyzers.http import HttpMessage, parse_http
from phantomnet.analyzers.ssh import looks_like_ssh, parse_ssh
from phantomnet.analyzers.tls import ClientHello, ServerHello, parse_tls
from phantomnet.detection.packet.registry import Detectors
from phantomnet.events import Detection, Event, SensorRef
from phantomnet.monitor import appevents as ev
from phantomnet.monitor.config import MonitorConfig
from phantomnet.monitor.decode import TCP, Decoded
from phantomnet.monitor.dispatch import DONE, OPEN, Meta, meta, payload_of, select
from phantomnet.monitor.embedded import embedded_flow_key
from phantomnet.monitor.flows import FlowTable, FlowUpdate
from phantomnet.monitor.quicstage import QuicHellos
from phantomnet.monitor.streams import StreamBuffers

APP = {"dns": 1, "http": 2, "tls": 3, "ssh": 4, "ftp": 5, "smtp": 6}


class ProtocolStage:
    """Parsers + protocol-level detectors for one pipeline."""

    def __init__(self, config: MonitorConfig, sensor: SensorRef, detectors: Detectors) -> None:
        self.config = config
        self.sensor = sensor
        self.det = detectors
        self.emit_protocol = config.sampling.emit_protocol_events
        self.streams = StreamBuffers(max_streams=4096)
        self.quic = QuicHellos()
        self.emitted: dict[tuple[int, int], int] = {}
        self.events: list[Event] = []
        self.detections: list[Detection] = []

    def run(self, dec: Decoded, upd: FlowUpdate, table: FlowTable) -> np.ndarray:
        """Process one batch; return flow slots whose attempts failed via ICMP errors."""
        sel = select(dec, upd, table)
        steps: list[tuple[np.ndarray, Callable[[Decoded, FlowUpdate, FlowTable, int], None]]] = [
            (sel.dns, self._dns),
            (sel.http, self._http),
            (sel.stream, self._stream),
            (sel.login_fail, self._login_fail),
            (sel.quic, self._quic),
        ]
        steps.append((sel.arp, self._arp_row))
        # Packet order across protocols: a TLS hello must be seen before a later plain HTTP
        # request of the same batch (ssl_strip), an ARP request before its reply, etc.
        rows = np.concatenate([r for r, _ in steps])
        which = np.concatenate([np.full(r.shape[0], k) for k, (r, _) in enumerate(steps)])
        order = np.argsort(rows, kind="stable")
        handlers = [h for _, h in steps]
        for i, k in zip(rows[order].tolist(), which[order].tolist(), strict=True):
            handlers[k](dec, upd, table, i)
        failed = [embedded_flow_key(dec, i, table) for i in sel.icmp_err.tolist()]
        return np.asarray([s for s in failed if s >= 0 and table.fail_attempt(s)], dtype=np.int64)

    def _emit(self, event: Event) -> None:
        if self.emit_protocol:
            self.events.append(event)

    def _anomaly(self, dec: Decoded, i: int, anomaly: Anomaly, m: Meta | None) -> None:
        self.events.append(
            ev.anomaly_event(
                self.sensor, float(dec.batch.ts[i]), int(dec.batch.number[i]), anomaly, m
            )
        )

    def _dns(self, dec: Decoded, upd: FlowUpdate, table: FlowTable, i: int) -> None:
        msg = parse_dns(payload_of(dec, i), tcp=int(dec.proto[i]) == TCP)
        if msg is None:
            return
        m = meta(dec, upd, i)
        if isinstance(msg, Anomaly):
            self._anomaly(dec, i, msg, m)
            return
        if m.slot >= 0:
            table.app[m.slot] = APP["dns"]
        self._emit(ev.dns_event(self.sensor, m, msg))
        self._detect(self.det.on_dns, m, msg)

    def _http(self, dec: Decoded, upd: FlowUpdate, table: FlowTable, i: int) -> None:
        msg = parse_http(payload_of(dec, i))
        if msg is None:
            return
        m = meta(dec, upd, i)
        if isinstance(msg, Anomaly):
            self._anomaly(dec, i, msg, m)
            return
        table.app[m.slot] = APP["http"]
        self._emit(ev.http_event(self.sensor, m, msg))
        self._detect(self.det.on_http, m, msg)

    def _detect(
        self,
        hooks: list[Callable[[Meta, object], list[Detection]]],
        m: Meta,
        msg: DnsMessage | HttpMessage | object,
    ) -> None:
        for hook in hooks:
            self.detections.extend(hook(m, msg))

    def _login_fail(self, dec: Decoded, upd: FlowUpdate, table: FlowTable, i: int) -> None:
        m = meta(dec, upd, i)
        protocol = "ftp" if payload_of(dec, i)[:3] == b"530" else "smtp"
        table.app[m.slot] = APP[protocol]
        for hook in self.det.on_login_fail:
            self.detections.extend(hook(m, protocol))

    def _quic(self, dec: Decoded, upd: FlowUpdate, table: FlowTable, i: int) -> None:
        m = meta(dec, upd, i)
        if table.insp[m.slot] & DONE[0]:
            return  # hello already read earlier in this batch
        hello = self.quic.add(m.flow_key, payload_of(dec, i))
        if hello is None:
            return
        table.app[m.slot] = APP["tls"]
        table.insp[m.slot] |= DONE[0]
        self._emit(ev.tls_event(self.sensor, m, hello, self.config.ja4_alpn_mode, "q"))
        self._detect(self.det.on_tls, m, hello)

    def _stream(self, dec: Decoded, upd: FlowUpdate, table: FlowTable, i: int) -> None:
        m = meta(dec, upd, i)
        d = 0 if m.out else 1
        if table.insp[m.slot] & DONE[d]:
            return  # closed earlier in this same batch
        key = (m.flow_key, d)
        data = self.streams.add(key, int(dec.seq[i]), payload_of(dec, i))
        table.insp[m.slot] |= OPEN[d]
        if looks_like_ssh(data):
            table.app[m.slot] = APP["ssh"]
            finished = self._ssh(m, data, d == 1)
        else:
            finished = self._tls(dec, i, m, key, data, d, table)
            if self.emitted.get(key):
                table.app[m.slot] = APP["tls"]
        if finished or self.streams.full(data):
            self._close(table, m.slot, key, d)

    def _close(self, table: FlowTable, slot: int, key: tuple[int, int], d: int) -> None:
        self.streams.close(key)
        self.emitted.pop(key, None)
        table.insp[slot] = (int(table.insp[slot]) & ~OPEN[d] & 0xFF) | DONE[d]

    def _ssh(self, m: Meta, data: bytes, is_server: bool) -> bool:
        res = parse_ssh(data)
        if res.more and not self.streams.full(data):
            return False
        self._emit(ev.ssh_event(self.sensor, m, res, is_server))
        return True

    def _tls(
        self,
        dec: Decoded,
        i: int,
        m: Meta,
        key: tuple[int, int],
        data: bytes,
        d: int,
        table: FlowTable,
    ) -> bool:
        res = parse_tls(data)
        start = self.emitted.get(key, 0)
        for msg in res.messages[start:]:
            self._emit(ev.tls_event(self.sensor, m, msg, self.config.ja4_alpn_mode))
            self._detect(self.det.on_tls, m, msg)
            if isinstance(msg, ServerHello) and not msg.retry:
                self._close(table, m.slot, (m.flow_key, 1 - d), 1 - d)  # no 2nd ClientHello
        self.emitted[key] = len(res.messages)
        if res.anomaly is not None:
            self._anomaly(dec, i, res.anomaly, m)
        got_hello = any(isinstance(x, ClientHello | ServerHello) for x in res.messages)
        return res.done or (not res.more and not got_hello)

    def _arp_row(self, dec: Decoded, upd: FlowUpdate, table: FlowTable, i: int) -> None:
        self._arp(dec, i)

    def _arp(self, dec: Decoded, i: int) -> None:
        raw = dec.batch.packet(i)
        start = int(dec.l3off[i] - dec.batch.off[i])
        link = int(dec.batch.linktype[i])
        eth_src = raw[6:12] if link in (1, 113, 276) else b""
        if link == 276:
            eth_src = raw[12:18]
        msg = parse_arp(raw[start:], eth_src)
        if msg is None:
            return
        ts, number = float(dec.batch.ts[i]), int(dec.batch.number[i])
        if isinstance(msg, Anomaly):
            self._anomaly(dec, i, msg, None)
            return
        self._emit(ev.arp_event(self.sensor, ts, msg))
        for hook in self.det.on_arp:
            self.detections.extend(hook(msg, ts, number))

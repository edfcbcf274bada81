"""``brute_force`` (packet level): repeated connections or failed cleartext logins.

Counts, per (client, server, protocol) within ``window_s``: established TCP connections to
a login service port (``config.ports``, which the runtime fills from the sensors: every door
with ``wire_logins``, on its configured and standard ports; hydra and ncrack open many
short ones), FTP ``530`` and SMTP ``535`` replies (one per failed password, which catches
several guesses per connection), and HTTP ``401`` answers or POSTs to login-looking paths.
Fires at ``threshold`` and again at each further ``threshold`` within the window or after
``realert_s``.
"""

from __future__ import annotations

import math
import re
from collections import deque

import numpy as np
import numpy.typing as npt

from phantomnet.analyzers.http import HttpMessage
from phantomnet.detection.common import Lru, Reporter
from phantomnet.detection.config import WireBruteForceConfig
from phantomnet.events import Detection
from phantomnet.monitor.addr import ip_text
from phantomnet.monitor.dispatch import Meta
from phantomnet.monitor.flowevents import endpoints
from phantomnet.monitor.flows import ATT_SYN, SUCCESS, FlowTable

LOGIN_PATH = re.compile(r"log-?in|sign-?in|auth|session|wp-login|admin|account", re.I)


class _Key:
    __slots__ = ("evidence", "hits", "reported", "reported_at")

    def __init__(self) -> None:
        self.hits: deque[float] = deque()
        self.evidence: deque[int] = deque(maxlen=20)
        self.reported = 0
        self.reported_at = -math.inf


class BruteForce:
    rule = "brute_force"

    def __init__(self, config: WireBruteForceConfig, node: str) -> None:
        self.cfg = config
        self.report = Reporter(node, self.rule, config.severity)
        self.keys: Lru[tuple[str, str, int, str], _Key] = Lru(100_000)

    def on_outcomes(self, t: FlowTable, slots: npt.NDArray[np.int64]) -> list[Detection]:
        """Established connections to login ports."""
        if not self.cfg.enabled or slots.size == 0:
            return []
        ok = slots[(t.outcome[slots] == SUCCESS) & (t.attempt[slots] == ATT_SYN)]
        found = []
        for slot in ok.tolist():
            (o_hi, o_lo, _), (r_hi, r_lo, r_port) = endpoints(t, slot)
            proto = self.cfg.ports.get(r_port)
            if proto is None:
                continue
            hit = self._hit(
                ip_text(o_hi, o_lo),
                ip_text(r_hi, r_lo),
                r_port,
                proto,
                float(t.first_ts[slot]),
                int(t.first_number[slot]),
                "connections",
            )
            if hit is not None:
                found.append(hit)
        return found

    def on_login_fail(self, meta: Meta, protocol: str) -> list[Detection]:
        """An FTP 530 / SMTP 535 reply (sent by the server to the client)."""
        hit = self._hit(
            meta.dst, meta.src, meta.sport, protocol, meta.ts, meta.number, "failed logins"
        )
        return [hit] if hit is not None else []

    def on_http(self, meta: Meta, msg: HttpMessage) -> list[Detection]:
        if msg.is_response and msg.status == 401:
            hit = self._hit(
                meta.dst, meta.src, meta.sport, "http", meta.ts, meta.number, "HTTP 401 answers"
            )
        elif (
            not msg.is_response
            and msg.method == "POST"
            and (msg.has_password_field or LOGIN_PATH.search(msg.path))
        ):
            hit = self._hit(
                meta.src, meta.dst, meta.dport, "http", meta.ts, meta.number, "login POSTs"
            )
        else:
            return []
        return [hit] if hit is not None else []

    def _hit(
        self, client: str, server: str, port: int, protocol: str, ts: float, number: int, what: str
    ) -> Detection | None:
        if not self.cfg.enabled or self.cfg.allowed(client):
            return None
        state = self.keys.get((client, server, port, protocol), _Key)
        state.hits.append(ts)
        state.evidence.append(number)
        while state.hits and state.hits[0] < ts - self.cfg.window_s:
            state.hits.popleft()
        count = len(state.hits)
        if count < self.cfg.threshold:
            return None
        if (
            count < state.reported + self.cfg.threshold
            and ts - state.reported_at < self.cfg.realert_s
        ):
            return None
        state.reported, state.reported_at = count, ts
        return self.report.detection(
            attacker=client,
            target=server,
            target_port=port,
            first=state.hits[0],
            last=ts,
            count=count,
            protocol=protocol,
            evidence=list(state.evidence),
            summary=f"{count} {protocol} {what} from {client} to {server}:{port} "
            f"in {self.cfg.window_s:g}s",
        )

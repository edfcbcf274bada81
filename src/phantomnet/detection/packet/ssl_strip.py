"""``ssl_strip``: a host known to use TLS is now served over plain HTTP (bettercap & co).

A host is "known secure" once we see a ClientHello naming it (SNI) or an HSTS header for
it. Signals, each naming the victim (client) and the host:

* credentials (password field, Basic auth) posted over plain HTTP to a known-secure host;
* a plain-HTTP page with a password form from a known-secure host;
* a ``Location: http://`` redirect to a known-secure host (sslstrip rewrites https->http);
* a cookie that host set with ``Secure`` before now set without it;
* bettercap's proxy artefacts: ``Allow-Access-From-Same-Origin`` or CORS ``*`` on origin,
  methods and headers at once (fixResponseHeaders in http_proxy_base_sslstriper.go).
"""

from __future__ import annotations

from phantomnet.analyzers.http import HttpMessage
from phantomnet.analyzers.tls import ClientHello
from phantomnet.detection.common import Lru, Reporter
from phantomnet.detection.config import SslStripConfig
from phantomnet.events import Detection
from phantomnet.monitor.dispatch import Meta


def _host(value: str | None) -> str:
    host = (value or "").strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class SslStrip:
    rule = "ssl_strip"

    def __init__(self, config: SslStripConfig, node: str) -> None:
        self.cfg = config
        self.report = Reporter(node, self.rule, config.severity)
        self.secure: Lru[str, str] = Lru(config.max_hosts)  # host -> why
        self.secure_cookies: Lru[tuple[str, str], bool] = Lru(config.max_hosts)
        self.request_host: Lru[tuple[str, int, str, int], str] = Lru(config.max_hosts)
        self.reported: Lru[tuple[str, str, str], float] = Lru(config.max_hosts)

    def on_tls(self, meta: Meta, msg: object) -> list[Detection]:
        if isinstance(msg, ClientHello) and msg.sni:
            self.secure.set(msg.sni.lower(), "seen over TLS")
        return []

    def on_http(self, meta: Meta, msg: HttpMessage) -> list[Detection]:
        if not self.cfg.enabled:
            return []
        if not msg.is_response:
            host = _host(msg.header("host"))
            self.request_host.set((meta.src, meta.sport, meta.dst, meta.dport), host)
            why = self.secure.peek(host)
            if why and msg.has_credentials:
                return self._emit(
                    meta, meta.src, host, f"credentials sent over plain HTTP to {host} ({why})"
                )
            return []
        host = self.request_host.peek((meta.dst, meta.dport, meta.src, meta.sport)) or ""
        return self._response(meta, msg, host)

    def _response(self, meta: Meta, msg: HttpMessage, host: str) -> list[Detection]:
        reasons = []
        if msg.header("strict-transport-security") and host:
            self.secure.set(host, "sent HSTS")
        if msg.header("allow-access-from-same-origin") is not None:
            reasons.append("bettercap sslstrip header Allow-Access-From-Same-Origin")
        cors = [msg.header(f"access-control-allow-{h}") for h in ("origin", "methods", "headers")]
        if all(v == "*" for v in cors):
            reasons.append("CORS wildcard on origin, methods and headers (sslstrip proxy)")
        why = self.secure.peek(host) if host else None
        location = msg.header("location") or ""
        if location.lower().startswith("http://"):
            target = _host(location[7:].split("/", 1)[0])
            if self.secure.peek(target):
                reasons.append(f"redirect to plain http://{target} ({self.secure.peek(target)})")
        for cookie in msg.cookies:
            key = (host, cookie.name)
            if cookie.secure:
                self.secure_cookies.set(key, True)
            elif self.secure_cookies.peek(key):
                reasons.append(f"cookie {cookie.name} lost its Secure flag")
        if why and msg.has_password_field:
            reasons.append(f"login form served over plain HTTP ({why})")
        if not reasons:
            return []
        return self._emit(meta, meta.dst, host or meta.src, "; ".join(reasons))

    def _emit(self, meta: Meta, victim: str, host: str, detail: str) -> list[Detection]:
        if self.cfg.allowed(victim):
            return []
        key = (victim, host, detail)
        if not self.reported.due(key, meta.ts, 300):
            return []
        return [
            self.report.detection(
                attacker=None,
                target=victim,
                first=meta.ts,
                last=meta.ts,
                count=1,
                protocol="http",
                summary=f"SSL stripping suspected for {host}: {detail}",
                evidence=[meta.number],
                community_id=meta.community_id,
                subject=host or None,
            )
        ]

"""HTTP and HTTPS sensor: an Apache 2.4 (Debian) persona in front of the decoy site.

h11 parses requests (keep-alive, pipelining, bounded sizes); responses are framed by
:mod:`apache` so headers, their order and the error pages are httpd's. HTTPS uses the
persona's certificate and records the client's JA3/JA4 from its raw ClientHello. Every
request becomes an ``http.request`` event, tagged with what the emulation saw (``sqli``,
``traversal``, ``cmd_injection``, ``upload``, ``login``...).
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
from typing import ClassVar

import h11
from pydantic import Field

from phantomnet.deception.host import FakeHost
from phantomnet.events import ClientFingerprint, HttpRequest, attacker_text
from phantomnet.sensors.base import Sensor, SensorConfig, SensorContext, Session
from phantomnet.sensors.deadline import RateDeadline
from phantomnet.sensors.http import apache, routes, webroot
from phantomnet.sensors.http.request import Request, Site
from phantomnet.sensors.http.shopdb import ShopDb
from phantomnet.sensors.http.tlsfp import fingerprints
from phantomnet.sensors.http.wire import PlainStream, TlsStream
from phantomnet.sensors.listen import bind, bound_port
from phantomnet.sensors.tls import ensure_certificate, server_context

log = logging.getLogger(__name__)
MAX_HEADER_BYTES = 16 * 1024


class HttpConfig(SensorConfig):
    """``[sensors.http]``"""

    port: int = Field(default=8080, ge=0, le=65535)
    tls_port: int | None = Field(default=8443, ge=0, le=65535)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=2 * 1024 * 1024, ge=1)
    max_requests_per_connection: int = Field(default=100, ge=1)
    idle_timeout_s: float = Field(default=5, gt=0)
    #: Total time for a request head / body, as httpd's RequestReadTimeout
    #: ``header=20-40,MinRate=500 body=20,MinRate=500`` (the body bounded too).
    header_timeout_s: float = Field(default=20, gt=0)
    header_timeout_max_s: float = Field(default=40, ge=0)
    header_min_rate: int = Field(default=500, ge=0)
    body_timeout_s: float = Field(default=20, gt=0)
    body_timeout_max_s: float = Field(default=120, ge=0)
    body_min_rate: int = Field(default=500, ge=0)
    company: str | None = None


class HttpSensor(Sensor):
    """The ``http`` sensor plug-in (both the HTTP and the HTTPS port)."""

    name: ClassVar[str] = "http"
    protocol: ClassVar[str] = "http"
    request_events: ClassVar[bool] = True
    Config: ClassVar[type[SensorConfig]] = HttpConfig

    def __init__(self, config: SensorConfig, ctx: SensorContext) -> None:
        super().__init__(config, ctx)
        assert isinstance(config, HttpConfig)
        self.config: HttpConfig = config
        host: FakeHost = ctx.shared_object("fake_host", lambda: FakeHost.load(ctx.data_dir))
        self.site = _site(host, config)
        self._servers: list[asyncio.Server] = []
        self.tls_bound_port: int | None = None
        self.requests = 0

    async def start(self) -> None:
        cfg = self.config
        plain = await bind("sensors.http.port", cfg.host, cfg.port, self._plain)
        self._servers.append(plain)
        self.bound_port = bound_port(plain)
        if cfg.tls_port is not None:
            cert, key = ensure_certificate(
                self.ctx.data_dir / "tls", self.site.hostname,
                self.site.host.persona.identity.installed_at,
            )  # fmt: skip
            self._tls_ctx: ssl.SSLContext = server_context(cert, key)
            secure = await bind("sensors.http.tls_port", cfg.host, cfg.tls_port, self._secure)
            self._servers.append(secure)
            self.tls_bound_port = bound_port(secure)

    async def run(self) -> None:
        await asyncio.gather(*(s.serve_forever() for s in self._servers))

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        await self.drain()

    def describe(self) -> dict[str, object]:
        info = super().describe()
        if self.tls_bound_port is not None:
            info["listen"] = f"{info['listen']} tls:{self.tls_bound_port}"
        return {**info, "events": self.requests}

    async def _plain(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._serve(PlainStream(reader, writer), tls=False)

    async def _secure(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._serve(TlsStream(reader, writer, self._tls_ctx), tls=True)

    async def _serve(self, stream: PlainStream, tls: bool) -> None:
        async with self.connection(stream.writer) as session:
            if session is None:
                return
            try:
                if isinstance(stream, TlsStream):
                    await asyncio.wait_for(stream.handshake(), 10)
                ja = await self._fingerprint(session, stream)
                port = int(stream.writer.get_extra_info("sockname")[1])
                await Conversation(self, session, stream, tls, ja, port).run()
            finally:
                stream.close()

    async def _fingerprint(
        self, session: Session, stream: PlainStream
    ) -> tuple[str | None, str | None]:
        if stream.client_hello is None:
            return None, None
        ja3, ja4 = fingerprints(stream.client_hello)
        for method, value in (("ja3", ja3), ("ja4", ja4)):
            if value:
                await session.emit(ClientFingerprint, protocol="https", method=method, value=value)
        return ja3, ja4


class Conversation:
    """Requests on one connection (keep-alive), each answered and recorded."""

    def __init__(self, sensor: HttpSensor, session: Session, stream: PlainStream, tls: bool,
                 ja: tuple[str | None, str | None], port: int) -> None:  # fmt: skip
        self.sensor, self.session, self.stream, self.tls, self.ja = sensor, session, stream, tls, ja
        self.port = port
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        self.served = 0
        self.pending = b""  # bytes of the request being parsed (to record a malformed one)

    async def run(self) -> None:
        for _ in range(self.sensor.config.max_requests_per_connection + 1):
            request = await self._next_request()
            if request is None:
                return
            if not await self._answer(request):
                return
            if self.conn.our_state is h11.MUST_CLOSE or self.conn.their_state is h11.MUST_CLOSE:
                return
            try:
                self.conn.start_next_cycle()
            except h11.LocalProtocolError:
                return

    def _head_deadline(self) -> RateDeadline:
        cfg = self.sensor.config
        return RateDeadline(cfg.header_timeout_s, cfg.header_timeout_max_s, cfg.header_min_rate)

    async def _read(self, phase: RateDeadline | None) -> bytes | None:
        """The next bytes; None when the phase's total deadline passed (idle: TimeoutError)."""
        idle = self.sensor.config.idle_timeout_s
        wait = idle if phase is None else min(idle, phase.remaining())
        try:
            return await asyncio.wait_for(self.stream.read(), wait)
        except TimeoutError:
            if phase is not None and phase.expired():
                return None
            raise

    async def _next_request(self) -> Request | None:
        cfg = self.sensor.config
        head: h11.Request | None = None
        body = bytearray()
        # The first head is timed from the accept; a keep-alive one from its first byte.
        phase = self._head_deadline() if self.served == 0 else None
        while True:
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError:
                await self._bad_request()
                return None
            if event is h11.NEED_DATA:
                data = await self._read(phase)
                if data is None:
                    await self._timed_out()
                    return None
                if phase is None:
                    phase = self._head_deadline()
                phase.received(len(data))
                self.session.bytes_in += len(data)
                if len(self.pending) < MAX_HEADER_BYTES:
                    self.pending += data[:MAX_HEADER_BYTES]
                self.conn.receive_data(data)
                continue
            if isinstance(event, h11.Request):
                head, self.pending = event, b""
                phase = RateDeadline(cfg.body_timeout_s, cfg.body_timeout_max_s, cfg.body_min_rate)
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > self.sensor.config.max_body_bytes:
                    await self._error(413, head)
                    return None
            elif isinstance(event, h11.EndOfMessage) and head is not None:
                return self._request(head, bytes(body))
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return None

    def _request(self, head: h11.Request, body: bytes) -> Request:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in head.headers.raw_items()]
        return Request(
            method=head.method.decode("latin-1"), target=head.target.decode("latin-1"),
            version=head.http_version.decode(), headers=headers, body=body,
            session=self.session, port=self.port, tls=self.tls,
        )  # fmt: skip

    async def _answer(self, req: Request) -> bool:
        handler = routes.route(req.path)
        if req.method not in ("GET", "POST", "HEAD", "OPTIONS"):
            resp = apache.error_page(405, server=self.sensor.site.server,
                                     host=req.host_name or self.sensor.site.hostname,
                                     port=req.port, method=req.method)  # fmt: skip
        else:
            resp = await handler(self.sensor.site, req)
        if resp.delay_s:
            await asyncio.sleep(resp.delay_s)
        # Recorded before it is answered: once the client has its answer, the event is
        # published (with [bus] journal = true, on disk), so a crash cannot lose it.
        await self._record(req, resp)
        await self._send(resp, head=req.method == "HEAD")
        return True

    async def _send(self, resp: apache.Response, head: bool = False) -> None:
        self.served += 1
        left = self.sensor.config.max_requests_per_connection - self.served + 1  # httpd counts
        keep = self.conn.their_state is not h11.MUST_CLOSE and left > 0
        headers = apache.frame(
            resp, server=self.sensor.site.server, keep_alive=keep, head=head, left=left
        )
        reason = apache.REASONS.get(resp.status, "")
        # h11 tracks the connection state; the bytes are ours, because h11 moves a
        # "Connection: close" header to the end, which httpd never does.
        self.conn.send(h11.Response(status_code=resp.status, headers=headers, reason=reason))
        if not head and resp.body:
            self.conn.send(h11.Data(data=resp.body))
        self.conn.send(h11.EndOfMessage())
        out = _head_bytes(resp.status, reason, headers) + (b"" if head else resp.body)
        self.session.bytes_out += len(out)
        await self.stream.write(out)

    async def _bad_request(self) -> None:
        resp = apache.error_page(
            400, server=self.sensor.site.server, host=self.sensor.site.hostname, port=self.port
        )
        headers = apache.frame(resp, server=self.sensor.site.server, keep_alive=False)
        await self._record_malformed()
        await self.stream.write(_head_bytes(400, "Bad Request", headers) + resp.body)

    async def _timed_out(self) -> None:
        """The head or body did not arrive in time: httpd's 408, then close (slowloris)."""
        resp = apache.error_page(
            408, server=self.sensor.site.server, host=self.sensor.site.hostname, port=self.port
        )
        headers = apache.frame(resp, server=self.sensor.site.server, keep_alive=False)
        await self._record_malformed(status=408, tags=("slow",))
        await self.stream.write(_head_bytes(408, "Request Timeout", headers) + resp.body)

    async def _record_malformed(
        self, status: int = 400, tags: tuple[str, ...] = ("malformed",)
    ) -> None:
        """A request h11 refused (``GET / HTTP/1337``, junk) is still an ``http.request``,
        tagged ``malformed`` (and ``probe`` for the honeypot-detection version probes); one
        cut by its deadline is recorded as status 408, tagged ``slow``."""
        line = self.pending.split(b"\n", 1)[0].rstrip(b"\r").decode("latin-1")  # 1 char = 1 byte
        method, _, rest = line.partition(" ")
        target, _, version = rest.rpartition(" ") if " " in rest else (rest, "", "")
        probe = version.startswith("HTTP/") and version not in ("HTTP/1.0", "HTTP/1.1")
        self.sensor.requests += 1
        await self.session.emit(
            HttpRequest, method=wire_text(method, 32) or "-", path=wire_text(target, 2048),
            body_excerpt=attacker_text(self.pending[:2048]), body_size=len(self.pending),
            status=status, tls=self.tls, ja3=self.ja[0], ja4=self.ja[1],
            tags=(*tags, "probe") if probe else tags,
        )  # fmt: skip

    async def _error(self, status: int, head: h11.Request | None) -> None:
        method = head.method.decode("latin-1") if head else "GET"
        resp = apache.error_page(
            status,
            server=self.sensor.site.server,
            host=self.sensor.site.hostname,
            port=self.port,
            method=method,
        )
        try:
            await self._send(resp)
        except h11.LocalProtocolError:
            await self._bad_request()

    async def _record(self, req: Request, resp: apache.Response) -> None:
        self.sensor.requests += 1
        self.sensor.site.counters["requests"] = self.sensor.requests
        headers = tuple((wire_text(k, 256), wire_text(v, 2048)) for k, v in req.headers[:64])
        await self.session.emit(
            HttpRequest, method=wire_text(req.method, 32), path=wire_text(req.path, 2048),
            query=wire_text(req.query, 4096), host=wire_text(req.header("host") or "", 256),
            headers=headers, body_excerpt=attacker_text(req.body[:2048]), body_size=len(req.body),
            user_agent=wire_text(req.header("user-agent") or "", 512) or None,
            status=resp.status, tls=self.tls, ja3=self.ja[0], ja4=self.ja[1], tags=resp.tags,
            outbound=tuple(attacker_text(u, 2048) for u in resp.outbound[:16]),
        )  # fmt: skip


def wire_text(text: str, limit: int) -> str:
    """Attacker text of a head field the door decoded as latin-1 (one char per byte): its
    exact bytes, so UTF-8 stays readable and other bytes become ``\\xHH``."""
    return attacker_text(text.encode("latin-1", "surrogateescape"), limit)


def _site(host: FakeHost, config: HttpConfig) -> Site:
    persona = host.persona
    webroot.plant(host)
    company = config.company or company_name(persona.identity.seed)
    host.sql.ensure_seed()  # the shop's users (and their honeytokens) exist from the start
    people = (u.name for u in persona.identity.users if u.gecos)  # humans, not service users
    wp_users = dict.fromkeys(("admin", *people, *shop_logins(host)))
    server = persona.software("apache", "Apache/2.4.65 (Debian)")
    return Site(host=host, db=ShopDb(host), server=server, company=company,
                hostname=persona.fqdn, wp_users=tuple(wp_users),
                max_upload_bytes=config.max_upload_bytes, tls_port=config.tls_port)  # fmt: skip


def _head_bytes(status: int, reason: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


COMPANY_WORDS = ("Northwind", "Altmark", "Brightline", "Kessler", "Redwood", "Hansa", "Silverline",
                 "Lindner", "Meridian", "Vector", "Nordic", "Bergmann")  # fmt: skip
COMPANY_KINDS = ("Networks", "Systems", "Industrial Supply", "Technik", "IT Solutions", "Trading")


def company_name(seed: int) -> str:
    """The shop's company name, drawn from the install's seed (never a fixed default)."""
    rng = random.Random(seed ^ 0x5EB)
    return f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"


def shop_logins(host: FakeHost) -> list[str]:
    """Logins of the shop's ``users`` table (the engine's seed registers their passwords as
    ``sql_password`` honeytokens): the site's WordPress accounts too."""
    return [t.username for t in host.tokens.by_kind("sql_password")
            if t.username and "sql:shop.users" in t.planted_in]  # fmt: skip

"""``kind = "dns"``: ask one resolver (``server = "ip[:port]"``) directly.

``transport``: ``udp`` (default; port 53), ``tcp`` (53), ``tls`` (DNS over TLS, RFC 7858,
port 853, ALPN ``dot``) or ``https`` (DNS over HTTPS, RFC 8484: a POST of the wire query as
``application/dns-message`` to ``url``, default ``/dns-query``, port 443, HTTP/2 or 1.1).
TLS is always verified: against ``server_name`` (also the SNI and the DoH authority) or, without
it, the server's IP address; roots are the system's or only ``ca_file``. The legacy
``tcp = true`` means ``transport = "tcp"``. dnspython's own DoH client needs the ``httpx2``
package; this one uses the project's httpx.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from typing import Any, ClassVar, Literal

import dns.asyncbackend
import dns.asyncquery
import dns.inet
import dns.message
import dns.rcode
import dns.rdatatype
import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from phantomnet.errors import ConfigError, VerifyPathError
from phantomnet.verify.answers import DnsAnswer
from phantomnet.verify.path import Question, VerifyPath
from phantomnet.verify.tls_facts import tls_context

Transport = Literal["udp", "tcp", "tls", "https"]
DEFAULT_PORT: dict[str, int] = {"udp": 53, "tcp": 53, "tls": 853, "https": 443}
DNS_MESSAGE = "application/dns-message"


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    server: str
    transport: Transport | None = None
    #: legacy: ``transport = "tcp"``
    tcp: bool = False
    server_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9.-]{1,253}$")
    ca_file: str | None = None
    url: str = Field(default="/dns-query", pattern=r"^/[\x21-\x7e]*$")
    #: per-query timeout inside the engine's deadline
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    types: tuple[str, ...] = ("A", "AAAA")


def _split(server: str, default: int = 53) -> tuple[str, int]:
    host, _, port = server.rpartition(":")
    if host and ":" in host and not host.startswith("["):
        host, port = server, ""  # a bare IPv6 address
    host = host.strip("[]") if host else server
    ipaddress.ip_address(host)
    return host, int(port) if port and host != server else default


class DnsPath(VerifyPath):
    name: ClassVar[str] = "dns"
    answers: ClassVar[frozenset[str]] = frozenset({"dns"})

    def __init__(self, path_name: str, settings: dict[str, Any]) -> None:
        super().__init__(path_name, settings)
        try:
            self.settings = _Settings.model_validate(settings)
            self.transport: str = self.settings.transport or ("tcp" if self.settings.tcp else "udp")
            self.host, self.port = _split(self.settings.server, DEFAULT_PORT[self.transport])
        except (ValidationError, ValueError) as exc:
            raise ConfigError(f"verify.paths.{path_name}: bad dns settings: {exc}") from exc

    async def ask(self, question: Question) -> DnsAnswer:
        addresses: set[str] = set()
        for rdtype in self.settings.types:
            addresses |= await self._query(question.target, rdtype)
        return DnsAnswer(addresses=frozenset(addresses))

    async def _query(self, name: str, rdtype: str) -> set[str]:
        query = dns.message.make_query(name, rdtype)
        timeout = self.settings.timeout_s
        if self.transport == "tcp":
            reply = await dns.asyncquery.tcp(query, self.host, timeout, self.port)
        elif self.transport == "tls":
            reply = await dns.asyncquery.tls(
                query,
                self.host,
                timeout,
                self.port,
                ssl_context=self._tls(["dot"]),
                server_hostname=self.settings.server_name or self.host,
            )
        elif self.transport == "https":
            reply = await self._https(query)
        else:
            # a connected socket: an ICMP port-unreachable fails at once (dead resolver)
            backend = dns.asyncbackend.get_default_backend()
            af = dns.inet.af_for_address(self.host)
            destination = (self.host, self.port)
            make = backend.make_socket
            sock = await make(af, socket.SOCK_DGRAM, 0, None, destination)  # type: ignore[no-untyped-call]
            async with sock:
                reply = await dns.asyncquery.udp(
                    query, self.host, timeout, self.port, sock=sock, ignore_unexpected=True
                )
        rcode = reply.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise VerifyPathError(f"{self.path_name}: {dns.rcode.to_text(rcode)}")
        wanted = dns.rdatatype.from_text(rdtype)
        return {rd.to_text() for rrset in reply.answer if rrset.rdtype == wanted for rd in rrset}

    def _tls(self, alpn: list[str]) -> ssl.SSLContext:
        return tls_context(verify=True, ca_file=self.settings.ca_file, alpn=alpn)

    async def _https(self, query: dns.message.Message) -> dns.message.Message:
        """RFC 8484 POST; the connection goes to ``server``, TLS checks ``server_name``."""
        s = self.settings
        query.id = 0  # RFC 8484 4.1: cache-friendly
        name = s.server_name or self.host
        host = f"[{self.host}]" if ":" in self.host else self.host
        url = httpx.URL(f"https://{host}:{self.port}{s.url}")
        async with httpx.AsyncClient(
            verify=self._tls(["h2", "http/1.1"]), http2=True, timeout=s.timeout_s, trust_env=False
        ) as client:
            response = await client.post(
                url,
                content=query.to_wire(),
                headers={
                    "Host": name if self.port == 443 else f"{name}:{self.port}",
                    "Content-Type": DNS_MESSAGE,
                    "Accept": DNS_MESSAGE,
                },
                extensions={"sni_hostname": name},
            )
        if response.status_code != 200:
            raise VerifyPathError(f"{self.path_name}: DoH answered HTTP {response.status_code}")
        if response.headers.get("content-type", "").split(";")[0].strip() != DNS_MESSAGE:
            raise VerifyPathError(f"{self.path_name}: DoH answer is not {DNS_MESSAGE}")
        reply = dns.message.from_wire(response.content)
        if not query.is_response(reply):
            raise VerifyPathError(f"{self.path_name}: DoH answer does not match the query")
        return reply

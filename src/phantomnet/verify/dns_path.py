"""``kind = "dns"``: ask one resolver (``server = "ip:port"``) directly, over UDP or TCP."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any, ClassVar

import dns.asyncbackend
import dns.asyncquery
import dns.inet
import dns.message
import dns.rcode
import dns.rdatatype
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from phantomnet.errors import ConfigError, VerifyPathError
from phantomnet.verify.answers import DnsAnswer
from phantomnet.verify.path import Question, VerifyPath


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    server: str
    tcp: bool = False
    #: per-query timeout inside the engine's deadline
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    types: tuple[str, ...] = ("A", "AAAA")


def _split(server: str) -> tuple[str, int]:
    host, _, port = server.rpartition(":")
    host = host.strip("[]") if host else server
    ipaddress.ip_address(host)
    return host, int(port) if port and host != server else 53


class DnsPath(VerifyPath):
    name: ClassVar[str] = "dns"
    answers: ClassVar[frozenset[str]] = frozenset({"dns"})

    def __init__(self, path_name: str, settings: dict[str, Any]) -> None:
        super().__init__(path_name, settings)
        try:
            self.settings = _Settings.model_validate(settings)
            self.host, self.port = _split(self.settings.server)
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
        if self.settings.tcp:
            reply = await dns.asyncquery.tcp(query, self.host, timeout, self.port)
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

"""``kind = "tls"``: which certificate a TLS endpoint shows this path.

The question's target is ``name:port`` (the name is the SNI and what the answer is about).
Settings: ``connect_to`` (``ip[:port]`` instead of resolving the name), ``resolver``
(``ip[:port]``: resolve the name with this DNS server, e.g. the path namespace's),
``proxy`` (``http://host:port``: an HTTP proxy asked to ``CONNECT name:port``; the proxy
resolves), ``timeout_s``, ``verify`` (default false: the path reports the key it was shown,
trusted or not; true: a chain that does not verify is a failure), ``ca_file`` (its roots).
The answer is the leaf's SPKI SHA-256 and the chain's subjects/issuers; wrap it in a
``netns`` path to look from a namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from phantomnet.errors import ConfigError, VerifyPathError
from phantomnet.verify.answers import TlsAnswer
from phantomnet.verify.dns_path import DnsPath
from phantomnet.verify.path import Question, VerifyPath
from phantomnet.verify.tls_facts import peer_facts, tls_context


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    connect_to: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f.:\[\]]+$")
    resolver: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f.:\[\]]+$")
    proxy: str | None = Field(default=None, pattern=r"^http://[^/@]+:\d{1,5}/?$")
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    verify: bool = False
    ca_file: str | None = None


def split_target(target: str) -> tuple[str, int]:
    """``name:port`` (port defaults to 443; ``[v6]:port`` accepted)."""
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or "]" in port:
        host, port = target, "443"
    host = host.strip("[]")
    if not host or not 0 < int(port) < 65536:
        raise VerifyPathError(f"not a TLS endpoint (name:port): {target!r}")
    return host, int(port)


class TlsPath(VerifyPath):
    name: ClassVar[str] = "tls"
    answers: ClassVar[frozenset[str]] = frozenset({"tls"})

    def __init__(self, path_name: str, settings: dict[str, Any]) -> None:
        super().__init__(path_name, settings)
        try:
            self.settings = _Settings.model_validate(settings)
        except ValidationError as exc:
            raise ConfigError(f"verify.paths.{path_name}: bad tls settings: {exc}") from exc

    async def _address(self, name: str, port: int) -> tuple[str, int]:
        s = self.settings
        if s.connect_to:
            host, sep, p = s.connect_to.rpartition(":")
            if sep and p.isdigit() and (host.endswith("]") or "." in host):
                return host.strip("[]"), int(p)
            return s.connect_to.strip("[]"), port
        try:
            ipaddress.ip_address(name)
            return name, port
        except ValueError:
            pass
        if not s.resolver:
            return name, port  # the process's (or namespace's) own resolver
        answer = await DnsPath(
            self.path_name, {"server": s.resolver, "timeout_s": s.timeout_s, "types": ["A"]}
        ).ask(Question("dns", name))
        if not answer.addresses:
            raise VerifyPathError(f"{self.path_name}: {name} does not resolve via {s.resolver}")
        return sorted(answer.addresses)[0], port

    async def _open(
        self, name: str, port: int, ctx: ssl.SSLContext, sni: str
    ) -> asyncio.StreamWriter:
        s = self.settings
        if not s.proxy:
            host, port = await self._address(name, port)
            _, writer = await asyncio.open_connection(host, port, ssl=ctx, server_hostname=sni)
            return writer
        proxy_host, _, proxy_port = s.proxy.removeprefix("http://").rstrip("/").rpartition(":")
        reader, writer = await asyncio.open_connection(proxy_host.strip("[]"), int(proxy_port))
        authority = f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
        writer.write(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0].split()
        if len(status) < 2 or status[1] != b"200":
            writer.close()
            raise VerifyPathError(f"{self.path_name}: the proxy refused CONNECT: {head[:80]!r}")
        await writer.start_tls(ctx, server_hostname=sni)
        return writer

    async def ask(self, question: Question) -> TlsAnswer:
        s = self.settings
        name, port = split_target(question.target)
        ctx = tls_context(verify=s.verify, ca_file=s.ca_file)
        sni = "" if _is_ip(name) and not s.verify else name
        try:
            writer = await asyncio.wait_for(self._open(name, port, ctx, sni), s.timeout_s)
        except (OSError, ssl.SSLError, TimeoutError, asyncio.IncompleteReadError) as exc:
            raise VerifyPathError(f"{self.path_name}: {name}:{port}: {exc}") from exc
        try:
            sslobj = writer.get_extra_info("ssl_object")
            spki, chain = peer_facts(sslobj)
        finally:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await writer.wait_closed()
        return TlsAnswer(spkis=frozenset({spki}), chain=chain, trusted=True if s.verify else None)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True

"""``kind = "http"``: fetch a URL directly, through an HTTP proxy or through SOCKS5.

Settings: ``proxy`` (``http://host:port`` or ``socks5://host:port``; none = direct),
``connect_to`` (``ip:port`` to connect to instead of resolving the URL's host, the Host
header and TLS SNI stay the URL's: a path with its own resolution), ``resolver``
(``ip[:port]`` of a DNS server that resolves the URL's host for this path, e.g. the resolver
of the path's network namespace: the process's own resolver is not asked), ``timeout_s``,
``max_body`` (bytes read at most), ``verify_tls``, ``ca_file`` (PEM roots trusted instead of
the system's), ``max_redirects``.

Redirects are followed by the path itself (each hop resolved the path's way) and recorded;
for an https answer the leaf SPKI SHA-256 and the chain's subjects/issuers are read from the
connection (direct, through an HTTP ``CONNECT`` proxy or SOCKS5), and the final answer's
``Strict-Transport-Security`` max-age is kept: :mod:`.compare` catches SSL stripping and
TLS interception with them.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from phantomnet.errors import ConfigError, VerifyPathError
from phantomnet.verify.answers import CertLink, HttpAnswer, Redirect
from phantomnet.verify.compare import title_words
from phantomnet.verify.dns_path import DnsPath
from phantomnet.verify.path import Question, VerifyPath
from phantomnet.verify.tls_facts import peer_facts, tls_context

_MAX_AGE = re.compile(r"(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:;|$)", re.IGNORECASE)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    proxy: str | None = Field(default=None, pattern=r"^(https?|socks5h?)://")
    connect_to: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f.:\[\]]+:\d{1,5}$")
    resolver: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f.:\[\]]+$")
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    max_body: int = Field(default=2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    verify_tls: bool = True
    ca_file: str | None = None
    max_redirects: int = Field(default=5, ge=0, le=20)


def hsts_max_age(value: str | None) -> int | None:
    """The ``max-age`` of a Strict-Transport-Security header (RFC 6797), None without one."""
    if not value:
        return None
    match = _MAX_AGE.search(value)
    return int(match.group(1)) if match else None


class HttpPath(VerifyPath):
    name: ClassVar[str] = "http"
    answers: ClassVar[frozenset[str]] = frozenset({"http"})

    def __init__(self, path_name: str, settings: dict[str, Any]) -> None:
        super().__init__(path_name, settings)
        try:
            self.settings = _Settings.model_validate(settings)
        except ValidationError as exc:
            raise ConfigError(f"verify.paths.{path_name}: bad http settings: {exc}") from exc

    async def _connect_to(self, url: httpx.URL, first: httpx.URL) -> str | None:
        """``ip:port`` to connect to, when this path resolves names itself (``connect_to``
        holds for the first URL's host; a redirect to another port keeps its address)."""
        s = self.settings
        port = url.port or (443 if url.scheme == "https" else 80)
        if s.connect_to:
            if url.host != first.host:
                return None if not s.resolver else await self._resolve(url, port)
            if (url.scheme, url.port) == (first.scheme, first.port):
                return s.connect_to
            return f"{s.connect_to.rpartition(':')[0]}:{port}"
        if not s.resolver:
            return None
        return await self._resolve(url, port)

    async def _resolve(self, url: httpx.URL, port: int) -> str:
        s = self.settings
        assert s.resolver is not None
        try:
            ipaddress.ip_address(url.host)
            return f"[{url.host}]:{port}"
        except ValueError:
            pass
        resolver = DnsPath(self.path_name, {"server": s.resolver, "timeout_s": s.timeout_s})
        answer = await resolver.ask(Question("dns", url.host))
        if not answer.addresses:
            raise VerifyPathError(f"{self.path_name}: {url.host} does not resolve via {s.resolver}")
        return f"[{sorted(answer.addresses)[0]}]:{port}"

    def _request(
        self, client: httpx.AsyncClient, url: httpx.URL, target: str | None
    ) -> httpx.Request:
        if not target:
            return client.build_request("GET", url)
        # our own resolution: the address is the path's, the name stays the URL's
        host, _, port = target.rpartition(":")
        direct = url.copy_with(host=host.strip("[]"), port=int(port))
        return client.build_request(
            "GET",
            direct,
            headers={"Host": url.netloc.decode("ascii")},
            extensions={"sni_hostname": url.host},
        )

    async def ask(self, question: Question) -> HttpAnswer:
        s = self.settings
        try:
            url = httpx.URL(question.target)
        except httpx.InvalidURL as exc:
            raise VerifyPathError(f"{self.path_name}: bad URL: {exc}") from exc
        if url.userinfo:  # never send credentials (parse_target refuses them already)
            raise VerifyPathError(f"{self.path_name}: URLs with credentials are not fetched")
        first = url
        redirects: list[Redirect] = []
        verify = tls_context(verify=s.verify_tls, ca_file=s.ca_file)
        async with httpx.AsyncClient(
            proxy=s.proxy, timeout=s.timeout_s, verify=verify, trust_env=False
        ) as client:
            while True:
                target = await self._connect_to(url, first)
                response = await client.send(self._request(client, url, target), stream=True)
                spki = ""
                chain: tuple[CertLink, ...] = ()
                try:
                    if url.scheme == "https":
                        spki, chain = self._tls(response)
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECTS and location:
                        redirects.append(Redirect(url=str(url), status=response.status_code))
                        if len(redirects) > s.max_redirects:
                            raise VerifyPathError(f"{self.path_name}: too many redirects")
                        url = url.join(location)
                        continue
                    data = await self._body(response)
                finally:
                    await response.aclose()
                break
        return HttpAnswer(
            status=response.status_code,
            body_length=len(data),
            title_words=title_words(data),
            body_sha256=hashlib.sha256(data).hexdigest(),
            final_url=str(url),
            final_scheme=url.scheme,
            redirects=tuple(redirects),
            hsts_max_age=(
                hsts_max_age(response.headers.get("strict-transport-security"))
                if url.scheme == "https"
                else None
            ),
            spki_sha256=spki,
            chain=chain,
        )

    async def _body(self, response: httpx.Response) -> bytes:
        limit = self.settings.max_body
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk[: limit - len(body)]
            if len(body) >= limit:
                break
        return bytes(body)

    def _tls(self, response: httpx.Response) -> tuple[str, tuple[CertLink, ...]]:
        stream = response.extensions.get("network_stream")
        sslobj = stream.get_extra_info("ssl_object") if stream is not None else None
        try:
            return peer_facts(sslobj)
        except VerifyPathError as exc:
            raise VerifyPathError(f"{self.path_name}: {exc}") from exc

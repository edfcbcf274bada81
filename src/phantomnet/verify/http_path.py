"""``kind = "http"``: fetch a URL directly, through an HTTP proxy or through SOCKS5.

Settings: ``proxy`` (``http://host:port`` or ``socks5://host:port``; none = direct),
``connect_to`` (``ip:port`` to connect to instead of resolving the URL's host, the Host
header and TLS SNI stay the URL's: a path with its own resolution), ``timeout_s``,
``max_body`` (bytes read at most), ``verify_tls``.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from phantomnet.errors import ConfigError, VerifyPathError
from phantomnet.verify.answers import HttpAnswer
from phantomnet.verify.compare import title_words
from phantomnet.verify.path import Question, VerifyPath


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    proxy: str | None = Field(default=None, pattern=r"^(https?|socks5h?)://")
    connect_to: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f.:\[\]]+:\d{1,5}$")
    timeout_s: float = Field(default=10.0, gt=0, le=120)
    max_body: int = Field(default=2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    verify_tls: bool = True


class HttpPath(VerifyPath):
    name: ClassVar[str] = "http"
    answers: ClassVar[frozenset[str]] = frozenset({"http"})

    def __init__(self, path_name: str, settings: dict[str, Any]) -> None:
        super().__init__(path_name, settings)
        try:
            self.settings = _Settings.model_validate(settings)
        except ValidationError as exc:
            raise ConfigError(f"verify.paths.{path_name}: bad http settings: {exc}") from exc

    def _request(self, client: httpx.AsyncClient, url: httpx.URL) -> httpx.Request:
        target = self.settings.connect_to
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
        async with httpx.AsyncClient(
            proxy=s.proxy,
            timeout=s.timeout_s,
            verify=s.verify_tls,
            trust_env=False,
            follow_redirects=s.connect_to is None,
        ) as client:
            response = await client.send(self._request(client, url), stream=True)
            body = bytearray()
            try:
                async for chunk in response.aiter_bytes():
                    body += chunk[: s.max_body - len(body)]
                    if len(body) >= s.max_body:
                        break
            finally:
                await response.aclose()
        data = bytes(body)
        return HttpAnswer(
            status=response.status_code,
            body_length=len(data),
            title_words=title_words(data),
            body_sha256=hashlib.sha256(data).hexdigest(),
            final_url=str(response.url),
        )

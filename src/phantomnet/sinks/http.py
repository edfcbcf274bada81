"""What the HTTP sinks of a log store share (``elasticsearch``, ``splunk_hec``): the URL,
TLS verification and timeout settings, one client, and the error a refused batch raises."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from phantomnet.errors import PhantomNetError
from phantomnet.sinks.base import ExistingFile, SinkConfig


class DeliveryRefused(PhantomNetError):
    """The target answered, but did not take (all of) the batch: it is sent again."""


def http_url(value: str, what: str = "an http(s) URL") -> httpx.URL:
    """``value`` as an http(s) URL with a host, or the one-line config error."""
    try:
        url = httpx.URL(value)
    except (httpx.InvalidURL, TypeError, ValueError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise PydanticCustomError(
            "url", "'{url}' is not {what} with a host", {"url": value, "what": what}
        )
    return url


class HttpSinkConfig(SinkConfig):
    #: base URL of the service (scheme, host, port, optional path prefix)
    url: str = Field(min_length=1, max_length=2048)
    #: CA bundle to verify the server (default: the system's); ``verify = false`` skips it
    ca_file: ExistingFile = None
    verify: bool = True
    timeout_s: float = Field(default=10.0, gt=0, le=300)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        url = http_url(value)
        if url.query or url.fragment:
            raise PydanticCustomError(
                "url", "'{url}': give the base URL, without query or fragment", {"url": value}
            )
        return value.rstrip("/")

    def endpoint(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"

    def target(self) -> str:
        """The URL without user info, for status lines."""
        url = httpx.URL(self.url)
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.host}{port}{url.path.rstrip('/')}"

    def client(self, headers: dict[str, str]) -> httpx.AsyncClient:
        verify: ssl.SSLContext | bool = self.verify
        if self.verify and self.ca_file is not None:
            verify = ssl.create_default_context(cafile=str(self.ca_file))
        return httpx.AsyncClient(
            timeout=self.timeout_s, verify=verify, headers=headers, follow_redirects=False
        )


def check_status(answer: httpx.Response, what: str) -> None:
    """Raise unless the answer is 2xx (the start of its body in the message, on one line)."""
    if not 200 <= answer.status_code < 300:
        detail = answer.text[:200].replace("\n", " ")
        raise httpx.HTTPStatusError(
            f"{what} answered {answer.status_code}: {detail}",
            request=answer.request,
            response=answer,
        )


def json_body(answer: httpx.Response, what: str) -> Any:
    try:
        return answer.json()
    except ValueError as exc:
        raise DeliveryRefused(f"{what}: the answer is not JSON: {answer.text[:200]!r}") from exc

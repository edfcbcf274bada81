"""The ``taxii`` sink: STIX 2.1 objects added to a TAXII 2.1 collection (docs/sinks.md).

Each batch becomes the objects of :mod:`phantomnet.sinks.stix`, POSTed as TAXII envelopes
(``Content-Type: application/taxii+json;version=2.1``) to
``<api_root>/collections/<collection>/objects/``, split so no request body exceeds
``max_content_bytes``. The answer is a status resource; a ``pending`` one is polled at
``<api_root>/status/<id>/`` for up to ``status_timeout_s``. The batch counts as sent only
when every object is in the collection: a refused object is accepted only if the collection
already holds that id at that version (a server refuses a duplicate, e.g. an identity or
attack pattern sent with an earlier batch, or a batch retried after a partial success). Any
other failure raises, so the component retries the batch; ids being deterministic, a retry
adds nothing twice.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from phantomnet.errors import PhantomNetError
from phantomnet.events import Event
from phantomnet.sinks import stix
from phantomnet.sinks.base import ExistingFile, Sink, SinkConfig
from phantomnet.sinks.http import check_status, http_url

MEDIA_TYPE = "application/taxii+json;version=2.1"
#: ids asked at once when checking refused objects (``match[id]``, one URL)
ID_QUERY_CHUNK = 20
#: pages read at most per check (the server's page size times this bounds the objects read)
MAX_PAGES = 50


class TaxiiError(PhantomNetError):
    """The TAXII server refused objects or answered something that is not TAXII 2.1."""


class TaxiiConfig(stix.StixSinkConfig):
    #: the API root URL, e.g. ``https://taxii.example.net/api1/``
    api_root: str = Field(min_length=1, max_length=2048)
    #: the collection's ``id`` (as the server lists it)
    collection: str = Field(pattern=r"^[A-Za-z0-9._~-]{1,128}$")
    user: str | None = Field(default=None, min_length=1, max_length=256)
    password: SecretStr | None = Field(default=None, validate_default=True)
    #: a bearer token instead of user/password
    token: SecretStr | None = Field(default=None, validate_default=True)
    timeout_s: float = Field(default=30.0, gt=0, le=300)
    status_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    max_content_bytes: int = Field(default=10 * 1024 * 1024, ge=4096, le=1 << 31)
    verify: bool = True
    #: CA bundle that verifies the server (default: the system's)
    ca_file: ExistingFile = None

    @field_validator("api_root")
    @classmethod
    def _api_root(cls, value: str) -> str:
        if http_url(value, "an http(s) API root URL").query:
            raise PydanticCustomError(
                "url", "'{url}' is not an http(s) API root URL with a host", {"url": value}
            )
        return value if value.endswith("/") else value + "/"

    @field_validator("password")
    @classmethod
    def _password(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if (info.data.get("user") is None) != (value is None):
            raise PydanticCustomError("missing", "user and password go together")
        return value

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None and info.data.get("user") is not None:
            raise PydanticCustomError("auth", "either token or user/password, not both")
        return value


def envelopes(objs: Sequence[dict[str, Any]], limit: int) -> Iterator[list[dict[str, Any]]]:
    """``objs`` in envelopes whose JSON stays under ``limit`` bytes (one object may not fit)."""
    chunk: list[dict[str, Any]] = []
    size = len(b'{"objects":[]}')
    for obj in objs:
        n = len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()) + 1
        if chunk and size + n > limit:
            yield chunk
            chunk, size = [], len(b'{"objects":[]}')
        chunk.append(obj)
        size += n
    if chunk:
        yield chunk


class TaxiiSink(Sink):
    name = "taxii"
    Config = TaxiiConfig

    def __init__(self, config: SinkConfig, node: str) -> None:
        super().__init__(config, node)
        assert isinstance(config, TaxiiConfig)
        self.cfg = config
        self._client: httpx.AsyncClient | None = None

    def target(self) -> str:
        url = httpx.URL(self.cfg.api_root)
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.host}{port}{url.path} collection {self.cfg.collection}"

    @property
    def objects_url(self) -> str:
        return f"{self.cfg.api_root}collections/{self.cfg.collection}/objects/"

    def _open(self) -> httpx.AsyncClient:
        cfg = self.cfg
        headers = {"Accept": MEDIA_TYPE}
        auth: httpx.Auth | None = None
        if cfg.token is not None:
            headers["Authorization"] = f"Bearer {cfg.token.get_secret_value()}"
        elif cfg.user is not None and cfg.password is not None:
            auth = httpx.BasicAuth(cfg.user, cfg.password.get_secret_value())
        verify: str | bool = str(cfg.ca_file) if cfg.ca_file is not None else cfg.verify
        return httpx.AsyncClient(
            timeout=cfg.timeout_s,
            headers=headers,
            auth=auth,
            verify=verify,
            follow_redirects=False,
        )

    async def send(self, events: Sequence[Event]) -> None:
        objs = [json.loads(o.serialize()) for o in stix.objects(events)]
        if not objs:
            return
        if self._client is None:
            self._client = self._open()
        for chunk in envelopes(objs, self.cfg.max_content_bytes):
            status = await self._post(self._client, chunk)
            status = await self._settle(self._client, status)
            await self._check(self._client, status, chunk)

    async def _post(self, client: httpx.AsyncClient, chunk: list[dict[str, Any]]) -> dict[str, Any]:
        body = json.dumps({"objects": chunk}, separators=(",", ":"), ensure_ascii=False).encode()
        answer = await client.post(
            self.objects_url, content=body, headers={"Content-Type": MEDIA_TYPE}
        )
        return self._status_of(answer)

    def _status_of(self, answer: httpx.Response) -> dict[str, Any]:
        check_status(answer, self.target())
        try:
            status = answer.json()
        except ValueError as exc:
            raise TaxiiError(f"{self.target()}: the answer is not JSON") from exc
        if not isinstance(status, dict) or not isinstance(status.get("status"), str):
            raise TaxiiError(f"{self.target()}: the answer is not a TAXII status resource")
        return status

    async def _settle(self, client: httpx.AsyncClient, status: dict[str, Any]) -> dict[str, Any]:
        """Poll a pending status until it completes (bounded by ``status_timeout_s``)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.cfg.status_timeout_s
        delay = 0.1
        while status["status"] == "pending":
            if loop.time() >= deadline:
                raise TaxiiError(
                    f"{self.target()}: status {status.get('id')} still pending after "
                    f"{self.cfg.status_timeout_s:g} s"
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
            answer = await client.get(f"{self.cfg.api_root}status/{status.get('id')}/")
            status = self._status_of(answer)
        return status

    async def _check(
        self, client: httpx.AsyncClient, status: dict[str, Any], chunk: list[dict[str, Any]]
    ) -> None:
        """Raise unless every object of ``chunk`` is in the collection."""
        if status["status"] != "complete":
            raise TaxiiError(f"{self.target()}: status {status['status']!r}")
        failed = int(status.get("failure_count") or 0)
        if not failed:
            success = status.get("success_count")
            if isinstance(success, int) and success + int(status.get("pending_count") or 0) < len(
                chunk
            ):
                raise TaxiiError(f"{self.target()}: {success} of {len(chunk)} objects added")
            return
        failures = [f for f in status.get("failures") or [] if isinstance(f, dict)]
        ids = sorted({str(f["id"]) for f in failures if isinstance(f.get("id"), str)})
        if len(ids) < failed:
            raise TaxiiError(f"{self.target()}: {failed} objects refused, without details")
        ours = {o["id"]: o.get("modified") for o in chunk}
        stored = await self._stored(client, ids)
        missing = [i for i in ids if i not in ours or ours[i] not in stored.get(i, set())]
        if missing:
            why = next((f.get("message") for f in failures if f.get("id") == missing[0]), None)
            raise TaxiiError(
                f"{self.target()}: {len(missing)} of {len(chunk)} objects refused "
                f"(first: {missing[0]}: {why or 'no message'})"
            )

    async def _stored(self, client: httpx.AsyncClient, ids: list[str]) -> dict[str, set[Any]]:
        """Versions (``modified``, None for unversioned objects) the collection holds per id."""
        out: dict[str, set[Any]] = {}
        for start in range(0, len(ids), ID_QUERY_CHUNK):
            params: dict[str, str] = {
                "match[id]": ",".join(ids[start : start + ID_QUERY_CHUNK]),
                "match[version]": "all",
            }
            for _ in range(MAX_PAGES):
                answer = await client.get(self.objects_url, params=params)
                if answer.status_code == 404:
                    break  # TAXII: no object matched
                if answer.status_code != 200:
                    raise TaxiiError(f"{self.target()}: reading objects back: {answer.status_code}")
                page = answer.json()
                for obj in page.get("objects") or []:
                    out.setdefault(obj["id"], set()).add(obj.get("modified"))
                if not page.get("more") or not page.get("next"):
                    break
                params["next"] = str(page["next"])
        return out

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

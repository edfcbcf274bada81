"""The ``elasticsearch`` sink: ECS documents through the ``_bulk`` API, idempotent.

Each batch is one ``POST {url}/_bulk`` of NDJSON ``create`` actions whose ``_id`` is the
event id, so a batch sent again never indexes an event twice: Elasticsearch answers 409
``version_conflict_engine_exception`` for an id it has, which counts as delivered, as does
201. Any other item error (429 rejected, a mapping error...) or a non-2xx answer raises, and
the component sends the batch again; items already taken are not resent while it retries.
``install_template = true`` puts the shipped index template (``sinks/data``) with
``PUT _index_template/<template_name>`` once, before the first batch.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

import httpx
from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from phantomnet.events import Event
from phantomnet.sinks.base import Sink, SinkConfig
from phantomnet.sinks.ecs import to_ecs
from phantomnet.sinks.http import DeliveryRefused, HttpSinkConfig, check_status, json_body

TEMPLATE_FILE = "ecs_index_template.json"
#: 409 with this error type: the document with that _id exists (already delivered)
CONFLICT = "version_conflict_engine_exception"
_BAD_INDEX_CHARS = set('\\/*?"<>| ,#:')


class ElasticsearchConfig(HttpSinkConfig):
    #: the index or data stream written to (data streams need a matching template)
    index: str = Field(default="phantomnet-events", min_length=1, max_length=255)
    #: the shipped template makes ``index`` a data stream (else a plain index)
    data_stream: bool = False
    install_template: bool = False
    template_name: str = Field(default="phantomnet-events", min_length=1, max_length=255)
    #: basic auth, or ``api_key`` (the base64 ``id:key`` that Elasticsearch returns as
    #: ``encoded``), not both
    username: str | None = Field(default=None, min_length=1, max_length=1024)
    password: SecretStr | None = Field(default=None, validate_default=True)
    api_key: SecretStr | None = Field(default=None, validate_default=True)

    @field_validator("index", "template_name")
    @classmethod
    def _index(cls, value: str) -> str:
        if (
            value != value.lower()
            or value[0] in "-_+"
            or value in (".", "..")
            or _BAD_INDEX_CHARS & set(value)
        ):
            raise PydanticCustomError(
                "index",
                "'{value}' is not an Elasticsearch index name (lower case, no \\ / * ? \" < > "
                "| , # : or space, not starting with - _ +)",
                {"value": value},
            )
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if info.data.get("username") and (value is None or not value.get_secret_value()):
            raise PydanticCustomError("missing", "required with username")
        if value is not None and not info.data.get("username"):
            raise PydanticCustomError("extra", "given without username")
        return value

    @field_validator("api_key")
    @classmethod
    def _api_key(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is not None and info.data.get("username"):
            raise PydanticCustomError("conflict", "give username/password or api_key, not both")
        if value is not None and not value.get_secret_value():
            raise PydanticCustomError("missing", "empty")
        return value

    def auth_header(self) -> dict[str, str]:
        if self.api_key is not None:
            return {"Authorization": f"ApiKey {self.api_key.get_secret_value()}"}
        if self.username and self.password is not None:
            pair = f"{self.username}:{self.password.get_secret_value()}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return {}


def index_template(index: str, *, data_stream: bool) -> dict[str, Any]:
    """The shipped template, for ``index`` (and its rollovers)."""
    raw = resources.files("phantomnet.sinks").joinpath("data", TEMPLATE_FILE).read_text()
    template: dict[str, Any] = json.loads(raw)
    template["index_patterns"] = [index if data_stream else f"{index}*"]
    if data_stream:
        template["data_stream"] = {}
    return template


def bulk_body(events: Sequence[Event], index: str) -> bytes:
    """NDJSON: a ``create`` action with ``_id`` = event id, then the ECS document, per event."""
    lines = []
    for event in events:
        action = {"create": {"_index": index, "_id": str(event.event_id)}}
        lines.append(json.dumps(action, separators=(",", ":")))
        lines.append(json.dumps(to_ecs(event), separators=(",", ":"), ensure_ascii=False))
    return ("\n".join(lines) + "\n").encode()


def delivered(item: dict[str, Any]) -> bool:
    """201/200 created, or 409 because that _id is already there."""
    status = item.get("status")
    if isinstance(status, int) and 200 <= status < 300:
        return True
    error = item.get("error")
    return status == 409 and isinstance(error, dict) and error.get("type") == CONFLICT


class ElasticsearchSink(Sink):
    name = "elasticsearch"
    Config = ElasticsearchConfig

    def __init__(self, config: SinkConfig, node: str) -> None:
        super().__init__(config, node)
        assert isinstance(config, ElasticsearchConfig)
        self.cfg = config
        self._client: httpx.AsyncClient | None = None
        self._template_done = not config.install_template
        #: ids taken in the batch being retried: a retry resends only the others
        self._done: set[str] = set()

    def target(self) -> str:
        return f"{self.cfg.target()} index={self.cfg.index}"

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = self.cfg.client(self.cfg.auth_header())
        return self._client

    async def install_template(self) -> None:
        """``PUT _index_template/<name>`` (raises unless 2xx)."""
        body = index_template(self.cfg.index, data_stream=self.cfg.data_stream)
        url = self.cfg.endpoint(f"_index_template/{self.cfg.template_name}")
        answer = await self._http().put(url, json=body)
        check_status(answer, f"{self.cfg.target()} PUT _index_template/{self.cfg.template_name}")
        self._template_done = True

    async def send(self, events: Sequence[Event]) -> None:
        if not self._template_done:
            await self.install_template()
        ids = {str(e.event_id) for e in events}
        self._done &= ids
        todo = [e for e in events if str(e.event_id) not in self._done]
        if not todo:
            self._done.clear()
            return
        what = f"{self.cfg.target()} _bulk"
        answer = await self._http().post(
            self.cfg.endpoint("_bulk"),
            content=bulk_body(todo, self.cfg.index),
            headers={"Content-Type": "application/x-ndjson"},
        )
        check_status(answer, what)
        result = json_body(answer, what)
        items = result.get("items") if isinstance(result, dict) else None
        if not isinstance(items, list) or len(items) != len(todo):
            raise DeliveryRefused(f"{what}: {len(todo)} actions but the answer lists other items")
        failed: list[str] = []
        for event, entry in zip(todo, items, strict=True):
            item = entry.get("create") if isinstance(entry, dict) else None
            if not isinstance(item, dict) or item.get("_id") not in (None, str(event.event_id)):
                raise DeliveryRefused(f"{what}: answer items do not match the actions")
            if delivered(item):
                self._done.add(str(event.event_id))
            else:
                error = item.get("error")
                reason = error.get("type", error) if isinstance(error, dict) else error
                failed.append(f"{item.get('status')} {reason}")
        if failed:
            raise DeliveryRefused(
                f"{what}: {len(failed)} of {len(todo)} refused (first: {failed[0]})"
            )
        self._done.clear()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

"""The ``splunk_hec`` sink: the Splunk HTTP Event Collector.

A batch is one ``POST {url}/services/collector/event`` with ``Authorization: Splunk
<token>`` and the events' HEC objects concatenated: ``{"time", "host", "source",
"sourcetype", "index", "event", "fields"}`` each, ``event`` being the ECS document
(``format = "ecs"``) or the PhantomNet event (``"json"``), ``fields`` the indexed fields
(event_id, kind, rule, severity, src, dst...). A non-2xx answer, or a JSON answer whose
``code`` is not 0, raises: the batch is sent again. HEC has no idempotency key: a batch
Splunk half-took before failing is indexed again in part; searches deduplicate on
``event_id`` (``| dedup event_id``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr, field_validator
from pydantic_core import PydanticCustomError

from phantomnet.events import Event
from phantomnet.sinks.base import Sink, SinkConfig
from phantomnet.sinks.ecs import to_ecs
from phantomnet.sinks.formats import fields
from phantomnet.sinks.http import DeliveryRefused, HttpSinkConfig, check_status, json_body

COLLECTOR = "services/collector/event"


class SplunkHecConfig(HttpSinkConfig):
    #: the HEC token (required)
    token: SecretStr
    format: Literal["ecs", "json"] = "ecs"
    #: empty: the token's default index
    index: str | None = Field(default=None, min_length=1, max_length=80)
    source: str = Field(default="phantomnet", min_length=1, max_length=256)
    #: default ``phantomnet:ecs`` or ``phantomnet:event`` by format
    sourcetype: str | None = Field(default=None, min_length=1, max_length=256)
    #: default: the node that saw the event (``sensor.node``)
    host: str | None = Field(default=None, min_length=1, max_length=256)

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value()
        if not token.strip() or any(c.isspace() for c in token):
            raise PydanticCustomError("token", "the HEC token is empty or has white space")
        return value


def hec_event(event: Event, cfg: SplunkHecConfig) -> dict[str, Any]:
    """One HEC event object."""
    payload = to_ecs(event) if cfg.format == "ecs" else event.model_dump(mode="json")
    out: dict[str, Any] = {
        "time": round(event.occurred_at.timestamp(), 6),
        "host": cfg.host or event.sensor.node,
        "source": cfg.source,
        "sourcetype": cfg.sourcetype or f"phantomnet:{'ecs' if cfg.format == 'ecs' else 'event'}",
    }
    if cfg.index:
        out["index"] = cfg.index
    out["event"] = payload
    out["fields"] = fields(event)
    return out


def hec_body(events: Sequence[Event], cfg: SplunkHecConfig) -> bytes:
    """The batch: HEC objects back to back (HEC's batch form)."""
    return "".join(
        json.dumps(hec_event(e, cfg), separators=(",", ":"), ensure_ascii=False) for e in events
    ).encode()


class SplunkHecSink(Sink):
    name = "splunk_hec"
    Config = SplunkHecConfig

    def __init__(self, config: SinkConfig, node: str) -> None:
        super().__init__(config, node)
        assert isinstance(config, SplunkHecConfig)
        self.cfg = config
        self._client: httpx.AsyncClient | None = None

    def target(self) -> str:
        return f"{self.cfg.target()}/{COLLECTOR} ({self.cfg.format})"

    async def send(self, events: Sequence[Event]) -> None:
        if self._client is None:
            auth = {"Authorization": f"Splunk {self.cfg.token.get_secret_value()}"}
            self._client = self.cfg.client(auth)
        what = f"{self.cfg.target()} HEC"
        answer = await self._client.post(
            self.cfg.endpoint(COLLECTOR),
            content=hec_body(events, self.cfg),
            headers={"Content-Type": "application/json"},
        )
        check_status(answer, what)
        result = json_body(answer, what)
        code = result.get("code") if isinstance(result, dict) else None
        if code != 0:
            text = result.get("text") if isinstance(result, dict) else result
            raise DeliveryRefused(f"{what}: code {code}: {text}")

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

"""The ``webhook`` sink: one HTTP POST per event.

``format = "json"`` posts the event itself (it carries ``event_id``, the receiver's
idempotency key) signed with ``X-PhantomNet-Signature: sha256=<hex HMAC-SHA256 of the body>``
under ``secret``; ``"slack"`` posts an incoming-webhook message (``text`` + ``blocks``) and
``"teams"`` a MessageCard, both naming the event id. Any answer but 2xx is a failure: the
event is posted again after a backoff.

With an ``[sinks.<name>.alert]`` block the sink posts alerts and digests instead of events
(:mod:`phantomnet.sinks.alerting`), worded by :mod:`phantomnet.sinks.alert_text` like the
email sink's: Slack ``text`` + ``blocks``, a Teams MessageCard with facts and links, or a
signed JSON document (``{"type": "alert"|"digest", ...}``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from phantomnet.events import Event
from phantomnet.sinks.alert_text import AlertText, render
from phantomnet.sinks.alerting import Alert, AlertingSinkConfig, Message
from phantomnet.sinks.base import Sink, SinkConfig
from phantomnet.sinks.formats import fields
from phantomnet.sinks.http import check_status, http_url

SIGNATURE_HEADER = "X-PhantomNet-Signature"
THEME = {"critical": "8B0000", "high": "D9534F", "medium": "F0AD4E", "low": "5BC0DE"}


class WebhookConfig(AlertingSinkConfig):
    url: str = Field(min_length=1, max_length=2048)
    format: Literal["json", "slack", "teams"] = "json"
    #: HMAC key of the signature header; required for ``json`` (receivers must verify)
    secret: SecretStr | None = Field(default=None, validate_default=True)
    headers: dict[str, str] = {}
    timeout_s: float = Field(default=10.0, gt=0, le=300)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        http_url(value)
        return value

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if info.data.get("format") == "json" and (value is None or not value.get_secret_value()):
            raise PydanticCustomError("missing", "required for format 'json' (it signs every body)")
        return value


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def _title(event: Event) -> str:
    summary = getattr(event, "summary", None)
    severity = getattr(event, "severity", None)
    head = f"[{severity}] " if severity else ""
    return f"{head}{summary or event.kind}"


def slack(event: Event) -> dict[str, Any]:
    facts = fields(event)
    lines = "\n".join(f"*{k}*: `{v}`" for k, v in facts.items())
    return {
        "text": f"PhantomNet: {_title(event)}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": _title(event)[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": lines}},
        ],
    }


def teams(event: Event) -> dict[str, Any]:
    facts = fields(event)
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": _title(event),
        "themeColor": THEME.get(facts.get("severity", ""), "777777"),
        "title": f"PhantomNet: {_title(event)}",
        "sections": [{"facts": [{"name": k, "value": v} for k, v in facts.items()]}],
    }


def slack_alert(text: AlertText) -> dict[str, Any]:
    return {
        "text": text.title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": text.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": text.mrkdwn()[:3000]}},
        ],
    }


def teams_alert(text: AlertText) -> dict[str, Any]:
    section: dict[str, Any] = {
        "facts": [{"name": k, "value": v} for k, v in text.facts if k != "Dashboard"]
    }
    if text.lines:
        section["text"] = "\n\n".join(text.lines)
    card: dict[str, Any] = {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": text.title,
        "themeColor": THEME.get(text.severity or "", "777777"),
        "title": text.title,
        "sections": [section],
    }
    if text.links:
        card["potentialAction"] = [
            {"@type": "OpenUri", "name": f"Open {name}", "targets": [{"os": "default", "uri": u}]}
            for name, u in text.links.items()
        ]
    return card


def json_alert(message: Message, text: AlertText) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "alert" if isinstance(message, Alert) else "digest",
        "title": text.title,
        "severity": text.severity,
        "facts": dict(text.facts),
        "lines": list(text.lines),
        "links": text.links,
        "events": message.events,
    }
    if isinstance(message, Alert):
        doc["event"] = message.event.model_dump(mode="json")
        doc["repeats"] = message.repeats
    return doc


class WebhookSink(Sink):
    name = "webhook"
    Config = WebhookConfig

    def __init__(self, config: SinkConfig, node: str) -> None:
        super().__init__(config, node)
        assert isinstance(config, WebhookConfig)
        self.cfg = config
        self._client: httpx.AsyncClient | None = None
        #: ids posted in the batch being retried: a retry goes on where it failed
        self._done: set[str] = set()

    def target(self) -> str:
        url = httpx.URL(self.cfg.url)
        port = f":{url.port}" if url.port else ""
        alerts = ", alerts" if self.cfg.alert is not None else ""
        return f"{url.scheme}://{url.host}{port}{url.path} ({self.cfg.format}{alerts})"

    def body(self, event: Event) -> bytes:
        if self.cfg.format == "slack":
            doc: dict[str, Any] = slack(event)
        elif self.cfg.format == "teams":
            doc = teams(event)
        else:
            doc = event.model_dump(mode="json")
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()

    def alert_body(self, message: Message) -> bytes:
        text = render(message, self.cfg.alert)
        if self.cfg.format == "slack":
            doc = slack_alert(text)
        elif self.cfg.format == "teams":
            doc = teams_alert(text)
        else:
            doc = json_alert(message, text)
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()

    async def send_alert(self, message: Message) -> None:
        await self._post(self.alert_body(message))

    async def _post(self, body: bytes) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.cfg.timeout_s, follow_redirects=False)
        answer = await self._client.post(self.cfg.url, content=body, headers=self.headers(body))
        check_status(answer, self.target())

    def headers(self, body: bytes) -> dict[str, str]:
        out = {**self.cfg.headers, "Content-Type": "application/json"}
        if self.cfg.secret is not None:
            out[SIGNATURE_HEADER] = sign(self.cfg.secret.get_secret_value().encode(), body)
        return out

    async def send(self, events: Sequence[Event]) -> None:
        ids = {str(e.event_id) for e in events}
        self._done &= ids  # progress is kept only while the same batch is retried
        for event in events:
            key = str(event.event_id)
            if key in self._done:
                continue
            await self._post(self.body(event))
            self._done.add(key)
        self._done.clear()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

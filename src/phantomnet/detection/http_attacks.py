"""``http_sqli``, ``http_traversal``, ``http_cmd_injection``, ``http_xxe`` and ``http_flood``
from the HTTP honeypot's ``http.request`` events.

What a request *is* comes first from the tags the emulation put on it (it knows that the
``id`` went into SQL, that ``ip`` reached the shell); requests without tags (a 404 carrying a
payload, a probe of a page that does not exist) go through the shared pure classifier
``phantomnet.analyzers.web``. Findings are counted per
(source, rule) inside a sliding window: the first one fires, then every ``repeat_every``
further one, so sqlmap's hundreds of requests make a handful of detections, each citing the
latest event ids as evidence. ``http_flood`` counts all requests per source per window.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import Field

from phantomnet.analyzers.web import classify
from phantomnet.detection import catalogue
from phantomnet.detection.base import Detector, DetectorConfig, RecentEvidence, WindowCounter
from phantomnet.events import Detection, Event, HttpRequest

TAG_RULES = {"sqli": "http_sqli", "traversal": "http_traversal",
             "cmd_injection": "http_cmd_injection", "xxe": "http_xxe"}  # fmt: skip
WORDS = {"http_sqli": "SQL injection", "http_traversal": "path traversal",
         "http_cmd_injection": "command injection",
         "http_xxe": "XML external entity (XXE)"}  # fmt: skip


class HttpAttacksConfig(DetectorConfig):
    window_s: float = Field(default=600, gt=0)
    repeat_every: int = Field(default=50, ge=1)
    flood_threshold: int = Field(default=600, ge=2)
    flood_window_s: float = Field(default=60, gt=0)
    use_classifier: bool = True


class HttpAttacks(Detector):
    name: ClassVar[str] = "http_attacks"
    Config: ClassVar[type[DetectorConfig]] = HttpAttacksConfig
    consumes: ClassVar[frozenset[str]] = frozenset({"http.request"})
    reports: ClassVar[tuple[str, ...]] = (*WORDS, "http_flood")

    def __init__(self, config: DetectorConfig, node: str) -> None:
        super().__init__(config, node)
        assert isinstance(config, HttpAttacksConfig)
        self.cfg = config
        self.hits = WindowCounter(timedelta(seconds=config.window_s))
        self.requests = WindowCounter(timedelta(seconds=config.flood_window_s))
        self.evidence = RecentEvidence()
        self.classify = classify if config.use_classifier else None

    def rules(self, event: HttpRequest) -> list[str]:
        """The attack rules one request matches: its tags, else the classifier's findings."""
        found = [TAG_RULES[t] for t in event.tags if t in TAG_RULES]
        if found or event.tags or self.classify is None:
            return found
        findings = self.classify(event.method, event.path, event.query, event.body_excerpt)
        return [f.rule for f in findings if f.rule in WORDS]

    def observe(self, event: Event) -> list[Detection]:
        if not isinstance(event, HttpRequest) or event.src is None:
            return []
        if self.cfg.allowed(event.src.ip):
            return []
        out = [d for rule in self.rules(event) if (d := self._count(event, rule)) is not None]
        flood = self._flood(event)
        return [*out, flood] if flood is not None else out

    def _count(self, event: HttpRequest, rule: str) -> Detection | None:
        assert event.src is not None
        key = f"{event.src.ip}|{rule}"
        count = self.hits.add(key, event.occurred_at)
        refs = self.evidence.add(key, f"event:{event.event_id}")
        if count != 1 and count % self.cfg.repeat_every:
            return None
        where = f"{event.path}?{event.query}" if event.query else event.path
        return self._detection(event, rule, key, count, refs,
                               f"{WORDS[rule]} attempt on {where}"[:300])  # fmt: skip

    def _flood(self, event: HttpRequest) -> Detection | None:
        assert event.src is not None
        key = f"{event.src.ip}|http_flood"
        count = self.requests.add(key, event.occurred_at)
        if count % self.cfg.flood_threshold:
            return None
        refs = self.evidence.add(key, f"event:{event.event_id}")
        summary = f"{count} HTTP requests in {self.cfg.flood_window_s:g}s"
        return self._detection(event, "http_flood", key, count, refs, summary, self.requests)

    def _detection(self, event: HttpRequest, rule: str, key: str, count: int,
                   refs: tuple[str, ...], summary: str,
                   counter: WindowCounter | None = None) -> Detection:  # fmt: skip
        first = (counter or self.hits).first(key) or event.occurred_at
        return self.detection(
            rule=rule, protocol="https" if event.tls else "http", src=event.src,
            target=event.dst, first_seen=first, last_seen=event.occurred_at, count=count,
            summary=summary, evidence=refs, severity=catalogue.rule(rule).severity,
        )  # fmt: skip

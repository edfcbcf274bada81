"""The alert policy of chat and email sinks: dedupe, throttle, digest (docs/sinks.md, Alerting).

An alert-enabled sink (``[sinks.<name>.alert]``; the ``email`` sink always) is not handed
raw events but :class:`Alert` and :class:`Digest` messages made by :class:`AlertPolicy`:

* **dedupe**: the first event of a *key* (rule + source address) opens a window of
  ``dedupe_window_s``; later events of the key inside it are counted, not alerted. When the
  window ends with repeats, one follow-up alert carries the count (or the next alert of the
  key does, if it comes first).
* **throttle**: at most ``max_per_hour`` messages per sink in any hour; an alert over the
  budget goes into the pending digest (counted, never dropped), which is sent as soon as the
  budget allows.
* **digest mode** (``digest_s`` > 0): every alert goes into the digest, sent as one message
  ``digest_s`` after its first entry (and when the budget allows).

Every message names the *tickets* it covers (``Counter`` of caller tokens, one per event):
the component acknowledges a bus batch only once the messages covering all its events are
sent, so an alert pending in a digest keeps its events un-acked (redelivered after a crash).

State is bounded by ``max_keys``: dedupe keys (oldest window evicted first, its repeats sent
as a follow-up at once), digest entries (beyond the bound: one "other" counter) and the
remembered blocks (least recently seen dropped). The clock is injectable (``clock``).
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from phantomnet.events import Event
from phantomnet.sinks.base import SinkConfig
from phantomnet.sinks.http import http_url

HOUR_S = 3600.0
#: what an alert sink forwards when its section does not say (``kinds``, ``min_severity``)
ALERT_KINDS: tuple[str, ...] = ("detection", "honeytoken.triggered", "response.block")
ALERT_MIN_SEVERITY = "high"
#: the dashboard's pages (web/src/App.tsx routes)
ATTACKER_PAGE = "/attackers/{ip}"
EVENT_PAGE = "/events/{event_id}"


class AlertConfig(BaseModel):
    """``[sinks.<name>.alert]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: same rule + same source within this many seconds: one alert (0 = no dedupe)
    dedupe_window_s: float = Field(default=300.0, ge=0, le=86_400)
    #: messages (alerts and digests) per hour and sink; the excess goes into the digest
    max_per_hour: int = Field(default=30, ge=1, le=100_000)
    #: digest mode: one summary message per this many seconds (0 = one message per alert)
    digest_s: float = Field(default=0.0, ge=0, le=86_400)
    #: base URL of the dashboard (``https://pn.example.net``): alerts link to its pages
    dashboard_url: str | None = Field(default=None, max_length=1024)
    #: bound of each piece of state (dedupe keys, digest entries, remembered blocks)
    max_keys: int = Field(default=10_000, ge=1, le=1_000_000)
    #: alerts listed one by one in a digest (the rest are counted per rule)
    digest_lines: int = Field(default=50, ge=1, le=1000)

    @field_validator("dashboard_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        http_url(value)
        return value.rstrip("/")


class AlertingSinkConfig(SinkConfig):
    """A sink config with an optional ``alert`` block; with it, the filters default to the
    alert-worthy set (``ALERT_KINDS``, ``min_severity = "high"``) unless the section sets them."""

    #: the sink always alerts (email): the block defaults to ``{}`` instead of off
    alert_always: ClassVar[bool] = False
    alert: AlertConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _alert_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if cls.alert_always and data.get("alert") is None:
            data = {**data, "alert": {}}
        if data.get("alert") is not None:
            data = {"kinds": ALERT_KINDS, "min_severity": ALERT_MIN_SEVERITY, **data}
        return data


# --- messages -------------------------------------------------------------------------


def _src(event: Event) -> str:
    if event.kind == "response.block":
        return str(getattr(event, "target", "-"))
    return event.src.ip if event.src is not None else "-"


def rule_of(event: Event) -> str:
    """The dedupe rule of an event: a detection's rule, else its kind."""
    if event.kind == "detection":
        return str(getattr(event, "rule", event.kind))
    return event.kind


def key_of(event: Event) -> tuple[str, str]:
    """(rule, source address): the dedupe key."""
    return rule_of(event), _src(event)


@dataclass
class Alert:
    """One alert: ``event`` (the latest of its key), ``repeats`` further events of the key
    folded into it, and the block PhantomNet applied to the source, if one was seen."""

    event: Event
    repeats: int = 0
    #: the first event of the repeats was at (None: no repeats)
    since: datetime | None = None
    followup: bool = False
    block: Event | None = None
    tickets: Counter[int] = field(default_factory=Counter)

    @property
    def events(self) -> int:
        return self.repeats + 1

    @property
    def key(self) -> tuple[str, str]:
        return key_of(self.event)


@dataclass
class DigestEntry:
    """The alerts of one key collected in a digest."""

    first: Alert
    alerts: int = 1
    events: int = 1
    block: Event | None = None


@dataclass
class Digest:
    """One summary message: ``entries`` per key; ``other_events`` beyond the state bound."""

    started_at: datetime
    entries: list[DigestEntry] = field(default_factory=list)
    other_events: int = 0
    #: alerts that went to the digest only because of the hourly budget
    throttled: int = 0
    tickets: Counter[int] = field(default_factory=Counter)

    @property
    def events(self) -> int:
        return sum(e.events for e in self.entries) + self.other_events


Message = Alert | Digest


def dashboard_links(base: str | None, event: Event) -> dict[str, str]:
    """``attacker`` and ``event`` page URLs of ``event`` on the dashboard at ``base``."""
    if not base:
        return {}
    out: dict[str, str] = {}
    src = _src(event)
    if src != "-" and "/" not in src:  # a blocked network has no attacker page
        out["attacker"] = base + ATTACKER_PAGE.format(ip=quote(src, safe=""))
    out["event"] = base + EVENT_PAGE.format(event_id=event.event_id)
    return out


# --- the policy -----------------------------------------------------------------------


@dataclass
class _Key:
    window_end: float
    repeats: int = 0
    since: datetime | None = None
    last: Event | None = None
    tickets: Counter[int] = field(default_factory=Counter)


class AlertPolicy:
    """Turns alert-worthy events into messages (see the module docstring).

    ``offer`` takes an event with its ticket; ``due`` returns the messages to send now (the
    caller sends each and then releases its tickets); ``next_due`` says when to call ``due``
    again without a new event. Nothing is ever dropped: ``pending_events`` counts what is
    held (in dedupe windows and the digest).
    """

    def __init__(self, cfg: AlertConfig, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg = cfg
        self.clock = clock
        self._keys: OrderedDict[tuple[str, str], _Key] = OrderedDict()
        self._blocks: OrderedDict[str, Event] = OrderedDict()
        self._sent: deque[float] = deque()
        self._ready: deque[Message] = deque()
        self._digest: OrderedDict[tuple[str, str], DigestEntry] = OrderedDict()
        self._digest_other = 0
        self._digest_throttled = 0
        self._digest_tickets: Counter[int] = Counter()
        self._digest_due: float | None = None
        self._digest_started: datetime | None = None
        #: counters for status lines
        self.alerts = self.digests = self.deduped = self.throttled = 0

    # state sizes (bounded by max_keys each)
    @property
    def pending_events(self) -> int:
        held = sum(k.repeats for k in self._keys.values())
        held += sum(e.events for e in self._digest.values()) + self._digest_other
        return held + sum(m.events for m in self._ready)

    def sizes(self) -> dict[str, int]:
        """How much state is held (each bounded by ``max_keys``)."""
        return {"keys": len(self._keys), "digest": len(self._digest), "blocks": len(self._blocks)}

    def observe(self, event: Event) -> None:
        """Remember a block (any ``response.block`` the sink reads, alert-worthy or not)."""
        if event.kind == "response.block":
            target = str(getattr(event, "target", ""))
            self._blocks[target] = event
            self._blocks.move_to_end(target)
            while len(self._blocks) > self.cfg.max_keys:
                self._blocks.popitem(last=False)

    def block_for(self, event: Event) -> Event | None:
        if event.kind == "response.block":
            return event
        return self._blocks.get(_src(event))

    def offer(self, event: Event, ticket: int) -> None:
        """One alert-worthy event (``ticket``: the caller's token for its acknowledgement)."""
        now = self.clock()
        self.observe(event)
        key = key_of(event)
        state = self._keys.get(key)
        if state is not None and now >= state.window_end:
            del self._keys[key]  # its window is over: this alert carries its repeats
        self._expire(now)
        if state is not None and now < state.window_end:
            if state.repeats == 0:
                state.since = event.occurred_at
            state.repeats += 1
            state.last = event
            state.tickets[ticket] += 1
            self.deduped += 1
            return
        alert = Alert(event=event, block=self.block_for(event))
        alert.tickets[ticket] += 1
        if state is not None:  # expired, its repeats not sent yet: this alert carries them
            alert.repeats, alert.since = state.repeats, state.since
            alert.tickets.update(state.tickets)
        if self.cfg.dedupe_window_s > 0:
            self._keys[key] = _Key(window_end=now + self.cfg.dedupe_window_s)
            while len(self._keys) > self.cfg.max_keys:
                _, old = self._keys.popitem(last=False)
                self._followup(old)
        self._route(alert, now)

    def _followup(self, state: _Key) -> None:
        if state.repeats and state.last is not None:
            alert = Alert(
                event=state.last,
                repeats=state.repeats - 1,
                since=state.since,
                followup=True,
                block=self.block_for(state.last),
                tickets=state.tickets,
            )
            self._route(alert, self.clock())

    def _expire(self, now: float) -> None:
        while self._keys:
            key, state = next(iter(self._keys.items()))
            if state.window_end > now:
                break
            del self._keys[key]
            self._followup(state)

    def _budget(self, now: float) -> bool:
        while self._sent and self._sent[0] + HOUR_S <= now:
            self._sent.popleft()
        return len(self._sent) < self.cfg.max_per_hour

    def _route(self, alert: Alert, now: float) -> None:
        if self.cfg.digest_s == 0:
            self._flush_digest(now)  # what the budget held back goes first
        if self.cfg.digest_s == 0 and self._budget(now) and not self._digest:
            self._sent.append(now)
            self._ready.append(alert)
            self.alerts += 1
            return
        if self.cfg.digest_s == 0:
            self.throttled += 1
            self._digest_throttled += 1
        self._to_digest(alert, now)

    def _to_digest(self, alert: Alert, now: float) -> None:
        if self._digest_started is None:
            self._digest_started = datetime.now(UTC)
            self._digest_due = now + self.cfg.digest_s
        self._digest_tickets.update(alert.tickets)
        entry = self._digest.get(alert.key)
        if entry is not None:
            entry.alerts += 1
            entry.events += alert.events
        elif len(self._digest) < self.cfg.max_keys:
            self._digest[alert.key] = DigestEntry(first=alert, events=alert.events)
        else:
            self._digest_other += alert.events

    def _flush_digest(self, now: float) -> None:
        if not self._digest and not self._digest_other:
            return
        if self._digest_due is not None and now < self._digest_due:
            return
        if not self._budget(now):
            return
        assert self._digest_started is not None
        entries = list(self._digest.values())
        for entry in entries:
            entry.block = self.block_for(entry.first.event)
        digest = Digest(
            started_at=self._digest_started,
            entries=entries,
            other_events=self._digest_other,
            throttled=self._digest_throttled,
            tickets=self._digest_tickets,
        )
        self._digest = OrderedDict()
        self._digest_other = self._digest_throttled = 0
        self._digest_tickets = Counter()
        self._digest_due = self._digest_started = None
        self._sent.append(now)
        self._ready.append(digest)
        self.digests += 1

    def due(self) -> list[Message]:
        """Messages to send now (in order); each must be sent before its tickets are done."""
        now = self.clock()
        self._expire(now)
        self._flush_digest(now)
        out = list(self._ready)
        self._ready.clear()
        return out

    def next_due(self) -> float | None:
        """Clock time at which ``due`` may have something without a new event (None: never)."""
        if self._ready:
            return self.clock()
        times: list[float] = []
        for state in self._keys.values():  # oldest window first
            times.append(state.window_end)
            break
        if self._digest or self._digest_other:
            due = self._digest_due if self._digest_due is not None else self.clock()
            if len(self._sent) >= self.cfg.max_per_hour and self._sent:
                due = max(due, self._sent[0] + HOUR_S)
            times.append(due)
        return min(times) if times else None

"""What an alert says, once for every channel (email, Slack, Teams): :func:`render`.

An alert names what happened (rule and summary), who (the source address), where (door or
protocol, destination, node), what PhantomNet did (the block it applied to the source, if
one was seen) and links to the dashboard's attacker and event pages. Channels differ only in
markup: :meth:`AlertText.plain`, :meth:`AlertText.html`, :meth:`AlertText.mrkdwn`.

Event text fields are attacker-controlled (already escaped to printable text by the event
model); ``html`` and ``mrkdwn`` escape them again for their markup.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field

from phantomnet.events import Event
from phantomnet.sinks.alerting import (
    Alert,
    AlertConfig,
    Digest,
    Message,
    dashboard_links,
    rule_of,
)
from phantomnet.sinks.base import SEVERITY_RANK

#: one line per fact, in this order
LABELS = ("What", "Who", "Where", "Action", "Repeats", "When", "Event", "Dashboard")


@dataclass(frozen=True)
class AlertText:
    title: str
    severity: str | None
    facts: tuple[tuple[str, str], ...]
    #: digest: one line per listed alert
    lines: tuple[str, ...] = ()
    links: dict[str, str] = field(default_factory=dict)

    def plain(self) -> str:
        out = [self.title, ""]
        width = max((len(k) for k, _ in self.facts), default=0)
        out += [f"{k + ':':<{width + 1}} {v}" for k, v in self.facts]
        if self.lines:
            out += ["", *(f"- {ln}" for ln in self.lines)]
        return "\n".join(out) + "\n"

    def html(self) -> str:
        e = html.escape
        rows = "".join(
            f"<tr><th align='left'>{e(k)}</th><td>{_html_value(k, v)}</td></tr>"
            for k, v in self.facts
        )
        items = "".join(f"<li>{e(ln)}</li>" for ln in self.lines)
        listing = f"<ul>{items}</ul>" if items else ""
        return (
            "<!DOCTYPE html><html><body>"
            f"<h2>{e(self.title)}</h2><table>{rows}</table>{listing}</body></html>"
        )

    def mrkdwn(self) -> str:
        """Slack's markup (``&``, ``<``, ``>`` escaped; links as ``<url|label>``)."""
        out = []
        for k, v in self.facts:
            if k == "Dashboard":
                out.append(f"*{k}*: " + " ".join(f"<{u}|{n}>" for n, u in self.links.items()))
            else:
                out.append(f"*{k}*: {slack_escape(v)}")
        out += [f"• {slack_escape(ln)}" for ln in self.lines]
        return "\n".join(out)


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _html_value(label: str, value: str) -> str:
    if label == "Dashboard":
        return " ".join(
            f"<a href='{html.escape(u, quote=True)}'>{html.escape(u)}</a>" for u in value.split()
        )
    return html.escape(value)


def _endpoint(ip: str, port: int | None) -> str:
    if port is None:
        return ip
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def what(event: Event) -> str:
    """What happened, in one line."""
    if event.kind == "detection":
        summary = getattr(event, "summary", "")
        return f"{rule_of(event)}: {summary}" if summary else rule_of(event)
    if event.kind == "honeytoken.triggered":
        kind, token = getattr(event, "token_kind", ""), getattr(event, "token_id", "")
        detail = getattr(event, "detail", "")
        return f"honeytoken {kind} '{token}' used" + (f": {detail}" if detail else "")
    if event.kind == "response.block":
        return f"blocked {getattr(event, 'target', '?')}: {getattr(event, 'reason', '')}"
    summary = getattr(event, "summary", None)
    return f"{event.kind}: {summary}" if summary else event.kind


def who(event: Event) -> str:
    if event.kind == "response.block":
        return str(getattr(event, "target", "-"))
    if event.src is None:
        return "unknown source"
    out = _endpoint(event.src.ip, event.src.port)
    extra = [
        f"{k} {v}"
        for k in ("asn", "as_org", "country")
        if (v := getattr(event, k, None)) not in (None, "")
    ]  # not in today's event models; shown if an enriched event carries them
    return f"{out} ({', '.join(extra)})" if extra else out


def where(event: Event) -> str:
    parts: list[str] = []
    protocol = getattr(event, "protocol", None)
    if protocol:
        parts.append(f"door {protocol}")
    target = getattr(event, "target", None)
    if event.dst is not None:
        parts.append(f"on {_endpoint(event.dst.ip, event.dst.port)}")
    elif target is not None and hasattr(target, "ip"):
        parts.append(f"on {_endpoint(target.ip, target.port)}")
    parts.append(f"node {event.sensor.node}")
    return ", ".join(parts)


def action(block: Event | None) -> str:
    """What PhantomNet did about the source."""
    if block is None:
        return "recorded; no block of this source seen (yet)"
    verb = "blocked" if getattr(block, "applied", False) else "would block (dry-run)"
    expires = getattr(block, "expires_at", None)
    until = f" until {expires.isoformat(timespec='seconds')}" if expires is not None else ""
    return (
        f"{verb} {getattr(block, 'target', '?')} for {getattr(block, 'duration_s', '?')} s"
        f"{until} via {getattr(block, 'backend', '?')} "
        f"(offence {getattr(block, 'offence', 1)}, {getattr(block, 'source', '?')})"
    )


def _links_fact(links: dict[str, str]) -> tuple[str, str] | None:
    return ("Dashboard", " ".join(links.values())) if links else None


def render(message: Message, cfg: AlertConfig | None = None) -> AlertText:
    """The text of one alert or digest (``cfg``: its dashboard URL and digest length)."""
    cfg = cfg or AlertConfig()
    if isinstance(message, Digest):
        return _render_digest(message, cfg.dashboard_url, cfg.digest_lines)
    return _render_alert(message, cfg.dashboard_url)


def _render_alert(alert: Alert, dashboard_url: str | None) -> AlertText:
    ev = alert.event
    severity = getattr(ev, "severity", None)
    head = f"[{severity}] " if severity else ""
    more = f" (+{alert.events} more)" if alert.followup else ""
    title = f"PhantomNet: {head}{what(ev)}{more}"
    facts: list[tuple[str, str]] = [
        ("What", what(ev)),
        ("Who", who(ev)),
        ("Where", where(ev)),
        ("Action", action(alert.block)),
    ]
    if alert.followup:
        since = alert.since.isoformat(timespec="seconds") if alert.since else "?"
        facts.append(("Repeats", f"{alert.events} more of this rule and source since {since}"))
    elif alert.repeats:
        since = alert.since.isoformat(timespec="seconds") if alert.since else "?"
        facts.append(("Repeats", f"{alert.repeats} earlier, not alerted, since {since}"))
    facts.append(("When", ev.occurred_at.isoformat(timespec="seconds")))
    facts.append(("Event", f"{ev.kind} {ev.event_id}"))
    links = dashboard_links(dashboard_url, ev)
    if (fact := _links_fact(links)) is not None:
        facts.append(fact)
    return AlertText(title=title[:300], severity=severity, facts=tuple(facts), links=links)


def _render_digest(digest: Digest, dashboard_url: str | None, limit: int) -> AlertText:
    alerts = sum(e.alerts for e in digest.entries)
    title = (
        f"PhantomNet: digest: {alerts} alerts, {digest.events} events "
        f"since {digest.started_at.isoformat(timespec='seconds')}"
    )
    rules = Counter[str]()
    for entry in digest.entries:
        rules[rule_of(entry.first.event)] += entry.events
    facts: list[tuple[str, str]] = [
        ("What", ", ".join(f"{r} x{n}" for r, n in rules.most_common())),
    ]
    if digest.throttled:
        facts.append(("Throttled", f"{digest.throttled} alerts over the hourly budget"))
    if digest.other_events:
        facts.append(("Other", f"{digest.other_events} events beyond the listed keys"))
    lines: list[str] = []
    for entry in digest.entries[:limit]:
        ev = entry.first.event
        severity = getattr(ev, "severity", None)
        head = f"[{severity}] " if severity else ""
        links = dashboard_links(dashboard_url, ev)
        link = f" {links.get('attacker') or links.get('event')}" if links else ""
        lines.append(
            f"{head}{what(ev)} | who {who(ev)} | {where(ev)} | x{entry.events}"
            f" | {action(entry.block)}{link}"
        )
    if len(digest.entries) > limit:
        lines.append(f"... and {len(digest.entries) - limit} more rule/source pairs")
    worst = _worst(digest)
    links = {"dashboard": dashboard_url + "/detections"} if dashboard_url else {}
    if (fact := _links_fact(links)) is not None:
        facts.append(fact)
    return AlertText(
        title=title, severity=worst, facts=tuple(facts), lines=tuple(lines), links=links
    )


def _worst(digest: Digest) -> str | None:
    found = [
        s
        for e in digest.entries
        if isinstance(s := getattr(e.first.event, "severity", None), str) and s in SEVERITY_RANK
    ]
    return max(found, key=SEVERITY_RANK.__getitem__) if found else None

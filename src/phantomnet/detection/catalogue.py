"""The rule catalogue: the single list of detection rule names.

Every detector, event level or packet level, reports one of these rules; the response
settings' auto-block list is checked against it at start; ``docs/detections.md`` is
generated from it (``python -m phantomnet.detection.catalogue > docs/detections.md``) and a
test checks the two agree. Severity here is the default (each detector's ``severity``
setting overrides it); ``technique`` is the MITRE ATT&CK technique the rule points to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from phantomnet.events import Severity

Level = Literal["event", "packet"]

#: How detections cite what they saw.
EVENT_EVIDENCE = "event:<event_id> of the events counted (latest 20)"
PACKET_EVIDENCE = "packet:<n>, capture packet numbers (latest 20)"


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    summary: str
    severity: Severity
    technique: str
    levels: tuple[Level, ...]
    settings: tuple[str, ...]

    @property
    def evidence(self) -> tuple[str, ...]:
        return tuple(EVENT_EVIDENCE if lv == "event" else PACKET_EVIDENCE for lv in self.levels)


def _rule(name: str, summary: str, severity: Severity, technique: str, *levels: Level) -> Rule:
    where = {
        "event": f"[detectors.{_EVENT_SECTION.get(name, name)}]",
        "packet": f"[monitor.detectors.{name}]",
    }
    return Rule(name, summary, severity, technique, levels, tuple(where[lv] for lv in levels))


#: Event-level rules reported by a detector whose section has another name.
_EVENT_SECTION = {
    "http_sqli": "http_attacks",
    "http_traversal": "http_attacks",
    "http_cmd_injection": "http_attacks",
    "http_xxe": "http_attacks",
    "http_flood": "http_attacks",
}

RULES: tuple[Rule, ...] = (
    _rule("brute_force", "A source fails logins (SSH, FTP, SMTP, HTTP...) too often in a "
          "window, or opens many short connections to a login service.",
          "high", "T1110", "event", "packet"),
    _rule("ftp_traversal", "An FTP client tries to climb out of its root (`..` past the top, "
          "`~`, NUL, or `/etc` in an anonymous chrooted session) in a path argument; once "
          "per session.", "medium", "T1083", "event"),
    _rule("http_sqli", "SQL injection in an HTTP request (door tags or the shared "
          "classifier).", "high", "T1190", "event", "packet"),
    _rule("http_traversal", "Path traversal or local file inclusion in an HTTP request.",
          "medium", "T1190", "event", "packet"),
    _rule("http_cmd_injection", "OS command injection in an HTTP request.",
          "high", "T1190", "event", "packet"),
    _rule("http_xxe", "XML external entity (XXE) or entity-expansion attack in an HTTP "
          "request body (a DOCTYPE declaring entities, an external DTD, XInclude).",
          "high", "T1190", "event", "packet"),
    _rule("http_flood", "One source sends too many HTTP requests to the door in a window.",
          "medium", "T1499.002", "event"),
    _rule("port_scan", "A source fails to connect to many distinct (host, port) pairs "
          "(Threshold Random Walk).", "medium", "T1046", "packet"),
    _rule("syn_flood", "Many half-open TCP connections to one target in a window.",
          "high", "T1498.001", "packet"),
    _rule("udp_flood", "Many UDP packets to one target in a window.",
          "high", "T1498.001", "packet"),
    _rule("icmp_flood", "Many ICMP packets to one target in a window.",
          "high", "T1498.001", "packet"),
    _rule("arp_spoof", "ARP replies that change a known or gateway IP's MAC, or unsolicited "
          "ARP floods.", "high", "T1557.002", "packet"),
    _rule("dns_spoof", "A DNS answer that races or contradicts the real one.",
          "high", "T1557", "packet"),
    _rule("ssl_strip", "A host known to use TLS (SNI or HSTS seen) is served, or sent "
          "credentials, over plain HTTP.",
          "high", "T1557", "packet"),
    _rule("weak_tls", "Weak TLS actually negotiated: old version, weak suite, short key, no "
          "forward secrecy, or a version downgrade.", "medium", "T1562.010", "packet"),
    _rule("cert_change", "A server (address, port and name) shows another leaf certificate "
          "than the one seen before: interception, or a renewal (verification tells).",
          "medium", "T1557", "packet"),
)  # fmt: skip

#: Rule names that no built-in detector reports but the response policy understands: a
#: detection plug-in reporting a used honeytoken (blocked with source ``honeytoken``).
RESERVED: tuple[Rule, ...] = (
    Rule("honeytoken_use", "Reserved for detection plug-ins: a planted secret was used "
         "(the doors report `honeytoken.triggered` events instead).", "high", "T1078", (), ()),
)  # fmt: skip

BY_NAME: dict[str, Rule] = {r.name: r for r in (*RULES, *RESERVED)}


def rule(name: str) -> Rule:
    """The catalogue entry of ``name`` (KeyError for a name not in the catalogue)."""
    return BY_NAME[name]


def _known(name: str) -> str:
    if name not in BY_NAME:
        raise PydanticCustomError(
            "rule",
            "unknown detection rule '{name}' (known: {known})",
            {"name": name, "known": ", ".join(sorted(BY_NAME))},
        )
    return name


#: A settings field holding a rule name: refused at load when it is not in the catalogue.
RuleName = Annotated[str, AfterValidator(_known)]


def render_markdown() -> str:
    """``docs/detections.md``: one table row per rule, in catalogue order."""
    lines = [
        "# Detection rules",
        "",
        "Generated from `src/phantomnet/detection/catalogue.py` (the single list of rule names):",
        "`python -m phantomnet.detection.catalogue > docs/detections.md`. "
        "`tests/unit/detection/test_rule_catalogue.py` fails when the two differ.",
        "",
        "Severity is the default; each detector section's `severity` overrides it. Evidence:",
        f"event-level detections cite `{EVENT_EVIDENCE}`, packet-level ones cite "
        f"`{PACKET_EVIDENCE}`.",
        "",
        "| Rule | Summary | Severity | ATT&CK | Level | Settings |",
        "|---|---|---|---|---|---|",
    ]
    for r in (*RULES, *RESERVED):
        levels = ", ".join(r.levels) or "reserved"
        settings = ", ".join(f"`{s}`" for s in r.settings) or "-"
        lines.append(
            f"| `{r.name}` | {r.summary} | {r.severity} | {r.technique} | {levels} | {settings} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render_markdown())

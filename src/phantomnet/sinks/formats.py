"""Syslog message formats: RFC 5424 (structured data) and CEF (ArcSight Common Event Format)."""

from __future__ import annotations

import json
from datetime import datetime

from phantomnet.events import Event

#: our SD-ID's enterprise number is the RFC 5424 documentation one (32473)
SD_ID = "phantomnet@32473"
#: syslog severities (RFC 5424 table 2) of the event severities; no severity = informational
SYSLOG_SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5}
CEF_SEVERITY = {"critical": 10, "high": 8, "medium": 5, "low": 3}
NIL = "-"


def _printusascii(text: str, limit: int) -> str:
    clean = "".join(c if 33 <= ord(c) <= 126 else "_" for c in text)[:limit]
    return clean or NIL


def _sd_value(value: object) -> str:
    text = str(value)
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _timestamp(at: datetime) -> str:
    return at.isoformat(timespec="microseconds").replace("+00:00", "Z")


def fields(event: Event) -> dict[str, str]:
    """The facts both formats carry (strings, no ``None``)."""
    out = {"event_id": str(event.event_id), "kind": event.kind, "node": event.sensor.node}
    for key in ("rule", "severity", "protocol"):
        value = getattr(event, key, None)
        if value is not None:
            out[key] = str(value)
    if event.src is not None:
        out["src"] = event.src.ip
        if event.src.port is not None:
            out["spt"] = str(event.src.port)
    if event.dst is not None:
        out["dst"] = event.dst.ip
        if event.dst.port is not None:
            out["dpt"] = str(event.dst.port)
    return out


def rfc5424(event: Event, *, facility: int, app_name: str, hostname: str) -> bytes:
    """``<PRI>1 TIMESTAMP HOST APP - MSGID [phantomnet@32473 ...] JSON``."""
    severity = SYSLOG_SEVERITY.get(str(getattr(event, "severity", "")), 6)
    sd = " ".join(f'{k}="{_sd_value(v)}"' for k, v in fields(event).items())
    head = (
        f"<{facility * 8 + severity}>1 {_timestamp(event.occurred_at)} "
        f"{_printusascii(hostname, 255)} {_printusascii(app_name, 48)} {NIL} "
        f"{_printusascii(event.kind, 32)} [{SD_ID} {sd}] "
    )
    body = json.dumps(event.model_dump(mode="json"), separators=(",", ":"), ensure_ascii=False)
    return (head + body).encode()


def _cef_header(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _cef_ext(text: str) -> str:
    return text.replace("\\", "\\\\").replace("=", "\\=").replace("\n", "\\n").replace("\r", "\\r")


def cef(event: Event, *, version: str) -> str:
    """``CEF:0|PhantomNet|PhantomNet|<version>|<rule or kind>|<name>|<0-10>|ext``."""
    f = fields(event)
    signature = f.get("rule", event.kind)
    name = str(getattr(event, "summary", None) or event.kind)
    severity = CEF_SEVERITY.get(f.get("severity", ""), 1)
    ext: dict[str, str] = {
        "rt": str(int(event.occurred_at.timestamp() * 1000)),
        "externalId": f["event_id"],
        "cat": event.kind,
        "dvchost": f["node"],
        **{k: f[k] for k in ("src", "spt", "dst", "dpt") if k in f},
    }
    if "protocol" in f:
        ext["app"] = f["protocol"]
    extension = " ".join(f"{k}={_cef_ext(v)}" for k, v in ext.items())
    header = "|".join(
        _cef_header(x) for x in ("PhantomNet", "PhantomNet", version, signature, name)
    )
    return f"CEF:0|{header}|{severity}|{extension}"


def cef_syslog(event: Event, *, facility: int, app_name: str, hostname: str, version: str) -> bytes:
    """A CEF record carried in an RFC 5424 header (no structured data)."""
    severity = SYSLOG_SEVERITY.get(str(getattr(event, "severity", "")), 6)
    head = (
        f"<{facility * 8 + severity}>1 {_timestamp(event.occurred_at)} "
        f"{_printusascii(hostname, 255)} {_printusascii(app_name, 48)} {NIL} "
        f"{_printusascii(event.kind, 32)} {NIL} "
    )
    return (head + cef(event, version=version)).encode()

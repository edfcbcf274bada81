"""THE contract: the envelope and one frozen model per event kind.

This package imports nothing else from phantomnet. Import models from here.
"""

from phantomnet.events.analysis import Detection, Score, VerificationResult
from phantomnet.events.base import (
    SCHEMA_VERSION,
    AttackerText,
    Decision,
    Endpoint,
    EventBase,
    Level,
    SensorRef,
    Severity,
    attacker_text,
    utcnow,
)
from phantomnet.events.catalogue import (
    EVENT_TYPES,
    Event,
    dump_event,
    kind_of,
    kinds,
    model_for,
    parse_event,
    parse_event_obj,
)
from phantomnet.events.network import (
    DnsAnswer,
    NetworkArp,
    NetworkDns,
    NetworkFlow,
    NetworkHttp,
    NetworkPacket,
    NetworkSsh,
    NetworkStats,
    NetworkTls,
    ParserAnomaly,
)
from phantomnet.events.response import ResponseBlock, ResponseUnblock
from phantomnet.events.sensor import (
    AuthAttempt,
    ClientFingerprint,
    CommandInput,
    ConnectionClosed,
    ConnectionOpened,
    DbQuery,
    FileDownload,
    FileUpload,
    HoneytokenTriggered,
    HttpRequest,
    SensorStatus,
    SmtpAttachment,
    SmtpMessage,
)

__all__ = [
    "EVENT_TYPES", "SCHEMA_VERSION", "AttackerText", "AuthAttempt", "ClientFingerprint",
    "CommandInput", "ConnectionClosed", "ConnectionOpened", "DbQuery", "Decision", "Detection",
    "DnsAnswer", "Endpoint", "Event", "EventBase", "FileDownload", "FileUpload",
    "HoneytokenTriggered", "HttpRequest", "Level", "NetworkArp", "NetworkDns", "NetworkFlow",
    "NetworkHttp", "NetworkPacket", "NetworkSsh", "NetworkStats", "NetworkTls", "ParserAnomaly",
    "ResponseBlock", "ResponseUnblock", "Score", "SensorRef", "SensorStatus", "Severity",
    "SmtpAttachment", "SmtpMessage", "VerificationResult", "attacker_text", "dump_event",
    "kind_of", "kinds", "model_for", "parse_event", "parse_event_obj", "utcnow",
]

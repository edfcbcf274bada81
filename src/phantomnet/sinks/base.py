"""The sink plug-in base and the settings every sink shares.

A sink turns events into messages and sends them (``send``); it raises on any failure and
the component (:mod:`phantomnet.sinks.component`) retries the same events with backoff
without acknowledging them. ``send`` may therefore see an event more than once: receivers
deduplicate on ``event_id``, which every payload carries.

A sink with an ``alert`` block (:class:`~phantomnet.sinks.alerting.AlertingSinkConfig`) is
handed alerts and digests instead (``send_alert``), made by the alert policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from phantomnet.events import Event, Severity
from phantomnet.events.catalogue import kinds as all_kinds

if TYPE_CHECKING:
    from phantomnet.sinks.alerting import AlertConfig, Message

SEVERITY_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def _existing_file(value: Path | None) -> Path | None:
    if value is not None and not value.is_file():
        raise PydanticCustomError("file", "{path} is not a file", {"path": str(value)})
    return value


#: a file that must exist when the section is loaded (a CA bundle); None: not given
ExistingFile = Annotated[Path | None, AfterValidator(_existing_file)]


class SinkConfig(BaseModel):
    """``[sinks.<name>]``: shared filters and retry settings (each sink adds its own)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    #: event kinds forwarded (default: detections only)
    kinds: tuple[str, ...] = ("detection",)
    #: events below this severity are skipped; events without a severity are not judged
    min_severity: Severity | None = None
    #: detection rules forwarded (empty = every rule)
    rules: tuple[str, ...] = ()
    batch_size: int = Field(default=100, ge=1, le=10_000)
    retry_first_s: float = Field(default=0.2, gt=0, le=60)
    retry_max_s: float = Field(default=30.0, gt=0, le=3600)

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise PydanticCustomError("kinds", "at least one kind")
        known = all_kinds()
        for kind in value:
            if kind not in known:
                raise PydanticCustomError("kinds", "unknown event kind '{kind}'", {"kind": kind})
        return value

    def wants(self, event: Event) -> bool:
        """Whether the filters let ``event`` through."""
        if event.kind not in self.kinds:
            return False
        severity = getattr(event, "severity", None)
        if (
            self.min_severity is not None
            and isinstance(severity, str)
            and SEVERITY_RANK.get(severity, 0) < SEVERITY_RANK[self.min_severity]
        ):
            return False
        if self.rules and event.kind == "detection":
            return getattr(event, "rule", None) in self.rules
        return True


class Sink:
    """Base of the plug-ins registered under ``phantomnet.sinks``."""

    name: ClassVar[str] = "sink"
    Config: ClassVar[type[SinkConfig]] = SinkConfig

    def __init__(self, config: SinkConfig, node: str) -> None:
        self.config = config
        self.node = node

    def target(self) -> str:
        """Where it sends, for status lines (no secrets)."""
        return ""

    @property
    def alerting(self) -> AlertConfig | None:
        """The ``alert`` block when the sink alerts (then it gets :meth:`send_alert`, not
        :meth:`send`; see :mod:`phantomnet.sinks.alerting`)."""
        alert: AlertConfig | None = getattr(self.config, "alert", None)
        return alert

    async def send(self, events: Sequence[Event]) -> None:
        """Deliver ``events`` or raise (then they are sent again after a backoff)."""
        raise NotImplementedError

    async def send_alert(self, message: Message) -> None:
        """Deliver one alert or digest or raise (then it is sent again after a backoff)."""
        raise NotImplementedError

    async def close(self) -> None:
        """Release connections; ``send`` reopens them."""
        return None

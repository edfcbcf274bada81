"""Settings of the SSH sensor (``[sensors.ssh]``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from phantomnet.sensors.base import SensorConfig


class TarpitConfig(BaseModel):
    """endlessh-style pre-banner drip. A source is tarpitted when it is listed in
    ``sources`` (IPs or CIDRs) or opened more than ``after_connections`` connections within
    ``window_s`` (0 disables that rule)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: tuple[str, ...] = ()
    after_connections: int = Field(default=0, ge=0)
    window_s: float = Field(default=600, gt=0)
    interval_s: float = Field(default=10.0, gt=0)
    line_max: int = Field(default=32, ge=3, le=253)
    max_held: int = Field(default=20_000, ge=0)
    hold_s: float = Field(default=6 * 3600, gt=0)


class SshConfig(SensorConfig):
    """The SSH honeypot. Defaults follow the persona's OpenSSH (MaxAuthTries 6,
    LoginGraceTime 120 s, a ~2 s PAM delay after a wrong password)."""

    port: int = Field(default=2222, ge=0, le=65535)

    #: Refused: persona and credentials govern every door, so they live in [deception].
    persona: object = Field(default=None, exclude=True)
    credentials: object = Field(default=None, exclude=True)

    @field_validator("persona", "credentials")
    @classmethod
    def _moved_to_deception(cls, value: object) -> object:
        if value is not None:
            raise PydanticCustomError(
                "moved", "moved to the [deception] section (it sets every door)"
            )
        return value

    #: delay before answering a wrong password (Linux-PAM's pam_unix default is 2 s, which
    #: PAM randomises by up to 25 %: that is what brute-forcers measure on a Debian host)
    auth_fail_delay_s: float = Field(default=2.0, ge=0, le=30)
    auth_fail_jitter: float = Field(default=0.25, ge=0, le=1)
    upload_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    record: bool = True
    exec_timeout_s: float = Field(default=60, gt=0)
    #: a client must send its identification line within this (sshd waits LoginGraceTime
    #: for the whole login, which the persona's ``login_grace_s`` still bounds)
    ident_timeout_s: float = Field(default=20, gt=0)
    tarpit: TarpitConfig = TarpitConfig()
    max_pending_events: int = Field(default=100_000, ge=100)

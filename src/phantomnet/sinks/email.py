"""The ``email`` sink: alerts and digests by SMTP (aiosmtplib), STARTTLS or implicit TLS, AUTH.

It always alerts (:mod:`phantomnet.sinks.alerting`): one mail per alert or digest, plain text
with an HTML alternative, the same words as the Slack and Teams messages
(:mod:`phantomnet.sinks.alert_text`). One SMTP session per message (alerts are few: the
policy throttles them), so a restarted relay is simply reached again on the next attempt.

Credentials are only ever sent over TLS: with ``starttls = "opportunistic"`` and a relay that
does not offer STARTTLS, a sink with a ``username`` refuses to log in (the send fails and is
retried, the component is ``degraded`` with that error).
"""

from __future__ import annotations

import re
import ssl
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, ClassVar, Literal

import aiosmtplib
from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from phantomnet.errors import PhantomNetError
from phantomnet.sinks.alert_text import render
from phantomnet.sinks.alerting import Alert, AlertingSinkConfig, Message
from phantomnet.sinks.base import ExistingFile, Sink, SinkConfig

#: one plain address (no display name, no comments): what SMTP's MAIL FROM / RCPT TO take
ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$")
#: RFC 5322 allows 998 characters a line; 78 would fold a long subject before its first word
MAIL_POLICY = policy.SMTP.clone(max_line_length=200)
STARTTLS = {"required": True, "opportunistic": None, "off": False}


class EmailRefused(PhantomNetError):
    """The relay's connection is not safe for the credentials (no TLS)."""


def _address(value: str) -> str:
    if not ADDRESS.match(value) or ".." in value:
        raise PydanticCustomError(
            "address", "{addr} is not an email address", {"addr": repr(value[:254])}
        )
    return value


class EmailConfig(AlertingSinkConfig):
    alert_always: ClassVar[bool] = True

    host: str = Field(min_length=1, max_length=255)
    #: default 587 (submission, STARTTLS); 465 with ``tls = true``; 25 for a plain relay
    port: int | None = Field(default=None, ge=1, le=65535)
    #: STARTTLS after connecting: required (fail without it), opportunistic (if offered), off
    starttls: Literal["required", "opportunistic", "off"] = "required"
    #: implicit TLS from the first byte (SMTPS); ``starttls`` is then not used
    tls: bool = False
    username: str | None = Field(default=None, min_length=1, max_length=255)
    password: SecretStr | None = Field(default=None, validate_default=True)
    sender: str = Field(alias="from", max_length=254)
    to: tuple[str, ...] = Field(min_length=1, max_length=100)
    subject_prefix: str = Field(default="[PhantomNet]", max_length=64)
    timeout_s: float = Field(default=30.0, gt=0, le=300)
    #: CA bundle to verify the relay (default: the system's); ``verify = false`` trusts any
    ca_file: ExistingFile = None
    verify: bool = True

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        return _address(value)

    @field_validator("to")
    @classmethod
    def _to(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_address(v) for v in value)

    @field_validator("subject_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if any(c in value for c in "\r\n"):
            raise PydanticCustomError("header", "no line breaks in a header")
        return value

    @field_validator("username")
    @classmethod
    def _username(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not info.data.get("tls") and info.data.get("starttls") == "off":
            raise PydanticCustomError(
                "tls", "credentials need TLS (starttls or tls), not starttls 'off'"
            )
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        has_user = info.data.get("username") is not None
        if value is not None and not has_user and "username" in info.data:
            raise PydanticCustomError("password", "set without username")
        if has_user and (value is None or not value.get_secret_value()):
            raise PydanticCustomError("password", "required with username")
        return value

    @property
    def smtp_port(self) -> int:
        if self.port is not None:
            return self.port
        return 465 if self.tls else 587


class EmailSink(Sink):
    name = "email"
    Config = EmailConfig

    def __init__(self, config: SinkConfig, node: str) -> None:
        super().__init__(config, node)
        assert isinstance(config, EmailConfig)
        self.cfg = config

    def target(self) -> str:
        mode = "tls" if self.cfg.tls else f"starttls {self.cfg.starttls}"
        n = len(self.cfg.to)
        return f"smtp://{self.cfg.host}:{self.cfg.smtp_port} ({mode}, {n} recipient{'s' * (n > 1)})"

    def message(self, message: Message) -> EmailMessage:
        """The mail of one alert or digest: text/plain with a text/html alternative."""
        text = render(message, self.cfg.alert)
        msg = EmailMessage(policy=MAIL_POLICY)
        title = text.title.removeprefix("PhantomNet: ")
        msg["Subject"] = f"{self.cfg.subject_prefix} {title}".strip()[:250]
        msg["From"] = self.cfg.sender
        msg["To"] = ", ".join(self.cfg.to)
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        msg["Message-ID"] = make_msgid("phantomnet", domain=self.cfg.sender.rsplit("@", 1)[1])
        if text.severity:
            msg["X-PhantomNet-Severity"] = text.severity
        if isinstance(message, Alert):
            msg["X-PhantomNet-Event-Id"] = str(message.event.event_id)
        msg.set_content(text.plain())
        msg.add_alternative(text.html(), subtype="html")
        return msg

    def _tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.cfg.ca_file) if self.cfg.ca_file else None)
        if not self.cfg.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    async def send_alert(self, message: Message) -> None:
        cfg = self.cfg
        mail = self.message(message)
        options: dict[str, Any] = {
            "hostname": cfg.host,
            "port": cfg.smtp_port,
            "use_tls": cfg.tls,
            "start_tls": False if cfg.tls else STARTTLS[cfg.starttls],
            "timeout": cfg.timeout_s,
            "tls_context": self._tls_context(),
        }
        smtp = aiosmtplib.SMTP(**options)
        await smtp.connect()
        try:
            if cfg.username is not None and cfg.password is not None:
                if smtp.get_transport_info("sslcontext") is None:
                    raise EmailRefused(
                        f"{self.target()}: no TLS (the relay offers no STARTTLS): "
                        "credentials not sent"
                    )
                await smtp.login(cfg.username, cfg.password.get_secret_value())
            # flattened here: aiosmtplib's own policy would fold a subject before its first word
            await smtp.sendmail(cfg.sender, list(cfg.to), mail.as_bytes(policy=MAIL_POLICY))
        finally:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()

"""Which logins the fake host accepts: a credential list, accept-after-N, honeytokens.

Consistency per source matters more than the exact rule (potsnitch flags hosts that accept
everything or only the classic defaults): once a source has been let in with a credential, the
same credential keeps working for it, and other passwords for that user keep failing.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from phantomnet.deception.honeytokens import Honeytoken, HoneytokenRegistry

COMMON_PASSWORDS = (
    "123456",
    "password",
    "12345678",
    "1234",
    "12345",
    "123456789",
    "admin",
    "root",
    "toor",
    "qwerty",
    "1q2w3e4r",
    "111111",
    "123123",
    "passw0rd",
    "P@ssw0rd",
    "abc123",
    "changeme",
    "default",
    "letmein",
    "welcome",
    "raspberry",
    "ubuntu",
    "debian",
    "test",
    "pass",
    "1qaz2wsx",
)


class CredentialPolicyConfig(BaseModel):
    """Operator settings (a section of the sensor config).

    ``accept`` entries are ``user:password`` glob pairs (``root:*`` accepts any root password).
    ``accept_after``: after this many failures from one source, the next password is accepted
    (and remembered for that source); ``0`` disables it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    accept: tuple[str, ...] = tuple(f"root:{p}" for p in COMMON_PASSWORDS)
    accept_after: int = Field(default=0, ge=0, le=1000)
    accept_publickey: bool = False
    deny_users: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    accepted: bool
    token: Honeytoken | None = None
    reason: str = ""


class CredentialPolicy:
    """Decides logins; state (failures, remembered credentials) is per source IP."""

    def __init__(self, config: CredentialPolicyConfig, tokens: HoneytokenRegistry) -> None:
        self.config = config
        self.tokens = tokens
        self.failures: Counter[str] = Counter()
        self.remembered: dict[str, set[tuple[str, str]]] = {}

    def _listed(self, username: str, password: str) -> bool:
        for entry in self.config.accept:
            user, _, pw = entry.partition(":")
            if fnmatch.fnmatchcase(username, user) and fnmatch.fnmatchcase(password, pw):
                return True
        return False

    def check_password(self, source: str, username: str, password: str) -> Decision:
        """Decide a password login from ``source``; updates per-source state."""
        if username in self.config.deny_users:
            return self._fail(source, "denied user")
        token = self.tokens.match_credential(username, password)
        if token is not None:
            return self._ok(source, username, password, token, "honeytoken")
        if (username, password) in self.remembered.get(source, set()):
            return Decision(True, reason="remembered")
        if self._listed(username, password):
            return self._ok(source, username, password, None, "listed")
        after = self.config.accept_after
        if after and self.failures[source] >= after and not self.remembered.get(source):
            return self._ok(source, username, password, None, "accept_after")
        return self._fail(source, "wrong password")

    def remember(self, source: str, username: str, password: str) -> None:
        """Accept ``username``/``password`` from ``source`` from now on (e.g. after the attacker
        ran ``chpasswd`` in the fake shell)."""
        self._ok(source, username, password, None, "changed")

    def check_publickey(self, source: str, username: str) -> Decision:
        if self.config.accept_publickey and username not in self.config.deny_users:
            return Decision(True, reason="publickey")
        return Decision(False, reason="unknown key")

    def _ok(
        self, source: str, username: str, password: str, token: Honeytoken | None, reason: str
    ) -> Decision:
        if len(self.remembered) > 100_000:
            self.remembered.clear()
        self.remembered.setdefault(source, set()).add((username, password))
        return Decision(True, token, reason)

    def _fail(self, source: str, reason: str) -> Decision:
        if len(self.failures) > 100_000:
            self.failures.clear()
        self.failures[source] += 1
        return Decision(False, reason=reason)

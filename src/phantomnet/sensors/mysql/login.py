"""Login decisions for ``mysql_native_password`` and ``client_ed25519`` through the fake host's
credential policy.

The client never sends its password, only ``SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw)))``.
The door tries every password it could know (the policy's literal ``accept`` passwords, the
honeytokens, the common-password list, what this source used before) and, when one matches,
decides with that password exactly as SSH and FTP would. When none matches, the password is
unknown: the policy is asked with a value no client can type, so ``user:*`` entries and
``accept_after`` still work, and a source once let in that way keeps getting in as that user
(the door cannot tell two unknown passwords apart). An ed25519 signature is read the same way:
checked against the key of every candidate (``ed25519.recover_password``).
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass

from phantomnet.deception.credentials import COMMON_PASSWORDS, Decision
from phantomnet.deception.host import FakeHost
from phantomnet.sensors.mysql import ed25519
from phantomnet.sensors.mysql.handshake import recover_password

MAX_REMEMBERED = 50_000
UNTYPABLE = "\x00native:"


@dataclass(frozen=True)
class LoginResult:
    decision: Decision
    password: str | None  # recovered clear text, None when unknown


class Gate:
    """One per door: the fake host's policy plus what it takes to read native tokens."""

    def __init__(self, host: FakeHost) -> None:
        self.host = host
        self.unknown_ok: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._static_key: tuple[int, int] = (0, -1)
        self._static: list[str] = []

    def candidates(self, source: str, user: str) -> list[str]:
        policy = self.host.policy
        seen: dict[str, None] = {}
        for u, pw in policy.remembered.get(source, set()):
            if u == user and not pw.startswith(UNTYPABLE):
                seen[pw] = None
        key = (id(policy.config), len(self.host.tokens.tokens))
        if key != self._static_key:
            self._static_key, self._static = key, self._known(policy.config.accept)
        return [*seen, *(pw for pw in self._static if pw not in seen)]

    def _known(self, accept: tuple[str, ...]) -> list[str]:
        """Honeytokens, the policy's literal passwords, the common list (in that order)."""
        known: dict[str, None] = {t.secret: None for t in self.host.tokens.tokens.values()}
        for entry in accept:
            pw = entry.partition(":")[2]
            if pw and not any(c in pw for c in "*?["):
                known[pw] = None
        known.update(dict.fromkeys(COMMON_PASSWORDS))
        return list(known)

    def decide(self, source: str, user: str, token: bytes, scramble: bytes) -> LoginResult:
        password = recover_password(token, scramble, self.candidates(source, user))
        return self.judge(source, user, password)

    def decide_ed25519(
        self, source: str, user: str, signature: bytes, scramble: bytes
    ) -> LoginResult:  # fmt: skip
        """``signature`` is the client's answer to a ``client_ed25519`` switch; anything but
        64 bytes is no signature at all and never gets in."""
        if len(signature) != ed25519.SIGNATURE_LEN:
            return LoginResult(Decision(False, reason="malformed"), None)
        candidates = self.candidates(source, user)
        return self.judge(source, user, ed25519.recover_password(signature, scramble, candidates))

    def judge(self, source: str, user: str, password: str | None) -> LoginResult:
        """The policy's answer for a recovered ``password`` (None: none of the candidates)."""
        policy = self.host.policy
        if password is not None:
            return LoginResult(policy.check_password(source, user, password), password)
        key = (source, user)
        if key in self.unknown_ok:
            self.unknown_ok.move_to_end(key)
            return LoginResult(Decision(True, reason="remembered"), None)
        untypable = UNTYPABLE + secrets.token_hex(16)
        decision = policy.check_password(source, user, untypable)
        if decision.accepted:
            self.unknown_ok[key] = None
            while len(self.unknown_ok) > MAX_REMEMBERED:
                self.unknown_ok.popitem(last=False)
        return LoginResult(decision, None)

"""Password authentication as PostgreSQL 15 does it: SCRAM-SHA-256 (the default), md5 and
cleartext ``password``, decided by the fake host's credential policy.

A SCRAM or md5 client never sends its password: it proves it knows one. The door can only
check a proof against passwords it already knows, so it tries a short list of candidates
(the policy's literal entries for that user, honeytokens, what this source was let in with
before, and the most common passwords). A match tells us the password (recorded in
``auth.attempt``); no match is a failure with SCRAM (a server that cannot compute the proof
cannot sign its final message) and, with md5, the policy decides on the hash response alone.

So a policy that accepts *unknown* passwords (a ``user:*`` glob, ``accept_after``) cannot work
over SCRAM. ``auth_method = "auto"`` (the default) therefore uses SCRAM, like a stock Debian
server, for users whose acceptance depends only on known passwords, and the cleartext
``password`` method (a real pg_hba.conf choice, which every libpq client answers by default)
for the others: those logins reveal the attacker's password and behave like the policy says.

Salts are per user and stable (a real server stores one per role and a mock one per unknown
role), derived from the install's secret seed; the PBKDF2 keys of (user, candidate) pairs are
cached, so a login costs a few HMACs, not 4096 iterations per candidate.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Literal

from scramp import ScramException, ScramMechanism

from phantomnet.deception.credentials import COMMON_PASSWORDS, CredentialPolicy
from phantomnet.sensors.postgres.wire import PgError

Method = Literal["scram-sha-256", "md5", "password"]
MethodSetting = Literal["auto", "scram-sha-256", "md5", "password"]

#: pg_hba method → AuthenticationRequest code (pqcomm.h)
AUTH_OK, AUTH_CLEARTEXT, AUTH_MD5 = 0, 3, 5
AUTH_SASL, AUTH_SASL_CONTINUE, AUTH_SASL_FINAL = 10, 11, 12
ITERATIONS = 4096
MAX_CANDIDATES = 64
_GLOB = frozenset("*?[")


def password_failed(user: str) -> PgError:
    return PgError(
        "FATAL",
        "28P01",
        f'password authentication failed for user "{user}"',
        "auth.c",
        334,
        "auth_failed",
    )


def expected_password(kind: int) -> PgError:
    return PgError(
        "FATAL",
        "08P01",
        f"expected password response, got message type {kind}",
        "auth.c",
        718,
        "recv_password_packet",
    )


def expected_sasl(kind: int) -> PgError:
    return PgError(
        "FATAL",
        "08P01",
        f"expected SASL response, got message type {kind}",
        "auth-sasl.c",
        89,
        "CheckSASLAuth",
    )


INVALID_MECHANISM = PgError(
    "FATAL",
    "08P01",
    "client selected an invalid SASL authentication mechanism",
    "auth-scram.c",
    256,
    "scram_init",
)
MALFORMED_SCRAM = PgError(
    "FATAL", "08P01", "malformed SCRAM message", "auth-scram.c", 1110, "read_client_first_message"
)


def choose_method(
    setting: MethodSetting, per_user: dict[str, Method], policy: CredentialPolicy, user: str
) -> Method:
    """The method this user is asked for (see the module docstring for ``auto``)."""
    for pattern, method in per_user.items():
        if fnmatch.fnmatchcase(user, pattern):
            return method
    if setting != "auto":
        return setting
    cfg = policy.config
    if cfg.accept_after:
        return "password"
    for entry in cfg.accept:
        pattern, _, pw = entry.partition(":")
        if fnmatch.fnmatchcase(user, pattern) and _GLOB & set(pw):
            return "password"
    return "scram-sha-256"


def candidates(policy: CredentialPolicy, source: str, user: str) -> list[str]:
    """Passwords a proof is checked against, most specific first, at most MAX_CANDIDATES."""
    out: list[str] = []
    for u, pw in policy.remembered.get(source, set()):
        if u == user:
            out.append(pw)
    for entry in policy.config.accept:
        pattern, _, pw = entry.partition(":")
        if fnmatch.fnmatchcase(user, pattern) and not _GLOB & set(pw):
            out.append(pw)
    for token in policy.tokens.tokens.values():
        if token.username in (None, user):
            out.append(token.secret)
    out += [user, *COMMON_PASSWORDS, "postgres", "postgresql", "sa", ""]
    return list(dict.fromkeys(out))[:MAX_CANDIDATES]


def md5_response(user: str, password: str, salt: bytes) -> str:
    inner = hashlib.md5((password + user).encode()).hexdigest()  # the protocol's own hash
    return "md5" + hashlib.md5(inner.encode() + salt).hexdigest()


class ScramKeys:
    """Per-install SCRAM-SHA-256 salts and a bounded cache of derived keys."""

    def __init__(self, secret: bytes, max_cached: int = 4096) -> None:
        self.secret = secret
        self.mech = ScramMechanism("SCRAM-SHA-256")
        self.plus = ScramMechanism("SCRAM-SHA-256-PLUS")
        self.max_cached = max_cached
        self._cache: OrderedDict[tuple[str, str], tuple[bytes, bytes, bytes, int]] = OrderedDict()

    def salt(self, user: str) -> bytes:
        return hmac.new(self.secret, b"pg-scram-salt:" + user.encode(), "sha256").digest()[:16]

    def auth_info(self, user: str, password: str) -> tuple[bytes, bytes, bytes, int]:
        key = (user, password)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        info: tuple[bytes, bytes, bytes, int] = self.mech.make_auth_info(
            password, ITERATIONS, self.salt(user)
        )
        self._cache[key] = info
        while len(self._cache) > self.max_cached:
            self._cache.popitem(last=False)
        return info


@dataclass
class ScramExchange:
    """One SCRAM-SHA-256(-PLUS) exchange checked against several candidate passwords.

    Every candidate gets its own scramp server with the same nonce and salt, so they all
    produce the same server-first message; the one whose proof check passes is the password.
    """

    keys: ScramKeys
    user: str
    plus: bool = False
    cert_pem: str | None = None

    def __post_init__(self) -> None:
        # PostgreSQL's server nonce: 18 random bytes, base64 (24 characters)
        self.s_nonce = base64.b64encode(secrets.token_bytes(18)).decode()
        self.client_first = ""
        self.server_first = ""
        self.password: str | None = None
        self.server_final = ""

    def _server(self, password: str) -> Any:
        info = self.keys.auth_info(self.user, password)
        mech = self.keys.plus if self.plus else self.keys.mech
        binding = ("tls-server-end-point", self.cert_pem) if self.plus else None
        return mech.make_server(lambda _name: info, channel_binding=binding, s_nonce=self.s_nonce)

    def _feed_first(self, server: Any) -> None:
        """Hand scramp the client-first message. libpq sends an empty user name (``n=,``: the
        server uses the startup packet's), which scramp refuses, so scramp parses a copy with
        a placeholder name and then signs the client's own bytes (its ``client_first_bare``)."""
        gs2, sep, bare = self._split()
        if bare.startswith("n=,"):
            server.set_client_first(gs2 + sep + "n=*," + bare[3:])
            server.client_first_bare = bare
        else:
            server.set_client_first(self.client_first)

    def _split(self) -> tuple[str, str, str]:
        cut = self.client_first.find(",", self.client_first.find(",") + 1)
        if cut < 0:
            raise ScramException("malformed client-first message")
        return self.client_first[:cut], ",", self.client_first[cut + 1 :]

    def first(self, client_first: str) -> str:
        """The server-first message (raises ScramException on a malformed client-first)."""
        self.client_first = client_first
        # the real server answers unknown roles with a mock salt too: same message either way
        server = self._server("")
        self._feed_first(server)
        self.server_first = str(server.get_server_first())
        return self.server_first

    def final(self, client_final: str, passwords: list[str]) -> str | None:
        """The matching password (and ``server_final`` set), or None."""
        for pw in passwords:
            server = self._server(pw)
            try:
                self._feed_first(server)
                server.get_server_first()
                server.set_client_final(client_final)
                self.server_final = str(server.get_server_final())
            except ScramException:
                continue
            self.password = pw
            return pw
        return None

"""Honeytokens: planted secrets whose later use proves someone read our fake data.

The registry is shared by every door: the fake host plants tokens in its files at first start
(a database password in ``wp-config.php`` and ``/root/.my.cnf``, cloud keys, a deploy user's
password in a shell history), the web/FTP/SMTP sensors may register more (credentials they
leak), and any door that sees a secret calls :meth:`HoneytokenRegistry.match_credential` or
:meth:`match_text`. Tokens are stored as JSON in ``<data_dir>/deception/honeytokens.json``.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class Honeytoken(BaseModel):
    """One planted secret. ``token_id`` is 128 random bits (hex)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token_id: str
    kind: str = Field(max_length=64)
    username: str | None = None
    secret: str
    planted_in: tuple[str, ...] = ()
    created_at: float = 0.0


class HoneytokenRegistry:
    """Tokens by id, with lookup by credential or by secret text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tokens: dict[str, Honeytoken] = {}
        if path.exists():
            try:
                raw = json.loads(path.read_text("utf-8"))
                for item in raw.get("tokens", []):
                    token = Honeytoken.model_validate(item)
                    self.tokens[token.token_id] = token
            except (OSError, ValueError):
                self.tokens = {}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        data = {"tokens": [t.model_dump(mode="json") for t in self.tokens.values()]}
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.path)

    def register(
        self,
        kind: str,
        secret: str,
        *,
        username: str | None = None,
        planted_in: tuple[str, ...] = (),
    ) -> Honeytoken:
        """Add (or return the existing) token for this secret and username."""
        for token in self.tokens.values():
            if token.secret == secret and token.username == username and token.kind == kind:
                return token
        token = Honeytoken(
            token_id=secrets.token_hex(16),
            kind=kind,
            username=username,
            secret=secret,
            planted_in=planted_in,
            created_at=time.time(),
        )
        self.tokens[token.token_id] = token
        self.save()
        return token

    def by_kind(self, kind: str) -> list[Honeytoken]:
        return [t for t in self.tokens.values() if t.kind == kind]

    def match_credential(self, username: str, password: str) -> Honeytoken | None:
        """A token whose secret is ``password`` (and whose username matches, if it has one)."""
        for token in self.tokens.values():
            if token.secret != password:
                continue
            if token.username is None or token.username == username:
                return token
        return None

    def match_text(self, text: str) -> list[Honeytoken]:
        """Tokens whose secret appears in ``text`` (e.g. an AWS key pasted into a command)."""
        return [t for t in self.tokens.values() if len(t.secret) >= 8 and t.secret in text]

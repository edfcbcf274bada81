"""Bearer tokens with roles.

A token is ``pn_`` + ``secrets.token_urlsafe(32)``; only its SHA-256 is stored (table
``api_token``). Roles: ``viewer`` reads, ``admin`` reads and changes state. Lookups are cached
for :data:`CACHE_TTL_S` seconds per token hash, so a revoked token stops working within that
time, and ``last_used_at`` is written at most once per cache refresh.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from phantomnet.errors import AuthError, InvalidInput
from phantomnet.events import canonical_attacker_text
from phantomnet.storage.tables import ApiToken

Role = Literal["viewer", "admin"]
ROLES: frozenset[str] = frozenset({"viewer", "admin"})
TOKEN_PREFIX = "pn_"
CACHE_TTL_S = 10.0
CACHE_MAX = 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role and the token's name (``auth-off`` when auth is off)."""

    role: Role
    name: str


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Hex SHA-256 of the token text (what the database stores)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def create_token(engine: AsyncEngine, *, role: str, name: str) -> str:
    """Store a new token's hash with ``role`` and return the token (shown once)."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {sorted(ROLES)}, not {role!r}")
    if not name or len(name) > 128:
        raise InvalidInput("name must be 1 to 128 characters")
    name = canonical_attacker_text(name, 128)  # argv may carry any bytes (surrogateescape)
    token = new_token()
    async with AsyncSession(engine) as session, session.begin():
        session.add(
            ApiToken(
                name=name, role=role, token_hash=hash_token(token), created_at=datetime.now(UTC)
            )
        )
    return token


async def list_tokens(engine: AsyncEngine) -> list[dict[str, Any]]:
    """Every token's metadata (never the hash)."""
    async with AsyncSession(engine) as session:
        rows = (await session.scalars(select(ApiToken).order_by(ApiToken.id))).all()
    return [
        {
            "id": r.id,
            "name": r.name,
            "role": r.role,
            "created_at": r.created_at,
            "last_used_at": r.last_used_at,
            "revoked_at": r.revoked_at,
        }
        for r in rows
    ]


async def revoke_token(engine: AsyncEngine, *, token_id: int) -> bool:
    """Mark a token revoked; False if no such active token."""
    async with AsyncSession(engine) as session, session.begin():
        result = await session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    return bool(getattr(result, "rowcount", 0))


class TokenStore:
    """Resolves bearer tokens to principals, with a small TTL cache."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def principal(self, token: str) -> Principal:
        """The principal of ``token``; raises AuthError(401) if unknown or revoked."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
            raise AuthError("invalid token")
        digest = hash_token(token)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            found = hit[1]
        else:
            found = await self._lookup(digest)
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[digest] = (now + CACHE_TTL_S, found)
        if found is None:
            raise AuthError("invalid token")
        return found

    async def _lookup(self, digest: str) -> Principal | None:
        async with self._sessions() as session:
            row = await session.scalar(
                select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
            )
        if row is None or row.role not in ROLES or not hmac.compare_digest(row.token_hash, digest):
            return None
        await self._touch(row.id)
        role: Role = "admin" if row.role == "admin" else "viewer"
        return Principal(role=role, name=row.name)

    async def _touch(self, token_id: int) -> None:
        """Record ``last_used_at``; best effort (a busy database must not refuse a request)."""
        try:
            async with self._sessions() as session, session.begin():
                await session.execute(
                    update(ApiToken)
                    .where(ApiToken.id == token_id)
                    .values(last_used_at=datetime.now(UTC))
                )
        except OperationalError as exc:
            log.debug("could not record last_used_at of token %s: %s", token_id, exc)

    def forget(self) -> None:
        """Drop the cache (after a revocation in this process)."""
        self._cache.clear()

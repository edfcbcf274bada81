"""Single-use, short-lived tickets for ``/api/stream``.

``EventSource`` cannot send an ``Authorization`` header, and a bearer token in a URL ends up
in access logs, proxy logs and browser history. So the dashboard trades its bearer token for
a ticket (``POST /api/stream/ticket``) and opens ``/api/stream?ticket=...``. A ticket is
random (``secrets.token_urlsafe(24)``), works once, expires after :data:`TICKET_TTL_S`
seconds and carries the principal of the token that asked for it. Tickets live in the memory
of the API process that issued them (the stream is served by the same process).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from phantomnet.api.auth import Principal
from phantomnet.errors import AuthError

TICKET_TTL_S = 30.0
TICKET_PREFIX = "pt_"
#: Outstanding tickets kept at most (a flood of requests cannot grow memory without bound).
MAX_TICKETS = 4096


@dataclass(frozen=True)
class Ticket:
    value: str
    expires_in_s: float


class TicketStore:
    """Issue and redeem tickets; ``clock`` is monotonic seconds (injectable for tests)."""

    def __init__(
        self, ttl_s: float = TICKET_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._tickets: dict[str, tuple[float, Principal]] = {}

    def issue(self, principal: Principal) -> Ticket:
        now = self._clock()
        self._expire(now)
        if len(self._tickets) >= MAX_TICKETS:
            # Oldest first (dicts keep insertion order): drop the oldest to make room.
            del self._tickets[next(iter(self._tickets))]
        value = TICKET_PREFIX + secrets.token_urlsafe(24)
        self._tickets[value] = (now + self.ttl_s, principal)
        return Ticket(value=value, expires_in_s=self.ttl_s)

    def redeem(self, value: str) -> Principal:
        """The principal of ``value``, which is used up; AuthError(401) if unknown/expired."""
        if not value.startswith(TICKET_PREFIX) or len(value) > 64:
            raise AuthError("invalid stream ticket")
        entry = self._tickets.pop(value, None)
        if entry is None or entry[0] <= self._clock():
            raise AuthError("invalid or expired stream ticket")
        return entry[1]

    def _expire(self, now: float) -> None:
        for key in [k for k, (exp, _) in self._tickets.items() if exp <= now]:
            del self._tickets[key]

    def __len__(self) -> int:
        return len(self._tickets)

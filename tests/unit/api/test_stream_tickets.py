"""Stream tickets: single use, expiry, bounded store (clock injected, no wall clock)."""

from __future__ import annotations

import pytest

from phantomnet.api.auth import Principal
from phantomnet.api.tickets import MAX_TICKETS, TicketStore
from phantomnet.errors import AuthError

WHO = Principal(role="viewer", name="t")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_ticket_works_once() -> None:
    store = TicketStore(ttl_s=30, clock=Clock())
    ticket = store.issue(WHO)
    assert store.redeem(ticket.value) == WHO
    with pytest.raises(AuthError):
        store.redeem(ticket.value)


def test_a_ticket_expires() -> None:
    clock = Clock()
    store = TicketStore(ttl_s=30, clock=clock)
    late, fresh = store.issue(WHO), None
    clock.now += 29
    fresh = store.issue(WHO)
    clock.now += 1
    with pytest.raises(AuthError):
        store.redeem(late.value)
    assert store.redeem(fresh.value) == WHO


def test_tickets_are_unguessable_and_the_store_is_bounded() -> None:
    store = TicketStore(ttl_s=30, clock=Clock())
    values = {store.issue(WHO).value for _ in range(MAX_TICKETS + 10)}
    assert len(values) == MAX_TICKETS + 10
    assert len(store) == MAX_TICKETS
    with pytest.raises(AuthError):
        store.redeem("pt_guess")

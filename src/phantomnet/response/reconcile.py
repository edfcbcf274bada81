"""Keep the firewall equal to the desired state in the database, and report drift.

Each pass: read the active blocks, drop any that are now allowlisted (a new host address, a new
gateway), repair the table structure (a flushed table or a deleted chain is rebuilt atomically
with its elements), then diff element by element: a missing element is added, one whose
timeout differs from the desired expiry by more than ``timeout_slack_s`` is re-added with the
right timeout (cs-firewall-bouncer#509/#243), one the database does not know is removed
(leftovers of an interrupted unblock). Drift is logged and counted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from phantomnet.response.blockers.base import Element
from phantomnet.response.service import ResponseService, seconds_left
from phantomnet.response.targets import Target

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Diff:
    missing: tuple[str, ...]
    wrong_timeout: tuple[str, ...]
    extra: tuple[str, ...]

    @property
    def drift(self) -> int:
        return len(self.missing) + len(self.wrong_timeout) + len(self.extra)


@dataclass(frozen=True)
class ReconcileReport:
    desired: int
    held: int
    missing: int
    wrong_timeout: int
    extra: int
    rebuilt: bool
    skipped_allowlisted: int
    seconds: float
    dropped_packets: int | None = None

    @property
    def drift(self) -> int:
        return self.missing + self.wrong_timeout + self.extra + int(self.rebuilt)


#: extra seconds an element may outlive its desired expiry before it is re-asserted (adding
#: tens of thousands of elements takes seconds, so kernel timeouts run slightly late)
LATE_TOLERANCE_S = 60


def diff(desired: dict[str, int], actual: dict[str, int], slack_s: int) -> Diff:
    """Compare target -> seconds-left maps (pure).

    A timeout is wrong when the kernel would lift the block more than ``slack_s`` early, or
    more than ``slack_s + LATE_TOLERANCE_S`` late.
    """
    missing = tuple(t for t in desired if t not in actual)
    wrong = tuple(
        t
        for t, left in desired.items()
        if t in actual and not (left - slack_s <= actual[t] <= left + slack_s + LATE_TOLERANCE_S)
    )
    extra = tuple(t for t in actual if t not in desired)
    return Diff(missing, wrong, extra)


class Reconciler:
    """One reconciliation pass at a time; totals kept for ``describe``."""

    def __init__(self, service: ResponseService) -> None:
        self.service = service
        self.passes = 0
        self.drift_total = 0
        self.last: ReconcileReport | None = None

    async def _repair(self, found: Diff) -> None:
        """Fix what ``found`` lists, against a fresh read of the database: the CLI or an API
        in another process may have blocked or unblocked meanwhile, and their decisions win."""
        svc = self.service
        fresh, _ = await self._desired(quiet=True)
        fix = self._elements(
            fresh, [t for t in (*found.missing, *found.wrong_timeout) if t in fresh]
        )
        if fix:
            await svc.blocker.add(fix)
        gone = [svc.target_or_none(t) for t in found.extra if t not in fresh]
        stale = [t for t in gone if t is not None]
        if stale:
            await svc.blocker.remove(stale)

    async def _desired(
        self, *, quiet: bool = False
    ) -> tuple[dict[str, tuple[Target, datetime]], int]:
        svc = self.service
        now = svc.clock()
        wanted: dict[str, tuple[Target, datetime]] = {}
        skipped = 0
        for text, expires_at in await svc.store.desired():
            target = svc.target_or_none(text)
            if target is None or seconds_left(expires_at, now) < 1:
                continue  # invalid or about to expire: the expiry sweep lifts it
            why = await svc.safety.refuse_reason(target)
            if why is not None:
                skipped += 1
                if not quiet:
                    log.warning("not enforcing the block of %s: it now %s", target, why)
                continue
            wanted[target.text] = (target, expires_at)
        return wanted, skipped

    def _elements(
        self, wanted: dict[str, tuple[Target, datetime]], keys: Iterable[str]
    ) -> list[Element]:
        """Elements with their timeout computed now (a large pass takes seconds)."""
        now = self.service.clock()
        return [Element(wanted[k][0], max(1, seconds_left(wanted[k][1], now))) for k in keys]

    async def run_once(self) -> ReconcileReport:
        """Make the firewall match the database; returns what was found and repaired."""
        started = time.monotonic()
        svc = self.service
        async with svc._lock:
            wanted, skipped = await self._desired()
            rebuilt = await svc.blocker.ensure(self._elements(wanted, wanted))
            actual = await svc.blocker.listing()
            now = svc.clock()  # the listing's "expires" are as of now
            desired = {k: seconds_left(exp, now) for k, (_, exp) in wanted.items()}
            found = diff(desired, actual, svc.config.timeout_slack_s)
            if found.drift:
                await self._repair(found)
            dropped = await svc.blocker.dropped()
        report = ReconcileReport(
            desired=len(wanted),
            held=len(actual),
            missing=len(found.missing),
            wrong_timeout=len(found.wrong_timeout),
            extra=len(found.extra),
            rebuilt=rebuilt,
            skipped_allowlisted=skipped,
            seconds=time.monotonic() - started,
            dropped_packets=dropped,
        )
        self._record(report)
        return report

    def _record(self, report: ReconcileReport) -> None:
        first = self.passes == 0
        self.passes += 1
        self.last = report
        self.drift_total += report.drift
        if not report.drift:
            return
        # at start-up, elements lost by a reboot or a dry-run's empty memory are expected
        level = logging.INFO if first else logging.WARNING
        log.log(
            level,
            "response drift repaired on %s%s: %d missing, %d wrong timeout, %d extra%s "
            "(desired %d)",
            self.service.blocker.name,
            " at start-up" if first else "",
            report.missing,
            report.wrong_timeout,
            report.extra,
            ", table rebuilt" if report.rebuilt else "",
            report.desired,
        )

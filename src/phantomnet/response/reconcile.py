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
from dataclasses import dataclass

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

    @property
    def drift(self) -> int:
        return self.missing + self.wrong_timeout + self.extra + int(self.rebuilt)


def diff(desired: dict[str, int], actual: dict[str, int], slack_s: int) -> Diff:
    """Compare target -> seconds-left maps (pure)."""
    missing = tuple(t for t in desired if t not in actual)
    wrong = tuple(
        t for t, left in desired.items() if t in actual and abs(actual[t] - left) > slack_s
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

    async def _desired(self) -> tuple[dict[str, tuple[Target, int]], int]:
        svc = self.service
        now = svc.clock()
        wanted: dict[str, tuple[Target, int]] = {}
        skipped = 0
        for record in await svc.store.list_active():
            target = svc.target_or_none(record.target)
            left = seconds_left(record.expires_at, now)
            if target is None or left < 1:
                continue  # invalid or about to expire: the expiry sweep lifts it
            why = await svc.safety.refuse_reason(target)
            if why is not None:
                skipped += 1
                log.warning("not enforcing the block of %s: it now %s", target, why)
                continue
            wanted[target.text] = (target, left)
        return wanted, skipped

    async def run_once(self) -> ReconcileReport:
        """Make the firewall match the database; returns what was found and repaired."""
        started = time.monotonic()
        svc = self.service
        async with svc._lock:
            wanted, skipped = await self._desired()
            elements = [Element(t, left) for t, left in wanted.values()]
            rebuilt = await svc.blocker.ensure(elements)
            actual = await svc.blocker.listing()
            found = diff({k: v[1] for k, v in wanted.items()}, actual, svc.config.timeout_slack_s)
            fix = [Element(*wanted[t]) for t in (*found.missing, *found.wrong_timeout)]
            if fix:
                await svc.blocker.add(fix)
            stale = [t for t in (svc.target_or_none(x) for x in found.extra) if t is not None]
            if stale:
                await svc.blocker.remove(stale)
        report = ReconcileReport(
            desired=len(wanted),
            held=len(actual),
            missing=len(found.missing),
            wrong_timeout=len(found.wrong_timeout),
            extra=len(found.extra),
            rebuilt=rebuilt,
            skipped_allowlisted=skipped,
            seconds=time.monotonic() - started,
        )
        self._record(report)
        return report

    def _record(self, report: ReconcileReport) -> None:
        self.passes += 1
        self.last = report
        self.drift_total += report.drift
        if report.drift:
            log.warning(
                "response drift repaired on %s: %d missing, %d wrong timeout, %d extra%s "
                "(desired %d)",
                self.service.blocker.name,
                report.missing,
                report.wrong_timeout,
                report.extra,
                ", table rebuilt" if report.rebuilt else "",
                report.desired,
            )

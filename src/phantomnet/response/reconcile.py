"""Keep the firewall equal to the desired state in the database, and report drift.

Each pass: read the active blocks, skip any whose stored target is no longer valid (a row
written by an older version, e.g. ``fe80::1%x``: logged once, marked not applied), drop any
that are now allowlisted (a new host address, a new gateway), repair the table structure (a
flushed table or a deleted chain is rebuilt atomically with its elements), then diff element
by element: a missing element is added, one whose timeout differs from the desired expiry by
more than ``timeout_slack_s`` is re-added with the right timeout (cs-firewall-bouncer#509/#243),
one the database does not know is removed (leftovers of an interrupted unblock).

Elements go in so that one the firewall refuses (an overlapping nft interval, a full ipset) is
set aside without keeping the others out: it is logged once and its block marked not applied.
At the end of a pass every active block's ``applied`` flag is set from what the firewall was
verified to hold. Drift is logged and counted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from phantomnet.response.blockers.base import Element, Rejected
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
    #: stored targets that are no longer valid (never sent to the firewall)
    invalid: int = 0
    #: elements the firewall refused this pass
    rejected: int = 0

    @property
    def drift(self) -> int:
        return self.missing + self.wrong_timeout + self.extra + int(self.rebuilt)


#: extra seconds an element may outlive its desired expiry before it is re-asserted (adding
#: tens of thousands of elements takes seconds, so kernel timeouts run slightly late)
LATE_TOLERANCE_S = 60


def diff(
    desired: dict[str, int], actual: dict[str, int], slack_s: int, cap_s: int | None = None
) -> Diff:
    """Compare target -> seconds-left maps (pure).

    A timeout is wrong when the kernel would lift the block more than ``slack_s`` early, or
    more than ``slack_s + LATE_TOLERANCE_S`` late. A block longer than the backend's longest
    timeout ``cap_s`` is desired at ``cap_s``; its element counts as early only once less than
    half of ``cap_s`` is left (re-asserted then, not on every pass).
    """

    def early(left: int, held: int) -> bool:
        if cap_s is not None and left >= cap_s:
            return held < cap_s // 2
        return held < left - slack_s

    missing = tuple(t for t in desired if t not in actual)
    wrong = tuple(
        t
        for t, left in desired.items()
        if t in actual and (early(left, actual[t]) or actual[t] > left + slack_s + LATE_TOLERANCE_S)
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
        #: stored targets that are not valid any more, and targets the firewall refused
        #: (each logged once; a refused one is retried every pass, quietly)
        self.invalid: set[str] = set()
        self.quarantine: dict[str, str] = {}

    async def _repair(self, found: Diff) -> tuple[set[str], list[Rejected]]:
        """Fix what ``found`` lists, against a fresh read of the database: the CLI or an API
        in another process may have blocked or unblocked meanwhile, and their decisions win.

        Returns the targets added and the elements the firewall refused."""
        svc = self.service
        fresh, _, _ = await self._desired(quiet=True)
        # stale elements go first: one may be what the firewall would refuse ours for (an
        # overlapping interval) or take the room ours need (a full set)
        gone = [svc.target_or_none(t) for t in found.extra if t not in fresh]
        stale = [t for t in gone if t is not None]
        if stale:
            await svc.blocker.remove(stale)
        keys = [t for t in (*found.missing, *found.wrong_timeout) if t in fresh]
        refused = await svc.blocker.add_each(self._elements(fresh, keys))
        bad = {r.element.target.text for r in refused}
        return {k for k in keys if k not in bad}, refused

    def _invalid(self, text: str) -> None:
        if text not in self.invalid:
            self.invalid.add(text)
            log.warning(
                "not enforcing the stored block of %r: not a valid target any more (written by "
                "an older version?); the others are enforced, it is lifted at its expiry",
                text[:80],
            )

    async def _desired(
        self, *, quiet: bool = False
    ) -> tuple[dict[str, tuple[Target, datetime]], list[str], list[str]]:
        """(valid wanted blocks, allowlisted targets skipped, invalid stored targets)."""
        svc = self.service
        now = svc.clock()
        wanted: dict[str, tuple[Target, datetime]] = {}
        skipped: list[str] = []
        invalid: list[str] = []
        for text, expires_at in await svc.store.desired():
            target = svc.target_or_none(text)
            if target is None:
                invalid.append(text)
                if not quiet:
                    self._invalid(text)
                continue
            if seconds_left(expires_at, now) < 1:
                continue  # about to expire: the expiry sweep lifts it
            why = await svc.safety.refuse_reason(target)
            if why is not None:
                skipped.append(target.text)
                if not quiet:
                    log.warning("not enforcing the block of %s: it now %s", target, why)
                continue
            wanted[target.text] = (target, expires_at)
        return wanted, skipped, invalid

    def _timeout(self, expires_at: datetime, now: datetime) -> int:
        """Seconds to hold an element: what is left, capped at what the backend takes."""
        return min(self.service.blocker.max_timeout_s, max(1, seconds_left(expires_at, now)))

    def _elements(
        self, wanted: dict[str, tuple[Target, datetime]], keys: Iterable[str]
    ) -> list[Element]:
        """Elements with their timeout computed now (a large pass takes seconds)."""
        now = self.service.clock()
        return [Element(wanted[k][0], self._timeout(wanted[k][1], now)) for k in keys]

    def _refused(self, refused: list[Rejected]) -> None:
        for item in refused:
            text = item.element.target.text
            if text not in self.quarantine:
                log.warning(
                    "the firewall refused the block of %s (set aside, the others are "
                    "enforced; retried every pass): %s",
                    text,
                    item.why,
                )
            self.quarantine[text] = item.why

    async def _mark(self, not_held: list[str], before: datetime) -> None:
        """Store each active block's verified state: applied iff the firewall holds it (rows
        created after the pass started were verified by whoever made them)."""
        svc = self.service
        if svc.blocker.enforces:
            await svc.store.mark_applied(not_held, before=before)

    async def run_once(self) -> ReconcileReport:
        """Make the firewall match the database; returns what was found and repaired."""
        started = time.monotonic()
        svc = self.service
        async with svc._lock:
            began = svc.clock()
            wanted, skipped, invalid = await self._desired()
            rebuilt = await svc.blocker.ensure(self._elements(wanted, wanted))
            actual = await svc.blocker.listing()
            now = svc.clock()  # the listing's "expires" are as of now
            desired = {k: self._timeout(exp, now) for k, (_, exp) in wanted.items()}
            found = diff(desired, actual, svc.config.timeout_slack_s, svc.blocker.max_timeout_s)
            added: set[str] = set()
            refused: list[Rejected] = []
            if found.drift:
                added, refused = await self._repair(found)
            self._refused(refused)
            bad = {r.element.target.text for r in refused}
            for text in [t for t in self.quarantine if t not in bad]:
                del self.quarantine[text]  # taken at last, or no longer wanted
            held = {k for k in wanted if k in actual or k in added}
            await self._mark([*(k for k in wanted if k not in held), *skipped, *invalid], began)
            dropped = await svc.blocker.dropped()
        report = ReconcileReport(
            desired=len(wanted),
            held=len(actual),
            missing=len(found.missing),
            wrong_timeout=len(found.wrong_timeout),
            extra=len(found.extra),
            rebuilt=rebuilt,
            skipped_allowlisted=len(skipped),
            seconds=time.monotonic() - started,
            dropped_packets=dropped,
            invalid=len(invalid),
            rejected=len(refused),
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

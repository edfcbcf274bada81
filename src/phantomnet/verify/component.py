"""The verification component: detections that name a subject ask the paths, automatically.

It consumes ``detection`` events (group ``verify``) of the rules in ``[verify.auto] rules``
(``dns_spoof``, ``ssl_strip``, ``weak_tls`` downgrades, ``cert_change``) that carry a
``subject`` (the query name or host), takes a token from the rule's bucket and the global
one (refused: skipped and counted), asks the :class:`.verifier.Verifier` and publishes one
``verification.result`` naming the detection (``subject_event_id``). The storage writer
stores it in ``verification_result`` and marks the detection verified or refuted.

* ``dns_spoof``: the name's A/AAAA set through the ``dns`` paths, then the answers the
  monitor saw on the wire (``Detection.observed``) judged against it
  (:mod:`.observed`): a wire answer outside the verified set confirms the spoof.
* the others: ``https://SUBJECT/`` (its addresses, then its page through the ``http`` paths).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from functools import partial

from phantomnet.bus.base import Batch, EventBus
from phantomnet.errors import InvalidInput, NotFound, VerifyBusy
from phantomnet.events import Detection, VerificationResult
from phantomnet.plugins import Component
from phantomnet.resilience import until_done
from phantomnet.verify.observed import judge_observed
from phantomnet.verify.path import Question
from phantomnet.verify.ratelimit import RuleLimiter
from phantomnet.verify.target import check_name
from phantomnet.verify.verifier import Verifier, report_event

log = logging.getLogger(__name__)
GROUP = "verify"


class VerificationComponent(Component):
    name = "verify"

    def __init__(self, verifier: Verifier, bus: EventBus, node: str) -> None:
        self.verifier = verifier
        self.bus = bus
        self.node = node
        self.cfg = verifier.cfg.auto
        self.limiter = RuleLimiter(self.cfg)
        self.counts: Counter[str] = Counter()
        self._batches: AsyncIterator[Batch] | None = None
        self._slots = asyncio.Semaphore(self.cfg.concurrency)

    async def start(self) -> None:
        # subscribe now so nothing published between start and run is missed
        self._batches = self.bus.subscribe(
            GROUP, consumer=f"{self.node}:verify", kinds=frozenset({"detection"}), batch_size=50
        )

    async def run(self) -> None:
        assert self._batches is not None, "start() first"
        async for batch in self._batches:
            async with asyncio.TaskGroup() as group:
                for event in batch.events:
                    if isinstance(event, Detection) and self.wanted(event):
                        await self._slots.acquire()
                        group.create_task(self._guarded(event))
            await until_done(batch.ack, health=self.health, what="verify: ack", log=log)

    def wanted(self, event: Detection) -> bool:
        """A detection of an auto rule that names a subject, and a token for it."""
        if event.rule not in self.cfg.rules:
            return False
        if not event.subject:
            self.counts["no_subject"] += 1
            return False
        if not self.limiter.allow(event.rule):
            self.counts["rate_limited"] += 1
            return False
        return True

    async def _guarded(self, event: Detection) -> None:
        try:
            await self.handle(event)
        except Exception as exc:  # one detection's failure never stops the others
            self.counts["errors"] += 1
            self.health.failing("verification", exc)
            log.warning("verify: detection %s failed: %s", event.event_id, exc)
        else:
            self.health.recovered()
        finally:
            self._slots.release()

    async def handle(self, event: Detection) -> VerificationResult | None:
        """Verify one detection's subject and publish the result (None: nothing to ask)."""
        assert event.subject is not None
        try:
            result = await self._verify(event, event.subject)
        except (InvalidInput, NotFound, VerifyBusy) as exc:
            log.info("verify: detection %s (%s) not verified: %s", event.event_id, event.rule, exc)
            self.counts["refused"] += 1
            return None
        if result is None:
            self.counts["no_paths"] += 1
            return None
        await until_done(
            partial(self.bus.publish, result), health=self.health, what="verify: publish", log=log
        )
        self.counts[result.outcome] += 1
        return result

    async def _verify(self, event: Detection, subject: str) -> VerificationResult | None:
        if event.rule == "dns_spoof":
            verdict = await self.verifier.ask(Question("dns", check_name(subject)))
            if verdict is None:
                return None
            # the wire's answers (what the victim was told) against the verified addresses
            verdict = judge_observed(verdict, event.observed)
            return verdict.event(self.node, subject=event.event_id, rule=event.rule)
        if not self.verifier.can_ask("dns") and not self.verifier.can_ask("http"):
            return None
        report, verdicts = await self.verifier.verify(f"https://{check_name(subject)}/")
        return report_event(report, verdicts, self.node, subject=event.event_id, rule=event.rule)

    def describe(self) -> dict[str, object]:
        return {"paths": len(self.verifier.paths), **dict(self.counts)}

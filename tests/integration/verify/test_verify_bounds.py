"""The verifier bounds its work: ``max_running`` questions at once, ``max_waiting`` queued,
anything more refused at once (the API answers 503) instead of piling up sockets and memory."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack

import pytest

from phantomnet.errors import VerifyBusy
from phantomnet.verify.config import verify_config
from phantomnet.verify.path import Question
from phantomnet.verify.verifier import Verifier
from tests.integration.verify.servers import black_hole

pytestmark = pytest.mark.integration


async def test_beyond_running_and_waiting_is_refused_at_once() -> None:
    with ExitStack() as stack:
        holes = [stack.enter_context(black_hole()) for _ in range(2)]
        cfg = verify_config(
            {
                "timeout_s": 3,
                "max_running": 1,
                "max_waiting": 1,
                "cache_ttl_s": 0,
                "paths": [
                    {"name": f"hang-{i}", "kind": "dns", "settings": {"server": h, "types": ["A"]}}
                    for i, h in enumerate(holes)
                ],
            }
        )
        verifier = Verifier(cfg)
        names = [Question("dns", f"n{i}.example.test") for i in range(3)]
        running = asyncio.create_task(verifier.ask(names[0]))
        waiting = asyncio.create_task(verifier.ask(names[1]))
        for _ in range(200):  # until both hold their place (a condition, not a duration)
            if verifier._waiting == 1:
                break
            await asyncio.sleep(0.01)
        assert verifier._waiting == 1
        with pytest.raises(VerifyBusy, match="1 verifications are running and 1 waiting"):
            await verifier.ask(names[2])
        first, second = await asyncio.gather(running, waiting)
        assert first is not None and second is not None
        assert first.confidence == "LOW" and set(first.failed_paths) == {"hang-0", "hang-1"}
        # the slots are free again
        again = await verifier.ask(names[2])
        assert again is not None and again.verified is False

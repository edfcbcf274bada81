"""The dashboard's list of event kinds matches the catalogue.

The SSE stream names every message after its kind and EventSource has no wildcard listener,
so a kind missing from web/src/lib/kinds.ts would silently never reach the live feed.
"""

from __future__ import annotations

import re
from pathlib import Path

from phantomnet.events import EVENT_TYPES
from phantomnet.events.catalogue import kind_of

KINDS_TS = Path(__file__).parents[3] / "web" / "src" / "lib" / "kinds.ts"


def dashboard_kinds() -> list[str]:
    block = re.search(r"EVENT_KINDS = \[(.*?)\] as const", KINDS_TS.read_text(), re.S)
    assert block, "EVENT_KINDS not found in kinds.ts"
    return re.findall(r'"([a-z][a-z0-9_.]*)"', block.group(1))


def test_dashboard_knows_every_event_kind() -> None:
    catalogue = sorted(kind_of(m) for m in EVENT_TYPES)
    assert sorted(dashboard_kinds()) == catalogue

"""Compare the committed ECS reference (tests/data/ecs/ecs_fields.json) with an upstream
``generated/ecs/ecs_flat.yml`` of elastic/ecs (not kept in this repository).

    .venv/bin/python scripts/check_ecs_reference.py /path/to/ecs_flat.yml

Exit 0 when every field's name and type, and every event.category's expected event types,
agree; otherwise one line per difference and exit 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "data" / "ecs" / "ecs_fields.json"


def main(flat_path: str) -> int:
    ours = json.loads(REFERENCE.read_text())
    flat = yaml.safe_load(Path(flat_path).read_text())
    wrong = [
        f"{name}: ours {kind}, upstream {flat.get(name, {}).get('type', 'missing')}"
        for name, kind in ours["fields"].items()
        if flat.get(name, {}).get("type") != kind
    ]
    upstream = {
        v["name"]: v["expected_event_types"] for v in flat["event.category"]["allowed_values"]
    }
    if upstream != ours["expected_event_types"]:
        wrong.append("event.category expected_event_types differ")
    for line in wrong:
        print(line)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

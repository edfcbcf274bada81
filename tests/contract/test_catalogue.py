"""Every event kind is documented in docs/events.md and every documented kind exists."""

from __future__ import annotations

import re
from pathlib import Path

from phantomnet.events import EVENT_TYPES, kind_of, kinds

DOC = Path(__file__).parents[2] / "docs" / "events.md"


def documented() -> set[str]:
    return set(re.findall(r"^### `([a-z0-9_.]+)`", DOC.read_text(), flags=re.M))


def test_every_kind_is_documented_and_every_documented_kind_exists() -> None:
    assert documented() == set(kinds())


def test_every_model_is_in_the_union() -> None:
    assert {kind_of(m) for m in EVENT_TYPES} == set(kinds())


def test_every_documented_field_exists() -> None:
    text = DOC.read_text()
    for model in EVENT_TYPES:
        section = text.split(f"### `{kind_of(model)}`", 1)[1].split("### ", 1)[0]
        for field in re.findall(r"`([a-z_0-9]+)`", section.split("Fields:", 1)[1]):
            assert field in model.model_fields, (kind_of(model), field)

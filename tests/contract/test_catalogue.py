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


def test_every_event_model_defined_is_in_the_union() -> None:
    """A model added to an events module but forgotten in the union would never parse."""
    import inspect

    from phantomnet.events import analysis, network, response, sensor
    from phantomnet.events.base import EventBase

    defined = {
        obj
        for module in (analysis, network, response, sensor)
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, EventBase) and obj is not EventBase and "kind" in obj.model_fields
    }
    assert defined == set(EVENT_TYPES)
    assert {kind_of(m) for m in EVENT_TYPES} == set(kinds())


def test_every_documented_field_exists() -> None:
    text = DOC.read_text()
    for model in EVENT_TYPES:
        section = text.split(f"### `{kind_of(model)}`", 1)[1].split("### ", 1)[0]
        for field in re.findall(r"`([a-z_0-9]+)`", section.split("Fields:", 1)[1]):
            assert field in model.model_fields, (kind_of(model), field)

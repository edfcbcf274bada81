"""Fixtures of the response unit tests."""

from __future__ import annotations

import pytest
from response_fakes import MemoryStore, ScriptedRunner


@pytest.fixture
def runner() -> ScriptedRunner:
    return ScriptedRunner()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()

"""Fixtures for the SQL engine: one fake host per module, in a temporary data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from phantomnet.deception.host import FakeHost
from phantomnet.deception.sql import SqlEngine


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> FakeHost:
    return FakeHost.load(tmp_path_factory.mktemp("sqlhost"))


@pytest.fixture(scope="module")
def engine(host: FakeHost) -> SqlEngine:
    return host.sql


@pytest.fixture
def data_dir(host: FakeHost) -> Path:
    return host.root

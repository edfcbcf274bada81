"""``phantomnet up`` starts everything and Ctrl-C stops it cleanly within 5 s."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import PhantomNet, free_port

pytestmark = pytest.mark.e2e


def test_up_starts_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    with PhantomNet(tmp_path, {"api": {"port": port}}) as pn:
        pn.wait_port(port)
        code, seconds = pn.stop()
    assert code == 0, pn.log()
    assert seconds < 5, f"took {seconds:.1f}s to stop"


def test_user_mistake_is_one_line_and_nonzero(tmp_path: Path) -> None:
    pn = PhantomNet(tmp_path, {"api": {"port": "not-a-port"}})
    result = pn.cli("up", check=False)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [
        "error: api.port: Input should be a valid integer, unable to parse string as an integer"
    ]
    assert "Traceback" not in result.stderr + result.stdout

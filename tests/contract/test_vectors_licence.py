"""The JA4 vectors carry nothing under the FoxIO License 1.1 (non-commercial only), which an
Apache-2.0 repository cannot ship: only JA4 (BSD-3) and HASSH answers (see SOURCES.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

JA4 = Path(__file__).resolve().parents[2] / "tests" / "data" / "vectors" / "ja4"
ALLOWED = re.compile(r"^(stream|src|dst|srcport|dstport|domain|ssh_extras|JA4(_r|_o|_ro)?\.\d+)$")
SSH_ALLOWED = {"hassh", "hassh_server", "ssh_protocol_client", "ssh_protocol_server"}


def test_no_ja4_plus_answers_or_licence() -> None:
    files = sorted(JA4.glob("*.expected.json"))
    assert len(files) >= 30
    found = set()
    for path in files:
        for row in json.loads(path.read_text()):
            found |= {k for k in row if not ALLOWED.match(k)}
            found |= set(row.get("ssh_extras", {})) - SSH_ALLOWED
    assert found == set()
    assert not any("foxio" in p.name.lower() for p in JA4.iterdir())
    assert (JA4 / "LICENSE-JA4-BSD3.txt").is_file()

"""Hostile attacker text stored, then printed by every CLI command that shows stored data.

Hypothesis builds attacker text (C0/C1 controls, ANSI/OSC escapes, bidi overrides, lone and
escaped surrogates, rich markup, huge strings). Each example stores it the ways it reaches
storage: block decisions of the response engine (their reason quotes a detection summary,
and each is stored as a ``response.block`` event), API token names, and attacker traffic in a
pcap for ``monitor --jsonl``. Then the real ``phantomnet`` CLI runs as a subprocess for each
printer: its output must be valid UTF-8 without one raw control or bidi character, and it
exits 0 (the error printer: exit 2, same cleanliness).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from phantomnet.monitor import craft
from tests.e2e.harness import BIN, write_toml
from tests.unit.monitor.mon_traffic import conn

pytestmark = [pytest.mark.fuzz, pytest.mark.timeout(900)]

#: what an operator's terminal must never receive raw (newline and tab are layout)
RAW = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
NASTY = st.sampled_from(
    ["\x1b[2J", "\x1b]0;pwned\x07", "\x1b[31m", "\x1bP+q\x1b\\", "\u202e", "\u2066", "\x00",
     "\r", "\x08", "\x9b6n", "\x85", "\u2028", "\udcff", "\ud800", "\x7f", "[bold]x[/bold]",
     "\\x1b", "%1b", "\ufeff", "\U0001f4a9", "\t", "\n"]
)  # fmt: skip
TEXT = st.lists(st.one_of(NASTY, st.text(max_size=16)), min_size=1, max_size=24).map("".join)
HOSTILE = st.one_of(TEXT, TEXT.map(lambda t: t * 3000))  # huge: up to ~1 MB

FUZZ = settings(
    max_examples=int(os.environ.get("PN_CLI_FUZZ_EXAMPLES", "6")),
    deadline=None,
    # each example runs the CLI six times: report the failing example, do not shrink it
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _cli(config: Path, *args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHANTOMNET_")}
    env.update(PHANTOMNET_CONFIG=str(config), COLUMNS="160")
    return subprocess.run([str(BIN), *args], env=env, capture_output=True, timeout=300, check=False)


def _clean(result: subprocess.CompletedProcess[bytes], what: str) -> str:
    for stream in (result.stdout, result.stderr):
        text = stream.decode("utf-8")  # strict: no surrogates, no invalid bytes
        bad = RAW.search(text)
        assert bad is None, (
            f"{what}: raw {bad.group()!r} in {text[max(0, bad.start() - 80) :][:200]!r}"
        )
    return result.stdout.decode()


async def _store(config: Path, texts: list[str]) -> None:
    from phantomnet.api.auth import create_token
    from phantomnet.cli.common import settings_from
    from phantomnet.cli.response import _with_service
    from phantomnet.storage.blocks import ensure_schema, make_engine

    cfg = settings_from(config)
    for i, text in enumerate(texts):
        reason = f"detection ssh_bruteforce (high): {text}"

        async def block(
            service, ip: str = f"198.51.100.{i + 1}", why: str = reason, by: str = text
        ):  # type: ignore[no-untyped-def]
            return await service.block(ip, source="detection", reason=why, created_by=by)

        await _with_service(cfg, block)
    engine = make_engine(cfg)
    try:
        await ensure_schema(engine, cfg.database_url)
        for text in texts:
            await create_token(engine, role="viewer", name=(text or "x")[:128])
    finally:
        await engine.dispose()


def _pcap(path: Path, texts: list[str]) -> None:
    packets = []
    for i, text in enumerate(texts):
        raw = text.encode("utf-8", "surrogatepass")[:4000].replace(b"\r\n", b" ")
        req = (
            b"GET /" + raw + b" HTTP/1.1\r\nHost: " + raw + b"\r\nUser-Agent: " + raw + b"\r\n\r\n"
        )
        resp = b"HTTP/1.1 200 OK\r\nServer: " + raw + b"\r\n\r\n"
        packets += conn("203.0.113.9", "192.0.2.1", 40000 + i, 80, 1.0 + i, req, resp)
    craft.write_pcap(path, packets)


@FUZZ
@given(texts=st.lists(HOSTILE, min_size=1, max_size=3))
def test_every_cli_printer_of_stored_text_is_terminal_safe(texts: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="pn-cli-fuzz-") as tmp:
        root = Path(tmp)
        config = write_toml(root / "phantomnet.toml", {"data_dir": str(root / "data")})
        asyncio.run(_store(config, texts))
        _pcap(root / "t.pcap", texts)
        for args in (["blocks"], ["blocks", "--all"], ["token", "list"]):
            result = _cli(config, *args)
            assert result.returncode == 0, (args, result.stderr[-2000:])
            out = _clean(result, " ".join(args))
            assert out.strip()
        # block/unblock echo the stored record
        result = _cli(config, "unblock", "198.51.100.1")
        assert result.returncode == 0, result.stderr[-2000:]
        _clean(result, "unblock")
        result = _cli(config, "monitor", "--pcap", str(root / "t.pcap"), "--jsonl", "-", "--all")
        assert result.returncode == 0, result.stderr[-2000:]
        lines = _clean(result, "monitor --jsonl").splitlines()
        assert any(json.loads(line)["kind"] == "network.http" for line in lines)
        # the error printer quotes attacker-looking input too (argv: no NUL, bytes as given)
        arg = texts[0].encode("utf-8", "surrogatepass").replace(b"\x00", b"")[:2000] or b"x"
        result = _cli(config, "unblock", b"\x1b[2J" + arg)
        assert result.returncode == 2
        _clean(result, "error line")

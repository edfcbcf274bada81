"""``phantomnet up`` with a webhook sink: the runtime runs it, /health and ``phantomnet sinks``
show it failing while the receiver answers 500, and the event arrives once it recovers."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from tests.e2e.harness import PhantomNet, free_port
from tests.integration.sinks.test_webhook_http import SECRET, Receiver, receiver

from phantomnet import plugins

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
__all__ = ["receiver"]  # the fixture, imported
GENEROUS_S = 120.0


def sink_health(pn: PhantomNet) -> dict[str, Any]:
    with urllib.request.urlopen(pn.api + "/health", timeout=10) as resp:
        health = json.loads(resp.read())
    return next(c for c in health["components"] if c["component"] == "sink-webhook")


def wait(cond: Any) -> bool:
    deadline = time.monotonic() + GENEROUS_S
    while not (ok := cond()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return bool(ok)


def test_up_runs_the_sink_and_shows_its_state(tmp_path: Path, receiver: Receiver) -> None:
    smtp_port = free_port()
    sensors: dict[str, dict[str, Any]] = {
        name: {"enabled": False} for name in plugins.available(plugins.SENSORS)
    }
    sensors["smtp"] = {"host": "127.0.0.1", "port": smtp_port}
    config = {
        "api": {"port": free_port()},
        "sensors": sensors,
        "sinks": {
            "webhook": {
                "url": receiver.url,
                "secret": SECRET.decode(),
                "kinds": ["smtp.message"],
                "retry_max_s": 0.5,
            }
        },
    }
    receiver.failing = True
    with PhantomNet(tmp_path, config) as pn:
        pn.wait_http("/health")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.ehlo("e2e.example")
            client.sendmail("a@x.example", ["b@y.example"], b"Subject: e2e\r\n\r\nhello\r\n")
        assert wait(lambda: sink_health(pn)["failing_since"] is not None), pn.log()
        shown = pn.cli("sinks").stdout
        assert "webhook    degraded" in shown and "failing since" in shown, shown
        assert "answered 500" in shown, shown
        # the dashboard's status list marks it failing, with the error
        token = pn.cli("token", "create", "--role", "viewer").stdout.strip()
        req = urllib.request.Request(
            pn.api + "/api/honeypots/status", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            items = json.loads(resp.read())["items"]
        row = next(c for c in items if c["component"] == "sink-webhook")
        assert row["state"] == "degraded" and "answered 500" in row["detail"], row
        receiver.failing = False
        assert wait(lambda: receiver.got), pn.log()
        assert wait(lambda: sink_health(pn)["failing_since"] is None)
        assert pn.cli("sinks").stdout.startswith("webhook    up"), pn.cli("sinks").stdout
        _code, by_itself = pn.stop()
    assert by_itself
    _, sig, body = receiver.got[0]
    assert sig == "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    event = json.loads(body)
    assert event["kind"] == "smtp.message" and event["rcpt_to"] == ["b@y.example"]
    assert len({json.loads(b)["event_id"] for _, _, b in receiver.got}) == 1

"""Sink sections are validated at ``config check`` and at start, one line naming the field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from phantomnet.bus.memory import MemoryBus
from phantomnet.errors import ConfigError
from phantomnet.runtime.build import Runtime, check_plugin_sections, enabled_sinks
from phantomnet.runtime.parts import sinks
from phantomnet.settings import Settings


def settings(tmp_path: Path, **sections: dict[str, object]) -> Settings:
    return Settings(data_dir=tmp_path, sinks=sections)


@pytest.mark.parametrize(
    ("name", "section", "message"),
    [
        ("webhook", {"url": "ftp://x.example/h", "secret": "k"}, "is not an http(s) URL"),
        ("webhook", {"url": "not a url", "secret": "k"}, "is not an http(s) URL"),
        ("webhook", {"url": "https://h.example/x"}, "secret: required for format 'json'"),
        ("webhook", {"url": "https://h.example/x", "format": "xml"}, "sinks.webhook.format"),
        ("syslog", {"host": "127.0.0.1", "format": "leef"}, "sinks.syslog.format"),
        ("syslog", {"host": "127.0.0.1", "transport": "sctp"}, "sinks.syslog.transport"),
        ("syslog", {"host": "h", "port": 70000}, "sinks.syslog.port"),
        ("syslog", {"host": "h", "kinds": ["nope"]}, "unknown event kind 'nope'"),
        ("syslog", {"host": "h", "min_severity": "huge"}, "sinks.syslog.min_severity"),
        ("syslog", {"host": "h", "colour": "red"}, "sinks.syslog.colour"),
        ("syslog", {"host": "h", "ca_file": "/nonexistent/ca.pem"}, "sinks.syslog.ca_file"),
        ("email", {"host": "h", "from": "a@b.example"}, "sinks.email.to: Field required"),
        ("email", {"host": "h", "from": "a@b.example", "to": []}, "sinks.email.to"),
        (
            "email",
            {"host": "h", "from": "a@b.example", "to": ["soc at corp"]},
            "sinks.email.to: 'soc at corp' is not an email address",
        ),
        (
            "email",
            {"host": "h", "from": "a@b.example\r\nBcc: x@y.z", "to": ["s@c.example"]},
            "sinks.email.from: ",
        ),
        (
            "email",
            {"host": "h", "from": "a@b.example", "to": ["s@c.example"], "password": "p"},
            "sinks.email.password: set without username",
        ),
        (
            "email",
            {"host": "h", "from": "a@b.example", "to": ["s@c.example"], "username": "u"},
            "sinks.email.password: required with username",
        ),
        (
            "email",
            {
                "host": "h",
                "from": "a@b.example",
                "to": ["s@c.example"],
                "username": "u",
                "password": "p",
                "starttls": "off",
            },
            "sinks.email.username: credentials need TLS",
        ),
        (
            "email",
            {"host": "h", "from": "a@b.example", "to": ["s@c.example"], "starttls": "maybe"},
            "sinks.email.starttls",
        ),
        (
            "email",
            {"host": "h", "from": "a@b.example", "to": ["s@c.example"], "alert": {"digest_s": -1}},
            "sinks.email.alert.digest_s",
        ),
    ],
)
def test_bad_section_is_one_line_naming_the_field(
    tmp_path: Path, name: str, section: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        enabled_sinks(settings(tmp_path, **{name: section}))
    text = str(err.value)
    assert message in text and "\n" not in text and text.startswith(f"sinks.{name}")


def test_unknown_sink_section_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sinks\.splunk: no sink plug-in named 'splunk'"):
        check_plugin_sections(settings(tmp_path, splunk={}))


def test_each_sink_is_its_own_consumer_and_disabled_ones_do_not_run(tmp_path: Path) -> None:
    s = settings(
        tmp_path,
        syslog={"host": "127.0.0.1"},
        webhook={"url": "http://127.0.0.1:9/h", "secret": "k", "enabled": False},
    )
    rt = Runtime(settings=s, bus=MemoryBus())
    comps = sinks(rt)
    assert [(c.name, c.group) for c in comps] == [("sink-syslog", "sink-syslog")]  # type: ignore[attr-defined]
    assert comps[0].describe()["target"] == "tcp://127.0.0.1:514 (rfc5424)"


def test_config_check_cli_validates_sinks(tmp_path: Path) -> None:
    path = tmp_path / "pn.toml"
    path.write_text(
        f'data_dir = "{tmp_path}/data"\n[sinks.webhook]\nurl = "https://h.example/x"\n'
        '[sinks.syslog]\nhost = "127.0.0.1"\ntransport = "udp"\nformat = "cef"\n'
    )
    run = [sys.executable, "-m", "phantomnet", "config", "check", str(path)]
    done = subprocess.run(run, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "sinks.webhook.secret: required for format 'json'" in done.stdout + done.stderr
    path.write_text(path.read_text().replace('/x"\n', '/x"\nsecret = "k"\n', 1))
    done = subprocess.run(run, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "sink      syslog -> udp://127.0.0.1:514 (cef)" in done.stdout
    assert "sink      webhook -> https://h.example/x (json)" in done.stdout


def test_email_sink_is_a_plugin_that_always_alerts(tmp_path: Path) -> None:
    section = {"host": "smtp.example", "from": "pn@example.net", "to": ["a@x.example"]}
    (sink,) = enabled_sinks(settings(tmp_path, email=section))
    assert sink.name == "email" and sink.alerting is not None
    assert sink.target() == "smtp://smtp.example:587 (starttls required, 1 recipient)"
    assert sink.config.kinds == ("detection", "honeytoken.triggered", "response.block")
    smtps = enabled_sinks(settings(tmp_path, email={**section, "tls": True}))[0]
    assert smtps.target() == "smtp://smtp.example:465 (tls, 1 recipient)"

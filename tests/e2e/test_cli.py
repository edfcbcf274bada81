"""``phantomnet config check``: validates every section, one line per mistake."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness import BIN

pytestmark = pytest.mark.e2e


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), "config", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[response]\nbackend = "pf"\n', "error: response.backend: Input should be"),
        ('[monitor]\nsnaplen = "x"\n', "error: monitor.snaplen:"),
        ("[sensors.ssh]\nport = 70000\n", "error: sensors.ssh.port:"),
        ("[sensors.ssh]\nport = 2121\n[sensors.ftp]\nport = 2121\n", "is also used by"),
        ("[detectors.brute_force]\nthreshold = 1\n", "error: detectors.brute_force.threshold:"),
        (
            '[detectors.brute_force]\nallowlist = ["10.0.0.0/33"]\n',
            "error: detectors.brute_force.allowlist[0]: '10.0.0.0/33' is not a network",
        ),
        (
            '[monitor.detectors.port_scan]\nallowlist = ["x"]\n',
            "error: monitor.detectors.port_scan.allowlist[0]: 'x' is not a network",
        ),
        (
            '[response.auto]\ndetections = ["bruteforce"]\n',
            "error: response.auto.detections[0]: unknown detection rule 'bruteforce'",
        ),
        ('[sinks.splunk]\nurl = "https://x"\n', "error: sinks.splunk: no sink plug-in named"),
        ("[sensors.gopher]\nport = 7070\n", "error: sensors.gopher: no sensor plug-in named"),
        ("[sensors.shh]\nenabled = false\n", "error: sensors.shh: no sensor plug-in named"),
        ("[detectors.nope]\nenabled = false\n", "error: detectors.nope: no detector plug-in"),
        (
            '[[verify.paths]]\nname = "a"\nkind = "dns"\nsettings = { server = "x" }\n',
            "error: verify.paths.a: bad dns settings:",
        ),
        (
            '[[verify.paths]]\nname = "v"\nkind = "netns"\nsettings = { namespace = "n" }\n',
            "error: verify.paths.v.settings.path: Field required",
        ),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "pn.toml"
    path.write_text(toml)
    result = check(path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_good_file_lists_what_would_run(tmp_path: Path) -> None:
    path = tmp_path / "pn.toml"
    path.write_text('[sensors.ftp]\nenabled = false\n[response]\nbackend = "dry-run"\n')
    result = check(path)
    assert result.returncode == 0, result.stderr
    assert "sensor    ssh on 0.0.0.0:2222" in result.stdout
    assert "ftp" not in result.stdout.split("sensor", 1)[1].split("detectors")[0]
    assert "response  backend=dry-run" in result.stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_token_create_before_migrate_is_one_line(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'empty.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_database")  # a fresh, empty database
    )
    result = subprocess.run(
        [str(BIN), "token", "create", "--role", "viewer", "--db", url],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2 and result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: database ") and "run `phantomnet migrate`" in lines[0]

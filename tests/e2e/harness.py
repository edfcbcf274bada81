"""Run ``phantomnet`` as a real subprocess for end-to-end tests.

Every port is picked free on 127.0.0.1, every file lives in a temp dir, and the process is
stopped by the PID we started (SIGINT first, like Ctrl-C).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from phantomnet import plugins
from phantomnet.sensors.base import Sensor

BIN = Path(sys.executable).parent / "phantomnet"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    """A tiny TOML writer for nested dicts of scalars/lists (enough for test configs)."""
    lines: list[str] = []

    def emit(prefix: str, table: dict[str, Any]) -> None:
        scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
        if prefix and scalars:
            lines.append(f"[{prefix}]")
        for k, v in scalars.items():
            lines.append(f"{k} = {toml_value(v)}")
        for k, v in table.items():
            if isinstance(v, dict):
                emit(f"{prefix}.{k}" if prefix else k, v)

    emit("", data)
    path.write_text("\n".join(lines) + "\n")
    return path


def private_doors(sensors: dict[str, Any]) -> dict[str, Any]:
    """Every door a test did not configure listens on 127.0.0.1, port 0 (the kernel's
    choice), so ``up`` never takes, or collides on, a default port such as 8443 that
    another program on the machine holds. What the test set is kept."""
    out = {name: dict(section) for name, section in sensors.items()}
    for name in plugins.available(plugins.SENSORS):
        section = out.setdefault(name, {})
        if section.get("enabled", True) is False:
            continue
        fields = plugins.load_plugin(plugins.SENSORS, name, Sensor).Config.model_fields
        section.setdefault("host", "127.0.0.1")
        for field in fields:
            if field == "port" or field.endswith("_port"):
                section.setdefault(field, 0)
    return out


class PhantomNet:
    """``phantomnet <command>`` in a subprocess with a temp config."""

    def __init__(
        self,
        tmp: Path,
        config: dict[str, Any],
        command: str = "up",
        extra_args: list[str] | None = None,
    ) -> None:
        self.tmp = tmp
        self.config = {"data_dir": str(tmp / "data"), **config}
        self.config["sensors"] = private_doors(self.config.get("sensors", {}))
        self.config_path = write_toml(tmp / "phantomnet.toml", self.config)
        self.command = command
        self.extra_args = extra_args or []
        self.log_path = tmp / f"{command}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.config['api']['port']}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHANTOMNET_")}
        env["PHANTOMNET_CONFIG"] = str(self.config_path)
        return env

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a one-shot ``phantomnet`` command with the same config."""
        return subprocess.run(
            [str(BIN), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    def start(self) -> PhantomNet:
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(BIN), self.command, *self.extra_args],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_http(self, path: str = "/health", timeout: float = 180) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            try:
                with urllib.request.urlopen(self.api + path, timeout=2) as resp:
                    return json.loads(resp.read())  # type: ignore[no-any-return]
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise TimeoutError(f"{path} never answered; log:\n{self.log()}")

    def wait_port(self, port: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.assert_alive()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"port {port} never opened; log:\n{self.log()}")

    def assert_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"phantomnet exited with {self.proc.returncode}:\n{self.log()}")

    def stop(self, timeout: float = 120) -> tuple[int, bool]:
        """SIGINT (Ctrl-C) the process we started; return (exit code, whether it exited by
        itself). Only a process still running after the generous ``timeout`` is killed: how
        fast it stops is a figure for bench/, not an assertion."""
        assert self.proc is not None
        by_itself = True
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                by_itself = False
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode, by_itself

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> PhantomNet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

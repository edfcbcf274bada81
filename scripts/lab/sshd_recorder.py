"""Run a real OpenSSH server in the lab and turn its log into PhantomNet sensor events.

Runs only inside the training lab's network namespace. ``sshd -D -e`` logs to stderr; each
line is stamped on arrival and parsed: "Connection from" opens a session (keyed by client
address and port), "Failed/Accepted <method> for" become ``auth.attempt``, the ForceCommand
wrapper's log lines become ``command.input``, and the end of the connection closes it.
Bounded: stops sshd after ``--seconds``.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from phantomnet.events import (
    AuthAttempt,
    CommandInput,
    ConnectionClosed,
    ConnectionOpened,
    Endpoint,
    SensorRef,
    attacker_text,
)

SENSOR = SensorRef(node="pns-lab", component="ssh")
CONN = re.compile(r"Connection from (\S+) port (\d+) on (\S+) port (\d+)")
AUTH = re.compile(
    r"(Failed|Accepted) (password|publickey|keyboard-interactive/pam|none) for "
    r"(?:invalid user )?(\S*) from (\S+) port (\d+)"
)
END = re.compile(
    r"(?:Disconnected from|Disconnecting|Connection closed by|Received disconnect from|"
    r"Connection reset by|Timeout before authentication for).*?(\d+\.\d+\.\d+\.\d+) port (\d+)"
)
METHODS = {
    "password": "password",
    "publickey": "publickey",
    "keyboard-interactive/pam": "keyboard-interactive",
    "none": "other",
}


class Recorder:
    def __init__(self, out: Path) -> None:
        self.out = out.open("a", encoding="utf-8")
        self.lock = threading.Lock()
        self.sessions: dict[tuple[str, int], tuple[uuid.UUID, float, Endpoint, Endpoint]] = {}

    def emit(self, event: Any) -> None:
        with self.lock:
            if self.out.closed:
                return
            self.out.write(event.model_dump_json() + "\n")
            self.out.flush()

    def line(self, text: str) -> None:
        if m := CONN.search(text):
            src = Endpoint(ip=m[1], port=int(m[2]))
            dst = Endpoint(ip=m[3], port=int(m[4]))
            sid = uuid.uuid4()
            self.sessions[(m[1], int(m[2]))] = (sid, time.monotonic(), src, dst)
            self.emit(
                ConnectionOpened(sensor=SENSOR, session_id=sid, src=src, dst=dst, protocol="ssh")
            )
        elif m := AUTH.search(text):
            found = self.sessions.get((m[4], int(m[5])))
            if found is None:
                return
            sid, _, src, dst = found
            self.emit(
                AuthAttempt(
                    sensor=SENSOR,
                    session_id=sid,
                    src=src,
                    dst=dst,
                    protocol="ssh",
                    method=METHODS[m[2]],
                    username=attacker_text(m[3]),
                    accepted=m[1] == "Accepted",
                )
            )
        elif m := END.search(text):
            key = (m[1], int(m[2]))
            if key in self.sessions:
                # The ForceCommand log is tailed separately: let it catch up first.
                timer = threading.Timer(0.4, self.close, args=(key, time.monotonic()))
                timer.daemon = True
                timer.start()

    def close(self, key: tuple[str, int], at: float) -> None:
        found = self.sessions.pop(key, None)
        if found is None:
            return
        sid, t0, src, dst = found
        self.emit(
            ConnectionClosed(
                sensor=SENSOR, session_id=sid, src=src, dst=dst, protocol="ssh", duration_s=at - t0
            )
        )

    def command(self, text: str) -> None:
        client, _, cmd = text.partition("|")
        parts = client.split()
        if len(parts) < 2 or not parts[1].isdigit():
            return
        found = self.sessions.get((parts[0], int(parts[1])))
        if found is None:
            return
        sid, _, src, dst = found
        self.emit(
            CommandInput(
                sensor=SENSOR,
                session_id=sid,
                src=src,
                dst=dst,
                protocol="ssh",
                command=attacker_text(cmd.strip() or "<shell>"),
            )
        )


def tail(path: Path, rec: Recorder, stop: threading.Event) -> None:
    path.touch()
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        while not stop.is_set():
            text = fh.readline()
            if text:
                rec.command(text)
            else:
                time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--cmdlog", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=600)
    args = parser.parse_args()
    rec = Recorder(args.out)
    stop = threading.Event()
    threading.Thread(target=tail, args=(args.cmdlog, rec, stop), daemon=True).start()
    proc = subprocess.Popen(
        ["/usr/sbin/sshd", "-D", "-e", "-f", str(args.config)],
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
    )
    signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    timer = threading.Timer(args.seconds, proc.terminate)
    timer.daemon = True
    timer.start()
    assert proc.stderr is not None
    for text in proc.stderr:
        rec.line(text)
    proc.wait()
    time.sleep(0.6)
    stop.set()


if __name__ == "__main__":
    main()

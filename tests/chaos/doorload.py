"""Real clients loading a running ``phantomnet up``: SMTP messages and HTTP requests, each
with a unique mark, recording which ones got an answer from the door.

``answered`` is what the doors acknowledged to a client (SMTP ``250`` after DATA, an HTTP
status line and body); :func:`stored` reads what reached the database, so a test can count
lost (answered, not stored) and duplicated (stored twice) events.
"""

from __future__ import annotations

import http.client
import itertools
import smtplib
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

#: Upper bound of operations per client thread (every loop is bounded).
MAX_OPS = 5000


@dataclass
class Load:
    """Client threads against one SMTP and one HTTP port on 127.0.0.1."""

    smtp_port: int
    http_port: int
    smtp_clients: int = 4
    http_clients: int = 4
    answered: dict[str, dict[str, float]] = field(default_factory=lambda: {"smtp": {}, "http": {}})
    errors: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def start(self) -> Load:
        for i in range(self.smtp_clients):
            self._threads.append(threading.Thread(target=self._smtp, name=f"smtp-{i}", daemon=True))
        for i in range(self.http_clients):
            self._threads.append(threading.Thread(target=self._http, name=f"http-{i}", daemon=True))
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout: float = 60) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)

    def count(self) -> int:
        with self._lock:
            return sum(len(v) for v in self.answered.values())

    def wait_answers(self, n: int, timeout: float = 120) -> None:
        """Until ``n`` answers arrived (generous deadline; the outcome is asserted after)."""
        deadline = time.monotonic() + timeout
        while self.count() < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.count()} answers; errors {dict(self.errors)}")
            time.sleep(0.05)

    def _mark(self, door: str) -> str:
        return f"{door}-{next(self._ids)}"

    def _got(self, door: str, mark: str) -> None:
        with self._lock:
            self.answered[door][mark] = time.monotonic()

    def _smtp(self) -> None:
        ops = 0
        while not self._stop.is_set() and ops < MAX_OPS:
            try:
                with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as client:
                    client.ehlo("load.example")
                    for _ in range(5):  # a few messages per connection
                        if self._stop.is_set() or ops >= MAX_OPS:
                            break
                        ops += 1
                        mark = self._mark("smtp")
                        msg = f"Subject: {mark}\r\n\r\nload\r\n".encode()
                        refused = client.sendmail("a@load.example", ["b@corp.example"], msg)
                        if not refused:
                            self._got("smtp", mark)
            except (OSError, smtplib.SMTPException) as exc:
                self.errors[type(exc).__name__] += 1
                ops += 1
                time.sleep(0.05)

    def _http(self) -> None:
        ops = 0
        while not self._stop.is_set() and ops < MAX_OPS:
            ops += 1
            mark = self._mark("http")
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
            try:
                conn.request("GET", f"/{mark}", headers={"Connection": "close"})
                resp = conn.getresponse()
                resp.read()
                if resp.status:
                    self._got("http", mark)
            except (OSError, http.client.HTTPException) as exc:
                self.errors[type(exc).__name__] += 1
                time.sleep(0.05)
            finally:
                conn.close()


def stored(db: Path) -> dict[str, Counter[str]]:
    """Marks stored per door (a Counter: a value > 1 is a duplicate)."""
    with sqlite3.connect(db) as conn:
        smtp = conn.execute(
            "SELECT json_extract(payload, '$.subject') FROM event WHERE kind = 'smtp.message'"
        ).fetchall()
        http_ = conn.execute(
            "SELECT json_extract(payload, '$.path') FROM event WHERE kind = 'http.request'"
        ).fetchall()
    return {
        "smtp": Counter(r[0] for r in smtp if r[0] and r[0].startswith("smtp-")),
        "http": Counter(r[0].lstrip("/") for r in http_ if r[0] and r[0].startswith("/http-")),
    }


@dataclass
class Tally:
    answered: int
    stored: int
    lost: list[str]
    duplicated: list[str]


def tally(load: Load, db: Path) -> dict[str, Tally]:
    got = stored(db)
    out = {}
    for door in ("smtp", "http"):
        answered = load.answered[door]
        out[door] = Tally(
            answered=len(answered),
            stored=sum(got[door].values()),
            lost=sorted(set(answered) - set(got[door])),
            duplicated=sorted(m for m, n in got[door].items() if n > 1),
        )
    return out

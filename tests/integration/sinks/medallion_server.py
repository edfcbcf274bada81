"""A private medallion (the OASIS reference TAXII 2.1 server, PyPI ``medallion``) for tests.

medallion ships a memory backend (data lost when the process ends) and a MongoDB one. To
test a server that is killed and restarted, ``medallion_backend.FileBackend`` is medallion's own memory
backend that writes its data file (atomically) after every add: what the server answered
for survives a SIGKILL, as with a real persistent TAXII server. Everything else (HTTP,
auth, media types, status resources, de-duplication by id and version) is medallion's.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from tests.conftest import unavailable

API_ROOT = "api1"
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
USER, PASSWORD = "phantom", "taxii-pass"
REPO = Path(__file__).resolve().parents[3]


def require_medallion() -> None:
    if (
        importlib.util.find_spec("medallion") is None
        or importlib.util.find_spec("taxii2client") is None
    ):
        unavailable("medallion/taxii2-client are not installed (pip install -e '.[dev]')")


def initial_data(base: str) -> dict[str, Any]:
    return {
        "/discovery": {
            "title": "PhantomNet test TAXII server",
            "default": f"{base}/{API_ROOT}/",
            "api_roots": [f"{base}/{API_ROOT}/"],
        },
        API_ROOT: {
            "information": {
                "title": "test api root",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 9765625,
            },
            "status": [],
            "collections": [
                {
                    "id": COLLECTION,
                    "title": "phantomnet",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }


class Medallion:
    """``python -m medallion.scripts.run`` on a free loopback port, with its own files."""

    def __init__(self, root: Path, port: int) -> None:
        self.root, self.port = root, port
        self.base = f"http://127.0.0.1:{port}"
        self.data = root / "data.json"
        self.config = root / "medallion.json"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def api_root(self) -> str:
        return f"{self.base}/{API_ROOT}/"

    @property
    def collection_url(self) -> str:
        return f"{self.api_root}collections/{COLLECTION}/"

    async def start(self) -> None:
        require_medallion()
        if not self.data.exists():
            self.data.write_text(json.dumps(initial_data(self.base)))
        self.config.write_text(
            json.dumps(
                {
                    "backend": {
                        "module": "tests.integration.sinks.medallion_backend",
                        "module_class": "FileBackend",
                        "filename": str(self.data),
                    },
                    "users": {USER: PASSWORD},
                    "taxii": {"max_page_size": 100},
                }
            )
        )
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "medallion.scripts.run",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                str(self.config),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "medallion.err").open("ab"),
        )
        for _ in range(400):
            if await self._answers():
                return
            assert self.proc.poll() is None, (self.root / "medallion.err").read_text()[-2000:]
            await asyncio.sleep(0.05)
        raise AssertionError("medallion did not answer")

    async def _answers(self) -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as c:
                r = await c.get(
                    f"{self.base}/taxii2/",
                    auth=(USER, PASSWORD),
                    headers={"Accept": "application/taxii+json;version=2.1"},
                )
        except httpx.HTTPError:
            return False
        return r.status_code == 200

    async def kill(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            await asyncio.to_thread(proc.wait)

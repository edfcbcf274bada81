"""web/src/api/schema.ts (the dashboard's API types) is what openapi-typescript makes from
the current OpenAPI schema of ``create_app``: a changed API model must come with new types."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import unavailable

ROOT = Path(__file__).parents[3]
WEB = ROOT / "web"


def test_generated_api_types_match_the_api() -> None:
    node = shutil.which("node")
    if node is None or not (WEB / "node_modules" / "openapi-typescript").is_dir():
        unavailable("node or web/node_modules missing (make web)")
    env = {**os.environ, "PHANTOMNET_PYTHON": sys.executable}
    done = subprocess.run(
        [node, "scripts/gen-api.mjs", "--check"],
        cwd=WEB,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout

"""``phantomnet verify URL``: ask through every configured path and print the verdict JSON."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated

import typer

from phantomnet.cli.common import ConfigOpt, settings_from
from phantomnet.cli.safe import json_line


def register(app: typer.Typer) -> None:
    """Add the ``verify`` command to the ``phantomnet`` CLI."""
    app.command("verify")(verify)


def verify(
    url: Annotated[str, typer.Argument(help="http:// or https:// URL to verify.")],
    paths: Annotated[
        int | None, typer.Option("--paths", min=2, help="Use at most N paths of each kind.")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.1, help="Seconds per question.")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Multi-path verification: the answer most independent paths agree on, and who lies.

    Exit status: 0 verified and clean, 1 attack detected or inconclusive.
    """
    from phantomnet.verify.config import verify_config
    from phantomnet.verify.service import verify_url

    settings = settings_from(config)
    section = dict(settings.verify)
    if timeout is not None:
        section["timeout_s"] = timeout
    cfg = verify_config(section)
    report = asyncio.run(verify_url(url, cfg, limit=paths))
    sys.stdout.write(json_line(json.dumps(report, indent=2, sort_keys=True)) + "\n")
    if report["attack_detected"] or not report["verified"]:
        raise typer.Exit(1)

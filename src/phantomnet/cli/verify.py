"""``phantomnet verify NAME|URL``: ask through every configured path and print the vote.

The vote is a table per question (path, answer, agrees, latency, state) and a verdict line;
``--json`` prints the whole report instead. Everything printed goes through ``cli/safe.py``
(answers come from the network: a lying path could send terminal escapes).
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from phantomnet.cli.common import ConfigOpt, out, settings_from
from phantomnet.cli.safe import cell, json_line


def register(app: typer.Typer) -> None:
    """Add the ``verify`` command to the ``phantomnet`` CLI."""
    app.command("verify")(verify)


def _answer(entry: dict[str, Any]) -> str:
    if entry.get("state") == "cancelled":
        return "(cancelled: verdict already settled)"
    if entry.get("state") == "failed":
        return f"FAILED: {entry.get('reason', '')}"
    if "addresses" in entry:
        return ", ".join(entry["addresses"]) or "(no address)"
    words = " ".join(entry.get("title_words", []))
    return f"{entry.get('status')} {entry.get('body_length')} B [{words}]"


def _agrees(entry: dict[str, Any]) -> str:
    agrees = entry.get("agrees")
    return "-" if agrees is None else ("yes" if agrees else "NO")


def print_report(report: dict[str, Any]) -> None:
    """The vote of each question as a table, then the verdict."""
    for check in report["checks"]:
        title = f"{check['question']} {check['target']}" + (" (cached)" if check["cached"] else "")
        table = Table("path", "answer", "agrees", "latency ms", title=cell(title))
        for name, entry in sorted(check["paths"].items()):
            latency = entry.get("latency_ms")
            table.add_row(
                cell(name),
                cell(_answer(entry)),
                cell(_agrees(entry)),
                cell("-" if latency is None else f"{latency:g}"),
            )
        out.print(table)
        out.print(
            cell(
                f"{check['question']}: {check['outcome']}, confidence {check['confidence']}, "
                f"{check['paths_agreed']}/{check['paths_checked']} agree"
                + (f", compromised: {', '.join(check['compromised_paths'])}"
                   if check["compromised_paths"] else "")
            ),
            highlight=False,
        )  # fmt: skip
    verdict = "ATTACK DETECTED" if report["attack_detected"] else "no attack"
    if not report["verified"]:
        verdict += " (not verified: no quorum)"
    out.print(
        cell(f"verdict: {verdict}, confidence {report['confidence']}, {report['url']}"),
        highlight=False,
    )


def verify(
    target: Annotated[
        str, typer.Argument(help="Host name (checked as https://NAME/) or http(s):// URL.")
    ],
    paths: Annotated[
        int | None, typer.Option("--paths", min=2, help="Use at most N paths of each kind.")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=0.1, help="Seconds per question.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Multi-path verification: the answer most independent paths agree on, and who lies.

    Exit status: 0 verified and clean, 1 attack detected or inconclusive, 2 bad input.
    """
    from phantomnet.verify.config import verify_config
    from phantomnet.verify.service import verify_url

    settings = settings_from(config)
    section = dict(settings.verify)
    if timeout is not None:
        section["timeout_s"] = timeout
    cfg = verify_config(section)
    report = asyncio.run(verify_url(target, cfg, limit=paths))
    if as_json:
        sys.stdout.write(json_line(json.dumps(report, indent=2, sort_keys=True)) + "\n")
    else:
        print_report(report)
    if report["attack_detected"] or not report["verified"]:
        raise typer.Exit(1)

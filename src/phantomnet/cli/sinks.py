"""``phantomnet sinks``: each configured sink's state, read from the running server's /health.

One line per ``[sinks.<name>]``: its component's state (``up``, ``degraded`` while sends fail),
events delivered and skipped (filtered out), failures so far, failing since, last error, and
its consumer group's backlog where the bus reports one (Redis: pending = read but not
acknowledged, lag = not read yet).
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from phantomnet.cli.common import ConfigOpt, out, settings_from
from phantomnet.cli.safe import cell
from phantomnet.errors import InvalidInput

UrlOpt = Annotated[
    str | None,
    typer.Option("--url", help="The server's API (default: from the api host and port settings)."),
]


def sinks_state(health: dict[str, Any], configured: list[str]) -> list[dict[str, Any]]:
    """The sink components of a /health document, plus configured sinks not running."""
    found = {
        str(c.get("component", ""))[len("sink-") :]: c
        for c in health.get("components", [])
        if str(c.get("component", "")).startswith("sink-")
    }
    rows: list[dict[str, Any]] = []
    for name in sorted(set(found) | set(configured)):
        comp = found.get(name)
        if comp is None:
            rows.append({"sink": name, "state": "not running"})
            continue
        backlog: dict[str, Any] = comp.get("backlog") or {}
        rows.append(
            {
                "sink": name,
                "state": comp.get("state"),
                "delivered": comp.get("delivered", 0),
                "skipped": comp.get("skipped", 0),
                "failures": comp.get("failures", 0),
                "failing_since": comp.get("failing_since"),
                "last_error": comp.get("last_error"),
                "pending": backlog.get("pending"),
                "lag": backlog.get("lag"),
            }
        )
    return rows


def register(app: typer.Typer) -> None:
    @app.command("sinks")
    def sinks(config: ConfigOpt = None, url: UrlOpt = None) -> None:
        """Show each sink's state (delivering, failing since, last error, backlog)."""
        import httpx

        settings = settings_from(config)
        host = settings.api.host if settings.api.host not in ("0.0.0.0", "::") else "127.0.0.1"
        base = url or f"http://{host}:{settings.api.port}"
        try:
            answer = httpx.get(f"{base.rstrip('/')}/health", timeout=10)
            answer.raise_for_status()
            health = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise InvalidInput(f"cannot read {base}/health: {exc}") from exc
        rows = sinks_state(health, sorted(settings.sinks))
        if not rows:
            out.print("no sinks configured")
        for row in rows:
            line = f"{row['sink']:<10} {row['state']}"
            if "failures" in row:
                line += f"  delivered={row['delivered']} skipped={row['skipped']}"
                line += f" failures={row['failures']}"
                for key in ("pending", "lag"):
                    if row.get(key) is not None:
                        line += f" {key}={row[key]}"
                if row["failing_since"]:
                    line += f"  failing since {row['failing_since']}: {row['last_error']}"
            out.print(cell(line), soft_wrap=True)

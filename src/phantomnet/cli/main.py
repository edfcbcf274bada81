"""``phantomnet``: run, configure and operate PhantomNet.

User mistakes end in one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from phantomnet import __version__
from phantomnet.cli import run as run_cmds
from phantomnet.cli.common import ConfigOpt, err, out, settings_from
from phantomnet.cli.safe import cell
from phantomnet.errors import PhantomNetError
from phantomnet.runtime.datadir import private_umask

app = typer.Typer(
    name="phantomnet",
    help="PhantomNet: honeypots, network monitor, ML scoring, blocking and a live dashboard.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Inspect and validate settings.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


@config_app.command("check")
def config_check(
    file: Annotated[Path | None, typer.Argument(help="TOML file to check.", dir_okay=False)] = None,
    config: ConfigOpt = None,
) -> None:
    """Validate settings and every enabled plug-in's section; print what would run."""
    from phantomnet.monitor.config import load_monitor_config
    from phantomnet.response.config import response_config
    from phantomnet.runtime.build import (
        check_plugin_sections,
        deception_config,
        enabled_detectors,
        enabled_sensors,
        enabled_sinks,
    )
    from phantomnet.scoring.config import scoring_config
    from phantomnet.verify.config import verify_config
    from phantomnet.verify.path import build_path

    settings = settings_from(file or config)
    check_plugin_sections(settings)
    deception = deception_config(settings)
    sensors = enabled_sensors(settings)
    detectors = enabled_detectors(settings)
    sinks = enabled_sinks(settings)
    monitor = load_monitor_config(settings.monitor)
    response = response_config(settings)
    scoring = scoring_config(settings.scoring)
    verify = verify_config(dict(settings.verify))
    paths = [build_path(p) for p in verify.paths]  # each kind validates its own settings
    out.print(f"[green]OK[/green] {file or config or '(defaults)'}")
    out.print(f"  database  {settings.database_url.split('@')[-1]}")
    out.print(f"  bus       {settings.bus.backend}")
    out.print(f"  api       {settings.api.host}:{settings.api.port} auth={settings.api.auth}")
    out.print(f"  deception persona={deception.persona}", markup=False)
    for cls, cfg in sensors:
        out.print(f"  sensor    {cls.name} on {cfg.host}:{cfg.port}")
    out.print(f"  detectors {', '.join(d.name for d in detectors) or 'none'}")
    for sink in sinks:
        out.print(f"  sink      {sink.name} -> {sink.target()}", markup=False)
    out.print(f"  monitor   {monitor.interface or 'off (no interface)'}")
    out.print(f"  scoring   {'on' if scoring.enabled else 'off'}")
    out.print(f"  response  backend={response.backend}")
    if paths:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(Counter(p.name for p in paths).items()))
        auto = "on" if verify.auto.enabled else "off"
        out.print(f"  verify    {len(paths)} paths ({kinds}), automatic {auto}", markup=False)
    else:
        out.print("  verify    off (no [[verify.paths]])")


run_cmds.register(app)


def _register_optional() -> None:
    """The other command modules (each exports ``register(app)``)."""
    for module in run_cmds.COMMAND_MODULES:
        module.register(app)


def main() -> None:
    """Entry point: run the CLI, turning PhantomNet errors into one line and exit code 2."""
    private_umask()  # before anything creates a file: databases, recordings, keys are 0600
    # cryptography >= 51 deprecates DSA and asyncssh names its classes at import: not ours to
    # fix, and PhantomNet never offers ssh-dss; keep it off the operator's console
    warnings.filterwarnings("ignore", message="DSA is deprecated", module="asyncssh")
    try:
        _register_optional()
        app()
    except PhantomNetError as exc:
        err.print(Text.assemble(("error:", "red"), " ", cell(exc)), highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except asyncio.CancelledError:
        sys.exit(130)

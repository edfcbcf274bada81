"""Shared helpers for the deployment tests: where the files are, how to find the tools."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = ROOT / "Dockerfile"
DOORS = ("ssh", "telnet", "http", "ftp", "smtp", "mysql", "postgresql")


def tool(name: str) -> str:
    """The path of ``name``: on PATH, else next to this interpreter (a dev extra in the venv).

    Missing: skip with the reason, fail under CI=true."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        unavailable(f"{name} is not installed")
        raise AssertionError("unreachable")  # unavailable() raises
    return found


@dataclass
class Image:
    """What the Dockerfile's final stage says about how the container runs."""

    env: dict[str, str] = field(default_factory=dict)
    user: str = ""
    workdir: str = ""
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    copies: dict[str, str] = field(default_factory=dict)  # destination -> source (build context)


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def final_stage() -> Image:
    """Parse the last stage of the Dockerfile (enough of the syntax for this file)."""
    stages: list[list[tuple[str, str]]] = []
    for ins in _instructions(DOCKERFILE.read_text()):
        if ins[0] == "FROM":
            stages.append([])
        elif stages:
            stages[-1].append(ins)
    image = Image()
    for word, args in stages[-1]:
        if word == "ENV":
            for item in shlex.split(args):
                key, _, value = item.partition("=")
                image.env[key] = value
        elif word == "USER":
            image.user = args
        elif word == "WORKDIR":
            image.workdir = args
        elif word == "ENTRYPOINT":
            image.entrypoint = json.loads(args)
        elif word == "CMD":
            image.cmd = json.loads(args)
        elif word == "HEALTHCHECK":
            image.healthcheck = json.loads(args[args.index("CMD ") + 4 :])
        elif word == "COPY" and not args.startswith("--from"):
            src, dst = args.split()
            image.copies[dst] = src
    return image

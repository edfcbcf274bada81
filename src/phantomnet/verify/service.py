"""Verify a URL: its host's addresses through the ``dns`` paths, its page through ``http``."""

from __future__ import annotations

import ipaddress
from typing import Any

import httpx

from phantomnet.errors import InvalidInput
from phantomnet.verify.config import VerifyConfig
from phantomnet.verify.engine import Verdict, ask_all
from phantomnet.verify.path import Question, VerifyPath, build_path

_RANK = {"LOW": 0, "MEDIUM": 1, "HIGH": 2}


def paths_for(cfg: VerifyConfig, kind: str, limit: int | None = None) -> list[VerifyPath]:
    """The configured paths that answer ``kind`` questions (the first ``limit`` of them)."""
    built = [build_path(p) for p in cfg.paths]
    usable = [p for p in built if kind in p.answers]
    return usable[:limit] if limit else usable


def _host(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise InvalidInput(f"not a URL: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise InvalidInput("the URL must be http:// or https:// with a host")
    return parsed.host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def verify_url(url: str, cfg: VerifyConfig, *, limit: int | None = None) -> dict[str, Any]:
    """Both questions a URL raises, each voted on, and the combined verdict."""
    host = _host(url)
    verdicts: list[Verdict] = []
    questions = [Question("http", url)]
    if not _is_ip(host):
        questions.insert(0, Question("dns", host))
    asked = 0
    for question in questions:
        paths = paths_for(cfg, question.kind, limit)
        if len(paths) < 2:
            continue
        asked += 1
        verdicts.append(
            await ask_all(question, paths, timeout_s=cfg.timeout_s, early_stop=cfg.early_stop)
        )
    if not asked:
        raise InvalidInput("at least 2 [[verify.paths]] of one kind (dns or http) are needed")
    return combine(url, verdicts)


def combine(url: str, verdicts: list[Verdict]) -> dict[str, Any]:
    """One report: any attack, the weakest confidence, the union of compromised paths."""
    attacks = [v for v in verdicts if v.attack_detected]
    dns = next((v for v in verdicts if v.question.kind == "dns"), None)
    http = next((v for v in verdicts if v.question.kind == "http"), None)
    compromised = sorted({p for v in verdicts for p in v.compromised_paths})
    return {
        "url": url,
        "attack_detected": bool(attacks),
        "confidence": min((v.confidence for v in verdicts), key=_RANK.__getitem__),
        "attack_type": attacks[0].attack_type if attacks else "NONE",
        "compromised_paths": compromised,
        "verified": all(v.verified for v in verdicts),
        "verified_ip": dns.as_dict()["verified_ip"] if dns else None,
        "verified_data_hash": http.verified_data_hash if http else None,
        "checks": [v.as_dict() for v in verdicts],
    }

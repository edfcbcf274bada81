"""Verify a URL once (the CLI): a :class:`.verifier.Verifier` for one question set."""

from __future__ import annotations

from typing import Any

from phantomnet.verify.config import VerifyConfig
from phantomnet.verify.verifier import Verifier, combine

__all__ = ["combine", "verify_url"]


async def verify_url(url: str, cfg: VerifyConfig, *, limit: int | None = None) -> dict[str, Any]:
    """Both questions a NAME or URL raises, each voted on, and the combined verdict."""
    report, _ = await Verifier(cfg).verify(url, limit=limit)
    return report

"""The path plug-in contract (entry-point group ``phantomnet.verify_paths``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from phantomnet.plugins import load_plugin
from phantomnet.verify.answers import Answer
from phantomnet.verify.config import PathConfig

VERIFY_PATHS = "phantomnet.verify_paths"


@dataclass(frozen=True)
class Question:
    """``dns``: a name's A/AAAA set; ``http``: a URL's HTTP answer; ``tls``: the certificate
    key a TLS endpoint (``name:port``) shows."""

    kind: Literal["dns", "http", "tls"]
    target: str


class VerifyPath:
    """A way to ask a question that does not share the local path's trust.

    ``ask`` returns the answer or raises (any exception is a failure of this path: the
    engine fails closed). Subclasses validate their ``settings`` in ``__init__``.
    """

    name: ClassVar[str]
    #: the question kinds this path can answer
    answers: ClassVar[frozenset[str]]

    def __init__(self, path_name: str, settings: dict[str, Any]) -> None:
        self.path_name = path_name
        #: the path's diversity labels (provider, region, rir, asn...): ``build_path`` sets them
        self.labels: dict[str, str] = {}

    async def ask(self, question: Question) -> Answer:
        raise NotImplementedError


def build_path(cfg: PathConfig) -> VerifyPath:
    """The plug-in instance for one ``[[verify.paths]]`` entry."""
    cls = load_plugin(VERIFY_PATHS, cfg.kind, VerifyPath)
    path = cls(cfg.name, dict(cfg.settings))
    path.labels = dict(cfg.labels)
    return path

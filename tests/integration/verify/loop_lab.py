"""A verification lab on loopback: honest and lying resolvers, an origin site, a tampered
copy, an honest and a lying HTTP proxy. Every server is real and local (no namespaces)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integration.verify.servers import dnsmasq, forward_proxy, http_server, page

NAME = "www.example.test"
TRUE_IP = "192.0.2.10"
LIE_IP = "203.0.113.66"
ORIGIN = page("PhantomNet Example Domain", "genuine content for verification")
TAMPERED = page("Account Suspended Notice", "please enter your password here", repeat=5)


@dataclass
class Lab:
    origin_port: int
    paths: list[dict[str, Any]]
    #: headers of every request the origin and the tampered site received
    seen: list[dict[str, str]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{NAME}:{self.origin_port}/"

    def verify_section(self, **extra: Any) -> dict[str, Any]:
        return {"timeout_s": 60.0, "paths": self.paths, **extra}

    def toml(self, **extra: Any) -> str:
        lines = ["[verify]"]
        for k, v in {"timeout_s": 60.0, **extra}.items():
            lines.append(f"{k} = {v!r}".replace("True", "true").replace("False", "false"))
        for p in self.paths:
            lines += ["", "[[verify.paths]]", f'name = "{p["name"]}"', f'kind = "{p["kind"]}"']
            items = ", ".join(f"{k} = {_toml(v)}" for k, v in p["settings"].items())
            lines.append(f"settings = {{ {items} }}")
        return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value).lower() if isinstance(value, bool) else repr(value)


def dns_path(name: str, server: str) -> dict[str, Any]:
    return {"name": name, "kind": "dns", "settings": {"server": server, "types": ["A"]}}


@contextmanager
def lab(
    tmp: Path, *, http: bool = True, dns_liars: int = 1, http_liar: bool = True
) -> Iterator[Lab]:
    """3 resolvers (``dns_liars`` of them lying) and, with ``http``, 3 HTTP paths: direct
    (its own resolution), through an honest proxy, and through a proxy that serves the
    tampered page (``http_liar``; else honest too)."""
    with ExitStack() as stack:
        seen: list[dict[str, str]] = []
        origin = stack.enter_context(http_server(ORIGIN, seen=seen))
        tampered = stack.enter_context(http_server(TAMPERED, seen=seen))
        paths = [
            dns_path(f"resolver-{i}", stack.enter_context(dnsmasq(tmp, TRUE_IP, NAME)))
            for i in range(3 - dns_liars)
        ]
        paths += [
            dns_path(f"liar-ns-{i}", stack.enter_context(dnsmasq(tmp, LIE_IP, NAME)))
            for i in range(dns_liars)
        ]
        if http:
            honest = stack.enter_context(forward_proxy())
            lying = stack.enter_context(forward_proxy(tampered if http_liar else None))
            paths += [
                {"name": "direct", "kind": "http",
                 "settings": {"connect_to": f"127.0.0.1:{origin}"}},
                {"name": "via-proxy", "kind": "http",
                 "settings": {"proxy": f"http://127.0.0.1:{honest}"}},
                {"name": "evil-proxy", "kind": "http",
                 "settings": {"proxy": f"http://127.0.0.1:{lying}"}},
            ]  # fmt: skip
        yield Lab(origin_port=origin, paths=paths, seen=seen)

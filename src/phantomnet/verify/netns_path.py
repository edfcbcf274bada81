"""``kind = "netns"``: any other path kind, asked from inside a network namespace.

```toml
[[verify.paths]]
name = "vpn0-dns"
kind = "netns"
settings = { namespace = "vpn0", path = { kind = "dns", settings = { server = "10.8.0.1:53" } } }
```

The namespace is the operator's (``ip netns add`` and, for the seed's VPN paths, a WireGuard
or OpenVPN tunnel as its default route): PhantomNet never creates namespaces or tunnels. The
inner path runs on an event loop in a thread of its own that has joined the namespace
(``setns(2)`` changes the calling thread only), so every socket the inner path opens —
resolver queries, HTTP fetches, proxy and SOCKS connections — belongs to that namespace;
the rest of the process stays where it was. One thread per namespace, started on first use.
Joining a namespace needs ``CAP_SYS_ADMIN`` (root): without it the path fails (closed).
Names are resolved by the inner path's own settings (``dns`` asks its ``server``; ``http``
takes ``resolver`` or ``connect_to``, or a proxy that resolves): the process's resolver
configuration is not the namespace's.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from phantomnet.errors import ConfigError, VerifyPathError
from phantomnet.verify.answers import Answer
from phantomnet.verify.config import PathConfig
from phantomnet.verify.path import Question, VerifyPath, build_path

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
T = TypeVar("T")


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    settings: dict[str, Any] = {}


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: a name under /run/netns (``ip netns add NAME``)
    namespace: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    path: _Inner


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


class _NamespaceLoop:
    """An event loop on a thread that joined one network namespace."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()

    def _main(self) -> None:
        try:
            with (NETNS_DIR / self.namespace).open("rb") as handle:
                _setns(handle.fileno())
        except OSError as exc:
            self._error = exc
            self._ready.set()
            return
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._ready.set()
        loop.run_forever()

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._error is not None:
                self._error = None
                self._ready.clear()
                thread = threading.Thread(
                    target=self._main, name=f"netns-{self.namespace}", daemon=True
                )
                thread.start()
                self._ready.wait()
            if self._error is not None or self._loop is None:
                why = self._error.strerror if isinstance(self._error, OSError) else self._error
                raise VerifyPathError(f"cannot join network namespace {self.namespace}: {why}")
            return self._loop

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Await ``work`` on the namespace's loop; cancelling this cancels it there too."""
        try:
            loop = self.loop()
        except BaseException:
            work.close()
            raise
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))


_LOOPS: dict[str, _NamespaceLoop] = {}
_LOOPS_LOCK = threading.Lock()


def namespace_loop(namespace: str) -> _NamespaceLoop:
    """The one loop of ``namespace`` (shared by every path in it)."""
    with _LOOPS_LOCK:
        found = _LOOPS.get(namespace)
        if found is None:
            found = _LOOPS[namespace] = _NamespaceLoop(namespace)
        return found


class NetnsPath(VerifyPath):
    name: ClassVar[str] = "netns"
    answers: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, path_name: str, settings: dict[str, Any]) -> None:
        super().__init__(path_name, settings)
        try:
            self.settings = _Settings.model_validate(settings)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"verify.paths.{path_name}.settings.{where}: {first['msg']}") from exc
        if self.settings.path.kind == self.name:
            raise ConfigError(f"verify.paths.{path_name}: a netns path cannot wrap another netns")
        inner = PathConfig(
            name=path_name, kind=self.settings.path.kind, settings=self.settings.path.settings
        )
        self.inner = build_path(inner)
        # per instance: what this path answers is what the wrapped path answers
        self.answers = self.inner.answers  # type: ignore[misc]

    async def ask(self, question: Question) -> Answer:
        ns = self.settings.namespace
        if not (NETNS_DIR / ns).exists():
            raise VerifyPathError(f"{self.path_name}: network namespace {ns} does not exist")
        return await namespace_loop(ns).run(self.inner.ask(question))

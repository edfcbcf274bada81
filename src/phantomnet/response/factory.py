"""Build the response parts from settings; the caller brings the store and the publisher.

Runtime, CLI and API compose: ``build_service(settings, SqlBlockStore(...), publish)`` and, for
the long-running process, ``ResponseComponent(service, bus)``.
"""

from __future__ import annotations

from phantomnet.plugins import BLOCKERS, load_plugin
from phantomnet.response.blockers.base import Blocker
from phantomnet.response.config import ResponseConfig, response_config
from phantomnet.response.runner import Runner
from phantomnet.response.safety import Safety
from phantomnet.response.service import Publish, ResponseService
from phantomnet.response.store import BlockStore
from phantomnet.settings import Settings


def build_blocker(config: ResponseConfig, runner: Runner | None = None) -> Blocker:
    """The blocker plug-in named by ``config.backend`` (PluginError if it is missing)."""
    cls = load_plugin(BLOCKERS, config.backend, Blocker)  # type: ignore[type-abstract]
    return cls(config, runner)


def build_service(
    settings: Settings,
    store: BlockStore,
    publish: Publish | None = None,
    *,
    config: ResponseConfig | None = None,
) -> ResponseService:
    """A ResponseService for ``settings.response`` (ConfigError if the section is invalid).

    It does not check the backend: call ``await service.blocker.check()`` before relying on it
    (the Component does so at start-up, the CLI before each change).
    """
    config = config or response_config(settings)
    runner = Runner(config.netns, config.command_timeout_s)
    return ResponseService(
        config,
        store,
        build_blocker(config, runner),
        Safety(config, runner),
        node=settings.node,
        publish=publish,
    )

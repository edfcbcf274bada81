"""The command registry: builtins (looked up first) and programs (found along ``$PATH``)."""

from phantomnet.deception.shell.commands import (
    admin,
    busybox,
    files,
    hardware,
    identity,
    network,
    system,
    text,
    tools,
)
from phantomnet.deception.shell.commands.builtins import BUILTINS as _BUILTINS
from phantomnet.deception.shell.context import CommandFn

BUILTINS: dict[str, CommandFn] = {
    **_BUILTINS,
    "test": tools.test,
    "[": tools.test,
    "enable": busybox.enable,
}

COMMANDS: dict[str, CommandFn] = {
    **files.COMMANDS,
    **text.COMMANDS,
    **system.COMMANDS,
    **identity.COMMANDS,
    **hardware.COMMANDS,
    **network.COMMANDS,
    **tools.COMMANDS,
    **admin.COMMANDS,
    "echo": _BUILTINS["echo"],
    "printf": _BUILTINS["printf"],
    "pwd": _BUILTINS["pwd"],
    "true": _BUILTINS["true"],
    "false": _BUILTINS["false"],
    "kill": system.kill,
}

__all__ = ["BUILTINS", "COMMANDS"]

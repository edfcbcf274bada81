"""Compound commands: ``for``, ``while``/``until``, ``if``, ``case``, ``{ }`` and ``( )``."""

from __future__ import annotations

import fnmatch
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from phantomnet.deception.shell import parser as ast
from phantomnet.deception.shell.context import Cmd
from phantomnet.deception.shell.simple import apply_redirects

if TYPE_CHECKING:
    from phantomnet.deception.shell.interp import Shell

MAX_ITERATIONS = 2000


async def _for(shell: Shell, node: ast.For, io: Cmd) -> None:
    items = await shell.expand_words(node.words) if node.words is not None else shell.positional
    shell.status = 0
    for value in items[:MAX_ITERATIONS]:
        shell.env[node.var] = value
        await shell.exec_list(node.body, io)


async def _loop(shell: Shell, node: ast.Loop, io: Cmd) -> None:
    status = 0
    for _ in range(MAX_ITERATIONS):
        cond = await shell.exec_list(node.cond, io)
        if (cond == 0) == node.until:
            break
        status = await shell.exec_list(node.body, io)
    shell.status = status


async def _if(shell: Shell, node: ast.If, io: Cmd) -> None:
    for cond, body in node.branches:
        if await shell.exec_list(cond, io) == 0:
            await shell.exec_list(body, io)
            return
    if node.otherwise is not None:
        await shell.exec_list(node.otherwise, io)
    else:
        shell.status = 0


async def _case(shell: Shell, node: ast.Case, io: Cmd) -> None:
    word = await shell.expand_text(node.word)
    shell.status = 0
    for patterns, body in node.arms:
        for pattern in patterns:
            if fnmatch.fnmatchcase(word, await shell.expand_text(pattern)):
                await shell.exec_list(body, io)
                return


async def _group(shell: Shell, node: ast.Group, io: Cmd) -> None:
    if not node.subshell:
        await shell.exec_list(node.body, io)
        return
    saved = (shell.cwd, dict(shell.env))
    try:
        await shell.exec_list(node.body, io)
    finally:
        shell.cwd, shell.env = saved


_RUNNERS: dict[type, Callable[[Shell, object, Cmd], Awaitable[None]]] = {
    ast.For: _for,  # type: ignore[dict-item]
    ast.Loop: _loop,  # type: ignore[dict-item]
    ast.If: _if,  # type: ignore[dict-item]
    ast.Case: _case,  # type: ignore[dict-item]
    ast.Group: _group,  # type: ignore[dict-item]
}


async def run_compound(shell: Shell, node: ast.Node, io: Cmd) -> None:
    runner = _RUNNERS[type(node)]

    async def body(cmd: Cmd) -> None:
        await runner(shell, node, cmd)

    if node.redirects:
        await apply_redirects(shell, node.redirects, io, body)
    else:
        await runner(shell, node, io)

"""One turn run from the command line (`codex-lsp exec`, `codex-lsp review`): the config
loaded (its warnings on stderr), a thread started with terminal approvals, one turn started
on it and awaited, Ctrl-C interrupting it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import events as ev
from ..core.auth import AuthService
from ..core.config.loader import load_config
from ..core.config.settings import ThreadRequest, resolve
from ..core.model.client import ModelClients
from ..core.telemetry.sink import create_sink, terminal_from_environment
from ..core.threads.errors import ThreadError
from ..core.threads.manager import ThreadManager
from ..core.tools.defaults import thread_tools
from ..protocol.initialize import EditorSettings
from ..protocol.thread import Turn
from .approvals import TerminalApprovals

if TYPE_CHECKING:
    from ..core.config.model import CodexConfig
    from ..core.mcp.manager import McpManager

# Starts a thread for the request and the turn on it; returns the turn `inProgress` and
# the thread's id.
StartTurn = Callable[[ThreadManager, ThreadRequest], Awaitable[tuple[Turn, str]]]


def _interrupt(manager: ThreadManager, thread_id: str, turn_id: str) -> None:
    # A second Ctrl-C may come after the turn ended: nothing left to stop.
    with contextlib.suppress(ThreadError):
        manager.interrupt(thread_id, turn_id)


async def _start_mcp(home: Path, config: CodexConfig) -> McpManager | None:
    """The configured MCP servers, started and given their startup time (as Codex's exec
    does: the turn sees the tools of the servers that came up); None without servers."""
    if not config.mcp_servers:
        return None
    from ..core.mcp.manager import McpManager

    mcp = McpManager(home, lambda: config)
    mcp.start()
    await asyncio.gather(
        *(c.wait_settled(c.config.startup_timeout_s + 1.0) for c in mcp.connections())
    )
    for status in mcp.statuses():
        runtime = status.runtime_status
        if runtime.status == "failed":
            why = f": {runtime.error}" if runtime.error else ""
            print(f"warning: MCP server {status.name} failed to start{why}", file=sys.stderr)
    return mcp


async def run_one_turn(
    home: Path,
    render: ev.EventSink,
    request: ThreadRequest,
    start: StartTurn,
    approvals: TerminalApprovals | None = None,
) -> Turn:
    """Start a thread for `request` (its `cwd` defaults to the current directory) and one
    turn on it, both with `start`; return the turn as it ended. Every event goes to `render`.
    Approvals are asked with `approvals` (default: on this terminal). Raises
    `SettingsError` (bad settings) or `ThreadError` (the turn was refused) before any
    turn runs."""
    loaded = load_config(home)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    loop = asyncio.get_running_loop()
    finished: asyncio.Future[Turn] = loop.create_future()

    def emit(event: ev.CoreEvent) -> None:
        render(event)
        if isinstance(event, ev.TurnCompleted) and not finished.done():
            finished.set_result(event.turn)

    default_cwd = str(Path.cwd())
    telemetry = create_sink(loaded.config, terminal_type=terminal_from_environment)
    mcp = await _start_mcp(home, loaded.config)
    manager = ThreadManager(
        home,
        lambda req: resolve(loaded.config, EditorSettings(), req, default_cwd),
        emit,
        ModelClients(AuthService(home, lambda: loaded.config.cli_auth_credentials_store).api_key),
        source="exec",
        tools=lambda thread: thread_tools(thread, mcp=mcp),
        approvals=approvals or TerminalApprovals(),
        telemetry=telemetry,
    )
    try:
        turn, thread_id = await start(manager, request)
        loop.add_signal_handler(signal.SIGINT, _interrupt, manager, thread_id, turn.id)
        try:
            return await finished
        finally:
            loop.remove_signal_handler(signal.SIGINT)
    finally:
        await manager.shutdown()
        if mcp is not None:
            await mcp.close()
        await telemetry.aclose()

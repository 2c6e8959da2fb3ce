"""`codex-lsp exec`: one turn in the current directory, rendered in the terminal."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from ..core import events as ev
from ..core.auth import AuthService
from ..core.config.loader import load_config
from ..core.config.settings import SettingsError, ThreadRequest, resolve
from ..core.model.client import ModelClients
from ..core.threads.manager import ThreadManager, TurnOverrides
from ..core.tools.defaults import thread_tools
from ..protocol.initialize import EditorSettings
from ..protocol.user_input import TextInput
from .approvals import TerminalApprovals
from .render import JsonRenderer, TerminalRenderer


async def run_exec(
    prompt: str,
    *,
    home: Path,
    json_mode: bool = False,
    model: str | None = None,
    provider: str | None = None,
    cwd: str | None = None,
) -> int:
    """Run one turn; exit code 0 when it completed, 1 otherwise."""
    loaded = load_config(home)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    render = JsonRenderer() if json_mode else TerminalRenderer()
    finished: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def emit(event: ev.CoreEvent) -> None:
        render(event)
        if isinstance(event, ev.TurnCompleted) and not finished.done():
            finished.set_result(event.turn.status)

    default_cwd = cwd or str(Path.cwd())
    manager = ThreadManager(
        home,
        lambda req: resolve(loaded.config, EditorSettings(), req, default_cwd),
        emit,
        ModelClients(AuthService(home, lambda: loaded.config.cli_auth_credentials_store).api_key),
        source="exec",
        tools=thread_tools,
        approvals=TerminalApprovals(),
    )
    try:
        thread = await manager.start(
            ThreadRequest(model=model, model_provider=provider, cwd=default_cwd)
        )
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    turn = await manager.start_turn(thread.id, [TextInput(text=prompt)], TurnOverrides())
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, manager.interrupt, thread.id, turn.id)
    try:
        status = await finished
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        await manager.shutdown()
    return 0 if status == "completed" else 1

"""`codex-lsp exec`: one turn in the current directory, rendered in the terminal."""

from __future__ import annotations

import sys
from pathlib import Path

from ..core.config.settings import SettingsError, ThreadRequest
from ..core.threads.errors import ThreadError
from ..core.threads.manager import ThreadManager, TurnOverrides
from ..protocol.thread import Turn
from ..protocol.user_input import TextInput
from .approvals import TerminalApprovals
from .render import JsonRenderer, TerminalRenderer
from .session import run_one_turn


async def run_exec(
    prompt: str,
    *,
    home: Path,
    json_mode: bool = False,
    model: str | None = None,
    provider: str | None = None,
    cwd: str | None = None,
    approvals: TerminalApprovals | None = None,
) -> int:
    """Run one turn; exit code 0 when it completed, 1 otherwise, 2 when it could not start
    (bad settings, refused input). Approvals: see `run_one_turn`."""

    async def start(manager: ThreadManager, request: ThreadRequest) -> tuple[Turn, str]:
        thread = await manager.start(request)
        turn = await manager.start_turn(thread.id, [TextInput(text=prompt)], TurnOverrides())
        return turn, thread.id

    render = JsonRenderer() if json_mode else TerminalRenderer()
    request = ThreadRequest(model=model, model_provider=provider, cwd=cwd)
    try:
        turn = await run_one_turn(home, render, request, start, approvals)
    except (SettingsError, ThreadError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0 if turn.status == "completed" else 1

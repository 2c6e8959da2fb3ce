"""codex/turn/* handlers."""

from __future__ import annotations

from pygls.lsp.server import LanguageServer

from ..core.threads.manager import TurnOverrides
from ..protocol import turn as t
from ..protocol.base import EmptyResult
from .requests import register
from .session import Session


def register_turn_handlers(server: LanguageServer, session: Session) -> None:
    """Serve the turn methods."""
    manager = session.manager

    async def start(p: t.TurnStartParams) -> t.TurnStartResult:
        overrides = TurnOverrides(
            cwd=p.cwd,
            approval_policy=p.approval_policy,
            sandbox_policy=p.sandbox_policy,
            model=p.model,
            effort=p.effort,
            summary=p.summary,
            output_schema=p.output_schema,
        )
        turn = await manager.start_turn(p.thread_id, list(p.input), overrides)
        return t.TurnStartResult(turn=turn)

    async def interrupt(p: t.TurnInterruptParams) -> EmptyResult:
        manager.interrupt(p.thread_id, p.turn_id)
        return EmptyResult()

    register(server, "codex/turn/start", start)
    register(server, "codex/turn/interrupt", interrupt)

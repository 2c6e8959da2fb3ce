"""codex/thread/compact/start, codex/thread/revert, codex/thread/rollback, codex/turn/steer."""

from __future__ import annotations

from pygls.lsp.server import LanguageServer

from ..protocol import thread as th
from ..protocol import turn as t
from ..protocol.base import EmptyResult
from .requests import register
from .session import Session


def register_context_handlers(server: LanguageServer, session: Session) -> None:
    """Serve the context-control methods."""
    manager = session.manager

    async def compact(p: th.ThreadIdParams) -> EmptyResult:
        await manager.compact_thread(p.thread_id)
        return EmptyResult()

    async def steer(p: t.TurnSteerParams) -> t.TurnSteerResult:
        turn_id = await manager.steer_turn(p.thread_id, p.expected_turn_id, list(p.input))
        return t.TurnSteerResult(turn_id=turn_id)

    async def revert(p: th.ThreadRevertParams) -> th.ThreadRevertResult:
        thread = await manager.revert(
            p.thread_id, before_turn_id=p.before_turn_id, restore_files=p.restore_files is not False
        )
        return th.ThreadRevertResult(thread=thread)

    async def rollback(p: th.ThreadRollbackParams) -> th.ThreadRevertResult:
        thread = await manager.revert(
            p.thread_id, num_turns=p.num_turns, restore_files=p.restore_files is not False
        )
        return th.ThreadRevertResult(thread=thread)

    register(server, "codex/thread/compact/start", compact)
    register(server, "codex/thread/revert", revert)
    register(server, "codex/thread/rollback", rollback)
    register(server, "codex/turn/steer", steer)

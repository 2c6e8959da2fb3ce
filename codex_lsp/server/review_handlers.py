"""codex/review/start."""

from __future__ import annotations

from pygls.lsp.server import LanguageServer

from ..protocol.review import ReviewStartParams, ReviewStartResult
from .requests import register
from .session import Session


def register_review_handlers(server: LanguageServer, session: Session) -> None:
    """Serve the review method."""
    manager = session.manager

    async def start(p: ReviewStartParams) -> ReviewStartResult:
        turn, thread_id = await manager.start_review(
            p.thread_id, p.target, detached=p.delivery == "detached"
        )
        return ReviewStartResult(turn=turn, review_thread_id=thread_id)

    register(server, "codex/review/start", start)

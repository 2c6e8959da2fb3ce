"""codex/model/list handlers."""

from __future__ import annotations

from pygls.lsp.server import LanguageServer

from .session import Session


def register_model_handlers(server: LanguageServer, session: Session) -> None:
    """Serve the codex/model/list methods."""

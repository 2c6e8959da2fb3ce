"""codex/config/* handlers."""

from __future__ import annotations

from pygls.lsp.server import LanguageServer

from .session import Session


def register_config_handlers(server: LanguageServer, session: Session) -> None:
    """Serve the codex/config/* methods."""

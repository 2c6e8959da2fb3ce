"""Where codex-lsp keeps its state: `$CODEX_HOME` (Codex's variable), else `~/.codex`.

Its own module, free of imports, because every command needs it before anything else.
"""

from __future__ import annotations

import os
from pathlib import Path


def codex_home() -> Path:
    """`$CODEX_HOME`, else `~/.codex`."""
    env = os.environ.get("CODEX_HOME")
    return Path(env).expanduser() if env else Path.home() / ".codex"

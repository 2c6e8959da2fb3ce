"""The `codex-lsp` command line: serve an editor (default), `exec`, `demo`, `schema`, `login`,
`logout`.

Modules: `commands` (argument parser and dispatch, serving), `exec_run` (one turn in the
terminal), `render` (terminal and JSON-lines renderers of a turn's events), `approvals`
(approval prompts on the terminal), `auth` (`login`, `logout`), `demo` (a turn against the
bundled simulated model). Importing this package stays cheap: `exec`, `login` and `--help`
never load pygls/lsprotocol.
"""

from __future__ import annotations

from .commands import main

__all__ = ["main"]

"""The `codex-lsp` command line: serve an editor (default), `exec`, `review`, `demo`,
`schema`, `login`, `logout`.

Modules: `commands` (argument parser and dispatch, serving), `session` (one turn of a thread
run from the terminal: config, approvals, Ctrl-C), `exec_run` (a prompt's turn),
`review_run` (a review turn; findings as `path:line:` lines or JSON), `render` (terminal and
JSON-lines renderers of a turn's events), `approvals` (approval prompts on the terminal),
`auth` (`login`, `logout`), `demo` (a turn against the bundled simulated model). Importing
this package stays cheap: `exec`, `review`, `login` and `--help` never load pygls/lsprotocol.
"""

from __future__ import annotations

from .commands import main

__all__ = ["main"]

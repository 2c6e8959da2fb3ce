"""`python -m codex_lsp` is the `codex-lsp` command."""

from .cli import main

raise SystemExit(main())

"""Wire models of the codex-lsp protocol and its one method table.

This package imports nothing else from the project: it is the source of `schemas/` and of
the TypeScript types of the VS Code extension.
"""

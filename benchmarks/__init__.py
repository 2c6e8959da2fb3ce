"""Benchmarks of the codex-lsp server (see benchmarks/README.md)."""

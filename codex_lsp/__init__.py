"""codex-lsp: an OpenAI-Codex-style coding agent served to editors as a language server."""

__version__ = "0.1.0"

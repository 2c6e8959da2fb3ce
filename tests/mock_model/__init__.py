"""Tests for the scriptable mock model server (codex_lsp.mock_model)."""

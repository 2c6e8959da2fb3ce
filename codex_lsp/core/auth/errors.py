"""Errors of the auth layer. Their messages never contain a key."""

from __future__ import annotations


class AuthError(Exception):
    """A login, logout or credential-store operation failed."""


class InvalidApiKey(AuthError):
    """The key given to login is malformed (empty, whitespace, control characters...)."""


class StoreUnavailable(AuthError):
    """The configured credential store cannot be used (e.g. no usable OS keyring)."""


class StoreError(AuthError):
    """Reading, writing or deleting a stored key failed."""


def redact(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` masked (for wrapping third-party errors)."""
    if secret:
        return text.replace(secret, "***")
    return text

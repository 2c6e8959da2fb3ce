"""API-key login and credential stores (`cli_auth_credentials_store`). No pygls here."""

from __future__ import annotations

from .errors import AuthError, InvalidApiKey, StoreError, StoreUnavailable
from .service import (
    DEFAULT_MODE,
    MODES,
    AuthService,
    AuthStatus,
    Source,
    StoreMode,
    parse_mode,
    validate_api_key,
)
from .stores import FileStore, KeyringStore, MemoryStore, StoreName, keyring_account

__all__ = [
    "DEFAULT_MODE",
    "MODES",
    "AuthError",
    "AuthService",
    "AuthStatus",
    "FileStore",
    "InvalidApiKey",
    "KeyringStore",
    "MemoryStore",
    "Source",
    "StoreError",
    "StoreMode",
    "StoreName",
    "StoreUnavailable",
    "keyring_account",
    "parse_mode",
    "validate_api_key",
]

"""API-key login: which store to use (`cli_auth_credentials_store`), login, logout, status.

Modes:
- `file` (default, as in Codex): `$CODEX_HOME/auth.json`, mode 0600. Works the same on a
  desktop, over SSH, in containers and in headless editor sessions, where an OS keyring is
  often missing or locked (and an unlock prompt could stall a language server); an existing
  Codex API-key `auth.json` keeps working.
- `keyring`: the OS keyring; fails clearly when no usable keyring backend exists.
- `auto`: the keyring when usable, else the file.
- `ephemeral`: memory only (this process); nothing is written to disk.

Whatever the mode, logout removes the key from every store, and a login in a persistent
mode removes the copy the other persistent store may still hold, so a stale key never
comes back after switching modes. `OPENAI_API_KEY` in the environment is used when no key
is stored.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from .errors import AuthError, InvalidApiKey, StoreError, StoreUnavailable
from .stores import CredentialStore, FileStore, KeyringStore, MemoryStore, StoreName

log = logging.getLogger(__name__)

StoreMode = Literal["file", "keyring", "auto", "ephemeral"]
Source = Literal["file", "keyring", "ephemeral", "env"]
MODES: tuple[str, ...] = get_args(StoreMode)
DEFAULT_MODE: StoreMode = "file"
ENV_KEY = "OPENAI_API_KEY"
MAX_KEY_LENGTH = 4096

_DESCRIPTIONS: dict[Source, str] = {
    "file": "auth.json",
    "keyring": "the OS keyring",
    "ephemeral": "memory (ephemeral)",
    "env": f"the {ENV_KEY} environment variable",
}


def validate_api_key(key: object) -> str:
    """`key` if it looks like an API key, else `InvalidApiKey` (which never quotes it)."""
    if not isinstance(key, str):
        raise InvalidApiKey("the API key must be a string")
    if not key:
        raise InvalidApiKey("the API key is empty")
    if any(ch.isspace() for ch in key):
        raise InvalidApiKey("the API key must not contain spaces, tabs or line breaks")
    if not all(33 <= ord(ch) <= 126 for ch in key):
        raise InvalidApiKey("the API key must contain only printable ASCII characters")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidApiKey(f"the API key is longer than {MAX_KEY_LENGTH} characters")
    return key


def parse_mode(value: str | None) -> StoreMode:
    """The store mode named in config (None -> the default); `AuthError` if unknown."""
    if value is None:
        return DEFAULT_MODE
    if value not in MODES:
        raise AuthError(f"cli_auth_credentials_store: {value!r} is not one of {', '.join(MODES)}")
    return value  # type: ignore[return-value]


@dataclass(frozen=True)
class AuthStatus:
    """Whether an API key is available, and where it comes from."""

    mode: StoreMode
    source: Source | None
    error: str | None = None

    @property
    def logged_in(self) -> bool:
        """True when a key is available (stored or from the environment)."""
        return self.source is not None

    def describe(self, path: Path | None = None) -> str:
        """One line for people, e.g. `Logged in using an API key stored in the OS keyring`."""
        if self.source is None:
            text = "Not logged in"
        elif self.source == "env":
            text = f"Using an API key from {_DESCRIPTIONS['env']}"
        elif self.source == "file" and path is not None:
            text = f"Logged in using an API key stored in {path}"
        else:
            text = f"Logged in using an API key stored in {_DESCRIPTIONS[self.source]}"
        if self.error:
            text += f" ({self.error})"
        return text


class AuthService:
    """The OpenAI API key: login, logout, lookup, status.

    `mode` is the configured `cli_auth_credentials_store` (a value or a callable read on
    every use, so config changes apply without a restart).
    """

    def __init__(
        self,
        home: Path,
        mode: str | Callable[[], str | None] | None = None,
        *,
        keyring_store: KeyringStore | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.home = home
        self._mode = mode
        self.file = FileStore(home)
        self.keyring = keyring_store or KeyringStore(home)
        self.memory = MemoryStore()
        self._environ = environ if environ is not None else os.environ
        # Keyring reads may be slow (D-Bus) or prompt; cache them. None: not read yet.
        self._keyring_cache: tuple[str | None] | None = None
        self._bad_mode_warned = False
        self._last_problem: str | None = None

    # -- configuration --------------------------------------------------------------

    def mode(self) -> StoreMode:
        """The configured mode; `AuthError` for an unknown value."""
        raw = self._mode() if callable(self._mode) else self._mode
        return parse_mode(raw)

    def _read_mode(self) -> StoreMode:
        """The mode for lookups: an unknown value falls back to the default (warned once)."""
        try:
            return self.mode()
        except AuthError as exc:
            if not self._bad_mode_warned:
                log.warning("%s; using %r", exc, DEFAULT_MODE)
                self._bad_mode_warned = True
            return DEFAULT_MODE

    # -- lookups ----------------------------------------------------------------------

    def _keyring_key(self) -> str | None:
        if self._keyring_cache is None:
            self._keyring_cache = (self.keyring.load(),)
        return self._keyring_cache[0]

    def _stored(self, mode: StoreMode) -> tuple[str | None, StoreName | None, str | None]:
        """(key, store, problem) for `mode`; problem explains an unusable store."""
        if mode == "ephemeral":
            key = self.memory.load()
            return key, ("ephemeral" if key else None), None
        if mode == "file":
            key = self.file.load()
            return key, ("file" if key else None), None
        problem: str | None = None
        try:
            key = self._keyring_key()
            if key:
                return key, "keyring", None
        except StoreUnavailable as exc:
            if mode == "keyring":  # in auto mode a missing keyring is expected
                problem = str(exc)
        except AuthError as exc:
            problem = str(exc)
        if mode == "auto":
            key = self.file.load()
            if key:
                return key, "file", None
        return None, None, problem

    def _lookup(self) -> tuple[str | None, Source | None, str | None]:
        mode = self._read_mode()
        try:
            key, store, problem = self._stored(mode)
        except AuthError as exc:
            key, store, problem = None, None, str(exc)
        if key and store:
            return key, store, None
        env = self._environ.get(ENV_KEY)
        if env:
            return env, "env", problem
        return None, None, problem

    def api_key(self) -> str | None:
        """The stored key of the configured mode, else `OPENAI_API_KEY`, else None."""
        key, _source, problem = self._lookup()
        if problem and key is None and problem != self._last_problem:
            log.warning("cannot read the stored OpenAI API key: %s", problem)
        self._last_problem = problem
        return key

    def status(self) -> AuthStatus:
        """Logged in or not, and from which store (or the environment)."""
        _key, source, problem = self._lookup()
        return AuthStatus(mode=self._read_mode(), source=source, error=problem)

    def refresh(self) -> None:
        """Forget cached keyring reads (another process may have logged in or out)."""
        self._keyring_cache = None

    # -- login / logout -------------------------------------------------------------------

    def login_api_key(self, key: str) -> StoreName:
        """Validate and store `key` in the configured store; the store that was used."""
        key = validate_api_key(key)
        mode = self.mode()
        store: CredentialStore
        if mode == "ephemeral":
            self.memory.save(key)
            log.info("OpenAI API key kept in memory (ephemeral); nothing written to disk")
            return "ephemeral"
        if mode == "file":
            store = self.file
        elif mode == "keyring":
            self.keyring.backend()  # StoreUnavailable with a clear reason
            store = self.keyring
        else:
            reason = self.keyring.usable()
            if reason is None:
                store = self.keyring
            else:
                log.info("auto: %s; using %s", reason, self.file.path)
                store = self.file
        store.save(key)
        if store is self.keyring:
            self._keyring_cache = (key,)
        self.memory.delete()
        self._remove_stale(store.name)
        log.info("OpenAI API key stored in the %s store (mode %s)", store.name, mode)
        return store.name

    def _remove_stale(self, kept: StoreName) -> None:
        """After a login, drop the copy the other persistent store may hold (best effort)."""
        try:
            if kept != "file":
                self.file.delete()
            if kept != "keyring" and self.keyring.usable() is None:
                self.keyring.delete()
                self._keyring_cache = (None,)
        except AuthError as exc:
            log.warning("could not remove an older stored key: %s", exc)

    def logout(self) -> list[StoreName]:
        """Remove the key from every store; the stores that held one.

        Every store is tried; if one fails, `StoreError` names it after the others are done.
        """
        removed: list[StoreName] = []
        failures: list[str] = []
        if self.memory.delete():
            removed.append("ephemeral")
        for store in (self.file, self.keyring):
            try:
                if store is self.keyring and self.keyring.usable() is not None:
                    continue
                if store.delete():
                    removed.append(store.name)
            except AuthError as exc:
                failures.append(str(exc))
        self._keyring_cache = None
        if failures:
            raise StoreError("; ".join(failures))
        log.info("logged out (removed from: %s)", ", ".join(removed) or "nothing stored")
        return removed

    def describe_store(self, store: StoreName) -> str:
        """Where `store` keeps the key, for messages (never the key)."""
        if store == "file":
            return str(self.file.path)
        return _DESCRIPTIONS[store]


__all__ = [
    "DEFAULT_MODE",
    "MODES",
    "AuthService",
    "AuthStatus",
    "Source",
    "StoreMode",
    "StoreUnavailable",
    "parse_mode",
    "validate_api_key",
]

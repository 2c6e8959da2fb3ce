"""Where an OpenAI API key can be kept: `$CODEX_HOME/auth.json`, the OS keyring, memory.

Every store has the same small interface (`load`, `save`, `delete`). The key is never logged
and never put into an exception message; every key a store loads or saves is registered
with `core.redact`, so that text echoing it (a provider's error answer) is redacted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ..private_files import private_dir, write_private_atomic
from ..redact import register_secret
from .errors import StoreError, StoreUnavailable, redact

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

StoreName = Literal["file", "keyring", "ephemeral"]

AUTH_FILE = "auth.json"
# Same field name as Codex's auth.json, so a Codex API-key login keeps working.
KEY_FIELD = "OPENAI_API_KEY"
KEYRING_SERVICE = "codex-lsp"


class CredentialStore(Protocol):
    """One place an API key can live."""

    name: StoreName

    def load(self) -> str | None:
        """The stored key, or None."""

    def save(self, key: str) -> None:
        """Store `key`, replacing any previous one."""

    def delete(self) -> bool:
        """Remove the key; True when there was one."""


class MemoryStore:
    """`ephemeral`: the key lives in this process only; nothing touches the disk."""

    name: StoreName = "ephemeral"

    def __init__(self) -> None:
        self._key: str | None = None

    def load(self) -> str | None:
        """The key given to `save` in this process."""
        return self._key

    def save(self, key: str) -> None:
        """Keep `key` in memory."""
        register_secret(key)
        self._key = key

    def delete(self) -> bool:
        """Forget the key."""
        had = self._key is not None
        self._key = None
        return had

    def __repr__(self) -> str:
        return "MemoryStore()"


class FileStore:
    """`file`: `$CODEX_HOME/auth.json`, mode 0600, replaced atomically.

    Other fields of an existing auth.json (e.g. written by Codex) are kept.
    """

    name: StoreName = "file"

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / AUTH_FILE

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError:
            log.warning("%s is not valid JSON; ignoring it", self.path)
            return {}
        if not isinstance(data, dict):
            log.warning("%s does not hold a JSON object; ignoring it", self.path)
            return {}
        return data

    def load(self) -> str | None:
        """The key in auth.json, or None (no file, no key, unreadable JSON)."""
        value = self._read().get(KEY_FIELD)
        if not (isinstance(value, str) and value):
            return None
        register_secret(value)
        return value

    def save(self, key: str) -> None:
        """Write auth.json with `key` (0600, atomically)."""
        register_secret(key)
        data = self._read()
        data[KEY_FIELD] = key
        self._write(data)

    def delete(self) -> bool:
        """Drop the key; the file goes away when nothing else is left in it."""
        data = self._read()
        if not self.path.exists():
            return False
        had = bool(data.get(KEY_FIELD))
        data.pop(KEY_FIELD, None)
        if any(v is not None for v in data.values()):
            if had:
                self._write(data)
        else:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise StoreError(f"cannot remove {self.path}: {exc.strerror}") from None
        return had

    def _write(self, data: dict[str, Any]) -> None:
        payload = json.dumps(data, indent=2) + "\n"
        try:
            private_dir(self.home)
        except OSError as exc:
            raise StoreError(f"cannot create {self.home}: {exc.strerror}") from None
        try:
            write_private_atomic(self.path, payload)
        except OSError as exc:
            raise StoreError(f"cannot write {self.path}: {exc.strerror}") from None

    def __repr__(self) -> str:
        return f"FileStore({str(self.path)!r})"


def keyring_account(home: Path) -> str:
    """The keyring account name for `home`: two CODEX_HOMEs never share an entry."""
    try:
        canonical = str(home.expanduser().resolve())
    except OSError:
        canonical = str(home.expanduser().absolute())
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
    return f"openai-api-key|{digest}"


def _qualified_name(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _explicitly_chosen() -> bool:
    """Did the user pick a keyring backend (PYTHON_KEYRING_BACKEND or keyringrc.cfg)?"""
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    try:
        from keyring.util import platform_

        return (Path(platform_.config_root()) / "keyringrc.cfg").is_file()
    except Exception:
        return False


_HINT = 'or set cli_auth_credentials_store = "file" in config.toml'


def check_backend(backend: KeyringBackend, *, chosen: bool) -> None:
    """Raise `StoreUnavailable` unless `backend` can really keep a secret.

    The `fail` and `null` backends (and an empty chainer) never can. A backend that the
    keyring library itself does not recommend (priority below 1, e.g. keyrings.alt's
    plaintext file) is used only when the user chose it explicitly.
    """
    from keyring.backends import chainer, fail, null

    name = _qualified_name(backend)
    if isinstance(backend, fail.Keyring | null.Keyring):
        raise StoreUnavailable(
            f"no usable OS keyring: the keyring library found no backend ({name}); "
            f"install or unlock a keyring service, {_HINT}"
        )
    if isinstance(backend, chainer.ChainerBackend) and not chainer.ChainerBackend.backends:
        raise StoreUnavailable(f"no usable OS keyring: no keyring backend is available; {_HINT}")
    try:
        priority = float(backend.priority)
    except Exception as exc:
        raise StoreUnavailable(
            f"no usable OS keyring: backend {name} is not viable ({type(exc).__name__}); {_HINT}"
        ) from None
    if priority < 1 and not chosen:
        raise StoreUnavailable(
            f"no usable OS keyring: the only backend found is {name}, which the keyring "
            "library does not recommend; choose it explicitly with PYTHON_KEYRING_BACKEND, " + _HINT
        )


class KeyringStore:
    """`keyring`: the OS keyring through the `keyring` library.

    Service `codex-lsp`, account `openai-api-key|<hash of CODEX_HOME>`. `backend` is for
    tests; by default the library's configured or detected backend is used.
    """

    name: StoreName = "keyring"

    def __init__(
        self,
        home: Path,
        backend: KeyringBackend | None = None,
        service: str = KEYRING_SERVICE,
    ) -> None:
        self.service = service
        self.account = keyring_account(home)
        self._backend = backend

    def backend(self) -> KeyringBackend:
        """The backend to use, or `StoreUnavailable` with a clear reason."""
        if self._backend is not None:
            check_backend(self._backend, chosen=True)
            return self._backend
        try:
            import keyring

            backend = keyring.get_keyring()
        except Exception as exc:
            raise StoreUnavailable(
                f"no usable OS keyring: cannot load the keyring backend "
                f"({type(exc).__name__}: {exc}); {_HINT}"
            ) from None
        check_backend(backend, chosen=_explicitly_chosen())
        return backend

    def usable(self) -> str | None:
        """None when the keyring can be used, else why not."""
        try:
            self.backend()
        except StoreUnavailable as exc:
            return str(exc)
        return None

    def load(self) -> str | None:
        """The key in the keyring, or None."""
        backend = self.backend()
        try:
            value = backend.get_password(self.service, self.account)
        except Exception as exc:
            raise StoreError(
                f"cannot read from the OS keyring ({_qualified_name(backend)}): "
                f"{type(exc).__name__}"
            ) from None
        register_secret(value)
        return value or None

    def save(self, key: str) -> None:
        """Put `key` into the keyring."""
        register_secret(key)
        backend = self.backend()
        try:
            backend.set_password(self.service, self.account, key)
        except Exception as exc:
            detail = redact(f"{type(exc).__name__}: {exc}", key)
            raise StoreError(
                f"cannot write to the OS keyring ({_qualified_name(backend)}): {detail}"
            ) from None

    def delete(self) -> bool:
        """Remove the key from the keyring; False when there was none."""
        from keyring.errors import PasswordDeleteError

        backend = self.backend()
        try:
            if backend.get_password(self.service, self.account) is None:
                return False
            backend.delete_password(self.service, self.account)
        except PasswordDeleteError:
            return False
        except Exception as exc:
            raise StoreError(
                f"cannot remove the key from the OS keyring ({_qualified_name(backend)}): "
                f"{type(exc).__name__}"
            ) from None
        return True

    def __repr__(self) -> str:
        return f"KeyringStore(service={self.service!r}, account={self.account!r})"

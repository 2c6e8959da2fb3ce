"""Where the OAuth tokens of MCP servers are kept (`mcp_oauth_credentials_store`).

One JSON document maps `<server>|<hash of its url>` to that server's record: its tokens,
when the access token expires, the client registration, and the authorization server's
metadata (so a token can be refreshed after a restart without a new discovery). The
document lives in the OS keyring (service `codex-lsp-mcp`, through the API key's
`KeyringStore`) or in `$CODEX_HOME/mcp-credentials.json` (0600), chosen as for the API
key: `keyring`, `file`, `auto` (the keyring when usable, else the file; the default) or
`ephemeral` (this process only). Every token read or written is registered with
`core.redact`, so no log line shows it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..auth.errors import AuthError
from ..auth.stores import KeyringStore
from ..private_files import private_dir, write_private_atomic
from ..redact import register_secrets

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "mcp-credentials.json"
KEYRING_SERVICE = "codex-lsp-mcp"
MODES = ("keyring", "file", "auto", "ephemeral")
# A token this close to its expiry counts as expired (refreshed before use).
EXPIRY_MARGIN_S = 30.0


@dataclass
class OAuthRecord:
    """One server's OAuth state, in the SDK's JSON shapes."""

    tokens: dict[str, Any] | None = None
    client_info: dict[str, Any] | None = None
    # Unix time at which the access token expires (None: unknown or never).
    expires_at: float | None = None
    # The authorization server's metadata (RFC 8414), for refreshing after a restart.
    oauth_metadata: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, data: Any) -> OAuthRecord | None:
        """A record read back (None when it is not one)."""
        if not isinstance(data, dict):
            return None
        record = cls(
            tokens=_dict_or_none(data.get("tokens")),
            client_info=_dict_or_none(data.get("client_info")),
            expires_at=_float_or_none(data.get("expires_at")),
            oauth_metadata=_dict_or_none(data.get("oauth_metadata")),
        )
        record.register()
        return record

    def register(self) -> None:
        """Make every secret of the record known to the redaction of logs and errors."""
        tokens = self.tokens or {}
        client = self.client_info or {}
        register_secrets(
            [tokens.get("access_token"), tokens.get("refresh_token"), client.get("client_secret")]
        )

    @property
    def logged_in(self) -> bool:
        """Are there tokens (maybe expired, then refreshed on use)?"""
        return bool(self.tokens and self.tokens.get("access_token"))

    def expired(self, now: float | None = None) -> bool:
        """Has the access token expired (or is about to)?"""
        if self.expires_at is None:
            return False
        return (now or time.time()) >= self.expires_at - EXPIRY_MARGIN_S

    def set_tokens(self, tokens: dict[str, Any], now: float | None = None) -> None:
        """New tokens (a login or a refresh), with their expiry."""
        self.tokens = tokens
        expires_in = tokens.get("expires_in")
        self.expires_at = (
            (now or time.time()) + float(expires_in)
            if isinstance(expires_in, int | float)
            else None
        )
        self.register()


def _dict_or_none(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _float_or_none(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def record_key(server: str, url: str) -> str:
    """Where a server's record is kept: its name and its URL (a new URL: a new login)."""
    return f"{server}|{hashlib.sha256(url.encode('utf-8')).hexdigest()[:16]}"


class OAuthCredentials:
    """The OAuth records of every MCP server. Blocking (keyring, disk): call from a thread."""

    def __init__(
        self,
        home: Path,
        mode: Callable[[], str | None],
        keyring: KeyringStore | None = None,
    ) -> None:
        self.path = home / CREDENTIALS_FILE
        self.home = home
        self._mode = mode
        self.keyring = keyring or KeyringStore(home, service=KEYRING_SERVICE)
        self._memory: dict[str, Any] = {}
        self._lock = threading.Lock()

    def mode(self) -> str:
        """The configured store (an unknown value reads as the default, `auto`)."""
        value = self._mode()
        return value if value in MODES else "auto"

    def _use_keyring(self) -> bool:
        mode = self.mode()
        if mode == "keyring":
            return True
        if mode == "auto":
            return self.keyring.usable() is None
        return False

    # -- the document ----------------------------------------------------------------------

    def _read_file(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("cannot read %s (%s); ignoring it", self.path, type(exc).__name__)
            return {}
        return data if isinstance(data, dict) else {}

    def _read(self) -> dict[str, Any]:
        mode = self.mode()
        if mode == "ephemeral":
            return dict(self._memory)
        if self._use_keyring():
            try:
                text = self.keyring.load()
            except AuthError as exc:
                if mode == "keyring":
                    raise
                log.info("OS keyring unusable (%s); reading %s", exc, self.path)
                return self._read_file()
            try:
                data = json.loads(text) if text else {}
            except ValueError:
                log.warning("the MCP credentials in the OS keyring are not JSON; ignoring them")
                data = {}
            return data if isinstance(data, dict) else {}
        return self._read_file()

    def _write(self, data: dict[str, Any]) -> None:
        mode = self.mode()
        if mode == "ephemeral":
            self._memory = dict(data)
            return
        text = json.dumps(data, indent=2) + "\n"
        if self._use_keyring():
            try:
                self.keyring.save(text)
                return
            except AuthError as exc:
                if mode == "keyring":
                    raise
                log.info("OS keyring unusable (%s); writing %s", exc, self.path)
        private_dir(self.home)
        write_private_atomic(self.path, text)

    # -- records ---------------------------------------------------------------------------

    def load(self, server: str, url: str) -> OAuthRecord | None:
        """The server's record, or None. (`auto` also looks in the file when the keyring
        has none: a login made while no keyring was usable.)"""
        key = record_key(server, url)
        with self._lock:
            found = self._read().get(key)
            if found is None and self.mode() == "auto" and self._use_keyring():
                found = self._read_file().get(key)
            return OAuthRecord.from_json(found)

    def save(self, server: str, url: str, record: OAuthRecord) -> None:
        """Keep `record` as the server's record."""
        record.register()
        with self._lock:
            data = self._read()
            data[record_key(server, url)] = asdict(record)
            self._write(data)

    def delete(self, server: str, url: str) -> bool:
        """Forget the server's record; True when there was one."""
        with self._lock:
            data = self._read()
            if data.pop(record_key(server, url), None) is None:
                return False
            self._write(data)
            return True

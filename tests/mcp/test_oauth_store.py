"""Where MCP OAuth tokens are kept: the keyring, a 0600 file, memory; `auto` chooses."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from keyring.backends import fail

from codex_lsp.core.auth.stores import KeyringStore
from codex_lsp.core.mcp.oauth_store import (
    CREDENTIALS_FILE,
    KEYRING_SERVICE,
    OAuthCredentials,
    OAuthRecord,
    record_key,
)
from codex_lsp.core.redact import redact
from tests.auth.fakes import DictKeyring

URL = "http://127.0.0.1:9/mcp"


def record(access: str = "at-0123456789", refresh: str = "rt-0123456789") -> OAuthRecord:
    made = OAuthRecord(client_info={"client_id": "c1"})
    made.set_tokens({"access_token": access, "refresh_token": refresh, "expires_in": 60}, now=1000)
    return made


def test_records_and_expiry() -> None:
    made = record()
    assert made.expires_at == 1060 and made.logged_in
    assert not made.expired(now=1000) and made.expired(now=1031)  # 30 s margin
    assert OAuthRecord.from_json({"tokens": "nope"}) == OAuthRecord()
    assert OAuthRecord.from_json([]) is None
    assert record_key("docs", URL) != record_key("docs", URL + "2")
    # Tokens are known secrets from now on.
    assert "at-0123456789" not in redact("token at-0123456789 leaked")


def test_file_store_is_private_and_keyed_by_server_and_url(tmp_path: Path) -> None:
    creds = OAuthCredentials(tmp_path, lambda: "file", keyring=KeyringStore(tmp_path))
    assert creds.load("docs", URL) is None
    creds.save("docs", URL, record())
    creds.save("other", URL, record("at-other-123456"))
    path = tmp_path / CREDENTIALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = creds.load("docs", URL)
    assert loaded is not None and loaded.tokens is not None
    assert loaded.tokens["access_token"] == "at-0123456789" and loaded.expires_at == 1060
    assert creds.load("docs", URL + "/other") is None
    assert creds.delete("docs", URL) and not creds.delete("docs", URL)
    assert list(json.loads(path.read_text())) == [record_key("other", URL)]


def test_keyring_store(tmp_path: Path) -> None:
    backend = DictKeyring()
    keyring = KeyringStore(tmp_path, backend=backend, service=KEYRING_SERVICE)
    creds = OAuthCredentials(tmp_path, lambda: "keyring", keyring=keyring)
    creds.save("docs", URL, record())
    assert not (tmp_path / CREDENTIALS_FILE).exists()
    [(service, _account)] = backend.entries
    assert service == KEYRING_SERVICE
    loaded = creds.load("docs", URL)
    assert loaded is not None and loaded.client_info == {"client_id": "c1"}
    # `auto` prefers a usable keyring too.
    assert OAuthCredentials(tmp_path, lambda: None, keyring=keyring).load("docs", URL) is not None


def test_auto_falls_back_to_the_file_and_keyring_fails_clearly(tmp_path: Path) -> None:
    broken = KeyringStore(tmp_path, backend=fail.Keyring(), service=KEYRING_SERVICE)
    auto = OAuthCredentials(tmp_path, lambda: "auto", keyring=broken)
    auto.save("docs", URL, record())
    assert (tmp_path / CREDENTIALS_FILE).exists()
    assert auto.load("docs", URL) is not None
    # A keyring usable later: `auto` still finds the login kept in the file.
    working = KeyringStore(tmp_path, backend=DictKeyring(), service=KEYRING_SERVICE)
    assert OAuthCredentials(tmp_path, lambda: "auto", keyring=working).load("docs", URL)
    strict = OAuthCredentials(tmp_path, lambda: "keyring", keyring=broken)
    with pytest.raises(Exception, match="keyring"):
        strict.save("docs", URL, record())


def test_ephemeral_store_touches_no_disk(tmp_path: Path) -> None:
    creds = OAuthCredentials(tmp_path, lambda: "ephemeral", keyring=KeyringStore(tmp_path))
    creds.save("docs", URL, record())
    assert creds.load("docs", URL) is not None
    assert list(tmp_path.iterdir()) == []

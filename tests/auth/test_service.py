"""AuthService: the four modes, logout from every store, env fallback, key validation."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from keyring.backends import fail

from codex_lsp.core.auth import (
    AuthError,
    AuthService,
    InvalidApiKey,
    KeyringStore,
    StoreError,
    StoreUnavailable,
    validate_api_key,
)

from .fakes import DictKeyring

KEY = "sk-unit-SERVICE-0123456789"
OTHER = "sk-unit-OTHER-9876543210"


def service(
    home: Path,
    mode: str | None,
    backend: object | None = None,
    environ: dict[str, str] | None = None,
) -> AuthService:
    """An AuthService over `home` with an injected keyring backend and environment."""
    keyring = KeyringStore(home, backend=backend or DictKeyring())  # type: ignore[arg-type]
    return AuthService(home, mode, keyring_store=keyring, environ=environ or {})


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        " ",
        "sk-abc def",
        "sk-abc\n",
        "\tsk-abc",
        "sk-abc\r\nX",
        "sk-\u00e9t\u00e9",
        "sk-\x00",
        "x" * 5000,
    ],
)
def test_invalid_keys_are_rejected_without_being_quoted(bad: str) -> None:
    with pytest.raises(InvalidApiKey) as err:
        validate_api_key(bad)
    if bad.strip():
        assert bad.strip() not in str(err.value)


def test_valid_key_passes() -> None:
    assert validate_api_key(KEY) == KEY
    with pytest.raises(InvalidApiKey):
        validate_api_key(None)


def test_default_mode_is_file(tmp_path: Path) -> None:
    auth = service(tmp_path, None)
    assert auth.mode() == "file"
    assert auth.login_api_key(KEY) == "file"
    assert (tmp_path / "auth.json").is_file()
    assert auth.api_key() == KEY
    status = auth.status()
    assert status.logged_in and status.source == "file" and status.mode == "file"


def test_keyring_mode(tmp_path: Path) -> None:
    backend = DictKeyring()
    auth = service(tmp_path, "keyring", backend)
    assert auth.login_api_key(KEY) == "keyring"
    assert list(backend.entries.values()) == [KEY]
    assert files_under(tmp_path) == []
    assert auth.api_key() == KEY
    assert auth.status().source == "keyring"


def test_keyring_mode_without_a_keyring_fails_clearly(tmp_path: Path) -> None:
    auth = service(tmp_path, "keyring", fail.Keyring())
    with pytest.raises(StoreUnavailable) as err:
        auth.login_api_key(KEY)
    assert "no usable OS keyring" in str(err.value)
    assert "cli_auth_credentials_store" in str(err.value)
    assert KEY not in str(err.value)
    assert files_under(tmp_path) == []
    assert auth.api_key() is None
    status = auth.status()
    assert not status.logged_in and status.error and "keyring" in status.error


def test_auto_prefers_the_keyring(tmp_path: Path) -> None:
    backend = DictKeyring()
    auth = service(tmp_path, "auto", backend)
    assert auth.login_api_key(KEY) == "keyring"
    assert list(backend.entries.values()) == [KEY]
    assert not (tmp_path / "auth.json").exists()
    assert auth.status().source == "keyring"


def test_auto_falls_back_to_the_file(tmp_path: Path) -> None:
    auth = service(tmp_path, "auto", fail.Keyring())
    assert auth.login_api_key(KEY) == "file"
    assert (tmp_path / "auth.json").is_file()
    assert auth.api_key() == KEY
    assert auth.status().source == "file"


def test_ephemeral_touches_nothing_on_disk(tmp_path: Path) -> None:
    backend = DictKeyring()
    home = tmp_path / "home"
    auth = service(home, "ephemeral", backend)
    assert auth.login_api_key(KEY) == "ephemeral"
    assert auth.api_key() == KEY
    assert auth.status().source == "ephemeral"
    assert not home.exists()
    assert backend.entries == {}
    # Another process (a new service) does not see it.
    assert service(home, "ephemeral", backend).api_key() is None


def test_login_removes_the_stale_copy_of_the_other_store(tmp_path: Path) -> None:
    backend = DictKeyring()
    service(tmp_path, "file", backend).login_api_key(OTHER)
    service(tmp_path, "keyring", backend).login_api_key(KEY)
    assert not (tmp_path / "auth.json").exists()
    service(tmp_path, "file", backend).login_api_key(KEY)
    assert backend.entries == {}
    # Switching back to keyring mode never resurrects an old key.
    assert service(tmp_path, "keyring", backend).api_key() is None


def test_logout_removes_the_key_from_every_store(tmp_path: Path) -> None:
    backend = DictKeyring()
    auth = service(tmp_path, "ephemeral", backend)
    KeyringStore(tmp_path, backend=backend).save(KEY)
    (tmp_path / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": OTHER}))
    auth.login_api_key("sk-in-memory")
    assert sorted(auth.logout()) == ["ephemeral", "file", "keyring"]
    assert backend.entries == {}
    assert not (tmp_path / "auth.json").exists()
    for mode in ("file", "keyring", "auto", "ephemeral"):
        auth = service(tmp_path, mode, backend)
        assert auth.api_key() is None
        assert not auth.status().logged_in
    assert auth.logout() == []


def test_a_missing_keyring_is_only_a_problem_in_keyring_mode(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        auto = service(tmp_path, "auto", fail.Keyring())
        assert auto.api_key() is None
        assert auto.status().error is None
        assert caplog.text == ""
        strict = service(tmp_path, "keyring", fail.Keyring())
        for _ in range(3):
            assert strict.api_key() is None
    assert caplog.text.count("no usable OS keyring") == 1  # warned once, not per request


def test_logout_still_clears_the_file_when_there_is_no_keyring(tmp_path: Path) -> None:
    auth = service(tmp_path, "auto", fail.Keyring())
    auth.login_api_key(KEY)
    assert auth.logout() == ["file"]
    assert auth.api_key() is None


def test_logout_reports_a_store_that_failed(tmp_path: Path) -> None:
    class Broken(DictKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            return "present"

        def delete_password(self, service: str, username: str) -> None:
            raise OSError("dbus went away")

    auth = service(tmp_path, "file", Broken())
    auth.file.save(KEY)
    with pytest.raises(StoreError) as err:
        auth.logout()
    assert "keyring" in str(err.value)
    assert not (tmp_path / "auth.json").exists()  # the other stores were still cleared


def test_environment_key_is_the_fallback(tmp_path: Path) -> None:
    env = {"OPENAI_API_KEY": OTHER}
    auth = service(tmp_path, "file", environ=env)
    assert auth.api_key() == OTHER
    assert auth.status().source == "env"
    auth.login_api_key(KEY)
    assert auth.api_key() == KEY  # a stored key wins
    auth.logout()
    assert auth.api_key() == OTHER
    env["OPENAI_API_KEY"] = ""
    assert auth.api_key() is None


def test_mode_is_read_on_every_use(tmp_path: Path) -> None:
    mode = ["file"]
    backend = DictKeyring()
    keyring = KeyringStore(tmp_path, backend=backend)
    auth = AuthService(tmp_path, lambda: mode[0], keyring_store=keyring, environ={})
    assert auth.login_api_key(KEY) == "file"
    mode[0] = "keyring"
    assert auth.api_key() is None
    assert auth.login_api_key(KEY) == "keyring"


def test_unknown_mode(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    auth = service(tmp_path, "vault")
    with pytest.raises(AuthError) as err:
        auth.login_api_key(KEY)
    assert "vault" in str(err.value) and "keyring" in str(err.value)
    (tmp_path / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": KEY}))
    with caplog.at_level(logging.WARNING):
        assert auth.api_key() == KEY  # lookups use the default mode (file)
    assert "vault" in caplog.text


def test_keyring_reads_are_cached_until_refresh(tmp_path: Path) -> None:
    backend = DictKeyring()
    auth = service(tmp_path, "keyring", backend)
    assert auth.api_key() is None
    KeyringStore(tmp_path, backend=backend).save(KEY)  # another process logs in
    assert auth.api_key() is None
    auth.refresh()
    assert auth.api_key() == KEY


def test_file_changes_are_seen_at_once(tmp_path: Path) -> None:
    auth = service(tmp_path, "file")
    assert auth.api_key() is None
    service(tmp_path, "file").login_api_key(KEY)  # e.g. `codex-lsp login` meanwhile
    assert auth.api_key() == KEY


def test_the_key_is_never_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        for mode in ("file", "keyring", "auto", "ephemeral"):
            auth = service(tmp_path / mode, mode)
            auth.login_api_key(KEY)
            auth.api_key()
            auth.status()
            auth.logout()
        with pytest.raises(InvalidApiKey):
            service(tmp_path, "file").login_api_key(KEY + " ")
        with pytest.raises(StoreUnavailable):
            service(tmp_path, "keyring", fail.Keyring()).login_api_key(KEY)
    assert caplog.records
    assert KEY not in caplog.text

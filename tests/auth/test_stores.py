"""The three credential stores: auth.json (0600, atomic), the OS keyring, memory."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from keyring.backends import fail, null

from codex_lsp.core.auth import (
    FileStore,
    KeyringStore,
    MemoryStore,
    StoreError,
    StoreUnavailable,
    keyring_account,
)
from codex_lsp.core.auth.stores import check_backend

from .fakes import DictKeyring, LeakyKeyring

KEY = "sk-unit-STORE-0123456789"


def test_file_store_writes_0600_atomically(tmp_path: Path) -> None:
    home = tmp_path / "home"  # created on demand
    store = FileStore(home)
    assert store.load() is None
    store.save(KEY)
    path = home / "auth.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"OPENAI_API_KEY": KEY}
    assert store.load() == KEY
    assert sorted(p.name for p in home.iterdir()) == ["auth.json"]  # no temp file left


def test_file_store_mode_is_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    import os

    old = os.umask(0)
    try:
        FileStore(tmp_path).save(KEY)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "auth.json").stat().st_mode) == 0o600


def test_file_store_replaces_and_keeps_other_fields(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    path.write_text(json.dumps({"OPENAI_API_KEY": "old", "tokens": {"id": "x"}}))
    path.chmod(0o644)
    store = FileStore(tmp_path)
    store.save(KEY)
    assert json.loads(path.read_text()) == {"OPENAI_API_KEY": KEY, "tokens": {"id": "x"}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.delete() is True
    assert json.loads(path.read_text()) == {"tokens": {"id": "x"}}
    assert store.load() is None


def test_file_store_delete_removes_the_file(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    assert store.delete() is False
    store.save(KEY)
    assert store.delete() is True
    assert not (tmp_path / "auth.json").exists()


def test_file_store_ignores_a_broken_file(tmp_path: Path) -> None:
    (tmp_path / "auth.json").write_text("{not json")
    assert FileStore(tmp_path).load() is None
    (tmp_path / "auth.json").write_text('["a list"]')
    assert FileStore(tmp_path).load() is None


def test_file_store_write_failure_is_clear(tmp_path: Path) -> None:
    home = tmp_path / "not-a-dir"
    home.write_text("a file where CODEX_HOME should be")
    with pytest.raises(StoreError) as err:
        FileStore(home).save(KEY)
    assert str(home) in str(err.value)
    assert KEY not in str(err.value)
    assert list(tmp_path.iterdir()) == [home]


def test_memory_store() -> None:
    store = MemoryStore()
    assert store.load() is None
    store.save(KEY)
    assert store.load() == KEY
    assert store.delete() is True
    assert store.delete() is False
    assert KEY not in repr(store)


def test_keyring_store_roundtrip(tmp_path: Path) -> None:
    backend = DictKeyring()
    store = KeyringStore(tmp_path, backend=backend)
    assert store.usable() is None
    assert store.load() is None
    store.save(KEY)
    assert backend.entries == {("codex-lsp", keyring_account(tmp_path)): KEY}
    assert store.load() == KEY
    assert store.delete() is True
    assert store.delete() is False
    assert backend.entries == {}


def test_keyring_account_depends_on_codex_home(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert keyring_account(a) != keyring_account(b)
    assert keyring_account(a) == keyring_account(tmp_path / "x" / ".." / "a")
    assert keyring_account(a).startswith("openai-api-key|")


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()])
def test_fail_and_null_backends_are_unusable(tmp_path: Path, backend: object) -> None:
    store = KeyringStore(tmp_path, backend=backend)  # type: ignore[arg-type]
    reason = store.usable()
    assert reason is not None and "no usable OS keyring" in reason
    for op in (store.load, lambda: store.save(KEY), store.delete):
        with pytest.raises(StoreUnavailable):
            op()


def test_not_recommended_backend_needs_an_explicit_choice() -> None:
    class Weak(DictKeyring):
        priority = 0.5  # type: ignore[assignment]

    with pytest.raises(StoreUnavailable) as err:
        check_backend(Weak(), chosen=False)
    assert "PYTHON_KEYRING_BACKEND" in str(err.value)
    check_backend(Weak(), chosen=True)  # the user picked it: fine


def test_keyring_errors_never_quote_the_key(tmp_path: Path) -> None:
    store = KeyringStore(tmp_path, backend=LeakyKeyring())
    with pytest.raises(StoreError) as err:
        store.save(KEY)
    assert KEY not in str(err.value)
    assert "***" in str(err.value)
    assert err.value.__cause__ is None and err.value.__context__ is not None
    assert err.value.__suppress_context__


def test_real_plaintext_keyring_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """keyrings.alt's file backend, as the e2e tests use it, with its data dir in tmp."""
    from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-untyped]

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    backend = PlaintextKeyring()
    store = KeyringStore(tmp_path / "home", backend=backend)
    store.save(KEY)
    assert PlaintextKeyring().get_password("codex-lsp", store.account) == KEY
    assert (tmp_path / "xdg" / "python_keyring" / "keyring_pass.cfg").is_file()
    assert store.delete() is True
    assert PlaintextKeyring().get_password("codex-lsp", store.account) is None

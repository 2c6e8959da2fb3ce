"""`codex-lsp login` / `login status` / `logout`, in process (subprocess runs are in e2e)."""

from __future__ import annotations

import getpass
import io
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from codex_lsp.cli import auth as cli_auth
from codex_lsp.cli.commands import build_parser
from codex_lsp.core.auth import keyring_account

from .fakes import DictKeyring

KEY = "sk-unit-CLI-0123456789abcdef"


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[DictKeyring]:
    """The keyring library hands out an in-memory backend the user 'chose'."""
    ring = DictKeyring()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.auth.fakes.DictKeyring")
    monkeypatch.setattr(keyring, "get_keyring", lambda: ring)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    yield ring


class TtyInput(io.StringIO):
    """stdin that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


def run(fn: object, home: Path, **kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = fn(home, out=out, err=err, **kwargs)  # type: ignore[operator]
    return code, out.getvalue(), err.getvalue()


def test_parser_knows_the_subcommands() -> None:
    parser = build_parser()
    assert parser.parse_args(["login"]).command == "login"
    assert parser.parse_args(["login"]).login_command is None
    assert parser.parse_args(["login", "status"]).login_command == "status"
    assert parser.parse_args(["login", "--with-api-key"]).with_api_key
    assert parser.parse_args(["logout"]).command == "logout"
    assert parser.parse_args(["exec", "hi"]).command == "exec"


def test_login_reads_the_key_from_piped_stdin(tmp_path: Path, backend: DictKeyring) -> None:
    code, out, err = run(cli_auth.run_login, tmp_path, stdin=io.StringIO(KEY + "\n"))
    assert code == 0, err
    assert str(tmp_path / "auth.json") in out
    assert stat.S_IMODE((tmp_path / "auth.json").stat().st_mode) == 0o600
    assert KEY not in out + err
    code, out, _ = run(cli_auth.run_login_status, tmp_path)
    assert code == 0 and "Logged in" in out and "auth.json" in out
    code, out, _ = run(cli_auth.run_logout, tmp_path)
    assert code == 0 and "Logged out" in out
    code, out, _ = run(cli_auth.run_login_status, tmp_path)
    assert code == 1 and "Not logged in" in out


def test_login_prompts_without_echo_on_a_terminal(
    tmp_path: Path, backend: DictKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return KEY

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    (tmp_path / "config.toml").write_text('cli_auth_credentials_store = "keyring"\n')
    code, out, err = run(cli_auth.run_login, tmp_path, stdin=TtyInput())
    assert code == 0, err
    assert prompts == [cli_auth.PROMPT]
    assert "OS keyring" in out
    assert backend.entries == {("codex-lsp", keyring_account(tmp_path)): KEY}
    code, out, _ = run(cli_auth.run_login_status, tmp_path)
    assert code == 0 and "OS keyring" in out


def test_login_rejects_a_bad_key(tmp_path: Path, backend: DictKeyring) -> None:
    code, out, err = run(cli_auth.run_login, tmp_path, stdin=io.StringIO("sk-two words\n"))
    assert code == 1
    assert "error: login failed" in err and "spaces" in err
    assert "sk-two" not in out + err
    assert not (tmp_path / "auth.json").exists()
    code, _, err = run(cli_auth.run_login, tmp_path, stdin=io.StringIO(""))
    assert code == 1 and "empty" in err


def test_login_with_an_unknown_store_mode(tmp_path: Path, backend: DictKeyring) -> None:
    (tmp_path / "config.toml").write_text('cli_auth_credentials_store = "vault"\n')
    code, _, err = run(cli_auth.run_login, tmp_path, stdin=io.StringIO(KEY))
    assert code == 1 and "vault" in err


def test_status_names_the_environment(
    tmp_path: Path, backend: DictKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    code, out, _ = run(cli_auth.run_login_status, tmp_path)
    assert code == 0 and "OPENAI_API_KEY" in out and KEY not in out
    code, out, _ = run(cli_auth.run_logout, tmp_path)
    assert code == 0 and "still set" in out

"""Account e2e: API-key login over LSP and the CLI, credential stores, logout, no leaks.

The server runs as a real process; the keyring is keyrings.alt's real file backend
(`PlaintextKeyring`) with its data directory in tmp, or keyring's `fail` backend.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from codex_lsp.core.auth import keyring_account
from codex_lsp.mock_model import MockModelServer, text_response
from tests.conftest import ClientFactory
from tests.lsp_client import CodexClient

KEY = "sk-test-LOGIN-0123456789abcdefXYZ"
OTHER_KEY = "sk-test-OTHER-9876543210fedcbaQRS"
PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"
FAIL = "keyring.backends.fail.Keyring"
LOGIN = "codex/account/login/start"
READ = "codex/account/read"
LOGOUT = "codex/account/logout"
COMPLETED = "codex/account/login/completed"
UPDATED = "codex/account/updated"


def auth_config(base_url: str, store: str | None = None, env_key: str | None = None) -> str:
    """config.toml: the mock provider needs OpenAI auth and (by default) has no env_key."""
    lines = ['model = "gpt-5.1-codex"', 'model_provider = "mock"']
    if store:
        lines.append(f'cli_auth_credentials_store = "{store}"')
    lines += [
        "[model_providers.mock]",
        'name = "mock"',
        f'base_url = "{base_url}"',
        'wire_api = "responses"',
        "requires_openai_auth = true",
        "request_max_retries = 0",
        "stream_max_retries = 0",
    ]
    if env_key:
        lines.append(f'env_key = "{env_key}"')
    return "\n".join(lines) + "\n"


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where keyrings.alt keeps its file (also set here, to read it from the test)."""
    root = tmp_path / "xdg"
    (root / "data").mkdir(parents=True)
    (root / "config").mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(root / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(root / "config"))
    return root


def server_env(xdg: Path, backend: str = PLAINTEXT, **extra: str) -> dict[str, str]:
    """Environment for servers and CLI runs: a keyring in tmp, no OPENAI_API_KEY."""
    return {
        "PYTHON_KEYRING_BACKEND": backend,
        "XDG_DATA_HOME": str(xdg / "data"),
        "XDG_CONFIG_HOME": str(xdg / "config"),
        "OPENAI_API_KEY": "",
        **extra,
    }


def keyring_entry(home: Path) -> str | None:
    """The key keyrings.alt holds for `home` (XDG_DATA_HOME points into tmp: see `xdg`)."""
    from keyrings.alt.file import PlaintextKeyring  # type: ignore[import-untyped]

    value = PlaintextKeyring().get_password("codex-lsp", keyring_account(home))
    return value if isinstance(value, str) else None


@pytest.fixture
def home(codex_home: Path) -> Path:
    """CODEX_HOME (from conftest); each test writes its own config.toml."""
    return codex_home


def write_config(home: Path, mock_model: MockModelServer, **kwargs: Any) -> None:
    (home / "config.toml").write_text(auth_config(mock_model.url, **kwargs))


async def cli(
    *args: str, env: dict[str, str], home: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`python -m codex_lsp ARGS` with `stdin`, within a timeout."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codex_lsp",
        *args,
        env={**os.environ, "CODEX_HOME": str(home), **env},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


async def turn_authorization(client: CodexClient, mock_model: MockModelServer) -> str:
    """Run one turn; the Authorization header the model saw."""
    mock_model.enqueue(text_response("ok"))
    thread = (await client.start_thread())["thread"]["id"]
    turn = await client.turn(thread, "hi")
    assert turn["status"] == "completed", turn
    return mock_model.requests[-1].headers["authorization"]


async def login(client: CodexClient, key: str = KEY) -> dict[str, Any]:
    """Log in over LSP; checks the result and both notifications."""
    before = len(client.of(COMPLETED))
    result = await client.request(LOGIN, {"type": "apiKey", "apiKey": key})
    assert result == {"type": "apiKey"}
    await client.wait_for(COMPLETED, lambda _p: len(client.of(COMPLETED)) > before)
    done = client.of(COMPLETED)[-1]
    assert done == {"loginId": None, "success": True, "error": None}
    await client.wait_for(UPDATED, lambda p: p == {"authMode": "apiKey"})
    return done


async def test_login_over_lsp_then_a_turn_uses_the_key(
    make_client: ClientFactory, home: Path, mock_model: MockModelServer, xdg: Path
) -> None:
    write_config(home, mock_model)  # default store: file
    client = await make_client(env=server_env(xdg))
    methods = client.initialize_result.capabilities.experimental["codex"]["methods"]
    assert {LOGIN, READ, LOGOUT} <= set(methods)
    assert await client.request(READ, {}) == {"account": None, "requiresOpenaiAuth": True}

    await login(client)
    assert await client.request(READ, {"refreshToken": False}) == {
        "account": {"type": "apiKey"},
        "requiresOpenaiAuth": True,
    }
    assert await turn_authorization(client, mock_model) == f"Bearer {KEY}"
    auth_json = home / "auth.json"
    assert stat.S_IMODE(auth_json.stat().st_mode) == 0o600
    assert json.loads(auth_json.read_text()) == {"OPENAI_API_KEY": KEY}
    assert keyring_entry(home) is None
    infos = [m.message for m in client.lc.log_messages if "Logged in" in m.message]
    assert infos and str(auth_json) in infos[-1]

    # A second login replaces the key; the next request uses it.
    await login(client, OTHER_KEY)
    assert await turn_authorization(client, mock_model) == f"Bearer {OTHER_KEY}"


async def test_a_providers_env_key_still_wins(
    make_client: ClientFactory, home: Path, mock_model: MockModelServer, xdg: Path
) -> None:
    write_config(home, mock_model, env_key="MOCK_API_KEY")
    client = await make_client(env=server_env(xdg, MOCK_API_KEY="provider-env-key"))
    await login(client)
    assert await turn_authorization(client, mock_model) == "Bearer provider-env-key"


async def test_cli_login_then_a_new_server_uses_it(
    make_client: ClientFactory, home: Path, mock_model: MockModelServer, xdg: Path
) -> None:
    write_config(home, mock_model, store="keyring")
    env = server_env(xdg)
    done = await cli("login", env=env, home=home, stdin=KEY + "\n")
    assert done.returncode == 0, done.stderr
    assert "OS keyring" in done.stdout
    assert keyring_entry(home) == KEY
    assert not (home / "auth.json").exists()
    status = await cli("login", "status", env=env, home=home)
    assert status.returncode == 0 and "OS keyring" in status.stdout

    client = await make_client(env=env)
    assert (await client.request(READ, {}))["account"] == {"type": "apiKey"}
    assert await turn_authorization(client, mock_model) == f"Bearer {KEY}"

    # The key never went through argv, and is not echoed.
    for text in (done.stdout, done.stderr, status.stdout, status.stderr):
        assert KEY not in text


async def test_logout_removes_the_key_from_every_store(
    make_client: ClientFactory, home: Path, mock_model: MockModelServer, xdg: Path
) -> None:
    env = server_env(xdg)
    # A copy in the keyring (CLI, keyring mode) ...
    write_config(home, mock_model, store="keyring")
    assert (await cli("login", env=env, home=home, stdin=KEY)).returncode == 0
    # ... a stale one in auth.json (e.g. left by another tool) ...
    (home / "auth.json").write_text(json.dumps({"OPENAI_API_KEY": OTHER_KEY}))
    # ... and one in memory (a server in ephemeral mode).
    write_config(home, mock_model, store="ephemeral")
    client = await make_client(env=env)
    await login(client, "sk-test-memory-only")
    assert keyring_entry(home) == KEY

    assert await client.request(LOGOUT, None) == {}
    await client.wait_for(UPDATED, lambda p: p == {"authMode": None})
    assert keyring_entry(home) is None
    assert not (home / "auth.json").exists()
    assert await client.request(READ, {}) == {"account": None, "requiresOpenaiAuth": True}
    mock_model.enqueue(text_response("never"))
    thread = (await client.start_thread())["thread"]["id"]
    failed = await client.turn(thread, "hi")
    assert failed["status"] == "failed"
    assert failed["error"]["codexErrorInfo"] == "unauthorized"
    # Every mode now finds nothing stored.
    for mode in ("file", "keyring", "auto"):
        write_config(home, mock_model, store=mode)
        status = await cli("login", "status", env=env, home=home)
        assert status.returncode == 1 and "Not logged in" in status.stdout, mode

    # With nothing stored, OPENAI_API_KEY from the environment is a source.
    env_client = await make_client(env={**env, "OPENAI_API_KEY": OTHER_KEY})
    assert (await env_client.request(READ, {}))["account"] == {"type": "apiKey"}
    assert await turn_authorization(env_client, mock_model) == f"Bearer {OTHER_KEY}"


async def test_auto_falls_back_to_the_file_without_a_keyring(
    make_client: ClientFactory, home: Path, mock_model: MockModelServer, xdg: Path
) -> None:
    write_config(home, mock_model, store="auto")
    env = server_env(xdg, backend=FAIL)
    client = await make_client(env=env)
    await login(client)
    auth_json = home / "auth.json"
    assert stat.S_IMODE(auth_json.stat().st_mode) == 0o600
    said = [m.message for m in client.lc.log_messages if "Logged in" in m.message]
    assert said and str(auth_json) in said[-1] and "auto" in said[-1]
    assert await turn_authorization(client, mock_model) == f"Bearer {KEY}"

    auth_json.unlink()
    done = await cli("login", env=env, home=home, stdin=KEY)
    assert done.returncode == 0, done.stderr
    assert str(auth_json) in done.stdout
    assert "keyring was not used" in done.stdout and "fail.Keyring" in done.stdout
    status = await cli("login", "status", env=env, home=home)
    assert status.returncode == 0 and "auth.json" in status.stdout


async def test_auto_uses_a_working_keyring(
    make_client: ClientFactory, home: Path, mock_model: MockModelServer, xdg: Path
) -> None:
    write_config(home, mock_model, store="auto")
    client = await make_client(env=server_env(xdg))
    await login(client)
    assert keyring_entry(home) == KEY
    assert not (home / "auth.json").exists()
    said = [m.message for m in client.lc.log_messages if "Logged in" in m.message]
    assert said and "OS keyring" in said[-1]


async def test_keyring_mode_without_a_keyring_fails_clearly(
    make_client: ClientFactory, home: Path, mock_model: MockModelServer, xdg: Path
) -> None:
    write_config(home, mock_model, store="keyring")
    env = server_env(xdg, backend=FAIL)
    client = await make_client(env=env)
    with pytest.raises(JsonRpcException) as err:
        await client.request(LOGIN, {"type": "apiKey", "apiKey": KEY})
    assert "no usable OS keyring" in err.value.message
    done = await client.wait_for(COMPLETED)
    assert done["success"] is False and done["loginId"] is None
    assert "no usable OS keyring" in done["error"]
    assert 'cli_auth_credentials_store = "file"' in done["error"]
    assert client.of(UPDATED) == []
    assert (await client.request(READ, {}))["account"] is None
    assert not (home / "auth.json").exists()

    cli_run = await cli("login", env=env, home=home, stdin=KEY)
    assert cli_run.returncode == 1
    assert "no usable OS keyring" in cli_run.stderr
    assert KEY not in cli_run.stdout + cli_run.stderr


async def test_invalid_keys_get_invalid_params(
    make_client: ClientFactory, home: Path, mock_model: MockModelServer, xdg: Path
) -> None:
    write_config(home, mock_model)
    client = await make_client(env=server_env(xdg))
    bad = "sk-test-two words"
    for value in (bad, "", "sk-test-line\nbreak"):
        with pytest.raises(JsonRpcException) as err:
            await client.request(LOGIN, {"type": "apiKey", "apiKey": value})
        assert err.value.code == -32602
        data: Any = err.value.data
        assert data["errors"][0]["loc"] == ["apiKey"]
        assert "apiKey" in err.value.message
        if value:
            assert value.split()[0] not in err.value.message
    await client.wait_for(COMPLETED, lambda _p: len(client.of(COMPLETED)) == 3)
    assert all(p["success"] is False and p["error"] for p in client.of(COMPLETED))
    for params in ({"type": "apiKey"}, {"type": "chatgpt", "apiKey": KEY}):
        with pytest.raises(JsonRpcException) as err:
            await client.request(LOGIN, params)
        assert err.value.code == -32602
    assert not (home / "auth.json").exists()
    assert (await client.request(READ, {}))["account"] is None


async def test_ephemeral_leaves_nothing_on_disk(
    make_client: ClientFactory,
    home: Path,
    mock_model: MockModelServer,
    xdg: Path,
    tmp_path: Path,
) -> None:
    write_config(home, mock_model, store="ephemeral")
    client = await make_client(env=server_env(xdg))
    await login(client)
    assert await turn_authorization(client, mock_model) == f"Bearer {KEY}"
    assert (await client.request(READ, {}))["account"] == {"type": "apiKey"}
    await client.stop()
    assert not (home / "auth.json").exists()
    assert [p for p in (xdg / "data").rglob("*") if p.is_file()] == []
    assert_key_absent(tmp_path, KEY)
    # A new server does not know the key.
    client = await make_client(env=server_env(xdg))
    assert (await client.request(READ, {}))["account"] is None


def assert_key_absent(root: Path, key: str, *, allow: tuple[Path, ...] = ()) -> None:
    """`key` (raw or base64, as keyrings.alt stores it) is in no file under `root`."""
    needles = [key.encode(), base64.b64encode(key.encode())]
    for path in root.rglob("*"):
        if path.is_file() and path not in allow:
            data = path.read_bytes()
            for needle in needles:
                assert needle not in data, path


class LoggingClient(CodexClient):
    """A CodexClient whose server runs with `--log-level DEBUG --log-file PATH`."""

    def __init__(self, *args: Any, log_file: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        start_io = self.lc.start_io

        async def start_with_logs(cmd: str, *argv: str, **kw: Any) -> Any:
            extra = ("--log-level", "DEBUG", "--log-file", str(log_file))
            return await start_io(cmd, *argv, *extra, **kw)

        self.lc.start_io = start_with_logs  # type: ignore[method-assign]


@pytest.mark.parametrize("store", ["file", "keyring"])
async def test_the_key_never_leaks(
    home: Path,
    workspace: Path,
    mock_model: MockModelServer,
    xdg: Path,
    store: str,
) -> None:
    write_config(home, mock_model, store=store)
    log_file = home / "server.log"
    client = LoggingClient(home, workspace, env=server_env(xdg), log_file=log_file)
    try:
        await client.start()
        await login(client)
        assert await turn_authorization(client, mock_model) == f"Bearer {KEY}"
        await client.request(READ, {"refreshToken": True})
        near_miss = KEY + " x"  # invalid: must not be echoed either
        with pytest.raises(JsonRpcException) as err:
            await client.request(LOGIN, {"type": "apiKey", "apiKey": near_miss})
        assert KEY not in err.value.message and KEY not in json.dumps(err.value.data)
        await client.wait_for(COMPLETED, lambda p: p["success"] is False)
        auth_json = home / "auth.json"
        assert auth_json.exists() == (store == "file")
        assert_key_absent(home, KEY, allow=(auth_json,))
        await client.request(LOGOUT, None)
        await client.wait_for(UPDATED, lambda p: p == {"authMode": None})
    finally:
        await client.stop()
    assert_key_absent(home, KEY)
    assert_key_absent(xdg, KEY)
    log_text = log_file.read_text()
    assert "DEBUG" in log_text and "logged out" in log_text
    assert KEY not in log_text
    seen = json.dumps([[m, p] for m, p, _ in client.notifications])
    assert COMPLETED in seen and UPDATED in seen
    assert KEY not in seen
    texts = [m.message for m in client.lc.log_messages] + [m.message for m in client.lc.messages]
    assert texts and not [t for t in texts if KEY in t]

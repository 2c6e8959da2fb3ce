"""Secrets stay secret, through the real server process:

- a provider's error answer that echoes the key (and a credential header) reaches the
  client, the turn, the rollout and the logs redacted;
- a login whose message is malformed (`"jsonrpc": "1.0"`, bad params) leaves the key in
  none of stderr, the log file, `window/logMessage` or `$CODEX_HOME` (but auth.json);
- with umask 022, everything the server creates under `$CODEX_HOME` is 0600 (folders
  0700); config.toml keeps the mode the user gave it; folders and files an older
  version left readable by others are tightened when the server opens them.

The server is driven over raw pipes by `PipeClient`, which keeps everything the server
says (stdout messages, stderr) for the checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

from codex_lsp.mock_model import MockModelServer, error_response, text_response

TIMEOUT = 15.0
# Not shaped like any vendor's key: only the server's knowledge of the key in use (or of
# the field that holds it) can keep it out of the text.
KEY = "zq7-login-KEY-4f9d2c81b6e0a3"
HEADER_SECRET = "zq7-org-HEADER-d41f0c29ab"
LOGIN = "codex/account/login/start"


class PipeClient:
    """`python -m codex_lsp` under `umask` over pipes; answers server requests with null
    and records every message and all of stderr."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.messages: list[dict[str, Any]] = []
        self.stderr = bytearray()
        self._next_id = 100
        self._waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._changed = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read_loop())
        self._err_reader = asyncio.ensure_future(self._read_stderr())

    @classmethod
    async def start(
        cls, home: Path, cwd: Path, env: dict[str, str], *args: str, umask: int = 0o022
    ) -> PipeClient:
        # `exec` keeps the PID: stopping the process stops the server itself.
        script = f'umask {umask:03o} && exec "$0" "$@"'
        proc = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            script,
            sys.executable,
            "-m",
            "codex_lsp",
            *args,
            env={**os.environ, "CODEX_HOME": str(home), "OPENAI_API_KEY": "", **env},
            cwd=cwd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        client = cls(proc)
        await client.request(
            "initialize",
            {"processId": None, "rootUri": cwd.as_uri(), "capabilities": {}},
        )
        await client.notify("initialized", {})
        return client

    async def _read_loop(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        while True:
            try:
                header = await stdout.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            message: dict[str, Any] = json.loads(await stdout.readexactly(length))
            self.messages.append(message)
            self._changed.set()
            if "method" in message and "id" in message:  # a request to the client
                await self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            elif "method" not in message:
                waiter = self._waiters.pop(message.get("id"), None)  # type: ignore[arg-type]
                if waiter is not None and not waiter.done():
                    waiter.set_result(message)

    async def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        while chunk := await self.proc.stderr.read(65536):
            self.stderr += chunk

    async def write(self, body: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await self.proc.stdin.drain()

    async def send(self, message: dict[str, Any]) -> None:
        await self.write(json.dumps(message).encode())

    async def notify(self, method: str, params: Any) -> None:
        await self.send({"jsonrpc": "2.0", "method": method, "params": params})

    async def reply(self, message: dict[str, Any], msg_id: int) -> dict[str, Any]:
        """Send `message` (which carries `msg_id`) and wait for the response to it."""
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters[msg_id] = waiter
        await self.send(message)
        return await asyncio.wait_for(waiter, TIMEOUT)

    async def request(self, method: str, params: Any) -> Any:
        """The result of a request (fails the test on an error response)."""
        self._next_id += 1
        message = {"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}
        answer = await self.reply(message, self._next_id)
        assert "error" not in answer, answer
        return answer["result"]

    def of(self, method: str) -> list[dict[str, Any]]:
        return [m["params"] for m in self.messages if m.get("method") == method]

    async def wait_for(self, method: str, predicate: Any = lambda _p: True) -> dict[str, Any]:
        async def find() -> dict[str, Any]:
            while True:
                for params in self.of(method):
                    if predicate(params):
                        return params
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), TIMEOUT)

    async def turn(self, thread_id: str, text: str) -> dict[str, Any]:
        """Run a turn to its end; the completed turn."""
        started = await self.request(
            "codex/turn/start",
            {"threadId": thread_id, "input": [{"type": "text", "text": text}]},
        )
        turn_id = started["turn"]["id"]
        done = await self.wait_for("codex/turn/completed", lambda p: p["turn"]["id"] == turn_id)
        turn: dict[str, Any] = done["turn"]
        return turn

    async def stop(self) -> None:
        """shutdown + exit, then make sure the process (by its PID) is gone."""
        with contextlib.suppress(Exception):
            await self.request("shutdown", None)
            await self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), TIMEOUT)
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await asyncio.wait_for(self.proc.wait(), TIMEOUT)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._err_reader, TIMEOUT)
        self._reader.cancel()

    def log_messages(self) -> str:
        return "\n".join(p["message"] for p in self.of("window/logMessage"))


def auth_config(base_url: str, extra: str = "") -> str:
    """The mock provider needing OpenAI auth (the logged-in key), kept in auth.json."""
    return (
        'model = "gpt-5.1-codex"\n'
        'model_provider = "mock"\n'
        'cli_auth_credentials_store = "file"\n'
        "[model_providers.mock]\n"
        'name = "mock"\n'
        f'base_url = "{base_url}"\n'
        'wire_api = "responses"\n'
        "requires_openai_auth = true\n"
        "request_max_retries = 0\n"
        "stream_max_retries = 0\n"
        f"{extra}"
    )


# No keyring is touched: the file store is configured and the fail backend forced.
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def files_under(home: Path, *, skip: tuple[str, ...] = ()) -> dict[Path, bytes]:
    """Every file under `home` (but `skip`, by name) and its bytes."""
    found = {}
    for root, _dirs, files in os.walk(home):
        for name in files:
            if name not in skip:
                path = Path(root) / name
                found[path] = path.read_bytes()
    return found


def assert_nowhere(secret: str, where: dict[str, str | bytes]) -> None:
    leaks = [
        name
        for name, text in where.items()
        if secret.encode() in (text if isinstance(text, bytes) else text.encode())
    ]
    assert not leaks, f"{secret!r} found in {leaks}"


async def test_provider_error_echoing_the_key_is_redacted_everywhere(
    tmp_path: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    headers = '[model_providers.mock.env_http_headers]\nX-Org-Token = "MOCK_ORG_TOKEN"\n'
    (home / "config.toml").write_text(auth_config(mock_model.url, headers))
    log_file = tmp_path / "server.log"
    body = {
        "error": {
            "message": (
                f"Incorrect API key provided: {KEY}. Project key {KEY} was revoked; "
                f"org credential {HEADER_SECRET} rejected; sent Authorization: Bearer {KEY}"
            ),
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    mock_model.enqueue(error_response(401, body=body))
    env = {**NO_KEYRING, "MOCK_ORG_TOKEN": HEADER_SECRET}
    client = await PipeClient.start(
        home, workspace, env, "--log-file", str(log_file), "--log-level", "DEBUG"
    )
    try:
        assert await client.request(LOGIN, {"type": "apiKey", "apiKey": KEY}) == {"type": "apiKey"}
        thread = (await client.request("codex/thread/start", {}))["thread"]
        turn = await client.turn(thread["id"], "hi")
    finally:
        await client.stop()
    # The model got the real credentials; nothing shown or kept afterwards has them.
    request = mock_model.requests[-1]
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["x-org-token"] == HEADER_SECRET
    assert turn["status"] == "failed"
    message = turn["error"]["message"]
    assert "Incorrect API key provided: [REDACTED]" in message
    assert "org credential [REDACTED] rejected" in message
    (error,) = client.of("codex/error")
    assert error["error"]["message"] == message
    assert error["error"]["codexErrorInfo"] == "unauthorized"
    where: dict[str, str | bytes] = {
        "client messages": json.dumps(client.messages),
        "stderr": bytes(client.stderr),
        "log file": log_file.read_bytes(),
    }
    where.update({str(p): data for p, data in files_under(home, skip=("auth.json",)).items()})
    rollouts = list((home / "sessions").rglob("*.jsonl"))
    assert len(rollouts) == 1 and b"[REDACTED]" in rollouts[0].read_bytes()
    for secret in (KEY, HEADER_SECRET):
        assert_nowhere(secret, where)
    assert KEY in (home / "auth.json").read_text()


# pygls, handed a message with a wrong `jsonrpc` (as its own reader would), logs the raw
# message; an exception quoting an SDK error, and one nobody catches, are logged too.
_LOGGING_SCRIPT = """
import json, logging, sys, threading
from pathlib import Path
from codex_lsp.logs import ClientLogHandler, setup_logging
from codex_lsp.server.app import create_server

key, log_file, home = sys.argv[1:4]
setup_logging("INFO", log_file)
sent = []
logging.getLogger().addHandler(ClientLogHandler(lambda _level, text: sent.append(text)))
protocol = create_server(Path(home)).protocol
raw = {"jsonrpc": "1.0", "id": 7, "method": "codex/account/login/start",
       "params": {"type": "apiKey", "apiKey": key}}
protocol.handle_message(protocol.structure_message(raw))
try:
    raise RuntimeError("Error code: 401 - {'message': 'Incorrect API key provided: %s'}" % key)
except RuntimeError:
    logging.getLogger("openai").exception("request failed: %s", {"x-api-key": key})
def fail():
    raise ValueError("apiKey=" + key)
worker = threading.Thread(target=fail, name="worker")
worker.start()
worker.join()
print(json.dumps(sent))
"""


async def test_every_log_handler_redacts_what_any_logger_says(tmp_path: Path) -> None:
    log_file = tmp_path / "server.log"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _LOGGING_SCRIPT,
        KEY,
        str(log_file),
        str(tmp_path / "home"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    stderr, logged, sent = err.decode(), log_file.read_text(), json.loads(out)
    # Every record arrived, with its context...
    for text in (stderr, logged):
        assert "Unknown message" in text and "'apiKey': '[REDACTED]'" in text
        assert "request failed: {'x-api-key': '[REDACTED]'}" in text
        assert "Incorrect API key provided: [REDACTED]'}" in text  # the traceback
        assert "uncaught exception in thread worker" in text and "apiKey=[REDACTED]" in text
    assert any("Unknown message" in m for m in sent)
    assert any("request failed" in m for m in sent)
    # ...and nowhere the key itself.
    assert_nowhere(KEY, {"stderr": stderr, "log file": logged, "window/logMessage": out.decode()})


async def test_malformed_login_leaves_the_key_in_no_log(
    tmp_path: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(auth_config(mock_model.url))
    log_file = home / "log" / "codex-lsp.log"
    client = await PipeClient.start(
        home, workspace, NO_KEYRING, "--log-file", str(log_file), "--log-level", "DEBUG"
    )
    try:
        login = {"type": "apiKey", "apiKey": KEY}
        bad_version = {"jsonrpc": "1.0", "id": 7, "method": LOGIN, "params": login}
        await client.send(bad_version)
        # JSON-RPC 1.0 style (no `jsonrpc` member at all), and a notification.
        await client.send({"id": 8, "method": LOGIN, "params": login})
        await client.send({"jsonrpc": "1.0", "method": LOGIN, "params": login})
        # Params the server refuses: an unknown login type, a key with a space in it.
        for msg_id, params in (
            (9, {"type": "chatgpt", "apiKey": KEY}),
            (10, {"type": "apiKey", "apiKey": f"{KEY} {KEY}"}),
            (11, {"type": "apiKey", "apiKey": KEY, "extra": {"apiKey": KEY}}),
        ):
            message = {"jsonrpc": "2.0", "id": msg_id, "method": LOGIN, "params": params}
            answer = await client.reply(message, msg_id)
            assert "error" in answer or answer.get("result") == {"type": "apiKey"}
        # A well-formed login still works: the key lands in auth.json, and only there.
        assert await client.request(LOGIN, {"type": "apiKey", "apiKey": KEY}) == {"type": "apiKey"}
        account = await client.request("codex/account/read", {})
        assert account["account"] == {"type": "apiKey"}
    finally:
        await client.stop()
    assert json.loads((home / "auth.json").read_text())["OPENAI_API_KEY"] == KEY
    assert log_file.is_file()
    where: dict[str, str | bytes] = {
        "stderr": bytes(client.stderr),
        "window/logMessage": client.log_messages(),
    }
    where.update({str(p): data for p, data in files_under(home, skip=("auth.json",)).items()})
    assert str(log_file) in where
    assert_nowhere(KEY, where)


def modes_under(home: Path) -> tuple[dict[str, int], dict[str, int]]:
    """(folders, files) below `home` (relative names) with their permission bits."""
    dirs: dict[str, int] = {}
    files: dict[str, int] = {}
    for root, dirnames, filenames in os.walk(home):
        for name in dirnames:
            path = Path(root) / name
            dirs[str(path.relative_to(home))] = stat.S_IMODE(path.stat().st_mode)
        for name in filenames:
            path = Path(root) / name
            files[str(path.relative_to(home))] = stat.S_IMODE(path.stat().st_mode)
    return dirs, files


async def test_codex_home_is_private_with_umask_022(
    tmp_path: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    old = os.umask(0o022)
    try:
        home = tmp_path / "home"
        home.mkdir()
        (home / "config.toml").write_text(auth_config(mock_model.url))
        (home / "config.toml").chmod(0o644)  # the user's file, as the user made it
    finally:
        os.umask(old)
    mock_model.require_api_key = KEY
    rate_headers = {"x-codex-primary-used-percent": "12.5", "x-codex-primary-window-minutes": "300"}
    mock_model.enqueue(text_response("first", headers=rate_headers), text_response("second"))
    log_args = ("--log-file", str(home / "log" / "codex-lsp.log"))

    client = await PipeClient.start(home, workspace, NO_KEYRING, *log_args)
    try:
        await client.request(LOGIN, {"type": "apiKey", "apiKey": KEY})
        thread_id = (await client.request("codex/thread/start", {}))["thread"]["id"]
        assert (await client.turn(thread_id, "one"))["status"] == "completed"
        await client.request(
            "codex/config/value/write",
            {"keyPath": "model_reasoning_effort", "value": "high", "mergeStrategy": "replace"},
        )
    finally:
        await client.stop()

    client = await PipeClient.start(home, workspace, NO_KEYRING, *log_args)
    try:
        await client.request("codex/thread/resume", {"threadId": thread_id})
        assert (await client.turn(thread_id, "two"))["status"] == "completed"
        await client.request("codex/thread/archive", {"threadId": thread_id})
        listed = await client.request("codex/thread/list", {"archived": True})
        assert [t["id"] for t in listed["data"]] == [thread_id]
    finally:
        await client.stop()

    dirs, files = modes_under(home)
    # What the session must have written, so the walk below checks something.
    for name in ("auth.json", "rate_limits.json", "threads.sqlite", "log/codex-lsp.log"):
        assert name in files, sorted(files)
    assert any(n.startswith("archived_sessions/rollout-") for n in files), sorted(files)
    assert {"sessions", "archived_sessions", "log"} <= set(dirs)
    assert "model_reasoning_effort" in (home / "config.toml").read_text()
    assert files.pop("config.toml") == 0o644  # replaced, with the mode the user chose
    assert {n: oct(m) for n, m in dirs.items() if m != 0o700} == {}
    assert {n: oct(m) for n, m in files.items() if m != 0o600} == {}


async def test_files_an_older_version_left_open_are_tightened(
    tmp_path: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(auth_config(mock_model.url))
    mock_model.require_api_key = KEY
    mock_model.enqueue(text_response("first"), text_response("second"))
    env = {**NO_KEYRING}
    client = await PipeClient.start(home, workspace, env)
    try:
        await client.request(LOGIN, {"type": "apiKey", "apiKey": KEY})
        thread_id = (await client.request("codex/thread/start", {}))["thread"]["id"]
        assert (await client.turn(thread_id, "one"))["status"] == "completed"
    finally:
        await client.stop()
    # What an older version, under umask 022, left behind.
    (rollout,) = (home / "sessions").rglob("*.jsonl")
    loose = [home / "sessions", *rollout.parents[:3]]
    for folder in loose:
        folder.chmod(0o755)
    for path in (rollout, home / "threads.sqlite", home / "auth.json"):
        path.chmod(0o644)

    client = await PipeClient.start(home, workspace, env)
    try:
        await client.request("codex/thread/resume", {"threadId": thread_id})
        assert (await client.turn(thread_id, "two"))["status"] == "completed"
        await client.request(LOGIN, {"type": "apiKey", "apiKey": KEY})
    finally:
        await client.stop()
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(home / "sessions") == 0o700  # nothing below it is reachable by others
    assert mode(rollout) == 0o600  # reopened to append
    assert mode(home / "threads.sqlite") == 0o600
    assert mode(home / "auth.json") == 0o600  # replaced on login
    # Day folders are not walked: the closed sessions/ above them already hides them.
    assert mode(rollout.parent) == 0o755

